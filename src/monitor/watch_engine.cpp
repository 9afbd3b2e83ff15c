#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

namespace asio_fswatch::detail {
namespace {

namespace sys = boost::system;

// Name of the directory that holds entries between the two halves of a move. A real name can
// never contain '/', so it cannot collide with one.
constexpr std::string_view limbo_name = "/limbo";

bool is_within(const std::string& path, const std::string& base) {
  if (path.size() < base.size() || path.compare(0, base.size(), base) != 0)
    return false;
  return path.size() == base.size() || base == "/" || path[base.size()] == '/';
}

bool is_structural(event_kind kind) {
  return kind == event_kind::created || kind == event_kind::removed || kind == event_kind::renamed ||
         kind == event_kind::exchanged;
}

} // namespace

time_sample time_sample::now() {
  time_sample t;
  t.steady = std::chrono::steady_clock::now();
  t.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return t;
}

watch_engine::watch_engine(filesystem& fs, backend mode, const monitor_options& options)
    : fs_(fs), mode_(mode), options_(options) {}

watch_engine::~watch_engine() = default;

bool watch_engine::is_vanished(const sys::error_code& ec) {
  // The entry went away between the event and our look at it: its removal is reported by the
  // event that follows, so this is not a problem to report. Its path may also have gone stale
  // above it: a directory on the way replaced by a file (ENOTDIR) or by a symlink loop (ELOOP;
  // symlinks are never followed on purpose, and an entry that is now a symlink gives ELOOP to
  // O_NOFOLLOW); the records of that replacement follow too.
  return ec == sys::errc::no_such_file_or_directory || ec == sys::errc::not_a_directory ||
         ec == sys::errc::too_many_symbolic_link_levels;
}

std::size_t watch_engine::entries() const noexcept {
  std::size_t n = 0;
  for (const auto& root : roots_)
    n += root->tree.size();
  return n;
}

std::size_t watch_engine::memory_bytes() const noexcept {
  std::size_t bytes = watches_.size() * (sizeof(std::pair<int, watch_ref>) + 2 * sizeof(void*));
  for (const auto& root : roots_)
    bytes += root->tree.memory_bytes();
  return bytes;
}

std::vector<std::string> watch_engine::root_paths() const {
  std::vector<std::string> out;
  for (const auto& root : roots_)
    out.push_back(root->path);
  return out;
}

watch_engine::root_state* watch_engine::find_root(const std::string& path) const {
  for (const auto& root : roots_)
    if (root->path == path)
      return root.get();
  return nullptr;
}

sys::error_code watch_engine::check_overlap(const std::string& path) const {
  for (const auto& root : roots_)
    if (is_within(path, root->path) || is_within(root->path, path))
      return errc::already_watched;
  return {};
}

// ---------------------------------------------------------------------------------------------
// Roots

sys::error_code watch_engine::add_root(const std::string& path, const watch_options& options,
                                       const time_sample& now) {
  if (sys::error_code ec = check_overlap(path))
    return ec;

  auto root = std::make_unique<root_state>();
  root->path = path;
  root->options = options;
  sys::error_code ec;
  for (const std::string& pattern : options.exclude) {
    root->exclude.add(pattern, ec);
    if (ec)
      return ec;
  }
  for (const std::string& pattern : options.include) {
    root->include.add(pattern, ec);
    if (ec)
      return ec;
  }

  entry_type type = entry_type::unknown;
  entry_status status;
  if ((ec = fs_.status(path, true, type, status)))
    return ec;
  std::string directory = path;
  if (type != entry_type::directory) {
    std::size_t slash = path.find_last_of('/');
    directory = slash == 0 ? std::string("/") : path.substr(0, slash);
    root->only_name = path.substr(slash + 1);
    root->file_root = true;
    if ((ec = fs_.status(directory, true, type, status)))
      return ec;
    if (type != entry_type::directory)
      return sys::errc::make_error_code(sys::errc::not_a_directory);
  }
  root->tree = entry_tree(directory, entry_type::directory, mode_ == backend::poll);
  root->watched_inode = status.inode;
  root->watched_mount = status.mount_id;

  now_ = now;
  std::size_t output_before = output_.size();
  // The startup scan's watches are not noted (new_watches_): a marker would queue a record
  // ahead of the first read of every monitor, and noting costs a set insertion per directory of
  // the whole tree. Renames during the scan that it saw already are the one case this leaves
  // to the records.
  struct not_noting {
    bool& flag;
    explicit not_noting(bool& f) : flag(f) { flag = false; }
    ~not_noting() { flag = true; }
  } startup_scan{note_new_watches_};
  if (mode_ == backend::inotify) {
    if ((ec = watch_directory(*root, root->tree, root->tree.root(), directory, watch_kind::root)))
      return ec;
  }
  scan_mode mode;
  mode.watch = mode_ == backend::inotify;
  mode.stat = mode_ == backend::poll;
  mode.report_created = options.initial_listing;
  mode.fail_fast = true;
  ec = scan(*root, root->tree, root->tree.root(), directory, mode);
  if (ec) {
    forget_watches(*root, root->tree, root->tree.root(), true);
    while (output_.size() > output_before) { // nothing of a failed add is reported
      output_.pop_back();
      --emitted_;
      --counters_.events;
    }
    return ec;
  }
  if (last_consistent_wall_ns_ == 0)
    last_consistent_wall_ns_ = now.wall_ns;
  if (mode_ == backend::inotify && !identity_check_at_)
    identity_check_at_ = now.steady + std::chrono::seconds(1);
  roots_.push_back(std::move(root));
  return {};
}

sys::error_code watch_engine::remove_root(const std::string& path) {
  root_state* root = find_root(path);
  if (!root)
    return errc::not_watched;
  drop_root(*root, true);
  return {};
}

void watch_engine::drop_root(root_state& root, bool remove_watches) {
  if (arrival_ && arrival_->root == &root)
    arrival_.reset();
  held_.erase(std::remove_if(held_.begin(), held_.end(),
                             [&](const held_move& m) { return m.root == &root; }),
              held_.end());
  forget_watches(root, root.tree, root.tree.root(), remove_watches);
  forget_pending_looks(root);
  roots_.erase(std::find_if(roots_.begin(), roots_.end(),
                            [&](const auto& r) { return r.get() == &root; }));
}

void watch_engine::forget_pending_looks(root_state& root) {
  root.looks_overdue.clear();
  for (auto it = pending_looks_.begin(); it != pending_looks_.end();)
    it = it->second.root == &root ? pending_looks_.erase(it) : std::next(it);
}

void watch_engine::root_gone(root_state& root) {
  // Expiring replays deferred records, which may resolve other holds: re-check the size.
  for (std::size_t i = held_.size(); i-- > 0;)
    if (i < held_.size() && held_[i].root == &root)
      expire_move(i);
  if (root.file_root) {
    node_id file = root.tree.find(root.tree.root(), root.only_name);
    if (file != no_node)
      emit(root, event_kind::removed, root.path, root.tree[file].type);
  } else {
    emit_raw(fs_event{event_kind::removed, path_from_text(root.path), {}, entry_type::directory, {}});
  }
  emit_raw(fs_event{event_kind::error, path_from_text(root.path), {},
                    root.file_root ? entry_type::unknown : entry_type::directory, errc::root_removed});
  drop_root(root, true);
}

// ---------------------------------------------------------------------------------------------
// Scanning and watching

bool watch_engine::accepts(const root_state& root, const entry_tree& tree, node_id parent,
                           std::string_view name, bool is_directory) const {
  if (root.file_root)
    return parent == tree.root() && name == root.only_name;
  if (root.exclude.empty())
    return true;
  std::string relative = tree.relative_path(parent);
  if (!relative.empty())
    relative += '/';
  relative += name;
  return !root.exclude.matches(relative, is_directory);
}

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
  if (note_new_watches_ && &tree == &root.tree && mode_ == backend::inotify) {
    if (new_watches_.empty() || new_watches_.back().first >= 0)
      new_watches_.emplace_back(-1, std::unordered_set<int>{});
    new_watches_.back().second.insert(watch);
  }
  return {};
}

void watch_engine::drop_records_read_of(int watch) {
  // Every record of the watch read so far describes the directory's past: the scan that follows
  // the watch sees what they did. Handled later, they would land on the node the directory has
  // now, after it was listed. They are held back (while its old node was between the halves of
  // a move), still to come in this read (replayed ones among them), or kept undecided for the
  // next read.
  const auto of_watch = [watch](const auto& r) { return r.watch == watch; };
  deferred_.erase(std::remove_if(deferred_.begin(), deferred_.end(), of_watch), deferred_.end());
  if (reading_records_) {
    const auto rest = records_.begin() + static_cast<std::ptrdiff_t>(next_record_);
    records_.erase(std::remove_if(rest, records_.end(), of_watch), records_.end());
  }
  if (!undecided_records_.empty()) {
    std::vector<inotify_record> kept;
    parse_inotify_records(undecided_records_, kept);
    std::string rest;
    for (const inotify_record& r : kept)
      if (r.watch != watch)
        append_inotify_record(rest, r.watch, r.mask, r.cookie, r.name);
    undecided_records_ = std::move(rest);
  }
}

void watch_engine::drop_records_unread_of(int watch) {
  // The records of the watch still in the kernel's queue describe the directory's past as well:
  // they come before a marker queued now, before the directory is read.
  const int marker = fs_.mark_queue();
  if (marker >= 0)
    records_before_marker_[watch] = marker;
  picture_may_be_ahead(marker); // the watch moved: the scan met the directory where it is now
}

void watch_engine::picture_may_be_ahead(int marker) {
  if (marker < 0)
    marker = fs_.mark_queue();
  if (marker >= 0)
    picture_ahead_marker_ = marker; // the last one queued is read last
}

void watch_engine::mark_new_watches() {
  // One marker for every look of the entry point: the records queued before it include all
  // those queued before any of them.
  if (new_watches_.empty() || new_watches_.back().first >= 0)
    return;
  const int marker = fs_.mark_queue();
  if (marker >= 0)
    new_watches_.back().first = marker;
  else
    new_watches_.pop_back(); // nothing would end the window
}

bool watch_engine::is_new_watch(int watch) const {
  return std::any_of(new_watches_.begin(), new_watches_.end(),
                     [watch](const auto& batch) { return batch.second.count(watch) != 0; });
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
    emit_raw(fs_event{event_kind::error, path_from_text(path), {}, type, ec});
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
  struct pending {
    node_id node;
    std::string path;
  };
  std::vector<pending> stack;
  stack.push_back({start, start_path});
  std::vector<listed_entry> entries;
  while (!stack.empty()) {
    pending dir = std::move(stack.back());
    stack.pop_back();
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
      if (!is_vanished(ec))
        report_problem(root, dir.path, entry_type::directory, ec);
      else if (mode.watch)
        root.stale.insert(dir.node); // renamed since it was met: scanned again later
      continue;
    }
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
      stack.push_back({child, std::move(child_path)});
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
  // The scan watches the node first unless it is watched.
  scan_mode mode;
  mode.watch = true;
  mode.report_created = true;
  mode.verify = verify;
  return scan(root, root.tree, node, path, mode);
}

void watch_engine::watch_and_scan(root_state& root, node_id node, const std::string& path) {
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

namespace {

// The same type of entry, where `unknown` (a type that could not be read in time) stands for any
// non-directory: a symlink replaced by a file under the same name is another entry.
bool same_kind(entry_type a, entry_type b) {
  if (a == entry_type::unknown || b == entry_type::unknown)
    return (a == entry_type::directory) == (b == entry_type::directory);
  return a == b;
}

} // namespace

void watch_engine::drop_unlisted(root_state& root, node_id dir,
                                 const std::vector<listed_entry>& entries) {
  entry_tree& tree = root.tree;
  std::unordered_map<std::string_view, entry_type> on_disk;
  for (const listed_entry& entry : entries)
    on_disk.emplace(entry.name, entry.type);
  std::vector<node_id> gone;
  for (node_id c = tree[dir].first_child; c != no_node; c = tree[c].next_sibling) {
    if (c == root.limbo)
      continue;
    auto it = on_disk.find(tree[c].name);
    if (it == on_disk.end() || !same_kind(tree[c].type, it->second))
      gone.push_back(c);
  }
  for (node_id c : gone)
    if (tree[c].in_use && tree[c].parent == dir) // removing one may have expired others
      entry_removed(root, c);
}

// ---------------------------------------------------------------------------------------------
// inotify records

void watch_engine::on_inotify_bytes(std::string_view bytes, const time_sample& now) {
  std::string joined;
  if (!undecided_records_.empty() || !partial_record_.empty()) {
    joined = std::move(undecided_records_);
    joined += partial_record_;
    joined.append(bytes);
    bytes = joined;
  }
  const bool was_undecided = !undecided_records_.empty();
  const auto undecided_since = undecided_deadline_;
  undecided_records_.clear();
  partial_record_.clear();
  now_ = now;
  std::uint64_t overflows_before = counters_.overflows;
  inotify_parse_result parsed = handle_records(bytes, true);
  if (was_undecided && !undecided_records_.empty()) // still undecided: the first deadline holds
    undecided_deadline_ = std::min(undecided_deadline_, undecided_since);
  if (parsed.malformed) {
    // Cannot come from the kernel; if it ever does, what followed is lost: rebuild from disk.
    overflow();
  } else if (parsed.consumed < bytes.size()) {
    partial_record_.assign(bytes.substr(parsed.consumed));
  }
  // Only news can change what a look again finds: the IN_IGNORED of a watch that a look added
  // and removed again must not start the next look.
  if (std::exchange(records_had_news_, false))
    retry_unwatched();
  retry_blocked_if_due();
  mark_new_watches();
  if (counters_.overflows == overflows_before)
    last_consistent_wall_ns_ = now.wall_ns;
}

inotify_parse_result watch_engine::handle_records(std::string_view bytes, bool more_may_follow) {
  records_.clear();
  inotify_parse_result parsed = parse_inotify_records(bytes, records_);
  handle_record_sequence(more_may_follow);
  return parsed;
}

void watch_engine::handle_record_sequence(bool more_may_follow) {
  reading_records_ = true;
  more_may_follow_ = more_may_follow;
  next_record_ = 0;
  handle_remaining_records();
  reading_records_ = false;
  records_.clear();
  replayed_names_.clear();
  if (overflow_marker_ == gap_ends_with_this_read)
    end_of_overflow_gap();
}

void watch_engine::handle_remaining_records() {
  while (next_record_ < records_.size()) {
    if (more_may_follow_ && (awaits_second_half(next_record_) || awaits_destination(next_record_))) {
      for (std::size_t i = next_record_; i < records_.size(); ++i)
        append_inotify_record(undecided_records_, records_[i].watch, records_[i].mask,
                              records_[i].cookie, records_[i].name);
      undecided_deadline_ = now_.steady + options_.rename_hold;
      next_record_ = records_.size();
      break;
    }
    // A copy: handling it may insert records after it (replay_deferred).
    const inotify_record record = records_[next_record_++];
    handle_record(record);
  }
}

void watch_engine::handle_record(const inotify_record& record) {
  ++counters_.records;
  if (arrival_)
    forget_arrival_unless_between(record);
  if (record.mask & inotify_flag::queue_overflow) {
    overflow();
    return;
  }
  if (picture_ahead_marker_ >= 0 && record.watch == picture_ahead_marker_ &&
      (record.mask & inotify_flag::ignored) != 0)
    picture_ahead_marker_ = -1; // the records from here on were queued after the look
  if (overflow_marker_ >= 0 && record.watch == overflow_marker_ &&
      (record.mask & inotify_flag::ignored) != 0)
    end_of_overflow_gap();
  if (!new_watches_.empty() && (record.mask & inotify_flag::ignored) != 0) {
    // The markers are read in the order they were queued.
    auto ended = std::find_if(new_watches_.begin(), new_watches_.end(),
                              [&](const auto& batch) { return batch.first == record.watch; });
    if (ended != new_watches_.end())
      new_watches_.erase(new_watches_.begin(), std::next(ended));
  }
  if (!records_before_marker_.empty() && drop_if_before_marker(record))
    return;
  auto range = watches_.equal_range(record.watch);
  if (range.first == range.second) {
    // A watch we removed: its last records and IN_IGNORED are still in the queue. The IN_IGNORED
    // of one that a look again added and removed says that the look's news have all been read.
    if ((record.mask & inotify_flag::ignored) != 0 && !pending_looks_.empty())
      look_is_due(record.watch);
    return;
  }
  records_had_news_ = true;
  // Handling may drop roots and watches: work on a copy of the references. More than one only
  // for file roots sharing their parent directory.
  std::vector<watch_ref> refs;
  watch_ref single{};
  std::size_t count = 0;
  for (auto it = range.first; it != range.second; ++it, ++count) {
    if (count == 0) {
      single = it->second;
    } else {
      if (count == 1)
        refs.push_back(single);
      refs.push_back(it->second);
    }
  }
  const watch_ref* first = count == 1 ? &single : refs.data();
  const watch_ref* last = first + count;
  if (overflow_marker_ != -1) {
    for (const watch_ref* ref = first; ref != last; ++ref) {
      ref->root->touched_after_overflow.insert(ref->node);
      if (record.name.empty() && ref->root->tree[ref->node].parent != no_node)
        ref->root->touched_after_overflow.insert(ref->root->tree[ref->node].parent);
    }
  }
  if (!held_.empty()) {
    for (const watch_ref* ref = first; ref != last; ++ref) {
      if (in_limbo(*ref->root, ref->node)) {
        // The directory is between the two halves of a move: its path is unknown until the
        // "moved to" comes or the hold expires.
        deferred_.push_back({record.watch, record.mask, record.cookie, std::string(record.name)});
        return;
      }
    }
  }
  for (const watch_ref* ref_ptr = first; ref_ptr != last; ++ref_ptr) {
    const watch_ref& ref = *ref_ptr;
    root_state& root = *ref.root;
    if (record.mask & inotify_flag::ignored) {
      if (ref.node == root.tree.root()) {
        root_gone(root);
      } else {
        // The directory is gone; its record in the parent usually follows. Until then the node
        // is looked at again where the picture has it: a picture that was wrong about which
        // directory that was (records of a swap the disk could not confirm) learns what the
        // path holds instead.
        root.tree[ref.node].watch = -1;
        root.stale.insert(ref.node);
        auto again = watches_.equal_range(record.watch);
        for (auto it = again.first; it != again.second; ++it) {
          if (it->second.root == &root && it->second.node == ref.node) {
            watches_.erase(it);
            --counters_.watches;
            break;
          }
        }
      }
      continue;
    }
    if (record.name.empty())
      handle_self(root, ref.node, record.mask);
    else
      handle_named(root, ref.node, record.mask, record.cookie, record.name);
  }
}

void watch_engine::handle_self(root_state& root, node_id dir, std::uint32_t mask) {
  // A subdirectory's own records repeat what its parent's watch reports by name; only the
  // root's matter.
  if (dir != root.tree.root())
    return;
  if (mask & (inotify_flag::delete_self | inotify_flag::move_self | inotify_flag::unmount)) {
    reexamine_root(root);
    return;
  }
  if ((mask & inotify_flag::attrib) && !root.file_root) {
    emit(root, event_kind::attributes, root.path, entry_type::directory);
    if (root.rescan_due_since)
      retry_rescan(root);
    else if (!root.problems_reported.empty())
      retry_problem_directories(root, root.tree.root());
  }
}

void watch_engine::handle_named(root_state& root, node_id dir, std::uint32_t mask,
                                std::uint32_t cookie, std::string_view name) {
  entry_tree& tree = root.tree;
  bool is_directory = (mask & inotify_flag::is_dir) != 0;
  if (!accepts(root, tree, dir, name, is_directory)) {
    if (mask & inotify_flag::moved_to) {
      // Renamed to an ignored name: for the watched tree, the entry left.
      for (std::size_t i = 0; i < held_.size(); ++i)
        if (held_[i].cookie == cookie && cookie != 0) {
          expire_move(i);
          break;
        }
    }
    return;
  }
  node_id child = tree.find(dir, name);
  if (mask & inotify_flag::create) {
    if (child != no_node) {
      if (is_directory == (tree[child].type == entry_type::directory)) {
        ++counters_.duplicates_suppressed; // a scan of a new directory found it first
        return;
      }
      entry_removed(root, child);
    }
    entry_appeared(root, dir, name, is_directory);
  } else if (mask & (inotify_flag::delete_entry | inotify_flag::moved_from)) {
    if (child == no_node)
      return;
    // An entry of the other kind left: the picture has a later entry of the name, met by a scan
    // that read ahead of this record (the directory's records read before the scan took its
    // watch are dropped, not those still in the queue). The one that left is not in it.
    if (is_directory != (tree[child].type == entry_type::directory)) {
      ++counters_.records_behind_picture;
      return;
    }
    if (mask & inotify_flag::delete_entry)
      entry_removed(root, child);
    else if (!moved_from_names_another(root, dir, child, name, cookie, is_directory))
      park_move(root, child, cookie, is_directory);
  } else if (mask & inotify_flag::moved_to) {
    if (!finish_move(root, dir, name, cookie)) {
      node_id existing = tree.find(dir, name);
      if (existing != no_node)
        entry_removed(root, existing);
      entry_appeared(root, dir, name, is_directory);
      if (existing != no_node) // the first half of an exchange, perhaps
        note_arrival(root, dir, name, cookie, is_directory, true);
    }
  } else if (mask & (inotify_flag::modify | inotify_flag::attrib)) {
    if (child == no_node) {
      // The entry's creation was never seen, or this is a write or a change of attributes
      // through a descriptor of a file whose name already left: the kernel names an unlinked
      // file in its old directory still, after its IN_DELETE. Reported, as what it is now, only
      // if the name is there.
      if (!is_directory && name_is_gone(root, dir, name)) {
        ++counters_.records_behind_picture;
        return;
      }
      entry_appeared(root, dir, name, is_directory);
      return;
    }
    event_kind kind = (mask & inotify_flag::modify) ? event_kind::modified : event_kind::attributes;
    emit(root, kind, tree.path(child), tree[child].type);
    if (kind == event_kind::attributes && !root.problems_reported.empty())
      retry_problem_directories(root, child);
  }
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

bool watch_engine::name_is_gone(root_state& root, node_id dir, std::string_view name) {
  entry_type type = entry_type::unknown;
  entry_status status;
  return is_vanished(fs_.status(join_path(root.tree.path(dir), name), false, type, status));
}

void watch_engine::entry_appeared(root_state& root, node_id dir, std::string_view name,
                                  bool is_directory) {
  if (!held_.empty())
    expire_moves_from(root, dir, name);
  entry_tree& tree = root.tree;
  std::string path = join_path(tree.path(dir), name);
  entry_type type = entry_type::directory;
  sys::error_code status_error;
  if (!is_directory) {
    // inotify only tells directories apart; a file, a symlink, a FIFO or a socket takes a look.
    entry_status status;
    if ((status_error = fs_.status(path, false, type, status)))
      type = entry_type::unknown;
    else if (type == entry_type::directory)
      type = entry_type::unknown; // a later directory of the same name: its own record follows
  }
  node_id child = tree.insert(dir, name, type);
  if (type == entry_type::directory && root.recursive()) {
    emit(root, event_kind::created, path, type);
    watch_and_scan(root, child, path);
  } else if (status_error && !is_vanished(status_error)) {
    // Not gone (its removal would follow) but out of reach: a path of PATH_MAX bytes or more,
    // or a parent without search permission. Its type stays unknown; the error says why.
    emit(root, event_kind::created, path, type);
    report_problem(root, path, type, status_error);
  } else {
    emit(root, event_kind::created, std::move(path), type); // unknown if gone: removal follows
  }
}

void watch_engine::entry_removed(root_state& root, node_id node) {
  // Entries moved out of it and still held are reported first, under their paths in it.
  expire_moves_under(root, node);
  entry_tree& tree = root.tree;
  std::string path = tree.path(node);
  entry_type type = tree[node].type;
  forget_watches(root, tree, node, true);
  tree.erase(node);
  emit(root, event_kind::removed, std::move(path), type);
}

void watch_engine::park_move(root_state& root, node_id node, std::uint32_t cookie,
                             bool directory_in_record) {
  entry_tree& tree = root.tree;
  const auto deadline = undecided_records_due_ ? now_.steady : now_.steady + options_.rename_hold;
  held_move move{&root, node, tree[node].parent, tree[node].name, tree[node].type, cookie, deadline,
                 directory_in_record, tree[node].watch};
  if (root.limbo == no_node)
    root.limbo = tree.insert(tree.root(), limbo_name, entry_type::directory);
  // Detach it at once, so that a new entry of the old name is not taken for it.
  std::string parked_name = std::to_string(cookie) + '/' + std::to_string(counters_.records);
  while (tree.find(root.limbo, parked_name) != no_node)
    parked_name += '+';
  tree.move(node, root.limbo, parked_name);
  held_.push_back(std::move(move));
}

bool watch_engine::finish_move(root_state& root, node_id dir, std::string_view name,
                               std::uint32_t cookie) {
  auto it = std::find_if(held_.begin(), held_.end(),
                         [&](const held_move& m) { return m.cookie == cookie && cookie != 0; });
  if (it == held_.end())
    return false;
  if (it->root != &root) {
    // From one root into another: out of the first, into the second.
    expire_move(static_cast<std::size_t>(it - held_.begin()));
    return false;
  }
  entry_tree& tree = root.tree;
  if (node_id target = tree.find(dir, name); target != no_node) {
    // Renamed over a directory that holds the place it came from: impossible for the tree as it
    // is, so the picture there is older than these records (a scan placed a directory where it
    // went later). What is sure: the old entry left, and the target now holds something new.
    if (tree.holds(target, it->from_parent)) {
      expire_move(static_cast<std::size_t>(it - held_.begin()));
      return false;
    }
  }
  held_move move = std::move(*it);
  held_.erase(it);
  std::string old_path = join_path(entry_path(root, move.from_parent), move.name);
  expire_moves_from(root, dir, name);
  node_id existing = tree.find(dir, name);
  bool existing_is_directory = false;
  if (existing != no_node && take_second_half(root, move, dir, name, existing, existing_is_directory)) {
    finish_exchange(root, move, existing, existing_is_directory);
    replay_deferred();
    return true;
  }
  const bool name_was_taken = existing != no_node;
  if (name_was_taken)
    entry_removed(root, existing); // rename(2) over an existing entry replaces it
  tree.move(move.node, dir, name);
  if (tree[root.limbo].first_child == no_node) {
    tree.erase(root.limbo);
    root.limbo = no_node;
  }
  ++counters_.renames_paired;
  std::string new_path = tree.path(move.node);
  emit(root, event_kind::renamed, new_path, type_to_report(root, move.node, new_path),
       std::move(old_path));
  // The first half of an exchange with an entry not pictured yet, perhaps: told by the kinds
  // (a directory moved out where a non-directory came in, or the reverse), by where the next
  // move of the name goes (back here, for a swap), and then by the disk: for a watched
  // directory, whether the name still holds it; otherwise, whether the name is taken.
  note_arrival(root, dir, name, cookie, move.directory_in_record, name_was_taken,
               tree[move.from_parent].watch, move.name);
  check_type_where_moved(root, move.node, new_path, move.type);
  // A directory coming from where it was not watched (its watch went to a newer node, or its
  // path was stale) is watched and scanned now.
  if (move.type == entry_type::directory && root.recursive() && tree[move.node].watch < 0)
    watch_and_scan(root, move.node, new_path);
  // A rename queued before a look that placed directories as the disk had them (a rescan, a
  // scan that took a watch to another node, an uncrossing) may be one that look saw already:
  // the node the name held is then a later entry of it. Renames that move directories between
  // names (`mv a x; mv b a; mv x b`) then cross the picture, and no record to come says so.
  // Each watched directory they move is looked at again where it lands (verify_contents),
  // which uncrosses two crossed ones.
  // So may a rename of a directory that a look watched as new, while records queued before
  // that look are still to come: the look met what held the name then, perhaps a later entry
  // of it (`mkdir b` read, looked at after `mv a t; mv b a; mv t b`).
  else if (move.type == entry_type::directory && tree[move.node].watch >= 0 &&
           (picture_ahead_marker_ >= 0 || is_new_watch(tree[move.node].watch)))
    root.contents_to_verify.insert(move.node);
  replay_deferred();
  return true;
}

entry_type watch_engine::type_to_report(root_state& root, node_id node, const std::string& path) {
  entry_type& type = root.tree[node].type;
  if (type != entry_type::unknown)
    return type;
  // Seen first by a record of its creation handled after it had moved on (`echo > a; mv a b`
  // read as one batch). Where it went tells. A directory there is a later entry of that name
  // (its own records follow), and nothing there means its removal follows: unknown stays.
  entry_type found = entry_type::unknown;
  entry_status status;
  if (!fs_.status(path, false, found, status) && found != entry_type::directory)
    type = found;
  return type;
}

sys::error_code watch_engine::check_moved_type(root_state& root, node_id node,
                                              const std::string& path, entry_type reported) {
  // A non-directory's type came from an lstat when its creation was handled, and that may have
  // met a later entry of the same name: this one renamed away and another created in its place
  // before the records were read. Look at it where it went. A type there that differs means the
  // `created` named the wrong one: to the reader, the entry is replaced by what is there now.
  // That may itself be a later entry than this one; then its records follow, and they fix it.
  entry_type type = reported;
  entry_status status;
  sys::error_code status_error = fs_.status(path, false, type, status);
  if (status_error) {
    if (!is_vanished(status_error))
      report_problem(root, path, reported, status_error);
    return status_error;
  }
  if (type == reported || type == entry_type::directory)
    return {}; // the same, or replaced by a directory: its records follow
  root.tree[node].type = type;
  if (reported == entry_type::unknown)
    return {}; // the reader knows no type to correct
  emit(root, event_kind::removed, path, reported);
  emit(root, event_kind::created, path, type);
  return {};
}

void watch_engine::expire_move(std::size_t index) {
  root_state& root = *held_[index].root;
  node_id node = held_[index].node;
  // Entries held from inside this one go first: their paths pass through it.
  expire_moves_under(root, node);
  auto it = std::find_if(held_.begin(), held_.end(),
                         [&](const held_move& m) { return m.root == &root && m.node == node; });
  held_move move = std::move(*it);
  std::string old_path = join_path(entry_path(root, move.from_parent), move.name);
  held_.erase(it);
  entry_tree& tree = root.tree;
  forget_watches(root, tree, move.node, true);
  tree.erase(move.node);
  if (tree[root.limbo].first_child == no_node) {
    tree.erase(root.limbo);
    root.limbo = no_node;
  }
  ++counters_.moves_expired;
  emit(root, event_kind::removed, std::move(old_path), move.type);
  replay_deferred();
}

void watch_engine::expire_moves_under(root_state& root, node_id node) {
  auto is_under = [&](node_id n) {
    for (; n != no_node; n = root.tree[n].parent)
      if (n == node)
        return true;
    return false;
  };
  for (;;) {
    auto it = std::find_if(held_.begin(), held_.end(), [&](const held_move& m) {
      return m.root == &root && m.node != node && is_under(m.from_parent);
    });
    if (it == held_.end())
      return;
    expire_move(static_cast<std::size_t>(it - held_.begin()));
  }
}

void watch_engine::expire_moves_from(root_state& root, node_id dir, std::string_view name) {
  // A held entry left its name free when it was moved away; whatever takes that name now came
  // after it, so the held entry's own event goes first. Its "moved to" cannot have been read
  // yet, so that event is `removed`: were the other half still to come, it reads as a new entry.
  for (std::size_t i = 0; i < held_.size();) {
    const held_move& m = held_[i];
    if (m.root == &root && m.from_parent == dir && m.name == name) {
      expire_move(i);
      i = 0; // expiring replays deferred records, which may resolve other holds
    } else {
      ++i;
    }
  }
}

std::string watch_engine::entry_path(const root_state& root, node_id node) const {
  if (!in_limbo(root, node))
    return root.tree.path(node);
  std::vector<node_id> chain;
  node_id parked = node;
  while (root.tree[parked].parent != root.limbo) {
    chain.push_back(parked);
    parked = root.tree[parked].parent;
  }
  auto it = std::find_if(held_.begin(), held_.end(),
                         [&](const held_move& m) { return m.root == &root && m.node == parked; });
  std::string path = it == held_.end() ? root.tree.path(parked)
                                       : join_path(entry_path(root, it->from_parent), it->name);
  for (auto c = chain.rbegin(); c != chain.rend(); ++c)
    path = join_path(path, root.tree[*c].name);
  return path;
}

std::string watch_engine::check() const {
  for (const auto& root_ptr : roots_) {
    const root_state& root = *root_ptr;
    const entry_tree& tree = root.tree;
    if (std::string problem = tree.check(); !problem.empty())
      return root.path + ": " + problem;
    std::string problem;
    std::size_t watched = 0;
    tree.for_each_preorder(tree.root(), [&](node_id id, std::size_t) {
      int watch = tree[id].watch;
      if (watch < 0 || !problem.empty())
        return;
      ++watched;
      auto range = watches_.equal_range(watch);
      if (std::none_of(range.first, range.second, [&](const auto& entry) {
            return entry.second.root == &root && entry.second.node == id;
          }))
        problem = tree.path(id) + " has watch " + std::to_string(watch) + ", which does not name it";
    });
    if (!problem.empty())
      return root.path + ": " + problem;
    std::size_t refs = 0;
    for (const auto& [watch, ref] : watches_) {
      if (ref.root != &root)
        continue;
      ++refs;
      if (ref.node >= tree.node_slots() || !tree[ref.node].in_use)
        return root.path + ": watch " + std::to_string(watch) + " names a node not in use";
      if (tree[ref.node].watch != watch)
        return root.path + ": watch " + std::to_string(watch) + " names " + tree.path(ref.node) +
               ", which has watch " + std::to_string(tree[ref.node].watch);
    }
    if (refs != watched)
      return root.path + ": " + std::to_string(refs) + " watch references for " +
             std::to_string(watched) + " watched directories";
    if (root.limbo != no_node && (!tree[root.limbo].in_use || tree[root.limbo].parent != tree.root()))
      return root.path + ": the limbo node is not in place";
  }
  for (const held_move& m : held_) {
    const entry_tree& tree = m.root->tree;
    if (!tree[m.node].in_use || tree[m.node].parent != m.root->limbo)
      return "held move " + std::to_string(m.cookie) + ": its node is not parked in limbo";
    if (!tree[m.from_parent].in_use)
      return "held move " + std::to_string(m.cookie) + ": the directory it left is gone";
  }
  return {};
}

bool watch_engine::in_limbo(const root_state& root, node_id node) const {
  if (root.limbo == no_node)
    return false;
  for (node_id n = node; n != no_node; n = root.tree[n].parent)
    if (n == root.limbo)
      return true;
  return false;
}

void watch_engine::replay_deferred() {
  if (deferred_.empty())
    return;
  std::vector<deferred_record> held_back;
  held_back.swap(deferred_);
  // They are handled as a read is, so that an exchange among them is told from two renames;
  // their names are kept until the read ends.
  std::vector<inotify_record> sequence;
  sequence.reserve(held_back.size());
  for (deferred_record& d : held_back) {
    replayed_names_.push_back(std::move(d.name));
    sequence.push_back(inotify_record{d.watch, d.mask, d.cookie, replayed_names_.back()});
  }
  if (reading_records_) {
    // Within a read: they were queued before the rest of it (which comes after the record that
    // freed them), so they come next, once the record being handled is done.
    records_.insert(records_.begin() + static_cast<std::ptrdiff_t>(next_record_), sequence.begin(),
                    sequence.end());
    return;
  }
  // From a timer or a scan: a read of their own.
  records_ = std::move(sequence);
  handle_record_sequence(false);
}

void watch_engine::on_timer(const time_sample& now) {
  now_ = now;
  if (!undecided_records_.empty()) {
    // No second half came in time (or a held move, perhaps the first half's, is due): the kept
    // records are handled as they are, before any hold expires.
    bool due = undecided_deadline_ <= now.steady ||
               std::any_of(held_.begin(), held_.end(),
                           [&](const held_move& m) { return m.deadline <= now.steady; });
    if (due) {
      std::string records = std::move(undecided_records_);
      undecided_records_.clear();
      undecided_records_due_ = true;
      handle_records(records, false);
      undecided_records_due_ = false;
    }
  }
  for (std::size_t i = 0; i < held_.size();) {
    if (held_[i].deadline <= now.steady)
      expire_move(i);
    else
      ++i;
  }
  retry_unwatched();
  retry_blocked_if_due();
  if (identity_check_at_ && now.steady >= *identity_check_at_)
    check_root_identities();
  mark_new_watches();
}

std::optional<std::chrono::steady_clock::time_point> watch_engine::next_identity_check() const {
  if (roots_.empty())
    return std::nullopt;
  return identity_check_at_;
}

std::optional<std::chrono::steady_clock::time_point> watch_engine::next_deadline() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  if (!undecided_records_.empty())
    next = undecided_deadline_;
  for (const held_move& m : held_)
    if (!next || m.deadline < *next)
      next = m.deadline;
  if (limit_retry_at_ && (!next || *limit_retry_at_ < *next))
    next = limit_retry_at_;
  return next;
}

// ---------------------------------------------------------------------------------------------
// Overflow, polling and the diff they share

bool watch_engine::drop_if_before_marker(const inotify_record& record) {
  if ((record.mask & inotify_flag::ignored) != 0) {
    for (auto it = records_before_marker_.begin(); it != records_before_marker_.end();)
      it = it->second == record.watch ? records_before_marker_.erase(it) : std::next(it);
  }
  return records_before_marker_.count(record.watch) != 0;
}

void watch_engine::overflow() {
  ++counters_.overflows;
  arrival_.reset();
  records_before_marker_.clear(); // markers may be among the records lost
  new_watches_.clear(); // the rescan's marker covers them
  // The kernel lost records: the other halves of held moves may be among them.
  while (!held_.empty())
    expire_move(0);
  deferred_.clear();
  undecided_records_.clear(); // older than the overflow: the reconciliation sees their outcome
  // Timestamps have coarse granularity on some file systems: look a little further back.
  std::int64_t since = last_consistent_wall_ns_ - std::int64_t(2'000'000'000);
  std::vector<root_state*> roots;
  for (const auto& root : roots_)
    roots.push_back(root.get());
  for (root_state* root : roots) {
    emit_raw(fs_event{event_kind::overflow, path_from_text(root->path), {}, entry_type::directory, {}});
    reconcile(*root, since < 0 ? 0 : since);
  }
  // The records queued while the directories were listed come before a marker queued now.
  picture_ahead_marker_ = -1;
  overflow_marker_ = -1;
  if (mode_ == backend::inotify) {
    picture_may_be_ahead();
    // Without a marker (the watch limit is reached, or the kernel is older than 4.18) nothing
    // tells when the records before the gap are all read: the directories the rest of this
    // read touches are listed again after it, which covers a gap within it.
    overflow_marker_ = picture_ahead_marker_ >= 0 ? picture_ahead_marker_ : gap_ends_with_this_read;
  }
}

void watch_engine::end_of_overflow_gap() {
  overflow_marker_ = -1;
  for (const auto& root : roots_) {
    for (node_id node : root->touched_after_overflow)
      root->contents_to_verify.insert(node);
    root->touched_after_overflow.clear();
  }
  records_had_news_ = true; // the looks again are due now
}

void watch_engine::reconcile(root_state& root, std::int64_t changed_since_ns) {
  const std::string directory = root.tree[root.tree.root()].name;
  entry_tree fresh(directory, entry_type::directory, true);
  std::vector<std::pair<node_id, int>> old_watches;
  const auto there_but_unreadable = [](const sys::error_code& ec) {
    return !is_vanished(ec) && ec != errc::watch_limit_reached;
  };
  // Still there, but unreadable now (its mode changed): the root stays, with the picture of its
  // last listing and, for inotify, its watches. The error is said once; a poll, or the root's
  // IN_ATTRIB and the identity check each second, try again, and what changed meanwhile is
  // reported once the root can be read.
  auto keep_unreadable_root = [&](sys::error_code ec) {
    if (mode_ == backend::inotify) {
      for (const auto& [node, watch] : old_watches) {
        root.tree[node].watch = watch;
        watches_.emplace(watch, watch_ref{&root, node});
        ++counters_.watches;
      }
      if (!root.rescan_due_since || changed_since_ns < *root.rescan_due_since)
        root.rescan_due_since = changed_since_ns;
    }
    report_problem(root, directory, entry_type::directory, ec);
  };
  if (mode_ == backend::inotify) {
    // Re-watching a directory gives its old watch id back; map them to the fresh tree's nodes.
    root.tree.for_each_preorder(root.tree.root(), [&](node_id id, std::size_t) {
      if (root.tree[id].watch >= 0)
        old_watches.emplace_back(id, root.tree[id].watch);
    });
    forget_watches(root, root.tree, root.tree.root(), false);
    sys::error_code ec = watch_directory(root, fresh, fresh.root(), directory, watch_kind::root);
    if (ec && there_but_unreadable(ec))
      return keep_unreadable_root(ec);
    if (ec) {
      for (const auto& old : old_watches)
        fs_.remove_watch(old.second);
      root_gone(root);
      return;
    }
  }
  scan_mode mode;
  mode.watch = mode_ == backend::inotify;
  mode.stat = true;
  root.stale.clear();
  root.names_to_verify.clear();
  root.contents_to_verify.clear();
  root.touched_after_overflow.clear();
  forget_pending_looks(root);
  if (sys::error_code ec = scan(root, fresh, fresh.root(), directory, mode)) {
    const bool unreadable = there_but_unreadable(ec);
    if (mode_ == backend::inotify) {
      // The fresh root's watch is the old one unless another directory took the path.
      const int fresh_watch = fresh[fresh.root()].watch;
      const bool same = std::any_of(old_watches.begin(), old_watches.end(),
                                    [&](const auto& old) { return old.second == fresh_watch; });
      forget_watches(root, fresh, fresh.root(), !(unreadable && same));
    }
    if (unreadable)
      return keep_unreadable_root(ec);
    if (mode_ == backend::inotify)
      for (const auto& old : old_watches)
        if (watches_.find(old.second) == watches_.end())
          fs_.remove_watch(old.second);
    root_gone(root);
    return;
  }
  root.problems_reported.erase(directory); // readable: a later failure is news again
  root.rescan_due_since.reset();
  if (mode_ == backend::inotify) {
    for (const auto& old : old_watches)
      if (watches_.find(old.second) == watches_.end())
        fs_.remove_watch(old.second); // a directory that left the tree while records were lost
  }
  diff(root, root.tree, fresh, changed_since_ns);
  root.tree = std::move(fresh);
  root.limbo = no_node;
}

void watch_engine::check_root_identities() {
  // inotify reports what happens to the watched directory, not to its path: an ancestor renamed,
  // or a symlink root pointed elsewhere (ln -sfn new link.new && mv -T link.new link), leaves the
  // watch where it was while the path names something else. One look per root each second.
  identity_check_at_ = now_.steady + std::chrono::seconds(1);
  std::vector<root_state*> roots;
  for (const auto& root : roots_)
    roots.push_back(root.get());
  for (root_state* root : roots) {
    entry_type type = entry_type::unknown;
    entry_status now_there;
    sys::error_code ec = fs_.status(root->tree[root->tree.root()].name, true, type, now_there);
    if (ec && !is_vanished(ec))
      continue; // cannot look (permissions on the way): nothing to say; the next look tries again
    if (!ec && type == entry_type::directory && now_there.inode == root->watched_inode &&
        now_there.mount_id == root->watched_mount) {
      if (root->rescan_due_since)
        retry_rescan(*root); // in reach again, perhaps (an ancestor's permissions)
      continue;
    }
    reexamine_root(*root);
  }
}

void watch_engine::retry_rescan(root_state& root) {
  const root_state* const retried = &root;
  reconcile(root, *root.rescan_due_since);
  // Records queued before the listing describe the past, as after an overflow's rescan. A root
  // that ended (reconcile dropped it) or still cannot be read has no new picture to guard.
  const bool kept = std::any_of(roots_.begin(), roots_.end(),
                                [&](const auto& r) { return r.get() == retried; });
  if (kept && !root.rescan_due_since && mode_ == backend::inotify)
    picture_may_be_ahead();
}

void watch_engine::reexamine_root(root_state& root) {
  const std::string directory = root.tree[root.tree.root()].name;
  entry_type type = entry_type::unknown;
  entry_status target;
  entry_status link;
  if (!root.file_root && !fs_.status(directory, true, type, target) && type == entry_type::directory &&
      !(target.inode == root.watched_inode && target.mount_id == root.watched_mount) &&
      !fs_.status(directory, false, type, link) && type == entry_type::symlink) {
    // A symlink root points to another directory now: the root follows it, and what differs
    // between the two trees is reported under the root's path (same-named files as modified).
    // A scan that fails ends the root as usual.
    root.watched_inode = target.inode;
    root.watched_mount = target.mount_id;
    reconcile(root, 0);
    return;
  }
  root_gone(root);
}

void watch_engine::poll(const time_sample& now) {
  std::vector<root_state*> roots;
  for (const auto& root : roots_)
    roots.push_back(root.get());
  now_ = now;
  for (root_state* root : roots)
    reconcile(*root, -1);
  last_consistent_wall_ns_ = now.wall_ns;
}

void watch_engine::diff(root_state& root, const entry_tree& before, const entry_tree& after,
                        std::int64_t changed_since_ns) {
  struct pair {
    node_id before;
    node_id after;
  };
  std::vector<pair> stack{{before.root(), after.root()}};
  std::vector<node_id> removed_subtree;
  // Created and changed entries are reported after every removal, so they wait here.
  struct later_event {
    event_kind kind;
    std::string path;
    entry_type type;
  };
  std::vector<later_event> created, changed;
  auto same_type = [&](node_id b, node_id a) { return before[b].type == after[a].type; };
  while (!stack.empty()) {
    pair dir = stack.back();
    stack.pop_back();
    for (node_id b = before[dir.before].first_child; b != no_node; b = before[b].next_sibling) {
      if (before[b].name.front() == '/')
        continue; // limbo
      node_id a = after.find(dir.after, before[b].name);
      if (a == no_node || !same_type(b, a)) {
        // Deepest first, so that every event names an entry that exists when it is replayed.
        removed_subtree.clear();
        before.for_each_preorder(b, [&](node_id id, std::size_t) { removed_subtree.push_back(id); });
        for (auto it = removed_subtree.rbegin(); it != removed_subtree.rend(); ++it)
          emit(root, event_kind::removed, before.path(*it), before[*it].type);
        continue;
      }
      if (after[a].type == entry_type::directory) {
        stack.push_back({b, a});
        if (changed_since_ns < 0 && before.keeps_status()) {
          const entry_status& x = before.status(b);
          const entry_status& y = after.status(a);
          if (x.mode != y.mode || x.uid != y.uid || x.gid != y.gid)
            changed.push_back({event_kind::attributes, after.path(a), entry_type::directory});
        }
        continue;
      }
      const entry_status& y = after.status(a);
      if (changed_since_ns >= 0) {
        if (y.mtime_ns >= changed_since_ns || y.ctime_ns >= changed_since_ns)
          changed.push_back({event_kind::modified, after.path(a), after[a].type});
      } else if (before.keeps_status()) {
        const entry_status& x = before.status(b);
        if (x.mtime_ns != y.mtime_ns || x.size != y.size || x.inode != y.inode)
          changed.push_back({event_kind::modified, after.path(a), after[a].type});
        else if (x.mode != y.mode || x.uid != y.uid || x.gid != y.gid || x.links != y.links ||
                 x.ctime_ns != y.ctime_ns)
          changed.push_back({event_kind::attributes, after.path(a), after[a].type});
      }
    }
    for (node_id a = after[dir.after].first_child; a != no_node; a = after[a].next_sibling) {
      node_id b = before.find(dir.before, after[a].name);
      if (b != no_node && same_type(b, a))
        continue;
      after.for_each_preorder(a, [&](node_id id, std::size_t) {
        created.push_back({event_kind::created, after.path(id), after[id].type});
      });
    }
  }
  for (later_event& e : created)
    emit(root, e.kind, std::move(e.path), e.type);
  for (later_event& e : changed)
    emit(root, e.kind, std::move(e.path), e.type);
}

// ---------------------------------------------------------------------------------------------
// Output

void watch_engine::emit(root_state& root, event_kind kind, std::string path, entry_type type,
                        std::string old_path, entry_type old_type) {
  if (!root.include.empty()) {
    bool is_directory = type == entry_type::directory;
    bool moves = kind == event_kind::renamed || kind == event_kind::exchanged;
    // A directory's rename, exchange or removal moves or takes away the included entries
    // inside it.
    bool wanted = ((is_directory || (kind == event_kind::exchanged && old_type == entry_type::directory)) &&
                   (moves || kind == event_kind::removed)) ||
                  root.include.matches(root.relative(path), is_directory) ||
                  (kind == event_kind::renamed &&
                   root.include.matches(root.relative(old_path), is_directory)) ||
                  (kind == event_kind::exchanged &&
                   root.include.matches(root.relative(old_path), old_type == entry_type::directory));
    if (!wanted)
      return;
  }
  if (kind == event_kind::modified || kind == event_kind::attributes) {
    auto it = last_change_.find(path);
    if (it != last_change_.end() && it->second >= popped_ &&
        output_[it->second - popped_].kind == kind) {
      ++counters_.coalesced;
      return;
    }
    last_change_[path] = emitted_;
  } else if (is_structural(kind)) {
    forget_changes();
  }
  fs_event event;
  event.kind = kind;
  event.path = path_from_text(std::move(path));
  event.old_path = path_from_text(std::move(old_path));
  event.type = type;
  event.old_type = old_type;
  emit_raw(std::move(event));
}

void watch_engine::emit_raw(fs_event event) {
  if (event.kind == event_kind::overflow || event.kind == event_kind::error)
    forget_changes();
  output_.push_back(std::move(event));
  ++emitted_;
  ++counters_.events;
}

fs_event watch_engine::pop() {
  fs_event event = std::move(output_.front());
  output_.pop_front();
  ++popped_;
  if (output_.empty())
    forget_changes();
  return event;
}

void watch_engine::forget_changes() {
  if (last_change_.empty())
    return;
  // clear() touches every bucket, and a burst leaves many: start small again instead.
  if (last_change_.bucket_count() > 64)
    last_change_ = {};
  else
    last_change_.clear();
}

} // namespace asio_fswatch::detail
