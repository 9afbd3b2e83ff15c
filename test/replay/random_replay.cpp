// SPDX-License-Identifier: BSL-1.0
// A randomized check of the directory monitor's replay invariant (doc: DESIGN.md, event model):
// several writer processes change a tree at random for a fixed time, from a fixed seed, while one
// monitor (inotify or poll) reads; the events, replayed onto a snapshot of the tree taken before
// the watch started, must give exactly the tree as it is when the stream has gone quiet.
//
//   random_replay --backend inotify|poll --seconds N --seed S --writers W [--keep]
//                 [--poll-interval MS] [--max-entries N] [--read-pauses]
//
// ASIO_FSWATCH_REPLAY_SEED, when set, overrides --seed. Exit status: 0 passed, 1 failed (the
// line "FAILED seed=S backend=B" and the evidence are printed), 2 bad command line or setup.
//
// Writers are forked before the process has any other thread and use plain POSIX calls only;
// an error a concurrent writer explains (ENOENT, EEXIST, ENOTEMPTY, ...) is counted, not fatal.
#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <common/skip_log.hpp>
#include <common/tree_replay.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::test::tree_snapshot;

// =============================================================================================
// Command line

struct options {
  asio_fswatch::backend backend = asio_fswatch::backend::inotify;
  unsigned seconds = 15;
  std::uint64_t seed = 0;
  bool seed_given = false;
  unsigned writers = 4;
  bool keep = false;
  std::chrono::milliseconds poll_interval{30};
  std::size_t max_entries = 3000; ///< writers prefer removals above this many entries
  bool read_pauses = false;       ///< stop reading now and then while the writers write
  bool exchanges = false;         ///< writers also swap entries (renameat2 RENAME_EXCHANGE)
  std::chrono::milliseconds settle{0}; ///< monitor_options::settle: the stream comes merged
};

/// --exchanges, for the writers (forked after the options are read).
bool writers_exchange = false;

void usage(std::ostream& out) {
  out << "usage: random_replay --backend inotify|poll --seconds N --seed S --writers W [--keep]\n"
         "                     [--poll-interval MS] [--max-entries N] [--read-pauses] [--exchanges]\n"
         "                     [--settle MS]\n"
         "  --settle MS: the monitor settles (monitor_options::settle): its batches are merged.\n"
         "  ASIO_FSWATCH_REPLAY_SEED, when set, overrides --seed (default: a random seed).\n"
         "  --keep leaves the temporary directory in place for inspection.\n"
         "  --read-pauses: every few seconds of writing, no read is pending for 0.2 to 4 s\n"
         "  (poll: no scan); inotify: meanwhile this process adds enough records to overflow\n"
         "  the kernel queue.\n"
         "  --exchanges: writers also swap entries with renameat2(RENAME_EXCHANGE), and rename\n"
         "  entries away and back or into a name just vacated (renames that read like a swap).\n";
}

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// The options, or nullopt after printing what is wrong.
std::optional<options> parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= argc) {
        std::cerr << "random_replay: " << arg << " needs a value\n";
        return std::nullopt;
      }
      return std::string_view(argv[++i]);
    };
    auto number = [&](auto& out) {
      std::optional<std::string_view> text = value();
      if (!text)
        return false;
      if (!parse_number(*text, out)) {
        std::cerr << "random_replay: " << arg << ": not a number: " << *text << '\n';
        return false;
      }
      return true;
    };
    if (arg == "--backend") {
      std::optional<std::string_view> name = value();
      if (!name)
        return std::nullopt;
      if (*name == "inotify") {
        o.backend = asio_fswatch::backend::inotify;
      } else if (*name == "poll") {
        o.backend = asio_fswatch::backend::poll;
      } else {
        std::cerr << "random_replay: unknown backend " << *name << " (inotify or poll)\n";
        return std::nullopt;
      }
    } else if (arg == "--seconds") {
      if (!number(o.seconds))
        return std::nullopt;
    } else if (arg == "--seed") {
      if (!number(o.seed))
        return std::nullopt;
      o.seed_given = true;
    } else if (arg == "--writers") {
      if (!number(o.writers) || o.writers == 0 || o.writers > 64) {
        std::cerr << "random_replay: --writers takes 1 to 64\n";
        return std::nullopt;
      }
    } else if (arg == "--poll-interval") {
      unsigned ms = 0;
      if (!number(ms) || ms == 0)
        return std::nullopt;
      o.poll_interval = std::chrono::milliseconds(ms);
    } else if (arg == "--max-entries") {
      if (!number(o.max_entries) || o.max_entries < 50) {
        std::cerr << "random_replay: --max-entries takes at least 50\n";
        return std::nullopt;
      }
    } else if (arg == "--keep") {
      o.keep = true;
    } else if (arg == "--read-pauses") {
      o.read_pauses = true;
    } else if (arg == "--exchanges") {
      o.exchanges = true;
    } else if (arg == "--settle") {
      unsigned ms = 0;
      if (!number(ms) || ms == 0)
        return std::nullopt;
      o.settle = std::chrono::milliseconds(ms);
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      std::exit(0);
    } else {
      std::cerr << "random_replay: unknown option " << arg << '\n';
      usage(std::cerr);
      return std::nullopt;
    }
  }
  if (const char* env = std::getenv("ASIO_FSWATCH_REPLAY_SEED"); env && *env) {
    if (!parse_number(std::string_view(env), o.seed)) {
      std::cerr << "random_replay: ASIO_FSWATCH_REPLAY_SEED is not a number: " << env << '\n';
      return std::nullopt;
    }
    o.seed_given = true;
  }
  if (!o.seed_given)
    o.seed = std::random_device()() % 1'000'000'000u;
  return o;
}

// =============================================================================================
// Writers: child processes, POSIX calls only, never an exception out of them (see writer_main).

enum class op : std::size_t {
  create_file,
  write_file,
  truncate_file,
  rename_file,
  rename_directory,
  move_in_file,
  move_in_directory,
  move_out,
  make_directories,
  remove_tree,
  remove_entry,
  make_symlink,
  make_hard_link,
  exchange,
  bounce,
};
constexpr std::size_t op_count = 15;
constexpr std::array<const char*, op_count> op_names = {
    "create_file", "write",   "truncate", "rename_file", "rename_dir", "move_in_file",
    "move_in_dir", "move_out", "mkdir_p", "rm_r",        "unlink",     "symlink",
    "hard_link",   "exchange", "bounce"};

/// What a writer sends back through its pipe when it is done (trivially copyable).
struct writer_report {
  std::array<std::uint64_t, op_count> done{};
  std::array<std::uint64_t, op_count> raced{}; ///< failed: an errno concurrent writers explain
  std::uint64_t unexpected = 0;                ///< failed with another errno
  int first_unexpected_errno = 0;
  int first_unexpected_op = -1;
  std::uint64_t walks = 0;
  std::uint64_t largest_tree = 0;
};

/// errnos that concurrent writers explain: the entry went, came, changed type, or a directory
/// moved under another (or into its own subtree) between the listing and the call. ELOOP comes
/// from O_NOFOLLOW meeting a symlink that replaced a file.
bool is_race(int error) {
  switch (error) {
  case ENOENT:
  case EEXIST:
  case ENOTEMPTY:
  case ENOTDIR:
  case EISDIR:
  case EINVAL:
  case ELOOP:
    return true;
  default:
    return false;
  }
}

class writer {
public:
  writer(std::string tree, std::string outside, std::string staging, std::uint64_t seed,
         unsigned index, std::size_t max_entries)
      : tree_(std::move(tree)), outside_(std::move(outside)), staging_(std::move(staging)),
        random_(seed), index_(index), max_entries_(max_entries) {
    for (char& c : junk_)
      c = static_cast<char>('a' + random_() % 26);
  }

  void run(steady::time_point until) {
    unsigned since_walk = walk_every;
    while (steady::now() < until) {
      if (since_walk++ >= walk_every) {
        walk();
        since_walk = 1;
      }
      step();
      // Bursts and pauses: reads end between records, holds expire, scans see quiet trees.
      if (one_in(150))
        ::usleep(static_cast<useconds_t>(uniform(200, 15000)));
    }
  }

  const writer_report& report() const noexcept { return report_; }

private:
  static constexpr unsigned walk_every = 16;
  static constexpr std::size_t max_depth = 9; // new entries go no deeper than this
  static constexpr std::size_t max_moved_out = 12;

  // -------------------------------------------------------------------------------------------
  // Random choices

  std::size_t uniform(std::size_t low, std::size_t high) { // inclusive
    return low + static_cast<std::size_t>(random_() % (high - low + 1));
  }
  bool one_in(std::size_t n) { return random_() % n == 0; }
  template <typename T>
  const T& pick(const std::vector<T>& from) {
    return from[uniform(0, from.size() - 1)];
  }

  /// Half the time a name from a small pool all writers share (collisions, names reused at
  /// once), else a name of this writer's own.
  std::string new_name(char kind) {
    static constexpr std::array<const char*, 16> pool = {"a",   "b",   "c",    "d",   "e",  "x",
                                                         "y",   "z",   "data", "tmp", "new", "old",
                                                         "sub", "lib", "src",  "out"};
    if (one_in(2))
      return pool[uniform(0, pool.size() - 1)];
    return 'w' + std::to_string(index_) + kind + std::to_string(serial_++);
  }

  static std::string parent_of(const std::string& path) {
    return path.substr(0, path.find_last_of('/'));
  }
  static std::string name_of(const std::string& path) {
    return path.substr(path.find_last_of('/') + 1);
  }
  static bool is_within(const std::string& path, const std::string& base) {
    return path.size() > base.size() && path.compare(0, base.size(), base) == 0 &&
           path[base.size()] == '/';
  }

  /// A directory of the last listing where a new entry may go (the root included).
  std::size_t target_directory() {
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::size_t i = uniform(0, directories_.size() - 1);
      if (depths_[i] < max_depth)
        return i;
    }
    return 0;
  }

  /// A directory other than the root, or nullopt; above the size cap, a shallow one.
  std::optional<std::size_t> some_subdirectory(bool prefer_shallow) {
    if (directories_.size() < 2)
      return std::nullopt;
    std::size_t best = uniform(1, directories_.size() - 1);
    if (prefer_shallow)
      for (int i = 0; i < 3; ++i) {
        std::size_t other = uniform(1, directories_.size() - 1);
        if (depths_[other] < depths_[best])
          best = other;
      }
    return best;
  }

  // -------------------------------------------------------------------------------------------
  // Looking at the tree (never following a symlink)

  void walk() {
    ++report_.walks;
    directories_.assign(1, tree_);
    depths_.assign(1, 0);
    non_directories_.clear();
    files_.clear();
    for (std::size_t i = 0; i < directories_.size() && directories_.size() < 50000; ++i) {
      DIR* dir = ::opendir(directories_[i].c_str());
      if (!dir)
        continue; // moved or removed meanwhile
      while (const dirent* entry = ::readdir(dir)) {
        const char* name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
          continue;
        unsigned char type = entry->d_type;
        if (type == DT_UNKNOWN) {
          struct stat st;
          if (::fstatat(::dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
          type = static_cast<unsigned char>(IFTODT(st.st_mode));
        }
        std::string path = directories_[i] + '/' + name;
        if (type == DT_DIR) {
          std::size_t depth = depths_[i] + 1;
          directories_.push_back(std::move(path));
          depths_.push_back(depth);
        } else {
          if (type == DT_REG)
            files_.push_back(path);
          non_directories_.push_back(std::move(path));
        }
      }
      ::closedir(dir);
    }
    entries_ = directories_.size() - 1 + non_directories_.size();
    report_.largest_tree = std::max<std::uint64_t>(report_.largest_tree, entries_);
  }

  // -------------------------------------------------------------------------------------------
  // Outcomes

  void outcome(op o, bool ok, int error) {
    std::size_t i = static_cast<std::size_t>(o);
    if (ok) {
      ++report_.done[i];
    } else if (is_race(error)) {
      ++report_.raced[i];
    } else {
      if (report_.unexpected++ == 0) {
        report_.first_unexpected_errno = error;
        report_.first_unexpected_op = static_cast<int>(i);
      }
    }
  }
  void outcome(op o, int rc) { outcome(o, rc == 0, rc == 0 ? 0 : errno); }

  bool write_some(int fd, std::size_t size) {
    while (size > 0) {
      std::size_t chunk = std::min(size, junk_.size());
      ssize_t n = ::write(fd, junk_.data(), chunk);
      if (n <= 0)
        return false;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  /// rm -r without following symlinks: the directory's content, then the directory. Fails
  /// (errno set) when the directory cannot be removed in the end (something appeared meanwhile).
  static int remove_all_at(int parent, const char* name) {
    if (::unlinkat(parent, name, 0) == 0)
      return 0;
    if (errno != EISDIR && errno != EPERM)
      return -1;
    int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return -1;
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
      ::close(fd);
      return -1;
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir)) {
      const char* n = entry->d_name;
      if (!(n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))))
        names.emplace_back(n);
    }
    for (const std::string& n : names)
      remove_all_at(::dirfd(dir), n.c_str()); // failures show in the final rmdir
    ::closedir(dir);
    return ::unlinkat(parent, name, AT_REMOVEDIR);
  }
  static int remove_all(const std::string& path) { return remove_all_at(AT_FDCWD, path.c_str()); }

  // -------------------------------------------------------------------------------------------
  // Operations

  void step() {
    // Weights: creation-heavy while the tree is small, removal-heavy above the cap.
    const bool large = entries_ > max_entries_;
    const bool small = entries_ < max_entries_ / 10;
    // In the order of `op`: create_file, write, truncate, rename_file, rename_dir, move_in_file,
    // move_in_dir, move_out, mkdir_p, rm_r, unlink, symlink, hard_link, exchange, bounce.
    std::array<unsigned, op_count> weight = {14, 10, 4, 10, 7, 4, 4, 5, 8, 3, 8, 6, 2, 7, 5};
    if (large) {
      weight = {3, 10, 2, 10, 7, 1, 1, 12, 1, 14, 20, 1, 1, 7, 5};
    } else if (small) {
      weight[static_cast<std::size_t>(op::remove_tree)] = 1;
      weight[static_cast<std::size_t>(op::move_out)] = 2;
    }
    if (!writers_exchange) {
      weight[static_cast<std::size_t>(op::exchange)] = 0;
      weight[static_cast<std::size_t>(op::bounce)] = 0;
    }
    unsigned total = 0;
    for (unsigned w : weight)
      total += w;
    unsigned roll = static_cast<unsigned>(uniform(0, total - 1));
    std::size_t chosen = 0;
    while (roll >= weight[chosen]) {
      roll -= weight[chosen];
      ++chosen;
    }
    switch (static_cast<op>(chosen)) {
    case op::create_file: create_file(); break;
    case op::write_file: write_file(); break;
    case op::truncate_file: truncate_file(); break;
    case op::rename_file: rename_file(); break;
    case op::rename_directory: rename_directory(); break;
    case op::move_in_file: move_in_file(); break;
    case op::move_in_directory: move_in_directory(); break;
    case op::move_out: move_out(large); break;
    case op::make_directories: make_directories(); break;
    case op::remove_tree: remove_tree(large); break;
    case op::remove_entry: remove_entry(); break;
    case op::make_symlink: make_symlink(); break;
    case op::make_hard_link: make_hard_link(); break;
    case op::exchange: exchange(); break;
    case op::bounce: bounce(); break;
    }
  }

  void create_file() {
    std::string path = directories_[target_directory()] + '/' + new_name('f');
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
      return outcome(op::create_file, false, errno);
    if (!one_in(4))
      write_some(fd, uniform(1, 3000));
    ::close(fd);
    outcome(op::create_file, true, 0);
  }

  void write_file() {
    if (files_.empty())
      return create_file();
    int fd = ::open(pick(files_).c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return outcome(op::write_file, false, errno);
    bool ok = write_some(fd, uniform(1, 2000));
    int error = errno;
    ::close(fd);
    outcome(op::write_file, ok, error);
  }

  void truncate_file() {
    if (files_.empty())
      return create_file();
    int fd = ::open(pick(files_).c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return outcome(op::truncate_file, false, errno);
    int rc = ::ftruncate(fd, static_cast<off_t>(uniform(0, 5000)));
    int error = errno;
    ::close(fd);
    outcome(op::truncate_file, rc == 0, error);
  }

  void rename_file() {
    if (non_directories_.empty())
      return create_file();
    const std::string& from = pick(non_directories_);
    std::string to;
    if (one_in(4)) {
      to = pick(non_directories_); // over an existing entry: it is replaced
      if (to == from)
        return;
    } else {
      to = directories_[target_directory()] + '/' + new_name('r');
    }
    outcome(op::rename_file, ::rename(from.c_str(), to.c_str()));
  }

  void rename_directory() {
    std::optional<std::size_t> source = some_subdirectory(false);
    if (!source)
      return make_directories();
    const std::string from = directories_[*source];
    const std::string from_parent = parent_of(from);
    // Half the time into a sibling's subtree (a directory moving deeper beside itself).
    std::string target;
    for (int attempt = 0; attempt < 8 && target.empty(); ++attempt) {
      std::size_t i = target_directory();
      const std::string& candidate = directories_[i];
      if (candidate == from || is_within(candidate, from))
        continue; // into itself: EINVAL, nothing to learn
      if (attempt < 4 && one_in(2) && !is_within(candidate, from_parent))
        continue;
      target = candidate;
    }
    if (target.empty())
      return;
    std::string to;
    if (one_in(5)) {
      // Over an existing directory: works when it is empty (ENOTEMPTY otherwise).
      std::optional<std::size_t> other = some_subdirectory(false);
      if (!other || directories_[*other] == from || is_within(directories_[*other], from) ||
          is_within(from, directories_[*other]))
        return;
      to = directories_[*other];
    } else {
      to = target + '/' + new_name('d');
    }
    outcome(op::rename_directory, ::rename(from.c_str(), to.c_str()));
  }

  std::string staged_path() { return staging_ + "/s" + std::to_string(serial_++); }

  void move_in_file() {
    std::string staged = staged_path();
    if (one_in(5)) {
      if (::symlink("staged_symlink_target", staged.c_str()) != 0)
        return outcome(op::move_in_file, false, errno);
    } else {
      int fd = ::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0)
        return outcome(op::move_in_file, false, errno);
      write_some(fd, uniform(0, 2000));
      ::close(fd);
    }
    std::string to = directories_[target_directory()] + '/' + new_name('i');
    int rc = ::rename(staged.c_str(), to.c_str());
    int error = errno;
    if (rc != 0)
      ::unlink(staged.c_str());
    outcome(op::move_in_file, rc == 0, error);
  }

  /// A directory of a few levels with files and a symlink, built outside the tree.
  void build_outside(const std::string& path, std::size_t depth) {
    if (::mkdir(path.c_str(), 0755) != 0)
      return;
    std::size_t files = uniform(0, 4);
    for (std::size_t i = 0; i < files; ++i) {
      std::string file = path + "/m" + std::to_string(i);
      int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) {
        write_some(fd, uniform(0, 500));
        ::close(fd);
      }
    }
    if (one_in(3))
      ::symlink("m0", (path + "/link").c_str());
    if (depth < 3) {
      std::size_t directories = uniform(0, 2);
      for (std::size_t i = 0; i < directories; ++i)
        build_outside(path + "/n" + std::to_string(i), depth + 1);
    }
  }

  void move_in_directory() {
    std::string from;
    if (!moved_out_.empty() && one_in(2)) {
      // Something this writer moved out earlier comes back, elsewhere.
      std::size_t i = uniform(0, moved_out_.size() - 1);
      from = moved_out_[i];
      moved_out_.erase(moved_out_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      from = staged_path();
      build_outside(from, 0);
    }
    std::string to = directories_[target_directory()] + '/' + new_name('m');
    int rc = ::rename(from.c_str(), to.c_str());
    int error = errno;
    if (rc != 0)
      remove_all(from);
    outcome(op::move_in_directory, rc == 0, error);
  }

  void move_out(bool prefer_shallow) {
    std::string from;
    if (non_directories_.empty() || one_in(2)) {
      std::optional<std::size_t> source = some_subdirectory(prefer_shallow);
      if (!source)
        return;
      from = directories_[*source];
    } else {
      from = pick(non_directories_);
    }
    std::string to = staging_ + "/o" + std::to_string(serial_++);
    int rc = ::rename(from.c_str(), to.c_str());
    outcome(op::move_out, rc);
    if (rc != 0)
      return;
    moved_out_.push_back(to);
    if (moved_out_.size() > max_moved_out) {
      remove_all(moved_out_.front());
      moved_out_.erase(moved_out_.begin());
    }
  }

  void make_directories() {
    std::size_t base = target_directory();
    std::size_t levels = uniform(1, 4);
    std::string path = directories_[base];
    bool ok = true;
    int error = 0;
    for (std::size_t i = 0; i < levels; ++i) {
      path += '/' + new_name('p');
      if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        ok = false;
        error = errno;
        break;
      }
    }
    outcome(op::make_directories, ok, error);
  }

  void remove_tree(bool prefer_shallow) {
    std::optional<std::size_t> source = some_subdirectory(prefer_shallow);
    if (!source)
      return;
    outcome(op::remove_tree, remove_all(directories_[*source]));
  }

  void remove_entry() {
    if (non_directories_.empty())
      return;
    outcome(op::remove_entry, ::unlink(pick(non_directories_).c_str()));
  }

  void make_symlink() {
    std::size_t where = target_directory();
    const std::string& directory = directories_[where];
    std::string target;
    switch (uniform(0, 6)) {
    case 0: target = "dangling_" + std::to_string(serial_++); break;
    case 1: // a file, by name when it is a sibling
      if (non_directories_.empty())
        target = "nothing_here";
      else if (const std::string& file = pick(non_directories_); parent_of(file) == directory)
        target = name_of(file);
      else
        target = file;
      break;
    case 2: target = pick(directories_); break; // a directory, absolute
    case 3: // "..": only below the root, so that it never resolves above the scratch directory
      target = where == 0 ? "." : "..";
      break;
    case 4: target = "."; break;
    case 5: target = outside_; break;
    default: target = "sub"; break; // relative, maybe to a sibling directory, maybe dangling
    }
    std::string path = directory + '/' + new_name('l');
    outcome(op::make_symlink, ::symlink(target.c_str(), path.c_str()));
  }

  void make_hard_link() {
    if (files_.empty())
      return create_file();
    std::string to = directories_[target_directory()] + '/' + new_name('h');
    const std::string& from = pick(files_);
    if (::link(from.c_str(), to.c_str()) == 0)
      return outcome(op::make_hard_link, true, 0);
    int error = errno;
    // link(2) refuses a directory with EPERM, and root meets no other EPERM here: the file was
    // replaced by a directory meanwhile (and may be a file again by now, after an exchange or a
    // bounce, so a look afterwards cannot tell). A file system that refused every hard link
    // would fail the check that some of each operation succeed.
    if (error == EPERM)
      error = EISDIR;
    outcome(op::make_hard_link, false, error);
  }

  /// Any entry of the last listing but the root: a directory half the time.
  std::optional<std::string> some_entry() {
    if (!non_directories_.empty() && (directories_.size() < 2 || one_in(2)))
      return pick(non_directories_);
    if (std::optional<std::size_t> directory = some_subdirectory(false))
      return directories_[*directory];
    return std::nullopt;
  }

  /// renameat2(RENAME_EXCHANGE) of two entries of any kinds, in any two directories; now and
  /// then one of them is something this writer moved out earlier, which then comes back in
  /// while the other goes out in its place.
  void exchange() {
    std::optional<std::string> a = some_entry();
    std::optional<std::string> b = !moved_out_.empty() && one_in(6) ? pick(moved_out_) : some_entry();
    if (!a || !b || *a == *b || is_within(*a, *b) || is_within(*b, *a))
      return; // a directory swapped with its own descendant: EINVAL, nothing to learn
    // Through syscall(2): the glibc wrapper is newer than some systems' C library.
    long rc = ::syscall(SYS_renameat2, AT_FDCWD, a->c_str(), AT_FDCWD, b->c_str(), rename_exchange);
    outcome(op::exchange, rc == 0, rc == 0 ? 0 : errno);
  }
  static constexpr unsigned rename_exchange = 1u << 1; // RENAME_EXCHANGE, <linux/fs.h>

  /// Plain renames that read like a swap until their last record: an entry renamed away and
  /// straight back, up to four times (mv x n; mv n x), or renamed away while another entry
  /// takes its name (mv x t; mv y x), then maybe into the other's old name (mv t y: a swap
  /// done by three renames). Counted done when every rename succeeded.
  void bounce() {
    std::optional<std::string> x = some_entry();
    if (!x)
      return;
    std::string away = directories_[one_in(2) ? target_directory() : 0] + '/' + new_name('b');
    if (is_within(away, *x))
      return; // a directory into its own subtree: EINVAL, nothing to learn
    if (one_in(2)) {
      std::size_t times = uniform(1, 4);
      for (std::size_t i = 0; i < times; ++i) {
        if (::rename(x->c_str(), away.c_str()) != 0)
          return outcome(op::bounce, false, errno);
        if (::rename(away.c_str(), x->c_str()) != 0)
          return outcome(op::bounce, false, errno);
      }
      return outcome(op::bounce, true, 0);
    }
    std::optional<std::string> y = some_entry();
    if (!y || *y == *x || is_within(*x, *y))
      return;
    if (::rename(x->c_str(), away.c_str()) != 0)
      return outcome(op::bounce, false, errno);
    if (::rename(y->c_str(), x->c_str()) != 0)
      return outcome(op::bounce, false, errno);
    if (one_in(2) && ::rename(away.c_str(), y->c_str()) != 0)
      return outcome(op::bounce, false, errno);
    outcome(op::bounce, true, 0);
  }

  const std::string tree_;
  const std::string outside_;
  const std::string staging_;
  std::mt19937_64 random_;
  const unsigned index_;
  const std::size_t max_entries_;
  std::uint64_t serial_ = 0;
  std::array<char, 4096> junk_{};

  // The last listing (absolute paths).
  std::vector<std::string> directories_; // [0] is the root
  std::vector<std::size_t> depths_;
  std::vector<std::string> non_directories_;
  std::vector<std::string> files_;
  std::size_t entries_ = 0;
  std::vector<std::string> moved_out_; // under staging_

  writer_report report_;
};

/// The body of a writer process: waits for the start signal (EOF on `start_fd`), writes for
/// `seconds`, sends its report through `report_fd`, and leaves with _exit (no destructor and no
/// atexit handler of the parent's objects runs here). Status 3: an exception.
[[noreturn]] void writer_main(const std::string& tree, const std::string& outside,
                              const std::string& staging, std::uint64_t seed, unsigned index,
                              std::size_t max_entries, unsigned seconds, int start_fd,
                              int report_fd) {
  int status = 0;
  try {
    char byte;
    while (::read(start_fd, &byte, 1) < 0 && errno == EINTR) {
    }
    ::close(start_fd);
    writer w(tree, outside, staging, seed, index, max_entries);
    w.run(steady::now() + std::chrono::seconds(seconds));
    const writer_report& report = w.report();
    const char* data = reinterpret_cast<const char*>(&report);
    std::size_t left = sizeof report;
    while (left > 0) {
      ssize_t n = ::write(report_fd, data, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        status = 4;
        break;
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  } catch (...) {
    status = 3;
  }
  ::_exit(status);
}

// =============================================================================================
// The scratch directory and the starting tree

/// A fresh directory under the temporary directory, canonical (so that its paths compare equal
/// to what the monitor reports), removed at the end unless --keep. Not temp_dir.hpp's class:
/// that one always removes itself.
std::string make_scratch_directory() {
  std::string pattern = (fs::temp_directory_path() / "asio_fswatch_replay.XXXXXX").native();
  if (!::mkdtemp(pattern.data()))
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  return fs::canonical(pattern).native();
}

/// A modest random tree: some nested directories, files, symlinks of every kind, a hard link.
void build_start_tree(const fs::path& tree, std::uint64_t seed) {
  std::mt19937_64 random(seed ^ 0x5ca1ab1e);
  auto uniform = [&](std::size_t low, std::size_t high) {
    return low + static_cast<std::size_t>(random() % (high - low + 1));
  };
  std::vector<fs::path> directories{tree};
  std::vector<std::size_t> depths{0};
  std::size_t directory_count = uniform(8, 24);
  for (std::size_t i = 0; i < directory_count; ++i) {
    std::size_t parent = uniform(0, directories.size() - 1);
    if (depths[parent] >= 4)
      parent = 0;
    fs::path path = directories[parent] / ("d" + std::to_string(i));
    fs::create_directory(path);
    directories.push_back(path);
    depths.push_back(depths[parent] + 1);
  }
  std::vector<fs::path> files;
  std::size_t file_count = uniform(30, 90);
  for (std::size_t i = 0; i < file_count; ++i) {
    fs::path path = directories[uniform(0, directories.size() - 1)] / ("f" + std::to_string(i));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw std::system_error(errno, std::generic_category(), "open " + path.native());
    std::string content(uniform(0, 800), 'x');
    if (!content.empty() && ::write(fd, content.data(), content.size()) < 0)
      throw std::system_error(errno, std::generic_category(), "write " + path.native());
    ::close(fd);
    files.push_back(path);
  }
  std::size_t link_count = uniform(3, 8);
  for (std::size_t i = 0; i < link_count; ++i) {
    fs::path where = directories[uniform(1, directories.size() - 1)];
    fs::path target;
    switch (i % 4) {
    case 0: target = "dangling"; break;
    case 1: target = files[uniform(0, files.size() - 1)]; break;
    case 2: target = directories[uniform(0, directories.size() - 1)]; break;
    default: target = ".."; break;
    }
    fs::create_symlink(target, where / ("l" + std::to_string(i)));
  }
  fs::create_hard_link(files.front(), directories.back() / "hard");
}

// =============================================================================================
// The parent: writers' processes, and a last-resort alarm

constexpr std::size_t max_writers = 64;
pid_t writer_pids[max_writers];
volatile std::sig_atomic_t writer_pid_count = 0;
char alarm_message[256];
std::size_t alarm_message_size = 0;

extern "C" void on_alarm(int) {
  // The Asio deadline did not fire: something blocks. Only async-signal-safe calls here.
  ssize_t ignored = ::write(STDERR_FILENO, alarm_message, alarm_message_size);
  (void)ignored;
  for (std::sig_atomic_t i = 0; i < writer_pid_count; ++i)
    if (writer_pids[i] > 0)
      ::kill(writer_pids[i], SIGKILL);
  ::_exit(1);
}

struct writer_process {
  pid_t pid = -1;
  int report_fd = -1;
  bool reaped = false;
  int status = 0;
  std::optional<writer_report> report;
};

/// Ends (SIGKILL) and reaps every writer still running when it goes out of scope, so that none
/// outlives the run: after a timeout, or when the parent leaves early (an exception).
class writer_guard {
public:
  explicit writer_guard(std::vector<writer_process>& writers) : writers_(writers) {}
  ~writer_guard() { end_all(); }
  writer_guard(const writer_guard&) = delete;
  writer_guard& operator=(const writer_guard&) = delete;

  /// True if any writer had to be killed.
  bool end_all() {
    bool killed = false;
    for (writer_process& w : writers_) {
      if (w.pid <= 0 || w.reaped)
        continue;
      ::kill(w.pid, SIGKILL);
      ::waitpid(w.pid, &w.status, 0);
      w.reaped = true;
      killed = true;
    }
    return killed;
  }

private:
  std::vector<writer_process>& writers_;
};

/// Reaps the writers that have ended; true when none is left.
bool reap(std::vector<writer_process>& writers) {
  bool all = true;
  for (std::size_t i = 0; i < writers.size(); ++i) {
    writer_process& w = writers[i];
    if (w.reaped)
      continue;
    pid_t r = ::waitpid(w.pid, &w.status, WNOHANG);
    if (r == w.pid) {
      w.reaped = true;
      writer_pids[i] = -1;
    } else {
      all = false;
    }
  }
  return all;
}

void read_report(writer_process& w) {
  writer_report report;
  char* data = reinterpret_cast<char*>(&report);
  std::size_t got = 0;
  while (got < sizeof report) {
    ssize_t n = ::read(w.report_fd, data + got, sizeof report - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += static_cast<std::size_t>(n);
  }
  if (got == sizeof report)
    w.report = report;
  ::close(w.report_fd);
  w.report_fd = -1;
}

// =============================================================================================
// The monitor's side: one pending read at a time, every event replayed as it arrives.

/// Paths present in only one of the two snapshots, or with other types, at most `limit`.
std::vector<std::string> differing_paths(const tree_snapshot& expected, const tree_snapshot& actual,
                                         std::size_t limit) {
  std::vector<std::string> out;
  auto e = expected.begin();
  auto a = actual.begin();
  while ((e != expected.end() || a != actual.end()) && out.size() < limit) {
    if (a == actual.end() || (e != expected.end() && e->first < a->first)) {
      out.push_back(e++->first);
    } else if (e == expected.end() || a->first < e->first) {
      out.push_back(a++->first);
    } else {
      if (!asio_fswatch::test::replay_detail::types_match(e->second, a->second))
        out.push_back(e->first);
      ++e;
      ++a;
    }
  }
  return out;
}

/// An event and its number in the whole stream (from 1).
struct numbered_event {
  std::uint64_t number;
  fs_event event;
};

class session {
public:
  session(asio::io_context& ioc, asio_fswatch::directory_monitor& monitor,
          std::vector<writer_process>& writers, tree_snapshot start, std::string tree,
          bool check_before_marker, std::chrono::milliseconds quiet, steady::duration timeout,
          std::optional<std::uint64_t> pause_seed, std::size_t overflow_records)
      : monitor_(monitor), writers_(writers), replayed_(std::move(start)), tree_(std::move(tree)),
        marker_(tree_ + "/replay-end-marker"), check_before_marker_(check_before_marker),
        quiet_(quiet), timeout_(timeout), reap_timer_(ioc), quiet_timer_(ioc), deadline_(ioc),
        pause_timer_(ioc), pauses_(pause_seed.has_value()), pause_random_(pause_seed.value_or(0)),
        overflow_records_(overflow_records) {}

  /// Arms the read, the writers' watch and the deadline.
  void start() {
    read();
    schedule_pause();
    deadline_.expires_after(timeout_);
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec || finished_)
        return;
      failures_.push_back("timed out after " + seconds_text(timeout_) + " in phase " +
                          phase_name() + " (the monitor never went quiet, or writers never ended)");
      timed_out_ = true;
      finish();
    });
    watch_writers();
  }

  // Results.
  const tree_snapshot& replayed() const { return replayed_; }
  const asio_fswatch::test::replay_stats& stats() const { return stats_; }
  const std::vector<std::string>& failures() const { return failures_; }
  /// Failures beyond the first few, counted only.
  std::size_t more_failures() const { return failures_over_limit_; }
  const std::deque<numbered_event>& history() const { return history_; }
  std::uint64_t events() const { return received_; }
  std::uint64_t count(event_kind kind) const { return kinds_[static_cast<std::size_t>(kind)]; }
  bool timed_out() const { return timed_out_; }
  std::uint64_t pauses() const { return pauses_taken_; }
  /// Paths of replay problems, in order.
  const std::vector<std::string>& problem_paths() const { return problem_paths_; }
  /// The check made when the stream first went quiet after the writers ended, before the end
  /// marker (inotify only): differences, and the paths concerned.
  const std::string& early_differences() const { return early_differences_; }
  const std::vector<std::string>& early_paths() const { return early_paths_; }

private:
  static constexpr std::size_t history_limit = 200'000;
  static constexpr std::size_t failure_limit = 30;

  enum class phase { writing, settling, marker_created, marker_removed, quiet };

  std::string phase_name() const {
    switch (phase_) {
    case phase::writing: return "writing";
    case phase::settling: return "waiting for quiet after the writers ended";
    case phase::marker_created: return "waiting for the end marker's creation";
    case phase::marker_removed: return "waiting for the end marker's removal";
    case phase::quiet: return "waiting for quiet";
    }
    return "?";
  }
  static std::string seconds_text(steady::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
  }

  void fail(std::string what) {
    if (failures_.size() < failure_limit)
      failures_.push_back(std::move(what));
    else
      ++failures_over_limit_;
  }

  void read() {
    monitor_.async_read_events(
        [this](boost::system::error_code ec, std::vector<fs_event> events) {
          on_batch(ec, std::move(events));
        });
  }

  void on_batch(boost::system::error_code ec, std::vector<fs_event> events) {
    for (fs_event& e : events)
      apply(std::move(e));
    if (finished_)
      return;
    if (ec) {
      // Nothing else is expected: the root is never removed, the monitor never closed.
      fail("a read completed with an error: " + ec.message());
      finish();
      return;
    }
    if (events.empty())
      fail("a read completed successfully with no event");
    if (phase_ == phase::settling || phase_ == phase::quiet)
      arm_quiet(); // the quiet period starts again
    if (pause_due_ && phase_ == phase::writing) {
      pause_due_ = false;
      paused_ = true;
      ++pauses_taken_;
      if (overflow_records_ > 0)
        flood();
      pause_timer_.expires_after(std::chrono::milliseconds(200 + pause_random_() % 3800));
      pause_timer_.async_wait([this](boost::system::error_code ec) {
        paused_ = false;
        if (!ec && !finished_)
          read();
        schedule_pause();
      });
      return;
    }
    read();
  }

  void apply(fs_event event) {
    ++received_;
    ++kinds_[static_cast<std::size_t>(event.kind)];
    if (event.kind == event_kind::error) {
      // The design documents `error` events for a directory that cannot be read or watched
      // (EACCES, the watch limit): none can happen here (nobody changes permissions, the tree
      // is capped far below fs.inotify.max_user_watches), so every one is a failure.
      std::ostringstream what;
      what << "error event #" << received_ << ": " << event << " [" << event.error.message() << "]";
      fail(what.str());
    }
    std::size_t problems_before = stats_.problems.size();
    one_.assign(1, event);
    asio_fswatch::test::replay(replayed_, one_, stats_);
    if (stats_.problems.size() > problems_before) {
      // replay() numbers events within the vector it is given: say which event of the stream.
      std::string& text = stats_.problems.back();
      text = "event #" + std::to_string(received_) + text.substr(text.find(' ', 6));
      problem_paths_.push_back(event.path.native());
      if (!event.old_path.empty())
        problem_paths_.push_back(event.old_path.native());
    }
    if (phase_ == phase::marker_created && event.kind == event_kind::created &&
        event.path == marker_) {
      // Seen: every record from before its creation was handled (inotify queues in order; a
      // scan that saw it started after it was made). Remove it: the scan that sees that
      // starts after the writers ended, so it sees the final tree whole.
      if (::unlink(marker_.c_str()) != 0)
        fail(std::string("cannot remove the end marker: ") + std::strerror(errno));
      phase_ = phase::marker_removed;
    } else if (phase_ == phase::marker_removed && event.kind == event_kind::removed &&
               event.path == marker_) {
      phase_ = phase::quiet;
      arm_quiet();
    }
    history_.push_back({received_, std::move(event)});
    if (history_.size() > history_limit)
      history_.pop_front();
  }

  /// inotify, while no read is pending: more records than the kernel queues (a name created and
  /// removed again and again; the kernel merges only identical neighbours), so that the monitor
  /// sees IN_Q_OVERFLOW and reconciles while the writers go on. Writers may meet the name too.
  void flood() {
    const std::string path = tree_ + "/replay-flood";
    for (std::size_t i = 0; i < overflow_records_; i += 2) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0)
        ::close(fd);
      ::unlink(path.c_str());
    }
  }

  /// --read-pauses: a few seconds from now, the next read starts late.
  void schedule_pause() {
    if (!pauses_ || finished_ || phase_ != phase::writing)
      return;
    pause_timer_.expires_after(std::chrono::milliseconds(1000 + pause_random_() % 7000));
    pause_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec)
        pause_due_ = true;
    });
  }

  void watch_writers() {
    reap_timer_.expires_after(50ms);
    reap_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || finished_)
        return;
      // The quiet periods that follow only mean something while a read is pending.
      if (!reap(writers_) || paused_) {
        watch_writers();
        return;
      }
      if (check_before_marker_) {
        phase_ = phase::settling;
        arm_quiet();
      } else {
        create_marker();
      }
    });
  }

  /// Every writer has ended: marks the end of the changes in the stream.
  void create_marker() {
    int fd = ::open(marker_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      fail(std::string("cannot create the end marker: ") + std::strerror(errno));
      finish();
      return;
    }
    ::close(fd);
    phase_ = phase::marker_created;
  }

  /// inotify: every record of the writers' changes is queued before they are reaped, and the
  /// stream has been quiet since. Nothing may wait for a later, unrelated record (a directory
  /// left to be re-scanned "after the next batch"): the replay must give the tree now already.
  void check_early() {
    tree_snapshot now = asio_fswatch::test::snapshot_of(tree_);
    early_differences_ = asio_fswatch::test::compare(now, replayed_, 30);
    if (early_differences_.empty())
      return;
    fail("when the stream first went quiet after the writers ended, the replayed events did not "
         "give the tree (before the end marker)");
    early_paths_ = differing_paths(now, replayed_, 10);
  }

  void arm_quiet() {
    quiet_timer_.expires_after(quiet_);
    quiet_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || finished_)
        return;
      // Nothing came for the whole quiet period.
      if (phase_ == phase::settling) {
        check_early();
        create_marker();
      } else if (phase_ == phase::quiet) {
        finish();
      }
    });
  }

  void finish() {
    finished_ = true;
    reap_timer_.cancel();
    pause_timer_.cancel();
    quiet_timer_.cancel();
    deadline_.cancel();
    monitor_.cancel();
  }

  asio_fswatch::directory_monitor& monitor_;
  std::vector<writer_process>& writers_;
  tree_snapshot replayed_;
  const std::string tree_;
  const std::string marker_;
  const bool check_before_marker_;
  const std::chrono::milliseconds quiet_;
  const steady::duration timeout_;
  asio::steady_timer reap_timer_;
  asio::steady_timer quiet_timer_;
  asio::steady_timer deadline_;
  asio::steady_timer pause_timer_;
  const bool pauses_;
  std::mt19937_64 pause_random_;
  bool pause_due_ = false;
  bool paused_ = false;
  const std::size_t overflow_records_;
  std::uint64_t pauses_taken_ = 0;

  phase phase_ = phase::writing;
  bool finished_ = false;
  bool timed_out_ = false;
  std::uint64_t received_ = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(event_kind::error) + 1> kinds_{}; // by kind
  std::vector<fs_event> one_;
  asio_fswatch::test::replay_stats stats_;
  std::vector<std::string> problem_paths_;
  std::string early_differences_;
  std::vector<std::string> early_paths_;
  std::vector<std::string> failures_;
  std::size_t failures_over_limit_ = 0;
  std::deque<numbered_event> history_;
};

// =============================================================================================
// Reporting

bool is_same_or_below(const std::string& path, const std::string& base) {
  return path == base || (path.size() > base.size() && path.compare(0, base.size(), base) == 0 &&
                          path[base.size()] == '/');
}

/// The last `limit` events of the kept history about `path` or one of its ancestors below the
/// root, followed back across renames and exchanges: before a rename of the entry or of a
/// directory above it, the entry had its old path, and the events from then on are about that one.
void print_events_about(std::ostream& out, const std::deque<numbered_event>& history,
                        const std::string& path, const std::string& root, std::size_t limit) {
  std::vector<const numbered_event*> found;
  std::string current = path;
  for (auto it = history.rbegin(); it != history.rend() && found.size() < limit; ++it) {
    const fs_event& e = it->event;
    auto relevant = [&](const fs::path& p) {
      return !p.empty() && p.native() != root && is_same_or_below(current, p.native());
    };
    if (!relevant(e.path) && !relevant(e.old_path))
      continue;
    found.push_back(&*it);
    if (e.kind == event_kind::renamed && relevant(e.path))
      current = e.old_path.native() + current.substr(e.path.native().size());
    else if (e.kind == event_kind::exchanged && relevant(e.path)) // each came from the other's place
      current = e.old_path.native() + current.substr(e.path.native().size());
    else if (e.kind == event_kind::exchanged && relevant(e.old_path))
      current = e.path.native() + current.substr(e.old_path.native().size());
  }
  out << "  events about " << path << " and its parents, back across renames (last "
      << found.size() << "):\n";
  for (auto it = found.rbegin(); it != found.rend(); ++it)
    out << "    #" << (*it)->number << ' ' << (*it)->event << '\n';
}

std::string errno_name(int error) {
  switch (error) {
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOSPC: return "ENOSPC";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case EMLINK: return "EMLINK";
  case EBUSY: return "EBUSY";
  case EDQUOT: return "EDQUOT";
  default: return "errno " + std::to_string(error);
  }
}

/// Records that surely overflow the inotify queue: fs.inotify.max_queued_events and some more.
std::size_t overflow_records() {
  std::size_t limit = 16384;
  if (FILE* f = std::fopen("/proc/sys/fs/inotify/max_queued_events", "r")) {
    unsigned long value = 0;
    if (std::fscanf(f, "%lu", &value) == 1 && value > 0)
      limit = value;
    std::fclose(f);
  }
  return limit + 2000;
}

int run(const options& o) {
  const auto begun = steady::now();
  const char* backend_name = o.backend == asio_fswatch::backend::inotify ? "inotify" : "poll";
  std::cout << "random_replay: backend=" << backend_name << " seed=" << o.seed
            << " writers=" << o.writers << " seconds=" << o.seconds
            << (o.backend == asio_fswatch::backend::poll
                    ? " poll_interval=" + std::to_string(o.poll_interval.count()) + "ms"
                    : std::string())
            << " max_entries=" << o.max_entries << (o.read_pauses ? " read_pauses" : "")
            << (o.exchanges ? " exchanges" : "")
            << (o.settle.count() ? " settle=" + std::to_string(o.settle.count()) + "ms" : std::string())
            << std::endl;

  const std::string scratch = make_scratch_directory();
  const std::string tree = scratch + "/tree";
  const std::string outside = scratch + "/outside";
  fs::create_directory(tree);
  fs::create_directory(outside);
  build_start_tree(tree, o.seed);
  std::vector<std::string> staging;
  for (unsigned i = 0; i < o.writers; ++i) {
    staging.push_back(outside + "/w" + std::to_string(i));
    fs::create_directory(staging.back());
  }
  tree_snapshot start = asio_fswatch::test::snapshot_of(tree);
  const std::size_t start_entries = start.size();
  std::cout << "random_replay: scratch directory " << scratch << ", starting tree of "
            << start_entries << " entries" << std::endl;

  // The writers, before any thread or monitor exists. They wait for EOF on the start pipe.
  int start_pipe[2];
  if (::pipe2(start_pipe, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  std::vector<writer_process> writers(o.writers);
  writer_guard guard(writers);
  std::vector<int> report_read_ends;
  [[maybe_unused]] const pid_t parent = ::getpid();
  for (unsigned i = 0; i < o.writers; ++i) {
    int report_pipe[2];
    if (::pipe2(report_pipe, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    std::cout.flush();
    std::cerr.flush();
    pid_t pid = ::fork();
    if (pid < 0)
      throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
#if defined(__linux__)
      // Should the parent die without ending the writers, they die with it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(5);
#endif
      ::close(start_pipe[1]);
      ::close(report_pipe[0]);
      for (int fd : report_read_ends)
        ::close(fd);
      writer_main(tree, outside, staging[i], o.seed * 1000 + i, i, o.max_entries, o.seconds,
                  start_pipe[0], report_pipe[1]);
    }
    ::close(report_pipe[1]);
    report_read_ends.push_back(report_pipe[0]);
    writers[i].pid = pid;
    writers[i].report_fd = report_pipe[0];
    writer_pids[i] = pid;
    writer_pid_count = static_cast<std::sig_atomic_t>(i + 1);
  }
  ::close(start_pipe[0]);

  // A deadline in the event loop fails the run with a message; the alarm is the last resort
  // when the loop itself is stuck.
  const steady::duration timeout = std::chrono::seconds(o.seconds) * 4 + 120s;
  {
    std::string text = "random_replay: FAILED seed=" + std::to_string(o.seed) +
                       " backend=" + backend_name +
                       ": hard time limit reached, the event loop is stuck (" + scratch +
                       " left in place)\n";
    alarm_message_size = std::min(text.size(), sizeof alarm_message);
    std::memcpy(alarm_message, text.data(), alarm_message_size);
    std::signal(SIGALRM, on_alarm);
    const auto limit = std::chrono::duration_cast<std::chrono::seconds>(timeout).count() + 60;
    ::alarm(static_cast<unsigned>(limit));
  }

  asio::io_context ioc;
  asio_fswatch::monitor_options monitor_options;
  monitor_options.backend = o.backend;
  monitor_options.poll_interval = o.poll_interval;
  monitor_options.settle = o.settle;
  asio_fswatch::directory_monitor monitor(ioc, monitor_options);
  boost::system::error_code add_ec;
  monitor.add(tree, add_ec);
  if (add_ec) {
    std::cout << "random_replay: FAILED seed=" << o.seed << " backend=" << backend_name
              << ": cannot watch " << tree << ": " << add_ec.message() << std::endl;
    guard.end_all();
    if (!o.keep)
      fs::remove_all(scratch);
    return 1;
  }

  // Quiet: inotify holds moves for a few ms; a poll needs a few intervals (and a scan of the
  // tree) before it can be taken as "nothing more is coming".
  // Settling: a batch comes a quiet period after the last change, or settle_max (2 s) after its
  // first while the writers go on.
  const std::chrono::milliseconds quiet =
      std::max(o.backend == asio_fswatch::backend::poll ? std::max(500ms, o.poll_interval * 4) : 500ms,
               o.settle.count() ? 2500ms + o.settle * 2 : 0ms);
  // Poll: the stream can go quiet while a scan that began before the writers ended is under
  // way, so only the check after the end marker means something.
  const bool check_before_marker = o.backend == asio_fswatch::backend::inotify && o.settle.count() == 0;
  session s(ioc, monitor, writers, std::move(start), tree, check_before_marker, quiet, timeout,
            o.read_pauses ? std::optional<std::uint64_t>(o.seed ^ 0x9a05e) : std::nullopt,
            o.read_pauses && o.backend == asio_fswatch::backend::inotify ? overflow_records() : 0);
  s.start();
  ::close(start_pipe[1]); // go
  ioc.run();

  // Writers: normally all reaped; after a timeout, ended by force.
  const bool writers_killed = guard.end_all();
  for (writer_process& w : writers)
    read_report(w);
  ::alarm(0);

  std::vector<std::string> failures = s.failures();
  std::array<std::uint64_t, op_count> done{}, raced{};
  std::uint64_t unexpected = 0, largest_tree = 0;
  for (std::size_t i = 0; i < writers.size(); ++i) {
    const writer_process& w = writers[i];
    if (!WIFEXITED(w.status) || WEXITSTATUS(w.status) != 0 || !w.report) {
      if (!writers_killed)
        failures.push_back("writer " + std::to_string(i) + " ended badly (status " +
                           std::to_string(w.status) + (w.report ? ")" : ", no report)"));
      continue;
    }
    for (std::size_t k = 0; k < op_count; ++k) {
      done[k] += w.report->done[k];
      raced[k] += w.report->raced[k];
    }
    largest_tree = std::max(largest_tree, w.report->largest_tree);
    if (w.report->unexpected > 0) {
      unexpected += w.report->unexpected;
      failures.push_back("writer " + std::to_string(i) + ": " +
                         std::to_string(w.report->unexpected) +
                         " operations failed for a reason races do not explain, the first " +
                         op_names[static_cast<std::size_t>(w.report->first_unexpected_op)] +
                         " with " + errno_name(w.report->first_unexpected_errno) +
                         " (a problem of the test's set-up, not of the monitor)");
    }
  }
  std::uint64_t total_done = 0, total_raced = 0;
  for (std::size_t k = 0; k < op_count; ++k) {
    total_done += done[k];
    total_raced += raced[k];
    // Races explain some failures, never all: an operation that always fails is not being tested.
    if (done[k] == 0 && raced[k] >= 20)
      failures.push_back(std::string("every ") + op_names[k] + " (" + std::to_string(raced[k]) +
                         ") failed with an error counted as a race (a problem of the test's set-up)");
  }

  // The invariant: the replayed picture is the tree as it is now.
  tree_snapshot final_tree;
  std::string diff;
  std::vector<std::string> diff_paths;
  if (!s.timed_out()) {
    final_tree = asio_fswatch::test::snapshot_of(tree);
    diff = asio_fswatch::test::compare(final_tree, s.replayed(), 30);
    if (!diff.empty()) {
      failures.push_back("the replayed events do not give the final tree");
      diff_paths = differing_paths(final_tree, s.replayed(), 10);
    }
  }
  if (!s.stats().problems.empty())
    failures.push_back(std::to_string(s.stats().problems.size()) +
                       " events do not fit the tree as the earlier events left it");
  if (total_done == 0 && !s.timed_out())
    failures.push_back("the writers did nothing");

  const double duration =
      std::chrono::duration<double>(steady::now() - begun).count();
  std::ostringstream summary;
  summary.setf(std::ios::fixed);
  summary.precision(1);
  summary << "random_replay: " << (failures.empty() ? "PASSED" : "FAILED") << " backend="
          << backend_name << " seed=" << o.seed << " writers=" << o.writers
          << " seconds=" << o.seconds << " ops=" << total_done << " raced=" << total_raced
          << " unexpected=" << unexpected << " events=" << s.events()
          << " duplicates=" << s.stats().duplicates
          << " overflows=" << s.count(event_kind::overflow)
          << (o.read_pauses ? " read_pauses=" + std::to_string(s.pauses()) : std::string())
          << " errors=" << s.count(event_kind::error) << " start_entries=" << start_entries
          << " final_entries=" << final_tree.size() << " largest_tree=" << largest_tree
          << " duration=" << duration << "s";

  std::cout << "random_replay: ops done/raced:";
  for (std::size_t k = 0; k < op_count; ++k)
    std::cout << ' ' << op_names[k] << '=' << done[k] << '/' << raced[k];
  std::cout << "\nrandom_replay: events:";
  for (event_kind kind : {event_kind::created, event_kind::removed, event_kind::renamed,
                          event_kind::exchanged, event_kind::modified, event_kind::attributes,
                          event_kind::overflow, event_kind::error})
    std::cout << ' ' << kind << '=' << s.count(kind);
  std::cout << '\n';

  if (!failures.empty()) {
    std::cout << "FAILED seed=" << o.seed << " backend=" << backend_name
              << " (reproduce: random_replay --backend " << backend_name << " --seconds "
              << o.seconds << " --seed " << o.seed << " --writers " << o.writers << " --keep)\n";
    for (const std::string& f : failures)
      std::cout << "  " << f << '\n';
    if (s.more_failures() > 0)
      std::cout << "  ... and " << s.more_failures() << " more failures of the same kinds\n";
    if (!s.stats().problems.empty())
      std::cout << "events that do not fit the tree:\n"
                << asio_fswatch::test::describe_problems(s.stats(), 30);
    if (!s.early_differences().empty())
      std::cout << "differences when first quiet, before the end marker (tree vs replay):\n"
                << s.early_differences();
    if (!diff.empty())
      std::cout << "differences (final tree vs replay):\n" << diff;
    std::set<std::string> shown;
    std::vector<std::string> interesting = s.problem_paths();
    interesting.insert(interesting.end(), s.early_paths().begin(), s.early_paths().end());
    interesting.insert(interesting.end(), diff_paths.begin(), diff_paths.end());
    for (const std::string& path : interesting) {
      if (shown.size() >= 12)
        break;
      if (shown.insert(path).second)
        print_events_about(std::cout, s.history(), path, tree, 25);
    }
  }
  std::cout << summary.str() << std::endl;

  if (o.keep)
    std::cout << "random_replay: kept " << scratch << std::endl;
  else
    fs::remove_all(scratch);
  return failures.empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  std::optional<options> o = parse_options(argc, argv);
  if (!o)
    return 2;
  writers_exchange = o->exchanges;
#if !defined(ASIO_FSWATCH_LINUX)
  if (o->backend == asio_fswatch::backend::inotify) {
    const char* reason = "inotify is Linux's, and this build has none of Linux's own mechanisms (the generic "
                         "POSIX configuration)";
    std::cout << "skipped [inotify]: " << reason << std::endl;
    asio_fswatch::test::detail::log_skip(asio_fswatch::test::skip_kind::platform, "inotify", "random_replay", reason);
    return 0;
  }
#endif
  try {
    return run(*o);
  } catch (const std::exception& e) {
    std::cout << "random_replay: FAILED seed=" << o->seed << ": set-up error: " << e.what()
              << std::endl;
    return 2;
  }
}
