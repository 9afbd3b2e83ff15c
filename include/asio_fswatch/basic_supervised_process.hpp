// asio_fswatch: basic_supervised_process, a command run as the leader of its own process group,
// waited for without blocking, signalled and terminated as a group.
#ifndef ASIO_FSWATCH_BASIC_SUPERVISED_PROCESS_HPP
#define ASIO_FSWATCH_BASIC_SUPERVISED_PROCESS_HPP

#include <asio_fswatch/basic_child_watcher.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/exit_status.hpp>
#include <asio_fswatch/process_options.hpp>
#include <asio_fswatch/detail/spawn.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/basic_readable_pipe.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/basic_writable_pipe.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
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
///
/// Thread safety: distinct objects: safe. Shared object: unsafe.
template <typename Executor = boost::asio::any_io_executor>
class basic_supervised_process {
  struct state;

public:
  using executor_type = Executor;
  using clock_type = std::chrono::steady_clock;

  template <typename OtherExecutor>
  struct rebind_executor {
    using other = basic_supervised_process<OtherExecutor>;
  };

  /// An object with no child yet: start() starts one.
  explicit basic_supervised_process(const executor_type& ex) : executor_(ex) {}

  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_supervised_process(ExecutionContext& context)
      : basic_supervised_process(executor_type(context.get_executor())) {}

  /// Starts `program` with `args` (see start()); throws boost::system::system_error on failure.
  basic_supervised_process(const executor_type& ex, const std::string& program, const std::vector<std::string>& args,
                           const process_options& options = {})
      : executor_(ex) {
    start(program, args, options);
  }

  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_supervised_process(ExecutionContext& context, const std::string& program, const std::vector<std::string>& args,
                           const process_options& options = {})
      : basic_supervised_process(executor_type(context.get_executor()), program, args, options) {}

  basic_supervised_process(basic_supervised_process&& other) noexcept
      : executor_(other.executor_), state_(std::move(other.state_)) {}
  basic_supervised_process& operator=(basic_supervised_process&& other) noexcept {
    if (this != &other) {
      end_child();
      executor_ = other.executor_;
      state_ = std::move(other.state_);
    }
    return *this;
  }
  basic_supervised_process(const basic_supervised_process&) = delete;
  basic_supervised_process& operator=(const basic_supervised_process&) = delete;

  /// Kills the group and reaps the child if it still runs (see the class comment).
  ~basic_supervised_process() { end_child(); }

  executor_type get_executor() noexcept { return executor_; }

  /// Starts `program` (searched in the child's PATH when it has no slash: options.environment's
  /// PATH if it sets one; `args` do not include argv[0]) in a new process group. Allowed when
  /// there is no child, or when the previous one has ended and was reaped (by async_wait or
  /// async_terminate); pending operations on a previous child are not affected. Errors:
  /// already_started when a child runs; ENOENT when the program is not found; the errors of
  /// fork, chdir and exec.
  void start(const std::string& program, const std::vector<std::string>& args, const process_options& options = {}) {
    boost::system::error_code ec;
    start(program, args, options, ec);
    if (ec)
      throw boost::system::system_error(ec, "start " + program);
  }
  void start(const std::string& program, const std::vector<std::string>& args, const process_options& options,
             boost::system::error_code& ec) {
    if (running()) {
      ec = boost::asio::error::already_started;
      return;
    }
    detail::spawned_child child =
        detail::spawn_group_leader(boost::asio::any_io_executor(executor_), program, args, options, ec);
    if (ec)
      return;
    state_ = std::make_shared<state>(executor_, child, options.watcher);
  }

  /// The child's pid, which is also its process group's id; -1 when there is no child.
  pid_t id() const noexcept { return state_ ? state_->pid : -1; }

  /// A child was started and has not been reaped yet (it may have ended without anybody
  /// waiting for it).
  bool running() const noexcept { return state_ && !state_->status && !state_->error; }

  /// How the last child ended, once reaped.
  std::optional<exit_status> status() const noexcept { return state_ ? state_->status : std::nullopt; }

  /// The mechanism that waits for the child (see child_backend).
  child_backend backend() const noexcept { return state_ ? state_->watcher.backend() : child_backend::automatic; }

  /// The other ends of the pipes asked for with stdio_mode::pipe (closed otherwise).
  boost::asio::basic_writable_pipe<Executor>& stdin_pipe() { return checked_state().stdin_pipe; }
  boost::asio::basic_readable_pipe<Executor>& stdout_pipe() { return checked_state().stdout_pipe; }
  boost::asio::basic_readable_pipe<Executor>& stderr_pipe() { return checked_state().stderr_pipe; }

  /// Sends `sig` to the whole process group. Errors: errc::no_child when there is no child or
  /// it was reaped; the errors of kill(2) (EINVAL for a bad signal). A group that is gone
  /// already is not an error.
  void signal(int sig) {
    boost::system::error_code ec;
    signal(sig, ec);
    if (ec)
      throw boost::system::system_error(ec, "signal");
  }
  void signal(int sig, boost::system::error_code& ec) noexcept {
    if (!running()) {
      ec = errc::no_child;
      return;
    }
    detail::signal_group(state_->pid, sig, ec);
  }

  /// Leaves the child running, unsupervised: the object forgets it and the destructor will not
  /// kill it. Pending operations complete with operation_aborted. The child becomes a zombie
  /// when it ends unless somebody reaps it.
  void detach() {
    if (state_) {
      state_->watcher.cancel();
      state_->exit_event.cancel();
      state_->detached = true;
      state_.reset();
    }
  }

  /// Waits for the child to end and completes with how it ended. Any number of waits may be
  /// pending; all get the status. A child that was reaped already completes at once (posted).
  ///
  /// Completion signature: `void(boost::system::error_code, exit_status)`.
  /// Errors: errc::no_child when start() was never called (or failed); operation_aborted; the
  /// watcher's errors (ECHILD when someone else reaped the child).
  /// Per-operation cancellation: terminal, partial and total: the wait ends and the child keeps
  /// running.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
        wait_op{executor_, state_}, token, executor_);
  }

  /// Stops the whole process group: `first_signal` (SIGTERM by default) to the group, then, if
  /// the child has not ended within `grace`, SIGKILL to the group. Processes the command left
  /// in its group (a shell's background jobs) get the same treatment: once the child has ended
  /// the group is given the rest of `grace` to empty itself, then SIGKILL. Completes with the
  /// child's exit status once it is reaped. A child that was reaped already: its status, at
  /// once, after the group has been dealt with the same way.
  ///
  /// Completion signature: `void(boost::system::error_code, exit_status)`.
  /// Errors: errc::no_child when start() was never called (or failed); operation_aborted; the
  /// errors of kill(2) and of the watcher.
  /// Per-operation cancellation: terminal and partial: the operation ends; the signals sent so
  /// far stay sent, no more are sent.
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_terminate(clock_type::duration grace,
                       WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return async_terminate(SIGTERM, grace, std::forward<WaitToken>(token));
  }
  template <typename WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_terminate(int first_signal, clock_type::duration grace,
                       WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
        terminate_op{executor_, state_, first_signal, grace}, token, executor_);
  }

private:
  using timer_type =
      boost::asio::basic_waitable_timer<clock_type, boost::asio::wait_traits<clock_type>, Executor>;

  struct state {
    state(const Executor& ex, const detail::spawned_child& child, const child_watcher_options& options)
        : pid(child.pid), watcher(ex, options), exit_event(ex, clock_type::time_point::max()),
          stdin_pipe(ex), stdout_pipe(ex), stderr_pipe(ex) {
      if (child.stdin_fd >= 0)
        stdin_pipe.assign(child.stdin_fd);
      if (child.stdout_fd >= 0)
        stdout_pipe.assign(child.stdout_fd);
      if (child.stderr_fd >= 0)
        stderr_pipe.assign(child.stderr_fd);
    }

    bool ended() const noexcept { return status || error; }

    /// A wait on the child runs while somebody waits.
    static void watch(const std::shared_ptr<state>& self) {
      if (self->watching || self->ended() || self->detached)
        return;
      self->watching = true;
      self->watcher.async_wait(self->pid, [self](boost::system::error_code ec, exit_status st) {
        self->watching = false;
        if (ec == boost::asio::error::operation_aborted) {
          if (self->waiters > 0)
            watch(self); // a new waiter came while the wait was being cancelled
          return;
        }
        if (ec)
          self->error = ec;
        else
          self->status = st;
        self->exit_event.cancel(); // wakes every waiter
      });
    }

    void unwatch() {
      if (--waiters == 0 && watching)
        watcher.cancel();
    }

    pid_t pid;
    basic_child_watcher<Executor> watcher;
    timer_type exit_event; // never expires: cancelled when the child has ended
    boost::asio::basic_writable_pipe<Executor> stdin_pipe;
    boost::asio::basic_readable_pipe<Executor> stdout_pipe;
    boost::asio::basic_readable_pipe<Executor> stderr_pipe;
    std::optional<exit_status> status;
    boost::system::error_code error;
    int waiters = 0;
    bool watching = false;
    bool detached = false;
  };

  struct wait_op {
    Executor ex;
    std::shared_ptr<state> st;
    bool posted = false;

    template <typename Self>
    void operator()(Self& self) {
      if (posted)
        return finish(self);
      self.reset_cancellation_state(boost::asio::enable_total_cancellation());
      if (!st || st->ended()) {
        posted = true;
        return boost::asio::post(ex, std::move(self));
      }
      ++st->waiters;
      state::watch(st);
      st->exit_event.async_wait(std::move(self));
    }
    template <typename Self>
    void operator()(Self& self, boost::system::error_code) {
      st->unwatch();
      finish(self);
    }
    template <typename Self>
    void finish(Self& self) {
      if (!st)
        return self.complete(errc::no_child, exit_status());
      if (st->ended())
        return self.complete(st->error, st->status.value_or(exit_status()));
      self.complete(boost::asio::error::operation_aborted, exit_status());
    }
  };

  /// async_wait on a given child's state (also used inside async_terminate).
  template <typename WaitToken>
  static auto async_wait_on(const Executor& ex, std::shared_ptr<state> st, WaitToken&& token) {
    return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
        wait_op{ex, std::move(st)}, token, ex);
  }

  struct terminate_op {
    Executor ex;
    std::shared_ptr<state> st;
    int first_signal;
    clock_type::duration grace;
    bool posted = false;
    clock_type::time_point deadline{};
    std::unique_ptr<timer_type> timer{};
    boost::system::error_code early{};

    template <typename Self>
    void operator()(Self& self) {
      if (posted)
        return self.complete(early, exit_status());
      self.reset_cancellation_state(boost::asio::enable_partial_cancellation());
      if (!st)
        return post_early(self, errc::no_child);
      detail::signal_group(st->pid, first_signal, early);
      if (early)
        return post_early(self, early);
      deadline = clock_type::now() + grace;
      timer = std::make_unique<timer_type>(ex, deadline);
      if (st->ended())
        return empty_group(self);
      // The child ends, or the grace period does; the loser is cancelled.
      boost::asio::experimental::make_parallel_group(async_wait_on(ex, st, boost::asio::deferred),
                                                     timer->async_wait(boost::asio::deferred))
          .async_wait(boost::asio::experimental::wait_for_one(), std::move(self));
    }

    /// The race is over.
    template <typename Self>
    void operator()(Self& self, std::array<std::size_t, 2> order, boost::system::error_code wait_ec,
                    exit_status, boost::system::error_code) {
      if (cancelled(self))
        return self.complete(boost::asio::error::operation_aborted, exit_status());
      if (order[0] == 1) { // the grace period is over: kill the group, and wait for the child
        boost::system::error_code ignored;
        detail::signal_group(st->pid, SIGKILL, ignored);
        return async_wait_on(ex, st, std::move(self));
      }
      if (wait_ec)
        return self.complete(wait_ec, exit_status());
      empty_group(self);
    }

    /// The child was reaped after SIGKILL.
    template <typename Self>
    void operator()(Self& self, boost::system::error_code ec, exit_status status) {
      self.complete(ec, status);
    }

    /// The polling timer of empty_group.
    template <typename Self>
    void operator()(Self& self, boost::system::error_code) {
      if (cancelled(self))
        return self.complete(boost::asio::error::operation_aborted, exit_status());
      empty_group(self);
    }

  private:
    template <typename Self>
    static bool cancelled(Self& self) {
      return self.get_cancellation_state().cancelled() != boost::asio::cancellation_type::none;
    }

    template <typename Self>
    void post_early(Self& self, boost::system::error_code ec) {
      posted = true;
      early = ec;
      boost::asio::post(ex, std::move(self));
    }

    /// The child has ended: give the rest of its group until the deadline to end too (looked
    /// at every few milliseconds), then kill what is left.
    template <typename Self>
    void empty_group(Self& self) {
      bool left = detail::group_exists(st->pid);
      if (left && clock_type::now() < deadline) {
        timer->expires_at(std::min(deadline, clock_type::now() + std::chrono::milliseconds(5)));
        return timer->async_wait(std::move(self));
      }
      if (left) {
        boost::system::error_code ignored;
        detail::signal_group(st->pid, SIGKILL, ignored);
      }
      self.complete(st->error, st->status.value_or(exit_status()));
    }
  };

  state& checked_state() {
    if (!state_)
      throw boost::system::system_error(make_error_code(errc::no_child), "supervised process");
    return *state_;
  }

  void end_child() noexcept {
    if (state_ && !state_->ended() && !state_->detached) {
      state_->watcher.cancel();
      detail::kill_and_reap(state_->pid);
      state_->error = boost::asio::error::operation_aborted;
      state_->exit_event.cancel();
    }
    state_.reset();
  }

  Executor executor_;
  std::shared_ptr<state> state_;
};

} // namespace asio_fswatch

#endif
