// asio_fswatch, private: one wait for a child process, on a pidfd in the reactor or through the
// context's SIGCHLD service, and the set of a watcher's pending waits, which cancel() and the
// destructor reach.
#ifndef ASIO_FSWATCH_DETAIL_CHILD_WAIT_HPP
#define ASIO_FSWATCH_DETAIL_CHILD_WAIT_HPP

#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/detail/sigchld_service.hpp>
#include <asio_fswatch/exit_status.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/posix/basic_stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio_fswatch::detail {

/// pidfd_open(pid, 0): a descriptor, or -1 with errno set.
int open_pidfd(pid_t pid) noexcept;

/// A close-on-exec duplicate of `fd`, or -1 with errno set.
int duplicate_pidfd(int fd) noexcept;

/// Reaps the child behind `pidfd` when it has ended: true with `status` set; false when it has
/// not ended yet, or with `ec` set.
bool reap_child(int pidfd, exit_status& status, boost::system::error_code& ec) noexcept;

/// siginfo_t's si_code and si_status of an ended child (`code`, `value`), as an exit_status.
exit_status to_exit_status(int code, int value) noexcept;

/// The mechanism a watcher uses, decided when it is constructed.
struct child_backend_choice {
  child_backend backend = child_backend::pidfd; // pidfd or sigchld, never automatic
  bool may_fall_back = false; // chosen automatically: a wait whose pidfd_open is refused uses sigchld
  boost::system::error_code error; // errc::invalid_child_backend: every wait fails with it
};

/// `wanted`, or for automatic: ASIO_FSWATCH_CHILD_BACKEND, else pidfd when pidfd_open works.
child_backend_choice choose_child_backend(child_backend wanted) noexcept;

/// pidfd_open refused in a way that says "not here": no such system call, or forbidden.
inline bool pidfd_refused(int err) noexcept { return err == ENOSYS || err == EPERM; }

class child_wait_set {
public:
  struct entry {
    virtual void cancel() noexcept = 0;

  protected:
    ~entry() = default;
  };

  void add(entry* e) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back(e);
  }
  void remove(entry* e) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
  }
  void cancel_all() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    for (entry* e : entries_)
      e->cancel();
  }

private:
  std::mutex mutex_;
  std::vector<entry*> entries_;
};

/// What a wait is on: a pid, or a pidfd the caller keeps.
struct child_target {
  pid_t pid = 0;
  bool by_pidfd = false;
  int pidfd = -1; // borrowed, when by_pidfd
};

/// Called once the child was reaped by the wait; the default does nothing.
struct nothing_on_reap {
  void operator()() const noexcept {}
};

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
  void deliver(boost::system::error_code ec, exit_status status, bool from_reactor) override {
    if (from_reactor)
      boost::asio::dispatch(ex_, boost::asio::append(std::move(self_), ec, status));
    else
      boost::asio::post(ex_, boost::asio::append(std::move(self_), ec, status));
  }

private:
  Self self_;
  Executor ex_;
  boost::asio::cancellation_slot slot_;
  sigchld_entry* entry_;
};

/// The composed operation behind basic_child_watcher::async_wait.
template <typename Executor, typename OnReaped = nothing_on_reap>
class child_wait_op {
public:
  child_wait_op(const Executor& ex, std::shared_ptr<child_wait_set> set, const child_backend_choice& choice,
                child_target target, OnReaped on_reaped = OnReaped())
      : ex_(ex), set_(std::move(set)), choice_(choice), target_(target), on_reaped_(std::move(on_reaped)) {}

  /// Start, or (after the post of an early error) finish.
  template <typename Self>
  void operator()(Self& self) {
    if (step_ == step::posted)
      return finish(self, early_, early_status_);
    // Ending the wait leaves the child as it was, so every kind of cancellation is fine.
    self.reset_cancellation_state(boost::asio::enable_total_cancellation());
    if (choice_.error) {
      early_ = choice_.error;
      return post_early(self);
    }
    int fd = -1;
    if (target_.by_pidfd) {
      fd = duplicate_pidfd(target_.pidfd);
    } else if (target_.pid <= 0) {
      errno = EINVAL;
    } else if (choice_.backend == child_backend::sigchld) {
      return start_sigchld(self);
    } else {
      fd = open_pidfd(target_.pid);
      if (fd < 0 && choice_.may_fall_back && pidfd_refused(errno))
        return start_sigchld(self);
    }
    if (fd < 0) {
      early_.assign(errno, boost::system::system_category());
      return post_early(self);
    }
    // Ended already: reaped now, with no trip through the reactor. Not our child (or reaped
    // already): said now, not when that process ends.
    if (reap_child(fd, early_status_, early_) || early_) {
      ::close(fd);
      return post_early(self);
    }
    pidfd_ = std::make_unique<pidfd_entry>(ex_, fd, set_);
    wait_pidfd(self);
  }

  /// pidfd mode: the pidfd is readable (the child ended), or the wait was cancelled.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec) {
    exit_status status;
    if (!ec && !reap_child(pidfd_->descriptor.native_handle(), status, ec) && !ec)
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
  enum class step { start, posted, waiting };

  struct pidfd_entry final : child_wait_set::entry {
    pidfd_entry(const Executor& ex, int fd, std::shared_ptr<child_wait_set> owner_set)
        : descriptor(ex, fd), set(std::move(owner_set)) {
      set->add(this);
    }
    ~pidfd_entry() { set->remove(this); }
    pidfd_entry(const pidfd_entry&) = delete;
    pidfd_entry& operator=(const pidfd_entry&) = delete;
    void cancel() noexcept override {
      boost::system::error_code ignored;
      descriptor.cancel(ignored);
    }
    boost::asio::posix::basic_stream_descriptor<Executor> descriptor;
    std::shared_ptr<child_wait_set> set;
  };

  template <typename Self>
  void finish(Self& self, const boost::system::error_code& ec, const exit_status& status) {
    if (!ec)
      on_reaped_();
    self.complete(ec, status);
  }

  template <typename Self>
  void wait_pidfd(Self& self) {
    step_ = step::waiting;
    pidfd_->descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read, std::move(self));
  }

  template <typename Self>
  void start_sigchld(Self& self) {
    step_ = step::waiting;
    auto& service = boost::asio::use_service<sigchld_service>(boost::asio::query(ex_, boost::asio::execution::context));
    sigchld_ = std::make_unique<sigchld_entry>(service, set_);
    // Everything the registration needs is taken before `self` (and this object in it) moves.
    sigchld_entry* entry = sigchld_.get();
    pid_t pid = target_.pid;
    Executor ex = ex_;
    boost::asio::cancellation_slot slot = self.get_cancellation_state().slot();
    service.add(boost::asio::any_io_executor(ex), pid,
                std::make_unique<sigchld_waiter<Self, Executor>>(std::move(self), ex, slot, entry));
  }

  template <typename Self>
  void post_early(Self& self) {
    step_ = step::posted;
    boost::asio::post(ex_, std::move(self)); // never complete inside the initiating call
  }

  Executor ex_;
  std::shared_ptr<child_wait_set> set_;
  child_backend_choice choice_;
  child_target target_;
  OnReaped on_reaped_;
  step step_ = step::start;
  boost::system::error_code early_;
  exit_status early_status_;
  std::unique_ptr<pidfd_entry> pidfd_;
  std::unique_ptr<sigchld_entry> sigchld_;
};

/// A process object the watcher can wait on (Boost.Process v2's basic_process): it has id(),
/// and detach(), which the watcher calls once it has reaped the child, so that the object never
/// signals or waits on a pid that may be reused.
template <typename T, typename = void>
struct is_process_object : std::false_type {};
template <typename T>
struct is_process_object<T, std::void_t<decltype(pid_t(std::declval<T&>().id())), decltype(std::declval<T&>().detach())>>
    : std::true_type {};

template <typename Process>
struct detach_on_reap {
  Process* process;
  void operator()() const { process->detach(); }
};

} // namespace asio_fswatch::detail

#endif
