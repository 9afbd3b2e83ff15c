// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, rebuilding the picture from the disk:
// after an overflow, for the poll backend, and when a root's path names another directory.
// What differs is reported through diff_snapshots (snapshot_diff.hpp).
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/snapshot_diff.hpp>
#include <asio_fswatch/error.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {

namespace sys = boost::system;

void watch_engine::overflow() {
  ++counters_.overflows;
  inotify_.last_arrival.reset();
  inotify_.records_before_marker.clear(); // markers may be among the records lost
  inotify_.new_watches.clear(); // the rescan's marker covers them
  // The kernel lost records: the other halves of held moves may be among them.
  while (!held_.empty())
    expire_move(0);
  inotify_.deferred.clear();
  inotify_.undecided_records.clear(); // older than the overflow: the reconciliation sees their outcome
  std::vector<root_state*> roots;
  for (const auto& root : roots_)
    roots.push_back(root.get());
  for (root_state* root : roots)
    rescan_after_loss(*root, last_consistent_wall_ns_);
  // The records queued while the directories were listed come before a marker queued now.
  inotify_.picture_ahead_marker = -1;
  inotify_.overflow_marker = -1;
  if (policy_ == watch_policy::per_directory) {
    picture_may_be_ahead();
    // Without a marker (the watch limit is reached, or the kernel is older than 4.18) nothing
    // tells when the records before the gap are all read: the directories the rest of this
    // read touches are listed again after it, which covers a gap within it.
    inotify_.overflow_marker = inotify_.picture_ahead_marker >= 0 ? inotify_.picture_ahead_marker : gap_ends_with_this_read;
  }
}

void watch_engine::rescan_after_loss(root_state& root, std::int64_t consistent_since_ns) {
  if (root.adding)
    return restart_add(root);
  ++counters_.overflow_events;
  emit_raw(root, fs_event{event_kind::overflow, root.given_path, {}, entry_type::directory, {}});
  // Timestamps have coarse granularity on some file systems (FAT: 2 s): look a little further
  // back.
  const std::int64_t since = consistent_since_ns - std::int64_t(2'000'000'000);
  reconcile(root, since < 0 ? 0 : since);
}

void watch_engine::end_of_overflow_gap() {
  inotify_.overflow_marker = -1;
  for (const auto& root : roots_) {
    for (node_id node : root->touched_after_overflow)
      root->contents_to_verify.insert(node);
    root->touched_after_overflow.clear();
  }
  inotify_.had_news = true; // the looks again are due now
}

void watch_engine::reconcile(root_state& root, std::int64_t changed_since_ns) {
  if (root.adding)
    return restart_add(root); // nothing to compare with yet: its scan starts again
  // Entries held between the halves of a move left the picture that is replaced: each is
  // reported removed from where it was, and the diff below reports it wherever it is now. (So
  // are they when the root turns out unreadable and its picture is kept: a rename straddling
  // that is reported as a removal and, once its other half is read, a creation.)
  release_moves_of(root);
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
    if (policy_ == watch_policy::per_directory) {
      for (const auto& [node, watch] : old_watches) {
        root.tree[node].watch = watch;
        watches_.emplace(watch, watch_ref{&root, node});
        ++counters_.watches;
      }
    }
    if (policy_ != watch_policy::polling &&
        (!root.rescan_due_since || changed_since_ns < *root.rescan_due_since))
      root.rescan_due_since = changed_since_ns;
    report_problem(root, directory, entry_type::directory, ec);
  };
  if (policy_ == watch_policy::per_directory) {
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
  mode.watch = policy_ == watch_policy::per_directory;
  mode.stat = true;
  root.stale.clear();
  root.names_to_verify.clear();
  root.contents_to_verify.clear();
  root.touched_after_overflow.clear();
  root.to_refilter.clear(); // the fresh scan reads the ignore files again
  if (root.ignoring()) {
    root.info_exclude_changed = false;
    read_above_rules(root, directory); // and those from above the tree, .git/info/exclude too
  }
  forget_pending_looks(root);
  if (sys::error_code ec = scan(root, fresh, fresh.root(), directory, mode)) {
    const bool unreadable = there_but_unreadable(ec);
    if (policy_ == watch_policy::per_directory) {
      // The fresh root's watch is the old one unless another directory took the path.
      const int fresh_watch = fresh[fresh.root()].watch;
      const bool same = std::any_of(old_watches.begin(), old_watches.end(),
                                    [&](const auto& old) { return old.second == fresh_watch; });
      forget_watches(root, fresh, fresh.root(), !(unreadable && same));
    }
    if (unreadable)
      return keep_unreadable_root(ec);
    if (policy_ == watch_policy::per_directory)
      for (const auto& old : old_watches)
        if (watches_.find(old.second) == watches_.end())
          fs_.remove_watch(old.second);
    root_gone(root);
    return;
  }
  root.problems_reported.erase(directory); // readable: a later failure is news again
  root.rescan_due_since.reset();
  if (policy_ == watch_policy::per_directory) {
    for (const auto& old : old_watches)
      if (watches_.find(old.second) == watches_.end())
        fs_.remove_watch(old.second); // a directory that left the tree while records were lost
  }
  diff(root, root.tree, fresh, changed_since_ns);
  if (policy_ == watch_policy::recursive_root)
    fresh[fresh.root()].watch = root.tree[root.tree.root()].watch; // one watch sees both
  root.tree = std::move(fresh);
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
      else if (info_exclude_changed_on_disk(*root))
        apply_ignore_changes(*root); // .git/info/exclude, whose directory may not be watched
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
  if (kept && !root.rescan_due_since && policy_ == watch_policy::per_directory)
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
    if (policy_ == watch_policy::recursive_root) {
      // The watch sees the directory it was opened on: the new target needs its own.
      forget_watches(root, root.tree, root.tree.root(), true);
      if (watch_directory(root, root.tree, root.tree.root(), directory, root_watch_kind(root))) {
        root_gone(root);
        return;
      }
    }
    reconcile(root, 0);
    return;
  }
  root_gone(root);
}

void watch_engine::poll(const time_sample& now) {
  std::vector<root_state*> roots;
  for (const auto& root : roots_)
    if (!root->adding) // compared once its add has completed
      roots.push_back(root.get());
  now_ = now;
  for (root_state* root : roots)
    reconcile(*root, -1);
  last_consistent_wall_ns_ = now.wall_ns;
}

void watch_engine::diff(root_state& root, const entry_tree& before, const entry_tree& after,
                        std::int64_t changed_since_ns) {
  diff_snapshots(before, after, changed_since_ns, [&](event_kind kind, std::string path, entry_type type) {
    emit(root, kind, std::move(path), type);
  });
}

} // namespace asio_fswatch::detail
