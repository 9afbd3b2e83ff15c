// SPDX-License-Identifier: BSL-1.0
// Unit test for detail/entry_tree.hpp against a model: 100k random operations (inserts, erases
// of whole subtrees, moves, type changes, lookups), the tree compared with a std::map model.
#include "entry_tree_support.hpp"

#include <asio_fswatch/detail/entry_tree.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
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

BOOST_AUTO_TEST_SUITE(entry_tree)

// The index against a model: 100k random inserts, erases (whole subtrees) and moves over a small
// name alphabet, so that names repeat across directories and probe runs get long.
BOOST_AUTO_TEST_CASE(random_operations_against_a_model) {
  struct model_node {
    node_id parent;
    std::string name;
    entry_type type;
  };
  std::map<node_id, model_node> model;                          // live nodes, root excluded
  std::map<std::pair<node_id, std::string>, node_id> by_name;  // (parent, name) -> node

  detail::entry_tree tree("/model", entry_type::directory, true);
  std::mt19937 random(12345);
  std::vector<std::string> alphabet;
  for (char c = 'a'; c <= 'p'; ++c)
    alphabet.emplace_back(1, c);
  for (int i = 0; i < 8; ++i)
    alphabet.push_back("a-rather-long-name-beyond-sso-" + std::to_string(i));

  auto model_path = [&](node_id id) {
    std::string relative;
    for (node_id n = id; n != tree.root(); n = model.at(n).parent)
      relative = '/' + model.at(n).name + relative;
    return "/model" + relative;
  };
  auto random_node = [&](bool include_root) -> node_id {
    if (model.empty() || (include_root && random() % 8 == 0))
      return tree.root();
    // Uniform over live ids: pick a random key bound and take the next live one.
    node_id bound = static_cast<node_id>(random() % (model.rbegin()->first + 1));
    auto it = model.lower_bound(bound);
    if (it == model.end())
      it = model.begin();
    return it->first;
  };
  auto random_directory = [&]() -> node_id {
    for (int tries = 0; tries < 8; ++tries) {
      node_id n = random_node(true);
      if (n == tree.root() || model.at(n).type == entry_type::directory)
        return n;
    }
    return tree.root();
  };
  auto in_subtree = [&](node_id n, node_id top) {
    for (; n != tree.root(); n = model.at(n).parent)
      if (n == top)
        return true;
    return false;
  };
  auto subtree_of = [&](node_id top) {
    // by_name is ordered by parent first: the children of a node are one contiguous range.
    std::set<node_id> out;
    std::vector<node_id> stack{top};
    while (!stack.empty()) {
      node_id n = stack.back();
      stack.pop_back();
      out.insert(n);
      for (auto it = by_name.lower_bound({n, std::string()});
           it != by_name.end() && it->first.first == n; ++it)
        stack.push_back(it->second);
    }
    return out;
  };
  auto full_check = [&](int step) {
    BOOST_TEST_CONTEXT("after step " << step) {
      BOOST_TEST_REQUIRE(tree.check() == ""); // its own counts among them (directories, name bytes)
      BOOST_TEST_REQUIRE(tree.size() == model.size() + 1);
      BOOST_TEST_REQUIRE(tree.directories() ==
                         1u + static_cast<std::size_t>(std::count_if(model.begin(), model.end(), [](const auto& m) {
                           return m.second.type == entry_type::directory;
                         })));
      for (auto& [id, node] : model) {
        BOOST_TEST_REQUIRE(tree[id].in_use);
        BOOST_TEST_REQUIRE(tree[id].parent == node.parent);
        BOOST_TEST_REQUIRE(tree[id].name == node.name);
        BOOST_TEST_REQUIRE(tree[id].type == node.type);
        BOOST_TEST_REQUIRE(tree.find(node.parent, node.name) == id);
        BOOST_TEST_REQUIRE(tree.path(id) == model_path(id));
      }
      // The walk visits every live node once, each after its parent, at the right depth.
      std::map<node_id, std::size_t> depth;
      tree.for_each_preorder(tree.root(), [&](node_id id, std::size_t d) {
        BOOST_TEST_REQUIRE(depth.count(id) == 0u);
        if (id != tree.root()) {
          BOOST_TEST_REQUIRE(depth.count(tree[id].parent) == 1u);
          BOOST_TEST_REQUIRE(d == depth[tree[id].parent] + 1);
        } else {
          BOOST_TEST_REQUIRE(d == 0u);
        }
        depth[id] = d;
      });
      BOOST_TEST_REQUIRE(depth.size() == model.size() + 1);
      // Sibling lists hold exactly the model's children.
      std::map<node_id, std::set<node_id>> expected_children;
      for (auto& [id, node] : model)
        expected_children[node.parent].insert(id);
      for (auto& [id, d] : depth) {
        std::vector<node_id> listed = children(tree, id);
        BOOST_TEST_REQUIRE((std::set<node_id>(listed.begin(), listed.end()) ==
                            expected_children[id]));
        BOOST_TEST_REQUIRE(listed.size() == expected_children[id].size());
      }
    }
  };

  std::size_t inserts = 0, erases = 0, moves = 0, erased_nodes = 0, reused = 0, type_changes = 0;
  std::size_t peak = 0;
  std::set<node_id> ever_freed;
  const int steps = 100000;
  for (int step = 0; step < steps; ++step) {
    int op = static_cast<int>(random() % 100);
    // Grow to a few thousand nodes, then hover: erases remove whole subtrees, so they are rare
    // while the tree grows.
    int insert_share = model.size() < 3000 ? 55 : 40;
    int erase_share = model.size() < 3000 ? 3 : 15;
    if (op < insert_share) {
      node_id parent = random_directory();
      const std::string& name = alphabet[random() % alphabet.size()];
      node_id existing = tree.find(parent, name);
      auto known = by_name.find({parent, name});
      BOOST_TEST_REQUIRE(existing == (known == by_name.end() ? no_node : known->second));
      if (existing != no_node)
        continue;
      entry_type type = random() % 3 ? entry_type::directory : entry_type::file;
      node_id id = tree.insert(parent, name, type);
      BOOST_TEST_REQUIRE(model.count(id) == 0u);
      BOOST_TEST_REQUIRE(id != tree.root());
      reused += ever_freed.count(id);
      model[id] = {parent, name, type};
      by_name[{parent, name}] = id;
      tree.status(id).inode = id;
      ++inserts;
      peak = std::max(peak, model.size());
    } else if (op < insert_share + erase_share) {
      if (model.empty())
        continue;
      node_id victim = random_node(false);
      std::set<node_id> expected = subtree_of(victim);
      std::vector<node_id> order;
      tree.erase(victim, [&](node_id id, const detail::tree_node& node) {
        // Reported while still whole: its children are gone already, its own links not yet.
        BOOST_TEST_REQUIRE(node.first_child == no_node);
        BOOST_TEST_REQUIRE(node.parent == model.at(id).parent);
        BOOST_TEST_REQUIRE(tree.path(id) == model_path(id));
        order.push_back(id);
      });
      BOOST_TEST_REQUIRE(order.size() == expected.size());
      BOOST_TEST_REQUIRE((std::set<node_id>(order.begin(), order.end()) == expected));
      BOOST_TEST_REQUIRE(order.back() == victim);
      std::map<node_id, std::size_t> position;
      for (std::size_t i = 0; i < order.size(); ++i)
        position[order[i]] = i;
      for (node_id id : order)
        if (id != victim)
          BOOST_TEST_REQUIRE(position.at(id) < position.at(model.at(id).parent));
      for (node_id id : order) {
        by_name.erase({model.at(id).parent, model.at(id).name});
        ever_freed.insert(id);
      }
      for (node_id id : order)
        model.erase(id);
      ++erases;
      erased_nodes += order.size();
    } else if (op < insert_share + erase_share + 20) {
      if (model.empty())
        continue;
      node_id moving = random_node(false);
      node_id target = random_directory();
      if (target != tree.root() && in_subtree(target, moving))
        continue; // rename(2) refuses to move a directory into itself
      const std::string& name = alphabet[random() % alphabet.size()];
      if (by_name.count({target, name}))
        continue;
      by_name.erase({model.at(moving).parent, model.at(moving).name});
      tree.move(moving, target, name);
      model.at(moving).parent = target;
      model.at(moving).name = name;
      by_name[{target, name}] = moving;
      ++moves;
    } else if (op < insert_share + erase_share + 23) {
      // A childless entry replaced by one of another type (the monitor's correction of a type).
      node_id changing = random_node(false);
      if (changing == tree.root() || tree[changing].first_child != no_node)
        continue;
      const entry_type types[] = {entry_type::file, entry_type::directory, entry_type::symlink};
      const entry_type type = types[random() % 3];
      tree.set_type(changing, type);
      model.at(changing).type = type;
      ++type_changes;
    } else {
      // Lookups, hits and misses alike.
      node_id parent = random_directory();
      const std::string& name = alphabet[random() % alphabet.size()];
      auto known = by_name.find({parent, name});
      BOOST_TEST_REQUIRE(tree.find(parent, name) ==
                         (known == by_name.end() ? no_node : known->second));
    }
    if (step % 5000 == 0 || step == steps - 1)
      full_check(step);
  }
  for (auto& [id, node] : model)
    BOOST_TEST_REQUIRE(tree.status(id).inode == id); // statuses follow their nodes through moves
  BOOST_TEST_MESSAGE("inserts " << inserts << ", erases " << erases << " (" << erased_nodes
                                << " nodes), moves " << moves << ", type changes " << type_changes
                                << ", reused " << reused
                                << ", peak size " << peak << ", final size " << tree.size());
  // The run must have exercised what it claims to.
  BOOST_TEST(inserts > 20000u);
  BOOST_TEST(erases > 2000u);
  BOOST_TEST(moves > 5000u);
  BOOST_TEST(reused > 1000u);
  BOOST_TEST(type_changes > 1000u);
  BOOST_TEST(peak > 3000u); // the tree grew to its hovering size
  BOOST_TEST(model.size() > 100u);
}

BOOST_AUTO_TEST_SUITE_END()
