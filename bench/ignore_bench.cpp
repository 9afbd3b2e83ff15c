// SPDX-License-Identifier: BSL-1.0
// ignore_bench: what ignore files (watch_options::ignore_files) cost and save.
//  - Startup: the time add() takes on a tree of 4,000 directories and 100,000 files, without
//    ignore files, and with a .gitignore of typical patterns that ignores nothing in it (the
//    cost of reading and matching), and on the same tree with a node_modules directory of
//    another 2,000 directories and 50,000 files that the .gitignore ignores (the saving:
//    never scanned nor watched), against add() told to exclude it the same way by a glob.
//    The floor: a raw walk (opendir/readdir) with one inotify_add_watch per directory.
//  - Records: this process's CPU time while a child creates 20,000 files in the watched tree,
//    with and without the .gitignore, against a raw inotify loop that reads and drops them.
// Linux only. Medians of --repeat runs (default 5; --quick: tiny sizes, one run). See
// bench/README.md.
#include "bench_support.hpp"
#include "bench_tree.hpp"
#include "child_changes.hpp"

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

const char* const typical_gitignore =
    "# build outputs\n*.o\n*.a\n*.so\n/build/\n/out/\ncmake-build-*/\n*.log\n!keep.log\n"
    ".cache/\n__pycache__/\n*.py[cod]\n.DS_Store\n*.swp\n/dist/\ncoverage/\n**/tmp/**\n";

// Closing an inotify descriptor with thousands of watches leaves the kernel work to do for a
// while: each measurement starts after a pause, so that it does not pay for the one before.
void let_the_kernel_settle() { std::this_thread::sleep_for(300ms); }

// add()'s wall time, and its user CPU time in `user` (the matching shows there; the kernel's
// work for the watches and the listings is system time, which varies much more here).
double add_ms(const fs::path& root, const asio_fswatch::watch_options& options, std::vector<double>& user) {
  let_the_kernel_settle();
  boost::asio::io_context ioc;
  asio_fswatch::directory_monitor monitor(ioc);
  const double user_before = bench::cpu_ms(true);
  const auto start = clock_type::now();
  monitor.add(root, options);
  const double wall = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  user.push_back(bench::cpu_ms(true) - user_before);
  return wall;
}

// The floor: readdir every directory and watch it, skipping `skip` by name.
double raw_walk_ms(const fs::path& root, const std::string& skip) {
  let_the_kernel_settle();
  const auto start = clock_type::now();
  const int fd = ::inotify_init1(IN_CLOEXEC);
  std::vector<std::string> to_read{root.string()};
  while (!to_read.empty()) {
    const std::string dir = std::move(to_read.back());
    to_read.pop_back();
    ::inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_ATTRIB);
    DIR* d = ::opendir(dir.c_str());
    if (!d)
      continue;
    while (dirent* e = ::readdir(d)) {
      if (e->d_type != DT_DIR || e->d_name[0] == '.' || e->d_name == skip)
        continue;
      to_read.push_back(dir + '/' + e->d_name);
    }
    ::closedir(d);
  }
  ::close(fd);
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

pid_t start_creator(const fs::path& dir, int count) {
  const pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  for (int i = 0; i < count; ++i) {
    const std::string name = dir.string() + "/new" + std::to_string(i) + (i % 2 ? ".o" : ".c");
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      ::_exit(1);
    ::close(fd);
  }
  ::_exit(0);
}

// The monitor's CPU while the child creates `count` files, until it ended and nothing came for
// half a second (that wait is idle, not counted).
double monitor_cpu(const fs::path& root, const asio_fswatch::watch_options& options, int count,
                   std::size_t& events) {
  boost::asio::io_context ioc;
  asio_fswatch::directory_monitor monitor(ioc);
  monitor.add(root, options);
  const double before = bench::cpu_ms();
  int status = 0;
  events = bench::read_while_child_runs(ioc, monitor, start_creator(root / "hot", count), 500ms, status);
  return bench::cpu_ms() - before;
}

double raw_cpu(const fs::path& root, int count, std::size_t& records) {
  const double before = bench::cpu_ms();
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ::inotify_add_watch(fd, (root / "hot").c_str(), IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_ATTRIB);
  int status = 0;
  records = bench::drain_while_child_runs(fd, start_creator(root / "hot", count), 500ms, status);
  ::close(fd);
  return bench::cpu_ms() - before;
}

void clear_hot(const fs::path& root) {
  fs::remove_all(root / "hot");
  fs::create_directories(root / "hot");
}

void usage(std::FILE* out) { std::fprintf(out, "usage: ignore_bench [--quick] [--repeat N]\n"); }

} // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::size_t repeat = 5;
  if (!bench::parse_options(argc, argv, {{"--repeat", &repeat}}, quick, usage)) {
    usage(stderr);
    return 2;
  }
  if (quick)
    repeat = 1;
  const int directories = quick ? 40 : 4000;
  const int files = quick ? 1000 : 100000;
  const int created = quick ? 200 : 20000;
  const fs::path base = fs::temp_directory_path() / ("ignore_bench." + std::to_string(::getpid()));
  const fs::path root = base / "tree";
  fs::create_directories(root / "hot");
  bench::make_tree(root, directories, files);
  std::printf("ignore_bench (%s build): %s, %zu runs each (medians)\n\n", ASIO_FSWATCH_BENCH_CONFIG,
              bench::cpu_model().c_str(), repeat);

  asio_fswatch::watch_options plain;
  asio_fswatch::watch_options ignoring;
  ignoring.ignore_files = {".gitignore"};
  asio_fswatch::watch_options globbing;
  globbing.exclude = {"node_modules/"};

  // Startup.
  std::vector<double> floor, off, on, floor_nm, off_nm, on_nm, glob_nm;
  std::vector<double> off_user, on_user, off_nm_user, on_nm_user, glob_nm_user;
  std::ofstream(root / ".gitignore") << typical_gitignore;
  for (std::size_t r = 0; r < repeat; ++r) { // in turn, each first in some runs
    if (r % 2 == 0) {
      floor.push_back(raw_walk_ms(root, "node_modules"));
      off.push_back(add_ms(root, plain, off_user));
      on.push_back(add_ms(root, ignoring, on_user));
    } else {
      on.push_back(add_ms(root, ignoring, on_user));
      off.push_back(add_ms(root, plain, off_user));
      floor.push_back(raw_walk_ms(root, "node_modules"));
    }
  }
  bench::make_tree(root / "node_modules", directories / 2, files / 2);
  std::ofstream(root / ".gitignore") << typical_gitignore << "node_modules/\n";
  for (std::size_t r = 0; r < repeat; ++r) {
    if (r % 2 == 0) {
      floor_nm.push_back(raw_walk_ms(root, "node_modules"));
      off_nm.push_back(add_ms(root, plain, off_nm_user));
      on_nm.push_back(add_ms(root, ignoring, on_nm_user));
      glob_nm.push_back(add_ms(root, globbing, glob_nm_user));
    } else {
      glob_nm.push_back(add_ms(root, globbing, glob_nm_user));
      on_nm.push_back(add_ms(root, ignoring, on_nm_user));
      off_nm.push_back(add_ms(root, plain, off_nm_user));
      floor_nm.push_back(raw_walk_ms(root, "node_modules"));
    }
  }
  std::printf("### Startup: add() of %d directories and %d files (ms: wall / user CPU)\n\n", directories, files);
  std::printf("| tree | raw walk + watches (floor) | add(), no ignore files | add(), .gitignore | add(), exclude glob |\n");
  std::printf("|---|---|---|---|---|\n");
  auto cell = [](const std::vector<double>& wall, const std::vector<double>& user) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f / %.1f", bench::median(wall), bench::median(user));
    return std::string(text);
  };
  std::printf("| the tree; a .gitignore of 17 typical patterns ignores none of it | %.1f | %s | %s | |\n",
              bench::median(floor), cell(off, off_user).c_str(), cell(on, on_user).c_str());
  std::printf("| plus node_modules/ (%d directories, %d files), ignored | %.1f | %s (scans it) | %s | %s |\n\n",
              directories / 2, files / 2, bench::median(floor_nm), cell(off_nm, off_nm_user).c_str(),
              cell(on_nm, on_nm_user).c_str(), cell(glob_nm, glob_nm_user).c_str());

  // Records.
  std::vector<double> raw, cpu_off, cpu_on;
  std::size_t records = 0, events_off = 0, events_on = 0;
  for (std::size_t r = 0; r < repeat; ++r) {
    clear_hot(root);
    raw.push_back(raw_cpu(root, created, records));
    clear_hot(root);
    cpu_off.push_back(monitor_cpu(root, plain, created, events_off));
    clear_hot(root);
    cpu_on.push_back(monitor_cpu(root, ignoring, created, events_on));
  }
  std::printf("### Records: %d files created in a watched directory, half of them *.o (watcher CPU, ms)\n\n", created);
  std::printf("| watcher | records or events | CPU ms |\n|---|---|---|\n");
  std::printf("| raw inotify loop (floor) | %zu | %.1f |\n", records, bench::median(raw));
  std::printf("| monitor, no ignore files | %zu | %.1f |\n", events_off, bench::median(cpu_off));
  std::printf("| monitor, .gitignore (*.o ignored) | %zu | %.1f |\n", events_on, bench::median(cpu_on));
  fs::remove_all(base);
  const bool ok = events_off >= static_cast<std::size_t>(created) && events_on >= static_cast<std::size_t>(created / 2) &&
                  events_on < events_off;
  if (!ok)
    std::fprintf(stderr, "ignore_bench: unexpected event counts (%zu without, %zu with the .gitignore)\n", events_off,
                 events_on);
  return ok ? 0 : 1;
}
