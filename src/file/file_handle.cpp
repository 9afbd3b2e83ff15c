// SPDX-License-Identifier: BSL-1.0
// The state of a file I/O object: what does not depend on the platform (ownership, closing,
// cancelling). Opening, adopting and the synchronous calls are in posix/ and win/.
#include <asio_fswatch/detail/file_handle.hpp>

#include <boost/asio/error.hpp>

#include <utility>

namespace asio_fswatch::detail {

shared_fd* shared_fd::adopt(native_file fd) { return new shared_fd(fd); }

file_handle::file_handle(const boost::asio::any_io_executor& ex)
    : service_(&boost::asio::use_service<file_service>(boost::asio::query(ex, boost::asio::execution::context)))
#if defined(ASIO_FSWATCH_WINDOWS)
      ,
      executor_(ex)
#endif
{
}

file_handle& file_handle::operator=(file_handle&& other) noexcept {
  if (this != &other) {
    boost::system::error_code ignored;
    close(ignored);
    service_ = other.service_;
    fd_ = std::exchange(other.fd_, nullptr);
    kind_ = other.kind_;
#if defined(ASIO_FSWATCH_WINDOWS)
    executor_ = other.executor_;
    overlapped_ = std::exchange(other.overlapped_, std::nullopt);
#endif
  }
  return *this;
}

file_handle::~file_handle() {
  boost::system::error_code ignored;
  close(ignored);
}

void file_handle::assign(native_file fd, boost::system::error_code& ec) {
  ec.clear();
  if (fd_) {
    ec = boost::asio::error::already_open;
    return;
  }
  if (fd == invalid_native_file) {
    ec = boost::asio::error::bad_descriptor;
    return;
  }
  adopt(fd, ec);
}

void file_handle::close(boost::system::error_code& ec) {
  ec.clear();
  if (!fd_)
    return;
#if defined(ASIO_FSWATCH_WINDOWS)
  if (overlapped_) {
    // Cancelled first: Asio's close is a CloseHandle, and the shared descriptor holds another
    // HANDLE to the same file object, so closing this one alone would leave a pending read
    // of a pipe waiting for its peer (and the shared descriptor waiting for that read).
    boost::system::error_code ignored;
    overlapped_->cancel(ignored);
    overlapped_->close(ec); // its pending reads and writes complete with operation_aborted
    overlapped_.reset();
  }
#endif
  service_->cancel_handle(fd_);
  if (int r = std::exchange(fd_, nullptr)->release(); r < 0)
    ec.assign(-r, boost::system::system_category()); // -errno, or -GetLastError() on Windows
}

native_file file_handle::release(boost::system::error_code& ec) {
  if (!check_open(ec))
    return invalid_native_file;
#if defined(ASIO_FSWATCH_WINDOWS)
  if (overlapped_) {
    // The caller gets the HANDLE it would have opened itself, taken off the completion port
    // (a handle left on it would post the caller's own overlapped I/O there). Where that cannot
    // be done (NtSetInformationFile's FileReplaceCompletionInformation, before Windows 8.1 and
    // in Wine 8), release fails and the file stays open. The duplicate the pool used is closed
    // once its last request has ended.
    native_file h = overlapped_->release(ec);
    if (ec)
      return invalid_native_file;
    overlapped_.reset();
    service_->cancel_handle(fd_);
    std::exchange(fd_, nullptr)->release();
    return h;
  }
#endif
  service_->cancel_handle(fd_);
  shared_fd* shared = std::exchange(fd_, nullptr);
  native_file fd = shared->get();
  shared->detach();
  shared->release();
  return fd;
}

void file_handle::cancel(boost::system::error_code& ec) {
  if (!check_open(ec))
    return;
#if defined(ASIO_FSWATCH_WINDOWS)
  if (overlapped_)
    overlapped_->cancel(ec);
#endif
  service_->cancel_handle(fd_);
}

} // namespace asio_fswatch::detail
