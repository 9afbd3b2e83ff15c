// SPDX-License-Identifier: BSL-1.0
// Asio's rule that no handler runs inside the initiating function, checked for every async
// operation of every I/O object, on the paths that know their outcome at once: an object that is
// closed or has no child, a child that has ended already (reaped or not), bad arguments, empty
// buffers, a read at the end of a file, a missing path.
#include <asio_fswatch/child_watcher.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/random_access_file.hpp>
#include <asio_fswatch/stream_file.hpp>
#include <asio_fswatch/supervised_process.hpp>

#include <common/child_support.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace initiation_test {

namespace asio = boost::asio;
using asio_fswatch::child_backend;
using asio_fswatch::file_base;
using asio_fswatch::process_options;
using asio_fswatch::supervised_process;
using namespace std::chrono_literals;

/// Initiates an operation through `initiate`, which is given a handler for any signature, and
/// checks that the handler did not run before `initiate` returned, then that it runs.
template <typename Initiate>
void check_not_inline(asio::io_context& io, const std::string& what, Initiate initiate) {
  bool returned = false, early = false, done = false;
  initiate([&](auto&&...) {
    early = !returned;
    done = true;
  });
  returned = true;
  BOOST_TEST(!early, what << ": completed inside the initiating function");
  asio_fswatch::test::run_until(io, [&] { return done; }, what.c_str());
}

/// A child that has ended (a zombie until someone reaps it).
pid_t ended_child() {
  pid_t pid = ::fork();
  if (pid == 0)
    ::_exit(3);
  siginfo_t info{};
  ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT);
  return pid;
}

/// A process object (as Boost.Process v2's) for the watcher's third overload.
struct fake_process {
  pid_t pid;
  pid_t id() const { return pid; }
  int native_handle() const { return -1; }
  void detach() {}
};

process_options with_backend(child_backend backend) {
  process_options options;
  options.watcher.backend = backend;
  return options;
}

} // namespace initiation_test

using namespace initiation_test;

BOOST_AUTO_TEST_SUITE(initiation)

BOOST_DATA_TEST_CASE(child_watcher_never_completes_inside_initiation, asio_fswatch::test::child_backends(),
                     backend) {
  asio::io_context io;
  asio_fswatch::child_watcher watcher(io, asio_fswatch::child_watcher_options{backend});
  check_not_inline(io, "ended child", [&](auto h) { watcher.async_wait(ended_child(), h); });
  check_not_inline(io, "ended child, process object", [&](auto h) {
    static fake_process process{0};
    process.pid = ended_child();
    watcher.async_wait(process, h);
  });
  check_not_inline(io, "pid 0", [&](auto h) { watcher.async_wait(pid_t(0), h); });
  check_not_inline(io, "pid -1", [&](auto h) { watcher.async_wait(pid_t(-1), h); });
  check_not_inline(io, "not a child", [&](auto h) { watcher.async_wait(::getppid(), h); });
  check_not_inline(io, "bad pidfd", [&](auto h) { watcher.async_wait(asio_fswatch::process_handle_ref{-1}, h); });
  if constexpr (asio_fswatch::test::has_linux_mechanisms) { // else no pidfds: generic POSIX
    pid_t pid = ended_child();
    int pidfd = asio_fswatch::detail::open_pidfd(pid);
    BOOST_TEST_REQUIRE(pidfd >= 0);
    check_not_inline(io, "ended child, pidfd",
                     [&](auto h) { watcher.async_wait(asio_fswatch::process_handle_ref{pidfd}, h); });
    ::close(pidfd);
  }
  // A moved-from watcher.
  asio_fswatch::child_watcher moved(std::move(watcher));
  check_not_inline(io, "moved-from watcher, ended child", [&](auto h) { watcher.async_wait(ended_child(), h); });
}

BOOST_DATA_TEST_CASE(supervised_process_never_completes_inside_initiation, asio_fswatch::test::child_backends(),
                     backend) {
  asio::io_context io;
  supervised_process none(io);
  check_not_inline(io, "wait, no child", [&](auto h) { none.async_wait(h); });
  check_not_inline(io, "terminate, no child", [&](auto h) { none.async_terminate(1s, h); });

  supervised_process proc(io, "/bin/sh", {"-c", "exit 4"}, with_backend(backend));
  siginfo_t info{};
  BOOST_TEST_REQUIRE(::waitid(P_PID, id_t(proc.id()), &info, WEXITED | WNOWAIT) == 0);
  check_not_inline(io, "terminate, bad signal", [&](auto h) { proc.async_terminate(1000, 1s, h); });
  check_not_inline(io, "terminate, ended but not reaped", [&](auto h) { proc.async_terminate(1s, h); });
  BOOST_TEST(!proc.running());
  check_not_inline(io, "wait, reaped", [&](auto h) { proc.async_wait(h); });
  check_not_inline(io, "terminate, reaped", [&](auto h) { proc.async_terminate(1s, h); });
  check_not_inline(io, "terminate, reaped, zero grace", [&](auto h) { proc.async_terminate(0s, h); });

  supervised_process moved(std::move(proc));
  check_not_inline(io, "wait, moved-from", [&](auto h) { proc.async_wait(h); });
  check_not_inline(io, "terminate, moved-from", [&](auto h) { proc.async_terminate(1s, h); });
}

BOOST_AUTO_TEST_CASE(directory_monitor_never_completes_inside_initiation) {
  asio::io_context io;
  asio_fswatch::directory_monitor monitor(io);
  check_not_inline(io, "read, no root", [&](auto h) {
    monitor.async_read_events(h);
    monitor.cancel();
  });
  monitor.close();
  check_not_inline(io, "read, closed", [&](auto h) { monitor.async_read_events(h); });
  check_not_inline(io, "next, closed", [&](auto h) { monitor.async_next(h); });
}

BOOST_AUTO_TEST_CASE(files_never_complete_inside_initiation) {
  asio::io_context io;
  asio_fswatch::test::temp_dir dir("asio_fswatch_init");
  const std::string path = (dir / "f").string();
  std::ofstream(path) << "abc";
  char byte[1] = {};

  asio_fswatch::random_access_file closed(io);
  check_not_inline(io, "read_some_at, closed", [&](auto h) { closed.async_read_some_at(0, asio::buffer(byte), h); });
  check_not_inline(io, "write_some_at, closed", [&](auto h) { closed.async_write_some_at(0, asio::buffer(byte), h); });
  check_not_inline(io, "sync_all, closed", [&](auto h) { closed.async_sync_all(h); });
  check_not_inline(io, "sync_data, closed", [&](auto h) { closed.async_sync_data(h); });
  check_not_inline(io, "resize, closed", [&](auto h) { closed.async_resize(0, h); });
  check_not_inline(io, "allocate, closed", [&](auto h) { closed.async_allocate(0, 1, h); });

  asio_fswatch::random_access_file file(io, path, file_base::read_write);
  check_not_inline(io, "read_some_at, empty buffer", [&](auto h) { file.async_read_some_at(0, asio::buffer(byte, 0), h); });
  check_not_inline(io, "write_some_at, empty buffer",
                   [&](auto h) { file.async_write_some_at(0, asio::buffer(byte, 0), h); });
  check_not_inline(io, "read_some_at, at the end", [&](auto h) { file.async_read_some_at(3, asio::buffer(byte), h); });
  check_not_inline(io, "allocate, zero length", [&](auto h) { file.async_allocate(0, 0, h); });

  asio_fswatch::stream_file closed_stream(io);
  check_not_inline(io, "read_some, closed", [&](auto h) { closed_stream.async_read_some(asio::buffer(byte), h); });
  check_not_inline(io, "write_some, closed", [&](auto h) { closed_stream.async_write_some(asio::buffer(byte), h); });
  asio_fswatch::stream_file stream(io, path, file_base::read_write);
  check_not_inline(io, "read_some, empty buffer", [&](auto h) { stream.async_read_some(asio::buffer(byte, 0), h); });
  check_not_inline(io, "write_some, empty buffer", [&](auto h) { stream.async_write_some(asio::buffer(byte, 0), h); });

  check_not_inline(io, "read_file, missing", [&](auto h) { asio_fswatch::async_read_file(io, dir / "missing", h); });
  check_not_inline(io, "read_file, empty path", [&](auto h) { asio_fswatch::async_read_file(io, "", h); });
  check_not_inline(io, "copy_file, missing",
                   [&](auto h) { asio_fswatch::async_copy_file(io, dir / "missing", dir / "to", h); });
  check_not_inline(io, "copy_file, onto itself", [&](auto h) { asio_fswatch::async_copy_file(io, path, path, h); });
}

BOOST_AUTO_TEST_SUITE_END()
