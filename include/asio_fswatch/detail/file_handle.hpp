// asio_fswatch, private: the state of a file I/O object (its service and its descriptor) and
// the synchronous operations on it. Bodies in src/file/posix/file_handle.cpp.
#ifndef ASIO_FSWATCH_DETAIL_FILE_HANDLE_HPP
#define ASIO_FSWATCH_DETAIL_FILE_HANDLE_HPP

#include <asio_fswatch/detail/file_op.hpp>
#include <asio_fswatch/detail/file_service.hpp>
#include <asio_fswatch/file_base.hpp>

#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <utility>

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_POSIX)
/// open(2) flags for file_base::flags, with O_CLOEXEC; EINVAL for a contradictory set (no
/// access mode, or two of them, or `exclusive` without `create`).
int open_flags(file_base::flags flags, boost::system::error_code& ec) noexcept;
#endif

class file_handle {
public:
  explicit file_handle(boost::asio::execution_context& context);
  file_handle(file_handle&& other) noexcept
      : service_(other.service_), fd_(std::exchange(other.fd_, nullptr)),
        kind_(other.kind_) {}
  file_handle& operator=(file_handle&& other) noexcept;
  ~file_handle();

  file_service& service() const noexcept { return *service_; }
  shared_fd* shared() const noexcept { return fd_; }

  bool is_open() const noexcept { return fd_ != nullptr; }
  native_file native_handle() const noexcept { return fd_ ? fd_->get() : invalid_native_file; }
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
  enum class kind : std::uint8_t { regular, stream };
  void adopt(native_file fd, boost::system::error_code& ec);

  file_service* service_;
  shared_fd* fd_ = nullptr;
  kind kind_ = kind::regular;
};

} // namespace asio_fswatch::detail

#endif
