// SPDX-License-Identifier: BSL-1.0
#include "inotify_edge.hpp"

#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/inotify_parser.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/error.hpp>

#include <cerrno>
#include <unistd.h>

#if defined(ASIO_FSWATCH_LINUX)
#include <sys/eventfd.h>
#include <sys/inotify.h>
#endif

namespace asio_fswatch::detail {
namespace {

namespace asio = boost::asio;
namespace sys = boost::system;

// A read that left at least this much room took everything queued (a record is at most a
// 16-byte header and a 256-byte name field): no need to ask again.
constexpr std::size_t largest_record = 16 + 256;

#if defined(ASIO_FSWATCH_LINUX)
// inotify_init1 fails with EMFILE both when the user's inotify instances are used up and when
// this process has no descriptor left; only the first is the sysctl the error message names.
// Opening another descriptor of any kind tells them apart.
bool descriptor_table_full() noexcept {
  int probe = ::eventfd(0, EFD_CLOEXEC);
  if (probe < 0)
    return errno == EMFILE;
  ::close(probe);
  return false;
}
#endif

} // namespace

sys::error_code inotify_edge::open(backend& mode, bool automatic, edge_sink sink) {
  sink_ = std::move(sink);
  int fd = -1;
  if (mode == backend::native) {
#if defined(ASIO_FSWATCH_LINUX)
    fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      if (error == EMFILE && !descriptor_table_full())
        return errc::instance_limit_reached;
      if (error == ENOSYS && automatic)
        mode = backend::poll; // no inotify in this kernel: the portable fallback
      else
        return {error, sys::system_category()};
    }
#else
    (void)automatic;
    return errc::backend_unavailable;
#endif
  }
  filesystem_ = make_posix_filesystem(fd, closes_ ? inotify_flag::close_write : 0);
  if (fd >= 0) {
    descriptor_.emplace(executor_, fd);
    descriptor_->non_blocking(true);
  }
  return {};
}

void inotify_edge::arm() {
  if (!descriptor_ || !descriptor_->is_open() || waiting_)
    return;
  // A readiness wait, not a read: every read of the queue happens in take_queued, under the
  // monitor's lock, so that a due hold can take what is queued first without another read
  // holding older records. Arming it re-checks readiness, so records already queued wake it at
  // once.
  waiting_ = true;
  descriptor_->async_wait(asio::posix::descriptor_base::wait_read, [this, sink = sink_](sys::error_code ec) {
    // The work runs only while the monitor, which holds this edge, is there.
    sink([this, ec](watch_engine& engine) -> sys::error_code {
      waiting_ = false;
      if (ec == asio::error::operation_aborted)
        return {};
      if (ec)
        return ec;
      constexpr int max_reads_per_wakeup = 16;
      sys::error_code read_error;
      take_queued(engine, max_reads_per_wakeup, read_error);
      return read_error;
    });
  });
}

void inotify_edge::disarm() {
  if (waiting_ && descriptor_ && descriptor_->is_open())
    descriptor_->cancel();
}

bool inotify_edge::take_queued(watch_engine& engine, int reads, sys::error_code& ec) {
  for (int i = 0; i < reads; ++i) {
    if (!descriptor_ || !descriptor_->is_open())
      return true;
    ssize_t n = ::read(descriptor_->native_handle(), buffer_.data(), buffer_.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      ec.assign(errno, sys::system_category());
    if (n <= 0)
      return true;
    engine.on_inotify_bytes(std::string_view(buffer_.data(), static_cast<std::size_t>(n)),
                            time_sample::now());
    if (static_cast<std::size_t>(n) + largest_record <= buffer_.size())
      return true;
  }
  return false;
}

void inotify_edge::close() {
  if (descriptor_) {
    sys::error_code ignored;
    descriptor_->close(ignored); // cancels the wait; the kernel drops every watch
  }
}

} // namespace asio_fswatch::detail
