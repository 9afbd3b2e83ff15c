// asio_fswatch, private: the pictures that snapshots save and compare, taken through the
// filesystem interface (sans-io: the tests give it a fake file system).
#ifndef ASIO_FSWATCH_DETAIL_SNAPSHOT_SCAN_HPP
#define ASIO_FSWATCH_DETAIL_SNAPSHOT_SCAN_HPP

#include <asio_fswatch/detail/entry_tree.hpp>
#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <boost/system/error_code.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace asio_fswatch::detail {

/// The picture of the directory at `root` (engine text: absolute, normal) with every status,
/// as a monitor that polls sees it when it adds the root with `options` (the same filters,
/// ignore files included). What could not be read within the tree is appended to `errors`
/// as `error` events and left out of the picture. Errors: add()'s, and not_a_directory.
boost::system::error_code scan_picture(filesystem& fs, const std::string& root, const watch_options& options,
                                       entry_tree& picture, std::vector<fs_event>& errors);

/// The events that replay `before` into `after` (diff_snapshots comparing statuses: content
/// by mtime, size and identity, then attributes), each with `root` set.
std::vector<fs_event> events_between(const entry_tree& before, const entry_tree& after,
                                     const std::filesystem::path& root);

} // namespace asio_fswatch::detail

#endif
