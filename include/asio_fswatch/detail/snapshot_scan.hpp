// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the pictures that snapshots save and compare, taken through the
// filesystem interface (sans-io: the tests give it a fake file system).
#ifndef ASIO_FSWATCH_DETAIL_SNAPSHOT_SCAN_HPP
#define ASIO_FSWATCH_DETAIL_SNAPSHOT_SCAN_HPP

#include <asio_fswatch/detail/entry_tree.hpp>
#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace asio_fswatch::detail {

/// The picture of the directory at `root` (engine text: absolute, normal) with every status,
/// as a monitor that polls sees it when it adds the root with `options` (the same filters,
/// ignore files included). What could not be read within the tree is appended to `errors`
/// as `error` events and left out of the picture. `scanned_ns` gets the wall clock (ns since
/// the epoch) when the scan began. Errors: add()'s, and not_a_directory.
boost::system::error_code scan_picture(filesystem& fs, const std::string& root, const watch_options& options,
                                       entry_tree& picture, std::vector<fs_event>& errors,
                                       std::int64_t& scanned_ns);

/// What `now` could not read, as the `error` events of its scan name it, is taken from
/// `before`: the entries of a directory that cannot be listed, the status of an entry that
/// cannot be read, an entry out of reach. So nothing is reported for them but the error (no
/// `removed` for what may well be there still), and a picture saved from `now` keeps what was
/// known of them.
void keep_what_cannot_be_read(const entry_tree& before, entry_tree& now, const std::vector<fs_event>& errors);

/// The events that replay `before` into `after` (diff_snapshots comparing statuses: content
/// by mtime, size and identity, then attributes; a file whose saved time is not older than
/// `racy_since_ns` is `modified` too), as the monitor would report them with `include`, each
/// with `root` set (on Windows, paths with '\').
std::vector<fs_event> events_between(const entry_tree& before, const entry_tree& after,
                                     const std::filesystem::path& root,
                                     const std::vector<std::string>& include = {},
                                     std::int64_t racy_since_ns = -1);

} // namespace asio_fswatch::detail

#endif
