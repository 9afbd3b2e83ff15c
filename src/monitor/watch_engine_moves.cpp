// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, entries appearing, leaving and moving.
// A "moved from" detaches its entry from the tree (limbo) until its "moved to" pairs with it,
// or its hold expires and it is reported removed (moved out of the tree). The held moves are
// limbo's table: a detached node is never a child of anything, so no listing, diff or walk of
// the tree meets it.
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {
namespace {

namespace sys = boost::system;

} // namespace

void watch_engine::entry_appeared(root_state& root, node_id dir, std::string_view name,
                                  bool is_directory) {
  if (!held_.empty())
    expire_moves_from(root, dir, name);
  entry_type type = entry_type::directory;
  sys::error_code status_error;
  if (!is_directory) {
    // inotify only tells directories apart; a file, a symlink, a FIFO or a socket takes a look.
    entry_status status;
    if ((status_error = fs_.status(join_path(root.tree.path(dir), name), false, type, status)))
      type = entry_type::unknown;
    else if (type == entry_type::directory)
      type = entry_type::unknown; // a later directory of the same name: its own record follows
  }
  entry_appeared_as(root, dir, name, type, status_error);
}

void watch_engine::entry_appeared_as(root_state& root, node_id dir, std::string_view name,
                                     entry_type type, sys::error_code status_error) {
  entry_tree& tree = root.tree;
  std::string path = join_path(tree.path(dir), name);
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
  const auto deadline = inotify_.undecided_records_due ? now_.steady : now_.steady + options_.rename_hold;
  held_move move{&root, node, tree[node].parent, tree[node].name, tree[node].type, cookie, deadline,
                 directory_in_record, tree[node].watch};
  // Detached at once, so that a new entry of the old name is not taken for it.
  tree.detach(node);
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
  // Not a swap when the directory it left is itself between the halves of a move: the place to
  // swap with has no path then. As a rename over the target, the records to come still replay:
  // what went to the old place arrives there (deferred until that directory lands).
  if (existing != no_node && !in_limbo(root, move.from_parent) &&
      take_second_half(root, move, dir, name, existing, existing_is_directory)) {
    finish_exchange(root, move, existing, existing_is_directory);
    replay_deferred();
    return true;
  }
  const bool name_was_taken = existing != no_node;
  if (name_was_taken)
    entry_removed(root, existing); // rename(2) over an existing entry replaces it
  tree.move(move.node, dir, name);
  ++counters_.renames_paired;
  note_directory_moved(root, move.node, move.from_parent);
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
           (inotify_.picture_ahead_marker >= 0 || is_new_watch(tree[move.node].watch)))
    root.contents_to_verify.insert(move.node);
  replay_deferred();
  return true;
}

entry_type watch_engine::type_to_report(root_state& root, node_id node, const std::string& path) {
  const entry_type type = root.tree[node].type;
  if (type != entry_type::unknown)
    return type;
  // Seen first by a record of its creation handled after it had moved on (`echo > a; mv a b`
  // read as one batch). Where it went tells. A directory there is a later entry of that name
  // (its own records follow), and nothing there means its removal follows: unknown stays.
  entry_type found = entry_type::unknown;
  entry_status status;
  if (fs_.status(path, false, found, status) || found == entry_type::directory)
    return type;
  root.tree.set_type(node, found);
  return found;
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
  root.tree.set_type(node, type);
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
  while (root.tree[parked].parent != no_node) {
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

bool watch_engine::in_limbo(const root_state& root, node_id node) const {
  return !root.tree.detached().empty() && !root.tree.attached(node);
}

void watch_engine::release_moves_of(root_state& root) {
  // Expiring replays deferred records, which may resolve other holds: re-check the size.
  for (std::size_t i = held_.size(); i-- > 0;)
    if (i < held_.size() && held_[i].root == &root)
      expire_move(i);
  forget_arrival_into(root);
}

} // namespace asio_fswatch::detail
