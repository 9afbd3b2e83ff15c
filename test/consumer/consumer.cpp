// SPDX-License-Identifier: BSL-1.0
// Built against the installed asio_fswatch: watches a temporary directory, creates a file in
// it and waits for the event.
#include <asio_fswatch/asio_fswatch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

int main() {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("asio_fswatch_consumer_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  boost::asio::io_context ioc;
  asio_fswatch::directory_monitor monitor(ioc);
  monitor.add(dir);
  std::ofstream(dir / "hello.txt") << "hello\n";
  bool seen = false;
  boost::asio::steady_timer timeout(ioc, std::chrono::seconds(30));
  monitor.async_read_events([&](boost::system::error_code ec, std::vector<asio_fswatch::fs_event> events) {
    timeout.cancel();
    if (ec) { std::cerr << "consumer: " << ec.message() << "\n"; return; }
    for (auto& e : events) {
      std::cout << e << "\n";
      seen = seen || (e.kind == asio_fswatch::event_kind::created && e.path == dir / "hello.txt");
    }
  });
  timeout.async_wait([&](boost::system::error_code ec) { if (!ec) monitor.cancel(); });
  ioc.run();
  fs::remove_all(dir);
  if (!seen) { std::cerr << "consumer: no created event for hello.txt\n"; return EXIT_FAILURE; }
  return EXIT_SUCCESS;
}
