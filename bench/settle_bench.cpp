// SPDX-License-Identifier: BSL-1.0
// settle_bench: what settling (monitor_options::settle) saves and costs. A child process makes
// the changes while this process watches: a 64 MiB file written in 1 MiB chunks, and an
// `npm install` of a real package (express, from npm's registry or its cache) into the watched
// tree. For each, with settling off and on (100 ms): the events a reader gets, and this
// process's CPU time (the watcher's only; the child's is not counted). The floor, for the
// write: a raw inotify loop on the same directory, reading the kernel's records and dropping
// them. Linux only. See bench/README.md.
#include "bench_support.hpp"
#include "child_changes.hpp"

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The child: the changes.
pid_t start_writer(const fs::path& file, std::size_t mebibytes) {
  const pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  static char chunk[1 << 20];
  std::memset(chunk, 'x', sizeof chunk);
  for (std::size_t i = 0; fd >= 0 && i < mebibytes; ++i)
    if (::write(fd, chunk, sizeof chunk) != static_cast<ssize_t>(sizeof chunk))
      ::_exit(1);
  ::_exit(fd >= 0 && ::close(fd) == 0 ? 0 : 1);
}

pid_t start_npm(const fs::path& directory, const fs::path& cache) {
  const pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  if (::chdir(directory.c_str()) != 0)
    ::_exit(127);
  const int null = ::open("/dev/null", O_WRONLY);
  ::dup2(null, 1);
  ::dup2(null, 2);
  const std::string cache_option = "--cache=" + cache.string();
  ::execlp("npm", "npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error",
           cache_option.c_str(), "express@4.21.2", static_cast<char*>(nullptr));
  ::_exit(127);
}

struct outcome {
  std::size_t events = 0;
  double cpu = 0;
  bool ok = false;
};

// The monitor on `root`, while `start` makes changes, until the child ended and nothing came
// for a second.
template <typename Start>
outcome watch_with_monitor(const fs::path& root, std::chrono::milliseconds settle, Start start) {
  boost::asio::io_context ioc;
  asio_fswatch::monitor_options options;
  options.settle = settle;
  asio_fswatch::directory_monitor monitor(ioc, options);
  const double cpu_before = bench::cpu_ms();
  monitor.add(root);
  outcome out;
  int status = 0;
  out.events = bench::read_while_child_runs(ioc, monitor, start(), 1s, status);
  out.cpu = bench::cpu_ms() - cpu_before;
  out.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return out;
}

// The floor: inotify on the directory alone, every record read and dropped.
outcome watch_raw(const fs::path& root, std::size_t mebibytes) {
  const double cpu_before = bench::cpu_ms();
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ::inotify_add_watch(fd, root.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_ATTRIB);
  outcome out;
  int status = 0;
  out.events = bench::drain_while_child_runs(fd, start_writer(root / "big.bin", mebibytes), 1s, status);
  ::close(fd);
  out.cpu = bench::cpu_ms() - cpu_before;
  out.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return out;
}

struct row {
  std::string what;
  std::vector<double> events;
  std::vector<double> cpu;
  bool ok = true;
  void add(const outcome& o) {
    events.push_back(double(o.events));
    cpu.push_back(o.cpu);
    ok = ok && o.ok;
  }
};

void print(const row& r) {
  std::printf("| %s | %.0f | %.1f | %s |\n", r.what.c_str(), bench::median(r.events), bench::median(r.cpu),
              r.ok ? "" : "the child failed");
}

void usage(std::FILE* out) { std::fprintf(out, "usage: settle_bench [--quick] [--repeat N]\n"); }

} // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::size_t repeat = 3;
  if (!bench::parse_options(argc, argv, {{"--repeat", &repeat}}, quick, usage)) {
    usage(stderr);
    return 2;
  }
  const std::size_t mebibytes = quick ? 4 : 64;
  if (quick)
    repeat = 1;
  const fs::path base = fs::temp_directory_path() / ("settle_bench." + std::to_string(::getpid()));
  fs::create_directories(base);
  std::printf("settle_bench: %s, %zu runs each (medians), settle 100 ms\n\n", bench::cpu_model().c_str(), repeat);
  std::printf("| a %zu MiB file written in 1 MiB chunks | events | CPU ms |  |\n|---|---:|---:|---|\n", mebibytes);
  row raw{"raw inotify loop (floor: the kernel's records)", {}, {}};
  row plain{"monitor, settle off", {}, {}};
  row settled{"monitor, settle 100 ms", {}, {}};
  for (std::size_t run = 0; run < repeat; ++run) {
    const fs::path dir = base / std::string("w").append(std::to_string(run)); // not "w" + ...: GCC 12's -Wrestrict
    fs::create_directories(dir);
    raw.add(watch_raw(dir, mebibytes));
    plain.add(watch_with_monitor(dir, 0ms, [&] { return start_writer(dir / "big.bin", mebibytes); }));
    settled.add(watch_with_monitor(dir, 100ms, [&] { return start_writer(dir / "big.bin", mebibytes); }));
  }
  print(raw);
  print(plain);
  print(settled);

  if (!quick) {
    std::printf("\n| npm install express (into a watched tree) | events | CPU ms |  |\n|---|---:|---:|---|\n");
    const fs::path cache = base / "npm-cache";
    row npm_plain{"monitor, settle off", {}, {}};
    row npm_settled{"monitor, settle 100 ms", {}, {}};
    for (std::size_t run = 0; run <= repeat; ++run) {
      for (int settle : {0, 100}) {
        const fs::path dir = base / ("npm" + std::to_string(run) + "-" + std::to_string(settle));
        fs::create_directories(dir);
        outcome o = watch_with_monitor(dir, std::chrono::milliseconds(settle), [&] { return start_npm(dir, cache); });
        if (run == 0)
          continue; // the first fills npm's cache from the registry
        (settle ? npm_settled : npm_plain).add(o);
      }
    }
    print(npm_plain);
    print(npm_settled);
  }
  std::error_code ignored;
  fs::remove_all(base, ignored);
  return 0;
}
