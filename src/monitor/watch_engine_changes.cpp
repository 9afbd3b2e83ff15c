// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, applying the change records of a
// recursive watch (watch_policy::recursive_root; ReadDirectoryChangesW's, decoded by
// rdcw_parser) to the picture of its root.
//
// Such a watch names entries by their path below the root, and sees the whole tree through one
// handle: nothing is watched per directory, and a rename's two names come together, so there is
// no hold and no limbo. What stays is what inotify has too: a directory that appears is scanned,
// and what it holds reported created, because the records of its contents may have been queued
// before the scan, or lost in the race with its creation (Wine, mkdir -p: only the top one); a
// scan that met an entry first makes its own record a duplicate; and a record that the picture
// cannot place (a directory on the way it lacks) is told by the disk.
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {

namespace sys = boost::system;

std::vector<engine::root_state*> watch_engine::roots_of_watch(int watch) const {
  std::vector<root_state*> roots;
  auto range = watches_.equal_range(watch);
  for (auto it = range.first; it != range.second; ++it)
    if (it->second.node == it->second.root->tree.root())
      roots.push_back(it->second.root);
  return roots;
}

void watch_engine::on_changes(int watch, const std::vector<change_record>& changes,
                              const time_sample& now) {
  now_ = now;
  for (const change_record& change : changes) {
    ++counters_.records;
    // Looked up again for each change: one may end a root (its rescan finds it gone).
    for (root_state* root : roots_of_watch(watch))
      apply_change(*root, change);
  }
  for (root_state* root : roots_of_watch(watch)) {
    root->consistent_since_ns = now.wall_ns;
    root->watch_renewed = false; // it works: a later failure is news again
  }
  retry_unwatched();
}

void watch_engine::on_watch_error(int watch, sys::error_code error, const time_sample& now) {
  now_ = now;
  for (root_state* root : roots_of_watch(watch)) {
    const std::string directory = root->tree[root->tree.root()].name;
    entry_type type = entry_type::unknown;
    entry_status there;
    const sys::error_code look = fs_.status(directory, true, type, there);
    const bool still_there = !look && type == entry_type::directory && there.inode == root->watched_inode &&
                             there.mount_id == root->watched_mount;
    if (!still_there) {
      reexamine_root(*root); // gone, or a symlink to follow
      continue;
    }
    // The directory is there; its watch failed (a share that blinked, a file system that
    // cannot watch). Said once, watched again, and rescanned for what the failure hid.
    const bool again = root->watch_renewed;
    root->problems_reported.erase(directory); // each failure is said
    report_problem(*root, directory, entry_type::directory, error);
    forget_watches(*root, root->tree, root->tree.root(), true);
    if (!again && !watch_directory(*root, root->tree, root->tree.root(), directory, root_watch_kind(*root))) {
      root->watch_renewed = true;
      overflow_of(*root);
      continue;
    }
    // It cannot be watched: the root ends, after its error, without a `removed` it did not have.
    end_root(*root);
  }
}

void watch_engine::apply_change(root_state& root, const change_record& change) {
  if (change.kind == change_kind::overflow) {
    overflow_of(root);
    return;
  }
  if (root.ignoring()) {
    note_ignore_change(root, change.path); // ignored itself or not, it is read
    if (change.kind == change_kind::renamed)
      note_ignore_change(root, change.old_path);
  }
  if (change.kind == change_kind::renamed) {
    change_renamed(root, change);
    return;
  }
  std::string_view name;
  const node_id dir = change_parent(root, change.path, name);
  if (dir == no_node)
    return;
  entry_tree& tree = root.tree;
  const node_id known = tree.find(dir, name);
  switch (change.kind) {
  case change_kind::created:
    change_created(root, dir, name, change.type, false);
    break;
  case change_kind::removed:
    if (known != no_node)
      entry_removed(root, known);
    break;
  case change_kind::modified:
    if (known == no_node && tree[dir].scan_pending)
      break; // not read yet by an add in slices: its listing, to come, meets the entry
    if (known == no_node) {
      // Its creation was never seen (a record lost with a scan that came too early, or an
      // entry the filters kept out until now): it is reported as created, if it is there.
      change_created(root, dir, name, change.type, false);
    } else if (tree[known].type != entry_type::directory) {
      emit(root, event_kind::modified, tree.path(known), tree[known].type);
    } else if (!root.problems_reported.empty()) {
      // A directory's own `modified` says that its listing, times or attributes changed (the
      // listing's changes come as records of their own). Its permissions may now let what an
      // `error` named below it be read: those are tried again.
      retry_problem_directories(root, known);
    }
    break;
  default:
    break;
  }
}

node_id watch_engine::change_parent(root_state& root, std::string_view relative,
                                    std::string_view& name) {
  entry_tree& tree = root.tree;
  node_id dir = tree.root();
  for (;;) {
    const std::size_t slash = relative.find('/');
    if (slash == std::string_view::npos) {
      name = relative;
      return tree[dir].type == entry_type::directory ? dir : no_node;
    }
    const std::string_view part = relative.substr(0, slash);
    relative.remove_prefix(slash + 1);
    node_id child = tree.find(dir, part);
    if (child == no_node && tree[dir].scan_pending)
      return no_node; // not read yet by an add in slices: its listing, to come, meets it
    if (child == no_node) {
      // Not in the picture: kept out by the filters (its records are not ours), or its own
      // record is still to come or was lost. The disk tells: a directory there now appears,
      // with everything in it, which includes what this record is about.
      change_created(root, dir, part, entry_type::unknown, false);
      return no_node;
    }
    if (tree[child].type != entry_type::directory)
      return no_node; // a record about a path the picture has moved on from: its news follow
    dir = child;
  }
}

void watch_engine::change_created(root_state& root, node_id dir, std::string_view name,
                                  entry_type type, bool replaces) {
  entry_tree& tree = root.tree;
  // What the filters keep out whatever its type takes no look at the disk (a single-file
  // root's siblings, what an exclude names).
  if (!accepts(root, tree, dir, name, false) && !accepts(root, tree, dir, name, true))
    return;
  sys::error_code status_error;
  if (type == entry_type::unknown) {
    entry_status status;
    if ((status_error = fs_.status(join_path(tree.path(dir), name), false, type, status))) {
      if (is_vanished(status_error)) {
        // Gone again: its removal or its rename follows. Or its directory moved, and the
        // records of that come later in this read: the directory is listed again once they are
        // handled, where the picture has it then, and what it holds is reported.
        root.stale.insert(dir);
        return;
      }
      type = entry_type::unknown;
    }
  }
  if (!accepts(root, tree, dir, name, type == entry_type::directory))
    return;
  if (const node_id known = tree.find(dir, name); known != no_node) {
    if (!replaces && same_entry_kind(tree[known].type, type)) {
      ++counters_.duplicates_suppressed; // a scan (of its directory, or a rescan) met it first
      return;
    }
    entry_removed(root, known); // moved there over it, or replaced by another kind
  }
  entry_appeared_as(root, dir, name, type, status_error);
}

void watch_engine::change_renamed(root_state& root, const change_record& change) {
  entry_tree& tree = root.tree;
  std::string_view old_name;
  std::string_view new_name;
  const node_id old_dir = change_parent(root, change.old_path, old_name);
  const node_id moving = old_dir == no_node ? no_node : tree.find(old_dir, old_name);
  const node_id new_dir = change_parent(root, change.path, new_name);
  if (moving == no_node) {
    // From where the picture has nothing (excluded, or never seen): an entry that came in.
    if (new_dir != no_node)
      change_created(root, new_dir, new_name, change.type, true);
    return;
  }
  const entry_type type = tree[moving].type;
  if (new_dir == no_node || tree.holds(moving, new_dir) ||
      !accepts(root, tree, new_dir, new_name, type == entry_type::directory)) {
    // To where the picture has nothing, or to a name the filters keep out: for the reader, the
    // entry left. (Into itself cannot be: the picture there is older than the record.)
    entry_removed(root, moving);
    return;
  }
  const node_id target = tree.find(new_dir, new_name);
  if (target == moving)
    return; // a scan of a directory that appeared met it there already
  std::string old_path = tree.path(moving);
  if (target != no_node)
    entry_removed(root, target); // rename over an existing entry replaces it
  tree.move(moving, new_dir, new_name);
  ++counters_.renames_paired;
  note_directory_moved(root, moving, old_dir);
  std::string new_path = tree.path(moving);
  emit(root, event_kind::renamed, new_path, type_to_report(root, moving, new_path), std::move(old_path));
  // The picture's type may be of a later entry of the old name, met by a look made after this
  // rename (`ln -s t w; mv w f; mv d w` read at once: the look for `w`'s creation met `d`).
  // Where the entry went tells; the later one's own record, still to come, brings it back.
  if (type != entry_type::directory) {
    check_moved_type(root, moving, new_path, type);
    return;
  }
  entry_type there = entry_type::unknown;
  entry_status status;
  if (!fs_.status(new_path, false, there, status) && there != entry_type::directory) {
    entry_removed(root, moving);
    entry_appeared_as(root, new_dir, new_name, there, {});
  }
}

void watch_engine::overflow_of(root_state& root) {
  ++counters_.overflows;
  rescan_after_loss(root, root.consistent_since_ns); // lost since this root's last complete read
}

} // namespace asio_fswatch::detail
