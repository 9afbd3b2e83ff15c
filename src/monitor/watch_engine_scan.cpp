// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, scanning directories into the picture
// and watching them (one inotify watch per directory; none for a recursive watch or polling),
// with the problems met on the way (unreadable directories, the watch limit) and their retries.
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {

namespace sys = boost::system;

sys::error_code watch_engine::watch_directory(root_state& root, entry_tree& tree, node_id node,
                                              const std::string& path, watch_kind kind) {
  sys::error_code ec;
  int watch = fs_.add_watch(path, kind, ec);
  if (ec)
    return ec;
  return adopt_watch(root, tree, node, path, watch);
}

sys::error_code watch_engine::adopt_watch(root_state& root, entry_tree& tree, node_id node,
                                          const std::string& path, int watch) {
  auto range = watches_.equal_range(watch);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second.root != &root)
      continue; // a file root sharing this parent directory
    node_id holder = it->second.node;
    if (holder == node)
      return {};
    // The same directory (inode) met under another node of this root. Below that node, and
    // still there too: a bind mount looping back, never entered. Otherwise the directory moved
    // and its records are not processed yet, so `holder` names where it was (even above this
    // node: its old name may hold another directory now). The watch follows the inode: it goes
    // to where the directory is now, and `holder` is examined again after this batch.
    for (node_id n = tree[node].parent; n != no_node; n = tree[n].parent)
      if (n == holder && still_there(tree, holder, path))
        return errc::already_watched;
    tree[holder].watch = -1;
    watches_.erase(it);
    --counters_.watches;
    root.stale.insert(holder);
    drop_records_read_of(watch);
    drop_records_unread_of(watch);
    break;
  }
  tree[node].watch = watch;
  watches_.emplace(watch, watch_ref{&root, node});
  ++counters_.watches;
  if (inotify_.note_new_watches && &tree == &root.tree && policy_ == watch_policy::per_directory) {
    if (inotify_.new_watches.empty() || inotify_.new_watches.back().first >= 0)
      inotify_.new_watches.emplace_back(-1, std::unordered_set<int>{});
    inotify_.new_watches.back().second.insert(watch);
  }
  return {};
}

bool watch_engine::still_there(const entry_tree& tree, node_id holder, const std::string& path) {
  // A bind mount shows one directory at two paths at once: both paths name the same inode now.
  // A stale picture does not: the holder's path names another entry, or none.
  entry_type type = entry_type::unknown;
  entry_status here;
  entry_status there;
  if (fs_.status(path, false, type, here))
    return false;
  if (fs_.status(tree.path(holder), holder == tree.root(), type, there))
    return false;
  if (type != entry_type::directory || here.inode != there.inode)
    return false;
  // The same directory at both paths. Within one mount that cannot be: the two looks straddled
  // renames by others (the directory moved from one path to the other in between), and the
  // picture is stale after all. A loop crosses into a bind mount, whose mount id differs.
  return here.mount_id == 0 || there.mount_id == 0 || here.mount_id != there.mount_id;
}

void watch_engine::forget_watches(root_state& root, entry_tree& tree, node_id node,
                                  bool remove_from_kernel) {
  tree.for_each_preorder(node, [&](node_id id, std::size_t) {
    if (&tree == &root.tree)
      root.stale.erase(id);
    int watch = tree[id].watch;
    if (watch < 0)
      return;
    tree[id].watch = -1;
    auto range = watches_.equal_range(watch);
    bool shared = false;
    for (auto it = range.first; it != range.second;) {
      if (it->second.root == &root && it->second.node == id) {
        it = watches_.erase(it);
        --counters_.watches;
      } else {
        shared = true;
        ++it;
      }
    }
    if (remove_from_kernel && !shared)
      fs_.remove_watch(watch);
  });
}

void watch_engine::report_problem(root_state& root, const std::string& path, entry_type type,
                                  sys::error_code ec) {
  if (ec == errc::watch_limit_reached && type == entry_type::directory) {
    root.blocked_by_watch_limit.insert(path);
    watches_at_limit_ = counters_.watches;
    if (!limit_retry_at_)
      limit_retry_at_ = now_.steady + limit_retry_delay_;
  }
  if (root.problems_reported.insert(path).second)
    emit_raw(root, fs_event{event_kind::error, path_from_text(path), {}, type, ec});
}

void watch_engine::retry_blocked_by_watch_limit() {
  // Watches were given back (this monitor's: a watched directory deleted, a root removed), or
  // some time has passed (another program's may have been): the directories the limit kept
  // unwatched are watched and scanned, what they hold reported as created. The first refusal
  // ends the round: the limit still holds, and the next round waits longer (1 s, doubling up
  // to 30 s); watches given back by this monitor start a round at once.
  bool limit_hit = false;
  for (const auto& root_ptr : roots_) {
    root_state& root = *root_ptr;
    std::vector<std::string> paths(root.blocked_by_watch_limit.begin(), root.blocked_by_watch_limit.end());
    for (const std::string& path : paths) {
      if (limit_hit)
        break;
      if (root.blocked_by_watch_limit.erase(path) == 0)
        continue; // watched by the scan of a directory above it in this round
      node_id node = find_below(root.tree, root.tree.root(), root.tree[root.tree.root()].name, path);
      if (node == no_node || root.tree[node].type != entry_type::directory || in_limbo(root, node)) {
        root.problems_reported.erase(path); // gone or replaced: its own events said so
        continue;
      }
      sys::error_code ec = watch_then_scan(root, node, path);
      if (ec == errc::watch_limit_reached) {
        root.blocked_by_watch_limit.insert(path);
        limit_hit = true;
      } else if (!ec) {
        root.problems_reported.erase(path);
      } else if (is_vanished(ec)) {
        root.stale.insert(node);
      }
    }
  }
  bool blocked = std::any_of(roots_.begin(), roots_.end(),
                             [](const auto& r) { return !r->blocked_by_watch_limit.empty(); });
  watches_at_limit_ = counters_.watches;
  if (!blocked) {
    limit_retry_at_.reset();
    limit_retry_delay_ = std::chrono::seconds(1);
  } else {
    if (limit_hit)
      limit_retry_delay_ = std::min<std::chrono::steady_clock::duration>(limit_retry_delay_ * 2, std::chrono::seconds(30));
    limit_retry_at_ = now_.steady + limit_retry_delay_;
  }
}

void watch_engine::retry_blocked_if_due() {
  if (!limit_retry_at_)
    return;
  if (counters_.watches < watches_at_limit_ || now_.steady >= *limit_retry_at_)
    retry_blocked_by_watch_limit();
}

node_id watch_engine::find_below(const entry_tree& tree, node_id node, std::string_view node_path,
                                 std::string_view path) {
  // Down from `node` by name; no_node when an entry on the way is not in the picture.
  for (std::size_t at = node_path.size(); node != no_node && at < path.size();) {
    if (path[at] == '/')
      ++at;
    std::size_t end = std::min(path.find('/', at), path.size());
    node = tree.find(node, path.substr(at, end - at));
    at = end;
  }
  return node;
}

sys::error_code watch_engine::scan(root_state& root, entry_tree& tree, node_id start,
                                   const std::string& start_path, scan_mode mode) {
  std::vector<scan_step> to_read;
  tree[start].scan_pending = true;
  to_read.push_back({start, start_path});
  return scan_steps(root, tree, start, to_read, mode, nullptr);
}

sys::error_code watch_engine::scan_steps(root_state& root, entry_tree& tree, node_id start,
                                         std::vector<scan_step>& to_read, const scan_mode& mode,
                                         const std::chrono::steady_clock::time_point* deadline) {
  std::vector<listed_entry> entries;
  bool first = true;
  while (!to_read.empty()) {
    if (deadline && !first && std::chrono::steady_clock::now() >= *deadline)
      return {}; // the rest in the next slice
    first = false;
    scan_step dir = std::move(to_read.back());
    to_read.pop_back();
    // Read already (a scan of a directory above it that records brought back), or gone: its
    // node may even hold another entry now.
    const tree_node& listed = tree[dir.node];
    if (!listed.in_use || !listed.scan_pending || listed.type != entry_type::directory)
      continue;
    if (mode.resumable) {
      // Records were handled since it was listed: it may have moved, or be between the halves
      // of a move, with no path until the move is resolved.
      if (in_limbo(root, dir.node)) {
        root.adding->after_moves.push_back(dir.node);
        continue;
      }
      dir.path = tree.path(dir.node);
    }
    tree[dir.node].scan_pending = false;
    entries.clear();
    bool another_directory = false;
    sys::error_code ec = read_directory(root, tree, dir.node, dir.path, mode.watch, entries,
                                        another_directory);
    if (another_directory) {
      // Its records are still to come, or the picture took one directory for another: looked
      // at again after this batch (verify_contents), which waits for them and, once none can
      // come any more, believes the disk.
      if (&tree == &root.tree)
        root.contents_to_verify.insert(dir.node);
      continue;
    }
    if (ec) {
      if (dir.node == start || (mode.fail_fast && ec == errc::watch_limit_reached))
        return ec;
      if (!is_vanished(ec)) {
        report_problem(root, dir.path, entry_type::directory, ec);
      } else if (mode.watch || policy_ == watch_policy::recursive_root) {
        // Renamed since it was met: scanned again once the records say where it went. An add's
        // directory stays its to read (see watch_and_scan), not one to report as created.
        if (mode.resumable)
          tree[dir.node].scan_pending = true;
        root.stale.insert(dir.node);
      }
      continue;
    }
    if (root.ignoring())
      load_ignore_rules(root, tree, dir.node, dir.path, entries);
    // A directory with no children yet (most of them: just created, or met by this scan) can
    // hold nothing an event reported before: no lookup needed. One with children (scanned
    // again: moved back into view, or its watch lost for a while) may have lost some while it
    // was not watched; it is watched now, so a removal after this listing has its record.
    bool known_children = tree[dir.node].first_child != no_node;
    if (known_children && &tree == &root.tree) {
      drop_unlisted(root, dir.node, entries);
      known_children = tree[dir.node].first_child != no_node;
    }
    for (listed_entry& entry : entries) {
      bool is_directory = entry.type == entry_type::directory;
      if (!accepts(root, tree, dir.node, entry.name, is_directory))
        continue;
      if (known_children) {
        const node_id known = tree.find(dir.node, entry.name);
        if (known != no_node && !(mode.verify && is_other_directory(root, known, dir.path)))
          continue; // known already: an event reported it before this scan came by
        if (known != no_node)
          entry_removed(root, known); // the picture had another directory under this name
      }
      if (!held_.empty() && &tree == &root.tree) {
        expire_moves_from(root, dir.node, entry.name);
        // Expiring replays the records held back for the directories that left limbo.
        if (tree.find(dir.node, entry.name) != no_node)
          continue;
      }
      node_id child = tree.insert(dir.node, entry.name, entry.type);
      bool descend = is_directory && root.recursive();
      if (!descend && !mode.stat && !mode.report_created)
        continue; // the common case of a startup scan: a file needs no path of its own
      std::string child_path = join_path(dir.path, entry.name);
      if (mode.stat) {
        entry_type type = entry.type;
        if (sys::error_code status_error = fs_.status(child_path, false, type, tree.status(child))) {
          // Still there but out of reach (a path of PATH_MAX bytes or more, no search
          // permission): comparing scans cannot see its changes, so say so, once. A rescan
          // keeps what the last one saw of it, so that the comparison reports no change it
          // did not see, and, once the entry is in reach again, the changes made meanwhile.
          tree.status(child) = entry_status{};
          if (&tree != &root.tree && root.tree.keeps_status()) {
            const entry_tree& last = root.tree;
            node_id known = find_below(last, last.root(), last[last.root()].name, child_path);
            if (known != no_node && last[known].type == entry.type)
              tree.status(child) = last.status(known);
          }
          if (!is_vanished(status_error))
            report_problem(root, child_path, entry.type, status_error);
        }
      }
      if (mode.report_created)
        emit(root, event_kind::created, child_path, entry.type);
      if (!descend)
        continue;
      tree[child].scan_pending = true;
      to_read.push_back({child, std::move(child_path)});
    }
  }
  return {};
}

sys::error_code watch_engine::read_directory(root_state& root, entry_tree& tree, node_id node,
                                             const std::string& path, bool watch,
                                             std::vector<listed_entry>& entries,
                                             bool& another_directory) {
  // Only a root is followed when it is a symlink (as its watch is): a subdirectory replaced by
  // a symlink since it was met must not have another directory's entries taken for its own.
  const bool is_root = node == tree.root();
  const int had_watch = tree[node].watch;
  if (!watch || (had_watch >= 0 && is_root))
    return fs_.list(path, entries, is_root);
  // A directory not watched yet is watched and listed in one step, so that both are of the
  // directory at its path then: a rename in between would give the watch of one directory and
  // the entries of another. Watched first, whatever changes while it is read is seen by both
  // the listing and the watch, and the duplicate `created` is suppressed. One that left its
  // path while it was read keeps the watch, which follows it; the node is scanned again once
  // the records say where it went. A directory watched already is listed the same way, and
  // only when the watch at its path is its own: the picture may have it where another
  // directory is now (records of a rename not read yet), whose entries are not its own.
  const watch_kind kind = is_root ? watch_kind::root : watch_kind::subtree;
  return fs_.watch_and_list(path, kind, entries, [&](int added) -> sys::error_code {
    if (had_watch < 0)
      return adopt_watch(root, tree, node, path, added);
    if (added == had_watch)
      return {};
    give_back_if_foreign(added);
    another_directory = true;
    return errc::already_watched; // any error: nothing is read
  });
}

sys::error_code watch_engine::watch_then_scan(root_state& root, node_id node, const std::string& path,
                                              bool verify) {
  // With inotify, the scan watches the node first unless it is watched; a recursive watch sees
  // it already.
  scan_mode mode;
  mode.watch = policy_ == watch_policy::per_directory;
  mode.report_created = true;
  mode.verify = verify;
  return scan(root, root.tree, node, path, mode);
}

void watch_engine::watch_and_scan(root_state& root, node_id node, const std::string& path) {
  if (root.tree[node].scan_pending && root.adding) {
    // Listed by the add in progress and not read yet (moved, or its path was stale): what it
    // holds is not news. The add reads it in its turn, where it is then, in a slice of its own.
    root.adding->to_read.push_back({node, {}});
    return;
  }
  // A node with known children is scanned again because its picture may be of another
  // directory (a stale node, one a swap brought back unwatched): a known child directory is
  // checked against the one its path names (verify), as the records that told of its
  // replacement may have been dropped as older than a listing of its directory elsewhere.
  sys::error_code ec = watch_then_scan(root, node, path, true);
  if (is_vanished(ec))
    root.stale.insert(node); // deleted (its record follows) or renamed (retried after the batch)
  else if (ec)
    report_problem(root, path, entry_type::directory, ec);
}

void watch_engine::retry_unwatched() {
  for (const auto& root_ptr : roots_) {
    root_state& root = *root_ptr;
    if (!root.to_refilter.empty() || root.info_exclude_changed)
      apply_ignore_changes(root);
    verify_names(root);
    verify_contents(root);
    if (root.stale.empty())
      continue;
    std::vector<node_id> nodes(root.stale.begin(), root.stale.end());
    root.stale.clear();
    for (node_id node : nodes) {
      const tree_node& n = root.tree[node];
      if (!n.in_use || n.type != entry_type::directory)
        continue;
      if (in_limbo(root, node)) {
        root.stale.insert(node); // its path is known once the move is resolved
        continue;
      }
      // What was scanned under this node may have come from the other directory its path led
      // to, or changed while it was not watched: the scan drops what the directory does not
      // hold and reports what it does.
      watch_and_scan(root, node, root.tree.path(node));
    }
  }
}


void watch_engine::drop_unlisted(root_state& root, node_id dir,
                                 const std::vector<listed_entry>& entries) {
  entry_tree& tree = root.tree;
  std::unordered_map<std::string_view, entry_type> on_disk;
  for (const listed_entry& entry : entries)
    on_disk.emplace(entry.name, entry.type);
  std::vector<node_id> gone;
  for (node_id c = tree[dir].first_child; c != no_node; c = tree[c].next_sibling) {
    auto it = on_disk.find(tree[c].name);
    if (it == on_disk.end() || !same_entry_kind(tree[c].type, it->second))
      gone.push_back(c);
  }
  for (node_id c : gone)
    if (tree[c].in_use && tree[c].parent == dir) // removing one may have expired others
      entry_removed(root, c);
}

void watch_engine::retry_problem_directories(root_state& root, node_id node) {
  // A directory had its mode, owner or ACL changed: it may be readable now. So may a directory
  // below it that could not be watched for want of search permission in it (one created while
  // it was unreadable). Each directory an `error` event named, at or below this one, is watched
  // and scanned as if it had just appeared; on success, what it holds is reported as created,
  // and a later problem is reported again. A failure again says nothing new: the `error` event
  // already stands. The cost is one look at each reported problem, only while there are some.
  entry_tree& tree = root.tree;
  if (tree[node].type != entry_type::directory || !root.recursive())
    return;
  const std::string path = tree.path(node);
  std::vector<std::string> retry;
  for (const std::string& problem : root.problems_reported)
    if (problem.compare(0, path.size(), path) == 0 &&
        (problem.size() == path.size() || problem[path.size()] == '/' || path.back() == '/'))
      retry.push_back(problem);
  std::sort(retry.begin(), retry.end()); // a directory before what it holds
  for (const std::string& problem : retry) {
    if (root.problems_reported.count(problem) == 0)
      continue;
    // The entry named may be gone, or not a directory any more.
    node_id target = find_below(tree, node, path, problem);
    if (target == no_node || tree[target].type != entry_type::directory)
      continue;
    sys::error_code ec = watch_then_scan(root, target, problem);
    if (!ec) {
      root.problems_reported.erase(problem);
      root.blocked_by_watch_limit.erase(problem);
    }
    else if (is_vanished(ec))
      root.stale.insert(target);
  }
}

} // namespace asio_fswatch::detail
