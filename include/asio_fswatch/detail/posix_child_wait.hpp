// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: a wait for a child process on POSIX: on a pidfd in the reactor (Linux),
// or through the context's SIGCHLD service.
#ifndef ASIO_FSWATCH_DETAIL_POSIX_CHILD_WAIT_HPP
#define ASIO_FSWATCH_DETAIL_POSIX_CHILD_WAIT_HPP

#include <asio_fswatch/detail/child_wait_common.hpp>
#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/completion.hpp>
#include <asio_fswatch/detail/sigchld_service.hpp>
#include <asio_fswatch/detail/system_error.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/posix/basic_stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <utility>

namespace asio_fswatch::detail {

/// pidfd_open(pid, 0): a descriptor, or -1 with errno set.
ASIO_FSWATCH_DECL int open_pidfd(pid_type pid) noexcept;

/// A close-on-exec duplicate of `fd`, or -1 with errno set.
ASIO_FSWATCH_DECL int duplicate_pidfd(int fd) noexcept;

/// Reaps the child behind `pidfd` when it has ended: true with `status` set; false when it has
/// not ended yet, or with `ec` set.
ASIO_FSWATCH_DECL bool reap_child(int pidfd, exit_status& status, boost::system::error_code& ec) noexcept;

/// siginfo_t's si_code and si_status of an ended child (`code`, `value`), as an exit_status.
ASIO_FSWATCH_DECL exit_status to_exit_status(int code, int value) noexcept;

/// pidfd_open refused in a way that says "not here": no such system call, or forbidden.
inline bool pidfd_refused(int err) noexcept { return err == ENOSYS || err == EPERM; }

/// A wait registered with the SIGCHLD service: the service's handle on it, for cancel().
struct sigchld_entry final : child_wait_set::entry {
  sigchld_entry(sigchld_service& owner_service, std::shared_ptr<child_wait_set> owner_set)
      : service(owner_service), set(std::move(owner_set)) {
    set->add(this);
  }
  ~sigchld_entry() { set->remove(this); }
  sigchld_entry(const sigchld_entry&) = delete;
  sigchld_entry& operator=(const sigchld_entry&) = delete;
  void cancel() noexcept override {
    if (wait_id != 0)
      service.cancel(wait_id);
  }
  sigchld_service& service;
  std::shared_ptr<child_wait_set> set;
  std::uint64_t wait_id = 0;
};

/// Ends a SIGCHLD wait from its cancellation slot. Every type is accepted: ending the wait
/// leaves the child as it was.
struct sigchld_canceller {
  sigchld_service* service;
  std::uint64_t wait_id;
  void operator()(boost::asio::cancellation_type_t) const { service->cancel(wait_id); }
};

/// The composed operation, parked in the SIGCHLD service until the child ends or the wait is
/// cancelled; then posted back to the watcher's executor with the outcome.
template <typename Self, typename Executor>
class sigchld_waiter final : public sigchld_service::waiter {
public:
  sigchld_waiter(Self&& self, const Executor& ex, boost::asio::cancellation_slot slot, sigchld_entry* entry)
      : self_(std::move(self)), ex_(ex), slot_(slot), entry_(entry) {}

  void registered(sigchld_service& service, std::uint64_t wait_id) noexcept override {
    entry_->wait_id = wait_id;
    if (slot_.is_connected())
      slot_.template emplace<sigchld_canceller>(sigchld_canceller{&service, wait_id});
  }
  void deliver(boost::system::error_code ec, exit_status status, sigchld_service::delivery when) override {
    auto resume = boost::asio::append(std::move(self_), ec, status);
    switch (when) {
    case sigchld_service::delivery::from_signal: return boost::asio::dispatch(ex_, std::move(resume));
    case sigchld_service::delivery::at_initiation: return post_soon(ex_, std::move(resume));
    case sigchld_service::delivery::at_cancellation: break;
    }
    boost::asio::post(ex_, std::move(resume));
  }

private:
  Self self_;
  Executor ex_;
  boost::asio::cancellation_slot slot_;
  sigchld_entry* entry_;
};

/// The composed operation behind basic_child_watcher::async_wait on POSIX.
template <typename Executor, typename OnReaped = nothing_on_reap>
class posix_child_wait_op {
public:
  posix_child_wait_op(const Executor& ex, std::shared_ptr<child_wait_set> set, const child_backend_choice& choice,
                      child_target target, OnReaped on_reaped = OnReaped())
      : ex_(ex), set_(std::move(set)), choice_(choice), target_(target), on_reaped_(std::move(on_reaped)) {}

  template <typename Self>
  void operator()(Self& self) {
    // Ending the wait leaves the child as it was, so every kind of cancellation is fine.
    self.reset_cancellation_state(boost::asio::enable_total_cancellation());
    if (choice_.error)
      return complete_soon(ex_, self, choice_.error, exit_status());
    int fd = -1;
    if (target_.by_handle) {
#if !defined(ASIO_FSWATCH_LINUX)
      // A process handle is a pidfd, which only Linux has.
      return complete_soon(ex_, self, boost::system::error_code(errc::backend_unavailable), exit_status());
#endif
      fd = duplicate_pidfd(target_.handle);
    } else if (target_.pid <= 0) {
      errno = EINVAL;
    } else if (choice_.backend == child_backend::sigchld) {
      return start_sigchld(self);
    } else {
      fd = open_pidfd(target_.pid);
      if (fd < 0 && choice_.may_fall_back && pidfd_refused(errno))
        return start_sigchld(self);
    }
    if (fd < 0)
      return complete_soon(ex_, self, last_system_error(), exit_status());
    // Ended already: reaped now, with no trip through the reactor. Not our child (or reaped
    // already): said now, not when that process ends.
    exit_status status;
    boost::system::error_code ec;
    if (reap_child(fd, status, ec) || ec) {
      ::close(fd);
      if (!ec)
        on_reaped_();
      return complete_soon(ex_, self, ec, status);
    }
    pidfd_ = std::make_unique<pidfd_entry>(ex_, fd, set_);
    wait_pidfd(self);
  }

  /// pidfd mode: the pidfd is readable (the child ended), or the wait was cancelled.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec) {
    exit_status status;
    if (!ec && !reap_child(pidfd_->object.native_handle(), status, ec) && !ec)
      return wait_pidfd(self); // woken early: wait again
    // The pidfd is closed once the handler has run: its epoll_ctl and close are not on the way
    // from the exit to the handler.
    std::unique_ptr<pidfd_entry> done = std::move(pidfd_);
    finish(self, ec, status);
  }

  /// sigchld mode: the service's outcome.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec, exit_status status) {
    self.get_cancellation_state().slot().clear();
    sigchld_.reset();
    finish(self, ec, status);
  }

private:
  using pidfd_entry = registered_wait<boost::asio::posix::basic_stream_descriptor<Executor>>;

  template <typename Self>
  void finish(Self& self, const boost::system::error_code& ec, const exit_status& status) {
    if (!ec)
      on_reaped_();
    self.complete(ec, status);
  }

  template <typename Self>
  void wait_pidfd(Self& self) {
    pidfd_->object.async_wait(boost::asio::posix::descriptor_base::wait_read, std::move(self));
  }

  template <typename Self>
  void start_sigchld(Self& self) {
    auto& service = boost::asio::use_service<sigchld_service>(boost::asio::query(ex_, boost::asio::execution::context));
    sigchld_ = std::make_unique<sigchld_entry>(service, set_);
    // Everything the registration needs is taken before `self` (and this object in it) moves.
    sigchld_entry* entry = sigchld_.get();
    pid_type pid = target_.pid;
    Executor ex = ex_;
    boost::asio::cancellation_slot slot = self.get_cancellation_state().slot();
    service.add(boost::asio::any_io_executor(ex), pid,
                std::make_unique<sigchld_waiter<Self, Executor>>(std::move(self), ex, slot, entry));
  }

  Executor ex_;
  std::shared_ptr<child_wait_set> set_;
  child_backend_choice choice_;
  child_target target_;
  OnReaped on_reaped_;
  std::unique_ptr<pidfd_entry> pidfd_;
  std::unique_ptr<sigchld_entry> sigchld_;
};

/// What a wait on a process object is on: its pid (the object's pidfd, where it has one, stays
/// the object's).
template <typename Process>
child_target process_target(Process& process) {
  return child_target{pid_type(process.id()), false, no_process_handle};
}

} // namespace asio_fswatch::detail

#endif
