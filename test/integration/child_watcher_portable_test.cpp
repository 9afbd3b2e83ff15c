// SPDX-License-Identifier: BSL-1.0
// child_watcher on every platform (Linux with both mechanisms, Windows under Wine with the
// process handle): children of the child_helper program, started with Boost.Process v2, waited
// on by process object, by pid and by handle; exit codes, crashes, processes that ended before
// the wait, two hundred at once, each cancellation type, cancel() and destruction, bad pids,
// completion tokens and the choice of mechanism.
#include <asio_fswatch/child_watcher.hpp>
#include <asio_fswatch/error.hpp>

#include <common/child_helper.hpp>
#include <common/child_support.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/data/test_case.hpp>

#if !defined(_WIN32)
#include <sys/syscall.h>
#endif

#include <cstdint>
#include <future>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;
using asio_fswatch::child_backend;
using asio_fswatch::child_watcher;
using asio_fswatch::exit_status;
using boost::system::error_code;

// Named, not anonymous: the data test cases are templates whose lambdas capture these types.
namespace child_watcher_portable_test {

const auto backends = asio_fswatch::test::child_backends();
using asio_fswatch::test::block_until_ended;
using asio_fswatch::test::run_until;
using asio_fswatch::test::start_helper;
using asio_fswatch::test::wait_result;

/// How a crash of child_helper (a write through a null pointer) ends.
bool is_the_crash(const exit_status& status) {
#if defined(_WIN32)
  return status.exception() && status.ntstatus() == 0xC0000005u &&
         status.to_string() == "ended by exception 0xC0000005 (access violation)";
#else
  return status.killed() && status.signal() == SIGSEGV && !status.core_dumped();
#endif
}

/// A handle on `process` of the caller's own: a pidfd on Linux (Boost.Process 1.81 gives none
/// there), a duplicate of the object's HANDLE on Windows.
asio_fswatch::process_handle_ref::native_handle_type process_handle_of(bp2::process& process) {
#if defined(_WIN32)
  HANDLE copy = nullptr;
  BOOST_TEST_REQUIRE(::DuplicateHandle(::GetCurrentProcess(), process.native_handle(), ::GetCurrentProcess(), &copy,
                                       0, FALSE, DUPLICATE_SAME_ACCESS));
  return copy;
#else
  const int fd = int(::syscall(SYS_pidfd_open, process.id(), 0));
  BOOST_TEST_REQUIRE(fd >= 0, "pidfd_open failed");
  return fd;
#endif
}

/// Closes a handle from process_handle_of(), which must still be open.
void close_process_handle(asio_fswatch::process_handle_ref::native_handle_type handle) {
#if defined(_WIN32)
  BOOST_TEST(::CloseHandle(handle), "the caller's handle was closed by the watcher");
#else
  BOOST_TEST(::close(handle) == 0, "the caller's pidfd was closed by the watcher");
#endif
}

} // namespace child_watcher_portable_test

using namespace child_watcher_portable_test;

BOOST_AUTO_TEST_SUITE(child_watcher_everywhere)

BOOST_DATA_TEST_CASE(exit_codes_by_process_object, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  const std::vector<std::string> codes = {"0", "1", "3", "255"};
  std::vector<bp2::process> children;
  for (const std::string& code : codes)
    children.push_back(start_helper(io, {"exit", code}));
  std::vector<wait_result> results(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i)
    watcher.async_wait(children[i], results[i].handler());
  BOOST_TEST(!results[0].done, "completed inside the initiating call");
  run_until(io, [&] { return results[0].done && results[1].done && results[2].done && results[3].done; },
            "exit codes");
  for (std::size_t i = 0; i < codes.size(); ++i) {
    BOOST_TEST(!results[i].ec, results[i].ec.message());
    BOOST_TEST(results[i].status == exit_status::exited_with(std::stoi(codes[i])));
    BOOST_TEST(results[i].status.success() == (i == 0));
    BOOST_TEST(!children[i].is_open(), "the process object must be detached once its process ended");
  }
}

#if defined(_WIN32)
BOOST_DATA_TEST_CASE(windows_exit_codes_of_32_bits, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  bp2::process big = start_helper(io, {"exit", "0x12345678"});
  bp2::process exits_with_a_status = start_helper(io, {"exit", "0xC0000409"});
  wait_result r_big, r_exception;
  watcher.async_wait(big, r_big.handler());
  watcher.async_wait(exits_with_a_status, r_exception.handler());
  run_until(io, [&] { return r_big.done && r_exception.done; }, "32-bit exit codes");
  BOOST_TEST(r_big.status == exit_status::exited_with(0x12345678));
  // A program that exits with an exception's code is taken for that exception, as every
  // Windows tool takes it.
  BOOST_TEST(r_exception.status == exit_status::ended_by_exception(0xC0000409u));
}
#endif

BOOST_DATA_TEST_CASE(a_crash_is_not_an_exit_code, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  bp2::process child = start_helper(io, {"crash"});
  wait_result r;
  watcher.async_wait(child, r.handler());
  run_until(io, [&] { return r.done; }, "crashing child");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(is_the_crash(r.status), r.status.to_string());
  BOOST_TEST(r.status.code() == -1);
  BOOST_TEST(!r.status.success());
}

BOOST_DATA_TEST_CASE(by_pid_and_by_handle, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  bp2::process by_pid = start_helper(io, {"exit", "21"});
  bp2::process by_handle = start_helper(io, {"exit", "22"});
  wait_result r_pid, r_handle;
  watcher.async_wait(asio_fswatch::pid_type(by_pid.id()), r_pid.handler());
#if defined(ASIO_FSWATCH_POSIX) && !defined(ASIO_FSWATCH_LINUX)
  // Process handles are pidfds, which only Linux has: a wait on one is refused, and the child
  // is left alone.
  watcher.async_wait(asio_fswatch::process_handle_ref{0}, r_handle.handler());
  BOOST_TEST(!r_handle.done, "completed inside the initiating call");
  run_until(io, [&] { return r_pid.done && r_handle.done; }, "wait by pid, and a refused wait by handle");
  BOOST_TEST((r_handle.ec == asio_fswatch::errc::backend_unavailable), r_handle.ec.message());
  BOOST_TEST(by_handle.wait() == 22);
#else
  const asio_fswatch::process_handle_ref handle{process_handle_of(by_handle)};
  watcher.async_wait(handle, r_handle.handler());
  BOOST_TEST(!r_pid.done, "completed inside the initiating call");
  run_until(io, [&] { return r_pid.done && r_handle.done; }, "waits by pid and by handle");
  BOOST_TEST(!r_handle.ec, r_handle.ec.message());
  BOOST_TEST(r_handle.status == exit_status::exited_with(22));
  // The handle stays the caller's, open.
  close_process_handle(handle.handle);
#endif
  BOOST_TEST(!r_pid.ec, r_pid.ec.message());
  BOOST_TEST(r_pid.status == exit_status::exited_with(21));
  // On POSIX the watcher reaped both: the objects must not touch those pids again.
  by_pid.detach();
  by_handle.detach();
}

BOOST_DATA_TEST_CASE(process_that_ended_before_the_wait, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  bp2::process child = start_helper(io, {"exit", "7"});
  block_until_ended(child);
  wait_result r;
  watcher.async_wait(child, r.handler());
  BOOST_TEST(!r.done, "completed inside the initiating call");
  run_until(io, [&] { return r.done; }, "ended child");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status == exit_status::exited_with(7));
}

BOOST_DATA_TEST_CASE(two_hundred_at_once, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  constexpr int n = 200; // on Windows, more waits than several of the system pool's wait threads hold (64 each)
  std::vector<bp2::process> children;
  std::vector<wait_result> results(n);
  for (int i = 0; i < n; ++i)
    children.push_back(start_helper(io, {"exit", std::to_string(i)}));
  for (int i = 0; i < n; ++i)
    watcher.async_wait(children[std::size_t(i)], results[std::size_t(i)].handler());
  run_until(io, [&] {
    for (const wait_result& r : results)
      if (!r.done)
        return false;
    return true;
  }, "two hundred children");
  for (int i = 0; i < n; ++i)
    BOOST_TEST(results[std::size_t(i)].status == exit_status::exited_with(i), "child " << i);
}

BOOST_DATA_TEST_CASE(cancellation_of_each_type_leaves_the_process_alone, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  bp2::process child = start_helper(io, {"sleep"});
  for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                    asio::cancellation_type::total}) {
    asio::cancellation_signal signal;
    wait_result r;
    watcher.async_wait(child, asio::bind_cancellation_slot(signal.slot(), r.handler()));
    io.poll();
    BOOST_TEST_REQUIRE(!r.done, "completed while the process runs");
    signal.emit(type);
    run_until(io, [&] { return r.done; }, "cancelled wait");
    BOOST_TEST(r.ec == asio::error::operation_aborted, r.ec.message());
    BOOST_TEST(!r.status.has_value());
    BOOST_TEST(child.running(), "a cancelled wait leaves the process running");
  }
  // A later wait still gets the status.
  wait_result last;
  watcher.async_wait(child, last.handler());
  child.terminate();
  run_until(io, [&] { return last.done; }, "wait after the cancellations");
  BOOST_TEST(!last.ec, last.ec.message());
  BOOST_TEST(last.status.has_value());
}

BOOST_DATA_TEST_CASE(cancel_and_destruction, backends, backend) {
  asio::io_context io;
  bp2::process child = start_helper(io, {"sleep"});
  wait_result by_cancel, by_destruction;
  child_watcher watcher(io, {backend});
  watcher.async_wait(child, by_cancel.handler());
  {
    child_watcher doomed(io, {backend});
    doomed.async_wait(child, by_destruction.handler());
    io.poll();
  }
  watcher.cancel();
  run_until(io, [&] { return by_cancel.done && by_destruction.done; }, "cancel() and destruction");
  BOOST_TEST(by_cancel.ec == asio::error::operation_aborted);
  BOOST_TEST(by_destruction.ec == asio::error::operation_aborted);
  BOOST_TEST(child.running());
} // Boost.Process ends the process

BOOST_DATA_TEST_CASE(bad_pids, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  wait_result zero, nobody;
  watcher.async_wait(asio_fswatch::pid_type(0), zero.handler());
  // No process has this id: above Linux's pid_max limit, and not a multiple of 4 on Windows.
  watcher.async_wait(asio_fswatch::pid_type(0x3FFFFFF1), nobody.handler());
  BOOST_TEST(!zero.done, "completed inside the initiating call");
  run_until(io, [&] { return zero.done && nobody.done; }, "bad pids");
  BOOST_TEST((zero.ec == boost::system::errc::invalid_argument), zero.ec.message());
  BOOST_TEST((nobody.ec == boost::system::errc::no_such_process), nobody.ec.message());
  BOOST_TEST(!nobody.status.has_value());
}

BOOST_DATA_TEST_CASE(use_future_with_the_context_on_another_thread, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  bp2::process child = start_helper(io, {"exit", "11"});
  std::future<exit_status> f = watcher.async_wait(child, asio::use_future);
  const bool ready = f.wait_for(asio_fswatch::test::child_patience) == std::future_status::ready;
  work.reset();
  runner.join();
  BOOST_TEST_REQUIRE(ready, "use_future: not ready in 30 s");
  BOOST_TEST(f.get().code() == 11);
}

BOOST_DATA_TEST_CASE(deferred_starts_nothing_until_invoked, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  bp2::process child = start_helper(io, {"exit", "12"});
  auto op = watcher.async_wait(child, asio::deferred);
  io.poll();
  BOOST_TEST(child.is_open(), "a deferred wait ran before it was invoked");
  wait_result r;
  std::move(op)(r.handler());
  run_until(io, [&] { return r.done; }, "deferred");
  BOOST_TEST(r.status.code() == 12);
}

BOOST_DATA_TEST_CASE(use_awaitable, backends, backend) {
  asio::io_context io;
  child_watcher watcher(io, {backend});
  bp2::process child = start_helper(io, {"exit", "13"});
  std::optional<int> code;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    exit_status s = co_await watcher.async_wait(child, asio::use_awaitable);
    code = s.code();
  }, asio::detached);
  run_until(io, [&] { return code.has_value(); }, "use_awaitable");
  BOOST_TEST(code.value_or(-1) == 13);
}

BOOST_AUTO_TEST_CASE(a_mechanism_the_platform_lacks_is_refused) {
  asio::io_context io;
#if defined(_WIN32)
  BOOST_TEST(child_watcher(io).backend() == child_backend::process_handle);
  const child_backend missing = child_backend::pidfd;
#elif defined(ASIO_FSWATCH_LINUX)
  const child_backend missing = child_backend::process_handle;
#else
  BOOST_TEST(child_watcher(io).backend() == child_backend::sigchld); // generic POSIX: no pidfd
  const child_backend missing = child_backend::pidfd;
#endif
  child_watcher watcher(io, {missing});
  BOOST_TEST(watcher.backend() == child_backend::automatic);
  bp2::process child = start_helper(io, {"exit", "0"});
  wait_result r;
  watcher.async_wait(child, r.handler());
  run_until(io, [&] { return r.done; }, "refused mechanism");
  BOOST_TEST((r.ec == asio_fswatch::errc::backend_unavailable), r.ec.message());
  child.wait();
}

BOOST_AUTO_TEST_SUITE_END()
