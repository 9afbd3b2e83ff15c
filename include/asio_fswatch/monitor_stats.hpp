// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: what a directory monitor holds and has done, for an application to show.
#ifndef ASIO_FSWATCH_MONITOR_STATS_HPP
#define ASIO_FSWATCH_MONITOR_STATS_HPP

#include <cstddef>
#include <cstdint>

namespace asio_fswatch {

/// A reading of basic_directory_monitor::stats(). The counts of what is held are of the moment;
/// the totals count from the monitor's first add(). A closed monitor holds nothing and reads
/// all zero.
struct monitor_stats {
  std::size_t roots = 0;          ///< roots being watched
  std::size_t directories = 0;    ///< directories in the monitor's picture of the trees, roots
                                  ///< included (the subdirectories a non-recursive root lists
                                  ///< too, which are not watched)
  std::size_t entries = 0;        ///< entries in the picture, directories included
  std::size_t kernel_watches = 0; ///< watches the monitor holds: with inotify one per directory
                                  ///< watched (all of a recursive root's, but those an `error`
                                  ///< event named: unreadable, or past the watch limit), one
                                  ///< per root with ReadDirectoryChangesW, none when polling.
                                  ///< Single-file roots in one directory share the kernel's
                                  ///< watch of it, and each counts one.
  std::size_t memory_bytes = 0;   ///< the monitor's picture of the trees, estimated
  std::size_t events_queued = 0;  ///< events read from the kernel, waiting for a read operation
  std::uint64_t events_delivered = 0; ///< total: events handed to read operations
  std::uint64_t overflows = 0;        ///< total: `overflow` events, one for each root a loss by
                                      ///< the kernel touched (each reconciled)
};

} // namespace asio_fswatch

#endif
