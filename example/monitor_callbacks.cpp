// SPDX-License-Identifier: BSL-1.0
// Watch a directory with plain callbacks: print events until a file named "stop" appears.
#include <asio_fswatch/asio_fswatch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

class printer {
public:
  printer(boost::asio::io_context& ioc, const fs::path& dir) : monitor_(ioc), deadline_(ioc) {
    monitor_.add(dir, {.exclude = {"*.tmp"}});
    deadline_.expires_after(std::chrono::seconds(60));
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        std::cerr << "no 'stop' file within 60 s\n";
        monitor_.close();
      }
    });
    read();
  }

  bool stopped() const { return stopped_; }

private:
  void read() {
    monitor_.async_read_events(
        [this](boost::system::error_code ec, std::vector<asio_fswatch::fs_event> events) {
          if (ec) {
            std::cerr << "read: " << ec.message() << '\n';
            return;
          }
          for (const auto& event : events) {
            std::cout << event << '\n';
            if (event.kind == asio_fswatch::event_kind::created && event.path.filename() == "stop") {
              stopped_ = true;
              deadline_.cancel();
              return; // no new read: run() returns once nothing is left to do
            }
          }
          read();
        });
  }

  asio_fswatch::directory_monitor monitor_;
  boost::asio::steady_timer deadline_;
  bool stopped_ = false;
};

int main() {
  fs::path dir = fs::temp_directory_path() / ("example_callbacks_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  boost::asio::io_context ioc;
  printer p(ioc, dir);

  // Someone else changes the tree (here: this program, before running the loop).
  std::ofstream(dir / "a.txt") << "hello";
  std::ofstream(dir / "ignored.tmp") << "never reported";
  fs::create_directories(dir / "sub/deeper");
  fs::rename(dir / "a.txt", dir / "sub/deeper/a.txt");
  std::ofstream(dir / "stop") << "";

  ioc.run();
  fs::remove_all(dir);
  return p.stopped() ? EXIT_SUCCESS : EXIT_FAILURE;
}
