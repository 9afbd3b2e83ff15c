// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: how standard output takes the events on POSIX (see event_output.hpp).
#include "event_output.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cerrno>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asio_fswatch::tool {
namespace {

boost::system::error_code last_error() { return {errno, boost::system::system_category()}; }

bool same_object(const struct stat& a, const struct stat& b) noexcept {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/// Pipes, FIFOs, sockets and terminals can make a writer wait for a reader; regular files and
/// block devices cannot.
bool may_block(const struct stat& status) noexcept {
  return S_ISFIFO(status.st_mode) || S_ISSOCK(status.st_mode) || S_ISCHR(status.st_mode);
}

} // namespace

struct event_output::platform {
  enum class method { plain_write, socket_send };

  explicit platform(boost::asio::io_context& ioc) : room(ioc) {}

  boost::asio::posix::stream_descriptor room; // open when writes may have to wait for room
  int descriptor = STDOUT_FILENO;
  method how = method::plain_write;
  bool reopened = false;                     // descriptor is ours (and room closes it)
  std::optional<int> shared_flags_to_restore; // O_NONBLOCK was set on descriptor 1 itself
};

void event_output::platform_deleter::operator()(platform* p) const noexcept { delete p; }

boost::system::error_code event_output::open() {
  struct stat output {};
  if (::fstat(STDOUT_FILENO, &output) != 0)
    return last_error();
  platform_.reset(new platform(ioc_));
  platform& out = *platform_;
  if (struct stat error_output {}; ::fstat(STDERR_FILENO, &error_output) == 0)
    shared_with_stderr_ = may_block(output) && same_object(output, error_output);
  if (!may_block(output))
    return {}; // plain, blocking writes: the file system takes them without a reader

  if (S_ISSOCK(output.st_mode)) {
    out.how = platform::method::socket_send;
  } else {
    // A new open file description of the same pipe or terminal: O_NONBLOCK on it is seen by
    // nobody else (on descriptor 1's description it would be: by a shell sharing the terminal,
    // or by the next command writing into the same pipe).
    int reopened = ::open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat check {};
    if (reopened >= 0 && ::fstat(reopened, &check) == 0 && same_object(check, output)) {
      out.descriptor = reopened;
      out.reopened = true;
    } else {
      if (reopened >= 0)
        ::close(reopened);
      const int flags = ::fcntl(STDOUT_FILENO, F_GETFL);
      if (flags < 0 || (!(flags & O_NONBLOCK) && ::fcntl(STDOUT_FILENO, F_SETFL, flags | O_NONBLOCK) != 0))
        return last_error();
      if (!(flags & O_NONBLOCK))
        out.shared_flags_to_restore = flags;
    }
  }
  // Only async_wait is used on it: Asio changes no flag for a wait.
  boost::system::error_code ec;
  out.room.assign(out.descriptor, ec);
  return ec;
}

std::size_t event_output::write_some(std::string_view bytes, boost::system::error_code& ec) {
  platform& out = *platform_;
  for (;;) {
    const ssize_t n = out.how == platform::method::socket_send
                          ? ::send(out.descriptor, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL)
                          : ::write(out.descriptor, bytes.data(), bytes.size());
    if (n > 0)
      return std::size_t(n);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!out.room.is_open()) { // a descriptor that was not expected to make us wait
        ec = last_error();
        return 0;
      }
      out.room.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                          [this](boost::system::error_code wait_ec) { resume(wait_ec, 0); });
      return 0;
    }
    // write() returning 0 for a non-empty buffer means no progress can be made.
    ec = n < 0 ? last_error() : boost::system::error_code(EIO, boost::system::system_category());
    return 0;
  }
}

void event_output::close_platform() noexcept {
  if (!platform_)
    return;
  platform& out = *platform_;
  if (out.room.is_open()) {
    boost::system::error_code ignored;
    out.room.cancel(ignored);
    if (out.reopened)
      out.room.close(ignored);
    else
      out.room.release(); // descriptor 1 itself: not ours to close
  }
  if (out.shared_flags_to_restore)
    ::fcntl(STDOUT_FILENO, F_SETFL, *out.shared_flags_to_restore);
  // A wait cancelled above completes with operation_aborted, which resume() ignores.
  platform_.reset();
}

} // namespace asio_fswatch::tool
