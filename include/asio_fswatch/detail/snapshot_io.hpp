// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: snapshot files read, compared with the tree now, and written (the
// I/O behind snapshot.hpp). The CLI's `since --update` uses the two steps apart: it saves the
// new picture only once the events are printed.
#ifndef ASIO_FSWATCH_DETAIL_SNAPSHOT_IO_HPP
#define ASIO_FSWATCH_DETAIL_SNAPSHOT_IO_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/detail/entry_tree.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace asio_fswatch::detail {

/// The events from the picture saved in a file to the tree now, and the picture they lead to.
struct snapshot_comparison {
  std::vector<fs_event> events; ///< the `error` events of the scan first
  entry_tree now;               ///< what was unreadable now keeps what the file said of it
  std::int64_t scanned_ns = 0;  ///< when the scan of `now` began
};

/// events_since's work (snapshot.hpp), keeping the picture for save_snapshot.
ASIO_FSWATCH_DECL snapshot_comparison compare_with_snapshot(const std::filesystem::path& file, const std::filesystem::path& root,
                                          const watch_options& options, boost::system::error_code& ec);

/// Writes `picture` to `file` beside it, flushed to the disk, then renamed over it.
ASIO_FSWATCH_DECL boost::system::error_code save_snapshot(const std::filesystem::path& file, const entry_tree& picture,
                                        std::int64_t scanned_ns);

} // namespace asio_fswatch::detail

#endif
