// SPDX-License-Identifier: BSL-1.0
// watch_limit_bench: how long `directory_monitor::add` takes to fail on a tree larger than the
// inotify watch limit, and to give back the watches it took, against the floor of a raw loop
// measured in the same run. See bench/README.md.
//
// The limit is lowered in a user namespace of a child process (/proc/sys/user/max_inotify_watches),
// so the host's fs.inotify.max_user_watches is not lowered for anyone else. The child's watches
// still count against the host's limit for this user: as root, the parent raises that limit by
// as much for the duration of the run (so other programs keep their share) and writes the old
// value back at exit, also on SIGINT, SIGTERM and SIGHUP.
#include <asio_fswatch/detail/inotify_parser.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include "bench_support.hpp"
#include "common/skip_log.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using bench::read_long;
using bench::throw_errno;
using bench::write_long;

double ms_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// ---------------------------------------------------------------------------------------------
// Settings

struct settings {
  long directories = 200'000;
  long limit = -1; // -1: directories - 10,000 (a tenth of them with --quick)
  int runs = 5;
  bool quick = false;
  std::string tree_dir;
};

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "watch_limit_bench: %s\n"
               "usage: watch_limit_bench [--quick] [--dirs N] [--limit L] [--runs R] [--tree-dir DIR]\n",
               message);
  std::exit(2);
}

long positive_number(const char* text, const char* option) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value <= 0)
    usage((std::string(option) + " takes a positive number").c_str());
  return value;
}

settings parse(int argc, char** argv) {
  settings s;
  bool dirs_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc)
        usage((arg + " needs a value").c_str());
      return argv[++i];
    };
    if (arg == "--quick")
      s.quick = true;
    else if (arg == "--dirs")
      s.directories = positive_number(value(), "--dirs"), dirs_given = true;
    else if (arg == "--limit")
      s.limit = positive_number(value(), "--limit");
    else if (arg == "--runs")
      s.runs = static_cast<int>(std::min(positive_number(value(), "--runs"), 1000L));
    else if (arg == "--tree-dir")
      s.tree_dir = value();
    else
      usage(("unknown option " + arg).c_str());
  }
  if (s.quick) {
    if (!dirs_given)
      s.directories = 2'000;
    s.runs = std::min(s.runs, 2);
  }
  if (s.limit < 0)
    s.limit = s.quick ? s.directories - s.directories / 10 : s.directories - 10'000;
  if (s.limit < 2 || s.limit >= s.directories)
    usage("the limit must be at least 2 and below the number of directories (else nothing fails)");
  if (s.tree_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    s.tree_dir = tmp && *tmp ? tmp : "/tmp";
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Process-wide state undone at exit, also on a signal (by the parent)

const char* const host_limit_path = "/proc/sys/fs/inotify/max_user_watches";
const char* const namespace_limit_path = "/proc/sys/user/max_inotify_watches";

struct cleanup_state {
  std::mutex mutex;
  std::string tree_root;
  long restore_host_limit = -1; // the value to write back, -1: nothing changed
  bool done = false;
};
cleanup_state cleanup;
std::atomic<pid_t> running_child{-1};

void clean_up_everything() {
  std::lock_guard lock(cleanup.mutex);
  if (cleanup.done)
    return;
  cleanup.done = true;
  if (cleanup.restore_host_limit >= 0) {
    if (write_long(host_limit_path, cleanup.restore_host_limit))
      std::fprintf(stderr, "restored fs.inotify.max_user_watches to %ld\n", cleanup.restore_host_limit);
    else
      std::fprintf(stderr, "COULD NOT RESTORE fs.inotify.max_user_watches to %ld: write it back by hand\n",
                   cleanup.restore_host_limit);
  }
  if (!cleanup.tree_root.empty()) {
    std::error_code ignored;
    fs::remove_all(cleanup.tree_root, ignored);
  }
}

// ---------------------------------------------------------------------------------------------
// The tree: the root, `tops` directories in it, the rest spread below them, 1,000 at most each

void make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0)
    throw_errno("mkdir", path);
}

void build_tree(const std::string& root, long directories) {
  long left = directories - 1; // the root is one
  const long per_top = 1000;
  const long tops = std::max(1L, (left + per_top) / (per_top + 1));
  for (long t = 0; t < tops && left > 0; ++t, --left) {
    std::string top = root + "/t" + std::to_string(t);
    make_directory(top);
    long here = std::min(per_top, (left - 1) / (tops - t) + 1);
    here = std::min(here, left - 1);
    for (long d = 0; d < here; ++d, --left)
      make_directory(top + "/d" + std::to_string(d));
  }
  if (left != 0)
    throw std::runtime_error("tree layout: " + std::to_string(left) + " directories not placed");
}

// ---------------------------------------------------------------------------------------------
// The floor: a recursive watch with the library's mask, stopped by the first ENOSPC

constexpr std::uint32_t watch_mask = asio_fswatch::detail::inotify_watch_mask;

/// Watches `root` and every directory below it (watch, then list, as any correct recursive
/// watcher must) until inotify_add_watch refuses with ENOSPC. Returns the watch descriptors
/// taken; throws when the limit is never reached or another error comes.
std::vector<int> watch_until_the_limit(int fd, const std::string& root) {
  std::vector<int> watches;
  std::vector<std::string> stack{root};
  while (!stack.empty()) {
    std::string directory = std::move(stack.back());
    stack.pop_back();
    int wd = ::inotify_add_watch(fd, directory.c_str(), watch_mask | (watches.empty() ? 0 : IN_DONT_FOLLOW));
    if (wd < 0) {
      if (errno == ENOSPC)
        return watches;
      throw_errno("inotify_add_watch", directory);
    }
    watches.push_back(wd);
    DIR* dir = ::opendir(directory.c_str());
    if (!dir)
      throw_errno("opendir", directory);
    while (const dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (entry->d_type == DT_DIR && !(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))))
        stack.push_back(directory + '/' + name);
    }
    ::closedir(dir);
  }
  throw std::runtime_error("the whole tree was watched: the limit was never reached");
}

/// inotify watches held by this process, from /proc/self/fdinfo of its inotify descriptors.
std::size_t watches_held() {
  std::size_t count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    if (fs::read_symlink(entry.path(), link_ec).native() != "anon_inode:inotify" || link_ec)
      continue;
    std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().native());
    std::string line;
    while (std::getline(info, line))
      count += line.rfind("inotify wd:", 0) == 0;
  }
  return count;
}

/// True when a fresh inotify instance can add a watch on `directory`: the limit has room.
bool limit_has_room(const std::string& directory) {
  int fd = ::inotify_init1(IN_CLOEXEC);
  if (fd < 0)
    throw_errno("inotify_init1");
  bool ok = ::inotify_add_watch(fd, directory.c_str(), IN_CREATE) >= 0;
  ::close(fd);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// One run of each side

struct sample {
  double failed_ms = 0;   ///< start to the refusal (floor) / to add() returning (ours)
  double released_ms = 0; ///< start to every watch given back
  long watches = 0;       ///< watches taken before the refusal (floor only)
};

enum class release { close_descriptor, remove_each };

sample floor_run(const std::string& root, release how) {
  sample s;
  auto start = clock_type::now();
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0)
    throw_errno("inotify_init1");
  std::vector<int> watches = watch_until_the_limit(fd, root);
  s.failed_ms = ms_between(start, clock_type::now());
  s.watches = static_cast<long>(watches.size());
  if (how == release::remove_each)
    for (int wd : watches)
      if (::inotify_rm_watch(fd, wd) != 0)
        throw_errno("inotify_rm_watch");
  ::close(fd);
  s.released_ms = ms_between(start, clock_type::now());
  return s;
}

sample monitor_run(const std::string& root) {
  sample s;
  boost::asio::io_context io;
  asio_fswatch::monitor_options options;
  options.backend = asio_fswatch::backend::inotify;
  auto start = clock_type::now();
  asio_fswatch::directory_monitor monitor(io, options);
  boost::system::error_code ec;
  monitor.add(root, ec);
  auto returned = clock_type::now();
  if (ec != asio_fswatch::errc::watch_limit_reached)
    throw std::runtime_error("add: expected watch_limit_reached, got " + (ec ? ec.message() : "success"));
  s.failed_ms = ms_between(start, returned);
  // Given back when the process holds no watch and a new instance may add one.
  auto deadline = returned + std::chrono::seconds(30);
  while (watches_held() != 0 || !limit_has_room(root)) {
    if (clock_type::now() > deadline)
      throw std::runtime_error("the monitor's watches were not given back within 30 s of add() failing");
  }
  s.released_ms = ms_between(start, clock_type::now());
  return s;
}

struct figures {
  std::vector<double> failed, released;
  long watches = 0;

  void add(const sample& s) {
    failed.push_back(s.failed_ms);
    released.push_back(s.released_ms);
    watches = std::max(watches, s.watches);
  }
};

std::string min_median_max(const std::vector<double>& values) {
  auto [low, high] = std::minmax_element(values.begin(), values.end());
  return bench::format_number(*low) + " / " + bench::format_number(bench::median(values)) + " / " +
         bench::format_number(*high);
}

/// The child, in its own user namespace with the lowered limit: every run, then the table.
int measure(const settings& s, const std::string& root) {
  figures by_close, by_removal, ours;
  // Warm the cache (dentries and inodes of the whole tree) and check that the limit bites.
  sample warm = floor_run(root, release::close_descriptor);
  std::fprintf(stderr, "warm-up: %ld watches before ENOSPC, %.0f ms\n", warm.watches, warm.released_ms);
  for (int run = 0; run < s.runs; ++run) {
    // Each side goes first in turn, so that none always follows the same one.
    for (int k = 0; k < 3; ++k) {
      switch ((run + k) % 3) {
      case 0: by_close.add(floor_run(root, release::close_descriptor)); break;
      case 1: by_removal.add(floor_run(root, release::remove_each)); break;
      default: ours.add(monitor_run(root)); break;
      }
    }
    std::fprintf(stderr, "run %d/%d: floor (close) %.0f ms, floor (rm_watch) %.0f ms, ours %.0f/%.0f ms\n", run + 1,
                 s.runs, by_close.released.back(), by_removal.released.back(), ours.failed.back(),
                 ours.released.back());
  }

  bench::print_heading("watch_limit_bench", s.quick);
  bench::print_build_line();
  std::printf("- tree: %s directories under %s (%s), warm cache (a walk first, not counted; cold cache not "
              "measured)\n",
              bench::with_thousands(static_cast<std::uint64_t>(s.directories)).c_str(), s.tree_dir.c_str(),
              bench::file_system_type(root).c_str());
  std::printf("- limit: %s watches (this user namespace's max_inotify_watches); %s taken before the refusal\n",
              bench::with_thousands(static_cast<std::uint64_t>(s.limit)).c_str(),
              bench::with_thousands(static_cast<std::uint64_t>(by_close.watches)).c_str());
  std::printf("- %d runs per side; cells: min / median / max in ms; ratio and target on the medians\n\n", s.runs);

  bench::print_target_table_heading(stdout, "floor (raw loop)");
  int missed = 0;
  auto row = [&](const std::string& metric, const std::vector<double>& floor, const std::vector<double>& mine,
                 bool with_target) {
    double ratio = bench::median(mine) / std::max(bench::median(floor), 1e-9);
    bool miss = with_target && ratio > 1.3;
    missed += miss;
    bench::print_target_row(stdout, "root beyond the watch limit", metric, min_median_max(floor),
                            min_median_max(mine), ratio,
                            with_target ? std::string("at most 1.3x") + bench::verdict(miss) : "—");
  };
  row("add() fails (floor: ENOSPC, close to follow)", by_close.failed, ours.failed, false);
  row("every watch given back, floor closes the instance", by_close.released, ours.released, true);
  row("every watch given back, floor removes each watch", by_removal.released, ours.released, false);
  std::vector<double> close_cost, removal_cost;
  for (std::size_t i = 0; i < by_close.failed.size(); ++i) {
    close_cost.push_back(by_close.released[i] - by_close.failed[i]);
    removal_cost.push_back(by_removal.released[i] - by_removal.failed[i]);
  }
  std::printf("\nThe release alone (floor): close %s ms, rm_watch each %s ms.\n", min_median_max(close_cost).c_str(),
              min_median_max(removal_cost).c_str());
  return bench::finish_report(missed, s.quick, {});
}

// ---------------------------------------------------------------------------------------------
// The parent: the tree, the host's limit, the child

/// The exit status when this machine cannot run the benchmark (ctest counts it as skipped).
constexpr int cannot_run = 77;

int run_child(const settings& s, const std::string& root) {
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0)
    throw_errno("fork");
  if (child == 0) {
    int status = 1;
    try {
      // A single-threaded child (fork copies only the calling thread) may enter a new user
      // namespace; its owner may set the namespace's limits.
      sigset_t signals = bench::termination_signals();
      pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
      if (::unshare(CLONE_NEWUSER) != 0 || !write_long(namespace_limit_path, s.limit)) {
        const std::string reason = std::string("needs a user namespace with its own inotify limits "
                                               "(unshare(CLONE_NEWUSER), then ") +
                                   namespace_limit_path + "): " + std::strerror(errno);
        std::fprintf(stderr, "watch_limit_bench: cannot run: %s\n", reason.c_str());
        // Counted by the test command with the other skips (test/common/skip_log.hpp).
        asio_fswatch::test::detail::log_skip(asio_fswatch::test::skip_kind::machine, "user_namespaces",
                                             "watch_limit_bench_smoke", reason);
        std::fflush(nullptr);
        ::_exit(cannot_run);
      }
      status = measure(s, root);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "watch_limit_bench: %s\n", e.what());
      std::printf("\nERROR: %s\n", e.what());
    }
    std::fflush(nullptr);
    ::_exit(status);
  }
  running_child = child;
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  running_child = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int run(const settings& s) {
  std::string root = bench::make_temp_dir(s.tree_dir, "asio_fswatch_limit_bench");
  {
    std::lock_guard lock(cleanup.mutex);
    cleanup.tree_root = root;
  }
  std::fprintf(stderr, "building %ld directories under %s\n", s.directories, root.c_str());
  build_tree(root, s.directories);
  // The child's watches count against this user's host limit as well: raise it by as much for
  // the run, so that other programs of this user (tests running meanwhile) keep their share.
  long host_limit = read_long(host_limit_path);
  if (::geteuid() == 0 && host_limit > 0) {
    std::lock_guard lock(cleanup.mutex);
    cleanup.restore_host_limit = host_limit;
    if (!write_long(host_limit_path, host_limit + s.limit)) {
      cleanup.restore_host_limit = -1;
      std::fprintf(stderr, "could not raise fs.inotify.max_user_watches; going on with %ld\n", host_limit);
    }
  } else if (host_limit >= 0 && host_limit < s.limit + 10'000) {
    std::fprintf(stderr, "fs.inotify.max_user_watches is %ld, not much above the limit measured (%ld): the host's "
                 "limit may refuse first, and other programs may be refused meanwhile\n", host_limit, s.limit);
  }
  return run_child(s, root);
}

} // namespace

int main(int argc, char** argv) {
  settings s = parse(argc, argv);
  bench::start_signal_thread("watch_limit_bench", running_child, clean_up_everything);
  int status = 1;
  try {
    status = run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "watch_limit_bench: %s\n", e.what());
  }
  clean_up_everything();
  return status;
}
