// SPDX-License-Identifier: BSL-1.0
// Test support for the entry_tree unit tests.
#ifndef ASIO_FSWATCH_TEST_UNIT_ENTRY_TREE_SUPPORT_HPP
#define ASIO_FSWATCH_TEST_UNIT_ENTRY_TREE_SUPPORT_HPP

#include <asio_fswatch/detail/entry_tree.hpp>

#include <boost/test/unit_test.hpp>

#include <vector>

namespace entry_tree_support {

namespace detail = asio_fswatch::detail;

// Children of `parent` through the sibling list, checking the list's back links on the way.
inline std::vector<detail::node_id> children(const detail::entry_tree& tree, detail::node_id parent) {
  std::vector<detail::node_id> out;
  detail::node_id previous = detail::no_node;
  for (detail::node_id c = tree[parent].first_child; c != detail::no_node; c = tree[c].next_sibling) {
    BOOST_TEST_REQUIRE(tree[c].prev_sibling == previous);
    BOOST_TEST_REQUIRE(tree[c].parent == parent);
    BOOST_TEST_REQUIRE(tree[c].in_use);
    out.push_back(c);
    previous = c;
    BOOST_TEST_REQUIRE(out.size() < 1000000u); // a cycle
  }
  return out;
}

} // namespace entry_tree_support

#endif
