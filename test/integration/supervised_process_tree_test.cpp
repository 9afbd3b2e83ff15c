// SPDX-License-Identifier: BSL-1.0
// supervised_process and child_watcher beyond one child's life: what an ended command leaves
// behind (its group's background jobs; with stop_descendants, daemons that left the group,
// also in a child subreaper, which must reap them without taking other children's statuses),
// the pipes' lifetime across start(), moved-from objects, and converting moves (as_default_on).
#include <asio_fswatch/child_watcher.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/supervised_process.hpp>

#include <common/child_support.hpp>
#include <common/process_list.hpp>
#include <common/seccomp.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace supervised_process_tree_test {

namespace asio = boost::asio;
using asio_fswatch::child_backend;
using asio_fswatch::exit_status;
using asio_fswatch::process_options;
using asio_fswatch::stdio_mode;
using asio_fswatch::supervised_process;
using asio_fswatch::test::run_until;
using asio_fswatch::test::wait_result;
using boost::system::error_code;
using namespace asio_fswatch::test::process_list;
using namespace std::chrono_literals;

process_options options_for(child_backend backend, bool whole_tree, bool pipe_stdout = false) {
  process_options options;
  options.watcher.backend = backend;
  options.stop_descendants = whole_tree;
  if (pipe_stdout)
    options.stdout_mode = stdio_mode::pipe;
  return options;
}

wait_result wait_for(asio::io_context& io, supervised_process& proc, const char* what) {
  wait_result r;
  proc.async_wait(r.handler());
  run_until(io, [&] { return r.done; }, what);
  return r;
}

/// Runs a command that prints the pids of what it leaves behind, one per line, and exits; returns
/// those pids once it has been reaped.
std::vector<pid_t> start_leaver(asio::io_context& io, supervised_process& proc, const std::string& script,
                                process_options options) {
  options.stdout_mode = stdio_mode::pipe;
  proc.start("/bin/sh", {"-c", script}, options);
  std::string out;
  bool read = false;
  asio::async_read(proc.stdout_pipe(), asio::dynamic_buffer(out), [&](error_code, std::size_t) { read = true; });
  wait_result r = wait_for(io, proc, "leaver");
  BOOST_TEST(r.status == exit_status::exited_with(0), r.status);
  // The pipe stays open while a leftover holds it: the pids are complete once there are two lines.
  run_until(io, [&] { return read || std::count(out.begin(), out.end(), '\n') >= 2; }, "leftover pids");
  proc.stdout_pipe().cancel(); // the read uses `out`: end it here
  run_until(io, [&] { return read; }, "cancelled read");
  std::vector<pid_t> pids;
  std::istringstream lines(out);
  for (long pid; lines >> pid;)
    pids.push_back(pid_t(pid));
  return pids;
}

/// A background job in the group, and a daemon that left it (setsid: its own session).
const std::string job_and_daemon = "sleep 300 & echo $!; setsid sleep 300 & echo $!; exit 0";

void check_gone(const std::vector<pid_t>& pids, const char* what) {
  for (pid_t pid : pids) {
    auto deadline = std::chrono::steady_clock::now() + asio_fswatch::test::child_patience;
    while (alive(pid) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    BOOST_TEST(!alive(pid), what << ": pid " << pid << " still runs");
    if (alive(pid))
      ::kill(pid, SIGKILL);
  }
}

/// The scenario of a forked child that makes itself a child subreaper; returns what went wrong
/// (empty when nothing did). Only plain checks here: Boost.Test does not work in the fork.
std::string subreaper_scenario() {
  std::ostringstream problems;
  error_code ec;
  asio_fswatch::make_child_subreaper(ec);
  if (ec)
    return "make_child_subreaper: " + ec.message();
  // A child of our own, ended and not reaped: no supervised process may take its status.
  pid_t own = ::fork();
  if (own == 0)
    ::_exit(42);
  asio::io_context io;
  std::vector<pid_t> left;
  {
    supervised_process proc(io);
    for (int round = 0; round < 3; ++round) {
      process_options options = options_for(child_backend::automatic, true);
      options.stdout_mode = stdio_mode::pipe;
      // A double fork: the inner shell ends at once, and its daemon is re-parented to us.
      proc.start("/bin/sh", {"-c", "sleep 300 & echo $!; sh -c 'setsid sleep 300 & echo $!'; exit 0"}, options);
      std::string out;
      bool read = false;
      asio::async_read(proc.stdout_pipe(), asio::dynamic_buffer(out), [&](error_code, std::size_t) { read = true; });
      bool ended = false;
      proc.async_wait([&](error_code, exit_status) { ended = true; });
      for (int i = 0; i < 6000 && !(ended && std::count(out.begin(), out.end(), '\n') >= 2); ++i) {
        io.restart();
        io.run_for(5ms);
      }
      proc.stdout_pipe().cancel(); // the read uses `out`: end it here
      for (int i = 0; i < 6000 && !read; ++i) {
        io.restart();
        io.run_for(5ms);
      }
      std::istringstream lines(out);
      for (long pid; lines >> pid;)
        left.push_back(pid_t(pid));
      if (left.size() != std::size_t(2 * (round + 1)))
        return "round " + std::to_string(round) + ": the command did not print two pids: " + out;
      for (pid_t pid : left)
        if (round == 0 && !alive(pid))
          problems << "pid " << pid << " does not run before the restart; ";
      if (round == 1) { // this time with a grace period
        bool done = false;
        proc.async_terminate(2s, [&](error_code, exit_status) { done = true; });
        for (int i = 0; i < 6000 && !done; ++i) {
          io.restart();
          io.run_for(5ms);
        }
      }
    }
  } // the destructor deals with the last round
  for (pid_t pid : left) {
    for (int i = 0; i < 6000 && alive(pid); ++i)
      ::usleep(5000);
    if (alive(pid))
      problems << "pid " << pid << " survived; ";
  }
  for (const process_entry& p : all_processes())
    if (p.ppid == ::getpid() && p.state == 'Z' && p.pid != own)
      problems << "zombie left unreaped: " << p << "; ";
  int status = 0;
  if (::waitpid(own, &status, WNOHANG) != own || !WIFEXITED(status) || WEXITSTATUS(status) != 42)
    problems << "the status of a child of our own was taken; ";
  return problems.str();
}

} // namespace supervised_process_tree_test

using namespace supervised_process_tree_test;

BOOST_AUTO_TEST_SUITE(supervised_process_leftovers)

BOOST_DATA_TEST_CASE(start_and_destructor_stop_what_an_ended_command_left_in_its_group,
                     asio_fswatch::test::child_backends(), backend) {
  asio::io_context io;
  std::vector<pid_t> first, second;
  {
    supervised_process proc(io);
    first = start_leaver(io, proc, "sleep 300 & echo $!; sleep 300 & echo $!; exit 0", options_for(backend, false));
    BOOST_TEST_REQUIRE(first.size() == 2u);
    for (pid_t pid : first)
      BOOST_TEST(alive(pid), "the background job " << pid << " should run until the next start");
    second = start_leaver(io, proc, "sleep 300 & echo $!; sleep 300 & echo $!; exit 0", options_for(backend, false));
    check_gone(first, "background jobs of the previous child, after start()");
  }
  check_gone(second, "background jobs of the last child, after the destructor");
}

BOOST_DATA_TEST_CASE(stop_descendants_reaches_daemons_that_left_the_group, asio_fswatch::test::child_backends(),
                     backend) {
  asio::io_context io;
  // Without the option, the group only: the daemon survives a restart (as documented).
  {
    supervised_process proc(io);
    std::vector<pid_t> left = start_leaver(io, proc, job_and_daemon, options_for(backend, false));
    BOOST_TEST_REQUIRE(left.size() == 2u);
    proc.start("/bin/true", {}, options_for(backend, false));
    check_gone({left[0]}, "job, group only");
    BOOST_TEST(alive(left[1]), "a daemon is outside the group: without the option it is left alone");
    ::kill(left[1], SIGKILL);
    wait_for(io, proc, "true");
  }
  // With it: start(), async_terminate and the destructor stop the daemon too.
  supervised_process proc(io);
  std::vector<pid_t> left = start_leaver(io, proc, job_and_daemon, options_for(backend, true));
  BOOST_TEST_REQUIRE(left.size() == 2u);
  std::vector<pid_t> next = start_leaver(io, proc, job_and_daemon, options_for(backend, true));
  check_gone(left, "job and daemon after start()");
  BOOST_TEST_REQUIRE(next.size() == 2u);
  wait_result t;
  proc.async_terminate(10s, t.handler());
  run_until(io, [&] { return t.done; }, "terminate an ended command's tree");
  BOOST_TEST(!t.ec, t.ec.message());
  BOOST_TEST(t.status == exit_status::exited_with(0), t.status);
  check_gone(next, "job and daemon after async_terminate");
  // A running command whose daemon ignores SIGTERM: SIGKILL after the grace period.
  proc.start("/bin/sh", {"-c", "setsid sh -c 'trap \"\" TERM; exec sleep 300' & echo $!; exec sleep 300"},
             options_for(backend, true, true));
  std::string out;
  bool read = false;
  asio::async_read_until(proc.stdout_pipe(), asio::dynamic_buffer(out), '\n', [&](error_code, std::size_t) { read = true; });
  run_until(io, [&] { return read; }, "stubborn daemon's pid");
  pid_t stubborn = pid_t(std::atol(out.c_str()));
  wait_result killed;
  proc.async_terminate(200ms, killed.handler());
  run_until(io, [&] { return killed.done; }, "terminate with a stubborn daemon");
  BOOST_TEST(killed.status == exit_status::killed_by(SIGTERM), killed.status);
  check_gone({stubborn}, "stubborn daemon after async_terminate");
  {
    supervised_process last(io);
    left = start_leaver(io, last, job_and_daemon, options_for(backend, true));
  }
  check_gone(left, "job and daemon after the destructor");
}

BOOST_AUTO_TEST_CASE(a_subreaper_reaps_the_orphans_of_the_tree_and_nothing_else,
                     *asio_fswatch::test::linux_only("subreaper") *
                         boost::unit_test::precondition(asio_fswatch::test::scenario_may_run_in_a_fork)) {
  int report[2];
  BOOST_TEST_REQUIRE(::pipe(report) == 0);
  pid_t child = ::fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    std::string problems = subreaper_scenario();
    if (::write(report[1], problems.data(), problems.size()) < 0) {
    }
    ::_exit(problems.empty() ? 0 : 1);
  }
  ::close(report[1]);
  std::string problems;
  char buffer[512];
  for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;)
    problems.append(buffer, std::size_t(n));
  ::close(report[0]);
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_TEST(problems.empty(), problems);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "the scenario ended with status " << status);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(supervised_process_lifetime)

// The pipe a user reads belongs to the object, not to one child: a read pending on it when
// start() replaces the child ends with an error, and the same object then reads the new child.
// (Before, start() freed the pipe under the pending read: a use after free.)
BOOST_DATA_TEST_CASE(pipes_outlive_start, asio_fswatch::test::child_backends(), backend) {
  asio::io_context io;
  supervised_process proc(io);
  proc.start("/bin/sh", {"-c", "echo first; sleep 300 & exit 0"}, options_for(backend, false, true));
  auto& pipe = proc.stdout_pipe();
  char buffer[64];
  std::size_t got = 0;
  bool first_done = false;
  pipe.async_read_some(asio::buffer(buffer), [&](error_code, std::size_t n) {
    got = n;
    first_done = true;
  });
  run_until(io, [&] { return first_done; }, "first line");
  BOOST_TEST(std::string(buffer, got) == "first\n");
  wait_for(io, proc, "first");
  // The background job holds the pipe open: this read stays pending.
  first_done = false;
  error_code first_ec;
  pipe.async_read_some(asio::buffer(buffer), [&](error_code ec, std::size_t) {
    first_done = true;
    first_ec = ec;
  });
  io.restart();
  io.poll();
  BOOST_TEST(!first_done);

  proc.start("/bin/sh", {"-c", "echo second"}, options_for(backend, false, true));
  BOOST_TEST(&proc.stdout_pipe() == &pipe, "start() must keep the pipe object, which a pending read uses");
  run_until(io, [&] { return first_done; }, "the read on the previous child's pipe");
  BOOST_TEST(first_ec == asio::error::operation_aborted, first_ec.message());
  std::string second;
  error_code second_ec;
  bool second_done = false;
  asio::async_read(pipe, asio::dynamic_buffer(second), [&](error_code ec, std::size_t) {
    second_done = true;
    second_ec = ec;
  });
  run_until(io, [&] { return second_done; }, "the new child's output");
  BOOST_TEST(second_ec == asio::error::eof, second_ec.message());
  BOOST_TEST(second == "second\n");
  wait_for(io, proc, "second");
}

BOOST_DATA_TEST_CASE(moved_from_objects_are_closed_and_usable, asio_fswatch::test::child_backends(), backend) {
  asio::io_context io;
  supervised_process proc(io, "sleep", {"300"}, options_for(backend, false, true));
  supervised_process taker(std::move(proc));
  supervised_process assigned(io);
  for (supervised_process* from : {&proc, &taker}) {
    if (from == &taker)
      assigned = std::move(taker);
    BOOST_TEST(from->id() == -1);
    BOOST_TEST(!from->running());
    BOOST_TEST(!from->status());
    BOOST_TEST(from->backend() == child_backend::automatic);
    BOOST_TEST(!from->stdin_pipe().is_open());
    BOOST_TEST(!from->stdout_pipe().is_open());
    BOOST_TEST(!from->stderr_pipe().is_open());
    error_code ec;
    from->signal(SIGTERM, ec);
    BOOST_TEST(ec == make_error_code(asio_fswatch::errc::no_child), ec.message());
    from->detach();
    wait_result w, t;
    from->async_wait(w.handler());
    from->async_terminate(1s, t.handler());
    run_until(io, [&] { return w.done && t.done; }, "operations on a moved-from object");
    BOOST_TEST(w.ec == make_error_code(asio_fswatch::errc::no_child), w.ec.message());
    BOOST_TEST(t.ec == make_error_code(asio_fswatch::errc::no_child), t.ec.message());
    BOOST_TEST(!w.status.has_value(), "no status beside an error");
    bool posted = false;
    asio::post(from->get_executor(), [&] { posted = true; });
    run_until(io, [&] { return posted; }, "the moved-from object's executor");
    from->start("/bin/sh", {"-c", "exit 7"}, options_for(backend, false));
    BOOST_TEST(wait_for(io, *from, "a child of a moved-from object").status == exit_status::exited_with(7));
  }
  BOOST_TEST(assigned.running());
  BOOST_TEST(assigned.stdout_pipe().is_open());
  wait_result r;
  assigned.async_terminate(10s, r.handler());
  run_until(io, [&] { return r.done; }, "moved child");
  BOOST_TEST(r.status == exit_status::killed_by(SIGTERM), r.status);

  asio_fswatch::child_watcher watcher(io, asio_fswatch::child_watcher_options{backend});
  asio_fswatch::child_watcher watcher_taker(std::move(watcher));
  BOOST_TEST(watcher.backend() == backend);
  watcher.cancel();
  supervised_process child(io, "/bin/sh", {"-c", "exit 5"}, options_for(backend, false));
  pid_t pid = child.id();
  child.detach();
  wait_result moved_from_wait;
  watcher.async_wait(pid, moved_from_wait.handler());
  run_until(io, [&] { return moved_from_wait.done; }, "a wait on a moved-from watcher");
  BOOST_TEST(moved_from_wait.status == exit_status::exited_with(5), moved_from_wait.status);
}

// as_default_on needs a converting move from the object with the plain executor.
BOOST_DATA_TEST_CASE(as_default_on_with_as_tuple_use_awaitable, asio_fswatch::test::child_backends(), backend) {
  using tuple_awaitable = asio::as_tuple_t<asio::use_awaitable_t<>>;
  asio::io_context io;
  auto proc = tuple_awaitable::as_default_on(supervised_process(io));
  auto watcher = tuple_awaitable::as_default_on(asio_fswatch::child_watcher(io, {backend}));
  static_assert(!std::is_same_v<decltype(proc), supervised_process>);
  std::optional<exit_status> waited, terminated, watched;
  error_code no_child;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto [ec0, none] = co_await proc.async_wait();
    no_child = ec0;
    proc.start("/bin/sh", {"-c", "exit 9"}, options_for(backend, false));
    auto [ec1, st1] = co_await proc.async_wait();
    if (!ec1)
      waited = st1;
    proc.start("sleep", {"300"}, options_for(backend, false));
    auto [ec2, st2] = co_await proc.async_terminate(10s);
    if (!ec2)
      terminated = st2;
    supervised_process other(io, "/bin/sh", {"-c", "exit 6"}, options_for(backend, false));
    pid_t pid = other.id();
    other.detach(); // the watcher reaps it
    auto [ec3, st3] = co_await watcher.async_wait(pid);
    if (!ec3)
      watched = st3;
  }, asio::detached);
  run_until(io, [&] { return watched.has_value(); }, "as_default_on objects");
  BOOST_TEST(no_child == make_error_code(asio_fswatch::errc::no_child), no_child.message());
  BOOST_TEST((waited == exit_status::exited_with(9)));
  BOOST_TEST((terminated == exit_status::killed_by(SIGTERM)));
  BOOST_TEST((watched == exit_status::exited_with(6)));
  // Converting move assignment, both ways back to the plain executor.
  supervised_process plain(io);
  plain = std::move(proc);
  asio_fswatch::child_watcher plain_watcher(io);
  plain_watcher = std::move(watcher);
  BOOST_TEST(plain_watcher.backend() == backend);
}

BOOST_AUTO_TEST_SUITE_END()
