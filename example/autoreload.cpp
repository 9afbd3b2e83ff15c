// SPDX-License-Identifier: BSL-1.0
// Auto-reload, the library-level version of `asio-fswatch run`: a command runs under a
// supervised_process, and whenever a file of the watched directory changes, it is stopped with
// its whole process group and started again. Changes are debounced: a burst gives one restart.
// All of it is three coroutines on one io_context; no thread.
//
// To stay a self-checking test, the program edits the watched file itself, waits for the
// restart, and exits 0 once the command has been restarted and finally stopped.
#include <asio_fswatch/asio_fswatch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

const std::vector<std::string> command = {"-c", "echo \"  command started, pid $$\"; exec sleep 60"};
constexpr auto debounce = 100ms;
constexpr auto grace = 2s;

/// Waits for a change, then for `debounce` without one: the whole burst is one restart.
asio::awaitable<void> wait_for_quiet_change(asio_fswatch::directory_monitor& monitor) {
  co_await monitor.async_read_events(asio::use_awaitable);
  asio::steady_timer quiet(co_await asio::this_coro::executor);
  for (;;) {
    quiet.expires_after(debounce);
    // A read cancelled by the timer loses no event: the monitor keeps them for the next read.
    auto first = co_await (monitor.async_read_events(asio::use_awaitable) || quiet.async_wait(asio::use_awaitable));
    if (first.index() == 1)
      co_return;
  }
}

/// Starts the command, and restarts it after every change, for ever (until cancelled).
asio::awaitable<void> supervise(asio_fswatch::directory_monitor& monitor, asio_fswatch::supervised_process& app,
                                int& restarts) {
  app.start("sh", command);
  for (;;) {
    co_await wait_for_quiet_change(monitor);
    asio_fswatch::exit_status status = co_await app.async_terminate(grace, asio::use_awaitable);
    std::cout << "change seen: stopped the command (" << status << "), starting it again\n";
    app.start("sh", command);
    ++restarts;
  }
}

/// What a user would do: edit the file, once the command runs.
asio::awaitable<void> edit_after(fs::path file, std::chrono::milliseconds delay) {
  asio::steady_timer pause(co_await asio::this_coro::executor, delay);
  co_await pause.async_wait(asio::use_awaitable);
  std::cout << "editing " << file.filename() << '\n';
  std::ofstream(file) << "port = 8081\n";
}

asio::awaitable<int> run(fs::path dir) {
  auto ex = co_await asio::this_coro::executor;
  asio_fswatch::directory_monitor monitor(ex);
  monitor.add(dir);
  asio_fswatch::supervised_process app(ex);
  int restarts = 0;

  asio::co_spawn(ex, edit_after(dir / "app.conf", 300ms), asio::detached);
  // Supervise until the first restart has happened (or a minute, as a safety net), then stop.
  asio::steady_timer check(ex);
  auto until_restarted = [&]() -> asio::awaitable<void> {
    while (restarts == 0) {
      check.expires_after(20ms);
      co_await check.async_wait(asio::use_awaitable);
    }
  };
  asio::steady_timer limit(ex, 60s);
  auto first = co_await (supervise(monitor, app, restarts) || until_restarted() ||
                         limit.async_wait(asio::use_awaitable));
  if (first.index() == 2) {
    std::cerr << "no restart within a minute\n";
    co_return EXIT_FAILURE;
  }
  asio_fswatch::exit_status last = co_await app.async_terminate(grace, asio::use_awaitable);
  std::cout << "done: " << restarts << " restart, last command " << last << '\n';
  co_return restarts == 1 && last.killed() ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main() {
  fs::path dir = fs::temp_directory_path() / ("example_autoreload_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "app.conf") << "port = 8080\n";
  asio::io_context io;
  int status = EXIT_FAILURE;
  asio::co_spawn(io, run(dir), [&](std::exception_ptr e, int result) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& what) {
        std::cerr << "error: " << what.what() << '\n';
      }
    }
    status = e ? EXIT_FAILURE : result;
  });
  io.run();
  fs::remove_all(dir);
  return status;
}
