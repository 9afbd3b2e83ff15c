// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: one child of a basic_supervised_process, shared by the object and its
// pending operations (so that start() and the destructor never free what an operation uses),
// and the composed operations async_wait and async_terminate.
#ifndef ASIO_FSWATCH_DETAIL_SUPERVISED_CHILD_HPP
#define ASIO_FSWATCH_DETAIL_SUPERVISED_CHILD_HPP

#include <asio_fswatch/basic_child_watcher.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/exit_status.hpp>
#include <asio_fswatch/detail/completion.hpp>
#include <asio_fswatch/detail/process_tree.hpp>
#include <asio_fswatch/detail/spawn.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace asio_fswatch::detail {

/// One started child. Its I/O objects run on a type-erased executor, so that the object that
/// owns it can be moved into one with another executor type (as_default_on).
struct supervised_child {
  using clock_type = std::chrono::steady_clock;
  using timer_type =
      boost::asio::basic_waitable_timer<clock_type, boost::asio::wait_traits<clock_type>, boost::asio::any_io_executor>;

  /// Before start: spawn_group_leader() fills `tree`.
  supervised_child(const boost::asio::any_io_executor& ex, std::string mark, const child_watcher_options& options)
      : watcher(ex, options), exit_event(ex, clock_type::time_point::max()) {
    tree.mark = std::move(mark);
  }

  native_pid pid() const noexcept { return tree.leader; }
  bool ended() const noexcept { return status || error; }

  /// `sig` to the group and, for a whole tree, to every descendant outside it. EINVAL for a bad
  /// signal; a group that is gone already is not an error.
  void signal_all(int sig, boost::system::error_code& ec) noexcept {
    signal_group(tree, sig, ec);
    if (!ec)
      signal_descendants(tree, sig);
  }

  /// A wait on the child runs while somebody waits.
  static void watch(const std::shared_ptr<supervised_child>& self) {
    if (self->watching || self->ended() || self->detached)
      return;
    self->watching = true;
    self->watcher.async_wait(self->pid(), [self](boost::system::error_code ec, exit_status st) {
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

  /// For start() and the destructor: a child that still runs is killed with its group and
  /// reaped (blocking); then whatever it left (its group, and for a whole tree its
  /// descendants) is killed, and reaped where it is this process's.
  void end() noexcept {
    if (detached)
      return;
    if (!ended()) {
      watcher.cancel();
      kill_and_reap(tree);
      error = boost::asio::error::operation_aborted;
      exit_event.cancel();
    }
    kill_tree(tree);
  }

  process_tree tree;
  basic_child_watcher<boost::asio::any_io_executor> watcher;
  timer_type exit_event; // never expires: cancelled when the child has ended
  std::optional<exit_status> status;
  boost::system::error_code error;
  int waiters = 0;
  bool watching = false;
  bool detached = false;
};

/// The body of async_wait: `st` null means there is no child.
template <typename Executor>
struct supervised_wait_op {
  Executor ex;
  std::shared_ptr<supervised_child> st;

  template <typename Self>
  void operator()(Self& self) {
    self.reset_cancellation_state(boost::asio::enable_total_cancellation());
    if (!st)
      return complete_soon(ex, self, boost::system::error_code(errc::no_child), exit_status());
    if (st->ended())
      return complete_soon(ex, self, st->error, st->status.value_or(exit_status()));
    ++st->waiters;
    supervised_child::watch(st);
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

template <typename Executor, typename WaitToken>
auto async_wait_on_child(const Executor& ex, std::shared_ptr<supervised_child> st, WaitToken&& token) {
  return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
      supervised_wait_op<Executor>{ex, std::move(st)}, token, ex);
}

/// The body of async_terminate.
template <typename Executor>
struct supervised_terminate_op {
  using clock_type = supervised_child::clock_type;
  using timer_type = boost::asio::basic_waitable_timer<clock_type, boost::asio::wait_traits<clock_type>, Executor>;

  Executor ex;
  std::shared_ptr<supervised_child> st;
  int first_signal;
  clock_type::duration grace;
  bool initiating = true;
  bool killed = false; // SIGKILL sent to what was left after the grace period
  clock_type::time_point deadline{};
  std::unique_ptr<timer_type> timer{};

  template <typename Self>
  void operator()(Self& self) {
    self.reset_cancellation_state(boost::asio::enable_partial_cancellation());
    if (!st)
      return finish(self, errc::no_child, exit_status());
    boost::system::error_code ec;
    st->signal_all(first_signal, ec);
    if (ec)
      return finish(self, ec, exit_status());
    deadline = clock_type::now() + grace;
    timer = std::make_unique<timer_type>(ex, deadline);
    if (st->ended())
      return empty_tree(self);
    // The child ends, or the grace period does; the loser is cancelled.
    initiating = false;
    boost::asio::experimental::make_parallel_group(async_wait_on_child(ex, st, boost::asio::deferred),
                                                   timer->async_wait(boost::asio::deferred))
        .async_wait(boost::asio::experimental::wait_for_one(), std::move(self));
  }

  /// The race is over.
  template <typename Self>
  void operator()(Self& self, std::array<std::size_t, 2> order, boost::system::error_code wait_ec, exit_status,
                  boost::system::error_code) {
    if (cancelled(self))
      return finish(self, boost::asio::error::operation_aborted, exit_status());
    if (order[0] == 1) { // the grace period is over: kill the group, and wait for the child
      boost::system::error_code ignored;
      st->signal_all(forced_stop, ignored);
      killed = true;
      deadline = clock_type::now() + std::chrono::seconds(1);
      return async_wait_on_child(ex, st, std::move(self));
    }
    if (wait_ec)
      return finish(self, wait_ec, exit_status());
    empty_tree(self);
  }

  /// The child was reaped after SIGKILL: what it left goes the same way.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec, exit_status) {
    if (ec)
      return finish(self, ec, exit_status());
    empty_tree(self);
  }

  /// The polling timer of empty_tree.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code) {
    if (cancelled(self))
      return finish(self, boost::asio::error::operation_aborted, exit_status());
    empty_tree(self);
  }

private:
  template <typename Self>
  static bool cancelled(Self& self) {
    return self.get_cancellation_state().cancelled() != boost::asio::cancellation_type::none;
  }

  /// Never inside the initiating call (complete_soon from there).
  template <typename Self>
  void finish(Self& self, boost::system::error_code ec, exit_status status) {
    if (!initiating)
      return self.complete(ec, status);
    complete_soon(ex, self, ec, status);
  }

  /// The child has ended: give the rest of what it left (its group; for a whole tree, its
  /// descendants) until the deadline to end too, looked at every few milliseconds; then kill
  /// it, and once it is gone (a killed process takes a moment; at most a second is waited),
  /// reap what of it is this process's.
  template <typename Self>
  void empty_tree(Self& self) {
    bool left = tree_alive(st->tree);
    if (left && !killed && clock_type::now() >= deadline) {
      boost::system::error_code ignored;
      st->signal_all(forced_stop, ignored);
      killed = true;
      deadline = clock_type::now() + std::chrono::seconds(1);
    }
    if (left && clock_type::now() < deadline) {
      if (killed) {
        boost::system::error_code ignored;
        st->signal_all(forced_stop, ignored); // what was forked since
      }
      timer->expires_at(std::min(deadline, clock_type::now() + std::chrono::milliseconds(5)));
      initiating = false;
      return timer->async_wait(std::move(self));
    }
    reap_tree_zombies(st->tree);
    finish(self, st->error, st->status.value_or(exit_status()));
  }
};

} // namespace asio_fswatch::detail

#endif
