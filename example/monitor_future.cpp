// SPDX-License-Identifier: BSL-1.0
// Use the monitor from ordinary blocking code: the io_context runs on a thread, and the caller
// waits on std::future.
#include <asio_fswatch/asio_fswatch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace fs = std::filesystem;

int main() {
  fs::path dir = fs::temp_directory_path() / ("example_future_" + std::to_string(::getpid()));
  fs::create_directories(dir);

  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::thread loop([&] { ioc.run(); });

  int status = EXIT_FAILURE;
  {
    asio_fswatch::directory_monitor monitor(ioc);
    monitor.add(dir);
    std::future<std::vector<asio_fswatch::fs_event>> batch =
        monitor.async_read_events(boost::asio::use_future);
    std::ofstream(dir / "report.csv") << "a,b\n1,2\n";
    if (batch.wait_for(std::chrono::seconds(60)) == std::future_status::ready) {
      for (const auto& event : batch.get()) // get() throws system_error on a failed read
        std::cout << event << '\n';
      status = EXIT_SUCCESS;
    } else {
      std::cerr << "no event within 60 s\n";
      monitor.cancel();
    }
  }
  work.reset();
  loop.join();
  fs::remove_all(dir);
  return status;
}
