// SPDX-License-Identifier: BSL-1.0
// The SIGCHLD mechanism: one signal_set per context, and the registered children. On each
// SIGCHLD the zombies among them are reaped; nothing else is.
#include <asio_fswatch/detail/posix_child_wait.hpp>
#include <asio_fswatch/detail/sigchld_service.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/signal_set.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asio_fswatch::detail {

boost::asio::execution_context::id sigchld_service::id;

namespace {

struct outcome {
  std::unique_ptr<sigchld_service::waiter> w;
  boost::system::error_code ec;
  exit_status status;
};

/// waitid(P_PID, pid, WEXITED | WNOHANG | extra), EINTR retried. -1 with errno, else 0 with
/// info.si_pid == 0 while the child runs.
int wait_pid(pid_t pid, siginfo_t& info, int extra) noexcept {
  info = siginfo_t{};
  int r;
  do
    r = ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | extra);
  while (r < 0 && errno == EINTR);
  return r;
}

/// ECHILD for a pid that does not exist at all says ESRCH, as pidfd_open does.
boost::system::error_code wait_error(pid_t pid, int err) noexcept {
  if (err == ECHILD && ::kill(pid, 0) < 0 && errno == ESRCH)
    err = ESRCH;
  return {err, boost::system::system_category()};
}

} // namespace

struct sigchld_service::impl {
  struct registration {
    std::uint64_t id;
    std::unique_ptr<waiter> w;
  };

  /// Reaps `pid` if it ended and moves its waiters to `out`; false while it runs.
  bool try_reap(pid_t pid, std::vector<outcome>& out) {
    siginfo_t info;
    boost::system::error_code ec;
    exit_status status;
    if (wait_pid(pid, info, 0) < 0)
      ec = wait_error(pid, errno); // reaped by someone else: say so rather than wait forever
    else if (info.si_pid == 0)
      return false;
    else
      status = to_exit_status(info.si_code, info.si_status);
    auto it = by_pid.find(pid);
    for (registration& r : it->second) {
      ids.erase(r.id);
      out.push_back({std::move(r.w), ec, status});
    }
    by_pid.erase(it);
    return true;
  }

  void collect(std::vector<outcome>& out) {
    // A few children: ask about each (one waitid apiece). Many: usually every zombie is one of
    // ours, so peek at them one by one (WNOWAIT) and reap those, instead of asking about each
    // registered child.
    for (;;) {
      if (by_pid.size() <= few)
        break;
      siginfo_t info{};
      int r;
      do
        r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
      while (r < 0 && errno == EINTR);
      if (r < 0 || info.si_pid == 0)
        return; // no child at all, or none has ended
      if (by_pid.count(info.si_pid) == 0 || !try_reap(info.si_pid, out))
        break; // a zombie that is not ours hides the others: ask about each of ours
    }
    std::vector<pid_t> pids;
    pids.reserve(by_pid.size());
    for (auto& entry : by_pid)
      pids.push_back(entry.first);
    for (pid_t pid : pids)
      try_reap(pid, out);
  }

  void arm() {
    waiting = true;
    signals->async_wait([this](const boost::system::error_code& ec, int) { on_signal(ec); });
  }

  void on_signal(const boost::system::error_code& ec) {
    std::vector<outcome> out;
    {
      std::lock_guard<std::mutex> lock(mutex);
      waiting = false;
      if (!signals)
        return;
      if (!ec)
        collect(out);
      if (!by_pid.empty())
        arm(); // a SIGCHLD that came meanwhile was counted by the signal_set
    }
    for (outcome& o : out)
      o.w->deliver(o.ec, o.status, delivery::from_signal);
  }

  bool install(const boost::asio::any_io_executor& ex, boost::system::error_code& ec) {
    signals.emplace(ex);
    signals->add(SIGCHLD, ec);
    if (ec) {
      signals.reset();
      return false;
    }
    // Asio installs its handler without flags. Keep it, but restart interrupted system calls
    // and leave out stopped/continued children, so that this mechanism disturbs the rest of
    // the program as little as it can.
    struct sigaction sa;
    if (::sigaction(SIGCHLD, nullptr, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
      sa.sa_flags |= SA_RESTART | SA_NOCLDSTOP;
      ::sigaction(SIGCHLD, &sa, nullptr);
    }
    return true;
  }

  mutable std::mutex mutex;
  std::optional<boost::asio::signal_set> signals;
  std::unordered_map<pid_t, std::vector<registration>> by_pid;
  std::unordered_map<std::uint64_t, pid_t> ids;
  static constexpr std::size_t few = 4;
  std::uint64_t next_id = 1;
  bool waiting = false;
  bool shut = false;
};

sigchld_service::sigchld_service(boost::asio::execution_context& context)
    : boost::asio::execution_context::service(context), impl_(std::make_unique<impl>()) {}

sigchld_service::~sigchld_service() = default;

void sigchld_service::add(const boost::asio::any_io_executor& ex, pid_t pid, std::unique_ptr<waiter> w) {
  boost::system::error_code ec;
  exit_status status;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->shut)
      return; // the context is going away: the wait is destroyed, as Asio does with its own
    // The handler goes in before the child is asked about: a SIGCHLD after that question is
    // counted, one before it shows in the answer.
    if (impl_->signals || impl_->install(ex, ec)) {
      auto it = impl_->by_pid.find(pid);
      siginfo_t info{};
      if (it == impl_->by_pid.end() && wait_pid(pid, info, 0) < 0) {
        ec = wait_error(pid, errno);
      } else if (it == impl_->by_pid.end() && info.si_pid != 0) {
        status = to_exit_status(info.si_code, info.si_status); // ended before the wait
      } else {
        std::uint64_t wait_id = impl_->next_id++;
        w->registered(*this, wait_id);
        impl_->by_pid[pid].push_back({wait_id, std::move(w)});
        impl_->ids.emplace(wait_id, pid);
        if (!impl_->waiting)
          impl_->arm();
        return;
      }
    }
  }
  w->deliver(ec, status, delivery::at_initiation);
}

void sigchld_service::cancel(std::uint64_t wait_id) {
  std::unique_ptr<waiter> w;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto id_it = impl_->ids.find(wait_id);
    if (id_it == impl_->ids.end())
      return; // delivered already
    auto pid_it = impl_->by_pid.find(id_it->second);
    auto& regs = pid_it->second;
    for (auto r = regs.begin(); r != regs.end(); ++r) {
      if (r->id == wait_id) {
        w = std::move(r->w);
        regs.erase(r);
        break;
      }
    }
    if (regs.empty())
      impl_->by_pid.erase(pid_it);
    impl_->ids.erase(id_it);
    // Nothing left to wait for: give up the signal wait, so that run() can return.
    if (impl_->by_pid.empty() && impl_->waiting)
      impl_->signals->cancel();
  }
  w->deliver(boost::asio::error::operation_aborted, exit_status(), delivery::at_cancellation);
}

std::size_t sigchld_service::size() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->ids.size();
}

void sigchld_service::shutdown() {
  std::vector<std::unique_ptr<waiter>> dropped;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->shut = true;
    for (auto& entry : impl_->by_pid)
      for (auto& r : entry.second)
        dropped.push_back(std::move(r.w));
    impl_->by_pid.clear();
    impl_->ids.clear();
    impl_->signals.reset();
  }
  // Destroyed outside the lock: a waiter's destruction reaches its watcher's wait set.
}

} // namespace asio_fswatch::detail
