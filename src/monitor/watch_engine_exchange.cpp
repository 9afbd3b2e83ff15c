// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, recognising renameat2(RENAME_EXCHANGE).
//
// The kernel reports a swap of `a` and `b` as two moves, one right after the other, each with
// its own cookie: "moved from a" / "moved to b", then "moved from b" / "moved to a". The two
// parent directories stay locked meanwhile, so nothing changes in them; between the two moves
// the queue may only hold the moved directory's own "moved self" and what happened elsewhere
// (writes, changes in other directories). A rename of `a` over an existing `b` is the first
// move alone. So the first move onto an entry of the picture is an exchange when the next move
// is its reverse; when its read ends first, the records from it on wait for the next read (or
// the rename hold: a rename over an entry that ends a read is reported that much later).
//
// The records cannot tell one case apart: `mv a b` over an existing non-directory `b`, then
// `mv b a`, queue exactly the records of an exchange. The disk can: after the swap `b` exists,
// after the two renames it does not. A directory rename over an (empty, watched) directory is
// told by its records: the replaced directory's watch reports its death between the two moves.
#include <asio_fswatch/detail/watch_engine.hpp>

#include <algorithm>

namespace asio_fswatch::detail {
namespace {

// The watches whose records may not stand between the two moves of an exchange: those of the
// two parent directories and of the displaced entry (a record of its own would mean that it was
// replaced, not moved). -1 where there is none.
struct exchange_watches {
  int first_parent = -1;
  int second_parent = -1;
  int displaced = -1;

  bool involve(int watch) const {
    return watch == first_parent || watch == second_parent || watch == displaced;
  }
};

// Whether `record` may stand between the two moves of an exchange: a watched directory's own
// "moved self", or any record of another directory than the two parents and the displaced
// entry (other processes change other directories meanwhile, and their records are queued
// between the two halves as they come). A queue overflow ends the look: records were lost.
bool may_come_between(const inotify_record& record, const exchange_watches& watches) {
  if ((record.mask & inotify_flag::queue_overflow) != 0)
    return false;
  if (record.name.empty() && (record.mask & inotify_flag::move_self) != 0)
    return true;
  if ((record.mask & inotify_flag::close_write) != 0)
    return true; // a file closed after writing (settling): no name changes
  return !watches.involve(record.watch);
}

// The index of the first record at or after `index` that may not come between the two moves.
std::size_t skip_between(const std::vector<inotify_record>& records, std::size_t index,
                         const exchange_watches& watches) {
  while (index < records.size() && may_come_between(records[index], watches))
    ++index;
  return index;
}

} // namespace

node_id watch_engine::watched_node(int watch, const root_state& root) const {
  auto range = watches_.equal_range(watch);
  for (auto it = range.first; it != range.second; ++it)
    if (it->second.root == &root)
      return it->second.node;
  return no_node;
}

bool watch_engine::watch_names(int watch, const root_state& root, node_id node) const {
  auto range = watches_.equal_range(watch);
  return std::any_of(range.first, range.second, [&](const auto& entry) {
    return entry.second.root == &root && entry.second.node == node;
  });
}

bool watch_engine::awaits_second_half(std::size_t index) {
  const inotify_record& to = inotify_.records[index];
  if ((to.mask & inotify_flag::moved_to) == 0 || to.cookie == 0 || held_.empty())
    return false;
  auto held = std::find_if(held_.begin(), held_.end(),
                           [&](const held_move& m) { return m.cookie == to.cookie; });
  if (held == held_.end())
    return false;
  root_state& root = *held->root;
  const node_id dir = watched_node(to.watch, root);
  if (dir == no_node || in_limbo(root, dir))
    return false;
  node_id target = root.tree.find(dir, to.name);
  if (target == no_node)
    return false; // not onto an entry: a plain rename
  // Two records after it decide (take_second_half); one that is not the second half's start
  // decides too.
  const exchange_watches watches{root.tree[held->from_parent].watch, to.watch, root.tree[target].watch};
  std::size_t next = skip_between(inotify_.records, index + 1, watches);
  if (next == inotify_.records.size())
    return true;
  const inotify_record& from = inotify_.records[next];
  if ((from.mask & inotify_flag::moved_from) == 0 || from.watch != to.watch || from.name != to.name ||
      from.cookie == 0 || from.cookie == to.cookie)
    return false;
  return skip_between(inotify_.records, next + 1, watches) == inotify_.records.size();
}

bool watch_engine::awaits_destination(std::size_t index) const {
  const inotify_record& from = inotify_.records[index];
  if (!inotify_.last_arrival || inotify_.last_arrival->origin_watch < 0 || (from.mask & inotify_flag::moved_from) == 0 ||
      from.cookie == 0 || from.cookie == inotify_.last_arrival->cookie || from.name != inotify_.last_arrival->name)
    return false;
  const entry_tree& tree = inotify_.last_arrival->root->tree;
  if (!tree[inotify_.last_arrival->dir].in_use || !tree[inotify_.last_arrival->node].in_use ||
      !watch_names(from.watch, *inotify_.last_arrival->root, inotify_.last_arrival->dir))
    return false;
  // Where the kinds decide (see moved_from_names_another), the destination does not matter.
  const bool is_directory = (from.mask & inotify_flag::is_dir) != 0;
  if (is_directory != inotify_.last_arrival->directory)
    return false;
  const inotify_record* to = find_moved_to(from.cookie, index + 1);
  if (to == nullptr)
    return true;
  // Back where it came from: the swap of an entry not pictured yet, or `mv x n; mv n x`. A later
  // record of the name tells them apart better than the disk, which a writer going on may have
  // changed since (moved_from_names_another), even for a watched directory: the disk may meet
  // it back at the name, moved there again (`mv x n; mv n x; mv x n`).
  return inotify_.last_arrival->is_back_to_origin(*to) &&
         !records_say_taken(index + 1, from.watch, from.name, !inotify_.last_arrival->name_was_taken);
}

bool watch_engine::take_second_half(root_state& root, const held_move& move, node_id dir,
                                    std::string_view name, node_id target,
                                    bool& target_is_directory) {
  if (!inotify_.reading)
    return false;
  const entry_tree& tree = root.tree;
  const exchange_watches watches{tree[move.from_parent].watch, tree[dir].watch, tree[target].watch};
  std::size_t from_index = skip_between(inotify_.records, inotify_.next_record, watches);
  if (from_index == inotify_.records.size())
    return false;
  const inotify_record& from = inotify_.records[from_index];
  // What the record says, rather than the picture, which may be older (a type read by a scan
  // that met an earlier entry of the name).
  target_is_directory = (from.mask & inotify_flag::is_dir) != 0;
  if ((from.mask & inotify_flag::moved_from) == 0 || from.cookie == 0 || from.cookie == move.cookie ||
      from.name != name || !watch_names(from.watch, root, dir))
    return false;
  std::size_t to_index = skip_between(inotify_.records, from_index + 1, watches);
  if (to_index == inotify_.records.size())
    return false;
  const inotify_record& to = inotify_.records[to_index];
  if ((to.mask & inotify_flag::moved_to) == 0 || to.cookie != from.cookie || to.name != move.name ||
      !watch_names(to.watch, root, move.from_parent) || tree.find(move.from_parent, move.name) != no_node)
    return false;
  // The same records as a rename over the target and a rename back, unless the entries differ
  // in kind (rename(2) never puts a directory in a non-directory's place) or the target is a
  // watched directory (replaced, its watch would have reported its death in between). Not when
  // the watch it holds is the moved directory's own: a scan met that one at the target's path
  // and gave it the watch, which says nothing of what was there; the old path holding it says
  // so too (back there after the two renames). Otherwise the records that follow tell if they
  // can, then the disk: after a swap the target's name is taken, after the two renames it is
  // free. Here the name was taken before the pair, so an entry moved there later (over the
  // swapped entry, or into the freed name) tells nothing.
  const bool moved_is_directory = move.directory_in_record;
  const int target_watch = tree[target].watch;
  const bool target_watched =
      target_watch >= 0 && target_watch != move.watch &&
      !path_names_watched(join_path(tree.path(move.from_parent), move.name), target_watch);
  if (moved_is_directory == target_is_directory && !target_watched &&
      !name_taken(root, to_index + 1, dir, name, false))
    return false;
  inotify_.records.erase(inotify_.records.begin() + static_cast<std::ptrdiff_t>(to_index));
  inotify_.records.erase(inotify_.records.begin() + static_cast<std::ptrdiff_t>(from_index));
  return true;
}

std::optional<bool> watch_engine::records_say_taken(std::size_t from, int watch,
                                                    std::string_view name,
                                                    bool move_in_says_free) const {
  // Anything coming to a free name has its own record first, and an entry leaves a name only
  // by a record of its own. Not past an overflow: records were lost there.
  for (std::size_t i = from; i < inotify_.records.size(); ++i) {
    const inotify_record& r = inotify_.records[i];
    if ((r.mask & inotify_flag::queue_overflow) != 0)
      return std::nullopt;
    if (r.watch != watch || r.name != name)
      continue;
    if ((r.mask & inotify_flag::moved_to) != 0)
      return move_in_says_free ? std::optional<bool>(false) : std::nullopt;
    return (r.mask & inotify_flag::create) == 0;
  }
  return std::nullopt;
}

std::optional<bool> watch_engine::records_say_name_taken(const root_state& root, std::size_t from,
                                                         node_id dir, std::string_view name,
                                                         bool move_in_says_free) const {
  if (!inotify_.reading || root.tree[dir].watch < 0)
    return std::nullopt;
  return records_say_taken(from, root.tree[dir].watch, name, move_in_says_free);
}

bool watch_engine::name_taken(root_state& root, std::size_t from, node_id dir, std::string_view name,
                              bool move_in_says_free) {
  if (std::optional<bool> said = records_say_name_taken(root, from, dir, name, move_in_says_free))
    return *said;
  return name_on_disk(root, dir, name);
}

bool watch_engine::swap_already_seen(root_state& root, const held_move& move, node_id target,
                                     bool target_is_directory) {
  // A scan that met, at one of the two paths, the directory the swap brought there took the
  // watch from the node that held it (the watch follows the inode: watch_directory), and the
  // other node, watched again where it is, took the other one: the picture, and the events so
  // far, show the swap already. Then the node back at the old path holds the watch of the
  // directory there. In step with the records, it holds the watch of the directory that went
  // to the target's path, and the kernel gives the target's watch for the old path. Only when
  // both are watched: a node without a watch is watched and scanned after the swap anyway.
  // And only for two directories, as the picture has them and as the records say: otherwise
  // the picture has an older or a later entry under one of the names.
  const entry_tree& tree = root.tree;
  const int moved_watch = tree[move.node].watch;
  if (move.type != entry_type::directory || tree[target].type != entry_type::directory ||
      !move.directory_in_record || !target_is_directory || moved_watch < 0 || tree[target].watch < 0)
    return false;
  // Either path tells, where it still names one of the two: the other may have changed since
  // (removed, or moved on, its records still to come).
  return path_names_watched(join_path(tree.path(move.from_parent), move.name), moved_watch) ||
         path_names_watched(tree.path(target), tree[target].watch);
}

bool watch_engine::path_names_watched(const std::string& path, int watch) {
  return watch >= 0 && watch_at(path) == watch;
}

int watch_engine::watch_at(const std::string& path) {
  boost::system::error_code ec;
  const int there = fs_.add_watch(path, watch_kind::subtree, ec);
  if (ec)
    return no_directory; // changed again since: its records follow
  return give_back_if_foreign(there) ? other_directory : there;
}

bool watch_engine::give_back_if_foreign(int watch) {
  if (watches_.count(watch) != 0)
    return false;
  fs_.remove_watch(watch); // a directory the picture does not have: not ours to keep
  inotify_.foreign_watch_removed = watch;
  return true;
}

void watch_engine::finish_exchange(root_state& root, const held_move& move, node_id target,
                                   bool target_is_directory) {
  entry_tree& tree = root.tree;
  const bool seen = swap_already_seen(root, move, target, target_is_directory);
  // Back in its old place first, then the two swap: their subtrees, and the watches of the
  // directories in them, go along.
  tree.move(move.node, move.from_parent, move.name);
  ++counters_.exchanges_paired;
  if (seen) {
    picture_may_be_ahead(); // of the records that follow, too: renames back, perhaps
    return;
  }
  tree.exchange(move.node, target);
  note_directory_moved(root, move.node, no_node);
  note_directory_moved(root, target, no_node);
  const std::string path = tree.path(move.node);
  const std::string old_path = tree.path(target);
  const entry_type target_type = tree[target].type;
  emit(root, event_kind::exchanged, path, type_to_report(root, move.node, path), old_path,
       type_to_report(root, target, old_path));
  // The picture had an older or a later entry under a name (a type read by a scan that met
  // another entry of the name): to the reader, it is replaced by what the record says went there.
  node_id moved = move.node;
  if ((target_type == entry_type::directory) != target_is_directory) {
    entry_removed(root, target);
    entry_appeared(root, move.from_parent, move.name, target_is_directory);
    target = no_node;
  }
  if ((move.type == entry_type::directory) != move.directory_in_record) {
    const node_id parent = tree[moved].parent;
    const std::string name = tree[moved].name;
    entry_removed(root, moved);
    entry_appeared(root, parent, name, move.directory_in_record);
    moved = no_node;
  }
  // Each non-directory's type came from an lstat when it appeared, as for a rename.
  if (moved != no_node)
    check_type_where_moved(root, moved, path, move.type);
  if (target != no_node)
    check_type_where_moved(root, target, old_path, target_type);
  // A directory coming from where it was not watched is watched and scanned now. One that was
  // watched may have been scanned (or had its children scanned) after the swap, while the
  // picture had the other directory at its path: each is listed again where it is now.
  for (node_id node : {moved, target}) {
    if (node == no_node || !tree[node].in_use || tree[node].type != entry_type::directory || !root.recursive())
      continue;
    if (tree[node].watch < 0)
      watch_and_scan(root, node, tree.path(node));
    else
      root.contents_to_verify.insert(node);
  }
}

bool watch_engine::is_other_directory(root_state& root, node_id known, const std::string& dir_path) {
  const tree_node& n = root.tree[known];
  return n.type == entry_type::directory && n.watch >= 0 &&
         !path_names_watched(join_path(dir_path, n.name), n.watch);
}

watch_engine::look_again watch_engine::when_to_look_again(root_state& root, node_id dir,
                                                          std::string& path) {
  const tree_node& n = root.tree[dir];
  if (!n.in_use || n.type != entry_type::directory || n.watch < 0)
    return look_again::never;
  path = root.tree.path(dir);
  if (in_limbo(root, dir))
    return look_again::later;
  // The root's path is checked on its own (directory_path_is_current).
  inotify_.foreign_watch_removed = -1;
  const int there = dir == root.tree.root() ? n.watch : watch_at(path);
  if (there == n.watch) {
    root.looks_overdue.erase(dir);
    return look_again::now;
  }
  const int news_marker = there == other_directory ? inotify_.foreign_watch_removed : -1;
  if (uncross(root, dir, there)) {
    path = root.tree.path(dir);
    return look_again::now;
  }
  if (replace_if_overdue(root, dir, path))
    return look_again::never;
  if (news_marker >= 0)
    inotify_.pending_looks[news_marker] = pending_look{&root, dir, path};
  return look_again::later;
}

void watch_engine::look_is_due(int watch) {
  auto it = inotify_.pending_looks.find(watch);
  if (it == inotify_.pending_looks.end())
    return;
  it->second.root->looks_overdue[it->second.node] = std::move(it->second.path);
  inotify_.pending_looks.erase(it);
  inotify_.had_news = true; // the look again is due now
}

bool watch_engine::replace_if_overdue(root_state& root, node_id dir, const std::string& path) {
  // Every record of what happened before the last look at `path` has been handled, and the
  // picture still has this directory there while the disk has another one: the records that
  // would have moved it were taken for another entry's (a look that read ahead of them made
  // the picture wrong about which directory was which). None is still to come: what the path
  // holds replaces it.
  auto it = root.looks_overdue.find(dir);
  if (it == root.looks_overdue.end())
    return false;
  const bool same_look = it->second == path;
  root.looks_overdue.erase(it);
  if (!same_look)
    return false; // moved in the picture since: looked at again where it is now
  entry_tree& tree = root.tree;
  const node_id parent = tree[dir].parent;
  const std::string name = tree[dir].name;
  entry_removed(root, dir);
  entry_type type = entry_type::unknown;
  entry_status status;
  if (!fs_.status(path, false, type, status))
    entry_appeared(root, parent, name, type == entry_type::directory);
  return true;
}

bool watch_engine::uncross(root_state& root, node_id dir, int there) {
  // The directory at `dir`'s path is one the picture has elsewhere, and the other node's path
  // holds this node's directory: the picture has the two swapped. No record is still to come for
  // that (the records of a swap were handled while neither path could be looked at, or a look
  // met one side only), and waiting for one would leave both unlisted for good. The picture
  // swaps them, and so does the reader.
  entry_tree& tree = root.tree;
  const node_id other = there >= 0 ? watched_node(there, root) : no_node;
  if (other == no_node || other == dir || !tree[other].in_use || in_limbo(root, other) ||
      tree.holds(dir, other) || tree.holds(other, dir))
    return false;
  if (!path_names_watched(tree.path(other), tree[dir].watch))
    return false;
  tree.exchange(dir, other);
  note_directory_moved(root, dir, no_node);
  note_directory_moved(root, other, no_node);
  emit(root, event_kind::exchanged, tree.path(dir), entry_type::directory, tree.path(other),
       entry_type::directory);
  root.contents_to_verify.insert(other);
  // The renames that crossed the two on disk may still be on their way, as for a rescan.
  picture_may_be_ahead();
  return true;
}

void watch_engine::verify_contents(root_state& root) {
  if (root.contents_to_verify.empty())
    return;
  std::vector<node_id> nodes(root.contents_to_verify.begin(), root.contents_to_verify.end());
  root.contents_to_verify.clear();
  for (node_id node : nodes) {
    std::string path;
    const look_again when = when_to_look_again(root, node, path);
    if (when == look_again::never)
      continue;
    boost::system::error_code ec;
    if (when == look_again::now)
      ec = watch_then_scan(root, node, path, true);
    if (when == look_again::later || is_vanished(ec))
      root.contents_to_verify.insert(node); // its records are still to come
    else if (ec)
      report_problem(root, path, entry_type::directory, ec);
  }
}

void watch_engine::note_arrival(root_state& root, node_id dir, std::string_view name,
                                std::uint32_t cookie, bool is_directory, bool name_was_taken,
                                int origin_watch, std::string_view origin_name) {
  const node_id node = root.tree.find(dir, name);
  if (cookie != 0 && node != no_node)
    inotify_.last_arrival = arrival{&root,        dir,          std::string(name),          cookie, node,
                       is_directory, name_was_taken, origin_watch, std::string(origin_name)};
}

bool watch_engine::goes_back_to_origin(const arrival& noted, std::uint32_t cookie) const {
  if (noted.origin_watch < 0 || !inotify_.reading)
    return true;
  const inotify_record* to = find_moved_to(cookie, inotify_.next_record);
  if (to == nullptr)
    return true; // not read yet
  return noted.is_back_to_origin(*to);
}

const inotify_record* watch_engine::find_moved_to(std::uint32_t cookie, std::size_t from) const {
  for (std::size_t i = from; i < inotify_.records.size(); ++i)
    if ((inotify_.records[i].mask & inotify_flag::moved_to) != 0 && inotify_.records[i].cookie == cookie)
      return &inotify_.records[i];
  return nullptr;
}

void watch_engine::forget_arrival_unless_between(const inotify_record& record) {
  const entry_tree& tree = inotify_.last_arrival->root->tree;
  const bool in_use = tree[inotify_.last_arrival->node].in_use && tree[inotify_.last_arrival->dir].in_use;
  const exchange_watches watches{in_use ? tree[inotify_.last_arrival->dir].watch : -1, -1,
                                 in_use ? tree[inotify_.last_arrival->node].watch : -1};
  const bool second_half = in_use && (record.mask & inotify_flag::moved_from) != 0 &&
                           record.watch == watches.first_parent && record.name == inotify_.last_arrival->name &&
                           record.cookie != 0 && record.cookie != inotify_.last_arrival->cookie;
  if (!second_half && !(in_use && may_come_between(record, watches)))
    inotify_.last_arrival.reset();
}

void watch_engine::forget_arrival_into(const root_state& root) noexcept {
  if (inotify_.last_arrival && inotify_.last_arrival->root == &root)
    inotify_.last_arrival.reset();
}

bool watch_engine::moved_from_names_another(root_state& root, node_id dir, node_id child,
                                            std::string_view name, std::uint32_t cookie,
                                            bool is_directory) {
  if (!inotify_.last_arrival || inotify_.last_arrival->root != &root || inotify_.last_arrival->dir != dir || inotify_.last_arrival->node != child ||
      inotify_.last_arrival->name != name || inotify_.last_arrival->cookie == cookie)
    return false;
  const arrival noted = std::move(*inotify_.last_arrival);
  inotify_.last_arrival.reset();
  const entry_tree& tree = root.tree;
  // A record of the other kind cannot be about the entry that came in.
  if (is_directory != noted.directory)
    return true;
  // An exchange's second half goes back where the first came from; a move elsewhere is the
  // entry that came in moving on (the first half of another exchange, perhaps).
  if (!goes_back_to_origin(noted, cookie))
    return false;
  const std::string path = join_path(tree.path(dir), name);
  if (is_directory && tree[child].watch >= 0) {
    // The later records of the name tell first, as below: the directory that came in may have
    // gone back and come here again since (`mv x n; mv n x; mv x n`), when the disk says that
    // the name still holds it.
    if (std::optional<bool> said =
            records_say_name_taken(root, inotify_.next_record, dir, name, !noted.name_was_taken))
      return *said;
    if (path_names_watched(path, tree[child].watch))
      return true; // the one that came in is still there
    // Gone from the name since (moved on, or removed): taken for the one that came in going
    // back, which the disk cannot confirm. Not another directory found where it came from: a
    // later change may have put that one there (a swap with an entry from outside) before its
    // records are read. It is looked at again where the picture has it once the records are
    // handled, which repairs the picture if it was the other side of a swap after all.
    root.contents_to_verify.insert(child);
    return false;
  }
  // Otherwise the name being taken says so: after `mv x n; mv n x` it is free. A writer that
  // goes on may have taken it again before the disk is looked at; the records of that later
  // entry, when read already, tell first.
  return name_taken(root, inotify_.next_record, dir, name, !noted.name_was_taken);
}

bool watch_engine::directory_path_is_current(const root_state& root, node_id dir, const std::string& path) {
  // The root's own identity is checked on its own (check_root_identities), and its path may be
  // a symlink, which a subdirectory's watch does not follow.
  return dir == root.tree.root() || path_names_watched(path, root.tree[dir].watch);
}

boost::system::error_code watch_engine::look_up(const std::string& path) {
  entry_type type = entry_type::unknown;
  entry_status status;
  return fs_.status(path, false, type, status);
}

bool watch_engine::name_on_disk(root_state& root, node_id dir, std::string_view name) {
  const std::string dir_path = root.tree.path(dir);
  if (!look_up(join_path(dir_path, name)))
    return true;
  if (root.tree[dir].watch < 0 || directory_path_is_current(root, dir, dir_path))
    return false;
  // The directory moved before its records were read: the path names another one, or none.
  // Taking the name for taken keeps an entry that may be there; the look once the picture has
  // the directory where it is removes it if it is not.
  root.names_to_verify.emplace_back(dir, std::string(name));
  return true;
}

void watch_engine::check_type_where_moved(root_state& root, node_id node, const std::string& path,
                                          entry_type reported) {
  if (reported == entry_type::directory || !is_vanished(check_moved_type(root, node, path, reported)))
    return;
  // Nothing there: its removal follows, unless its directory (watched) moved before its records
  // were read, and the path named another place.
  const entry_tree& tree = root.tree;
  const node_id dir = tree[node].parent;
  if (dir == no_node || tree[dir].watch < 0 || directory_path_is_current(root, dir, tree.path(dir)))
    return;
  root.names_to_verify.emplace_back(dir, tree[node].name);
}

void watch_engine::verify_names(root_state& root) {
  if (root.names_to_verify.empty())
    return;
  std::vector<std::pair<node_id, std::string>> names;
  names.swap(root.names_to_verify);
  entry_tree& tree = root.tree;
  for (auto& [dir, name] : names) {
    if (!tree[dir].in_use)
      continue;
    const node_id node = tree.find(dir, name);
    if (node == no_node)
      continue; // records removed it or renamed it since
    std::string dir_path;
    const look_again when = when_to_look_again(root, dir, dir_path);
    if (when == look_again::later)
      root.names_to_verify.emplace_back(dir, std::move(name)); // its records are still to come
    else if (when == look_again::now) {
      // Still there, and of the type the picture has (a non-directory's was read where the
      // picture had it, which may have named another entry then).
      const std::string path = join_path(dir_path, name);
      const entry_type type = tree[node].type;
      const boost::system::error_code ec =
          type == entry_type::directory ? look_up(path) : check_moved_type(root, node, path, type);
      if (!is_vanished(ec))
        continue;
      // Gone, unless the directory moved again between the two looks.
      if (directory_path_is_current(root, dir, dir_path))
        entry_removed(root, node);
      else
        root.names_to_verify.emplace_back(dir, std::move(name));
    }
  }
}

} // namespace asio_fswatch::detail
