// SPDX-License-Identifier: BSL-1.0
// Linked to the shared library: what the library and the program must share although the
// library exports none of Boost's functions (cmake/version_script.cmake).
//  1. An error of Asio's misc category made inside the library (opening an open file) compares
//     equal to boost::asio::error::already_open in the program: one category instance.
//  2. A signal_set of the program and the library's SIGCHLD wait, on one io_context, both get
//     their signals: one Asio signal state, whoever made the signal service first.
#include <asio_fswatch/child_watcher.hpp>
#include <asio_fswatch/random_access_file.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok: " : "FAILED: ") << what << "\n";
  if (!ok)
    ++failures;
}

void misc_category_is_shared() {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("asio_fswatch_singletons_" + std::to_string(::getpid()));
  std::ofstream(file) << "x";
  boost::asio::io_context ioc;
  asio_fswatch::random_access_file f(ioc, file.string(), asio_fswatch::file_base::read_only);
  boost::system::error_code ec;
  f.open(file.string(), asio_fswatch::file_base::read_only, ec);
  fs::remove(file);
  check(ec == boost::asio::error::already_open,
        "opening an open file fails with boost::asio::error::already_open (got " + ec.message() + ", " +
            ec.category().name() + ")");
}

// The program's signal_set comes first, so the program's code makes the signal service; the
// library's SIGCHLD wait must still see its child's end, and the program its SIGUSR1.
void signal_state_is_shared() {
  boost::asio::io_context ioc;
  boost::asio::steady_timer timeout(ioc, std::chrono::seconds(60));
  boost::asio::signal_set signals(ioc, SIGUSR1);
  bool got_usr1 = false;
  bool child_done = false;
  signals.async_wait([&](boost::system::error_code ec, int) {
    got_usr1 = !ec;
    timeout.cancel();
  });
  asio_fswatch::child_watcher watcher(ioc, asio_fswatch::child_watcher_options{asio_fswatch::child_backend::sigchld});
  const pid_t child = ::fork();
  if (child == 0)
    ::_exit(7);
  watcher.async_wait(child, [&](boost::system::error_code ec, asio_fswatch::exit_status status) {
    child_done = !ec && status.exited() && status.code() == 7;
    ::raise(SIGUSR1);
  });
  timeout.async_wait([&](boost::system::error_code ec) {
    if (!ec) {
      std::cout << "timed out after 60 s\n";
      ioc.stop();
    }
  });
  ioc.run_for(std::chrono::seconds(61));
  check(child_done, "the library's SIGCHLD wait saw the child exit with 7 beside the program's signal_set");
  check(got_usr1, "the program's signal_set got SIGUSR1 beside the library's SIGCHLD wait");
  ::waitpid(child, nullptr, WNOHANG);
}

} // namespace

int main() {
  misc_category_is_shared();
  signal_state_is_shared();
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
