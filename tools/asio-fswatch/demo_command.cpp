// asio-fswatch demo: a self-driving tour. It makes real changes in a temporary tree, shows the
// events as they arrive, and checks at the end that the events replay to the tree on disk.
#include "commands.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/directory_monitor.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
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

} // namespace

int demo_command(const std::vector<std::string>& args) {
  bool fast = false;
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: asio-fswatch demo [--fast]\n\n"
                   "Creates a temporary directory, watches it, makes real changes (create, write,\n"
                   "mkdir -p, rename, chmod, symlink, rm -r) and prints the events as they arrive;\n"
                   "then checks that the events replay to the tree on disk. --fast: no pauses.\n";
      return exit_ok;
    }
    if (arg == "--fast")
      fast = true;
    else
      return usage_error("unknown option '" + arg + "'", "demo");
  }

  std::string pattern = (fs::temp_directory_path() / "asio-fswatch-demo-XXXXXX").native();
  if (!::mkdtemp(pattern.data())) {
    std::cerr << "asio-fswatch: cannot create a temporary directory: " << std::strerror(errno) << '\n';
    return exit_watch_error;
  }
  const fs::path root = pattern;
  struct cleanup {
    fs::path path;
    ~cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } remove_root{root};

  asio::io_context ioc(1);
  directory_monitor monitor(ioc);
  monitor.add(root);
  std::cout << "asio-fswatch demo: watching " << root.native() << " with the "
            << to_string(monitor.active_backend()) << " backend\n\n";

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
    return exit_watch_error;
  }
  std::cout << "replay check passed: nothing lost, nothing invented.\n";
  return exit_ok;
}

} // namespace asio_fswatch::tool
