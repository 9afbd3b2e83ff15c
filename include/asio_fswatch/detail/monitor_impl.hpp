// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the non-template core behind basic_directory_monitor. Its body lives
// in src/monitor/directory_monitor_impl.cpp; handlers arrive type-erased, so every completion token
// works without the core being a template.
#ifndef ASIO_FSWATCH_DETAIL_MONITOR_IMPL_HPP
#define ASIO_FSWATCH_DETAIL_MONITOR_IMPL_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>
#include <asio_fswatch/monitor_stats.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <filesystem>
#include <memory>
#include <vector>

namespace asio_fswatch::detail {

using read_events_signature = void(boost::system::error_code, std::vector<fs_event>);
using next_event_signature = void(boost::system::error_code, fs_event);
using add_signature = void(boost::system::error_code);
using read_events_handler = boost::asio::any_completion_handler<read_events_signature>;
using add_handler = boost::asio::any_completion_handler<add_signature>;
using next_event_handler = boost::asio::any_completion_handler<next_event_signature>;

class monitor_impl;

/// Owning handle: the I/O object holds one; pending internal operations hold it too, so the core
/// outlives the object until they have finished.
class ASIO_FSWATCH_DECL monitor_handle {
public:
  monitor_handle() = default;
  monitor_handle(const boost::asio::any_io_executor& ex, const monitor_options& options);
  monitor_handle(monitor_handle&& other) noexcept
      : executor_(other.executor_), impl_(std::move(other.impl_)) {}
  monitor_handle& operator=(monitor_handle&& other) noexcept;
  ~monitor_handle();

  explicit operator bool() const noexcept { return impl_ != nullptr; }

  backend active_backend() const noexcept;
  void add(const std::filesystem::path& path, const watch_options& options,
           boost::system::error_code& ec);
  void async_add(const std::filesystem::path& path, const watch_options& options, add_handler handler);
  void remove(const std::filesystem::path& path, boost::system::error_code& ec);
  std::vector<std::filesystem::path> roots() const;
  std::size_t queued_events() const;
  monitor_stats stats() const;
  void cancel();
  void close();
  bool is_open() const noexcept;

  void async_read_events(read_events_handler handler);
  void async_next(next_event_handler handler);

private:
  boost::asio::any_io_executor executor_; // kept by a moved-from handle, to complete with an error
  std::shared_ptr<monitor_impl> impl_;
};

} // namespace asio_fswatch::detail

#endif
