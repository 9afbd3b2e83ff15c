// SPDX-License-Identifier: BSL-1.0
#include "parent_watch.hpp"

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

std::string parent_watch_once() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("asio_fswatch_parent_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  boost::asio::io_context ioc;
  asio_fswatch::directory_monitor monitor(ioc);
  monitor.add(dir);
  std::ofstream(dir / "made") << "x";
  std::ostringstream text;
  monitor.async_read_events([&](boost::system::error_code ec, std::vector<asio_fswatch::fs_event> events) {
    if (ec)
      text << "error: " << ec.message();
    for (const auto& event : events)
      text << event << "\n";
  });
  ioc.run_for(std::chrono::seconds(30));
  fs::remove_all(dir);
  return text.str();
}
