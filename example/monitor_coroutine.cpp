// SPDX-License-Identifier: BSL-1.0
// Watch a tree with C++20 coroutines: one coroutine makes changes, another reads events one at
// a time with async_next, and a timeout races the reader with awaitable operators.
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
#include <set>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

asio::awaitable<void> make_changes(fs::path dir) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int i = 0; i < 5; ++i) {
    std::ofstream(dir / ("file" + std::to_string(i) + ".txt")) << i;
    pause.expires_after(10ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<bool> wait_for_five(asio_fswatch::directory_monitor& monitor) {
  std::set<fs::path> created;
  while (created.size() < 5) {
    asio_fswatch::fs_event event = co_await monitor.async_next(asio::use_awaitable);
    std::cout << event << '\n';
    if (event.kind == asio_fswatch::event_kind::created)
      created.insert(event.path);
  }
  co_return true;
}

asio::awaitable<int> run(fs::path dir) {
  asio_fswatch::directory_monitor monitor(co_await asio::this_coro::executor);
  monitor.add(dir);
  asio::co_spawn(monitor.get_executor(), make_changes(dir), asio::detached);

  asio::steady_timer timeout(co_await asio::this_coro::executor, 60s);
  // Whichever finishes first cancels the other: the read completes with operation_aborted
  // through its cancellation slot, the timer wait likewise.
  auto result = co_await (wait_for_five(monitor) || timeout.async_wait(asio::use_awaitable));
  if (result.index() == 1) {
    std::cerr << "timed out\n";
    co_return EXIT_FAILURE;
  }
  co_return EXIT_SUCCESS;
}

int main() {
  fs::path dir = fs::temp_directory_path() / ("example_coroutine_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  asio::io_context ioc;
  int status = EXIT_FAILURE;
  asio::co_spawn(ioc, run(dir), [&](std::exception_ptr e, int s) {
    if (e)
      std::rethrow_exception(e);
    status = s;
  });
  ioc.run();
  fs::remove_all(dir);
  return status;
}
