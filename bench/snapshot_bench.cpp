// SPDX-License-Identifier: BSL-1.0
// snapshot_bench: what snapshots (snapshot.hpp) cost on a tree of 4,000 directories and
// 100,000 files, with a warm cache:
//  - write_snapshot: the scan and the file;
//  - events_since with nothing changed, and after 1,000 files were rewritten and 100 created;
//  - update_snapshot after such changes (the events and the new file from one scan).
// The floor: a raw walk that lists every directory and takes one status (fstatat, no symlink
// followed) of every entry, the least a picture of identities and times needs.
// Linux only. Medians of --repeat runs (default 5; --quick: tiny sizes, one run). See
// bench/README.md.
#include "bench_support.hpp"
#include "bench_tree.hpp"
#include "child_changes.hpp"

#include <asio_fswatch/snapshot.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

struct timing {
  std::vector<double> wall, user;
};

template <typename F>
void measure(timing& t, F&& f) {
  const double user_before = bench::cpu_ms(true);
  const auto start = clock_type::now();
  f();
  t.wall.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
  t.user.push_back(bench::cpu_ms(true) - user_before);
}

// The floor: readdir every directory, fstatat every entry. Returns the entries seen.
std::size_t raw_walk(const fs::path& root) {
  std::size_t entries = 0;
  std::vector<std::string> to_read{root.string()};
  while (!to_read.empty()) {
    const std::string dir = std::move(to_read.back());
    to_read.pop_back();
    DIR* d = ::opendir(dir.c_str());
    if (!d)
      continue;
    const int fd = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
        continue;
      struct stat st{};
      if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      ++entries;
      if (S_ISDIR(st.st_mode))
        to_read.push_back(dir + '/' + e->d_name);
    }
    ::closedir(d);
  }
  return entries;
}

// Rewrites `rewritten` files (another size) and creates `created` new ones.
void change_tree(const fs::path& root, int rewritten, int created, int round) {
  int done = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (done == rewritten)
      break;
    if (entry.is_regular_file()) {
      std::ofstream(entry.path()) << std::string(static_cast<std::size_t>(round + 1), 'x');
      ++done;
    }
  }
  for (int i = 0; i < created; ++i)
    std::ofstream(root / "d0" / "s0" / ("new" + std::to_string(round) + "_" + std::to_string(i)));
}

// A file changed less than 50 ms before a scan counts as changed at the next comparison (racy):
// the changes are made, then the clock moves past them, then the measured call runs.
void let_the_clock_move() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }

std::string cell(const timing& t) {
  return bench::format(bench::median(t.wall), 1) + " / " + bench::format(bench::median(t.user), 1);
}

void usage(std::FILE* out) { std::fprintf(out, "usage: snapshot_bench [--quick] [--repeat N]\n"); }

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
  const int rewritten = quick ? 10 : 1000;
  const int created = quick ? 5 : 100;
  const fs::path base = fs::temp_directory_path() / ("snapshot_bench." + std::to_string(::getpid()));
  const fs::path root = base / "tree";
  const fs::path file = base / "tree.snapshot";
  bench::make_tree(root, directories, files);
  std::printf("snapshot_bench (%s build): %s, %zu runs each (medians)\n\n", ASIO_FSWATCH_BENCH_CONFIG,
              bench::cpu_model().c_str(), repeat);

  timing floor, write, since_same, since_changed, update;
  std::size_t entries = 0, changed_events = 0;
  raw_walk(root); // warm the cache
  let_the_clock_move();
  for (std::size_t run = 0; run < repeat; ++run) {
    measure(floor, [&] { entries = raw_walk(root); });
    measure(write, [&] { asio_fswatch::write_snapshot(root, file); });
    measure(since_same, [&] {
      if (!asio_fswatch::events_since(file, root).empty())
        throw std::runtime_error("events where nothing changed");
    });
    change_tree(root, rewritten, created, int(run) * 2);
    let_the_clock_move();
    measure(since_changed, [&] { changed_events = asio_fswatch::events_since(file, root).size(); });
    change_tree(root, rewritten, created, int(run) * 2 + 1);
    let_the_clock_move();
    measure(update, [&] { asio_fswatch::update_snapshot(file, root); });
  }
  const auto file_bytes = fs::file_size(file);

  std::printf("Tree: %d directories, %d files (%zu entries); %d files rewritten and %d created between "
              "runs.\nCells: wall ms / user-CPU ms.\n\n",
              directories, files, entries, rewritten, created);
  std::printf("| operation | wall / user ms | wall vs floor |\n|---|---:|---:|\n");
  const double floor_ms = bench::median(floor.wall);
  const auto row = [&](const char* name, const timing& t) {
    std::printf("| %s | %s | %.2fx |\n", name, cell(t).c_str(), bench::median(t.wall) / floor_ms);
  };
  row("raw walk: readdir + fstatat of every entry (floor)", floor);
  row("write_snapshot", write);
  row("events_since, nothing changed", since_same);
  row("events_since, after the changes", since_changed);
  row("update_snapshot, after the changes", update);
  std::printf("\nSnapshot file: %s bytes (%.1f per entry); events after the changes: %zu.\n",
              bench::with_thousands(file_bytes).c_str(), double(file_bytes) / double(entries), changed_events);
  fs::remove_all(base);
  return 0;
}
