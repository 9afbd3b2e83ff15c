// SPDX-License-Identifier: BSL-1.0
// supervised_process on real commands (/bin/sh, sleep, cat, echo), each case that waits with
// both child watcher mechanisms (pidfd and sigchld): exit statuses, the process group, PATH
// lookup and start errors, pipes, environment and working directory, signals, termination of
// stubborn children and of whole shell job trees, concurrent operations, every cancellation
// type, destruction, detach, an idle object keeping no work, and completion tokens.
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/supervised_process.hpp>

#include <common/child_support.hpp>
#include <common/process_list.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace data = boost::unit_test::data;
using asio_fswatch::child_backend;
using asio_fswatch::exit_status;
using asio_fswatch::process_options;
using asio_fswatch::stdio_mode;
using asio_fswatch::supervised_process;
using boost::system::error_code;
using namespace std::chrono_literals;

// Named, not anonymous: the data test cases are templates whose lambdas capture these types.
namespace supervised_process_test {

const auto backends = asio_fswatch::test::child_backends();
constexpr auto patience = asio_fswatch::test::child_patience;
using asio_fswatch::test::run_until;
using asio_fswatch::test::wait_result;
using namespace asio_fswatch::test::process_list;

process_options with_backend(child_backend backend) {
  process_options options;
  options.watcher.backend = backend;
  return options;
}

error_code system_error_code(int value) { return error_code(value, boost::system::system_category()); }


/// Waits with async_wait for the child of `proc` and returns the outcome.
wait_result wait_for(asio::io_context& io, supervised_process& proc, const char* what) {
  wait_result r;
  proc.async_wait(r.handler());
  run_until(io, [&] { return r.done; }, what);
  return r;
}

/// Terminates the child of `proc` with async_terminate and returns the outcome.
wait_result terminate(asio::io_context& io, supervised_process& proc, std::chrono::milliseconds grace,
                      const char* what) {
  wait_result r;
  proc.async_terminate(grace, r.handler());
  run_until(io, [&] { return r.done; }, what);
  return r;
}

/// Whether `pid` was reaped: it is no (zombie or running) child of ours any more.
bool reaped(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD;
}

/// Our children that have ended and nobody reaped.
std::vector<process_entry> zombie_children() {
  std::vector<process_entry> result;
  for (const process_entry& p : all_processes())
    if (p.ppid == ::getpid() && p.state == 'Z')
      result.push_back(p);
  return result;
}

/// Runs a command whose stdout is a pipe; returns everything it wrote and how it ended.
struct captured {
  std::string output;
  exit_status status;
};

captured run_and_capture(asio::io_context& io, const std::string& program, const std::vector<std::string>& args,
                         process_options options) {
  options.stdout_mode = stdio_mode::pipe;
  supervised_process proc(io, program, args, options);
  captured result;
  bool read_done = false;
  error_code read_ec;
  asio::async_read(proc.stdout_pipe(), asio::dynamic_buffer(result.output), [&](error_code ec, std::size_t) {
    read_done = true;
    read_ec = ec;
  });
  wait_result r;
  proc.async_wait(r.handler());
  run_until(io, [&] { return read_done && r.done; }, "captured command");
  BOOST_TEST(read_ec == asio::error::eof, read_ec.message());
  BOOST_TEST(!r.ec, r.ec.message());
  result.status = r.status;
  return result;
}

/// Sets an environment variable of this process for the scope.
struct scoped_env {
  scoped_env(const char* name, const char* value) : name(name) { ::setenv(name, value, 1); }
  ~scoped_env() { ::unsetenv(name); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  const char* name;
};

bool has_code(const boost::system::system_error& e, const error_code& expected) { return e.code() == expected; }

} // namespace supervised_process_test

using namespace supervised_process_test;

BOOST_AUTO_TEST_SUITE(supervised_process_basics)

BOOST_DATA_TEST_CASE(start_and_wait, backends, backend) {
  asio::io_context io;
  supervised_process proc(io);
  BOOST_TEST(proc.id() == -1);
  BOOST_TEST(!proc.running());
  BOOST_TEST(!proc.status());

  proc.start("/bin/sh", {"-c", "exit 3"}, with_backend(backend));
  pid_t pid = proc.id();
  BOOST_TEST(pid > 0);
  BOOST_TEST(proc.running());
  BOOST_TEST(!proc.status());
  BOOST_TEST(proc.backend() == backend);
  wait_result r;
  proc.async_wait(r.handler());
  BOOST_TEST(!r.done, "completed inside the initiating call");
  run_until(io, [&] { return r.done; }, "exit 3");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status == exit_status::exited_with(3), r.status);
  BOOST_TEST(!proc.running());
  BOOST_TEST_REQUIRE(proc.status().has_value());
  BOOST_TEST(*proc.status() == exit_status::exited_with(3));
  BOOST_TEST(proc.id() == pid, "the id stays readable after the end");
  BOOST_TEST(reaped(pid), "the child was not reaped");

  // A wait after the end gets the status at once (posted).
  wait_result late;
  proc.async_wait(late.handler());
  BOOST_TEST(!late.done, "completed inside the initiating call");
  run_until(io, [&] { return late.done; }, "wait after the end");
  BOOST_TEST(!late.ec, late.ec.message());
  BOOST_TEST(late.status == exit_status::exited_with(3));

  // A running child leads a process group of its own.
  supervised_process sleeper(io, "/bin/sleep", {"300"}, with_backend(backend));
  BOOST_TEST(sleeper.running());
  BOOST_TEST(::getpgid(sleeper.id()) == sleeper.id());
  BOOST_TEST(::getpgid(sleeper.id()) != ::getpgrp());
  wait_result killed = terminate(io, sleeper, 10s, "sleeper");
  BOOST_TEST(!killed.ec, killed.ec.message());
  BOOST_TEST(killed.status == exit_status::killed_by(SIGTERM), killed.status);
}

BOOST_DATA_TEST_CASE(wait_without_a_child, backends, backend) {
  asio::io_context io;
  supervised_process proc(io);
  wait_result w, t;
  proc.async_wait(w.handler());
  proc.async_terminate(1s, t.handler());
  BOOST_TEST(!w.done, "completed inside the initiating call");
  BOOST_TEST(!t.done, "completed inside the initiating call");
  run_until(io, [&] { return w.done && t.done; }, "no child");
  BOOST_TEST(w.ec == make_error_code(asio_fswatch::errc::no_child), w.ec.message());
  BOOST_TEST(t.ec == make_error_code(asio_fswatch::errc::no_child), t.ec.message());
  // A failed start leaves no child either.
  error_code ec;
  proc.start("asio-fswatch-no-such-program", {}, with_backend(backend), ec);
  BOOST_TEST(ec);
  wait_result after_failure;
  proc.async_wait(after_failure.handler());
  run_until(io, [&] { return after_failure.done; }, "no child after a failed start");
  BOOST_TEST(after_failure.ec == make_error_code(asio_fswatch::errc::no_child), after_failure.ec.message());
}

BOOST_DATA_TEST_CASE(program_lookup_and_start_errors, backends, backend) {
  asio::io_context io;
  // Searched in PATH.
  {
    supervised_process proc(io, "sh", {"-c", "exit 4"}, with_backend(backend));
    wait_result r = wait_for(io, proc, "sh from PATH");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status == exit_status::exited_with(4), r.status);
  }
  // Not found: the error_code form, the throwing constructor and start.
  {
    supervised_process proc(io);
    error_code ec;
    proc.start("asio-fswatch-no-such-program", {}, with_backend(backend), ec);
    BOOST_TEST(ec == system_error_code(ENOENT), ec.message());
    BOOST_TEST(proc.id() == -1);
    BOOST_TEST(!proc.running());
    auto enoent = [](const boost::system::system_error& e) { return has_code(e, system_error_code(ENOENT)); };
    BOOST_CHECK_EXCEPTION(supervised_process(io, "asio-fswatch-no-such-program", {}, with_backend(backend)),
                          boost::system::system_error, enoent);
    BOOST_CHECK_EXCEPTION(proc.start("asio-fswatch-no-such-program", {}, with_backend(backend)),
                          boost::system::system_error, enoent);
    BOOST_CHECK_EXCEPTION(proc.start("/nonexistent-dir/asio-fswatch-program", {}, with_backend(backend)),
                          boost::system::system_error, enoent);
  }
  // Failures after fork (exec, chdir) are reported too, and leave no zombie behind.
  {
    asio_fswatch::test::temp_dir dir("asio_fswatch_sup");
    std::filesystem::path not_executable = dir / "not-an-executable";
    std::ofstream(not_executable) << "\x01\x02\x03 not a program\n";
    ::chmod(not_executable.c_str(), 0755);
    supervised_process proc(io);
    error_code ec;
    proc.start(not_executable.string(), {}, with_backend(backend), ec);
    BOOST_TEST(ec == system_error_code(ENOEXEC), ec.message());
    BOOST_TEST(!proc.running());
    process_options bad_dir = with_backend(backend);
    bad_dir.working_directory = dir / "no-such-dir";
    proc.start("/bin/sh", {"-c", "exit 0"}, bad_dir, ec);
    BOOST_TEST(ec == system_error_code(ENOENT), ec.message());
    BOOST_TEST(!proc.running());
    std::vector<process_entry> zombies = zombie_children();
    BOOST_TEST(zombies.empty(), "failed starts left zombies:" << describe(zombies));
    for (const process_entry& z : zombies)
      ::waitpid(z.pid, nullptr, 0);
  }
  // Started while a child runs; again once it has ended and was reaped.
  {
    supervised_process proc(io, "sleep", {"300"}, with_backend(backend));
    pid_t first = proc.id();
    error_code ec;
    proc.start("/bin/sh", {"-c", "exit 0"}, with_backend(backend), ec);
    BOOST_TEST(ec == asio::error::already_started, ec.message());
    BOOST_CHECK_EXCEPTION(proc.start("/bin/sh", {"-c", "exit 0"}, with_backend(backend)),
                          boost::system::system_error, [](const boost::system::system_error& e) {
                            return has_code(e, asio::error::already_started);
                          });
    BOOST_TEST(proc.id() == first);
    BOOST_TEST(::kill(first, 0) == 0, "the running child must be left alone");
    proc.signal(SIGTERM);
    wait_result r = wait_for(io, proc, "first child");
    BOOST_TEST(r.status == exit_status::killed_by(SIGTERM), r.status);
    proc.start("/bin/sh", {"-c", "exit 5"}, with_backend(backend), ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(proc.id() != first);
    BOOST_TEST(proc.running());
    BOOST_TEST(!proc.status(), "the status of the previous child must be gone");
    wait_result second = wait_for(io, proc, "second child");
    BOOST_TEST(!second.ec, second.ec.message());
    BOOST_TEST(second.status == exit_status::exited_with(5), second.status);
  }
}

BOOST_DATA_TEST_CASE(pipes_and_null, backends, backend) {
  asio::io_context io;
  // stdout: read to EOF.
  {
    captured c = run_and_capture(io, "echo", {"hello"}, with_backend(backend));
    BOOST_TEST(c.output == "hello\n");
    BOOST_TEST(c.status == exit_status::exited_with(0), c.status);
  }
  // stdin and stdout: what is written comes back, and closing stdin ends cat.
  {
    process_options options = with_backend(backend);
    options.stdin_mode = stdio_mode::pipe;
    options.stdout_mode = stdio_mode::pipe;
    supervised_process proc(io, "cat", {}, options);
    BOOST_TEST(!proc.stderr_pipe().is_open(), "stderr was not asked for as a pipe");
    bool written = false, read_done = false;
    error_code write_ec, read_ec;
    std::string echoed;
    asio::async_write(proc.stdin_pipe(), asio::buffer("abc", 3), [&](error_code ec, std::size_t) {
      written = true;
      write_ec = ec;
      proc.stdin_pipe().close();
    });
    asio::async_read(proc.stdout_pipe(), asio::dynamic_buffer(echoed), [&](error_code ec, std::size_t) {
      read_done = true;
      read_ec = ec;
    });
    wait_result r;
    proc.async_wait(r.handler());
    run_until(io, [&] { return written && read_done && r.done; }, "cat");
    BOOST_TEST(!write_ec, write_ec.message());
    BOOST_TEST(read_ec == asio::error::eof, read_ec.message());
    BOOST_TEST(echoed == "abc");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status == exit_status::exited_with(0), r.status);
  }
  // null: stderr goes nowhere; stdin reads nothing.
  {
    process_options options = with_backend(backend);
    options.stderr_mode = stdio_mode::null;
    supervised_process proc(io, "/bin/sh", {"-c", "echo x >&2; exit 0"}, options);
    wait_result r = wait_for(io, proc, "stderr to null");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status == exit_status::exited_with(0), r.status);
  }
  {
    process_options options = with_backend(backend);
    options.stdin_mode = stdio_mode::null;
    captured c = run_and_capture(io, "cat", {}, options);
    BOOST_TEST(c.output.empty());
    BOOST_TEST(c.status == exit_status::exited_with(0), c.status);
  }
}

BOOST_DATA_TEST_CASE(environment_and_working_directory, backends, backend) {
  asio::io_context io;
  asio_fswatch::test::temp_dir dir("asio_fswatch_sup");
  {
    process_options options = with_backend(backend);
    options.environment = {{"FOO", "bar"}};
    options.working_directory = dir.path();
    captured c = run_and_capture(io, "/bin/sh", {"-c", "printf '%s %s' \"$FOO\" \"$(pwd)\""}, options);
    BOOST_TEST(c.output == "bar " + dir.path().string());
    BOOST_TEST(c.status.success(), c.status);
  }
  {
    process_options options = with_backend(backend);
    options.environment = {{"FOO", "first"}, {"OTHER", "x"}, {"FOO", "last"}};
    captured c = run_and_capture(io, "/bin/sh", {"-c", "printf '%s %s' \"$FOO\" \"$OTHER\""}, options);
    BOOST_TEST(c.output == "last x");
  }
  {
    scoped_env inherited("ASIO_FSWATCH_SUP_TEST_VAR", "parent");
    captured c = run_and_capture(io, "/bin/sh", {"-c", "printf '%s' \"$ASIO_FSWATCH_SUP_TEST_VAR\""},
                                 with_backend(backend));
    BOOST_TEST(c.output == "parent");
    process_options options = with_backend(backend);
    options.environment = {{"ASIO_FSWATCH_SUP_TEST_VAR", "child"}};
    captured overridden =
        run_and_capture(io, "/bin/sh", {"-c", "printf '%s' \"$ASIO_FSWATCH_SUP_TEST_VAR\""}, options);
    BOOST_TEST(overridden.output == "child");
  }
  {
    captured c = run_and_capture(io, "/bin/sh", {"-c", "printf '%s' \"${ASIO_FSWATCH_SUP_TEST_VAR-unset}\""},
                                 with_backend(backend));
    BOOST_TEST(c.output == "unset", "a variable unset in this process must not reach the child");
  }
}

BOOST_DATA_TEST_CASE(signal_the_group, backends, backend) {
  asio::io_context io;
  supervised_process proc(io);
  error_code ec;
  proc.signal(SIGTERM, ec);
  BOOST_TEST(ec == make_error_code(asio_fswatch::errc::no_child), ec.message());
  BOOST_CHECK_EXCEPTION(proc.signal(SIGTERM), boost::system::system_error, [](const boost::system::system_error& e) {
    return has_code(e, make_error_code(asio_fswatch::errc::no_child));
  });

  proc.start("sleep", {"300"}, with_backend(backend));
  pid_t pid = proc.id();
  proc.signal(1000, ec);
  BOOST_TEST(ec == system_error_code(EINVAL), ec.message());
  proc.signal(0, ec); // no signal: only checks
  BOOST_TEST(!ec, ec.message());
  BOOST_TEST(::kill(pid, 0) == 0);
  proc.signal(SIGTERM, ec);
  BOOST_TEST(!ec, ec.message());
  wait_result r = wait_for(io, proc, "signalled child");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status == exit_status::killed_by(SIGTERM), r.status);

  proc.signal(SIGTERM, ec);
  BOOST_TEST(ec == make_error_code(asio_fswatch::errc::no_child), ec.message());
}

BOOST_DATA_TEST_CASE(move_keeps_the_child_and_assignment_ends_the_old_one, backends, backend) {
  asio::io_context io;
  supervised_process a(io, "sleep", {"300"}, with_backend(backend));
  pid_t pid_a = a.id();
  supervised_process b(std::move(a));
  BOOST_TEST(b.id() == pid_a);
  BOOST_TEST(b.running());
  supervised_process c(io, "sleep", {"300"}, with_backend(backend));
  pid_t pid_c = c.id();
  c = std::move(b); // c's own child is killed and reaped
  BOOST_TEST(reaped(pid_c), "the child the assignment replaced was not reaped");
  BOOST_TEST(c.id() == pid_a);
  BOOST_TEST(::kill(pid_a, 0) == 0);
  wait_result r = terminate(io, c, 10s, "moved child");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status == exit_status::killed_by(SIGTERM), r.status);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(supervised_process_termination)

BOOST_DATA_TEST_CASE(terminate_a_cooperative_and_a_stubborn_child, backends, backend) {
  asio::io_context io;
  {
    supervised_process proc(io, "sleep", {"300"}, with_backend(backend));
    wait_result r;
    proc.async_terminate(30s, r.handler());
    BOOST_TEST(!r.done, "completed inside the initiating call");
    run_until(io, [&] { return r.done; }, "cooperative child");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status == exit_status::killed_by(SIGTERM), r.status);
    BOOST_TEST(!proc.running());
    BOOST_TEST(reaped(proc.id()));
  }
  {
    // Both the shell and its sleep ignore SIGTERM; the shell waits for the sleep.
    supervised_process proc(io, "/bin/sh", {"-c", "trap '' TERM; sleep 300"}, with_backend(backend));
    wait_for_group_members(proc.id(), "sleep", 1); // the trap is set
    wait_result r = terminate(io, proc, 200ms, "stubborn child");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status == exit_status::killed_by(SIGKILL), r.status);
    check_group_ends(proc.id(), "stubborn child");
  }
  {
    // Another first signal.
    supervised_process proc(io, "sleep", {"300"}, with_backend(backend));
    wait_result r;
    proc.async_terminate(SIGINT, 30s, r.handler());
    run_until(io, [&] { return r.done; }, "SIGINT first");
    BOOST_TEST(r.status == exit_status::killed_by(SIGINT), r.status);
  }
}

BOOST_DATA_TEST_CASE(terminate_leaves_nothing_in_the_group, backends, backend) {
  asio::io_context io;
  {
    // A background grandchild that ignores SIGTERM, outliving the shell.
    supervised_process proc(io, "/bin/sh", {"-c", "(trap '' TERM; exec sleep 300) & sleep 300"},
                            with_backend(backend));
    pid_t pgid = proc.id();
    wait_for_group_members(pgid, "sleep", 2);
    wait_result r = terminate(io, proc, 300ms, "shell with a stubborn background job");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status == exit_status::killed_by(SIGTERM), r.status);
    check_group_ends(pgid, "stubborn background job");
  }
  {
    supervised_process proc(io, "/bin/sh", {"-c", "sleep 300 & wait"}, with_backend(backend));
    pid_t pgid = proc.id();
    wait_for_group_members(pgid, "sleep", 1);
    wait_result r = terminate(io, proc, 300ms, "shell waiting for a background job");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status == exit_status::killed_by(SIGTERM), r.status);
    check_group_ends(pgid, "background job");
  }
}

BOOST_DATA_TEST_CASE(terminate_after_the_child_ended_on_its_own, backends, backend) {
  asio::io_context io;
  supervised_process proc(io, "/bin/sh", {"-c", "exit 6"}, with_backend(backend));
  // Ended, not reaped yet: terminate reports its real status.
  siginfo_t info{};
  BOOST_TEST_REQUIRE(::waitid(P_PID, id_t(proc.id()), &info, WEXITED | WNOWAIT) == 0);
  BOOST_TEST(proc.running(), "not reaped yet, so still the current child");
  wait_result r = terminate(io, proc, 1s, "ended child");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status == exit_status::exited_with(6), r.status);
  // And once reaped: its status again.
  wait_result again = terminate(io, proc, 1s, "reaped child");
  BOOST_TEST(!again.ec, again.ec.message());
  BOOST_TEST(again.status == exit_status::exited_with(6), again.status);
}

BOOST_DATA_TEST_CASE(wait_and_terminate_at_the_same_time, backends, backend) {
  asio::io_context io;
  supervised_process proc(io, "/bin/sh", {"-c", "trap '' TERM; sleep 300"}, with_backend(backend));
  wait_for_group_members(proc.id(), "sleep", 1);
  wait_result w1, w2, t;
  proc.async_wait(w1.handler());
  proc.async_wait(w2.handler());
  io.poll();
  proc.async_terminate(200ms, t.handler());
  run_until(io, [&] { return w1.done && w2.done && t.done; }, "wait and terminate");
  for (wait_result* r : {&w1, &w2, &t}) {
    BOOST_TEST(!r->ec, r->ec.message());
    BOOST_TEST(r->status == exit_status::killed_by(SIGKILL), r->status);
  }
  // Two terminations at once.
  proc.start("sleep", {"300"}, with_backend(backend));
  wait_result t1, t2;
  proc.async_terminate(30s, t1.handler());
  proc.async_terminate(30s, t2.handler());
  run_until(io, [&] { return t1.done && t2.done; }, "two terminations");
  BOOST_TEST(!t1.ec, t1.ec.message());
  BOOST_TEST(!t2.ec, t2.ec.message());
  BOOST_TEST(t1.status == exit_status::killed_by(SIGTERM), t1.status);
  BOOST_TEST(t2.status == exit_status::killed_by(SIGTERM), t2.status);
}

BOOST_DATA_TEST_CASE(cancellation_of_each_type, backends, backend) {
  for (asio::cancellation_type type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                                       asio::cancellation_type::total}) {
    BOOST_TEST_CONTEXT("cancellation type " << unsigned(type)) {
      asio::io_context io;
      supervised_process proc(io, "sleep", {"300"}, with_backend(backend));
      pid_t pid = proc.id();
      asio::cancellation_signal signal;
      wait_result r, other;
      proc.async_wait(asio::bind_cancellation_slot(signal.slot(), r.handler()));
      proc.async_wait(other.handler()); // not cancelled
      io.poll();
      signal.emit(type);
      run_until(io, [&] { return r.done; }, "cancelled wait");
      BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
      BOOST_TEST(!other.done, "the other wait must still be pending");
      BOOST_TEST(::kill(pid, 0) == 0, "the child must still run");
      BOOST_TEST(proc.running());
      wait_result t = terminate(io, proc, 10s, "terminate after a cancelled wait");
      BOOST_TEST(!t.ec, t.ec.message());
      BOOST_TEST(t.status == exit_status::killed_by(SIGTERM), t.status);
      run_until(io, [&] { return other.done; }, "other wait");
      BOOST_TEST(other.status == exit_status::killed_by(SIGTERM), other.status);
    }
    BOOST_TEST_CONTEXT("a new wait from the handler of the only one, cancelled, type " << unsigned(type)) {
      // The child's watch is being cancelled (nobody waits any more) when the new wait comes.
      asio::io_context io;
      supervised_process proc(io, "sleep", {"300"}, with_backend(backend));
      asio::cancellation_signal signal;
      wait_result r, again;
      proc.async_wait(asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, exit_status s) {
        r.handler()(ec, s);
        proc.async_wait(again.handler());
      }));
      io.poll();
      signal.emit(type);
      run_until(io, [&] { return r.done; }, "cancelled wait");
      BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
      io.poll();
      BOOST_TEST(!again.done);
      BOOST_TEST(::kill(proc.id(), SIGTERM) == 0); // only the watch can notice this
      run_until(io, [&] { return again.done; }, "wait started after a cancelled one");
      BOOST_TEST(!again.ec, again.ec.message());
      BOOST_TEST(again.status == exit_status::killed_by(SIGTERM), again.status);
    }
  }
  for (asio::cancellation_type type : {asio::cancellation_type::terminal, asio::cancellation_type::partial}) {
    BOOST_TEST_CONTEXT("terminate, cancellation type " << unsigned(type)) {
      asio::io_context io;
      supervised_process proc(io, "/bin/sh", {"-c", "trap '' TERM; sleep 300"}, with_backend(backend));
      pid_t pid = proc.id();
      wait_for_group_members(pid, "sleep", 1);
      asio::cancellation_signal signal;
      wait_result r;
      proc.async_terminate(patience * 2, asio::bind_cancellation_slot(signal.slot(), r.handler()));
      io.poll();
      BOOST_TEST(!r.done);
      signal.emit(type);
      run_until(io, [&] { return r.done; }, "cancelled terminate");
      BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
      BOOST_TEST(::kill(pid, 0) == 0, "no SIGKILL after the cancellation");
      BOOST_TEST(proc.running());
      wait_result t = terminate(io, proc, 200ms, "terminate after a cancelled terminate");
      BOOST_TEST(!t.ec, t.ec.message());
      BOOST_TEST(t.status == exit_status::killed_by(SIGKILL), t.status);
    }
  }
}

BOOST_DATA_TEST_CASE(cancel_terminate_while_the_group_empties, backends, backend) {
  asio::io_context io;
  supervised_process proc(io, "/bin/sh", {"-c", "(trap '' TERM; exec sleep 300) & sleep 300"},
                          with_backend(backend));
  pid_t pgid = proc.id();
  wait_for_group_members(pgid, "sleep", 2);
  asio::cancellation_signal signal;
  wait_result r, w;
  proc.async_terminate(patience * 2, asio::bind_cancellation_slot(signal.slot(), r.handler()));
  proc.async_wait(w.handler());
  run_until(io, [&] { return w.done; }, "leader ends");
  BOOST_TEST(w.status == exit_status::killed_by(SIGTERM), w.status);
  io.poll();
  BOOST_TEST(!r.done, "terminate must wait for the background job");
  signal.emit(asio::cancellation_type::terminal);
  run_until(io, [&] { return r.done; }, "cancelled terminate");
  BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
  BOOST_TEST(count_named(live_processes_in_group(pgid), "sleep") == 1u, "the background job is left alone");
  // Terminating again, once the leader was reaped, still empties the group.
  wait_result again = terminate(io, proc, 200ms, "terminate again");
  BOOST_TEST(!again.ec, again.ec.message());
  BOOST_TEST(again.status == exit_status::killed_by(SIGTERM), again.status);
  check_group_ends(pgid, "background job after a second terminate");
}

BOOST_DATA_TEST_CASE(destruction_kills_the_group_and_reaps, backends, backend) {
  asio::io_context io;
  pid_t pid = -1;
  wait_result r;
  {
    supervised_process proc(io, "/bin/sh", {"-c", "sleep 300 & sleep 300"}, with_backend(backend));
    pid = proc.id();
    wait_for_group_members(pid, "sleep", 2);
    proc.async_wait(r.handler());
    io.poll();
    BOOST_TEST(!r.done);
  }
  BOOST_TEST(reaped(pid), "the destructor must reap the child");
  check_group_ends(pid, "destroyed while running");
  run_until(io, [&] { return r.done; }, "wait on a destroyed object");
  BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());

  // With a terminate pending, in its grace period.
  wait_result t;
  {
    supervised_process proc(io, "/bin/sh", {"-c", "trap '' TERM; sleep 300"}, with_backend(backend));
    pid = proc.id();
    wait_for_group_members(pid, "sleep", 1);
    proc.async_terminate(patience * 2, t.handler());
    io.poll();
    BOOST_TEST(!t.done);
  }
  BOOST_TEST(reaped(pid), "the destructor must reap the child");
  check_group_ends(pid, "destroyed while terminating");
  run_until(io, [&] { return t.done; }, "terminate on a destroyed object");
  BOOST_TEST(t.ec == asio::error::operation_aborted, t.ec.message());
}

BOOST_DATA_TEST_CASE(detach_leaves_the_child_running, backends, backend) {
  asio::io_context io;
  pid_t pid = -1;
  wait_result r;
  {
    supervised_process proc(io, "sleep", {"300"}, with_backend(backend));
    pid = proc.id();
    proc.async_wait(r.handler());
    io.poll();
    proc.detach();
    BOOST_TEST(proc.id() == -1);
    BOOST_TEST(!proc.running());
    run_until(io, [&] { return r.done; }, "wait on a detached child");
    BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
  }
  io.restart();
  io.poll();
  BOOST_TEST(::kill(pid, 0) == 0, "a detached child must keep running");
  BOOST_TEST(::getpgid(pid) == pid);
  BOOST_TEST(::kill(-pid, SIGKILL) == 0);
  int status = 0;
  BOOST_TEST(::waitpid(pid, &status, 0) == pid, "the detached child must not have been reaped by anybody");
  BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
}

BOOST_DATA_TEST_CASE(an_idle_object_keeps_no_work, backends, backend) {
  asio::io_context io;
  supervised_process proc(io, "/bin/sh", {"-c", "exit 8"}, with_backend(backend));
  siginfo_t info{};
  BOOST_TEST_REQUIRE(::waitid(P_PID, id_t(proc.id()), &info, WEXITED | WNOWAIT) == 0); // ended, not reaped
  io.run_for(patience);
  BOOST_TEST(io.stopped(), "run() kept waiting although nothing was pending");
  // After a cancelled wait, and after a completed one.
  {
    supervised_process sleeper(io, "sleep", {"300"}, with_backend(backend));
    asio::cancellation_signal signal;
    wait_result r;
    sleeper.async_wait(asio::bind_cancellation_slot(signal.slot(), r.handler()));
    io.restart();
    io.poll();
    signal.emit(asio::cancellation_type::terminal);
    io.restart();
    io.run_for(patience);
    BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
    BOOST_TEST(io.stopped(), "run() kept waiting after a cancelled wait");
    sleeper.signal(SIGKILL);
    wait_result end;
    sleeper.async_wait(end.handler());
    io.restart();
    io.run_for(patience);
    BOOST_TEST(end.done);
    BOOST_TEST(end.status == exit_status::killed_by(SIGKILL), end.status);
    BOOST_TEST(io.stopped(), "run() kept waiting after a completed wait");
  }
  io.restart();
  wait_result r = terminate(io, proc, 1s, "idle child");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status == exit_status::exited_with(8), r.status);
  io.restart();
  io.run_for(patience);
  BOOST_TEST(io.stopped(), "run() kept waiting after terminate");
}

BOOST_DATA_TEST_CASE(completion_tokens, backends, backend) {
  asio::io_context io;
  supervised_process proc(io);
  // use_future, with the context run by another thread. The operations are started before that
  // thread runs it: an object is not to be used from two threads at once (its initiation would
  // race with the handlers of the same child).
  auto run_on_thread = [&](std::future<exit_status>& result, const char* what) {
    io.restart();
    std::thread runner([&] { io.run(); }); // returns once nothing is pending
    bool ready = result.wait_for(patience) == std::future_status::ready;
    if (!ready)
      io.stop();
    runner.join();
    BOOST_TEST_REQUIRE(ready, what << ": not ready in 30 s");
  };
  {
    proc.start("/bin/sh", {"-c", "exit 11"}, with_backend(backend));
    std::future<exit_status> waited = proc.async_wait(asio::use_future);
    run_on_thread(waited, "use_future wait");
    BOOST_TEST(waited.get() == exit_status::exited_with(11));
    proc.start("sleep", {"300"}, with_backend(backend));
    std::future<exit_status> terminated = proc.async_terminate(30s, asio::use_future);
    run_on_thread(terminated, "use_future terminate");
    BOOST_TEST(terminated.get() == exit_status::killed_by(SIGTERM));
    supervised_process none(io);
    std::future<exit_status> failed = none.async_wait(asio::use_future);
    run_on_thread(failed, "use_future without a child");
    BOOST_CHECK_THROW(failed.get(), boost::system::system_error);
  }
  io.restart();
  // deferred: nothing starts until it is invoked.
  {
    proc.start("/bin/sh", {"-c", "exit 12"}, with_backend(backend));
    auto op = proc.async_wait(asio::deferred);
    wait_result r;
    std::move(op)(r.handler());
    run_until(io, [&] { return r.done; }, "deferred wait");
    BOOST_TEST(r.status == exit_status::exited_with(12), r.status);
    proc.start("sleep", {"300"}, with_backend(backend));
    auto term = proc.async_terminate(30s, asio::deferred);
    io.restart();
    io.poll();
    BOOST_TEST(proc.running(), "a deferred terminate must not start before it is invoked");
    wait_result t;
    std::move(term)(t.handler());
    run_until(io, [&] { return t.done; }, "deferred terminate");
    BOOST_TEST(t.status == exit_status::killed_by(SIGTERM), t.status);
  }
  // use_awaitable.
  {
    std::optional<exit_status> waited, terminated;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      proc.start("/bin/sh", {"-c", "exit 13"}, with_backend(backend));
      waited = co_await proc.async_wait(asio::use_awaitable);
      proc.start("sleep", {"300"}, with_backend(backend));
      terminated = co_await proc.async_terminate(30s, asio::use_awaitable);
    }, asio::detached);
    run_until(io, [&] { return terminated.has_value(); }, "use_awaitable");
    BOOST_TEST((waited == exit_status::exited_with(13)));
    BOOST_TEST((terminated == exit_status::killed_by(SIGTERM)));
  }
}

BOOST_AUTO_TEST_SUITE_END()
