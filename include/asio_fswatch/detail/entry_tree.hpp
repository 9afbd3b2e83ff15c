// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the monitor's own picture of one watched tree (sans-io).
// A node is (parent, name), so renaming a directory is O(1) whatever its size; children are
// found through one open-addressing index keyed by (parent, name), and listed through an
// intrusive sibling list.
#ifndef ASIO_FSWATCH_DETAIL_ENTRY_TREE_HPP
#define ASIO_FSWATCH_DETAIL_ENTRY_TREE_HPP

#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/ignore_rules.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace asio_fswatch::detail {

/// `directory` + '/' + `name`, without doubling the '/' of the root directory "/".
std::string join_path(std::string_view directory, std::string_view name);
/// The directory of `path` (absolute, normal): it keeps its '/' when it is a file system's
/// root, "/" or a drive's "C:/". Empty when `path` has no '/'.
std::string_view parent_path(std::string_view path) noexcept;
/// The part of `path` below `directory` (both absolute, normal), without the '/' between them:
/// "b/c" for "/a" and "/a/b/c" (a file system's root, "/" or "C:/", ends in its own '/').
/// Nothing when `path` is not strictly below `directory`.
std::optional<std::string_view> relative_below(std::string_view directory, std::string_view path) noexcept;

/// The same type of entry, where `unknown` (a type that could not be read in time) stands for
/// any non-directory: a symlink replaced by a file under the same name is another entry.
constexpr bool same_entry_kind(entry_type a, entry_type b) noexcept {
  if (a == entry_type::unknown || b == entry_type::unknown)
    return (a == entry_type::directory) == (b == entry_type::directory);
  return a == b;
}

using node_id = std::uint32_t;
inline constexpr node_id no_node = 0xffffffffu;

struct tree_node {
  std::string name;               ///< the root's is its absolute path
  node_id parent = no_node;
  node_id first_child = no_node;
  node_id next_sibling = no_node;
  node_id prev_sibling = no_node;
  int watch = -1;                 ///< inotify watch id of a watched directory
  entry_type type = entry_type::unknown;
  bool in_use = false;
  bool scan_pending = false;      ///< a directory a scan listed and has yet to read (async add)
  bool has_ignore_rules = false;  ///< a directory whose ignore files have patterns (entry_tree)
};

class entry_tree {
public:
  /// A tree whose root is `root_path` (absolute, normal). `keep_status`: every node also has an
  /// entry_status (the poll backend compares them; the inotify backend saves the memory).
  explicit entry_tree(std::string root_path = {}, entry_type root_type = entry_type::directory,
                      bool keep_status = false);
  // Moved, never copied: a copy's names would not have the capacities counted (name_bytes_).
  entry_tree(entry_tree&&) noexcept = default;
  entry_tree& operator=(entry_tree&&) noexcept = default;
  entry_tree(const entry_tree&) = delete;
  entry_tree& operator=(const entry_tree&) = delete;

  bool keeps_status() const noexcept { return keep_status_; }
  entry_status& status(node_id id) { return statuses_[id]; }
  const entry_status& status(node_id id) const { return statuses_[id]; }

  node_id root() const noexcept { return 0; }
  const tree_node& operator[](node_id id) const { return nodes_[id]; }
  tree_node& operator[](node_id id) { return nodes_[id]; }

  /// The child named `name` of `parent`, or no_node.
  node_id find(node_id parent, std::string_view name) const noexcept;

  /// Adds a child; `name` must not exist under `parent` yet.
  node_id insert(node_id parent, std::string_view name, entry_type type);

  /// Removes `id` and everything under it; calls `on_removed(node_id, const tree_node&)` for each
  /// node, deepest first, before it is freed. The root cannot be erased.
  template <typename OnRemoved>
  void erase(node_id id, OnRemoved&& on_removed);
  void erase(node_id id) {
    erase(id, [](node_id, const tree_node&) {});
  }

  /// Moves `id` under `new_parent` as `new_name`; the target must not exist (erase it first).
  /// `id` may be detached: it is then attached there.
  void move(node_id id, node_id new_parent, std::string_view new_name);

  /// Takes `id` (not the root), with everything under it, out of its directory: it hangs under
  /// nothing, keeps its name and what it holds, and no find() meets it, until move() places it
  /// again or erase() frees it. The directory monitor keeps an entry so between the two halves
  /// of a rename, so that a new entry of its old name is another node.
  void detach(node_id id);
  /// Whether `id` hangs under the root (not a detached node, nor anything under one).
  bool attached(node_id id) const noexcept;
  /// The detached nodes (not what they hold), oldest first.
  const std::vector<node_id>& detached() const noexcept { return detached_; }

  /// Swaps the places (parent and name) of `a` and `b`, each with everything under it, as
  /// renameat2(RENAME_EXCHANGE) does. Neither may be the root, detached, or hold the other.
  void exchange(node_id a, node_id b);

  /// Whether `node` is `above` or lies under it.
  bool holds(node_id above, node_id node) const noexcept;

  /// Absolute path of an attached node (of a detached one: as if its detached top were a child
  /// of the root).
  std::string path(node_id id) const;
  /// Path of a node relative to the root ("" for the root itself; detached: as path() says).
  std::string relative_path(node_id id) const;

  /// Number of live nodes, the root included.
  std::size_t size() const noexcept { return live_; }
  /// How many of them are directories.
  std::size_t directories() const noexcept { return directories_; }
  /// Changes the type of `id`'s entry (keeping the count of directories right: no other
  /// change of a node's type is allowed).
  void set_type(node_id id, entry_type type) noexcept;
  /// Node ids in use or free: every id is below this.
  std::size_t node_slots() const noexcept { return nodes_.size(); }

  /// The patterns of directory `id`'s ignore files (watch_options::ignore_files), or nullptr
  /// when they have none. They go with the directory: a move keeps them, erase drops them.
  const ignore_rules* ignore_rules_of(node_id id) const noexcept {
    if (!nodes_[id].has_ignore_rules)
      return nullptr;
    return &ignore_rules_.find(id)->second;
  }
  /// Sets them (empty rules remove them); whether they differ from those it had.
  bool set_ignore_rules(node_id id, ignore_rules rules);
  /// Whether any directory has some.
  bool has_ignore_rules() const noexcept { return !ignore_rules_.empty(); }

  /// Pre-order walk of the subtree at `id` (itself first): f(node_id, depth).
  template <typename F>
  void for_each_preorder(node_id id, F&& f) const;

  /// The bytes the tree takes (its arrays, and its names' heap), without a walk.
  std::size_t memory_bytes() const noexcept;

  /// Checks the structure (for tests): every node in use hangs under the root or a detached
  /// node without a cycle, sibling links agree, (parent, name) pairs are unique, the index finds
  /// each attached node and no detached one, and the count is right. The first problem found,
  /// or "".
  std::string check() const;

private:
  // A slot keeps the low 32 bits of its entry's hash: probing and growing compare and move
  // slots without touching the (large, randomly accessed) node array.
  struct slot {
    node_id id = no_node;
    std::uint32_t hash = 0;
  };
  static std::uint32_t hash(node_id parent, std::string_view name) noexcept;
  /// The heap a name takes: none within the string's own buffer (libstdc++ keeps 15 bytes).
  static std::size_t name_heap_bytes(const std::string& name) noexcept {
    return name.capacity() > 15 ? name.capacity() + 1 : 0;
  }
  void index_insert(node_id id);
  void index_erase(node_id id);
  void index_grow();
  void unlink(node_id id);
  void link(node_id id, node_id parent);
  void forget_detached(node_id id);
  node_id allocate();

  std::vector<tree_node> nodes_;
  std::vector<node_id> free_;
  std::vector<slot> index_; // open addressing, linear probing, id no_node = empty
  std::vector<entry_status> statuses_; // parallel to nodes_ when keep_status_
  std::vector<node_id> detached_;      // a few at most: the entries between a rename's halves
  std::unordered_map<node_id, ignore_rules> ignore_rules_; // of the nodes with has_ignore_rules
  std::size_t live_ = 0;
  std::size_t directories_ = 0;
  std::size_t name_bytes_ = 0; // the heap the nodes' names take (memory_bytes, without a walk)
  bool keep_status_ = false;
};

template <typename OnRemoved>
void entry_tree::erase(node_id id, OnRemoved&& on_removed) {
  // Iterative post-order: descend to the deepest first child, remove it, go on with its sibling.
  node_id stop = nodes_[id].parent;
  const bool detached_top = stop == no_node;
  if (detached_top)
    forget_detached(id);
  node_id current = id;
  while (current != stop) {
    while (nodes_[current].first_child != no_node)
      current = nodes_[current].first_child;
    node_id parent = nodes_[current].parent;
    on_removed(current, nodes_[current]);
    bool is_top = current == id;
    if (!(is_top && detached_top)) // a detached node is in no index slot
      index_erase(current);
    unlink(current);
    tree_node& n = nodes_[current];
    name_bytes_ -= name_heap_bytes(n.name);
    n.name.clear();
    n.name.shrink_to_fit();
    n.in_use = false;
    n.scan_pending = false;
    if (n.has_ignore_rules) {
      ignore_rules_.erase(current);
      n.has_ignore_rules = false;
    }
    n.watch = -1;
    n.parent = n.first_child = n.next_sibling = n.prev_sibling = no_node;
    free_.push_back(current);
    --live_;
    if (n.type == entry_type::directory)
      --directories_;
    current = is_top ? stop : parent;
  }
}

template <typename F>
void entry_tree::for_each_preorder(node_id id, F&& f) const {
  std::size_t depth = 0;
  node_id current = id;
  for (;;) {
    f(current, depth);
    if (nodes_[current].first_child != no_node) {
      current = nodes_[current].first_child;
      ++depth;
      continue;
    }
    while (current != id && nodes_[current].next_sibling == no_node) {
      current = nodes_[current].parent;
      --depth;
    }
    if (current == id)
      return;
    current = nodes_[current].next_sibling;
  }
}

} // namespace asio_fswatch::detail

#endif
