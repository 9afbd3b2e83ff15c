// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: basic_supervised_process, a command run as the leader of its own process group
// (Windows: in a Job Object of its own), waited for without blocking, signalled and terminated as
// a group (or as a whole tree). The template bodies are in impl/basic_supervised_process.hpp.
#ifndef ASIO_FSWATCH_BASIC_SUPERVISED_PROCESS_HPP
#define ASIO_FSWATCH_BASIC_SUPERVISED_PROCESS_HPP

#include <asio_fswatch/error.hpp>
#include <asio_fswatch/exit_status.hpp>
#include <asio_fswatch/process_options.hpp>
#include <asio_fswatch/detail/process_tree.hpp>
#include <asio_fswatch/detail/spawn.hpp>
#include <asio_fswatch/detail/supervised_child.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/basic_readable_pipe.hpp>
#include <boost/asio/basic_writable_pipe.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio_fswatch {

/// A command started as the leader of a new process group (Boost.Process v2 starts it), which
/// the object waits for, signals and terminates as a whole group, so that a shell and everything
/// it forked go together.
///
/// The child's exit is waited for with a basic_child_watcher (pidfd, or SIGCHLD), only while an
/// async_wait or async_terminate is pending, so an idle object keeps no work in the context.
/// Every pending async_wait gets the exit status. No zombie is left behind: a child still running
/// when the object is destroyed is killed with its group (SIGKILL) and reaped, which blocks for
/// as long as the kernel takes to end a killed process; call detach() first to leave it running.
/// What an ended child left in its group (a shell's background jobs) is killed (SIGKILL) by the
/// next start() and by the destructor; async_terminate gives it a grace period first. With
/// process_options::stop_descendants, all of this covers every descendant of the child, also
/// those that left its group (see there).
///
/// The pipes (stdin_pipe(), ...) belong to this object and live as long as it does: start()
/// closes the previous child's (a pending operation on them completes with operation_aborted)
/// and connects the same objects to the new child.
///
/// Windows: the command starts suspended, joins a new Job Object (kill on close), then runs, so
/// that every process it starts is in the job too: the group above is the job. It also gets a
/// console process group of its own. There are no signals: async_terminate asks first with
/// CTRL_BREAK_EVENT (which reaches a child attached to this process's console; one without a
/// console, or under Wine, does not get it), then ends the job with TerminateJobObject (every
/// process in it exits with code 1); the destructor and start() end the job, and closing the
/// job (kill on close) ends whatever was left. stop_descendants changes nothing there (the job
/// is the whole tree), and make_child_subreaper() is POSIX only. The pipes are named pipes,
/// overlapped on this side (on the context's completion port) and synchronous on the child's.
///
/// Thread safety: distinct objects: safe. Shared object: unsafe.
template <typename Executor = boost::asio::any_io_executor>
class basic_supervised_process {
public:
  /// The type of the executor through which the object's operations complete by default; the
  /// pipes have an executor of the same type.
  using executor_type = Executor;
  /// The clock that measures async_terminate's grace period.
  using clock_type = std::chrono::steady_clock;

  /// The supervised process type for another executor type.
  template <typename OtherExecutor>
  struct rebind_executor {
    /// basic_supervised_process on `OtherExecutor`.
    using other = basic_supervised_process<OtherExecutor>;
  };

  /// An object with no child yet: start() starts one.
  explicit basic_supervised_process(const executor_type& ex);

  /// The same with `context.get_executor()` as the executor (an io_context, a thread_pool, ...).
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_supervised_process(ExecutionContext& context)
      : basic_supervised_process(executor_type(context.get_executor())) {}

  /// Starts `program` with `args` (see start()); throws boost::system::system_error on failure.
  basic_supervised_process(const executor_type& ex, const std::string& program, const std::vector<std::string>& args,
                           const process_options& options = {});

  /// Starts `program` as the executor overload does, with `context.get_executor()` as the
  /// executor.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_supervised_process(ExecutionContext& context, const std::string& program, const std::vector<std::string>& args,
                           const process_options& options = {})
      : basic_supervised_process(executor_type(context.get_executor()), program, args, options) {}

  /// Takes over the child, its pending operations and the pipes. The moved-from object is as if
  /// newly constructed with the same executor: no child, closed pipes, every member usable.
  basic_supervised_process(basic_supervised_process&& other) noexcept;

  /// The same from an object whose executor type converts to this one's (what
  /// `boost::asio::as_default_on(std::move(process))` needs).
  template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_supervised_process(basic_supervised_process<OtherExecutor>&& other);

  /// Ends this object's own child first, as the destructor does, then takes over `other`'s
  /// executor, child, pending operations and pipes; `other` is left as after a move
  /// construction.
  basic_supervised_process& operator=(basic_supervised_process&& other) noexcept;
  /// The same from an object whose executor type converts to this one's.
  template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_supervised_process& operator=(basic_supervised_process<OtherExecutor>&& other);

  basic_supervised_process(const basic_supervised_process&) = delete;
  basic_supervised_process& operator=(const basic_supervised_process&) = delete;

  /// Kills the group and reaps the child if it still runs, and kills what an ended child left
  /// (see the class comment).
  ~basic_supervised_process();

  /// The executor the object was constructed with (or took over by a move assignment).
  executor_type get_executor() noexcept { return executor_; }

  /// Starts `program` (searched in the child's PATH when it has no slash: options.environment's
  /// PATH if it sets one; `args` do not include argv[0]) in a new process group. Allowed when
  /// there is no child, or when the previous one has ended and was reaped (by async_wait or
  /// async_terminate); pending operations on a previous child are not affected. First, what the
  /// previous child left (its group; with stop_descendants, its descendants) is killed with
  /// SIGKILL, and its pipes are closed. Errors: already_started when a child runs; ENOENT when
  /// the program is not found; the errors of fork, chdir and exec.
  void start(const std::string& program, const std::vector<std::string>& args, const process_options& options = {});
  /// The same, reporting errors through `ec` instead of throwing boost::system::system_error.
  void start(const std::string& program, const std::vector<std::string>& args, const process_options& options,
             boost::system::error_code& ec);

  /// The child's pid (pid_type, as Boost.Process v2's), which is also its process group's id
  /// (POSIX); -1 (POSIX) or 0xFFFFFFFF (Windows) when there is no child.
  pid_type id() const noexcept;

  /// A child was started and has not been reaped yet (it may have ended without anybody
  /// waiting for it).
  bool running() const noexcept;

  /// How the last child ended, once reaped.
  std::optional<exit_status> status() const noexcept;

  /// The mechanism that waits for the child (see child_backend).
  child_backend backend() const noexcept;

  /// The other ends of the pipes the current child was started with (stdio_mode::pipe); closed
  /// otherwise. They belong to this object (see the class comment): a reference stays valid as
  /// long as the object does, across start().
  boost::asio::basic_writable_pipe<Executor>& stdin_pipe() noexcept { return stdin_pipe_; }
  /// The read end of the pipe on the child's standard output (process_options::stdout_mode);
  /// as stdin_pipe() otherwise.
  boost::asio::basic_readable_pipe<Executor>& stdout_pipe() noexcept { return stdout_pipe_; }
  /// The read end of the pipe on the child's standard error (process_options::stderr_mode); as
  /// stdin_pipe() otherwise.
  boost::asio::basic_readable_pipe<Executor>& stderr_pipe() noexcept { return stderr_pipe_; }

#if defined(ASIO_FSWATCH_HAS_SIGNALS)
  /// Sends `sig` to the whole process group (with stop_descendants, also to the descendants
  /// that left it). Errors: errc::no_child when there is no child or it was reaped; the errors
  /// of kill(2) (EINVAL for a bad signal). A group that is gone already is not an error.
  /// POSIX only.
  void signal(int sig);
  /// The same, reporting errors through `ec` instead of throwing boost::system::system_error.
  void signal(int sig, boost::system::error_code& ec) noexcept;
#endif

  /// Leaves the child running, unsupervised: the object forgets it and the destructor will not
  /// kill it. Pending operations complete with operation_aborted. The child becomes a zombie
  /// when it ends unless somebody reaps it. The pipes stay open.
  void detach();

  /// Waits for the child to end and completes with how it ended. Any number of waits may be
  /// pending; all get the status. A child that was reaped already completes at once (posted).
  ///
  /// Completion signature: `void(boost::system::error_code, exit_status)`; the status is "no
  /// status" (exit_status()) beside an error.
  /// Errors: errc::no_child when start() was never called (or failed); operation_aborted; the
  /// watcher's errors (ECHILD when someone else reaped the child).
  /// Per-operation cancellation: terminal, partial and total: the wait ends and the child keeps
  /// running.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(WaitToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// Stops the whole process group: `first_signal` (SIGTERM by default; Windows: CTRL_BREAK_EVENT,
  /// see the class comment) to the group, then, if the child has not ended within `grace`,
  /// SIGKILL to the group (Windows: TerminateJobObject). Processes the command left
  /// in its group (a shell's background jobs) get the same treatment: once the child has ended
  /// the group is given the rest of `grace` to empty itself, then SIGKILL. With
  /// stop_descendants, the descendants that left the group are treated as its members.
  /// Completes with the child's exit status once it is reaped and what it left has ended. A
  /// child that was reaped already: its status, after what it left has been dealt with the
  /// same way (never inside this call).
  ///
  /// Completion signature: `void(boost::system::error_code, exit_status)`; the status is "no
  /// status" (exit_status()) beside an error.
  /// Errors: errc::no_child when start() was never called (or failed); operation_aborted; the
  /// errors of kill(2) (EINVAL for a bad signal) and of the watcher.
  /// Per-operation cancellation: terminal and partial: the operation ends; the signals sent so
  /// far stay sent, no more are sent.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_terminate(clock_type::duration grace,
                       WaitToken&& token = boost::asio::default_completion_token_t<executor_type>());
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
  /// The same with another first signal (POSIX only).
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_terminate(int first_signal, clock_type::duration grace,
                       WaitToken&& token = boost::asio::default_completion_token_t<executor_type>());
#endif

private:
  template <typename>
  friend class basic_supervised_process;

  template <typename Pipe>
  static void connect(Pipe& pipe, detail::native_file end) noexcept;

  void close_pipes() noexcept;

  void end_child() noexcept;

  template <typename Other>
  void take(Other& other);

  Executor executor_;
  boost::asio::basic_writable_pipe<Executor> stdin_pipe_;
  boost::asio::basic_readable_pipe<Executor> stdout_pipe_;
  boost::asio::basic_readable_pipe<Executor> stderr_pipe_;
  std::shared_ptr<detail::supervised_child> child_;
};

} // namespace asio_fswatch

#include <asio_fswatch/impl/basic_supervised_process.hpp>

#endif
