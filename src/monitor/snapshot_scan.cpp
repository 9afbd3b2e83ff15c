#include <asio_fswatch/detail/snapshot_scan.hpp>

#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/snapshot_diff.hpp>
#include <asio_fswatch/detail/watch_engine.hpp>

#include <utility>

namespace asio_fswatch::detail {

boost::system::error_code scan_picture(filesystem& fs, const std::string& root, const watch_options& options,
                                       entry_tree& picture, std::vector<fs_event>& errors) {
  // The polling engine scans with every status, and applies the filters as the monitor does.
  watch_engine engine(fs, watch_policy::polling, monitor_options{});
  watch_options scan_options = options;
  scan_options.initial_listing = false;
  if (const boost::system::error_code ec = engine.add_root(root, scan_options, time_sample::now()))
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

std::vector<fs_event> events_between(const entry_tree& before, const entry_tree& after,
                                     const std::filesystem::path& root) {
  std::vector<fs_event> events;
  diff_snapshots(before, after, -1, [&](event_kind kind, std::string path, entry_type type) {
    fs_event event;
    event.kind = kind;
    event.path = path_from_text(std::move(path));
    event.type = type;
    event.root = root;
    events.push_back(std::move(event));
  });
  return events;
}

} // namespace asio_fswatch::detail
