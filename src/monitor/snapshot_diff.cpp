// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/snapshot_diff.hpp>

#include <utility>
#include <vector>

namespace asio_fswatch::detail {

void diff_snapshots(const entry_tree& before, const entry_tree& after, std::int64_t changed_since_ns,
                    const diff_sink& report, std::int64_t racy_since_ns) {
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
      node_id a = after.find(dir.after, before[b].name);
      if (a == no_node || !same_type(b, a)) {
        removed_subtree.clear();
        before.for_each_preorder(b, [&](node_id id, std::size_t) { removed_subtree.push_back(id); });
        for (auto it = removed_subtree.rbegin(); it != removed_subtree.rend(); ++it)
          report(event_kind::removed, before.path(*it), before[*it].type);
        continue;
      }
      if (after[a].type == entry_type::directory) {
        stack.push_back({b, a});
        if (changed_since_ns < 0 && before.keeps_status()) {
          const entry_status& x = before.status(b);
          const entry_status& y = after.status(a);
          if (x.mode != y.mode || x.uid != y.uid || x.gid != y.gid || x.attributes != y.attributes)
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
        const bool racy = racy_since_ns >= 0 && (x.mtime_ns >= racy_since_ns || x.ctime_ns >= racy_since_ns);
        if (racy || x.mtime_ns != y.mtime_ns || x.size != y.size || x.inode != y.inode)
          changed.push_back({event_kind::modified, after.path(a), after[a].type});
        else if (x.mode != y.mode || x.uid != y.uid || x.gid != y.gid || x.links != y.links ||
                 x.ctime_ns != y.ctime_ns || x.attributes != y.attributes)
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
    report(e.kind, std::move(e.path), e.type);
  for (later_event& e : changed)
    report(e.kind, std::move(e.path), e.type);
}

} // namespace asio_fswatch::detail
