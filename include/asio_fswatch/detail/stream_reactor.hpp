// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the part of a stream_file that the reactor serves. On POSIX a descriptor
// that is not a regular file (pipe, FIFO, socket, tty, character device) is waited on by the
// reactor, like a posix::stream_descriptor. Windows has no reactor for files: there a stream goes
// through the completion port (a HANDLE opened for overlapped I/O) or the thread pool (anonymous
// pipes, consoles), and this part is never attached.
#ifndef ASIO_FSWATCH_DETAIL_STREAM_REACTOR_HPP
#define ASIO_FSWATCH_DETAIL_STREAM_REACTOR_HPP

#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/file_handle.hpp>

#include <boost/system/error_code.hpp>

#if defined(ASIO_FSWATCH_POSIX)
#include <boost/asio/posix/basic_stream_descriptor.hpp>

#include <fcntl.h>

#include <optional>
#include <utility>
#endif

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_POSIX)

/// A stream descriptor that shares the file_handle's descriptor without owning it: the reactor
/// waits on it, the file_handle closes it. While attached, the descriptor is in non-blocking
/// mode; detach() puts its original mode back.
template <typename Executor>
class stream_reactor {
public:
  static constexpr bool exists = true;

  stream_reactor() = default;
  stream_reactor(stream_reactor&& other) noexcept
      : descriptor_(std::exchange(other.descriptor_, std::nullopt)), restore_blocking_(other.restore_blocking_) {}
  template <typename OtherExecutor>
  explicit stream_reactor(stream_reactor<OtherExecutor>&& other) noexcept : restore_blocking_(other.restore_blocking_) {
    if (other.descriptor_) {
      descriptor_.emplace(std::move(*other.descriptor_));
      other.descriptor_.reset();
    }
  }
  /// Detach first: the moved-to object's own descriptor is then the handle's to close.
  stream_reactor& operator=(stream_reactor&& other) noexcept {
    descriptor_ = std::exchange(other.descriptor_, std::nullopt);
    restore_blocking_ = other.restore_blocking_;
    return *this;
  }

  bool attached() const noexcept { return descriptor_.has_value(); }

  /// Attaches `handle`'s descriptor when it is not a regular file. On an error the handle gives
  /// its descriptor back (released, not closed): the caller keeps what it gave.
  void attach(const Executor& ex, file_handle& handle, boost::system::error_code& ec) {
    if (handle.is_regular())
      return;
    const int fd = handle.native_handle();
    const int flags = ::fcntl(fd, F_GETFL);
    restore_blocking_ = flags >= 0 && !(flags & O_NONBLOCK);
    descriptor_.emplace(ex);
    descriptor_->assign(fd, ec);
    if (ec) {
      descriptor_.reset();
      boost::system::error_code ignored;
      handle.release(ignored);
    }
  }

  /// Cancels the reactor's operations and puts the descriptor's blocking mode back.
  void detach() noexcept {
    if (!descriptor_)
      return;
    const int fd = descriptor_->release(); // cancels its operations
    descriptor_.reset();
    if (restore_blocking_ && fd >= 0) {
      const int flags = ::fcntl(fd, F_GETFL);
      if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
  }

  void cancel(boost::system::error_code& ec) { descriptor_->cancel(ec); }

  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    descriptor_->async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <typename Buffers, typename Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    descriptor_->async_write_some(buffers, std::forward<Handler>(handler));
  }

private:
  template <typename>
  friend class stream_reactor;

  std::optional<boost::asio::posix::basic_stream_descriptor<Executor>> descriptor_;
  bool restore_blocking_ = false;
};

#else

template <typename Executor>
class stream_reactor {
public:
  static constexpr bool exists = false;

  stream_reactor() = default;
  template <typename OtherExecutor>
  explicit stream_reactor(stream_reactor<OtherExecutor>&&) noexcept {}

  bool attached() const noexcept { return false; }
  void attach(const Executor&, file_handle&, boost::system::error_code&) {}
  void detach() noexcept {}
  void cancel(boost::system::error_code&) {}
};

#endif

} // namespace asio_fswatch::detail

#endif
