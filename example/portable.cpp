// SPDX-License-Identifier: BSL-1.0
// One source, Linux and Windows alike: a tree watched by directory_monitor with an exclude,
// its batches read by the coroutine, and a read that nothing answers cancelled by a timer; a
// file written with random_access_file, copied with
// async_copy_file and read back with async_read_file; this program started again as a child by
// supervised_process, waited for, and terminated after a grace period; and a detached child
// waited for by pid with child_watcher. All in one C++20 coroutine on one io_context. Exits 0
// when every step saw what it expected.
//
//   example_portable            runs the steps
//   example_portable exit N     (the child) exits with N
//   example_portable later N    (the child) exits with N after half a second
//   example_portable sleep      (the child) sleeps for a minute
#include <asio_fswatch/child_watcher.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/random_access_file.hpp>
#include <asio_fswatch/supervised_process.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write_at.hpp>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

void expect(bool ok, const std::string& what) {
  if (!ok)
    throw std::runtime_error("unexpected: " + what);
}

/// A path as the library's text takes it: UTF-8 (string() would use Windows's ANSI code page).
std::string text_of(const fs::path& p) {
  const auto utf8 = p.u8string();
  return std::string(utf8.begin(), utf8.end());
}

/// Reads batches until one holds `wanted`'s creation; nothing from an excluded place may come.
asio::awaitable<void> read_until_created(asio_fswatch::directory_monitor& monitor, const fs::path& wanted) {
  for (;;) {
    std::vector<asio_fswatch::fs_event> batch = co_await monitor.async_read_events(asio::use_awaitable);
    for (const asio_fswatch::fs_event& e : batch) {
      std::cout << "  " << e << '\n';
      expect(text_of(e.path).find("build") == std::string::npos, "nothing under the excluded build/");
      if (e.kind == asio_fswatch::event_kind::created && e.path == wanted)
        co_return;
    }
  }
}

asio::awaitable<void> steps(fs::path self, fs::path dir) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;

  // The tree: watched with build/ excluded, what is made in it read batch by batch.
  fs::create_directories(dir / "tree");
  asio_fswatch::directory_monitor monitor(ex);
  asio_fswatch::watch_options options;
  options.exclude = {"build/**"};
  monitor.add(dir / "tree", options);
  std::cout << "monitor: " << monitor.backend() << '\n';
  fs::create_directories(dir / "tree" / "build");
  std::ofstream(dir / "tree" / "build" / "main.o") << "object";
  fs::create_directories(dir / "tree" / "src");
  std::ofstream(dir / "tree" / "src" / "main.cpp") << "int main() {}";
  co_await read_until_created(monitor, dir / "tree" / "src" / "main.cpp");
  // A read that nothing answers, cancelled when the timer wins (once the last writes' events are
  // in); nothing is lost by it.
  asio::steady_timer timer(ex);
  for (int round = 0;; ++round) {
    expect(round < 20, "the tree goes quiet");
    timer.expires_after(300ms);
    auto raced = co_await (monitor.async_read_events(asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
    if (raced.index() == 1)
      break;
  }
  std::ofstream(dir / "tree" / "src" / "util.cpp") << "// more";
  co_await read_until_created(monitor, dir / "tree" / "src" / "util.cpp");
  monitor.close();

  // Files: write, copy, read back.
  const std::string text = "written on " + std::string(asio_fswatch::to_string(asio_fswatch::file_backend(ex))) + '\n';
  asio_fswatch::random_access_file file(ex, text_of(dir / "original.txt"),
                                        asio_fswatch::file_base::write_only | asio_fswatch::file_base::create);
  co_await asio::async_write_at(file, 0, asio::buffer(text), asio::use_awaitable);
  file.close();
  const std::uint64_t copied = co_await asio_fswatch::async_copy_file(ex, dir / "original.txt", dir / "copy.txt",
                                                                      asio::use_awaitable);
  const std::string back = co_await asio_fswatch::async_read_file(ex, dir / "copy.txt", asio::use_awaitable);
  expect(copied == text.size() && back == text, "the copy reads back as written");
  std::cout << "files: " << text;

  // A child that exits with 7.
  asio_fswatch::supervised_process child(ex, text_of(self), {"exit", "7"});
  asio_fswatch::exit_status how = co_await child.async_wait(asio::use_awaitable);
  expect(how.exited() && how.code() == 7, "the child exits with 7, not " + how.to_string());
  std::cout << "supervised child: " << how.to_string() << '\n';

  // A child that does not stop by itself: terminated after 200 ms.
  asio_fswatch::supervised_process sleeper(ex, text_of(self), {"sleep"});
  how = co_await sleeper.async_terminate(200ms, asio::use_awaitable);
  expect(how.has_value() && !sleeper.running(), "the sleeper is terminated");
  std::cout << "terminated child: " << how.to_string() << '\n';

  // A child given up by its supervisor, then waited for by pid. (On Windows a pid names a
  // process only while it runs or a handle holds it: this child lingers a little.)
  asio_fswatch::supervised_process given_up(ex, text_of(self), {"later", "3"});
  const asio_fswatch::pid_type pid = given_up.id();
  given_up.detach();
  asio_fswatch::child_watcher watcher(ex);
  how = co_await watcher.async_wait(pid, asio::use_awaitable);
  expect(how.exited() && how.code() == 3, "the watched child exits with 3, not " + how.to_string());
  std::cout << "watched child " << pid << ": " << how.to_string() << '\n';
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "exit")
    return std::atoi(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "later") {
    std::this_thread::sleep_for(500ms);
    return std::atoi(argv[2]);
  }
  if (argc == 2 && std::string(argv[1]) == "sleep") {
    std::this_thread::sleep_for(60s);
    return 0;
  }
  const fs::path self = fs::absolute(argv[0]);
  const fs::path dir = fs::temp_directory_path() / ("asio_fswatch-portable-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  int status = 0;
  try {
    asio::io_context io;
    asio::co_spawn(io, steps(self, dir), [&](std::exception_ptr e) {
      if (!e)
        return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& error) {
        std::cerr << "example_portable: " << error.what() << '\n';
        status = 1;
      }
    });
    io.run();
  } catch (const std::exception& error) {
    std::cerr << "example_portable: " << error.what() << '\n';
    status = 1;
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  if (status == 0)
    std::cout << "all steps passed\n";
  return status;
}
