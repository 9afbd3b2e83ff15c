// SPDX-License-Identifier: BSL-1.0
// asio-fswatch demo: a self-driving tour. It makes real changes in a temporary tree, shows the
// events as they arrive, and checks at the end that the events replay to the tree on disk. Then
// one coroutine copies several files at once with async_copy_file, and the copies are checked.
#include "commands.hpp"
#include "temporary_directory.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <utility>
#include <unistd.h>

namespace asio_fswatch::tool {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct step {
  const char* shell;                 // what a person would type
  std::function<void(const fs::path&)> run;
};

void write_file(const fs::path& path, const char* text, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream(path, std::ios::out | mode) << text;
}

std::vector<step> demo_steps() {
  return {
      {"echo hello > notes.txt", [](const fs::path& d) { write_file(d / "notes.txt", "hello\n"); }},
      {"echo more >> notes.txt",
       [](const fs::path& d) { write_file(d / "notes.txt", "more\n", std::ios::app); }},
      {"mkdir -p src/app/core && echo 'int main(){}' > src/app/core/main.cpp",
       [](const fs::path& d) {
         // As fast as the shell would: the directories are watched and scanned as they appear,
         // so the file is reported although it was written before any watch could be placed.
         fs::create_directories(d / "src/app/core");
         write_file(d / "src/app/core/main.cpp", "int main(){}\n");
       }},
      {"mv notes.txt src/notes.txt", [](const fs::path& d) { fs::rename(d / "notes.txt", d / "src/notes.txt"); }},
      {"chmod 600 src/notes.txt",
       [](const fs::path& d) {
         fs::permissions(d / "src/notes.txt", fs::perms::owner_read | fs::perms::owner_write);
       }},
      {"mv src/app src/service", [](const fs::path& d) { fs::rename(d / "src/app", d / "src/service"); }},
      {"echo '// edited' >> src/service/core/main.cpp",
       [](const fs::path& d) { write_file(d / "src/service/core/main.cpp", "// edited\n", std::ios::app); }},
      {"ln -s service/core src/current",
       [](const fs::path& d) { fs::create_directory_symlink("service/core", d / "src/current"); }},
      {"mkdir tmp && touch tmp/a tmp/b tmp/c",
       [](const fs::path& d) {
         fs::create_directory(d / "tmp");
         for (const char* name : {"a", "b", "c"})
           write_file(d / "tmp" / name, "");
       }},
      {"rm -r tmp", [](const fs::path& d) { fs::remove_all(d / "tmp"); }},
  };
}

// The replay check of DESIGN.md: the tree was empty when the watch started, so applying the
// events to an empty picture must give exactly what is on disk now.
std::map<std::string, entry_type> replay(const fs::path& root, const std::vector<fs_event>& events,
                                         std::vector<std::string>& problems) {
  std::map<std::string, entry_type> tree;
  auto erase_subtree = [&](const std::string& path) {
    auto it = tree.lower_bound(path);
    while (it != tree.end() && (it->first == path || it->first.rfind(path + "/", 0) == 0))
      it = tree.erase(it);
  };
  for (const fs_event& e : events) {
    const std::string& path = e.path.native();
    switch (e.kind) {
    case event_kind::created:
      tree[path] = e.type;
      break;
    case event_kind::removed:
      if (!tree.count(path))
        problems.push_back("removed, never created: " + path);
      erase_subtree(path);
      break;
    case event_kind::renamed: {
      const std::string& from = e.old_path.native();
      if (!tree.count(from))
        problems.push_back("renamed, never created: " + from);
      std::map<std::string, entry_type> moved;
      for (auto it = tree.lower_bound(from);
           it != tree.end() && (it->first == from || it->first.rfind(from + "/", 0) == 0); ++it)
        moved[path + it->first.substr(from.size())] = it->second;
      erase_subtree(from);
      tree.insert(moved.begin(), moved.end());
      break;
    }
    default:
      break;
    }
  }
  (void)root;
  return tree;
}

std::map<std::string, entry_type> tree_on_disk(const fs::path& root) {
  std::map<std::string, entry_type> tree;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    fs::file_status st = it->symlink_status();
    entry_type type = fs::is_symlink(st)     ? entry_type::symlink
                      : fs::is_directory(st) ? entry_type::directory
                      : fs::is_regular_file(st) ? entry_type::file
                                                : entry_type::other;
    tree[it->path().native()] = type;
  }
  return tree;
}

// Part two: files. What gets copied; sizes and permission bits differ on purpose.
struct sample_file {
  const char* name;
  std::size_t size;
  fs::perms perms;
};

constexpr fs::perms rw_r_r = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                             fs::perms::others_read;
constexpr fs::perms rw_only = fs::perms::owner_read | fs::perms::owner_write;
constexpr fs::perms rwx_rx_rx = rw_r_r | fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;

const sample_file sample_files[] = {
    {"video.mp4", std::size_t(6) << 20, rw_r_r},
    {"photos.tar", std::size_t(4) << 20, rw_r_r},
    {"keys.db", std::size_t(3) << 20, rw_only},
    {"deploy.sh", 2500, rwx_rx_rx},
    {"notes.txt", 300, rw_only},
    {"empty.lock", 0, rw_r_r},
};

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string human_size(std::uint64_t bytes) {
  char text[32];
  if (bytes < 1024)
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  else if (bytes < (1u << 20))
    std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024);
  else
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / double(1u << 20));
  return text;
}

std::string mode_string(fs::perms p) {
  std::string text;
  for (auto [bit, letter] : {std::pair{fs::perms::owner_read, 'r'}, {fs::perms::owner_write, 'w'},
                             {fs::perms::owner_exec, 'x'}, {fs::perms::group_read, 'r'},
                             {fs::perms::group_write, 'w'}, {fs::perms::group_exec, 'x'},
                             {fs::perms::others_read, 'r'}, {fs::perms::others_write, 'w'},
                             {fs::perms::others_exec, 'x'}})
    text += (p & bit) != fs::perms::none ? letter : '-';
  return text;
}

/// One coroutine starts every copy at once (a ranged parallel group of async_copy_file) and
/// waits for all of them; the copies are then compared with their originals. True when exact.
bool files_demo() {
  temporary_directory dir("asio-fswatch-demo-files");
  if (dir.path().empty()) {
    std::cout << "copy check FAILED: cannot create a temporary directory: " << dir.error() << '\n';
    return false;
  }
  const fs::path source = dir.path() / "source", backup = dir.path() / "backup";
  fs::create_directory(source);
  fs::create_directory(backup);
  std::mt19937 random(2024);
  for (const sample_file& f : sample_files) {
    std::string data(f.size, '\0');
    for (char& c : data)
      c = char(random() & 0xff);
    std::ofstream(source / f.name, std::ios::binary) << data;
    fs::permissions(source / f.name, f.perms);
  }

  asio::io_context ioc(1);
  boost::system::error_code ec;
  file_backend_kind backend = file_backend(ioc, ec);
  if (ec) {
    std::cout << "copy check FAILED: no file backend: " << ec.message() << '\n';
    return false;
  }
  const std::size_t count = std::size(sample_files);
  std::cout << "\nFiles: one coroutine copies " << count << " files at once with async_copy_file, on the "
            << to_string(backend) << " file backend.\n\n"
            << "  $ cp source/* backup/      # all " << count << " copies in flight at once, permission bits kept\n"
            << std::flush;

  std::vector<std::string> problems;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    using copy_operation = decltype(async_copy_file(ex, fs::path(), fs::path(), asio::deferred));
    std::vector<copy_operation> copies;
    for (const sample_file& f : sample_files)
      copies.push_back(async_copy_file(ex, source / f.name, backup / f.name, asio::deferred));

    const auto start = std::chrono::steady_clock::now();
    auto [order, errors, bytes] = co_await asio::experimental::make_parallel_group(std::move(copies))
                                      .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);

    for (std::size_t i : order) { // in the order the copies finished
      const sample_file& f = sample_files[i];
      std::string line = "      copied     ";
      line += f.name;
      line.resize(std::max<std::size_t>(line.size() + 1, 34), ' ');
      std::string size = human_size(bytes[i]);
      line += std::string(size.size() < 10 ? 10 - size.size() : 0, ' ') + size;
      line += "   " + mode_string(f.perms);
      if (errors[i])
        line += "   error: " + errors[i].message();
      std::cout << line << '\n';
    }
    std::cout << "      all " << count << " copies done in " << ms.count() << " ms\n";
  }, [&](std::exception_ptr e) {
    if (e)
      problems.push_back("the copying coroutine failed");
  });
  ioc.run();

  // The check: every copy holds the same bytes and permission bits as its original.
  std::uint64_t total = 0;
  for (const sample_file& f : sample_files) {
    std::error_code status_error;
    fs::perms copied_perms = fs::status(backup / f.name, status_error).permissions();
    std::string original = read_whole(source / f.name);
    if (status_error)
      problems.push_back(std::string(f.name) + ": no copy (" + status_error.message() + ")");
    else if (read_whole(backup / f.name) != original || original.size() != f.size)
      problems.push_back(std::string(f.name) + ": the copy differs from the original");
    else if (copied_perms != f.perms)
      problems.push_back(std::string(f.name) + ": permission bits " + mode_string(copied_perms) + ", expected " +
                         mode_string(f.perms));
    total += f.size;
  }
  if (!problems.empty()) {
    std::cout << "copy check FAILED:\n";
    for (const std::string& p : problems)
      std::cout << "  " << p << '\n';
    return false;
  }
  std::cout << "copy check passed: " << count << " files, " << human_size(total)
            << ", every byte and permission bit as in the original.\n";
  return true;
}

} // namespace

int demo_command(const std::vector<std::string>& args) {
  bool fast = false;
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: asio-fswatch demo [--fast]\n\n"
                   "Creates a temporary directory, watches it, makes real changes (create, write,\n"
                   "mkdir -p, rename, chmod, symlink, rm -r) and prints the events as they arrive;\n"
                   "then checks that the events replay to the tree on disk. Then one coroutine\n"
                   "copies several files at once with async_copy_file, and the copies are checked\n"
                   "byte for byte. Last, it runs 'asio-fswatch run' on a tiny command, edits a\n"
                   "watched file, checks the restart, and stops it with Ctrl-C (SIGINT).\n"
                   "\n"
                   "  --fast      no pauses between the changes\n"
                   "  -h, --help  this text\n"
                   "\n"
                   "Exit status: 0 when every check passed, 1 when one failed, 2 on bad usage.\n";
      return exit_ok;
    }
    if (arg == "--fast")
      fast = true;
    else
      return usage_error("unknown option '" + arg + "'", "demo");
  }

  temporary_directory tree("asio-fswatch-demo");
  if (tree.path().empty()) {
    std::cerr << "asio-fswatch: cannot create a temporary directory: " << tree.error() << '\n';
    return exit_watch_error;
  }
  const fs::path& root = tree.path();

  asio::io_context ioc(1);
  directory_monitor monitor(ioc);
  monitor.add(root);
  std::cout << "asio-fswatch demo: watching " << root.native() << " with the "
            << to_string(monitor.backend()) << " backend\n\n";

  const auto start = std::chrono::steady_clock::now();
  std::vector<fs_event> seen;
  bool reading = true;

  // Reader: prints every batch the moment it completes.
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    for (;;) {
      boost::system::error_code ec;
      std::vector<fs_event> events =
          co_await monitor.async_read_events(asio::redirect_error(asio::use_awaitable, ec));
      if (ec)
        break;
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      for (fs_event& e : events) {
        std::string line = "      ";
        detail::append_human(line, e);
        std::cout << line << "   (+" << ms.count() << " ms)\n";
        seen.push_back(std::move(e));
      }
      std::cout.flush();
    }
    reading = false;
  }, asio::detached);

  // Driver: one change at a time, with a pause so that each batch shows under its command.
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer pause(ioc);
    for (const step& s : demo_steps()) {
      std::cout << "  $ " << s.shell << '\n' << std::flush;
      s.run(root);
      pause.expires_after(fast ? 50ms : 400ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    // Let the last events arrive, then stop reading.
    pause.expires_after(300ms);
    co_await pause.async_wait(asio::use_awaitable);
    monitor.cancel();
  }, asio::detached);

  ioc.run();
  (void)reading;

  std::vector<std::string> problems;
  auto replayed = replay(root, seen, problems);
  auto actual = tree_on_disk(root);
  for (const auto& [path, type] : actual) {
    auto it = replayed.find(path);
    if (it == replayed.end())
      problems.push_back("on disk, never reported: " + path);
    else if (it->second != type && !(it->second == entry_type::unknown && type != entry_type::directory))
      problems.push_back("reported as " + std::string(to_string(it->second)) + ", is " +
                         std::string(to_string(type)) + ": " + path);
  }
  for (const auto& [path, type] : replayed)
    if (!actual.count(path))
      problems.push_back("reported, not on disk: " + path);

  std::cout << "\n" << seen.size() << " events. Replaying them onto the empty tree gives "
            << replayed.size() << " entries; the tree on disk has " << actual.size() << ".\n";
  if (!problems.empty()) {
    std::cout << "replay check FAILED:\n";
    for (const std::string& p : problems)
      std::cout << "  " << p << '\n';
  } else {
    std::cout << "replay check passed: nothing lost, nothing invented.\n";
  }

  const bool copies_ok = files_demo();
  const bool run_ok = run_demo();
  return problems.empty() && copies_ok && run_ok ? exit_ok : exit_watch_error;
}

} // namespace asio_fswatch::tool
