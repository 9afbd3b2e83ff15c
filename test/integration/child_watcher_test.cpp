// child_watcher on real children (fork + _exit / kill): exit codes, signals, children that
// ended before the wait, a thousand at once, every cancellation type (the child keeps running
// and can be waited for again), bad pids, and completion tokens.
#include <asio_fswatch/child_watcher.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using asio_fswatch::child_watcher;
using asio_fswatch::exit_status;
using boost::system::error_code;

namespace {

constexpr auto patience = std::chrono::seconds(30);

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

struct wait_result {
  bool done = false;
  error_code ec;
  exit_status status;
  auto handler() {
    return [this](error_code e, exit_status s) {
      done = true;
      ec = e;
      status = s;
    };
  }
};

void run_until(asio::io_context& io, const std::function<bool()>& done, const char* what) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
  BOOST_TEST_REQUIRE(done(), what << ": not done within 30 s");
}

/// Whether `pid` is still a zombie or running child of ours (not reaped).
bool not_reaped(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(child_watcher_waits)

BOOST_AUTO_TEST_CASE(exit_codes) {
  asio::io_context io;
  child_watcher watcher(io);
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

BOOST_AUTO_TEST_CASE(killed_by_signals) {
  asio::io_context io;
  child_watcher watcher(io);
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

BOOST_AUTO_TEST_CASE(child_that_ended_before_the_wait) {
  asio::io_context io;
  child_watcher watcher(io);
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

BOOST_AUTO_TEST_CASE(a_thousand_children_at_once) {
  asio::io_context io;
  child_watcher watcher(io);
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

BOOST_AUTO_TEST_CASE(cancellation_of_each_type_leaves_the_child_alone) {
  for (asio::cancellation_type type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                                       asio::cancellation_type::total}) {
    asio::io_context io;
    child_watcher watcher(io);
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

BOOST_AUTO_TEST_CASE(cancel_and_destruction) {
  asio::io_context io;
  pid_t a = spawn_sleeping(), b = spawn_sleeping();
  wait_result ra, rb;
  {
    child_watcher watcher(io);
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

BOOST_AUTO_TEST_CASE(bad_pids) {
  asio::io_context io;
  child_watcher watcher(io);
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

BOOST_AUTO_TEST_CASE(someone_elses_sigchld_handling_still_works) {
  asio::io_context io;
  asio::signal_set sigchld(io, SIGCHLD);
  bool signalled = false;
  sigchld.async_wait([&](error_code ec, int) { signalled = !ec; });
  child_watcher watcher(io);
  wait_result r;
  watcher.async_wait(spawn_exiting(5, std::chrono::milliseconds(10)), r.handler());
  run_until(io, [&] { return r.done && signalled; }, "wait and SIGCHLD");
  BOOST_TEST(r.status.code() == 5);
}

BOOST_AUTO_TEST_CASE(completion_tokens) {
  asio::io_context io;
  child_watcher watcher(io);
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
