// SPDX-License-Identifier: BSL-1.0
// The README's read loop: a coroutine that reads every root of a monitor for as long as it runs.
// A root that goes away ends only itself (one read completes with errc::root_removed, after
// that root's last events); the loop goes on reading the others. The program removes one of two
// roots, then changes the other, and exits 0 once that change has been read.
#include <asio_fswatch/asio_fswatch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <vector>

#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The loop of the README (which prints instead of keeping the events).
asio::awaitable<void> watch(asio_fswatch::directory_monitor& monitor, std::vector<asio_fswatch::fs_event>& seen) {
  for (;;) {
    auto [ec, events] = co_await monitor.async_read_events(asio::as_tuple(asio::use_awaitable));
    if (ec == asio_fswatch::errc::root_removed) {
      std::cout << "a watched root went away; the others are still watched\n";
      continue;
    }
    if (ec) { // closed or cancelled: the end; anything else deserves a message
      if (ec != asio::error::operation_aborted && ec != asio_fswatch::errc::monitor_closed)
        std::cerr << "watch: " << ec.message() << '\n';
      co_return;
    }
    for (const asio_fswatch::fs_event& e : events) {
      std::cout << e << '\n';
      seen.push_back(e);
    }
  }
}

bool saw(const std::vector<asio_fswatch::fs_event>& seen, asio_fswatch::event_kind kind, const fs::path& path) {
  return std::any_of(seen.begin(), seen.end(),
                     [&](const asio_fswatch::fs_event& e) { return e.kind == kind && e.path == path; });
}

// Waits (at most 30 s) until `done` holds.
asio::awaitable<bool> wait_until(std::function<bool()> done) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (auto deadline = std::chrono::steady_clock::now() + 30s; !done();) {
    if (std::chrono::steady_clock::now() > deadline)
      co_return false;
    pause.expires_after(10ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
  co_return true;
}

asio::awaitable<int> drive(asio_fswatch::directory_monitor& monitor, fs::path first, fs::path second,
                           const std::vector<asio_fswatch::fs_event>& seen) {
  fs::remove_all(first);
  if (!co_await wait_until([&] { return saw(seen, asio_fswatch::event_kind::removed, first); })) {
    std::cerr << "the removed root was not reported\n";
    co_return EXIT_FAILURE;
  }
  std::ofstream(second / "after.txt") << "still watched";
  bool ok = co_await wait_until([&] { return saw(seen, asio_fswatch::event_kind::created, second / "after.txt"); });
  if (!ok)
    std::cerr << "the other root was not read after the first went away\n";
  monitor.close(); // ends the read loop
  co_return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main() {
  const fs::path dir = fs::temp_directory_path() / ("example_watch_roots_" + std::to_string(::getpid()));
  fs::create_directories(dir / "first");
  fs::create_directories(dir / "second");
  asio::io_context ioc;
  asio_fswatch::directory_monitor monitor(ioc);
  monitor.add(dir / "first");
  monitor.add(dir / "second");
  std::vector<asio_fswatch::fs_event> seen;
  asio::co_spawn(ioc, watch(monitor, seen), asio::detached);
  int status = EXIT_FAILURE;
  asio::co_spawn(ioc, drive(monitor, dir / "first", dir / "second", seen), [&](std::exception_ptr e, int s) {
    if (e)
      std::rethrow_exception(e);
    status = s;
  });
  ioc.run();
  fs::remove_all(dir);
  return status;
}
