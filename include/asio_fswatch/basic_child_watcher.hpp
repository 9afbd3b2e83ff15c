// asio_fswatch: basic_child_watcher, waits for child processes to end without blocking.
#ifndef ASIO_FSWATCH_BASIC_CHILD_WATCHER_HPP
#define ASIO_FSWATCH_BASIC_CHILD_WATCHER_HPP

#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/detail/child_wait.hpp>
#include <asio_fswatch/exit_status.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <sys/types.h>

#include <memory>
#include <type_traits>
#include <utility>

namespace asio_fswatch {

/// Waits for child processes to end and reaps them, without blocking and without a thread.
///
/// Two mechanisms (see child_backend): by default each wait holds a pidfd (Linux 5.3+) that the
/// reactor watches, and the child is reaped with waitid(P_PIDFD) once it has ended. Where
/// pidfd_open is missing or forbidden, the context's SIGCHLD service is used instead: one
/// signal_set on SIGCHLD, and on each signal the registered children are checked with
/// waitid(P_PID, WNOHANG). Either way only the children asked about are reaped (never
/// waitpid(-1)), and a child that ended before async_wait was called is still reported (it
/// stays a zombie until then).
///
/// Any number of waits may be outstanding on one watcher, for the same or different children.
///
/// Thread safety: distinct objects: safe. Shared object: unsafe.
template <typename Executor = boost::asio::any_io_executor>
class basic_child_watcher {
public:
  using executor_type = Executor;

  template <typename OtherExecutor>
  struct rebind_executor {
    using other = basic_child_watcher<OtherExecutor>;
  };

  /// The mechanism is chosen here (see child_backend): a bad ASIO_FSWATCH_CHILD_BACKEND makes
  /// every wait fail with errc::invalid_child_backend.
  explicit basic_child_watcher(const executor_type& ex, const child_watcher_options& options = {})
      : executor_(ex), waits_(std::make_shared<detail::child_wait_set>()),
        choice_(detail::choose_child_backend(options.backend)) {}

  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_child_watcher(ExecutionContext& context, const child_watcher_options& options = {})
      : basic_child_watcher(executor_type(context.get_executor()), options) {}

  // The executor is copied, not moved: a moved-from watcher keeps its executor and a wait set
  // of its own, so it is usable as if newly constructed.
  basic_child_watcher(basic_child_watcher&& other) noexcept
      : executor_(other.executor_), waits_(std::exchange(other.waits_, std::make_shared<detail::child_wait_set>())),
        choice_(other.choice_) {}

  /// The same from a watcher whose executor type converts to this one's (what
  /// `boost::asio::as_default_on(std::move(watcher))` needs). Pending waits come along: cancel()
  /// and the destructor of this object reach them.
  template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_child_watcher(basic_child_watcher<OtherExecutor>&& other)
      : executor_(other.executor_), waits_(std::exchange(other.waits_, std::make_shared<detail::child_wait_set>())),
        choice_(other.choice_) {}

  /// Pending waits of this watcher complete with operation_aborted first.
  basic_child_watcher& operator=(basic_child_watcher&& other) noexcept {
    if (this != &other)
      take(other);
    return *this;
  }
  template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_child_watcher& operator=(basic_child_watcher<OtherExecutor>&& other) {
    take(other);
    return *this;
  }
  basic_child_watcher(const basic_child_watcher&) = delete;
  basic_child_watcher& operator=(const basic_child_watcher&) = delete;

  /// Pending waits complete with operation_aborted; their children keep running, unreaped.
  ~basic_child_watcher() { waits_->cancel_all(); }

  executor_type get_executor() noexcept { return executor_; }

  /// The mechanism in use: child_backend::pidfd or child_backend::sigchld; automatic when
  /// ASIO_FSWATCH_CHILD_BACKEND is invalid (every wait then fails with
  /// errc::invalid_child_backend). Under automatic, a wait whose pidfd_open is refused
  /// (ENOSYS, EPERM) still uses sigchld.
  child_backend backend() const noexcept {
    return choice_.error ? child_backend::automatic : choice_.backend;
  }

  /// Completes every pending wait with operation_aborted. The children are not touched.
  void cancel() { waits_->cancel_all(); }

  /// Waits for the child `pid` to end, reaps it and completes with how it ended.
  ///
  /// Completion signature: `void(boost::system::error_code, exit_status)`.
  /// Errors: ESRCH when there is no such process; ECHILD when `pid` is not a child of this
  /// process (or was reaped already, by someone else); EINVAL for a pid <= 0; in pidfd mode the
  /// errors of pidfd_open (EMFILE, ...); in sigchld mode the error of installing the SIGCHLD
  /// handler; errc::invalid_child_backend; operation_aborted when cancelled. Never completes
  /// inside this call.
  /// Per-operation cancellation: terminal, partial and total: the wait ends, the child keeps
  /// running and is not reaped (a later wait still gets its status).
  ///
  /// Two waits for the same child: in sigchld mode both get its status; in pidfd mode one does
  /// and the other completes with ECHILD.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(pid_t pid, WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
        detail::child_wait_op<Executor>(executor_, waits_, choice_, detail::child_target{pid, false, -1}), token,
        executor_);
  }

  /// Waits on a pidfd the caller opened and keeps (it is duplicated; closing it afterwards is
  /// the caller's business). Always the pidfd mechanism, whatever backend() says. As the pid
  /// overload otherwise; EBADF for a descriptor that is not open.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(pidfd_ref pidfd,
                  WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
        detail::child_wait_op<Executor>(executor_, waits_, choice_, detail::child_target{0, true, pidfd.fd}), token,
        executor_);
  }

  /// Waits for the child of a process object: Boost.Process v2's `basic_process` (anything with
  /// `id()` and `detach()`). The object must outlive the wait. Once the child is reaped, the
  /// object is detached from it (`detach()`), so that it never waits on or kills a pid the
  /// system may have given to another process; the exit status is the one this wait reports.
  /// Cancelled or failed, the object is left as it was. As the pid overload otherwise.
  template <typename Process,
            typename WaitToken = boost::asio::default_completion_token_t<executor_type>,
            std::enable_if_t<detail::is_process_object<Process>::value, int> = 0>
  auto async_wait(Process& process,
                  WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
        detail::child_wait_op<Executor, detail::detach_on_reap<Process>>(
            executor_, waits_, choice_, detail::child_target{pid_t(process.id()), false, -1},
            detail::detach_on_reap<Process>{&process}),
        token, executor_);
  }

private:
  template <typename>
  friend class basic_child_watcher;

  template <typename Other>
  void take(Other& other) {
    waits_->cancel_all();
    executor_ = other.executor_;
    waits_ = std::exchange(other.waits_, std::make_shared<detail::child_wait_set>());
    choice_ = other.choice_;
  }

  Executor executor_;
  std::shared_ptr<detail::child_wait_set> waits_;
  detail::child_backend_choice choice_;
};

} // namespace asio_fswatch

#endif
