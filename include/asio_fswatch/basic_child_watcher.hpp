// asio_fswatch: basic_child_watcher, waits for child processes to end without blocking.
#ifndef ASIO_FSWATCH_BASIC_CHILD_WATCHER_HPP
#define ASIO_FSWATCH_BASIC_CHILD_WATCHER_HPP

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

/// Waits for child processes to end and reaps them, on the reactor: each wait holds a pidfd
/// (Linux 5.3+) that the reactor watches, and the child is reaped with waitid(P_PIDFD) once it
/// has ended. Only the children asked about are reaped (never waitpid(-1)), nothing blocks, and
/// a child that ended before async_wait was called is still reported (it stays a zombie until
/// then). No thread is started.
///
/// Any number of waits may be outstanding on one watcher, for different children.
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

  explicit basic_child_watcher(const executor_type& ex)
      : executor_(ex), waits_(std::make_shared<detail::child_wait_set>()) {}

  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_child_watcher(ExecutionContext& context)
      : basic_child_watcher(executor_type(context.get_executor())) {}

  // The executor is copied, not moved: a moved-from watcher keeps its executor.
  basic_child_watcher(basic_child_watcher&& other) noexcept
      : executor_(other.executor_), waits_(std::exchange(other.waits_, std::make_shared<detail::child_wait_set>())) {}
  basic_child_watcher& operator=(basic_child_watcher&& other) noexcept {
    if (this != &other) {
      waits_->cancel_all();
      executor_ = other.executor_;
      waits_ = std::exchange(other.waits_, std::make_shared<detail::child_wait_set>());
    }
    return *this;
  }
  basic_child_watcher(const basic_child_watcher&) = delete;
  basic_child_watcher& operator=(const basic_child_watcher&) = delete;

  /// Pending waits complete with operation_aborted; their children keep running, unreaped.
  ~basic_child_watcher() { waits_->cancel_all(); }

  executor_type get_executor() noexcept { return executor_; }

  /// Completes every pending wait with operation_aborted. The children are not touched.
  void cancel() { waits_->cancel_all(); }

  /// Waits for the child `pid` to end, reaps it and completes with how it ended.
  ///
  /// Completion signature: `void(boost::system::error_code, exit_status)`.
  /// Errors: ESRCH when there is no such process; ECHILD when `pid` is not a child of this
  /// process (or was reaped already, by someone else); EINVAL for a pid <= 0; the errors of
  /// pidfd_open (ENOSYS before Linux 5.3, EMFILE, ...); operation_aborted when cancelled. Never
  /// completes inside this call.
  /// Per-operation cancellation: terminal, partial and total: the wait ends, the child keeps
  /// running and is not reaped (a later wait still gets its status).
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(pid_t pid, WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
        detail::child_wait_op<Executor>(executor_, waits_, pid), token, executor_);
  }

private:
  template <typename>
  friend class basic_child_watcher;

  Executor executor_;
  std::shared_ptr<detail::child_wait_set> waits_;
};

} // namespace asio_fswatch

#endif
