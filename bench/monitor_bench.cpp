// SPDX-License-Identifier: BSL-1.0
// monitor_bench: asio_fswatch::directory_monitor (inotify backend) against a raw inotify loop, the
// floor, on the same machine in the same run. Prints machine information and a Markdown table;
// never asserts on time. Scenarios, sizes and how each figure is taken: bench/README.md.
#include <asio_fswatch/detail/inotify_parser.hpp>
#include <asio_fswatch/directory_monitor.hpp>

#include "bench_support.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

using bench::file_system_type;
using bench::median;
using bench::read_first_line;
using bench::read_long;
using bench::throw_errno;
using bench::with_thousands;

// ---------------------------------------------------------------------------------------------
// Sizes and command line

struct sizes {
  int tree_top_dirs = 200;      // startup and memory: top x sub directories ...
  int tree_sub_dirs = 100;
  int tree_files = 10;          // ... each holding this many small files
  int storm_dirs = 1000;        // storm: directories created while watched ...
  int storm_files = 100;        // ... each then filled with this many files
  int latency_samples = 1000;
  int startup_runs = 3;         // per side, alternating; the median is reported
  int memory_runs = 3;          // fresh child processes per side; the median is reported
  std::chrono::milliseconds quiet{5000}; // storm: how long to wait for a missing path
  std::chrono::seconds storm_cap{300};   // storm: give up after this long in any case
};

sizes quick_sizes() {
  sizes s;
  s.tree_top_dirs = 20; // 400 directories, 4,000 files: 1/50
  s.tree_sub_dirs = 20;
  s.storm_dirs = 20;    // 2,000 files: 1/50
  s.latency_samples = 20;
  s.quiet = std::chrono::milliseconds(2000);
  s.storm_cap = std::chrono::seconds(60);
  return s;
}

struct command_line {
  bool quick = false;
  std::vector<std::string> scenarios; // empty: all
  int repeat = 1;
  std::string tree_base;   // startup and memory tree; empty: $TMPDIR or /tmp
  std::string create_base; // storm and latency files; empty: /dev/shm when tmpfs, else tree_base
};

const char* const scenario_names[] = {"startup", "storm", "latency", "memory"};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: monitor_bench [--quick] [--scenario NAME]... [--repeat N]\n"
               "  --quick          every scenario on sizes ~50x smaller (a few seconds)\n"
               "  --scenario NAME  run only NAME (startup, storm, latency, memory); repeatable\n"
               "  --repeat N       run every scenario N times; the table shows medians\n"
               "                   (the worst value for counts of lost paths)\n"
               "  --tree-dir DIR   where the startup/memory tree is built (default $TMPDIR or /tmp)\n"
               "  --create-dir DIR where the storm and latency scenarios create files\n"
               "                   (default /dev/shm when it is a tmpfs, else the tree directory)\n");
}

// ---------------------------------------------------------------------------------------------
// Small helpers

double to_ms(clock_type::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}
double to_us(clock_type::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// CPU time (user + system) of the calling thread, in milliseconds.
double thread_cpu_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

// "d0042" with prefix 'd' -> 42.
std::optional<int> parse_index(std::string_view name, char prefix) {
  if (name.size() < 2 || name.front() != prefix)
    return std::nullopt;
  int value = 0;
  for (char c : name.substr(1)) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

void make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    throw_errno("mkdir", path);
}

// ---------------------------------------------------------------------------------------------
// Process-wide state undone at exit, also on SIGINT/SIGTERM/SIGHUP

struct cleanup_state {
  std::mutex mutex;
  std::vector<std::string> temp_roots;
  long restore_max_user_watches = -1; // the value to write back, -1: nothing changed
  bool done = false;
};
cleanup_state cleanup;
std::atomic<pid_t> running_child{-1};

const char* const max_user_watches_path = "/proc/sys/fs/inotify/max_user_watches";

bool write_max_user_watches(long value) { return bench::write_long(max_user_watches_path, value); }

void clean_up_everything() {
  std::lock_guard lock(cleanup.mutex);
  if (cleanup.done)
    return;
  cleanup.done = true;
  for (const std::string& root : cleanup.temp_roots) {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }
  if (cleanup.restore_max_user_watches >= 0) {
    if (write_max_user_watches(cleanup.restore_max_user_watches))
      std::fprintf(stderr, "restored fs.inotify.max_user_watches to %ld\n",
                   cleanup.restore_max_user_watches);
    else
      std::fprintf(stderr, "could not restore fs.inotify.max_user_watches to %ld\n",
                   cleanup.restore_max_user_watches);
  }
}

std::string make_temp_root(const std::string& base) {
  std::string root = bench::make_temp_dir(base, "asio_fswatch_bench");
  std::lock_guard lock(cleanup.mutex);
  cleanup.temp_roots.push_back(root);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Machine information and the inotify limits

struct machine_info {
  long max_user_watches = -1;
  long max_user_watches_before = -1; // set when this run raised the limit
  std::string watches_note;
};

machine_info ensure_watch_limit(long needed) {
  machine_info info;
  info.max_user_watches = read_long(max_user_watches_path);
  if (info.max_user_watches < 0) {
    info.watches_note = "cannot read " + std::string(max_user_watches_path);
    return info;
  }
  if (info.max_user_watches >= needed)
    return info;
  long wanted = 524288;
  if (::geteuid() == 0 && write_max_user_watches(wanted)) {
    {
      std::lock_guard lock(cleanup.mutex);
      cleanup.restore_max_user_watches = info.max_user_watches;
    }
    info.max_user_watches_before = info.max_user_watches;
    info.max_user_watches = wanted;
    info.watches_note = "raised from " + std::to_string(info.max_user_watches_before) +
                        " for this run, restored at exit";
  } else {
    info.watches_note = "WARNING: below the " + std::to_string(needed) +
                        " this benchmark needs; scenarios may fail with watch_limit_reached. "
                        "Run as root, or: sysctl fs.inotify.max_user_watches=524288";
    std::fprintf(stderr, "monitor_bench: fs.inotify.max_user_watches is %ld. %s\n",
                 info.max_user_watches, info.watches_note.c_str());
  }
  return info;
}

void print_machine_info(const machine_info& info, const std::string& tree_root,
                        const std::string& create_root, const sizes& s, bool quick) {
  bench::print_heading("monitor_bench", quick);
  std::printf("- fs.inotify.max_user_watches: %ld%s%s%s\n", info.max_user_watches,
              info.watches_note.empty() ? "" : " (", info.watches_note.c_str(),
              info.watches_note.empty() ? "" : ")");
  std::printf("- fs.inotify.max_queued_events: %ld, max_user_instances: %ld\n",
              read_long("/proc/sys/fs/inotify/max_queued_events"),
              read_long("/proc/sys/fs/inotify/max_user_instances"));
  std::printf("- startup/memory tree under %s (%s); storm/latency files under %s (%s)\n",
              tree_root.c_str(), file_system_type(tree_root).c_str(), create_root.c_str(),
              file_system_type(create_root).c_str());
  bench::print_build_line();
  long dirs = long(s.tree_top_dirs) * s.tree_sub_dirs;
  std::printf("- sizes: tree %ld directories x %d files; storm %d directories x %d files; "
              "latency %d samples\n\n",
              dirs, s.tree_files, s.storm_dirs, s.storm_files, s.latency_samples);
}

// ---------------------------------------------------------------------------------------------
// The results table

enum class target_kind {
  none,          // information only
  ratio_at_most, // ours / floor <= limit
  ours_zero,     // ours == 0
  ours_at_most,  // ours <= limit (in the row's unit)
};

enum class aggregate { median, worst };

struct row_spec {
  std::string scenario;
  std::string metric;
  std::string unit;
  target_kind target = target_kind::none;
  double limit = 0;
  aggregate combine = aggregate::median;
  int decimals = -1; // -1: choose from the magnitude
  // ratio_at_most: a figure this small meets the target whatever the ratio (it is noise).
  std::optional<double> noise{};
};

// A drain below this means the consumer kept up with the writer: what remains is the wake-up of
// a thread, which no ratio can tell apart from noise.
constexpr double drain_noise_ms = 1.0;

class result_table {
public:
  void add(const row_spec& spec, std::optional<double> floor, std::optional<double> ours) {
    auto it = std::find_if(rows_.begin(), rows_.end(), [&](const row& r) {
      return r.spec.scenario == spec.scenario && r.spec.metric == spec.metric;
    });
    if (it == rows_.end()) {
      rows_.push_back(row{spec, {}, {}, 0});
      it = rows_.end() - 1;
    }
    ++it->samples;
    if (floor)
      it->floor.push_back(*floor);
    if (ours)
      it->ours.push_back(*ours);
  }

  bool empty() const { return rows_.empty(); }

  /// Prints the table in scenario order; returns the number of rows that miss their target.
  int print(std::FILE* out) const {
    bench::print_target_table_heading(out, "floor (raw inotify)");
    int missed = 0;
    for (const char* scenario : scenario_names) {
      for (const row& r : rows_) {
        if (r.spec.scenario != scenario)
          continue;
        std::optional<double> floor = combine(r, r.floor);
        std::optional<double> ours = combine(r, r.ours);
        std::optional<double> ratio;
        if (floor && ours && *floor > 0)
          ratio = *ours / *floor;
        bool miss = false;
        std::string target;
        switch (r.spec.target) {
        case target_kind::none:
          target = "—";
          break;
        case target_kind::ratio_at_most:
          target = "<= " + bench::format(r.spec.limit, 1) + "x floor";
          miss = !ratio || *ratio > r.spec.limit;
          if (r.spec.noise) {
            target += " (or < " + bench::format(*r.spec.noise, 0) + " " + r.spec.unit + ": kept up)";
            miss = !ours || (*ours >= *r.spec.noise && miss);
          }
          break;
        case target_kind::ours_zero:
          target = "0";
          miss = !ours || *ours != 0;
          break;
        case target_kind::ours_at_most:
          target = "<= " + bench::format(r.spec.limit, 0) + " " + r.spec.unit;
          miss = !ours || *ours > r.spec.limit;
          break;
        }
        if (r.spec.target != target_kind::none)
          target += bench::verdict(miss);
        missed += miss ? 1 : 0;
        std::string metric = r.spec.metric;
        if (r.samples > 1)
          metric += r.spec.combine == aggregate::median ? " (median of " : " (worst of ";
        if (r.samples > 1)
          metric += std::to_string(r.samples) + " runs)";
        bench::print_target_row(out, r.spec.scenario, metric, cell(floor, r.spec), cell(ours, r.spec), ratio,
                                target);
      }
    }
    return missed;
  }

private:
  struct row {
    row_spec spec;
    std::vector<double> floor;
    std::vector<double> ours;
    int samples;
  };

  static std::optional<double> combine(const row& r, const std::vector<double>& values) {
    // A side that failed in one run has no figure: the row shows n/a rather than a flattering one.
    if (values.empty() || static_cast<int>(values.size()) != r.samples)
      return std::nullopt;
    if (r.spec.combine == aggregate::worst)
      return *std::max_element(values.begin(), values.end());
    return median(values);
  }

  static std::string cell(std::optional<double> v, const row_spec& spec) {
    if (!v)
      return "n/a";
    std::string text = bench::format_number(*v, spec.decimals);
    return spec.unit.empty() ? text : text + " " + spec.unit;
  }

  std::vector<row> rows_;
};

// ---------------------------------------------------------------------------------------------
// The floor: a raw inotify loop with the library's own watch mask, so the kernel queues the same
// records for both sides.

constexpr std::uint32_t watch_mask = asio_fswatch::detail::inotify_watch_mask;
constexpr std::size_t read_buffer_size = 256 * 1024; // as the library's

/// Walks the records of one read of an inotify descriptor: on_record(event, name) for each,
/// until it returns false. Returns false when it was stopped.
template <typename OnRecord>
bool for_each_record(const char* data, std::size_t size, OnRecord&& on_record) {
  for (std::size_t offset = 0; offset < size;) {
    inotify_event event;
    std::memcpy(&event, data + offset, sizeof event);
    std::string_view name(data + offset + sizeof event,
                          ::strnlen(data + offset + sizeof event, event.len));
    offset += sizeof event + event.len;
    if (!on_record(event, name))
      return false;
  }
  return true;
}

/// An inotify instance plus the least state any recursive watcher keeps: the directory of each
/// watch descriptor.
class raw_watcher {
public:
  explicit raw_watcher(int flags = IN_CLOEXEC) : fd_(::inotify_init1(flags)) {
    if (fd_ < 0)
      throw_errno("inotify_init1");
  }
  ~raw_watcher() { ::close(fd_); }
  raw_watcher(const raw_watcher&) = delete;
  raw_watcher& operator=(const raw_watcher&) = delete;

  int fd() const noexcept { return fd_; }

  /// Returns the watch descriptor, or -1 when the directory vanished (errno says why).
  int watch(const std::string& directory, bool is_root) {
    int wd = ::inotify_add_watch(fd_, directory.c_str(), watch_mask | (is_root ? 0 : IN_DONT_FOLLOW));
    if (wd < 0) {
      if (errno == ENOSPC)
        throw std::runtime_error("inotify_add_watch: fs.inotify.max_user_watches reached");
      return -1;
    }
    if (static_cast<std::size_t>(wd) >= directories_.size())
      directories_.resize(static_cast<std::size_t>(wd) + 1024);
    directories_[static_cast<std::size_t>(wd)] = directory;
    return wd;
  }

private:
  int fd_;
  std::vector<std::string> directories_;
};

bool is_directory_entry(const std::string& parent, const dirent& entry) {
  if (entry.d_type == DT_DIR)
    return true;
  if (entry.d_type != DT_UNKNOWN)
    return false;
  struct stat st;
  std::string path = parent + '/' + entry.d_name;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_dot_or_dot_dot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/// What `inotifywait -r` has to do at least: watch a directory, then list it (in this order, so
/// nothing created in between is missed) and go down into its subdirectories.
void watch_tree_raw(raw_watcher& watcher, const std::string& root) {
  std::vector<std::string> stack{root};
  bool is_root = true;
  while (!stack.empty()) {
    std::string directory = std::move(stack.back());
    stack.pop_back();
    if (watcher.watch(directory, is_root) < 0) {
      if (is_root)
        throw_errno("inotify_add_watch", directory);
      continue;
    }
    is_root = false;
    DIR* dir = ::opendir(directory.c_str());
    if (!dir)
      continue;
    while (const dirent* entry = ::readdir(dir)) {
      if (!is_dot_or_dot_dot(entry->d_name) && is_directory_entry(directory, *entry))
        stack.push_back(directory + '/' + entry->d_name);
    }
    ::closedir(dir);
  }
}

// Watches held by this process, read from /proc/self/fdinfo of each inotify descriptor.
std::size_t count_inotify_watches() {
  std::size_t count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    fs::path target = fs::read_symlink(entry.path(), link_ec);
    if (link_ec || target.native() != "anon_inode:inotify")
      continue;
    std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().native());
    std::string line;
    while (std::getline(info, line))
      if (line.rfind("inotify wd:", 0) == 0)
        ++count;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// The tree of the startup and memory scenarios

struct tree_layout {
  std::string root;
  int top_dirs;
  int sub_dirs;
  int files;

  long directories() const { return 1L + top_dirs + long(top_dirs) * sub_dirs; }
  long entries() const { return directories() + long(top_dirs) * sub_dirs * files; }
};

void build_tree(const tree_layout& tree) {
  make_directory(tree.root);
  char name[64];
  for (int t = 0; t < tree.top_dirs; ++t) {
    std::snprintf(name, sizeof name, "/t%03d", t);
    std::string top = tree.root + name;
    make_directory(top);
    for (int s = 0; s < tree.sub_dirs; ++s) {
      std::snprintf(name, sizeof name, "/s%03d", s);
      std::string sub = top + name;
      make_directory(sub);
      int dir = ::open(sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0)
        throw_errno("open", sub);
      for (int f = 0; f < tree.files; ++f) {
        std::snprintf(name, sizeof name, "f%d.txt", f);
        int fd = ::openat(dir, name, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
          throw_errno("openat", sub + '/' + name);
        static const char content[] = "small file\n";
        if (::write(fd, content, sizeof content - 1) < 0)
          throw_errno("write", sub + '/' + name);
        ::close(fd);
      }
      ::close(dir);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: startup

void run_startup(const tree_layout& tree, const sizes& s, result_table& table) {
  std::vector<double> floor_ms, ours_ms;
  std::size_t floor_watches = 0, ours_watches = 0;
  for (int run = 0; run < s.startup_runs; ++run) {
    {
      auto start = clock_type::now();
      raw_watcher watcher;
      watch_tree_raw(watcher, tree.root);
      floor_ms.push_back(to_ms(clock_type::now() - start));
      floor_watches = count_inotify_watches();
    } // closing the descriptor tears the watches down: not part of the figure
    {
      asio::io_context io;
      auto start = clock_type::now();
      asio_fswatch::directory_monitor monitor(io);
      monitor.add(tree.root);
      ours_ms.push_back(to_ms(clock_type::now() - start));
      ours_watches = count_inotify_watches();
    }
    std::fprintf(stderr, "  startup run %d: floor %.1f ms, asio_fswatch %.1f ms\n", run + 1,
                 floor_ms.back(), ours_ms.back());
  }
  char metric[128];
  std::snprintf(metric, sizeof metric, "time to ready (median of %d, alternating)", s.startup_runs);
  table.add({"startup", metric, "ms", target_kind::ratio_at_most, 1.2}, median(floor_ms),
            median(ours_ms));
  table.add({"startup", "directories watched", "", target_kind::none, 0, aggregate::median, 0},
            double(floor_watches), double(ours_watches));
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: storm

struct storm_layout {
  std::string root; // exists and is empty when the consumer starts
  int dirs;
  int files;

  std::size_t expected() const { return std::size_t(dirs) * std::size_t(files + 1); }
  std::size_t directory_slot(int d) const { return std::size_t(d) * std::size_t(files + 1); }
  std::size_t file_slot(int d, int f) const { return directory_slot(d) + 1 + std::size_t(f); }

  /// The slot of "dNNNN" or "dNNNN/fNNN" relative to the root, if it is one of ours.
  std::optional<std::size_t> slot_of(std::string_view relative) const {
    std::size_t slash = relative.find('/');
    std::optional<int> d = parse_index(relative.substr(0, slash), 'd');
    if (!d || *d >= dirs)
      return std::nullopt;
    if (slash == std::string_view::npos)
      return directory_slot(*d);
    std::optional<int> f = parse_index(relative.substr(slash + 1), 'f');
    if (!f || *f >= files)
      return std::nullopt;
    return file_slot(*d, *f);
  }
};

/// Which expected paths a consumer has seen.
class path_tally {
public:
  explicit path_tally(std::size_t expected) : seen_(expected, 0) {}
  void mark(std::size_t slot) {
    if (seen_[slot]) {
      ++duplicates_;
      return;
    }
    seen_[slot] = 1;
    ++unique_;
  }
  std::size_t unique() const noexcept { return unique_; }
  std::size_t duplicates() const noexcept { return duplicates_; }
  bool complete() const noexcept { return unique_ == seen_.size(); }

private:
  std::vector<std::uint8_t> seen_;
  std::size_t unique_ = 0;
  std::size_t duplicates_ = 0;
};

struct writer_times {
  clock_type::time_point start;
  clock_type::time_point last_close;
};

/// mkdir, then the directory's files via open(O_CREAT) + close, as fast as possible.
void storm_writer(const storm_layout& layout, writer_times& times, std::atomic<bool>& done) {
  times.start = clock_type::now();
  char path[4096];
  for (int d = 0; d < layout.dirs; ++d) {
    int length = std::snprintf(path, sizeof path, "%s/d%04d", layout.root.c_str(), d);
    if (::mkdir(path, 0755) != 0)
      std::perror("storm writer: mkdir");
    for (int f = 0; f < layout.files; ++f) {
      std::snprintf(path + length, sizeof path - std::size_t(length), "/f%03d", f);
      int fd = ::open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0)
        std::perror("storm writer: open");
      else
        ::close(fd);
    }
  }
  times.last_close = clock_type::now();
  done.store(true, std::memory_order_release);
}

struct storm_outcome {
  std::size_t lost = 0;
  std::size_t records = 0;    // floor: IN_CREATE records; ours: `created` events
  std::size_t duplicates = 0;
  std::size_t overflows = 0;
  std::optional<double> drain_ms; // unset when a path never came
  double total_ms = 0;
  double writer_ms = 0;
  double consumer_cpu_ms = 0;
};

storm_outcome finish_outcome(const storm_layout& layout, const path_tally& tally,
                             const writer_times& times,
                             std::optional<clock_type::time_point> seen_all,
                             clock_type::time_point stopped) {
  storm_outcome out;
  out.lost = layout.expected() - tally.unique();
  out.duplicates = tally.duplicates();
  out.writer_ms = to_ms(times.last_close - times.start);
  if (seen_all) {
    // The last path can be seen before its close() returns; that is a drain of zero.
    out.drain_ms = std::max(0.0, to_ms(*seen_all - times.last_close));
    out.total_ms = to_ms(*seen_all - times.start);
  } else {
    out.total_ms = to_ms(stopped - times.start);
  }
  return out;
}

/// The simplest correct recursive raw loop: on IN_CREATE|IN_ISDIR, watch the new directory, then
/// list it for the files created before the watch existed.
storm_outcome run_storm_floor(const storm_layout& layout, const sizes& s) {
  raw_watcher watcher(IN_CLOEXEC | IN_NONBLOCK);
  int root_watch = watcher.watch(layout.root, true);
  if (root_watch < 0)
    throw_errno("inotify_add_watch", layout.root);
  std::vector<int> directory_of_watch(std::size_t(root_watch) + 1, -2); // -2: not ours, -1: root
  directory_of_watch[std::size_t(root_watch)] = -1;
  path_tally tally(layout.expected());
  std::size_t creates = 0, overflows = 0;
  std::optional<clock_type::time_point> seen_all;
  auto last_progress = clock_type::now();

  auto mark = [&](std::size_t slot) {
    tally.mark(slot);
    if (tally.complete() && !seen_all)
      seen_all = clock_type::now();
  };

  writer_times times;
  std::atomic<bool> writer_done{false};
  double cpu_start = thread_cpu_ms();
  std::thread writer([&] { storm_writer(layout, times, writer_done); });

  std::vector<char> buffer(read_buffer_size);
  auto started = clock_type::now();
  while (!seen_all) {
    pollfd p{watcher.fd(), POLLIN, 0};
    int ready = ::poll(&p, 1, 20);
    if (ready < 0 && errno != EINTR)
      throw_errno("poll");
    while (ready > 0 && !seen_all) {
      ssize_t n = ::read(watcher.fd(), buffer.data(), buffer.size());
      if (n <= 0)
        break;
      last_progress = clock_type::now();
      for_each_record(buffer.data(), std::size_t(n), [&](const inotify_event& event,
                                                         std::string_view name) {
        if (event.mask & IN_Q_OVERFLOW) {
          ++overflows;
          return true;
        }
        if (!(event.mask & IN_CREATE))
          return true;
        ++creates;
        int dir = std::size_t(event.wd) < directory_of_watch.size()
                      ? directory_of_watch[std::size_t(event.wd)]
                      : -2;
        if (dir == -1) {
          std::optional<int> d = parse_index(name, 'd');
          if (!d || *d >= layout.dirs)
            return true;
          mark(layout.directory_slot(*d));
          if (!(event.mask & IN_ISDIR))
            return true;
          std::string path = layout.root + '/' + std::string(name);
          int wd = watcher.watch(path, false);
          if (wd < 0)
            return true;
          if (std::size_t(wd) >= directory_of_watch.size())
            directory_of_watch.resize(std::size_t(wd) + 1024, -2);
          directory_of_watch[std::size_t(wd)] = *d;
          if (DIR* listing = ::opendir(path.c_str())) {
            while (const dirent* entry = ::readdir(listing)) {
              std::optional<int> f = parse_index(entry->d_name, 'f');
              if (f && *f < layout.files)
                mark(layout.file_slot(*d, *f));
            }
            ::closedir(listing);
          }
        } else if (dir >= 0) {
          std::optional<int> f = parse_index(name, 'f');
          if (f && *f < layout.files)
            mark(layout.file_slot(dir, *f));
        }
        return true;
      });
    }
    auto now = clock_type::now();
    if (writer_done.load(std::memory_order_acquire) && now - last_progress > s.quiet)
      break;
    if (now - started > s.storm_cap)
      break;
  }
  auto stopped = clock_type::now();
  double cpu_ms = thread_cpu_ms() - cpu_start;
  writer.join();
  storm_outcome out = finish_outcome(layout, tally, times, seen_all, stopped);
  out.consumer_cpu_ms = cpu_ms;
  out.records = creates;
  out.overflows = overflows;
  return out;
}

/// directory_monitor on an io_context run by this (the consumer) thread, in an
/// async_read_events loop.
storm_outcome run_storm_ours(const storm_layout& layout, const sizes& s) {
  asio::io_context io;
  asio_fswatch::directory_monitor monitor(io);
  monitor.add(layout.root);
  const std::string prefix = layout.root + '/';
  path_tally tally(layout.expected());
  std::size_t created_events = 0, overflows = 0;
  std::optional<clock_type::time_point> seen_all;
  auto last_progress = clock_type::now();
  error_code read_error;

  std::function<void(error_code, std::vector<asio_fswatch::fs_event>)> on_events =
      [&](error_code ec, std::vector<asio_fswatch::fs_event> events) {
        if (ec) {
          if (ec != asio::error::operation_aborted)
            read_error = ec;
          return;
        }
        last_progress = clock_type::now();
        for (const asio_fswatch::fs_event& event : events) {
          if (event.kind == asio_fswatch::event_kind::overflow) {
            ++overflows;
            continue;
          }
          if (event.kind != asio_fswatch::event_kind::created)
            continue;
          ++created_events;
          const std::string& path = event.path.native();
          if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0)
            continue;
          if (std::optional<std::size_t> slot = layout.slot_of(std::string_view(path).substr(prefix.size()))) {
            tally.mark(*slot);
            if (tally.complete() && !seen_all)
              seen_all = clock_type::now();
          }
        }
        if (!seen_all)
          monitor.async_read_events(on_events);
      };

  writer_times times;
  std::atomic<bool> writer_done{false};
  asio::steady_timer watchdog(io);
  auto started = clock_type::now();
  std::function<void(error_code)> on_watchdog = [&](error_code) {
    if (seen_all)
      return;
    auto now = clock_type::now();
    if ((writer_done.load(std::memory_order_acquire) && now - last_progress > s.quiet) ||
        now - started > s.storm_cap || read_error) {
      monitor.cancel();
      return;
    }
    watchdog.expires_after(std::chrono::milliseconds(20));
    watchdog.async_wait(on_watchdog);
  };

  monitor.async_read_events(on_events);
  watchdog.expires_after(std::chrono::milliseconds(20));
  watchdog.async_wait(on_watchdog);
  double cpu_start = thread_cpu_ms();
  std::thread writer([&] { storm_writer(layout, times, writer_done); });
  io.run();
  auto stopped = clock_type::now();
  double cpu_ms = thread_cpu_ms() - cpu_start;
  writer.join();
  if (read_error)
    std::fprintf(stderr, "  storm: asio_fswatch read failed: %s\n", read_error.message().c_str());
  storm_outcome out = finish_outcome(layout, tally, times, seen_all, stopped);
  out.consumer_cpu_ms = cpu_ms;
  out.records = created_events;
  out.overflows = overflows;
  return out;
}

void run_storm(const std::string& temp_root, const sizes& s, int repetition, result_table& table) {
  storm_outcome floor, ours;
  // Alternate which side goes first, so that neither always meets a warmer (or fuller) disk.
  for (int i = 0; i < 2; ++i) {
    bool floor_turn = (i + repetition) % 2 == 0;
    storm_layout layout{temp_root + (floor_turn ? "/storm_floor" : "/storm_ours"), s.storm_dirs,
                        s.storm_files};
    make_directory(layout.root);
    storm_outcome& out = floor_turn ? floor : ours;
    out = floor_turn ? run_storm_floor(layout, s) : run_storm_ours(layout, s);
    std::fprintf(stderr,
                 "  storm %s: lost %zu, drain %s ms, total %.1f ms, writer %.1f ms, "
                 "consumer CPU %.1f ms, records %zu, duplicates %zu, overflows %zu\n",
                 floor_turn ? "floor" : "asio_fswatch", out.lost,
                 out.drain_ms ? std::to_string(*out.drain_ms).c_str() : "n/a", out.total_ms,
                 out.writer_ms, out.consumer_cpu_ms, out.records, out.duplicates, out.overflows);
    std::error_code ignored;
    fs::remove_all(layout.root, ignored);
  }
  std::string expected = with_thousands(std::uint64_t(s.storm_dirs) * std::uint64_t(s.storm_files + 1));
  table.add({"storm", "paths lost (of " + expected + ")", "", target_kind::ours_zero, 0,
             aggregate::worst, 0},
            double(floor.lost), double(ours.lost));
  table.add({"storm", "drain time after the writer's last close()", "ms", target_kind::ratio_at_most,
             1.2, aggregate::median, 3, drain_noise_ms},
            floor.drain_ms, ours.drain_ms);
  table.add({"storm", "total time (writer start to last path seen)", "ms"}, floor.total_ms,
            ours.total_ms);
  table.add({"storm", "writer time (mkdir + open/close, concurrent)", "ms"}, floor.writer_ms,
            ours.writer_ms);
  table.add({"storm", "consumer thread CPU time (user + sys)", "ms"}, floor.consumer_cpu_ms,
            ours.consumer_cpu_ms);
  table.add({"storm", "records received (floor: IN_CREATE; ours: `created`)", "", target_kind::none,
             0, aggregate::median, 0},
            double(floor.records), double(ours.records));
  table.add({"storm", "kernel queue overflows", "", target_kind::none, 0, aggregate::worst, 0},
            double(floor.overflows), double(ours.overflows));
}

// ---------------------------------------------------------------------------------------------
// Scenario 3: latency

/// Arrival times of the samples, written by a consumer thread, waited for by the writer.
class arrival_board {
public:
  explicit arrival_board(std::size_t samples) : arrivals_(samples) {}

  void arrived(std::size_t sample, clock_type::time_point when) {
    {
      std::lock_guard lock(mutex_);
      if (sample < arrivals_.size() && !arrivals_[sample])
        arrivals_[sample] = when;
    }
    changed_.notify_all();
  }

  /// Sleeps (no spinning: the consumer needs the other core) until the sample arrived.
  std::optional<clock_type::time_point> wait(std::size_t sample, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return arrivals_[sample].has_value(); });
    return arrivals_[sample];
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<clock_type::time_point>> arrivals_;
};

struct latency_side {
  std::string directory;
  arrival_board board;
  std::vector<double> samples_us;
  std::size_t lost = 0;

  latency_side(std::string dir, std::size_t n) : directory(std::move(dir)), board(n) {}
};

/// A reference consumer with no asio_fswatch: a bare posix::stream_descriptor read loop on an
/// inotify descriptor, on its own io_context thread. With `lstat`, it also joins each created
/// entry's path and lstats it before it takes the arrival time.
class bare_asio_loop {
public:
  bare_asio_loop(latency_side& side, bool lstat)
      : side_(side), lstat_(lstat), watcher_(IN_CLOEXEC | IN_NONBLOCK), buffer_(read_buffer_size) {
    if (watcher_.watch(side_.directory, true) < 0)
      throw_errno("inotify_add_watch", side_.directory);
    descriptor_.emplace(io_, ::dup(watcher_.fd()));
    read();
    thread_ = std::thread([this] { io_.run(); });
  }

  /// A file named "stop" ends the loop; then its thread is joined.
  void stop() {
    int fd = ::open((side_.directory + "/stop").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0)
      ::close(fd);
    thread_.join();
  }

private:
  void read() {
    descriptor_->async_read_some(asio::buffer(buffer_), [this](error_code ec, std::size_t got) {
      auto when = clock_type::now();
      if (ec)
        return;
      bool go_on = for_each_record(buffer_.data(), got, [&](const inotify_event& event, std::string_view name) {
        if (!(event.mask & IN_CREATE))
          return true;
        if (name == "stop")
          return false;
        if (lstat_) {
          std::string path = side_.directory;
          path += '/';
          path += name;
          struct stat st;
          if (::lstat(path.c_str(), &st) != 0)
            return true;
          when = clock_type::now();
        }
        if (std::optional<int> sample = parse_index(name, 's'))
          side_.board.arrived(std::size_t(*sample), when);
        return true;
      });
      if (go_on)
        read();
    });
  }

  latency_side& side_;
  const bool lstat_;
  asio::io_context io_;
  raw_watcher watcher_;
  std::optional<asio::posix::stream_descriptor> descriptor_;
  std::vector<char> buffer_;
  std::thread thread_;
};

void run_latency(const std::string& temp_root, const sizes& s, result_table& table) {
  const std::size_t n = std::size_t(s.latency_samples);
  // Fresh, empty directories: opening a file that exists already creates nothing to report.
  latency_side floor(temp_root + "/latency_floor", n), ours(temp_root + "/latency_ours", n),
      bare(temp_root + "/latency_asio", n), typed(temp_root + "/latency_typed", n);
  const std::initializer_list<latency_side*> sides = {&floor, &ours, &bare, &typed};
  std::error_code ignored;
  for (latency_side* side : sides) {
    fs::remove_all(side->directory, ignored);
    make_directory(side->directory);
  }

  // Floor: a thread blocked in read(2) on the inotify descriptor.
  raw_watcher watcher; // blocking
  if (watcher.watch(floor.directory, true) < 0)
    throw_errno("inotify_add_watch", floor.directory);
  std::thread floor_consumer([&] {
    std::vector<char> buffer(read_buffer_size);
    for (;;) {
      ssize_t got = ::read(watcher.fd(), buffer.data(), buffer.size());
      auto when = clock_type::now();
      if (got <= 0) {
        if (got < 0 && errno == EINTR)
          continue;
        return;
      }
      bool go_on = for_each_record(buffer.data(), std::size_t(got), [&](const inotify_event& event,
                                                                       std::string_view name) {
        if (!(event.mask & IN_CREATE))
          return true;
        if (name == "stop")
          return false;
        if (std::optional<int> sample = parse_index(name, 's'))
          floor.board.arrived(std::size_t(*sample), when);
        return true;
      });
      if (!go_on)
        return;
    }
  });

  // Ours: an io_context run by a thread, with a read always pending while idle.
  asio::io_context io;
  asio_fswatch::directory_monitor monitor(io);
  monitor.add(ours.directory);
  std::function<void(error_code, std::vector<asio_fswatch::fs_event>)> on_events =
      [&](error_code ec, std::vector<asio_fswatch::fs_event> events) {
        auto when = clock_type::now();
        if (ec)
          return; // cancelled at the end
        // Re-arm before telling the writer, so that the next sample finds a read pending.
        monitor.async_read_events(on_events);
        for (const asio_fswatch::fs_event& event : events)
          if (event.kind == asio_fswatch::event_kind::created)
            if (std::optional<int> sample = parse_index(event.path.filename().native(), 's'))
              ours.board.arrived(std::size_t(*sample), when);
      };
  monitor.async_read_events(on_events);
  std::thread ours_consumer([&] { io.run(); });

  // For reference, what Asio's reactor costs by itself: a bare posix::stream_descriptor read
  // loop on an inotify descriptor (no asio_fswatch), on its own io_context thread; and the same
  // loop doing the least that an event with an absolute path and an entry type needs: the path
  // joined, and an lstat(2) for the type (inotify tells only directories apart).
  bare_asio_loop bare_loop(bare, false);
  bare_asio_loop typed_loop(typed, true);

  std::mt19937 random(12345);
  std::uniform_int_distribution<int> gap_us(500, 1500);
  constexpr std::size_t give_up_after_lost = 5; // 5 s each: a broken side must not take hours
  for (std::size_t i = 0; i < n && floor.lost + ours.lost < give_up_after_lost; ++i) {
    for (int k = 0; k < 4; ++k) {
      int turn = (k + int(i)) % 4;
      latency_side& side = turn == 0 ? floor : turn == 1 ? ours : turn == 2 ? bare : typed;
      std::this_thread::sleep_for(std::chrono::microseconds(gap_us(random)));
      char name[32];
      std::snprintf(name, sizeof name, "/s%05zu", i);
      std::string path = side.directory + name;
      auto start = clock_type::now();
      int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0)
        throw_errno("open", path);
      ::close(fd);
      if (auto arrival = side.board.wait(i, std::chrono::milliseconds(5000)))
        side.samples_us.push_back(to_us(*arrival - start));
      else
        ++side.lost;
    }
  }

  asio::post(io, [&] { monitor.cancel(); });
  ours_consumer.join();
  int stop = ::open((floor.directory + "/stop").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (stop >= 0)
    ::close(stop);
  floor_consumer.join();
  bare_loop.stop();
  typed_loop.stop();
  for (latency_side* side : sides)
    fs::remove_all(side->directory, ignored);

  for (latency_side* side : sides)
    std::sort(side->samples_us.begin(), side->samples_us.end());
  std::fprintf(stderr, "  latency: floor p50 %.1f p99 %.1f max %.1f us (%zu lost); "
                       "asio_fswatch p50 %.1f p99 %.1f max %.1f us (%zu lost)\n",
               percentile(floor.samples_us, 50), percentile(floor.samples_us, 99),
               floor.samples_us.empty() ? 0.0 : floor.samples_us.back(), floor.lost,
               percentile(ours.samples_us, 50), percentile(ours.samples_us, 99),
               ours.samples_us.empty() ? 0.0 : ours.samples_us.back(), ours.lost);
  std::fprintf(stderr, "  latency: bare Asio loop p50 %.1f p99 %.1f us (%zu lost); with lstat p50 %.1f p99 %.1f us (%zu lost)\n",
               percentile(bare.samples_us, 50), percentile(bare.samples_us, 99), bare.lost,
               percentile(typed.samples_us, 50), percentile(typed.samples_us, 99), typed.lost);
  auto figure = [](const latency_side& side, double p) -> std::optional<double> {
    if (side.samples_us.empty() || side.lost > 0)
      return std::nullopt;
    return percentile(side.samples_us, p);
  };
  std::string count = with_thousands(n);
  table.add({"latency", "p50, create one file -> event in handler (" + count + " samples)", "µs",
             target_kind::ratio_at_most, 1.2},
            figure(floor, 50), figure(ours, 50));
  table.add({"latency", "p99 (" + count + " samples)", "µs", target_kind::ratio_at_most, 1.2},
            figure(floor, 99), figure(ours, 99));
  if (floor.lost || ours.lost)
    table.add({"latency", "samples never seen (5 s timeout; gives up after 5)", "", target_kind::ours_zero, 0,
               aggregate::worst, 0},
              double(floor.lost), double(ours.lost));
  // Reference rows: the "asio_fswatch" column holds the bare Asio loop, so the ratio is what
  // the reactor costs before asio_fswatch does anything.
  table.add({"latency", "p50, reference: bare Asio stream_descriptor loop on inotify (no asio_fswatch)", "µs"},
            figure(floor, 50), figure(bare, 50));
  table.add({"latency", "p99, reference: bare Asio stream_descriptor loop on inotify (no asio_fswatch)", "µs"},
            figure(floor, 99), figure(bare, 99));
  table.add({"latency", "p50, reference: the same loop + path + lstat(2) per created entry (no asio_fswatch)", "µs"},
            figure(floor, 50), figure(typed, 50));
  table.add({"latency", "p99, reference: the same loop + path + lstat(2) per created entry (no asio_fswatch)", "µs"},
            figure(floor, 99), figure(typed, 99));
}

// ---------------------------------------------------------------------------------------------
// Scenario 4: memory, measured in fresh child processes (fork + exec of this program)

const char* const child_flag = "--child-memory"; // hidden: --child-memory MODE TREE

int child_memory(const std::string& mode, const std::string& tree) {
  // The peak stays after the objects are gone: each side is built in a scope and torn down before
  // the figure is read.
  std::size_t watches = 0;
  if (mode == "baseline") {
    asio::io_context io;
    (void)io;
  } else if (mode == "floor") {
    raw_watcher watcher;
    watch_tree_raw(watcher, tree);
    watches = count_inotify_watches();
  } else if (mode == "ours") {
    asio::io_context io;
    asio_fswatch::directory_monitor monitor(io);
    monitor.add(tree);
    watches = count_inotify_watches();
  } else {
    std::fprintf(stderr, "unknown memory mode %s\n", mode.c_str());
    return 2;
  }
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  // VmHWM is the peak of this process image alone: a cross-check of ru_maxrss, which also covers
  // the memory the process had when it was forked.
  long high_water_kib = -1;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      high_water_kib = std::strtol(line.c_str() + 6, nullptr, 10);
  std::printf("%ld %ld %zu\n", usage.ru_maxrss, high_water_kib, watches);
  return 0;
}

struct child_report {
  long max_rss_kib;
  long high_water_kib;
  std::size_t watches;
};

// fork + exec, not vfork: a vfork child's ru_maxrss starts from the parent's high-water mark. A
// forked child's starts from the parent's resident size at the fork, hence a small parent: the
// scenario runs first, and only once (see run()).
child_report spawn_memory_child(const std::string& mode, const std::string& tree) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw_errno("pipe2");
  pid_t pid = ::fork();
  if (pid < 0)
    throw_errno("fork");
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    sigset_t set = bench::termination_signals();
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    const char* argv[] = {"monitor_bench", child_flag, mode.c_str(), tree.c_str(), nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    _exit(127);
  }
  running_child.store(pid);
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[256];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    output.append(buffer, std::size_t(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  running_child.store(-1);
  child_report report{};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(output.c_str(), "%ld %ld %zu", &report.max_rss_kib, &report.high_water_kib,
                  &report.watches) != 3)
    throw std::runtime_error("memory child '" + mode + "' failed");
  if (report.high_water_kib > 0 && report.max_rss_kib > report.high_water_kib + 1024)
    std::fprintf(stderr,
                 "  memory: WARNING: child '%s' ru_maxrss %ld KiB > VmHWM %ld KiB: the figure "
                 "includes the parent's memory at fork time\n",
                 mode.c_str(), report.max_rss_kib, report.high_water_kib);
  return report;
}

void run_memory(const tree_layout& tree, const sizes& s, result_table& table) {
  std::vector<double> baseline, floor, ours;
  std::size_t floor_watches = 0, ours_watches = 0;
  for (int run = 0; run < s.memory_runs; ++run) {
    baseline.push_back(double(spawn_memory_child("baseline", tree.root).max_rss_kib) / 1024.0);
    child_report f = spawn_memory_child("floor", tree.root);
    child_report o = spawn_memory_child("ours", tree.root);
    floor.push_back(double(f.max_rss_kib) / 1024.0);
    ours.push_back(double(o.max_rss_kib) / 1024.0);
    floor_watches = f.watches;
    ours_watches = o.watches;
    std::fprintf(stderr, "  memory run %d: baseline %.1f MiB, floor %.1f MiB (%zu watches), "
                         "asio_fswatch %.1f MiB (%zu watches)\n",
                 run + 1, baseline.back(), floor.back(), f.watches, ours.back(), o.watches);
  }
  double base = median(baseline);
  char metric[160];
  std::snprintf(metric, sizeof metric, "peak RSS, %s directories + %s files added (median of %d)",
                with_thousands(std::uint64_t(tree.directories())).c_str(),
                with_thousands(std::uint64_t(tree.entries() - tree.directories())).c_str(),
                s.memory_runs);
  table.add({"memory", "baseline RSS: empty process creating an io_context", "MiB", target_kind::none,
             0, aggregate::median, 1},
            base, base);
  table.add({"memory", metric, "MiB", target_kind::ours_at_most, 48, aggregate::median, 1},
            median(floor), median(ours));
  table.add({"memory", "share above the baseline", "MiB", target_kind::none, 0, aggregate::median, 1},
            median(floor) - base, median(ours) - base);
  if (floor_watches != ours_watches)
    std::fprintf(stderr, "  memory: watch counts differ: floor %zu, asio_fswatch %zu\n",
                 floor_watches, ours_watches);
}

// ---------------------------------------------------------------------------------------------

bool wants(const command_line& cmd, const char* scenario) {
  return cmd.scenarios.empty() ||
         std::find(cmd.scenarios.begin(), cmd.scenarios.end(), scenario) != cmd.scenarios.end();
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--quick") {
      cmd.quick = true;
    } else if (arg == "--scenario" && i + 1 < argc) {
      std::string name = argv[++i];
      if (std::find(std::begin(scenario_names), std::end(scenario_names), name) ==
          std::end(scenario_names)) {
        std::fprintf(stderr, "unknown scenario '%s'\n", name.c_str());
        return std::nullopt;
      }
      cmd.scenarios.push_back(name);
    } else if (arg == "--tree-dir" && i + 1 < argc) {
      cmd.tree_base = argv[++i];
    } else if (arg == "--create-dir" && i + 1 < argc) {
      cmd.create_base = argv[++i];
    } else if (arg == "--repeat" && i + 1 < argc) {
      cmd.repeat = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n", argv[i]);
      return std::nullopt;
    }
  }
  return cmd;
}

int run(const command_line& cmd) {
  sizes s = cmd.quick ? quick_sizes() : sizes{};
  long needed = long(s.tree_top_dirs) * s.tree_sub_dirs + s.tree_top_dirs + s.storm_dirs + 1000;
  machine_info info = ensure_watch_limit(std::max(needed, 100000L));
  std::string tree_base = cmd.tree_base;
  if (tree_base.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    tree_base = tmpdir && *tmpdir ? tmpdir : "/tmp";
  }
  std::string create_base = cmd.create_base;
  if (create_base.empty()) {
    // On a disk file system, creating files right after many were deleted can be much slower
    // (ext4 without a journal skips recently deleted inodes, one inode-table read each), and that
    // would measure the file system's history instead of the consumers. tmpfs has no history.
    create_base = file_system_type("/dev/shm") == "tmpfs" ? "/dev/shm" : tree_base;
  }
  std::string tree_root = make_temp_root(tree_base);
  std::string create_root = create_base == tree_base ? tree_root : make_temp_root(create_base);
  tree_layout tree{tree_root + "/tree", s.tree_top_dirs, s.tree_sub_dirs, s.tree_files};
  result_table table;

  bool need_tree = wants(cmd, "startup") || wants(cmd, "memory");
  if (need_tree) {
    std::fprintf(stderr, "building the tree: %s directories, %s files...\n",
                 with_thousands(std::uint64_t(tree.directories())).c_str(),
                 with_thousands(std::uint64_t(tree.entries() - tree.directories())).c_str());
    auto start = clock_type::now();
    build_tree(tree);
    std::fprintf(stderr, "  built in %.1f s\n", to_ms(clock_type::now() - start) / 1000);
  }

  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    if (cmd.repeat > 1)
      std::fprintf(stderr, "repetition %d of %d\n", repetition + 1, cmd.repeat);
    // Memory first and once: a child's ru_maxrss starts from this process's resident size at
    // fork time, which is small only before the other scenarios have run. Its figures are
    // already medians of several children, and do not vary between runs.
    if (repetition == 0 && wants(cmd, "memory")) {
      std::fprintf(stderr, "memory...\n");
      run_memory(tree, s, table);
    }
    if (wants(cmd, "startup")) {
      std::fprintf(stderr, "startup...\n");
      run_startup(tree, s, table);
    }
    if (wants(cmd, "storm")) {
      std::fprintf(stderr, "storm...\n");
      run_storm(create_root, s, repetition, table);
    }
    if (wants(cmd, "latency")) {
      std::fprintf(stderr, "latency...\n");
      run_latency(create_root, s, table);
    }
  }

  print_machine_info(info, tree_root, create_root, s, cmd.quick);
  int missed = table.print(stdout);
  bench::print_missed_count(missed, cmd.quick);
  std::fflush(stdout);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == child_flag) {
    try {
      return child_memory(argv[2], argv[3]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "memory child: %s\n", e.what());
      return 1;
    }
  }
  std::optional<command_line> cmd = parse_command_line(argc, argv);
  if (!cmd) {
    usage(stderr);
    return 2;
  }
  bench::start_signal_thread("monitor_bench", running_child, clean_up_everything);
  int status = 1;
  try {
    status = run(*cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "monitor_bench: %s\n", e.what());
  }
  clean_up_everything();
  return status;
}
