// SPDX-License-Identifier: BSL-1.0
// child_watcher on real children (fork + _exit / kill), each case with both mechanisms (pidfd
// and sigchld): exit codes, signals, children that ended before the wait, a thousand at once,
// every cancellation type (the child keeps running and can be waited for again), bad pids,
// completion tokens; then what is particular to each mechanism, the choice between them, and
// the pidfd and Boost.Process overloads.
#include <asio_fswatch/child_watcher.hpp>
#include <asio_fswatch/error.hpp>

#include <common/child_support.hpp>
#include <common/scoped_env.hpp>
#include <common/seccomp.hpp>

// Boost.Process v2 as a user would use it, header-only, on std::filesystem. Its 1.81 headers
// use boost::optional, boost::decay and boost::is_convertible without including them.
#define BOOST_PROCESS_USE_STD_FS 1
#include <boost/optional.hpp>
#include <boost/type_traits/decay.hpp>
#include <boost/type_traits/is_convertible.hpp>
#include <boost/process/v2/process.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <ostream>
#include <optional>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace data = boost::unit_test::data;
using asio_fswatch::child_backend;
using asio_fswatch::child_watcher;
using asio_fswatch::exit_status;
using boost::system::error_code;

// Named, not anonymous: the data test cases are templates whose lambdas capture these types.
namespace child_watcher_test {

const auto backends = asio_fswatch::test::child_backends();
constexpr auto patience = asio_fswatch::test::child_patience;
using asio_fswatch::test::run_until;
using asio_fswatch::test::wait_result;

/// A child that exits with `code` after `delay`.
pid_t spawn_exiting(int code, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (delay.count() > 0)
      ::usleep(useconds_t(delay.count() * 1000));
    ::_exit(code);
  }
  BOOST_TEST_REQUIRE(pid > 0, "fork failed");
  return pid;
}

/// A child that waits until a signal ends it.
pid_t spawn_sleeping() {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    for (;;)
      ::pause();
  }
  BOOST_TEST_REQUIRE(pid > 0, "fork failed");
  return pid;
}


/// Whether `pid` is still a zombie or running child of ours (not reaped).
bool not_reaped(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

} // namespace child_watcher_test

using namespace child_watcher_test;

BOOST_AUTO_TEST_SUITE(child_watcher_waits)

BOOST_DATA_TEST_CASE(exit_codes, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  std::vector<wait_result> results(4);
  const int codes[] = {0, 1, 3, 255};
  for (std::size_t i = 0; i < 4; ++i)
    watcher.async_wait(spawn_exiting(codes[i], std::chrono::milliseconds(20)), results[i].handler());
  BOOST_TEST(!results[0].done, "completed inside the initiating call");
  run_until(io, [&] { return results[0].done && results[1].done && results[2].done && results[3].done; }, "exit codes");
  for (std::size_t i = 0; i < 4; ++i) {
    BOOST_TEST(!results[i].ec, results[i].ec.message());
    BOOST_TEST(results[i].status.exited());
    BOOST_TEST(results[i].status.code() == codes[i]);
    BOOST_TEST(results[i].status.success() == (codes[i] == 0));
  }
  BOOST_TEST(results[2].status.to_string() == "exited with code 3");
}

BOOST_DATA_TEST_CASE(killed_by_signals, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  for (int sig : {SIGTERM, SIGKILL, SIGINT}) {
    pid_t pid = spawn_sleeping();
    wait_result r;
    watcher.async_wait(pid, r.handler());
    io.poll();
    BOOST_TEST(!r.done, "completed while the child still runs");
    ::kill(pid, sig);
    run_until(io, [&] { return r.done; }, "killed child");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status.killed());
    BOOST_TEST(r.status.signal() == sig);
    BOOST_TEST(r.status.code() == -1);
    BOOST_TEST(!r.status.success());
    BOOST_TEST(r.status.shell_code() == 128 + sig);
    BOOST_TEST(!not_reaped(pid), "the child was not reaped");
  }
  BOOST_TEST(exit_status::killed_by(SIGKILL).to_string() == "killed by signal 9 (SIGKILL)");
  BOOST_TEST(exit_status::killed_by(SIGSEGV, true).to_string() == "killed by signal 11 (SIGSEGV), core dumped");
}

BOOST_DATA_TEST_CASE(child_that_ended_before_the_wait, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  pid_t pid = spawn_exiting(7);
  // Let it end (it stays a zombie: nobody reaps it yet).
  siginfo_t info{};
  BOOST_TEST_REQUIRE(::waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0);
  wait_result r;
  watcher.async_wait(pid, r.handler());
  BOOST_TEST(!r.done, "completed inside the initiating call");
  run_until(io, [&] { return r.done; }, "ended child");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status == exit_status::exited_with(7));
}

BOOST_DATA_TEST_CASE(a_thousand_children_at_once, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  constexpr int n = 1000;
  std::vector<wait_result> results(n);
  for (int i = 0; i < n; ++i)
    watcher.async_wait(spawn_exiting(i % 256), results[std::size_t(i)].handler());
  int completed = 0;
  run_until(io, [&] {
    completed = 0;
    for (const wait_result& r : results)
      completed += r.done;
    return completed == n;
  }, "a thousand children");
  for (int i = 0; i < n; ++i) {
    const wait_result& r = results[std::size_t(i)];
    BOOST_TEST_REQUIRE(!r.ec, "child " << i << ": " << r.ec.message());
    BOOST_TEST_REQUIRE(r.status.code() == i % 256, "child " << i);
  }
}

BOOST_DATA_TEST_CASE(cancellation_of_each_type_leaves_the_child_alone, backends, backend) {
  for (asio::cancellation_type type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                                       asio::cancellation_type::total}) {
    asio::io_context io;
    child_watcher watcher(io, {backend});
    pid_t pid = spawn_sleeping();
    asio::cancellation_signal signal;
    wait_result r;
    watcher.async_wait(pid, asio::bind_cancellation_slot(signal.slot(), r.handler()));
    io.poll();
    signal.emit(type);
    run_until(io, [&] { return r.done; }, "cancelled wait");
    BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
    BOOST_TEST(::kill(pid, 0) == 0, "the child must still run");
    // It can be waited for again, and its status is not lost.
    ::kill(pid, SIGTERM);
    wait_result again;
    watcher.async_wait(pid, again.handler());
    run_until(io, [&] { return again.done; }, "second wait");
    BOOST_TEST(!again.ec, again.ec.message());
    BOOST_TEST(again.status == exit_status::killed_by(SIGTERM));
  }
}

BOOST_DATA_TEST_CASE(cancel_and_destruction, backends, backend) {
  asio::io_context io;
  pid_t a = spawn_sleeping(), b = spawn_sleeping();
  wait_result ra, rb;
  {
    child_watcher watcher(io, {backend});
    watcher.async_wait(a, ra.handler());
    io.poll();
    watcher.cancel();
    run_until(io, [&] { return ra.done; }, "cancel()");
    BOOST_TEST(ra.ec == asio::error::operation_aborted);
    watcher.async_wait(b, rb.handler());
    io.poll();
  } // destroyed with a wait pending
  run_until(io, [&] { return rb.done; }, "destruction");
  BOOST_TEST(rb.ec == asio::error::operation_aborted);
  for (pid_t pid : {a, b}) {
    BOOST_TEST(not_reaped(pid));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

BOOST_DATA_TEST_CASE(bad_pids, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  wait_result not_ours, none, zero;
  watcher.async_wait(1, not_ours.handler()); // init: exists, not our child
  watcher.async_wait(0x3ffffff0, none.handler());
  watcher.async_wait(0, zero.handler());
  BOOST_TEST(!not_ours.done, "completed inside the initiating call");
  run_until(io, [&] { return not_ours.done && none.done && zero.done; }, "bad pids");
  BOOST_TEST(not_ours.ec == error_code(ECHILD, boost::system::system_category()), not_ours.ec.message());
  BOOST_TEST(none.ec == error_code(ESRCH, boost::system::system_category()), none.ec.message());
  BOOST_TEST(zero.ec == error_code(EINVAL, boost::system::system_category()), zero.ec.message());
}

BOOST_DATA_TEST_CASE(someone_elses_sigchld_handling_still_works, backends, backend) {
  asio::io_context io;
  asio::signal_set sigchld(io, SIGCHLD);
  bool signalled = false;
  sigchld.async_wait([&](error_code ec, int) { signalled = !ec; });
  child_watcher watcher(io, {backend});
  wait_result r;
  watcher.async_wait(spawn_exiting(5, std::chrono::milliseconds(10)), r.handler());
  run_until(io, [&] { return r.done && signalled; }, "wait and SIGCHLD");
  BOOST_TEST(r.status.code() == 5);
}

BOOST_DATA_TEST_CASE(completion_tokens, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  // use_future, with the context on another thread.
  {
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    std::future<exit_status> f = watcher.async_wait(spawn_exiting(11), asio::use_future);
    BOOST_TEST_REQUIRE((f.wait_for(patience) == std::future_status::ready), "use_future: not ready in 30 s");
    BOOST_TEST(f.get().code() == 11);
    work.reset();
    runner.join();
  }
  io.restart();
  // deferred: nothing starts until it is invoked.
  auto op = watcher.async_wait(spawn_exiting(12), asio::deferred);
  wait_result r;
  std::move(op)(r.handler());
  run_until(io, [&] { return r.done; }, "deferred");
  BOOST_TEST(r.status.code() == 12);
  // use_awaitable.
  std::optional<int> code;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    exit_status s = co_await watcher.async_wait(spawn_exiting(13), asio::use_awaitable);
    code = s.code();
  }, asio::detached);
  run_until(io, [&] { return code.has_value(); }, "use_awaitable");
  BOOST_TEST(*code == 13);
}

BOOST_AUTO_TEST_SUITE_END()

namespace child_watcher_test {

using asio_fswatch::test::scoped_env;

bool pidfd_available() {
  int fd = int(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
}

} // namespace child_watcher_test

BOOST_AUTO_TEST_SUITE(child_watcher_mechanisms)


BOOST_AUTO_TEST_CASE(the_choice_is_visible_and_can_be_forced, *asio_fswatch::test::linux_only("pidfd")) {
  asio::io_context io;
  BOOST_TEST(child_watcher(io, {child_backend::pidfd}).backend() == child_backend::pidfd);
  BOOST_TEST(child_watcher(io, {child_backend::sigchld}).backend() == child_backend::sigchld);
  BOOST_TEST_REQUIRE(pidfd_available(), "pidfd_open is expected to work on the test machine");
  BOOST_TEST(child_watcher(io).backend() == child_backend::pidfd);
  {
    scoped_env env("ASIO_FSWATCH_CHILD_BACKEND", "sigchld");
    BOOST_TEST(child_watcher(io).backend() == child_backend::sigchld);
    // An explicit option is not overridden by the variable.
    BOOST_TEST(child_watcher(io, {child_backend::pidfd}).backend() == child_backend::pidfd);
    child_watcher watcher(io);
    wait_result r;
    watcher.async_wait(spawn_exiting(4), r.handler());
    run_until(io, [&] { return r.done; }, "wait through the variable's choice");
    BOOST_TEST(r.status.code() == 4);
  }
  {
    scoped_env env("ASIO_FSWATCH_CHILD_BACKEND", "kqueue");
    child_watcher watcher(io);
    BOOST_TEST(watcher.backend() == child_backend::automatic);
    pid_t pid = spawn_exiting(0);
    wait_result r;
    watcher.async_wait(pid, r.handler());
    BOOST_TEST(!r.done, "completed inside the initiating call");
    run_until(io, [&] { return r.done; }, "bad variable");
    BOOST_TEST(r.ec == make_error_code(asio_fswatch::errc::invalid_child_backend), r.ec.message());
    BOOST_TEST(r.ec.message().find("ASIO_FSWATCH_CHILD_BACKEND") != std::string::npos);
    BOOST_TEST(not_reaped(pid), "a failed wait must not reap");
    ::waitpid(pid, nullptr, 0);
  }
}

BOOST_AUTO_TEST_CASE(automatic_falls_back_to_sigchld_when_pidfd_open_is_refused,
                     *asio_fswatch::test::linux_only("pidfd") *
                         boost::unit_test::precondition(asio_fswatch::test::scenario_may_run_in_a_fork)) {
  for (int error : {EPERM, ENOSYS}) {
    int status = asio_fswatch::test::in_child_refusing(SYS_pidfd_open, error, [] {
      asio::io_context io;
      child_watcher watcher(io);
      if (watcher.backend() != child_backend::sigchld)
        return false;
      std::optional<exit_status> got;
      watcher.async_wait(spawn_exiting(6, std::chrono::milliseconds(10)),
                         [&](error_code ec, exit_status s) {
                           if (!ec)
                             got = s;
                         });
      io.run();
      return got && got->code() == 6;
    });
    BOOST_TEST(status == 0, "pidfd_open failing with errno " << error << ": child exit status " << status
                                                             << " (1: wrong backend or result, 2: no seccomp)");
  }
  // Forced pidfd: the refusal is the wait's error, and the child is left alone.
  int status = asio_fswatch::test::in_child_refusing(SYS_pidfd_open, EPERM, [] {
    asio::io_context io;
    child_watcher watcher(io, {child_backend::pidfd});
    pid_t pid = spawn_exiting(0);
    error_code got;
    watcher.async_wait(pid, [&](error_code ec, exit_status) { got = ec; });
    io.run();
    bool left = not_reaped(pid);
    ::waitpid(pid, nullptr, 0);
    return got == error_code(EPERM, boost::system::system_category()) && left;
  });
  BOOST_TEST(status == 0, "forced pidfd: child exit status " << status);
}

BOOST_AUTO_TEST_CASE(sigchld_reaps_only_the_children_it_waits_for) {
  asio::io_context io;
  child_watcher watcher(io, {child_backend::sigchld});
  pid_t bystander = spawn_exiting(1);
  siginfo_t info{};
  BOOST_TEST_REQUIRE(::waitid(P_PID, id_t(bystander), &info, WEXITED | WNOWAIT) == 0);
  wait_result r;
  watcher.async_wait(spawn_exiting(2, std::chrono::milliseconds(20)), r.handler());
  run_until(io, [&] { return r.done; }, "waited child");
  BOOST_TEST(r.status.code() == 2);
  BOOST_TEST(not_reaped(bystander), "a child nobody waits for must stay unreaped");
  wait_result late;
  watcher.async_wait(bystander, late.handler());
  run_until(io, [&] { return late.done; }, "bystander");
  BOOST_TEST(late.status.code() == 1);
}

BOOST_AUTO_TEST_CASE(sigchld_two_waits_for_one_child_both_get_its_status) {
  asio::io_context io;
  child_watcher first(io, {child_backend::sigchld}), second(io, {child_backend::sigchld});
  pid_t pid = spawn_sleeping();
  wait_result a, b;
  first.async_wait(pid, a.handler());
  second.async_wait(pid, b.handler());
  io.poll();
  ::kill(pid, SIGTERM);
  run_until(io, [&] { return a.done && b.done; }, "two waits");
  BOOST_TEST(a.status == exit_status::killed_by(SIGTERM));
  BOOST_TEST(b.status == exit_status::killed_by(SIGTERM));
}

BOOST_DATA_TEST_CASE(run_returns_once_no_wait_is_left, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  pid_t pid = spawn_sleeping();
  wait_result r;
  watcher.async_wait(pid, r.handler());
  io.poll();
  watcher.cancel();
  io.run_for(patience);
  BOOST_TEST(r.ec == asio::error::operation_aborted);
  BOOST_TEST(io.stopped(), "run() kept waiting although no wait was left (a lingering SIGCHLD wait?)");
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

BOOST_AUTO_TEST_CASE(sigchld_on_two_contexts) {
  asio::io_context one, two;
  child_watcher a(one, {child_backend::sigchld}), b(two, {child_backend::sigchld});
  wait_result ra, rb;
  a.async_wait(spawn_exiting(21, std::chrono::milliseconds(20)), ra.handler());
  b.async_wait(spawn_exiting(22, std::chrono::milliseconds(20)), rb.handler());
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (!(ra.done && rb.done) && std::chrono::steady_clock::now() < deadline) {
    one.restart();
    two.restart();
    one.run_for(std::chrono::milliseconds(10));
    two.run_for(std::chrono::milliseconds(10));
  }
  BOOST_TEST_REQUIRE((ra.done && rb.done), "not done within 30 s");
  BOOST_TEST(ra.status.code() == 21);
  BOOST_TEST(rb.status.code() == 22);
}

BOOST_TEST_DECORATOR(*asio_fswatch::test::linux_only("pidfd"))
BOOST_DATA_TEST_CASE(wait_on_a_pidfd_the_caller_keeps, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  pid_t pid = spawn_exiting(17, std::chrono::milliseconds(10));
  int fd = int(::syscall(SYS_pidfd_open, pid, 0));
  BOOST_TEST_REQUIRE(fd >= 0);
  wait_result r;
  watcher.async_wait(asio_fswatch::process_handle_ref{fd}, r.handler());
  run_until(io, [&] { return r.done; }, "pidfd wait");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status.code() == 17);
  BOOST_TEST(::fcntl(fd, F_GETFD) >= 0, "the caller's pidfd must stay open");
  ::close(fd);

  int pipe_fds[2];
  BOOST_TEST_REQUIRE(::pipe(pipe_fds) == 0);
  wait_result closed, not_a_pidfd;
  watcher.async_wait(asio_fswatch::process_handle_ref{-1}, closed.handler());
  watcher.async_wait(asio_fswatch::process_handle_ref{pipe_fds[0]}, not_a_pidfd.handler());
  run_until(io, [&] { return closed.done && not_a_pidfd.done; }, "bad pidfds");
  BOOST_TEST(closed.ec == error_code(EBADF, boost::system::system_category()), closed.ec.message());
  BOOST_TEST(not_a_pidfd.ec == error_code(EBADF, boost::system::system_category()), not_a_pidfd.ec.message());
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

BOOST_DATA_TEST_CASE(wait_on_a_boost_process_v2_process, backends, backend) {
  namespace bp2 = boost::process::v2;
  asio::io_context io;
  child_watcher watcher(io, {backend});
  {
    bp2::process proc(io, "/bin/sh", {"-c", "exit 9"});
    pid_t pid = proc.id();
    wait_result r;
    watcher.async_wait(proc, r.handler());
    run_until(io, [&] { return r.done; }, "Boost.Process child");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status.code() == 9);
    BOOST_TEST(proc.id() != pid, "the process object must be detached from the reaped pid");
  } // its destructor must not touch the pid
  {
    bp2::process proc(io, "/bin/sleep", {"60"});
    asio::cancellation_signal signal;
    wait_result r;
    watcher.async_wait(proc, asio::bind_cancellation_slot(signal.slot(), r.handler()));
    io.poll();
    signal.emit(asio::cancellation_type::terminal);
    run_until(io, [&] { return r.done; }, "cancelled Boost.Process wait");
    BOOST_TEST(r.ec == asio::error::operation_aborted);
    BOOST_TEST(proc.running(), "a cancelled wait leaves the process object attached and running");
  } // Boost.Process kills and reaps it
}

BOOST_AUTO_TEST_SUITE_END()
