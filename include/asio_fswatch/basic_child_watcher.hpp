// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: basic_child_watcher, waits for child processes to end without blocking. The
// template bodies are in impl/basic_child_watcher.hpp.
#ifndef ASIO_FSWATCH_BASIC_CHILD_WATCHER_HPP
#define ASIO_FSWATCH_BASIC_CHILD_WATCHER_HPP

#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/detail/child_wait_common.hpp>
#include <asio_fswatch/exit_status.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace asio_fswatch {

/// Waits for child processes to end, without blocking and without a thread of its own.
///
/// The mechanism depends on the platform (see child_backend):
/// - Linux: by default each wait holds a pidfd (Linux 5.3+) that the reactor watches, and the
///   child is reaped with waitid(P_PIDFD) once it has ended. Where pidfd_open is missing or
///   forbidden, the context's SIGCHLD service is used instead: one signal_set on SIGCHLD, and on
///   each signal the registered children are checked with waitid(P_PID, WNOHANG).
/// - Other POSIX systems: the SIGCHLD service.
/// - Windows: the process HANDLE in a boost::asio::windows::object_handle (Asio registers the
///   wait with the system's wait thread pool), then GetExitCodeProcess.
///
/// On POSIX only the children asked about are reaped (never waitpid(-1)), and a child that ended
/// before async_wait was called is still reported (it stays a zombie until then). On Windows
/// there is nothing to reap: a process that ended is reported as long as a handle to it is open
/// somewhere (a process object's, or the caller's); by pid alone, a process that ended and whose
/// handles are all closed no longer exists (errc::no_such_process).
///
/// Any number of waits may be outstanding on one watcher, for the same or different processes.
///
/// Thread safety: distinct objects: safe. Shared object: unsafe.
template <typename Executor = boost::asio::any_io_executor>
class basic_child_watcher {
public:
  /// The type of the executor through which the watcher's waits complete by default.
  using executor_type = Executor;

  /// The watcher type for another executor type.
  template <typename OtherExecutor>
  struct rebind_executor {
    /// basic_child_watcher on `OtherExecutor`.
    using other = basic_child_watcher<OtherExecutor>;
  };

  /// The mechanism is chosen here (see child_backend): a bad ASIO_FSWATCH_CHILD_BACKEND makes
  /// every wait fail with errc::invalid_child_backend, and a mechanism this platform lacks with
  /// errc::backend_unavailable.
  explicit basic_child_watcher(const executor_type& ex, const child_watcher_options& options = {});

  /// The same with `context.get_executor()` as the executor (an io_context, a thread_pool, ...).
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_child_watcher(ExecutionContext& context, const child_watcher_options& options = {})
      : basic_child_watcher(executor_type(context.get_executor()), options) {}

  /// The executor is copied, not moved: a moved-from watcher keeps its executor and is usable
  /// as if newly constructed (its next wait makes it a wait set of its own; the move allocates
  /// nothing, so it cannot throw).
  basic_child_watcher(basic_child_watcher&& other) noexcept;

  /// The same from a watcher whose executor type converts to this one's (what
  /// `boost::asio::as_default_on(std::move(watcher))` needs). Pending waits come along: cancel()
  /// and the destructor of this object reach them.
  template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_child_watcher(basic_child_watcher<OtherExecutor>&& other);

  /// Pending waits of this watcher complete with operation_aborted first; then it takes over
  /// `other`'s executor, mechanism and pending waits, and `other` is left as after a move
  /// construction: its executor, usable as if newly constructed.
  basic_child_watcher& operator=(basic_child_watcher&& other) noexcept;
  /// The same from a watcher whose executor type converts to this one's.
  template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_child_watcher& operator=(basic_child_watcher<OtherExecutor>&& other);

  basic_child_watcher(const basic_child_watcher&) = delete;
  basic_child_watcher& operator=(const basic_child_watcher&) = delete;

  /// Pending waits complete with operation_aborted; their processes keep running, unreaped.
  ~basic_child_watcher();

  /// The executor the watcher was constructed with (or took over by a move assignment).
  executor_type get_executor() noexcept { return executor_; }

  /// The mechanism in use: pidfd or sigchld (POSIX), process_handle (Windows); automatic when
  /// the choice failed (every wait then fails with its error). Under automatic on Linux, a wait
  /// whose pidfd_open is refused (ENOSYS, EPERM) still uses sigchld.
  child_backend backend() const noexcept;

  /// Completes every pending wait with operation_aborted. The processes are not touched.
  void cancel();

  /// Waits for the process `pid` to end (on POSIX, reaps it) and completes with how it ended.
  ///
  /// Completion signature: `void(boost::system::error_code, exit_status)`.
  /// Errors: errc::no_such_process (ESRCH) when there is no such process; errc::invalid_argument
  /// for a pid <= 0 (POSIX) or 0 (Windows); on POSIX, ECHILD when `pid` is not a child of this
  /// process (or was reaped already, by someone else), the errors of pidfd_open (EMFILE, ...)
  /// in pidfd mode and the error of installing the SIGCHLD handler in sigchld mode; on Windows,
  /// the errors of OpenProcess (ERROR_ACCESS_DENIED, ...); errc::invalid_child_backend and
  /// errc::backend_unavailable (see the constructor); operation_aborted when cancelled. Never
  /// completes inside this call.
  /// Per-operation cancellation: terminal, partial and total: the wait ends, the process keeps
  /// running and is not reaped (a later wait still gets its status).
  ///
  /// Two waits for the same child: in sigchld mode and on Windows both get its status; in pidfd
  /// mode one does and the other completes with ECHILD.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(pid_type pid, WaitToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// Waits on a process handle the caller opened and keeps: a pidfd on Linux (always the pidfd
  /// mechanism, whatever backend() says), a process HANDLE on Windows. It is duplicated; closing
  /// it afterwards is the caller's business. As the pid overload otherwise; EBADF (Linux) or
  /// ERROR_INVALID_HANDLE (Windows) for a handle that is not open. Other POSIX systems (the
  /// generic POSIX configuration) have no process handles: errc::backend_unavailable.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(process_handle_ref handle,
                  WaitToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// Waits for the process of a process object: Boost.Process v2's `basic_process` (anything
  /// with `id()`, `native_handle()` and `detach()`). The object must outlive the wait. On POSIX
  /// the wait is on its pid; on Windows on its handle (duplicated), so a process that ended is
  /// still reported. Once the process ended and was reaped, the object is detached from it
  /// (`detach()`), so that it never waits on or kills a pid the system may have given to another
  /// process; the exit status is the one this wait reports. Cancelled or failed, the object is
  /// left as it was. As the pid overload otherwise.
  template <typename Process, typename WaitToken = boost::asio::default_completion_token_t<executor_type>,
            std::enable_if_t<detail::is_process_object<Process>::value, int> = 0>
  auto async_wait(Process& process, WaitToken&& token = boost::asio::default_completion_token_t<executor_type>());

private:
  template <typename>
  friend class basic_child_watcher;

  template <typename Other>
  void take(Other& other);

  template <typename OnReaped, typename WaitToken>
  auto start_wait(detail::child_target target, OnReaped on_reaped, WaitToken&& token);

  Executor executor_;
  std::shared_ptr<detail::child_wait_set> waits_;
  detail::child_backend_choice choice_;
};

} // namespace asio_fswatch

#include <asio_fswatch/impl/basic_child_watcher.hpp>

#endif
