// SPDX-License-Identifier: BSL-1.0
// A file I/O object on POSIX: opening and adopting a descriptor, and the synchronous calls.
#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/detail/system_error.hpp>

#include <boost/asio/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <new>

namespace asio_fswatch::detail {
int shared_fd::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return 0;
  int result = 0;
  if (!detached_.load(std::memory_order_relaxed) && ::close(fd_) != 0 && errno != EINTR)
    result = -errno; // Linux frees the descriptor even on EINTR: never retried
  delete this;
  return result;
}

int open_flags(file_base::flags flags, boost::system::error_code& ec) noexcept {
  ec.clear();
  const unsigned access = flags & (file_base::read_only | file_base::write_only | file_base::read_write);
  int result = O_CLOEXEC;
  switch (access) {
  case file_base::read_only: result |= O_RDONLY; break;
  case file_base::write_only: result |= O_WRONLY; break;
  case file_base::read_write: result |= O_RDWR; break;
  default: ec.assign(EINVAL, boost::system::system_category()); return -1;
  }
  if ((flags & file_base::exclusive) && !(flags & file_base::create)) {
    ec.assign(EINVAL, boost::system::system_category());
    return -1;
  }
  if (flags & file_base::append)
    result |= O_APPEND;
  if (flags & file_base::create)
    result |= O_CREAT;
  if (flags & file_base::exclusive)
    result |= O_EXCL;
  if (flags & file_base::truncate)
    result |= O_TRUNC;
  if (flags & file_base::sync_all_on_write)
    result |= O_SYNC;
  return result;
}

void file_handle::adopt(native_file fd, boost::system::error_code& ec) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ec = last_system_error();
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    ec.assign(EISDIR, boost::system::system_category());
    return;
  }
  try {
    fd_ = shared_fd::adopt(fd);
  } catch (const std::bad_alloc&) {
    ec.assign(ENOMEM, boost::system::system_category());
    return;
  }
  kind_ = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ? kind::regular : kind::stream;
  fd_->set_nowait_reads(kind_ == kind::regular);
}

void file_handle::open(const char* path, file_base::flags flags, boost::system::error_code& ec) {
  if (fd_) {
    ec = boost::asio::error::already_open;
    return;
  }
  int oflags = open_flags(flags, ec);
  if (ec)
    return;
  int fd;
  do
    fd = ::open(path, oflags, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    ec = last_system_error();
    return;
  }
  adopt(fd, ec);
  if (ec)
    ::close(fd);
}

std::uint64_t file_handle::size(boost::system::error_code& ec) const {
  if (!check_open(ec))
    return 0;
  struct stat st {};
  if (::fstat(fd_->get(), &st) != 0) {
    ec = last_system_error();
    return 0;
  }
  return std::uint64_t(st.st_size);
}

void file_handle::resize(std::uint64_t size, boost::system::error_code& ec) {
  if (check_open(ec) && ::ftruncate(fd_->get(), off_t(size)) != 0)
    ec = last_system_error();
}

void file_handle::sync_all(boost::system::error_code& ec) {
  if (check_open(ec) && ::fsync(fd_->get()) != 0)
    ec = last_system_error();
}

void file_handle::sync_data(boost::system::error_code& ec) {
  if (check_open(ec) && ::fdatasync(fd_->get()) != 0)
    ec = last_system_error();
}

std::uint64_t file_handle::seek(std::int64_t offset, file_base::seek_basis whence,
                                boost::system::error_code& ec) {
  if (!check_open(ec))
    return 0;
  int how = whence == file_base::seek_set ? SEEK_SET : whence == file_base::seek_cur ? SEEK_CUR : SEEK_END;
  off_t r = ::lseek(fd_->get(), off_t(offset), how);
  if (r < 0) {
    ec = last_system_error();
    return 0;
  }
  return std::uint64_t(r);
}

} // namespace asio_fswatch::detail
