// SPDX-License-Identifier: BSL-1.0
// Wait for several child processes at once with C++20 coroutines: each child gets a coroutine
// that co_awaits child_watcher::async_wait, which reaps the child and says how it ended.
#include <asio_fswatch/child_watcher.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <spawn.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <string>
#include <system_error>

extern char** environ;

namespace asio = boost::asio;
using asio_fswatch::exit_status;

struct child {
  std::string script; // run with /bin/sh -c
  exit_status expected;
};

// Any child of this process can be waited for, however it was started (fork, posix_spawn,
// Boost.Process...): the watcher only needs its pid.
pid_t spawn_shell(const std::string& script) {
  const char* argv[] = {"sh", "-c", script.c_str(), nullptr};
  pid_t pid = -1;
  if (int err = ::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ))
    throw std::system_error(err, std::generic_category(), "posix_spawn /bin/sh");
  return pid;
}

// One child: suspended until it ends, without blocking the thread or the other coroutines.
asio::awaitable<bool> wait_for(asio_fswatch::child_watcher& watcher, pid_t pid, child c) {
  exit_status status = co_await watcher.async_wait(pid, asio::use_awaitable);
  std::cout << "'" << c.script << "': " << status << '\n'; // e.g. "exited with code 3"
  if (status != c.expected)
    std::cerr << "  expected: " << c.expected << '\n';
  co_return status == c.expected;
}

int main() {
  const child children[] = {
      {"exit 0", exit_status::exited_with(0)},
      {"sleep 0.2; exit 3", exit_status::exited_with(3)},
      {"exit 42", exit_status::exited_with(42)},
      {"kill -TERM $$", exit_status::killed_by(SIGTERM)}, // a signal is not an exit code
  };
  asio::io_context io;
  // pidfd where the kernel allows it, else SIGCHLD (ASIO_FSWATCH_CHILD_BACKEND=sigchld forces it).
  asio_fswatch::child_watcher watcher(io);
  int failures = 0;
  for (const child& c : children) {
    asio::co_spawn(io, wait_for(watcher, spawn_shell(c.script), c), [&](std::exception_ptr e, bool as_expected) {
      if (e) { // use_awaitable reports a failed wait as an exception
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& error) {
          std::cerr << "wait failed: " << error.what() << '\n';
        }
      }
      failures += e || !as_expected ? 1 : 0;
    });
  }
  io.run(); // returns once every child has been reaped
  std::cout << std::size(children) << " children waited for with the "
            << asio_fswatch::to_string(watcher.backend()) << " backend\n";
  if (failures != 0) {
    std::cerr << failures << " child(ren) did not end as expected\n";
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
