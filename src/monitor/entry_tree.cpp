// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/entry_tree.hpp>

#include <algorithm>
#include <cassert>
#include <functional>
#include <utility>

namespace asio_fswatch::detail {

entry_tree::entry_tree(std::string root_path, entry_type root_type, bool keep_status)
    : keep_status_(keep_status) {
  node_id id = allocate();
  tree_node& root = nodes_[id];
  root.name = std::move(root_path);
  name_bytes_ = name_heap_bytes(root.name);
  root.type = root_type;
  root.in_use = true;
  live_ = 1;
  directories_ = root_type == entry_type::directory ? 1 : 0;
  index_.assign(64, slot{});
}

node_id entry_tree::allocate() {
  if (!free_.empty()) {
    node_id id = free_.back();
    free_.pop_back();
    if (keep_status_)
      statuses_[id] = entry_status{};
    return id;
  }
  nodes_.emplace_back();
  if (keep_status_)
    statuses_.emplace_back();
  return static_cast<node_id>(nodes_.size() - 1);
}

std::uint32_t entry_tree::hash(node_id parent, std::string_view name) noexcept {
  std::size_t h = std::hash<std::string_view>{}(name);
  // Mix the parent in (a 64-bit multiplicative step), so equal names in different directories
  // spread over the table; the high bits of the product are the best mixed.
  std::uint64_t mixed =
      (static_cast<std::uint64_t>(h) ^ (static_cast<std::uint64_t>(parent) * 0x9e3779b97f4a7c15ull)) *
      0xff51afd7ed558ccdull;
  return static_cast<std::uint32_t>(mixed >> 32);
}

node_id entry_tree::find(node_id parent, std::string_view name) const noexcept {
  std::uint32_t h = hash(parent, name);
  std::size_t mask = index_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const slot& s = index_[i];
    if (s.id == no_node)
      return no_node;
    if (s.hash == h) {
      const tree_node& n = nodes_[s.id];
      if (n.parent == parent && n.name == name)
        return s.id;
    }
  }
}

void entry_tree::index_insert(node_id id) {
  if ((live_ + 1) * 4 > index_.size() * 3) // keep the load under 3/4
    index_grow();
  std::uint32_t h = hash(nodes_[id].parent, nodes_[id].name);
  std::size_t mask = index_.size() - 1;
  std::size_t i = h & mask;
  while (index_[i].id != no_node)
    i = (i + 1) & mask;
  index_[i] = {id, h};
}

void entry_tree::index_grow() {
  std::vector<slot> old(index_.size() * 2);
  old.swap(index_);
  std::size_t mask = index_.size() - 1;
  for (const slot& s : old) {
    if (s.id == no_node)
      continue;
    std::size_t i = s.hash & mask;
    while (index_[i].id != no_node)
      i = (i + 1) & mask;
    index_[i] = s;
  }
}

void entry_tree::index_erase(node_id id) {
  std::size_t mask = index_.size() - 1;
  std::size_t i = hash(nodes_[id].parent, nodes_[id].name) & mask;
  while (index_[i].id != id) {
    assert(index_[i].id != no_node);
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: pull later members of the probe run into the hole so that lookups
  // never need tombstones.
  std::size_t hole = i;
  for (std::size_t next = (hole + 1) & mask; index_[next].id != no_node; next = (next + 1) & mask) {
    std::size_t home = index_[next].hash & mask;
    // Move it when its home slot is not in the (cyclic) range (hole, next].
    bool home_in_range = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
    if (!home_in_range) {
      index_[hole] = index_[next];
      hole = next;
    }
  }
  index_[hole] = slot{};
}

void entry_tree::link(node_id id, node_id parent) {
  tree_node& n = nodes_[id];
  n.parent = parent;
  n.prev_sibling = no_node;
  n.next_sibling = nodes_[parent].first_child;
  if (n.next_sibling != no_node)
    nodes_[n.next_sibling].prev_sibling = id;
  nodes_[parent].first_child = id;
}

void entry_tree::unlink(node_id id) {
  tree_node& n = nodes_[id];
  if (n.prev_sibling != no_node)
    nodes_[n.prev_sibling].next_sibling = n.next_sibling;
  else if (n.parent != no_node)
    nodes_[n.parent].first_child = n.next_sibling;
  if (n.next_sibling != no_node)
    nodes_[n.next_sibling].prev_sibling = n.prev_sibling;
  n.prev_sibling = n.next_sibling = no_node;
}

node_id entry_tree::insert(node_id parent, std::string_view name, entry_type type) {
  assert(find(parent, name) == no_node);
  node_id id = allocate();
  tree_node& n = nodes_[id];
  n.name.assign(name);
  name_bytes_ += name_heap_bytes(n.name);
  n.type = type;
  n.in_use = true;
  n.scan_pending = false;
  n.watch = -1;
  n.first_child = no_node;
  link(id, parent);
  index_insert(id);
  ++live_;
  if (type == entry_type::directory)
    ++directories_;
  return id;
}

void entry_tree::set_type(node_id id, entry_type type) noexcept {
  directories_ -= nodes_[id].type == entry_type::directory ? 1 : 0;
  directories_ += type == entry_type::directory ? 1 : 0;
  nodes_[id].type = type;
}

void entry_tree::move(node_id id, node_id new_parent, std::string_view new_name) {
  assert(find(new_parent, new_name) == no_node && id != root());
  if (nodes_[id].parent == no_node) {
    forget_detached(id);
  } else {
    index_erase(id);
    unlink(id);
  }
  name_bytes_ -= name_heap_bytes(nodes_[id].name);
  nodes_[id].name.assign(new_name);
  name_bytes_ += name_heap_bytes(nodes_[id].name);
  link(id, new_parent);
  index_insert(id);
}

void entry_tree::detach(node_id id) {
  assert(id != root() && nodes_[id].parent != no_node);
  index_erase(id);
  unlink(id);
  nodes_[id].parent = no_node;
  detached_.push_back(id);
}

void entry_tree::forget_detached(node_id id) {
  auto it = std::find(detached_.begin(), detached_.end(), id);
  assert(it != detached_.end());
  detached_.erase(it);
}

bool entry_tree::attached(node_id id) const noexcept {
  for (node_id n = id; n != no_node; n = nodes_[n].parent)
    if (n == root())
      return true;
  return false;
}

void entry_tree::exchange(node_id a, node_id b) {
  assert(a != root() && b != root() && a != b);
  assert(nodes_[a].parent != no_node && nodes_[b].parent != no_node);
  index_erase(a);
  index_erase(b);
  node_id parent_a = nodes_[a].parent;
  node_id parent_b = nodes_[b].parent;
  unlink(a);
  unlink(b);
  nodes_[a].name.swap(nodes_[b].name);
  link(a, parent_b);
  link(b, parent_a);
  index_insert(a);
  index_insert(b);
}

bool entry_tree::holds(node_id above, node_id node) const noexcept {
  for (node_id n = node; n != no_node; n = nodes_[n].parent)
    if (n == above)
      return true;
  return false;
}

std::string entry_tree::relative_path(node_id id) const {
  if (id == root())
    return {};
  std::size_t length = 0;
  for (node_id n = id; n != root() && n != no_node; n = nodes_[n].parent)
    length += nodes_[n].name.size() + 1;
  std::string out(length - 1, '/');
  std::size_t end = out.size();
  for (node_id n = id; n != root() && n != no_node; n = nodes_[n].parent) {
    const std::string& name = nodes_[n].name;
    end -= name.size();
    name.copy(out.data() + end, name.size());
    if (end > 0)
      --end; // the '/' already there
  }
  return out;
}

std::string join_path(std::string_view directory, std::string_view name) {
  std::string out;
  out.reserve(directory.size() + 1 + name.size());
  out += directory;
  if (out.empty() || out.back() != '/')
    out += '/';
  out += name;
  return out;
}

std::string_view parent_path(std::string_view path) noexcept {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string_view::npos)
    return {};
  const bool parent_is_a_root = slash == 0 || (slash == 2 && path[1] == ':');
  return path.substr(0, parent_is_a_root ? slash + 1 : slash);
}

std::optional<std::string_view> relative_below(std::string_view directory, std::string_view path) noexcept {
  if (directory.empty() || path.size() <= directory.size() || path.compare(0, directory.size(), directory) != 0)
    return std::nullopt;
  if (directory.back() == '/')
    return path.substr(directory.size());
  if (path[directory.size()] != '/' || path.size() == directory.size() + 1)
    return std::nullopt;
  return path.substr(directory.size() + 1);
}

std::string entry_tree::path(node_id id) const {
  const std::string& root_path = nodes_[root()].name;
  if (id == root())
    return root_path;
  return join_path(root_path, relative_path(id));
}

std::string entry_tree::check() const {
  auto named = [&](node_id id) { return "node " + std::to_string(id) + " '" + nodes_[id].name + "'"; };
  std::size_t in_use = 0;
  std::size_t directories = 0;
  std::size_t name_bytes = 0;
  std::size_t indexed = 0;
  for (const slot& s : index_) {
    if (s.id == no_node)
      continue;
    ++indexed;
    if (s.id >= nodes_.size() || !nodes_[s.id].in_use)
      return "the index holds node " + std::to_string(s.id) + ", which is not in use";
  }
  for (node_id id = 0; id < nodes_.size(); ++id) {
    const tree_node& n = nodes_[id];
    if (!n.in_use)
      continue;
    ++in_use;
    directories += n.type == entry_type::directory ? 1 : 0;
    name_bytes += name_heap_bytes(n.name);
    if (id == root())
      continue;
    if (n.parent == no_node) {
      if (std::find(detached_.begin(), detached_.end(), id) == detached_.end())
        return named(id) + " hangs under nothing, but is not among the detached nodes";
      if (n.prev_sibling != no_node || n.next_sibling != no_node)
        return named(id) + " is detached, but has siblings";
      continue;
    }
    std::size_t steps = 0;
    node_id up = n.parent;
    for (; up != root(); up = nodes_[up].parent) {
      if (up >= nodes_.size() || !nodes_[up].in_use)
        return named(id) + " has a parent chain that leaves the tree";
      if (nodes_[up].parent == no_node)
        break; // under a detached node: checked as one above
      if (++steps > nodes_.size())
        return named(id) + " is on a cycle of parents";
    }
    bool listed = false;
    for (node_id c = nodes_[n.parent].first_child; c != no_node; c = nodes_[c].next_sibling) {
      if (c == id)
        listed = true;
      if (nodes_[c].parent != n.parent)
        return named(c) + " is a sibling under a parent it does not name";
    }
    if (!listed)
      return named(id) + " is not among its parent's children";
    if (find(n.parent, n.name) != id)
      return named(id) + " is not found by (parent, name): a duplicate or a missing index slot";
  }
  if (in_use != live_)
    return std::to_string(in_use) + " nodes in use, but the count says " + std::to_string(live_);
  if (name_bytes != name_bytes_)
    return std::to_string(name_bytes) + " bytes of names on the heap, but the count says " +
           std::to_string(name_bytes_);
  if (directories != directories_)
    return std::to_string(directories) + " directories, but the count says " + std::to_string(directories_) +
           " (a type changed without set_type?)";
  for (node_id id : detached_)
    if (id >= nodes_.size() || !nodes_[id].in_use || nodes_[id].parent != no_node || id == root())
      return "detached node " + std::to_string(id) + " is not in use, or hangs under a directory";
  if (indexed + 1 + detached_.size() != live_)
    return std::to_string(indexed) + " index slots for " + std::to_string(live_) + " nodes, " +
           std::to_string(detached_.size()) + " of them detached";
  return {};
}

bool entry_tree::set_ignore_rules(node_id id, ignore_rules rules) {
  tree_node& node = nodes_[id];
  if (rules.empty()) {
    const bool had = node.has_ignore_rules;
    if (had)
      ignore_rules_.erase(id);
    node.has_ignore_rules = false;
    return had;
  }
  if (const ignore_rules* before = ignore_rules_of(id); before && *before == rules)
    return false;
  ignore_rules_.insert_or_assign(id, std::move(rules));
  node.has_ignore_rules = true;
  return true;
}

std::size_t entry_tree::memory_bytes() const noexcept {
  std::size_t bytes = nodes_.capacity() * sizeof(tree_node) + free_.capacity() * sizeof(node_id) +
                      index_.capacity() * sizeof(slot) + statuses_.capacity() * sizeof(entry_status) +
                      detached_.capacity() * sizeof(node_id);
  for (const auto& [id, rules] : ignore_rules_)
    bytes += sizeof(id) + rules.memory_bytes();
  return bytes + name_bytes_;
}

} // namespace asio_fswatch::detail
