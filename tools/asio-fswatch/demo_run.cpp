// SPDX-License-Identifier: BSL-1.0
// asio-fswatch demo, third part: `asio-fswatch run` restarts a tiny command when a watched file
// is edited. The demo itself drives it as a supervised_process: it reads run's status lines from
// a pipe, edits the file, and presses Ctrl-C (SIGINT to run's process group).
#include "commands.hpp"
#include "temporary_directory.hpp"

#include <asio_fswatch/supervised_process.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

namespace asio_fswatch::tool {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Whether `pid` is a live process (not gone, not a zombie).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::size_t paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

} // namespace

bool run_demo() {
  temporary_directory tree("asio-fswatch-demo-run");
  if (tree.path().empty()) {
    std::cout << "run check FAILED: cannot create a temporary directory: " << tree.error() << '\n';
    return false;
  }
  const fs::path& dir = tree.path();
  const fs::path config = dir / "app.conf";
  std::ofstream(config) << "port = 8080\n";

  // The command prints its pid and what changed, then sleeps until it is stopped.
  const std::string script =
      "changed=$(tr '\\0' ' ' <\"$ASIO_FSWATCH_CHANGED_PATHS_FILE\"); "
      "echo \"[command] started as pid $$; changed: ${changed:-nothing yet}\" >&2; exec sleep 60";
  std::cout << "\nSupervision: asio-fswatch run restarts a command when a file it watches changes.\n"
            << "  $ asio-fswatch run --watch " << dir.native() << " -- sh -c '...'\n";

  asio::io_context ioc;
  process_options options;
  options.stdout_mode = stdio_mode::null;
  options.stderr_mode = stdio_mode::pipe;
  supervised_process run(ioc, "/proc/self/exe",
                         {"run", "--watch", dir.string(), "--debounce", "50", "--grace", "1000", "--", "sh", "-c", script},
                         options);

  int starts = 0;
  pid_t last_command = -1;
  bool timed_out = false;
  std::optional<exit_status> run_status;

  // Reads run's stderr line by line, and acts on what it says.
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::string buffer;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(run.stderr_pipe(), asio::dynamic_buffer(buffer), '\n',
                                                     asio::as_tuple(asio::use_awaitable));
      if (ec)
        co_return; // end of file: run has exited
      std::string line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
      std::cout << "  | " << line << '\n' << std::flush;
      if (line.rfind("[command] started as pid ", 0) != 0)
        continue;
      last_command = pid_t(std::atoi(line.c_str() + 25));
      if (++starts == 1) {
        std::cout << "  $ echo 'port = 8081' > app.conf\n" << std::flush;
        std::ofstream(config) << "port = 8081\n";
      } else {
        std::cout << "  (Ctrl-C: SIGINT to run)\n" << std::flush;
        run.signal(SIGINT);
      }
    }
  }, asio::detached);

  // Nothing here should take long; if it does, say so rather than hang.
  asio::steady_timer patience(ioc, 30s);
  patience.async_wait([&](boost::system::error_code ec) {
    if (!ec && !run_status) {
      timed_out = true;
      boost::system::error_code ignored;
      run.signal(SIGKILL, ignored);
    }
  });
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    auto [ec, status] = co_await run.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec)
      run_status = status;
    patience.cancel();
  }, asio::detached);

  ioc.run();

  bool ok = !timed_out && starts == 2 && run_status && run_status->shell_code() == 128 + SIGINT &&
            last_command > 0 && !alive(last_command);
  if (ok)
    std::cout << "run check passed: one restart after the edit; Ctrl-C stopped run and its command ("
              << run_status->to_string() << "), and left no process behind.\n";
  else
    std::cout << "run check FAILED: " << starts << " starts (expected 2), run "
              << (run_status ? run_status->to_string() : std::string("did not end"))
              << (timed_out ? ", timed out after 30 s" : "")
              << (last_command > 0 && alive(last_command) ? ", the command still runs" : "") << '\n';
  return ok;
}

} // namespace asio_fswatch::tool
