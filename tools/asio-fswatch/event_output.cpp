// asio-fswatch: standard output for `watch`, written without ever blocking the event loop.
#include "event_output.hpp"

#include <boost/asio/error.hpp>

#include <cerrno>
#include <utility>

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

event_output::event_output(boost::asio::io_context& ioc, std::function<void(boost::system::error_code)> on_error,
                           std::function<void()> on_room)
    : room_(ioc), drain_deadline_(ioc), on_error_(std::move(on_error)), on_room_(std::move(on_room)) {}

event_output::~event_output() { close(); }

boost::system::error_code event_output::open() {
  struct stat output {};
  if (::fstat(STDOUT_FILENO, &output) != 0)
    return last_error();
  descriptor_ = STDOUT_FILENO;
  if (struct stat error_output {}; ::fstat(STDERR_FILENO, &error_output) == 0)
    shared_with_stderr_ = may_block(output) && same_object(output, error_output);
  if (!may_block(output))
    return {}; // plain, blocking writes: the file system takes them without a reader

  boost::system::error_code ec;
  if (S_ISSOCK(output.st_mode)) {
    method_ = method::socket_send;
  } else {
    // A new open file description of the same pipe or terminal: O_NONBLOCK on it is seen by
    // nobody else (on descriptor 1's description it would be: by a shell sharing the terminal,
    // or by the next command writing into the same pipe).
    int reopened = ::open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat check {};
    if (reopened >= 0 && ::fstat(reopened, &check) == 0 && same_object(check, output)) {
      descriptor_ = reopened;
      reopened_ = true;
    } else {
      if (reopened >= 0)
        ::close(reopened);
      const int flags = ::fcntl(STDOUT_FILENO, F_GETFL);
      if (flags < 0 || (!(flags & O_NONBLOCK) && ::fcntl(STDOUT_FILENO, F_SETFL, flags | O_NONBLOCK) != 0))
        return last_error();
      if (!(flags & O_NONBLOCK))
        shared_flags_to_restore_ = flags;
    }
  }
  // Only async_wait is used on it: Asio changes no flag for a wait.
  room_.assign(descriptor_, ec);
  return ec;
}

void event_output::write(std::string_view bytes) {
  if (failed_ || bytes.empty())
    return;
  queue_.append(bytes);
  flush();
  if (full())
    owes_room_ = true;
}

void event_output::flush() {
  while (!failed_ && !waiting_for_room_ && queued() > 0) {
    boost::system::error_code ec;
    const std::size_t taken = write_some(std::string_view(queue_).substr(written_), ec);
    if (ec)
      return fail(ec);
    if (taken == 0) {
      waiting_for_room_ = true;
      room_.async_wait(boost::asio::posix::stream_descriptor::wait_write, [this](boost::system::error_code wait_ec) {
        waiting_for_room_ = false;
        if (wait_ec == boost::asio::error::operation_aborted || failed_)
          return;
        if (wait_ec)
          return fail(wait_ec);
        flush();
      });
      break;
    }
    written_ += taken;
  }
  // Drop what is written once it is most of the buffer, so the queue does not grow for ever
  // and the bytes moved stay few.
  if (written_ == queue_.size()) {
    queue_.clear();
    written_ = 0;
  } else if (written_ > queue_.size() / 2) {
    queue_.erase(0, written_);
    written_ = 0;
  }
  if (owes_room_ && !failed_ && queued() <= queue_limit / 2) {
    owes_room_ = false;
    on_room_();
  }
  if (on_drained_ && (queued() == 0 || failed_))
    drain_deadline_.cancel();
}

void event_output::drain(std::chrono::milliseconds patience, std::function<void()> done) {
  if (queued() == 0 || failed_ || !room_.is_open())
    return done();
  on_drained_ = std::move(done);
  drain_deadline_.expires_after(patience);
  drain_deadline_.async_wait([this](boost::system::error_code) {
    std::function<void()> done_now = std::move(on_drained_);
    on_drained_ = nullptr;
    done_now();
  });
  flush();
}

std::size_t event_output::write_some(std::string_view bytes, boost::system::error_code& ec) {
  for (;;) {
    const ssize_t n = method_ == method::socket_send
                          ? ::send(descriptor_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL)
                          : ::write(descriptor_, bytes.data(), bytes.size());
    if (n > 0)
      return std::size_t(n);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!room_.is_open()) // a descriptor that was not expected to make us wait
        ec = last_error();
      return 0;
    }
    // write() returning 0 for a non-empty buffer means no progress can be made.
    ec = n < 0 ? last_error() : boost::system::error_code(EIO, boost::system::system_category());
    return 0;
  }
}

void event_output::fail(boost::system::error_code ec) {
  failed_ = true;
  on_error_(ec);
}

void event_output::close() {
  drain_deadline_.cancel();
  if (room_.is_open()) {
    boost::system::error_code ignored;
    room_.cancel(ignored);
    if (reopened_)
      room_.close(ignored);
    else
      room_.release(); // descriptor 1 itself: not ours to close
  }
  if (shared_flags_to_restore_) {
    ::fcntl(STDOUT_FILENO, F_SETFL, *shared_flags_to_restore_);
    shared_flags_to_restore_.reset();
  }
}

} // namespace asio_fswatch::tool
