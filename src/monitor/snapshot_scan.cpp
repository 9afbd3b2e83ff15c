// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/snapshot_scan.hpp>

#include <asio_fswatch/detail/event_queue.hpp>
#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/snapshot_diff.hpp>
#include <asio_fswatch/detail/watch_engine.hpp>

#include <optional>
#include <utility>

namespace asio_fswatch::detail {

namespace {

// The node at `relative` ('/'-separated, "" for the root), or no_node.
node_id find_path(const entry_tree& tree, std::string_view relative) {
  node_id at = tree.root();
  while (!relative.empty() && at != no_node) {
    const std::size_t end = std::min(relative.find('/'), relative.size());
    at = tree.find(at, relative.substr(0, end));
    relative.remove_prefix(std::min(relative.size(), end + 1));
  }
  return at;
}

// Copies `from_id` of `from`, with everything under it and their statuses, under `to_parent`.
void copy_subtree(const entry_tree& from, node_id from_id, entry_tree& to, node_id to_parent) {
  std::vector<std::pair<node_id, node_id>> stack{{from_id, to_parent}};
  while (!stack.empty()) {
    const auto [source, parent] = stack.back();
    stack.pop_back();
    if (to.find(parent, from[source].name) != no_node)
      continue;
    const node_id copy = to.insert(parent, from[source].name, from[source].type);
    to.status(copy) = from.status(source);
    for (node_id child = from[source].first_child; child != no_node; child = from[child].next_sibling)
      stack.push_back({child, copy});
  }
}

bool unknown_status(const entry_status& s) {
  return s.inode == 0 && s.mtime_ns == 0 && s.ctime_ns == 0 && s.mode == 0;
}

} // namespace

boost::system::error_code scan_picture(filesystem& fs, const std::string& root, const watch_options& options,
                                       entry_tree& picture, std::vector<fs_event>& errors,
                                       std::int64_t& scanned_ns) {
  // The polling engine scans with every status, and applies the filters as the monitor does.
  watch_engine engine(fs, watch_policy::polling, monitor_options{});
  watch_options scan_options = options;
  scan_options.initial_listing = false;
  const time_sample now = time_sample::now();
  scanned_ns = now.wall_ns;
  if (const boost::system::error_code ec = engine.add_root(root, scan_options, now))
    return ec;
  entry_tree* scanned = engine.picture_of(root);
  if (!scanned)
    return make_error_code(boost::system::errc::not_a_directory);
  // The engine keeps a valid (empty) tree for what it does when it ends.
  picture = std::exchange(*scanned, entry_tree(root, entry_type::directory, true));
  while (engine.has_output()) {
    fs_event event = engine.pop();
    if (event.kind == event_kind::error)
      errors.push_back(std::move(event));
  }
  return {};
}

void keep_what_cannot_be_read(const entry_tree& before, entry_tree& now, const std::vector<fs_event>& errors) {
  const std::string& root = now[now.root()].name;
  for (const fs_event& error : errors) {
    const std::string path = generic_path_text(error.path);
    const std::optional<std::string_view> below = relative_below(root, path);
    if (!below)
      continue; // the root itself, or not in the tree
    const std::string_view relative = *below;
    const node_id saved = find_path(before, relative);
    if (saved == no_node)
      continue; // nothing known of it
    const node_id seen = find_path(now, relative);
    if (seen == no_node) { // out of reach: kept as it was, where its directory is still known
      const std::size_t slash = relative.rfind('/');
      const node_id parent = find_path(now, slash == std::string_view::npos ? std::string_view() : relative.substr(0, slash));
      if (parent != no_node && now[parent].type == entry_type::directory)
        copy_subtree(before, saved, now, parent);
      continue;
    }
    if (!same_entry_kind(now[seen].type, before[saved].type))
      continue; // another entry now: what was saved says nothing of it
    if (unknown_status(now.status(seen)))
      now.status(seen) = before.status(saved);
    if (now[seen].type == entry_type::directory && now[seen].first_child == no_node)
      for (node_id child = before[saved].first_child; child != no_node; child = before[child].next_sibling)
        copy_subtree(before, child, now, seen);
  }
}

std::vector<fs_event> events_between(const entry_tree& before, const entry_tree& after,
                                     const std::filesystem::path& root, const std::vector<std::string>& include,
                                     std::int64_t racy_since_ns) {
  glob_set wanted;
  for (const std::string& pattern : include) {
    boost::system::error_code ignored; // checked by the scan's add_root already
    wanted.add(pattern, ignored);
  }
  const std::string& base = after[after.root()].name;
  std::vector<fs_event> events;
  diff_snapshots(
      before, after, -1,
      [&](event_kind kind, std::string path, entry_type type) {
        if (!include_wants(wanted, kind, relative_below(base, path).value_or(std::string_view()), type, {},
                           entry_type::unknown))
          return;
        fs_event event;
        event.kind = kind;
        event.path = path_from_text(std::move(path));
        event.type = type;
        event.root = root;
#if defined(_WIN32)
        event.path.make_preferred();
        event.root.make_preferred();
#endif
        events.push_back(std::move(event));
      },
      racy_since_ns);
  return events;
}

} // namespace asio_fswatch::detail
