// SPDX-License-Identifier: BSL-1.0
// The thread pool's blocking calls on POSIX (file_perform.hpp).
#include "../file_perform.hpp"
#include "../file_native.hpp" // with detail/config.hpp

#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/detail/file_service.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace asio_fswatch::detail {

namespace {

std::int64_t negative_errno() noexcept { return -std::int64_t(errno); }

} // namespace

/// Runs one request with blocking system calls; EINTR is retried.
std::int64_t perform(const file_op& op) noexcept {
  long r = 0;
  do {
    switch (op.opcode) {
    case file_opcode::read:
      r = op.offset == current_position ? ::readv(op.fd, op.iov, op.iov_count)
                                        : ::preadv(op.fd, op.iov, op.iov_count, off_t(op.offset));
      break;
    case file_opcode::write:
      r = op.offset == current_position ? ::writev(op.fd, op.iov, op.iov_count)
                                        : ::pwritev(op.fd, op.iov, op.iov_count, off_t(op.offset));
      break;
    case file_opcode::sync_all: r = ::fsync(op.fd); break;
    case file_opcode::sync_data: r = ::fdatasync(op.fd); break;
    case file_opcode::resize: r = ::ftruncate(op.fd, off_t(op.offset)); break;
    case file_opcode::allocate:
#if defined(ASIO_FSWATCH_LINUX)
      r = ::fallocate(op.fd, 0, off_t(op.offset), off_t(op.length));
#else
      // posix_fallocate reports its error as its result, not in errno.
      if (const int e = ::posix_fallocate(op.fd, off_t(op.offset), off_t(op.length)); e != 0) {
        errno = e;
        r = -1;
      }
#endif
      break;
    case file_opcode::open: {
      boost::system::error_code invalid;
      const int flags = open_flags(file_base::flags(op.flags), invalid);
      if (invalid)
        return -std::int64_t(invalid.value());
      r = ::openat(AT_FDCWD, op.path, flags, mode_t(op.mode));
      break;
    }
    case file_opcode::stat:
#if defined(ASIO_FSWATCH_LINUX)
      r = ::statx(op.fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS,
                  static_cast<native_stat*>(op.stat_buffer));
#else
      r = ::fstat(op.fd, static_cast<native_stat*>(op.stat_buffer));
#endif
      break;
    case file_opcode::copy_range: {
#if defined(ASIO_FSWATCH_LINUX)
      loff_t in = loff_t(op.offset), out = loff_t(op.offset2);
      r = ::copy_file_range(op.fd, &in, op.fd2, &out, std::size_t(op.length), 0);
#else
      errno = ENOSYS; // never asked: has_copy_range is false (file_native.hpp)
      r = -1;
#endif
      break;
    }
    }
    // A positional transfer on a pipe, FIFO or tty: io_uring ignores the offset of a
    // descriptor that has none, and so does the pool, so that both backends behave alike.
    if (r < 0 && errno == ESPIPE && op.offset != current_position &&
        (op.opcode == file_opcode::read || op.opcode == file_opcode::write))
      r = op.opcode == file_opcode::read ? ::readv(op.fd, op.iov, op.iov_count)
                                         : ::writev(op.fd, op.iov, op.iov_count);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? negative_errno() : std::int64_t(r);
}

// Declared in detail/file_service.hpp: the io_uring backend calls it too.
bool read_if_cached(file_op& op) noexcept {
#if !defined(ASIO_FSWATCH_LINUX) || !defined(RWF_NOWAIT)
  (void)op;
  return false; // preadv2 and RWF_NOWAIT are Linux's
#else
  // Bounded, so that a large cached read does not hold the calling thread for long.
  constexpr std::size_t max_bytes = 256 * 1024;
  if (op.opcode != file_opcode::read || !op.handle || !op.handle->nowait_reads())
    return false;
  std::size_t total = 0;
  for (unsigned i = 0; i < op.iov_count; ++i)
    total += op.iov[i].iov_len;
  if (total > max_bytes)
    return false;
  const off_t offset = op.offset == current_position ? off_t(-1) : off_t(op.offset);
  ssize_t r;
  do
    r = ::preadv2(op.fd, op.iov, int(op.iov_count), offset, RWF_NOWAIT);
  while (r < 0 && errno == EINTR);
  if (r >= 0) {
    op.result = r;
    return true;
  }
  if (errno == EAGAIN)
    return false; // not (all) cached: the backend waits for it
  if (errno == EOPNOTSUPP || errno == EINVAL) {
    op.handle->set_nowait_reads(false); // this file system cannot: stop trying
    return false;
  }
  op.result = -std::int64_t(errno);
  return true;
#endif
}

std::thread start_pool_thread(std::function<void()> run) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  std::thread thread;
  try {
    thread = std::thread(std::move(run));
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
#if defined(__linux__)
  pthread_setname_np(thread.native_handle(), "asio_fswatch io");
#endif
  return thread;
}

std::int64_t no_thread_result() noexcept { return -EAGAIN; }

std::uintptr_t current_pool_thread() noexcept { return 0; }
void forget_pool_thread(std::uintptr_t) noexcept {}
void interrupt_blocking_call(std::uintptr_t) noexcept {}

} // namespace asio_fswatch::detail
