// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the state of a file I/O object (its service and its descriptor) and
// the synchronous operations on it. Bodies in src/file/file_handle.cpp and, per platform,
// src/file/posix/posix_file_handle.cpp and src/file/win/win_file_handle.cpp.
#ifndef ASIO_FSWATCH_DETAIL_FILE_HANDLE_HPP
#define ASIO_FSWATCH_DETAIL_FILE_HANDLE_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/detail/file_op.hpp>
#include <asio_fswatch/detail/file_service.hpp>
#include <asio_fswatch/file_base.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>
#if defined(ASIO_FSWATCH_WINDOWS)
#include <boost/asio/windows/random_access_handle.hpp>
#endif

#include <cstdint>
#include <optional>
#include <utility>

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_POSIX)
/// open(2) flags for file_base::flags, with O_CLOEXEC; EINVAL for a contradictory set (no
/// access mode, or two of them, or `exclusive` without `create`).
ASIO_FSWATCH_DECL int open_flags(file_base::flags flags, boost::system::error_code& ec) noexcept;
#else
/// An append on the completion port ended: the position kept for the file goes to its end.
ASIO_FSWATCH_DECL void position_at_end(shared_fd& file) noexcept;
#endif

class ASIO_FSWATCH_DECL file_handle {
public:
#if defined(ASIO_FSWATCH_WINDOWS)
  using overlapped_handle = boost::asio::windows::random_access_handle;
#endif
  /// `ex`: an executor of the context whose file service runs the operations.
  explicit file_handle(const boost::asio::any_io_executor& ex);
  file_handle(file_handle&& other) noexcept
      : service_(other.service_), fd_(std::exchange(other.fd_, nullptr)),
        kind_(other.kind_)
#if defined(ASIO_FSWATCH_WINDOWS)
        ,
        executor_(other.executor_), overlapped_(std::exchange(other.overlapped_, std::nullopt))
#endif
  {
  }
  file_handle& operator=(file_handle&& other) noexcept;
  ~file_handle();

  file_service& service() const noexcept { return *service_; }
  shared_fd* shared() const noexcept { return fd_; }

  bool is_open() const noexcept { return fd_ != nullptr; }
  native_file native_handle() const noexcept {
#if defined(ASIO_FSWATCH_WINDOWS)
    if (overlapped_)
      return const_cast<overlapped_handle&>(*overlapped_).native_handle();
#endif
    return fd_ ? fd_->get() : invalid_native_file;
  }
#if defined(ASIO_FSWATCH_WINDOWS)
  /// A HANDLE opened for overlapped I/O (by open() with the iocp backend, or given to
  /// assign()), on the context's completion port, which reads and writes go through (the shared
  /// descriptor then holds a duplicate of it for the calls that block, on the pool). Null for a
  /// HANDLE opened for synchronous I/O, which the pool serves.
  overlapped_handle* overlapped() noexcept { return overlapped_ ? &*overlapped_ : nullptr; }
  /// Every write goes to the end of the file (opened with file_base::append).
  bool appends() const noexcept { return fd_ && fd_->append(); }
#endif
  /// What the descriptor is: a regular file (or block device), or something the reactor can
  /// wait on (pipe, FIFO, socket, tty, character device).
  bool is_regular() const noexcept { return kind_ == kind::regular; }

  void open(const char* path, file_base::flags flags, boost::system::error_code& ec);
  void assign(native_file fd, boost::system::error_code& ec);
  /// Cancels pending operations; the descriptor closes when the last of them has ended.
  void close(boost::system::error_code& ec);
  native_file release(boost::system::error_code& ec);
  void cancel(boost::system::error_code& ec);

  std::uint64_t size(boost::system::error_code& ec) const;
  void resize(std::uint64_t size, boost::system::error_code& ec);
  void sync_all(boost::system::error_code& ec);
  void sync_data(boost::system::error_code& ec);
  std::uint64_t seek(std::int64_t offset, file_base::seek_basis whence,
                     boost::system::error_code& ec);

private:
  /// Clears `ec`; false, with bad_descriptor in `ec`, when the object holds no file.
  bool check_open(boost::system::error_code& ec) const noexcept {
    ec.clear();
    if (fd_)
      return true;
    ec = boost::asio::error::bad_descriptor;
    return false;
  }

  enum class kind : std::uint8_t { regular, stream };
  void adopt(native_file fd, boost::system::error_code& ec);

  file_service* service_;
  shared_fd* fd_ = nullptr;
  kind kind_ = kind::regular;
#if defined(ASIO_FSWATCH_WINDOWS)
  boost::asio::any_io_executor executor_;
  std::optional<overlapped_handle> overlapped_;
#endif
};

} // namespace asio_fswatch::detail

#endif
