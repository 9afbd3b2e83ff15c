// SPDX-License-Identifier: BSL-1.0
// supervised_process on every platform (Linux: a process group; Windows under Wine: a Job
// Object): exit codes, the pipes, async_terminate with a grace period that the child outlives,
// a grandchild stopped with its parent (by async_terminate and by the destructor), detach, a
// program that is not there, and many children at once.
#include <asio_fswatch/supervised_process.hpp>

#include <common/child_helper.hpp>
#include <common/child_support.hpp>
#include <common/process_alive.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <istream>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#if defined(_WIN32)
#include <windows.h>

#include <filesystem>
#include <fstream>
#else
#include <common/process_list.hpp>

#include <signal.h>
#include <sys/wait.h>
#endif

namespace asio = boost::asio;
using asio_fswatch::exit_status;
using asio_fswatch::process_options;
using asio_fswatch::stdio_mode;
using asio_fswatch::supervised_process;
using boost::system::error_code;

namespace {

using asio_fswatch::test::child_helper_path;
using asio_fswatch::test::run_until;
using asio_fswatch::test::wait_result;

std::string helper() { return child_helper_path().string(); }

wait_result wait_for(asio::io_context& io, supervised_process& p) {
  wait_result r;
  p.async_wait(r.handler());
  run_until(io, [&] { return r.done; }, "async_wait");
  return r;
}

wait_result terminate(asio::io_context& io, supervised_process& p, std::chrono::milliseconds grace) {
  wait_result r;
  p.async_terminate(grace, r.handler());
  run_until(io, [&] { return r.done; }, "async_terminate");
  return r;
}

using asio_fswatch::test::ends_soon;
using asio_fswatch::test::running;

/// Reads one line from the child's stdout.
std::string read_line(asio::io_context& io, supervised_process& p) {
  asio::streambuf buffer;
  bool done = false;
  error_code got;
  asio::async_read_until(p.stdout_pipe(), buffer, '\n', [&](error_code ec, std::size_t) {
    got = ec;
    done = true;
  });
  run_until(io, [&] { return done; }, "a line from the child");
  BOOST_TEST_REQUIRE(!got, got.message());
  std::istream in(&buffer);
  std::string line;
  std::getline(in, line);
  return line;
}

} // namespace

BOOST_AUTO_TEST_SUITE(supervised_process_everywhere)

BOOST_AUTO_TEST_CASE(exit_codes_and_a_program_that_is_not_there) {
  asio::io_context io;
  for (int code : {0, 3, 42}) {
    supervised_process p(io, helper(), {"exit", std::to_string(code)});
    BOOST_TEST(p.running());
    wait_result r = wait_for(io, p);
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.status.exited());
    BOOST_TEST(r.status.code() == code);
    BOOST_TEST(!p.running());
  }
  supervised_process missing(io);
  error_code ec;
  missing.start("asio_fswatch_no_such_program_here", {}, {}, ec);
  BOOST_TEST((ec == std::errc::no_such_file_or_directory), ec.message());
  BOOST_TEST(!missing.running());
  wait_result r = wait_for(io, missing);
  BOOST_TEST((r.ec == asio_fswatch::errc::no_child), r.ec.message());
}

#if defined(_WIN32)
// A batch file runs in cmd.exe, which reads its command line by other rules: an argument that
// cmd would take as another command is refused before anything starts.
BOOST_AUTO_TEST_CASE(a_batch_file_with_an_argument_cmd_would_run_is_refused) {
  asio::io_context io;
  const std::filesystem::path script = std::filesystem::temp_directory_path() / "asio_fswatch_refused.cmd";
  std::ofstream(script) << "@echo %1\r\n";
  supervised_process p(io);
  for (const char* dangerous : {"a&calc", "\"&calc", "x|y", "%PATH%", "^"}) {
    error_code ec;
    p.start(script.string(), {dangerous}, {}, ec);
    BOOST_TEST((ec == std::errc::invalid_argument), dangerous << ": " << ec.message());
    BOOST_TEST(!p.running());
  }
  std::filesystem::remove(script);
}
#endif

BOOST_AUTO_TEST_CASE(pipes_carry_stdin_and_stdout) {
  asio::io_context io;
  process_options options;
  options.stdin_mode = stdio_mode::pipe;
  options.stdout_mode = stdio_mode::pipe;
  supervised_process p(io, helper(), {"echo"}, options);
  const std::string text = "through stdin and back\n";
  bool written = false;
  asio::async_write(p.stdin_pipe(), asio::buffer(text), [&](error_code ec, std::size_t) {
    BOOST_TEST(!ec, ec.message());
    written = true;
  });
  run_until(io, [&] { return written; }, "the write to stdin");
  BOOST_TEST(read_line(io, p) == "through stdin and back");
  p.stdin_pipe().close(); // the end of its input: it exits
  wait_result r = wait_for(io, p);
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status.code() == 0);

  // Arguments with blanks, quotes and backslashes arrive whole and unchanged (Windows: the
  // command line is quoted here and parsed back by the child's runtime).
  process_options out;
  out.stdout_mode = stdio_mode::pipe;
  const std::vector<std::string> awkward_ones{"he said \"hi\" \\ there\\", std::string(), "ends in two\\\\",
                                               "\\\"", "tab\tinside", "plain"};
  for (const std::string& awkward : awkward_ones) {
    BOOST_TEST_CONTEXT("argument [" << awkward << "]") {
      supervised_process printer(io, helper(), {"print", awkward}, out);
      BOOST_TEST(read_line(io, printer) == awkward);
      BOOST_TEST(wait_for(io, printer).status.code() == 0);
    }
  }

  process_options quiet;
  quiet.stdout_mode = stdio_mode::null;
  supervised_process q(io, helper(), {"print", "nowhere"}, quiet);
  BOOST_TEST(wait_for(io, q).status.code() == 0);
}

// POSIX: SIGTERM ends the child and its grandchild. Windows: under Wine (no console for
// CTRL_BREAK) the grace period runs out and the job is ended. Either way async_terminate
// completes with the child's status and nothing of the tree is left.
BOOST_AUTO_TEST_CASE(terminate_ends_the_child_and_its_grandchild) {
  asio::io_context io;
  process_options options;
  options.stdout_mode = stdio_mode::pipe;
  options.stop_descendants = true;
  supervised_process p(io, helper(), {"grandchild"}, options);
  const unsigned long grandchild = std::stoul(read_line(io, p));
  BOOST_TEST_REQUIRE(grandchild != 0u, "the helper could not start its own child");
  BOOST_TEST(running(grandchild));
  wait_result r = terminate(io, p, std::chrono::milliseconds(300));
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status.has_value(), r.status.to_string());
  BOOST_TEST(!p.running());
  BOOST_TEST(ends_soon(grandchild), "the grandchild " << grandchild << " outlived async_terminate");
}

BOOST_AUTO_TEST_CASE(destructor_ends_the_child_and_its_grandchild) {
  asio::io_context io;
  process_options options;
  options.stdout_mode = stdio_mode::pipe;
  options.stop_descendants = true;
  unsigned long child = 0, grandchild = 0;
  {
    supervised_process p(io, helper(), {"grandchild"}, options);
    child = static_cast<unsigned long>(p.id());
    grandchild = std::stoul(read_line(io, p));
    BOOST_TEST_REQUIRE(grandchild != 0u);
  }
  BOOST_TEST(ends_soon(child), "the child outlived its supervisor");
  BOOST_TEST(ends_soon(grandchild), "the grandchild outlived the supervisor");
}

BOOST_AUTO_TEST_CASE(detach_leaves_the_child_running) {
  asio::io_context io;
  unsigned long pid = 0;
  {
    supervised_process p(io, helper(), {"sleep"});
    pid = static_cast<unsigned long>(p.id());
    p.detach();
    BOOST_TEST(!p.running());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_TEST(running(pid), "a detached child must keep running");
  // End it by hand.
#if defined(_WIN32)
  HANDLE h = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, DWORD(pid));
  BOOST_TEST_REQUIRE(h != nullptr);
  ::TerminateProcess(h, 0);
  ::WaitForSingleObject(h, 30000);
  ::CloseHandle(h);
#else
  ::kill(pid_t(pid), SIGKILL);
  ::waitpid(pid_t(pid), nullptr, 0);
#endif
}

BOOST_AUTO_TEST_CASE(a_wait_cancelled_by_its_slot_leaves_the_child_running) {
  asio::io_context io;
  supervised_process p(io, helper(), {"sleep"});
  asio::cancellation_signal signal;
  wait_result r;
  p.async_wait(asio::bind_cancellation_slot(signal.slot(), r.handler()));
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  BOOST_TEST_REQUIRE(!r.done);
  signal.emit(asio::cancellation_type::total);
  run_until(io, [&] { return r.done; }, "the cancelled wait");
  BOOST_TEST((r.ec == asio::error::operation_aborted), r.ec.message());
  BOOST_TEST(p.running());
  BOOST_TEST(terminate(io, p, std::chrono::milliseconds(100)).status.has_value());
}

BOOST_AUTO_TEST_CASE(many_children_at_once) {
  asio::io_context io;
  constexpr int count = 50;
  std::vector<std::unique_ptr<supervised_process>> children;
  std::vector<wait_result> results(count);
  for (int i = 0; i < count; ++i) {
    children.push_back(std::make_unique<supervised_process>(io, helper(), std::vector<std::string>{"exit", std::to_string(i)}));
    children.back()->async_wait(results[std::size_t(i)].handler());
  }
  run_until(io, [&] {
    for (const wait_result& r : results)
      if (!r.done)
        return false;
    return true;
  }, "every child");
  for (int i = 0; i < count; ++i) {
    BOOST_TEST(!results[std::size_t(i)].ec, results[std::size_t(i)].ec.message());
    BOOST_TEST(results[std::size_t(i)].status.code() == i);
  }
}

BOOST_AUTO_TEST_SUITE_END()
