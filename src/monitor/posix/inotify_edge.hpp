// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private (src/ only): the POSIX edge of a directory monitor: an inotify descriptor
// in a posix::stream_descriptor (Linux), or nothing but the file system for polling. See
// monitor_edge.hpp for what the monitor asks of it.
#ifndef ASIO_FSWATCH_SRC_MONITOR_POSIX_INOTIFY_EDGE_HPP
#define ASIO_FSWATCH_SRC_MONITOR_POSIX_INOTIFY_EDGE_HPP

#include "../edge_sink.hpp"

#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <memory>
#include <optional>

namespace asio_fswatch::detail {

class inotify_edge {
public:
  inotify_edge(const boost::asio::any_io_executor& executor, const monitor_options& options)
      : executor_(executor), closes_(options.settle.count() > 0) {}

  boost::system::error_code open(backend& mode, bool automatic, edge_sink sink);
  filesystem& files() noexcept { return *filesystem_; }
  watch_policy policy() const noexcept {
    return descriptor_ ? watch_policy::per_directory : watch_policy::polling;
  }
  void arm();
  void disarm();
  bool take_queued(watch_engine& engine, int reads, boost::system::error_code& ec);
  void close();

private:
  // Bytes read from the descriptor at once; take_queued drains the queue further with
  // non-blocking reads, up to a number of reads per wake-up, so that one busy tree cannot
  // starve the loop.
  static constexpr std::size_t read_buffer_size = 256 * 1024;

  boost::asio::any_io_executor executor_;
  edge_sink sink_;
  std::unique_ptr<filesystem> filesystem_;
  std::optional<boost::asio::posix::stream_descriptor> descriptor_;
  std::array<char, read_buffer_size> buffer_{};
  bool waiting_ = false; // for the descriptor to be readable
  bool closes_;          // settling: watch IN_CLOSE_WRITE too, to know when a write ends
};

} // namespace asio_fswatch::detail

#endif
