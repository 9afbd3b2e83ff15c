// The state of a file I/O object: what does not depend on the platform (ownership, closing,
// cancelling). Opening, adopting and the synchronous calls are in posix/ and win/.
#include <asio_fswatch/detail/file_handle.hpp>

#include <boost/asio/error.hpp>

#include <utility>

namespace asio_fswatch::detail {

shared_fd* shared_fd::adopt(native_file fd) { return new shared_fd(fd); }

file_handle::file_handle(boost::asio::execution_context& context)
    : service_(&boost::asio::use_service<file_service>(context)) {}

file_handle& file_handle::operator=(file_handle&& other) noexcept {
  if (this != &other) {
    boost::system::error_code ignored;
    close(ignored);
    service_ = other.service_;
    fd_ = std::exchange(other.fd_, nullptr);
    kind_ = other.kind_;
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
  service_->cancel_handle(fd_);
  if (int r = std::exchange(fd_, nullptr)->release(); r < 0)
    ec.assign(-r, boost::system::system_category()); // -errno, or -GetLastError() on Windows
}

native_file file_handle::release(boost::system::error_code& ec) {
  ec.clear();
  if (!fd_) {
    ec = boost::asio::error::bad_descriptor;
    return invalid_native_file;
  }
  service_->cancel_handle(fd_);
  shared_fd* shared = std::exchange(fd_, nullptr);
  native_file fd = shared->get();
  shared->detach();
  shared->release();
  return fd;
}

void file_handle::cancel(boost::system::error_code& ec) {
  ec.clear();
  if (!fd_) {
    ec = boost::asio::error::bad_descriptor;
    return;
  }
  service_->cancel_handle(fd_);
}

} // namespace asio_fswatch::detail
