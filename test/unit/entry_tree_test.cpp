// SPDX-License-Identifier: BSL-1.0
// Unit tests for detail/entry_tree.hpp: insert/find/erase/move, detached subtrees, paths, the
// deepest-first erase callback, the pre-order walk, node reuse, the count of directories, and
// the open-addressing index (backward-shift deletion, growth). The random run against a model is
// in entry_tree_model_test.cpp.
#include "entry_tree_support.hpp"

#include <asio_fswatch/detail/entry_tree.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace detail = asio_fswatch::detail;
using asio_fswatch::entry_type;

using detail::no_node;
using detail::node_id;
using entry_tree_support::children;

namespace {

struct removal {
  node_id id;
  std::string name;
  std::string path;
};

// Erases `id`, recording each callback with the path the node had when it was reported.
std::vector<removal> erase_recording(detail::entry_tree& tree, node_id id) {
  std::vector<removal> out;
  tree.erase(id, [&](node_id removed, const detail::tree_node& node) {
    out.push_back({removed, node.name, tree.path(removed)});
  });
  return out;
}

std::vector<std::pair<node_id, std::size_t>> preorder(const detail::entry_tree& tree, node_id start) {
  std::vector<std::pair<node_id, std::size_t>> out;
  tree.for_each_preorder(start, [&](node_id id, std::size_t depth) { out.emplace_back(id, depth); });
  return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(entry_tree)

BOOST_AUTO_TEST_CASE(empty_tree) {
  detail::entry_tree tree("/r");
  BOOST_TEST(tree.root() == 0u);
  BOOST_TEST(tree.size() == 1u);
  BOOST_TEST(tree[tree.root()].name == "/r");
  BOOST_TEST(tree[tree.root()].type == entry_type::directory);
  BOOST_TEST(tree[tree.root()].in_use);
  BOOST_TEST(tree[tree.root()].parent == no_node);
  BOOST_TEST(tree.path(tree.root()) == "/r");
  BOOST_TEST(tree.relative_path(tree.root()) == "");
  BOOST_TEST(tree.find(tree.root(), "a") == no_node);
  BOOST_TEST(tree.find(tree.root(), "/r") == no_node); // the root is nobody's child
  BOOST_TEST(!tree.keeps_status());
  BOOST_TEST(tree.memory_bytes() > 0u);
  BOOST_TEST(preorder(tree, tree.root()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(insert_find_and_paths) {
  detail::entry_tree tree("/home/user/project");
  node_id src = tree.insert(tree.root(), "src", entry_type::directory);
  node_id main = tree.insert(src, "main.cpp", entry_type::file);
  node_id link = tree.insert(src, "link", entry_type::symlink);
  node_id deep = tree.insert(tree.insert(src, "detail", entry_type::directory), "x.hpp",
                             entry_type::file);
  node_id readme = tree.insert(tree.root(), "README", entry_type::file);
  BOOST_TEST(tree.size() == 7u);

  BOOST_TEST(tree.find(tree.root(), "src") == src);
  BOOST_TEST(tree.find(src, "main.cpp") == main);
  BOOST_TEST(tree.find(src, "link") == link);
  BOOST_TEST(tree.find(tree.root(), "main.cpp") == no_node); // a name is found under its parent only
  BOOST_TEST(tree.find(src, "README") == no_node);
  BOOST_TEST(tree.find(tree.root(), "sr") == no_node);
  BOOST_TEST(tree.find(tree.root(), "src ") == no_node);

  BOOST_TEST(tree[main].parent == src);
  BOOST_TEST(tree[main].type == entry_type::file);
  BOOST_TEST(tree[main].watch == -1);
  BOOST_TEST(tree[link].type == entry_type::symlink);
  BOOST_TEST(tree.path(src) == "/home/user/project/src");
  BOOST_TEST(tree.path(main) == "/home/user/project/src/main.cpp");
  BOOST_TEST(tree.path(deep) == "/home/user/project/src/detail/x.hpp");
  BOOST_TEST(tree.path(readme) == "/home/user/project/README");
  BOOST_TEST(tree.relative_path(src) == "src");
  BOOST_TEST(tree.relative_path(deep) == "src/detail/x.hpp");
  BOOST_TEST(tree.relative_path(readme) == "README");
}

BOOST_AUTO_TEST_CASE(same_name_in_different_directories) {
  detail::entry_tree tree("/r");
  node_id a = tree.insert(tree.root(), "a", entry_type::directory);
  node_id b = tree.insert(tree.root(), "b", entry_type::directory);
  node_id in_root = tree.insert(tree.root(), "x", entry_type::file);
  node_id in_a = tree.insert(a, "x", entry_type::file);
  node_id in_b = tree.insert(b, "x", entry_type::directory);
  BOOST_TEST(tree.find(tree.root(), "x") == in_root);
  BOOST_TEST(tree.find(a, "x") == in_a);
  BOOST_TEST(tree.find(b, "x") == in_b);
  tree.erase(in_a);
  BOOST_TEST(tree.find(a, "x") == no_node);
  BOOST_TEST(tree.find(tree.root(), "x") == in_root);
  BOOST_TEST(tree.find(b, "x") == in_b);
}

BOOST_AUTO_TEST_CASE(root_slash_paths) {
  detail::entry_tree tree("/");
  node_id etc = tree.insert(tree.root(), "etc", entry_type::directory);
  node_id passwd = tree.insert(etc, "passwd", entry_type::file);
  node_id top = tree.insert(tree.root(), "vmlinuz", entry_type::file);
  BOOST_TEST(tree.path(tree.root()) == "/");
  BOOST_TEST(tree.path(etc) == "/etc");
  BOOST_TEST(tree.path(passwd) == "/etc/passwd");
  BOOST_TEST(tree.path(top) == "/vmlinuz");
  BOOST_TEST(tree.relative_path(passwd) == "etc/passwd");
  BOOST_TEST(tree.relative_path(tree.root()) == "");
}

BOOST_AUTO_TEST_CASE(join_path) {
  BOOST_TEST(detail::join_path("/", "a") == "/a");
  BOOST_TEST(detail::join_path("/r", "a") == "/r/a");
  BOOST_TEST(detail::join_path("/r/", "a") == "/r/a");
  BOOST_TEST(detail::join_path("/r/s", "a/b") == "/r/s/a/b");
  BOOST_TEST(detail::join_path("", "a") == "/a");
}

BOOST_AUTO_TEST_CASE(relative_below) {
  using detail::relative_below;
  BOOST_TEST(relative_below("/r", "/r/a/b").value_or("?") == "a/b");
  BOOST_TEST(relative_below("/", "/a").value_or("?") == "a");
  BOOST_TEST(relative_below("C:/", "C:/a/b").value_or("?") == "a/b");
  BOOST_TEST(!relative_below("/r", "/r"), "the directory itself is not below it");
  BOOST_TEST(!relative_below("/r", "/rs/a"), "a sibling whose name starts the same");
  BOOST_TEST(!relative_below("/r", "/"));
  BOOST_TEST(!relative_below("/r/a", "/r"));
  BOOST_TEST(!relative_below("", "/r"));
}

BOOST_AUTO_TEST_CASE(names_of_every_length) {
  detail::entry_tree tree("/r");
  node_id parent = tree.root();
  std::string expected = "/r";
  // Past the small-string buffer and back; names with bytes that are not UTF-8.
  for (std::size_t length : {1u, 2u, 15u, 16u, 17u, 100u, 255u, 3u}) {
    std::string name(length, static_cast<char>('a' + length % 26));
    name[0] = '\xe9';
    parent = tree.insert(parent, name, entry_type::directory);
    expected += '/' + name;
    BOOST_TEST(tree.path(parent) == expected);
    BOOST_TEST(tree.relative_path(parent) == expected.substr(3));
    BOOST_TEST(tree.find(tree[parent].parent, name) == parent);
  }
}

BOOST_AUTO_TEST_CASE(erase_a_leaf) {
  detail::entry_tree tree("/r");
  node_id a = tree.insert(tree.root(), "a", entry_type::file);
  node_id b = tree.insert(tree.root(), "b", entry_type::file);
  node_id c = tree.insert(tree.root(), "c", entry_type::file);
  std::vector<removal> removed = erase_recording(tree, b); // the middle of the sibling list
  BOOST_TEST_REQUIRE(removed.size() == 1u);
  BOOST_TEST(removed[0].id == b);
  BOOST_TEST(removed[0].name == "b");
  BOOST_TEST(removed[0].path == "/r/b");
  BOOST_TEST(tree.size() == 3u);
  BOOST_TEST(!tree[b].in_use);
  BOOST_TEST(tree.find(tree.root(), "b") == no_node);
  BOOST_TEST(tree.find(tree.root(), "a") == a);
  BOOST_TEST(tree.find(tree.root(), "c") == c);
  std::vector<node_id> left = children(tree, tree.root());
  BOOST_TEST((std::set<node_id>(left.begin(), left.end()) == std::set<node_id>{a, c}));
  tree.erase(c); // the head of the list (the newest is first)
  tree.erase(a);
  BOOST_TEST(tree[tree.root()].first_child == no_node);
  BOOST_TEST(tree.size() == 1u);
}

BOOST_AUTO_TEST_CASE(erase_a_deep_subtree_deepest_first) {
  detail::entry_tree tree("/r");
  // /r/keep, and /r/top/{f1, d1/{f2, d2/{d3/{f3}}}, f4}
  node_id keep = tree.insert(tree.root(), "keep", entry_type::file);
  node_id top = tree.insert(tree.root(), "top", entry_type::directory);
  node_id f1 = tree.insert(top, "f1", entry_type::file);
  node_id d1 = tree.insert(top, "d1", entry_type::directory);
  node_id f2 = tree.insert(d1, "f2", entry_type::file);
  node_id d2 = tree.insert(d1, "d2", entry_type::directory);
  node_id d3 = tree.insert(d2, "d3", entry_type::directory);
  node_id f3 = tree.insert(d3, "f3", entry_type::file);
  node_id f4 = tree.insert(top, "f4", entry_type::file);
  std::map<node_id, node_id> parent_of = {{f1, top}, {d1, top}, {f2, d1}, {d2, d1},
                                          {d3, d2},  {f3, d3}, {f4, top}};

  std::vector<removal> removed = erase_recording(tree, top);
  BOOST_TEST_REQUIRE(removed.size() == 8u);
  BOOST_TEST(removed.back().id == top);
  BOOST_TEST(removed.back().path == "/r/top");
  // Every node is reported after everything under it, while its own path is still whole.
  std::map<node_id, std::size_t> position;
  for (std::size_t i = 0; i < removed.size(); ++i)
    position[removed[i].id] = i;
  BOOST_TEST(position.size() == 8u);
  for (auto [child, parent] : parent_of)
    BOOST_TEST(position.at(child) < position.at(parent));
  std::map<node_id, std::string> expected_paths = {
      {top, "/r/top"},         {f1, "/r/top/f1"},       {d1, "/r/top/d1"},
      {f2, "/r/top/d1/f2"},    {d2, "/r/top/d1/d2"},    {d3, "/r/top/d1/d2/d3"},
      {f3, "/r/top/d1/d2/d3/f3"}, {f4, "/r/top/f4"}};
  for (const removal& r : removed)
    BOOST_TEST(r.path == expected_paths.at(r.id));

  BOOST_TEST(tree.size() == 2u);
  BOOST_TEST(tree.find(tree.root(), "top") == no_node);
  BOOST_TEST(tree.find(tree.root(), "keep") == keep);
  for (node_id gone : {top, f1, d1, f2, d2, d3, f3, f4})
    BOOST_TEST(!tree[gone].in_use);
  // Nothing of the subtree is left in the index either.
  BOOST_TEST(tree.find(d1, "f2") == no_node);
  BOOST_TEST(tree.find(d3, "f3") == no_node);
}

BOOST_AUTO_TEST_CASE(erase_a_chain_in_exact_order) {
  detail::entry_tree tree("/r");
  node_id a = tree.insert(tree.root(), "a", entry_type::directory);
  node_id b = tree.insert(a, "b", entry_type::directory);
  node_id c = tree.insert(b, "c", entry_type::directory);
  node_id d = tree.insert(c, "d", entry_type::file);
  std::vector<removal> removed = erase_recording(tree, b);
  BOOST_TEST_REQUIRE(removed.size() == 3u);
  BOOST_TEST(removed[0].id == d);
  BOOST_TEST(removed[0].path == "/r/a/b/c/d");
  BOOST_TEST(removed[1].id == c);
  BOOST_TEST(removed[2].id == b);
  BOOST_TEST(tree[a].first_child == no_node);
  BOOST_TEST(tree.size() == 2u);
}

BOOST_AUTO_TEST_CASE(erase_a_very_deep_chain) {
  // Iterative: 100k levels must not overflow any stack.
  detail::entry_tree tree("/r");
  node_id first = tree.insert(tree.root(), "d", entry_type::directory);
  node_id last = first;
  for (int i = 0; i < 100000; ++i)
    last = tree.insert(last, "d", entry_type::directory);
  BOOST_TEST(tree.relative_path(last).size() == 100001u * 2 - 1);
  std::size_t count = 0;
  std::size_t max_depth = 0;
  tree.for_each_preorder(first, [&](node_id, std::size_t depth) {
    ++count;
    max_depth = std::max(max_depth, depth);
  });
  BOOST_TEST(count == 100001u);
  BOOST_TEST(max_depth == 100000u);
  std::vector<node_id> order;
  tree.erase(first, [&](node_id id, const detail::tree_node&) { order.push_back(id); });
  BOOST_TEST(order.size() == 100001u);
  BOOST_TEST(order.front() == last);
  BOOST_TEST(order.back() == first);
  BOOST_TEST(tree.size() == 1u);
}

BOOST_AUTO_TEST_CASE(node_reuse) {
  detail::entry_tree tree("/r", entry_type::directory, true);
  BOOST_TEST(tree.keeps_status());
  node_id a = tree.insert(tree.root(), "a", entry_type::directory);
  node_id b = tree.insert(a, "b", entry_type::file);
  tree[a].watch = 12;
  tree.status(a).inode = 77;
  tree.status(b).size = 5;
  tree.erase(a);
  BOOST_TEST(tree.size() == 1u);
  // Freed nodes are handed out again, clean: no stale children, watch, name or status.
  node_id x = tree.insert(tree.root(), "x", entry_type::file);
  node_id y = tree.insert(tree.root(), "y", entry_type::symlink);
  BOOST_TEST((std::set<node_id>{x, y} == std::set<node_id>{a, b}));
  for (node_id id : {x, y}) {
    BOOST_TEST(tree[id].in_use);
    BOOST_TEST(tree[id].watch == -1);
    BOOST_TEST(tree[id].first_child == no_node);
    BOOST_TEST(tree[id].parent == tree.root());
    BOOST_TEST(tree.status(id).inode == 0u);
    BOOST_TEST(tree.status(id).size == 0u);
  }
  BOOST_TEST(tree[x].name == "x");
  BOOST_TEST(tree[x].type == entry_type::file);
  BOOST_TEST(tree[y].type == entry_type::symlink);
  BOOST_TEST(tree.find(tree.root(), "x") == x);
  BOOST_TEST(tree.find(tree.root(), "a") == no_node);
  BOOST_TEST(tree.path(y) == "/r/y");
  // No growth when nodes are recycled.
  std::size_t bytes = tree.memory_bytes();
  for (int round = 0; round < 100; ++round) {
    node_id n = tree.insert(tree.root(), "tmp", entry_type::file);
    tree.erase(n);
  }
  BOOST_TEST(tree.memory_bytes() == bytes);
  BOOST_TEST(tree.size() == 3u);
}

BOOST_AUTO_TEST_CASE(move_is_a_rename_of_the_subtree) {
  detail::entry_tree tree("/r");
  node_id a = tree.insert(tree.root(), "a", entry_type::directory);
  node_id b = tree.insert(a, "b", entry_type::directory);
  node_id f = tree.insert(b, "f", entry_type::file);
  node_id other = tree.insert(tree.root(), "other", entry_type::directory);
  tree[b].watch = 3;

  // Rename within the same parent.
  tree.move(b, a, "renamed");
  BOOST_TEST(tree.find(a, "b") == no_node);
  BOOST_TEST(tree.find(a, "renamed") == b);
  BOOST_TEST(tree.path(f) == "/r/a/renamed/f");
  BOOST_TEST(tree.find(b, "f") == f); // children keep their parent: nothing under b moved
  BOOST_TEST(tree[b].watch == 3);

  // Move to another directory.
  tree.move(b, other, "b2");
  BOOST_TEST(tree.find(a, "renamed") == no_node);
  BOOST_TEST(tree[a].first_child == no_node);
  BOOST_TEST(tree.find(other, "b2") == b);
  BOOST_TEST(tree[b].parent == other);
  BOOST_TEST(tree.path(f) == "/r/other/b2/f");
  BOOST_TEST(tree.relative_path(f) == "other/b2/f");

  // Up to the root, keeping the name.
  tree.move(b, tree.root(), "b2");
  BOOST_TEST(tree.path(f) == "/r/b2/f");
  BOOST_TEST(tree[other].first_child == no_node);
  BOOST_TEST(tree.size() == 5u);
  std::vector<node_id> top = children(tree, tree.root());
  BOOST_TEST((std::set<node_id>(top.begin(), top.end()) == std::set<node_id>{a, other, b}));

  // A file.
  tree.move(f, a, "g");
  BOOST_TEST(tree.path(f) == "/r/a/g");
  BOOST_TEST(tree[b].first_child == no_node);
}

BOOST_AUTO_TEST_CASE(exchange_swaps_the_places_of_two_subtrees) {
  detail::entry_tree tree("/r");
  node_id a = tree.insert(tree.root(), "a", entry_type::directory);
  node_id inside = tree.insert(a, "inside", entry_type::file);
  node_id other = tree.insert(tree.root(), "other", entry_type::directory);
  node_id f = tree.insert(other, "f", entry_type::file);
  tree[a].watch = 4;
  tree.exchange(a, f);
  BOOST_TEST(tree.path(a) == "/r/other/f");
  BOOST_TEST(tree.path(inside) == "/r/other/f/inside");
  BOOST_TEST(tree.path(f) == "/r/a");
  BOOST_TEST(tree.find(tree.root(), "a") == f);
  BOOST_TEST(tree.find(other, "f") == a);
  BOOST_TEST(tree[a].watch == 4);
  BOOST_TEST(tree[a].type == entry_type::directory);
  BOOST_TEST(tree.check() == "");
  tree.exchange(f, a); // and back, in one parent too
  BOOST_TEST(tree.path(a) == "/r/a");
  tree.exchange(a, other);
  BOOST_TEST(tree.path(a) == "/r/other");
  BOOST_TEST(tree.path(f) == "/r/a/f");
  BOOST_TEST(tree.check() == "");
}

BOOST_AUTO_TEST_CASE(a_detached_subtree_is_out_of_the_tree_until_placed_or_erased) {
  detail::entry_tree tree("/r");
  node_id d = tree.insert(tree.root(), "d", entry_type::directory);
  node_id inner = tree.insert(d, "inner", entry_type::directory);
  node_id f = tree.insert(inner, "f", entry_type::file);
  node_id other = tree.insert(tree.root(), "other", entry_type::directory);
  tree[inner].watch = 7;

  tree.detach(d);
  BOOST_TEST(tree.find(tree.root(), "d") == no_node);
  BOOST_TEST(!tree.attached(d));
  BOOST_TEST(!tree.attached(f));
  BOOST_TEST(tree.attached(other));
  BOOST_TEST(tree.attached(tree.root()));
  BOOST_TEST((tree.detached() == std::vector<node_id>{d}));
  BOOST_TEST(tree.find(d, "inner") == inner); // what it holds is found under it still
  BOOST_TEST(tree.find(inner, "f") == f);
  BOOST_TEST(tree.relative_path(f) == "d/inner/f");
  BOOST_TEST(tree.size() == 5u);
  BOOST_TEST((children(tree, tree.root()) == std::vector<node_id>{other}));
  BOOST_TEST(preorder(tree, tree.root()).size() == 2u);
  BOOST_TEST(tree.check() == "");

  // A new entry of the old name is another node.
  node_id later = tree.insert(tree.root(), "d", entry_type::file);
  BOOST_TEST(later != d);
  BOOST_TEST(tree.check() == "");

  // Something under a detached node can be detached too: two tops.
  tree.detach(inner);
  BOOST_TEST((tree.detached() == std::vector<node_id>{d, inner}));
  BOOST_TEST(tree[d].first_child == no_node);
  BOOST_TEST(tree.check() == "");

  // Placed again: attached, under its new name, with its watch and what it holds.
  tree.move(inner, other, "moved");
  BOOST_TEST((tree.detached() == std::vector<node_id>{d}));
  BOOST_TEST(tree.attached(f));
  BOOST_TEST(tree.path(f) == "/r/other/moved/f");
  BOOST_TEST(tree[inner].watch == 7);
  BOOST_TEST(tree.find(other, "moved") == inner);
  BOOST_TEST(tree.check() == "");

  // Erased: itself last, and no longer detached.
  std::vector<removal> removed = erase_recording(tree, d);
  BOOST_TEST(removed.size() == 1u);
  BOOST_TEST(removed.back().id == d);
  BOOST_TEST(tree.detached().empty());
  BOOST_TEST(tree.size() == 5u); // root, other, moved, f, later
  BOOST_TEST(tree.check() == "");

  // A detached subtree erased whole, deepest first.
  tree.detach(inner);
  removed = erase_recording(tree, inner);
  BOOST_TEST(removed.size() == 2u);
  BOOST_TEST(removed.front().id == f);
  BOOST_TEST(tree.detached().empty());
  BOOST_TEST(tree.size() == 3u);
  BOOST_TEST(tree.check() == "");
  // Its slots are reused.
  node_id again = tree.insert(other, "x", entry_type::file);
  BOOST_TEST((again == f || again == inner || again == d));
  BOOST_TEST(tree.check() == "");
}

BOOST_AUTO_TEST_CASE(check_finds_a_node_cut_loose_without_detach) {
  detail::entry_tree tree("/r");
  node_id d = tree.insert(tree.root(), "d", entry_type::directory);
  tree.detach(d);
  tree[d].parent = d; // a detached node that claims a parent
  BOOST_TEST(tree.check() != "");
  tree[d].parent = no_node;
  BOOST_TEST(tree.check() == "");
  node_id e = tree.insert(tree.root(), "e", entry_type::directory);
  tree[e].parent = no_node; // cut loose behind the tree's back: not among the detached nodes
  BOOST_TEST(tree.check() != "");
}

BOOST_AUTO_TEST_CASE(preorder_walk) {
  detail::entry_tree tree("/r");
  node_id a = tree.insert(tree.root(), "a", entry_type::directory);
  node_id a1 = tree.insert(a, "a1", entry_type::file);
  node_id a2 = tree.insert(a, "a2", entry_type::directory);
  node_id a21 = tree.insert(a2, "a21", entry_type::file);
  node_id b = tree.insert(tree.root(), "b", entry_type::file);

  auto all = preorder(tree, tree.root());
  BOOST_TEST_REQUIRE(all.size() == 6u);
  BOOST_TEST(all[0].first == tree.root());
  BOOST_TEST(all[0].second == 0u);
  std::map<node_id, std::size_t> position, depth;
  for (std::size_t i = 0; i < all.size(); ++i) {
    position[all[i].first] = i;
    depth[all[i].first] = all[i].second;
  }
  BOOST_TEST(position.size() == 6u);
  BOOST_TEST(depth[a] == 1u);
  BOOST_TEST(depth[b] == 1u);
  BOOST_TEST(depth[a1] == 2u);
  BOOST_TEST(depth[a2] == 2u);
  BOOST_TEST(depth[a21] == 3u);
  BOOST_TEST(position[a] < position[a1]);
  BOOST_TEST(position[a2] + 1 == position[a21]); // a subtree is contiguous
  // a's subtree does not interleave with b.
  BOOST_TEST((position[b] < position[a] || position[b] > position[a21]));

  // From an inner node: itself first at depth 0, only its subtree, never its siblings.
  auto inner = preorder(tree, a);
  BOOST_TEST_REQUIRE(inner.size() == 4u);
  BOOST_TEST(inner[0].first == a);
  BOOST_TEST(inner[0].second == 0u);
  std::set<node_id> seen;
  for (auto [id, d] : inner)
    seen.insert(id);
  BOOST_TEST((seen == std::set<node_id>{a, a1, a2, a21}));

  // A leaf that has siblings after it: only itself.
  for (node_id leaf : {a1, a21, b}) {
    auto single = preorder(tree, leaf);
    BOOST_TEST_REQUIRE(single.size() == 1u);
    BOOST_TEST(single[0].first == leaf);
    BOOST_TEST(single[0].second == 0u);
  }
}

BOOST_AUTO_TEST_CASE(index_growth_and_backward_shift) {
  // Thousands of names in one directory and a few others: the index grows several times, and
  // erasing every other entry shifts probe runs back; every survivor must stay findable.
  detail::entry_tree tree("/r");
  node_id sub = tree.insert(tree.root(), "sub", entry_type::directory);
  std::vector<node_id> ids;
  for (int i = 0; i < 5000; ++i)
    ids.push_back(tree.insert(i % 7 == 0 ? sub : tree.root(), "n" + std::to_string(i),
                              entry_type::file));
  for (int i = 0; i < 5000; ++i)
    BOOST_TEST_REQUIRE(tree.find(i % 7 == 0 ? sub : tree.root(), "n" + std::to_string(i)) ==
                       ids[static_cast<std::size_t>(i)]);
  for (int i = 0; i < 5000; i += 2)
    tree.erase(ids[static_cast<std::size_t>(i)]);
  for (int i = 0; i < 5000; ++i) {
    node_id parent = i % 7 == 0 ? sub : tree.root();
    node_id found = tree.find(parent, "n" + std::to_string(i));
    BOOST_TEST_REQUIRE(found == (i % 2 ? ids[static_cast<std::size_t>(i)] : no_node),
                       "n" << i);
  }
  BOOST_TEST(tree.size() == 2u + 2500u);
}

BOOST_AUTO_TEST_CASE(the_count_of_directories_follows_inserts_erases_detaches_and_type_changes) {
  detail::entry_tree tree("/r");
  BOOST_TEST(tree.directories() == 1u); // the root
  node_id a = tree.insert(tree.root(), "a", entry_type::directory);
  node_id b = tree.insert(a, "b", entry_type::directory);
  tree.insert(b, "f", entry_type::file);
  node_id g = tree.insert(tree.root(), "g", entry_type::file);
  BOOST_TEST(tree.directories() == 3u);
  tree.set_type(g, entry_type::directory); // replaced by a directory of the same name
  BOOST_TEST(tree.directories() == 4u);
  tree.set_type(g, entry_type::symlink);
  BOOST_TEST(tree.directories() == 3u);
  tree.detach(a); // in limbo, still held: still counted
  BOOST_TEST(tree.directories() == 3u);
  tree.erase(a);
  BOOST_TEST(tree.directories() == 1u);
  BOOST_TEST(tree.size() == 2u);
  BOOST_TEST(tree.check() == "");
}

BOOST_AUTO_TEST_CASE(memory_counts_the_names_kept_on_the_heap_without_a_walk) {
  detail::entry_tree tree("/r");
  const std::size_t empty = tree.memory_bytes();
  const std::string long_name(200, 'x'); // past any string's own buffer
  node_id a = tree.insert(tree.root(), long_name, entry_type::directory);
  node_id b = tree.insert(a, "short", entry_type::file);
  BOOST_TEST(tree.memory_bytes() >= empty + 200u);
  tree.move(b, tree.root(), std::string(100, 'y'));
  tree.move(a, tree.root(), "a");
  BOOST_TEST(tree.check() == "");
  tree.erase(b);
  tree.erase(a);
  BOOST_TEST(tree.check() == ""); // the count of name bytes is the walk's: none left
}

BOOST_AUTO_TEST_CASE(check_finds_a_type_changed_behind_the_count) {
  detail::entry_tree tree("/r");
  node_id f = tree.insert(tree.root(), "f", entry_type::file);
  tree[f].type = entry_type::directory; // as a caller that bypassed set_type would
  BOOST_TEST(tree.check().find("directories") != std::string::npos, tree.check());
}

BOOST_AUTO_TEST_SUITE_END()
