// SPDX-License-Identifier: BSL-1.0
// Hostile input to the directory monitor, on inotify and on the poll backend: names with control
// characters, quotes, backslashes and invalid UTF-8; names of 255 bytes (and the 256 the kernel
// refuses); paths at and beyond PATH_MAX; symlink loops; directories made unreadable while
// watched (in a child that runs as nobody, since root reads everything); entries replaced by one
// of another type, file roots included. Every step pins the exact events (kind, path bytes, type,
// error), and the replay invariant is checked wherever the tree can be read back.
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <common/as_nobody.hpp>
#include <common/exact_events.hpp>
#include <common/make_event.hpp>
#include <common/monitor_collect.hpp>
#include <common/proc_limits.hpp>
#include <common/seccomp.hpp>
#include <common/temp_dir.hpp>
#include <common/tree_replay.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace sys = boost::system;
using namespace std::chrono_literals;

using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::monitor_options;
using asio_fswatch::watch_options;
using namespace asio_fswatch::test; // the test support in common/

constexpr entry_type file = entry_type::file;
constexpr entry_type dir = entry_type::directory;
constexpr entry_type symlink = entry_type::symlink;
constexpr entry_type unknown = entry_type::unknown;

// As the monitor reports them: errno values in the system category.
const sys::error_code name_too_long(ENAMETOOLONG, sys::system_category());
const sys::error_code symlink_loop(ELOOP, sys::system_category());
const sys::error_code permission_denied(EACCES, sys::system_category());

// ---------------------------------------------------------------------------------------------
// Changes: raw system calls; a failure ends the test case with errno's message

void make_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  BOOST_TEST_REQUIRE(fd >= 0, "create " << shown(path) << ": " << std::strerror(errno));
  ::close(fd);
}

void append_to(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  BOOST_TEST_REQUIRE(fd >= 0, "open " << shown(path) << ": " << std::strerror(errno));
  BOOST_TEST_REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);
}

void make_dir(const std::string& path) {
  BOOST_TEST_REQUIRE(::mkdir(path.c_str(), 0755) == 0, "mkdir " << shown(path) << ": " << std::strerror(errno));
}

void make_symlink(const std::string& target, const std::string& path) {
  BOOST_TEST_REQUIRE(::symlink(target.c_str(), path.c_str()) == 0,
                     "symlink " << shown(path) << ": " << std::strerror(errno));
}

void move(const std::string& from, const std::string& to) {
  BOOST_TEST_REQUIRE(::rename(from.c_str(), to.c_str()) == 0,
                     "rename " << shown(from) << " -> " << shown(to) << ": " << std::strerror(errno));
}

void remove_file(const std::string& path) {
  BOOST_TEST_REQUIRE(::unlink(path.c_str()) == 0, "unlink " << shown(path) << ": " << std::strerror(errno));
}

void remove_dir(const std::string& path) {
  BOOST_TEST_REQUIRE(::rmdir(path.c_str()) == 0, "rmdir " << shown(path) << ": " << std::strerror(errno));
}

// ---------------------------------------------------------------------------------------------
// Names with control characters, quotes, backslashes and invalid UTF-8

const std::vector<std::string> special_names = {
    "new\nline",  "\n",          "quote\"double", "'single'",     "back\\slash", "\\",
    "tab\there",  "cr\rhere",    "ctl\x01\x1b\x7f", " leading",   "trailing ",   " ",
    "...",        "-dash",       "*?[glob]",      "a -> b",       "\"\\\n\t",    "%s%n{}$(x)`y`",
};

const std::vector<std::string> invalid_utf8_names = {
    "\xff",                     // never valid
    "bad\xff" "byte",
    "\x80",                     // a lone continuation byte
    "lone\x80" "cont",
    "trunc\xe2\x82",            // a 3-byte sequence cut short at the end
    "\xe2\x82x",                // ... and before an ASCII byte
    "\xf0\x9f\x98",             // a 4-byte sequence cut short
    "over\xc0\xaf" "long",      // "/" in two bytes (overlong)
    "\xe0\x80\xaf",             // "/" in three bytes
    "\xc1\xbf",
    "sur\xed\xa0\x80" "rogate", // U+D800 encoded as if it were a character
    "\xed\xbf\xbf",             // U+DFFF
    "\xed\xa0\xbd\xed\xb8\x80", // a surrogate pair encoded in UTF-8 (CESU-8)
    "\xf4\x90\x80\x80",         // above U+10FFFF
    "\xf5\x80\x80\x80",
    "valid \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xef\xbf\xbd", // valid UTF-8, for contrast
};

/// For each name N: a file N, and a directory "dir" + N holding a file N, created; renamed to
/// N + ".renamed" and N + "dir"; a file "new" + N created in the renamed directory; all removed.
void hostile_names_scenario(backend which, const std::vector<std::string>& names) {
  monitor_fixture f;
  const std::string root = f.root.native();
  std::set<std::string> all_names;
  for (const std::string& n : names) {
    BOOST_TEST_REQUIRE((n.find('/') == std::string::npos && n.find('\0') == std::string::npos));
    for (const std::string& derived : {n, "dir" + n, n + ".renamed", n + "dir"})
      BOOST_TEST_REQUIRE(all_names.insert(derived).second, "name used twice: " << shown(derived));
  }
  const bool poll = which == backend::poll;
  const order o = poll ? order::any : order::exact;
  const tree_snapshot start = snapshot_of(f.root);
  directory_monitor monitor(f.ioc, options_for(which));
  monitor.add(f.root);
  std::vector<fs_event> all, expected;

  for (const std::string& n : names) {
    make_file(root + '/' + n);
    make_dir(root + "/dir" + n);
    make_file(root + "/dir" + n + '/' + n);
    expected.push_back(created(root + '/' + n, file));
    expected.push_back(created(root + "/dir" + n, dir));
    expected.push_back(created(root + "/dir" + n + '/' + n, file));
  }
  step(f.ioc, monitor, "created", expected, o, all);
  check_replay_exact(start, all, snapshot_of(f.root), "after the creations");

  expected.clear();
  for (const std::string& n : names) {
    move(root + '/' + n, root + '/' + n + ".renamed");
    move(root + "/dir" + n, root + '/' + n + "dir");
    if (poll) { // no pairing: removed and created
      expected.push_back(removed(root + '/' + n, file));
      expected.push_back(created(root + '/' + n + ".renamed", file));
      expected.push_back(removed(root + "/dir" + n + '/' + n, file));
      expected.push_back(removed(root + "/dir" + n, dir));
      expected.push_back(created(root + '/' + n + "dir", dir));
      expected.push_back(created(root + '/' + n + "dir/" + n, file));
    } else {
      expected.push_back(renamed(root + '/' + n, root + '/' + n + ".renamed", file));
      expected.push_back(renamed(root + "/dir" + n, root + '/' + n + "dir", dir));
    }
  }
  step(f.ioc, monitor, "renamed", expected, o, all);

  expected.clear();
  for (const std::string& n : names) {
    make_file(root + '/' + n + "dir/new" + n);
    expected.push_back(created(root + '/' + n + "dir/new" + n, file));
  }
  step(f.ioc, monitor, "created in the renamed directories", expected, o, all);
  check_replay_exact(start, all, snapshot_of(f.root), "after the renames");

  expected.clear();
  for (const std::string& n : names) {
    remove_file(root + '/' + n + ".renamed");
    remove_file(root + '/' + n + "dir/" + n);
    remove_file(root + '/' + n + "dir/new" + n);
    remove_dir(root + '/' + n + "dir");
    expected.push_back(removed(root + '/' + n + ".renamed", file));
    expected.push_back(removed(root + '/' + n + "dir/" + n, file));
    expected.push_back(removed(root + '/' + n + "dir/new" + n, file));
    expected.push_back(removed(root + '/' + n + "dir", dir));
  }
  step(f.ioc, monitor, "removed", expected, o, all);
  check_replay_exact(start, all, snapshot_of(f.root), "after the removals");
}

// ---------------------------------------------------------------------------------------------
// Paths at and beyond PATH_MAX: the tree is made, read and removed through directory
// descriptors, since no path-based call can reach its deep end

constexpr std::size_t path_max = PATH_MAX; // 4096 on Linux, the terminating NUL included

/// The names in the open directory `directory` (its descriptor stays open and unchanged).
std::vector<std::string> names_in(int directory) {
  std::vector<std::string> names;
  int copy = ::openat(directory, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0)
    return names;
  DIR* d = ::fdopendir(copy);
  if (!d) {
    ::close(copy);
    return names;
  }
  while (const dirent* entry = ::readdir(d))
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
      names.emplace_back(entry->d_name);
  ::closedir(d);
  return names;
}

/// rm -r of `name` in the directory `parent`, by descriptors only.
void remove_tree_at(int parent, const std::string& name) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      for (const std::string& child : names_in(fd))
        remove_tree_at(fd, child);
      ::close(fd);
    }
    ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
  } else {
    ::unlinkat(parent, name.c_str(), 0);
  }
}

/// snapshot_of (lstat semantics, absolute paths) by descriptors, so that it reaches any depth;
/// the content of a directory whose path is `cut` bytes or longer is left out.
void walk_at(int directory, const std::string& path, std::size_t cut, tree_snapshot& out) {
  if (path.size() >= cut)
    return;
  for (const std::string& name : names_in(directory)) {
    struct stat st;
    if (::fstatat(directory, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    const std::string child = path + '/' + name;
    if (S_ISDIR(st.st_mode)) {
      out[child] = dir;
      int fd = ::openat(directory, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        walk_at(fd, child, cut, out);
        ::close(fd);
      }
    } else {
      out[child] = S_ISREG(st.st_mode) ? file : S_ISLNK(st.st_mode) ? symlink : entry_type::other;
    }
  }
}

tree_snapshot snapshot_by_descriptors(const std::string& root, std::size_t cut = std::string::npos) {
  tree_snapshot out;
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return out;
  out[root] = dir;
  walk_at(fd, root, cut, out);
  ::close(fd);
  return out;
}

/// A monitor_fixture whose root's path is exactly `root_length` bytes, and that removes deep
/// trees by descriptors (temp_dir's remove_all works with paths, which stop at PATH_MAX).
struct deep_fixture : monitor_fixture {
  static constexpr std::size_t root_length = 100;
  std::string root_path;

  deep_fixture() {
    std::size_t base = tmp.path().native().size() + 1;
    BOOST_TEST_REQUIRE(base < root_length - 8, "the temporary directory's path is too long");
    root_path = tmp.path().native() + '/' + std::string(root_length - base, 'R');
    make_dir(root_path);
    BOOST_TEST_REQUIRE(root_path.size() == root_length);
  }

  ~deep_fixture() {
    int fd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      remove_tree_at(fd, fs::path(root_path).filename().native());
      ::close(fd);
    }
  }
};

/// Directories opened one inside the other from a root, each by a descriptor relative to the one
/// before, so that entries can be made at any depth; path() is the innermost one's full path.
class descriptor_chain {
public:
  explicit descriptor_chain(const std::string& root) : path_(root) {
    fds_.push_back(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    BOOST_TEST_REQUIRE(fds_.back() >= 0, "open " << root << ": " << std::strerror(errno));
  }
  ~descriptor_chain() {
    for (int fd : fds_)
      ::close(fd);
  }
  descriptor_chain(const descriptor_chain&) = delete;
  descriptor_chain& operator=(const descriptor_chain&) = delete;

  const std::string& path() const noexcept { return path_; }
  int fd() const noexcept { return fds_.back(); }

  /// mkdir `name` here, then go into it.
  void descend_new(const std::string& name) {
    BOOST_TEST_REQUIRE(::mkdirat(fd(), name.c_str(), 0755) == 0,
                       "mkdirat at depth " << fds_.size() << ": " << std::strerror(errno));
    descend(name);
  }
  void descend(const std::string& name) {
    int fd = ::openat(this->fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    BOOST_TEST_REQUIRE(fd >= 0, "openat at depth " << fds_.size() << ": " << std::strerror(errno));
    fds_.push_back(fd);
    path_ += '/' + name;
  }
  std::string make_file(const std::string& name) {
    int fd = ::openat(this->fd(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    BOOST_TEST_REQUIRE(fd >= 0, "create at depth " << fds_.size() << ": " << std::strerror(errno));
    ::close(fd);
    return path_ + '/' + name;
  }
  std::string make_dir(const std::string& name) {
    BOOST_TEST_REQUIRE(::mkdirat(fd(), name.c_str(), 0755) == 0,
                       "mkdirat at depth " << fds_.size() << ": " << std::strerror(errno));
    return path_ + '/' + name;
  }
  void append(const std::string& name, std::string_view content) {
    int fd = ::openat(this->fd(), name.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    BOOST_TEST_REQUIRE(fd >= 0, "open at depth " << fds_.size() << ": " << std::strerror(errno));
    BOOST_TEST_REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);
  }

private:
  std::vector<int> fds_;
  std::string path_;
};

void paths_beyond_path_max_scenario(backend which) {
  deep_fixture f;
  const std::string& root = f.root_path;
  const bool poll = which == backend::poll;
  // Levels of 200-byte names: level k's path is 100 + 201 k bytes long. Level 19 (3919 bytes)
  // is the deepest directory whose path fits in PATH_MAX; level 20 (4120) is the first that
  // does not. Each level holds a file "f".
  constexpr int levels = 24;
  const tree_snapshot start = snapshot_by_descriptors(root);
  directory_monitor monitor(f.ioc, options_for(which));
  monitor.add(root);
  std::vector<fs_event> all, expected;
  std::vector<std::string> level_path{root};
  {
    descriptor_chain chain(root);
    for (int k = 1; k <= levels; ++k) {
      chain.descend_new(std::string(200, static_cast<char>('a' + k)));
      level_path.push_back(chain.path());
      chain.make_file("f");
    }
  }
  BOOST_TEST_REQUIRE(level_path[19].size() == 3919u);
  BOOST_TEST_REQUIRE(level_path[20].size() == 4120u);
  // Every entry whose parent's path fits is reported with its full path; the first directory
  // whose own path does not fit is reported, then named by an error (ENAMETOOLONG); nothing
  // below it is reported.
  for (int k = 1; k <= 20; ++k)
    expected.push_back(created(level_path[std::size_t(k)], dir));
  for (int k = 1; k <= 19; ++k)
    expected.push_back(created(level_path[std::size_t(k)] + "/f", file));
  expected.push_back(failed(level_path[20], name_too_long, dir));
  step(f.ioc, monitor, "a deep tree made while watched", expected, order::any, all);
  // Replayed, the events give the tree down to (and including) the entries whose parent's path
  // fits in PATH_MAX.
  check_replay_exact(start, all, snapshot_by_descriptors(root, path_max), "deep tree");

  // At the boundary, in level 19: a path of 4095 bytes (the longest that fits, with its NUL)
  // works; one of 4096 does not.
  const std::string parent = level_path[19];
  const std::string file_4095 = std::string(4095 - parent.size() - 1, 'p');
  const std::string file_4096 = std::string(4096 - parent.size() - 1, 'q');
  const std::string dir_4095 = std::string(4095 - parent.size() - 1, 'r');
  const std::string dir_4096 = std::string(4096 - parent.size() - 1, 'u');
  {
    descriptor_chain chain(root);
    for (int k = 1; k <= 19; ++k)
      chain.descend(fs::path(level_path[std::size_t(k)]).filename().native());
    BOOST_TEST_REQUIRE(chain.make_file(file_4095).size() == 4095u);
    BOOST_TEST_REQUIRE(chain.make_file(file_4096).size() == 4096u);
    BOOST_TEST_REQUIRE(chain.make_dir(dir_4095).size() == 4095u);
    BOOST_TEST_REQUIRE(chain.make_dir(dir_4096).size() == 4096u);
  }
  expected = {created(parent + '/' + file_4095, file), created(parent + '/' + dir_4095, dir),
              created(parent + '/' + dir_4096, dir),
              failed(parent + '/' + dir_4096, name_too_long, dir)};
  if (poll) {
    // Found by a scan: the type comes from the directory entry; lstat cannot compare it.
    expected.push_back(created(parent + '/' + file_4096, file));
    expected.push_back(failed(parent + '/' + file_4096, name_too_long, file));
  } else {
    // Reported by its parent's watch: lstat cannot reach it to tell its type.
    expected.push_back(created(parent + '/' + file_4096, unknown));
    expected.push_back(failed(parent + '/' + file_4096, name_too_long, unknown));
  }
  step(f.ioc, monitor, "entries of 4095 and 4096 bytes", expected, order::any, all);

  // The 4095-byte directory is watched and scanned; what is created in it is beyond PATH_MAX.
  const std::string inside = parent + '/' + dir_4095 + "/g";
  {
    descriptor_chain chain(root);
    for (int k = 1; k <= 19; ++k)
      chain.descend(fs::path(level_path[std::size_t(k)]).filename().native());
    chain.descend(dir_4095);
    chain.make_file("g");
  }
  expected = poll ? std::vector<fs_event>{created(inside, file), failed(inside, name_too_long, file)}
                  : std::vector<fs_event>{created(inside, unknown), failed(inside, name_too_long, unknown)};
  step(f.ioc, monitor, "a file in the 4095-byte directory", expected, order::any, all);

  // A write to the 4096-byte file: inotify reports it by name (the type is still unknown); the
  // poll backend cannot see it, as its error said. The marker shows that nothing else came.
  {
    descriptor_chain chain(root);
    for (int k = 1; k <= 19; ++k)
      chain.descend(fs::path(level_path[std::size_t(k)]).filename().native());
    chain.append(file_4096, "more");
  }
  make_file(root + "/marker");
  expected = {created(root + "/marker", file)};
  if (!poll)
    expected.insert(expected.begin(), modified(parent + '/' + file_4096, unknown));
  step(f.ioc, monitor, "a write beyond PATH_MAX", expected, order::exact, all);
  check_replay_exact(start, all, snapshot_by_descriptors(root, path_max), "boundary entries");

  // Roots longer than PATH_MAX are refused with ENAMETOOLONG, whether they exist or not; one of
  // exactly 4095 bytes is fine.
  directory_monitor second(f.ioc, options_for(which));
  std::string missing = root;
  while (missing.size() <= 5000)
    missing += '/' + std::string(200, 'm');
  for (const std::string& too_long : {level_path[20], parent + '/' + dir_4096, missing}) {
    sys::error_code ec;
    second.add(too_long, ec);
    BOOST_TEST(ec == name_too_long, too_long.size() << "-byte root: " << ec.message());
    try {
      second.add(too_long);
      BOOST_ERROR("the throwing add of a " << too_long.size() << "-byte root did not throw");
    } catch (const fs::filesystem_error& e) {
      BOOST_TEST((e.code() == std::errc::filename_too_long), e.code().message());
      BOOST_TEST(e.path1().native() == too_long);
    }
  }
  BOOST_TEST(second.roots().empty());
  sys::error_code ec;
  second.add(parent + '/' + dir_4095, ec);
  BOOST_TEST(!ec, "4095-byte root: " << ec.message());

  // Everything goes: `removed` for every entry that was reported, nothing for the others, and
  // the replay ends with the empty root.
  tree_snapshot reported = start;
  {
    replay_stats stats;
    replay(reported, all, stats);
  }
  expected.clear();
  for (const auto& [path, type] : reported)
    if (path != root)
      expected.push_back(removed(path, type));
  second.close();
  {
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    BOOST_TEST_REQUIRE(fd >= 0);
    remove_tree_at(fd, fs::path(level_path[1]).filename().native());
    ::unlinkat(fd, "marker", 0);
    ::close(fd);
  }
  step(f.ioc, monitor, "the deep tree removed", expected, order::any, all);
  check_replay_exact(start, all, snapshot_by_descriptors(root), "deep tree removed");
}

// ---------------------------------------------------------------------------------------------
// Symlink loops inside the tree

void symlink_loops_scenario(backend which) {
  monitor_fixture f;
  const std::string root = f.root.native();
  // Already there when the root is added (listed by initial_listing, never followed).
  make_symlink("old_b", root + "/old_a");
  make_symlink("old_a", root + "/old_b");
  make_dir(root + "/pre");
  make_symlink("..", root + "/pre/up");
  const tree_snapshot start{{root, dir}};
  directory_monitor monitor(f.ioc, options_for(which));
  watch_options listing;
  listing.initial_listing = true;
  monitor.add(f.root, listing);
  std::vector<fs_event> all;
  step(f.ioc, monitor, "initial listing with loops",
       {created(root + "/old_a", symlink), created(root + "/old_b", symlink),
        created(root + "/pre", dir), created(root + "/pre/up", symlink)},
       order::any, all);

  make_symlink("b", root + "/a");
  make_symlink("a", root + "/b");
  make_symlink("self", root + "/self");
  make_dir(root + "/sub");
  make_symlink("..", root + "/sub/up");
  make_symlink(root, root + "/sub/to_root");
  make_symlink("up/sub/up", root + "/sub/chain");
  step(f.ioc, monitor, "loops made while watched",
       {created(root + "/a", symlink), created(root + "/b", symlink), created(root + "/self", symlink),
        created(root + "/sub", dir), created(root + "/sub/up", symlink),
        created(root + "/sub/to_root", symlink), created(root + "/sub/chain", symlink)},
       order::any, all);

  // A change seen through the loops is reported once, under its one real path.
  make_file(root + "/sub/f");
  step(f.ioc, monitor, "a file next to the loops", {created(root + "/sub/f", file)}, order::exact, all);

  remove_file(root + "/a");
  remove_file(root + "/self");
  remove_file(root + "/pre/up");
  step(f.ioc, monitor, "loops removed",
       {removed(root + "/a", symlink), removed(root + "/self", symlink),
        removed(root + "/pre/up", symlink)},
       which == backend::poll ? order::any : order::exact, all);
  check_replay_exact(start, all, snapshot_of(f.root), "symlink loops");
}

// ---------------------------------------------------------------------------------------------
// Entries replaced by one of another type

void replaced_scenario(backend which) {
  monitor_fixture f;
  const std::string root = f.root.native();
  const std::string outside = f.outside.native();
  const bool poll = which == backend::poll;
  const order o = poll ? order::any : order::exact;
  for (const char* name : {"/f", "/g", "/h", "/src_file"})
    make_file(root + name);
  make_dir(root + "/src");
  make_file(root + "/src/x");
  make_dir(root + "/d");
  make_file(root + "/d/x");
  make_dir(root + "/e");
  make_dir(outside + "/moved");
  make_file(outside + "/moved/y");
  const tree_snapshot start = snapshot_of(f.root);
  directory_monitor monitor(f.ioc, options_for(which));
  monitor.add(f.root);
  std::vector<fs_event> all;

  // rm f && mkdir f
  remove_file(root + "/f");
  make_dir(root + "/f");
  make_file(root + "/f/inner");
  step(f.ioc, monitor, "file replaced by a directory",
       {removed(root + "/f", file), created(root + "/f", dir), created(root + "/f/inner", file)}, o, all);
  make_file(root + "/f/later");
  step(f.ioc, monitor, "the new directory is watched", {created(root + "/f/later", file)}, o, all);

  // rm g && mv src g: a directory of the tree takes the file's name.
  remove_file(root + "/g");
  move(root + "/src", root + "/g");
  if (poll)
    step(f.ioc, monitor, "file replaced by a renamed directory",
         {removed(root + "/g", file), removed(root + "/src/x", file), removed(root + "/src", dir),
          created(root + "/g", dir), created(root + "/g/x", file)},
         o, all);
  else
    step(f.ioc, monitor, "file replaced by a renamed directory",
         {removed(root + "/g", file), renamed(root + "/src", root + "/g", dir)}, o, all);
  make_file(root + "/g/later");
  step(f.ioc, monitor, "the renamed directory is watched", {created(root + "/g/later", file)}, o, all);

  // rm h && mv ../outside/moved h: a directory from outside takes the file's name.
  remove_file(root + "/h");
  move(outside + "/moved", root + "/h");
  step(f.ioc, monitor, "file replaced by a directory moved in",
       {removed(root + "/h", file), created(root + "/h", dir), created(root + "/h/y", file)}, o, all);
  make_file(root + "/h/later");
  step(f.ioc, monitor, "the moved-in directory is watched", {created(root + "/h/later", file)}, o, all);

  // rm -r d && touch d
  remove_file(root + "/d/x");
  remove_dir(root + "/d");
  make_file(root + "/d");
  step(f.ioc, monitor, "directory replaced by a file",
       {removed(root + "/d/x", file), removed(root + "/d", dir), created(root + "/d", file)}, o, all);
  append_to(root + "/d", "content");
  step(f.ioc, monitor, "the new file is watched", {modified(root + "/d", file)}, o, all);

  // rmdir e && mv src_file e
  remove_dir(root + "/e");
  move(root + "/src_file", root + "/e");
  if (poll)
    step(f.ioc, monitor, "directory replaced by a renamed file",
         {removed(root + "/e", dir), removed(root + "/src_file", file), created(root + "/e", file)}, o, all);
  else
    step(f.ioc, monitor, "directory replaced by a renamed file",
         {removed(root + "/e", dir), renamed(root + "/src_file", root + "/e", file)}, o, all);
  check_replay_exact(start, all, snapshot_of(f.root), "replaced entries");
}

/// A file given as a root, replaced by a directory and back. A file root is watched on its own
/// (watch_options::recursive, doc/guide.md "Single files"): the directory that takes its name is
/// reported, and its content is not.
void file_root_replaced_scenario(backend which) {
  monitor_fixture f;
  const std::string root = f.root.native();
  const std::string outside = f.outside.native();
  const std::string path = root + "/f";
  const order o = which == backend::poll ? order::any : order::exact;
  make_file(path);
  make_file(root + "/other");
  auto watched_part = [&] {
    tree_snapshot now = snapshot_of(f.root);
    tree_snapshot out{{root, dir}};
    if (now.count(path))
      out[path] = now[path];
    return out;
  };
  const tree_snapshot start = watched_part();
  directory_monitor monitor(f.ioc, options_for(which));
  monitor.add(path);
  std::vector<fs_event> all;

  remove_file(path);
  make_dir(path);
  step(f.ioc, monitor, "file root replaced by a directory", {removed(path, file), created(path, dir)}, o, all);

  make_file(path + "/inner"); // not reported: see above
  remove_file(path + "/inner");
  remove_dir(path);
  make_file(path);
  step(f.ioc, monitor, "and back to a file", {removed(path, dir), created(path, file)}, o, all);

  make_dir(outside + "/d");
  remove_file(path);
  move(outside + "/d", path);
  step(f.ioc, monitor, "file root replaced by a directory moved in", {removed(path, file), created(path, dir)},
       o, all);

  remove_dir(path);
  make_file(root + "/tmp");
  move(root + "/tmp", path);
  step(f.ioc, monitor, "atomic save over the directory", {removed(path, dir), created(path, file)}, o, all);
  append_to(path, "content");
  step(f.ioc, monitor, "the file root is still watched", {modified(path, file)}, o, all);
  BOOST_TEST(monitor.roots().size() == 1u);
  check_replay_exact(start, all, watched_part(), "file root");
}

// ---------------------------------------------------------------------------------------------
// Unreadable directories: root reads everything, so the scenario runs in a forked child that
// has dropped to nobody (65534). The child reports through its exit status and stderr.

/// As nobody: a watched directory made unreadable (chmod 000), new directories that are
/// unreadable before the monitor gets to them (with content it would have to scan), then a
/// rescan (inotify: a forced queue overflow; poll: every scan), then the directory readable again.
void unreadable_scenario(const std::string& root, backend which) {
  const bool poll = which == backend::poll;
  const std::string w = root + "/w", late = root + "/late", ok = root + "/ok";
  const std::string locked = ok + "/new/locked";
  must_mkdir(w);
  must_create(w + "/existing");
  must_mkdir(w + "/inner");
  must_mkdir(ok);
  const tree_snapshot start = snapshot_of(root);
  asio::io_context ioc;
  directory_monitor monitor(ioc, options_for(which));
  sys::error_code ec;
  monitor.add(root, ec);
  must(!ec, "add: " + ec.message());
  std::vector<fs_event> all;

  // A watched directory made unreadable. inotify keeps its watch (permission is checked when a
  // watch is added), so this is a change of attributes; the poll backend rescans, cannot list
  // it, says so once, and (seeing nothing inside) reports its content removed.
  must_chmod(w, 0);
  must_create(ok + "/a1");
  if (poll)
    child_step(ioc, monitor, "watched directory made unreadable",
               {attributes(w, dir), failed(w, permission_denied, dir), removed(w + "/existing", file),
                removed(w + "/inner", dir), created(ok + "/a1", file)},
               order::any, all);
  else
    child_step(ioc, monitor, "watched directory made unreadable",
               {attributes(w, dir), created(ok + "/a1", file)}, order::exact, all);

  // New directories, unreadable before the monitor reads their creation: `late` itself, and
  // `locked` inside a new readable directory. Each is reported, then named by one error; what
  // they hold is not reported; everything else is.
  must_mkdir(late);
  must_mkdir(late + "/sub");
  must_create(late + "/f");
  must_chmod(late, 0);
  must_mkdir(ok + "/new");
  must_mkdir(locked);
  must_create(locked + "/x");
  must_chmod(locked, 0);
  must_create(ok + "/new/visible");
  must_create(ok + "/a2");
  std::vector<fs_event> expected{created(late, dir),
                                 failed(late, permission_denied, dir),
                                 created(ok + "/new", dir),
                                 created(locked, dir),
                                 failed(locked, permission_denied, dir),
                                 created(ok + "/new/visible", file),
                                 created(ok + "/a2", file)};
  if (!poll)
    expected.push_back(attributes(late, dir)); // the chmod, read after the creation
  child_step(ioc, monitor, "new unreadable directories", expected, order::any, all);
  // inotify names the directory after its `created`. (The poll backend finds both in one scan
  // and reports its errors first, then the differences.)
  for (const std::string& path : poll ? std::vector<std::string>{} : std::vector<std::string>{late, locked}) {
    auto is = [&](event_kind kind) {
      return [&, kind](const fs_event& e) { return e.kind == kind && e.path.native() == path; };
    };
    must(std::find_if(all.begin(), all.end(), is(event_kind::created)) <
             std::find_if(all.begin(), all.end(), is(event_kind::error)),
         "the error for " + path + " comes before its `created`");
  }

  must_create(ok + "/new/after");
  must_create(root + "/after");
  child_step(ioc, monitor, "the rest is still watched",
             {created(ok + "/new/after", file), created(root + "/after", file)}, poll ? order::any : order::exact, all);

  if (!poll) {
    // A rescan: the kernel queue overflows (no read pending). The monitor re-watches the tree:
    // `w` cannot be watched now, so it is named by an error, and what it held is reported
    // removed, since nothing in it can be seen any more. The other unreadable directories were
    // reported already: no second error.
    const std::size_t files = max_queued_events() + 256;
    for (std::size_t i = 0; i < files; ++i)
      must_create(ok + "/bulk" + std::to_string(i));
    collection c = collect(ioc, monitor, nullptr, 500ms, 120s);
    all.insert(all.end(), c.events.begin(), c.events.end());
    must(!c.timed_out && !c.stuck && c.errors.empty(), "the rescan's events did not go quiet");
    std::vector<fs_event> errors, about_w;
    std::size_t overflows = 0;
    for (const fs_event& e : c.events) {
      if (e.kind == event_kind::overflow)
        ++overflows;
      else if (e.kind == event_kind::error)
        errors.push_back(e);
      else if (e.path.native().rfind(w, 0) == 0 || e.path.native().rfind(late, 0) == 0 ||
               e.path.native().rfind(locked, 0) == 0)
        about_w.push_back(e);
    }
    if (overflows == 0)
      throw std::runtime_error("no overflow after " + std::to_string(files) + " unread records");
    std::string problem = mismatch(errors, {failed(w, permission_denied, dir)}, order::exact);
    if (!problem.empty())
      throw std::runtime_error("rescan, errors: " + problem);
    problem = mismatch(about_w, {removed(w + "/inner", dir), removed(w + "/existing", file)}, order::any);
    if (!problem.empty())
      throw std::runtime_error("rescan, events about the unreadable directories: " + problem);
    child_replay(start, all, snapshot_of(root), "after the rescan");

    must_create(ok + "/new/after2");
    must_create(root + "/after2");
    child_step(ioc, monitor, "the rest is still watched after the rescan",
               {created(ok + "/new/after2", file), created(root + "/after2", file)}, order::exact, all);
  }

  // Readable again. The poll backend sees the content again at its next scan; inotify tries a
  // directory named by an error again when its attributes change, so it watches and scans `w`
  // now: both report what it holds and what was made in it meanwhile.
  must_chmod(w, 0755);
  must_create(w + "/later");
  must_create(root + "/marker");
  child_step(ioc, monitor, "readable again",
             {attributes(w, dir), created(w + "/existing", file), created(w + "/inner", dir),
              created(w + "/later", file), created(root + "/marker", file)},
             order::any, all);
  must_create(w + "/after_readable");
  child_step(ioc, monitor, "watched again", {created(w + "/after_readable", file)}, order::exact, all);
  // The replay holds for everything but the content of the directories still named by an error.
  std::vector<std::string> out_of_sight{late, locked};
  child_replay(start, all, without_subtrees(snapshot_of(root), out_of_sight), "at the end");
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(names_with_control_characters_quotes_and_backslashes) {
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) { hostile_names_scenario(which, special_names); }
  }
}

BOOST_AUTO_TEST_CASE(names_with_invalid_utf8) {
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) { hostile_names_scenario(which, invalid_utf8_names); }
  }
}

// Names of 255 bytes, the most a Linux file system takes: files and directories, one inside the
// other, with hostile bytes, found by events and by scans, watched, renamed.
BOOST_AUTO_TEST_CASE(names_of_255_bytes) {
  std::string hostile;
  while (hostile.size() < 255)
    hostile += "\n\"\\\t\xff\x80\xed\xa0\x80 \xc3\xa9";
  hostile.resize(255); // ends inside a sequence: one more invalid byte
  const std::string long_dir(255, 'd'), long_file(255, 'f'), inner(255, 'i'), renamed_file(255, 'r');
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) {
      monitor_fixture f;
      const std::string root = f.root.native();
      const bool poll = which == backend::poll;
      const std::string existing = root + '/' + std::string(255, 'e');
      make_dir(existing);
      make_file(existing + '/' + std::string(255, 'x'));
      const tree_snapshot start{{root, dir}};
      directory_monitor monitor(f.ioc, options_for(which));
      watch_options listing;
      listing.initial_listing = true;
      monitor.add(f.root, listing);
      std::vector<fs_event> all;
      step(f.ioc, monitor, "initial listing",
           {created(existing, dir), created(existing + '/' + std::string(255, 'x'), file)}, order::any, all);

      const std::string d = root + '/' + long_dir;
      make_file(root + '/' + long_file);
      make_file(root + '/' + hostile);
      make_dir(d);
      make_file(d + '/' + inner);
      make_dir(d + '/' + long_dir);
      make_file(d + '/' + long_dir + '/' + hostile);
      make_file(existing + '/' + inner);
      step(f.ioc, monitor, "created",
           {created(root + '/' + long_file, file), created(root + '/' + hostile, file), created(d, dir),
            created(d + '/' + inner, file), created(d + '/' + long_dir, dir),
            created(d + '/' + long_dir + '/' + hostile, file), created(existing + '/' + inner, file)},
           order::any, all);

      // The directories found by the scan are watched.
      make_file(d + '/' + long_dir + '/' + long_file);
      step(f.ioc, monitor, "created in a scanned directory",
           {created(d + '/' + long_dir + '/' + long_file, file)}, order::exact, all);

      move(root + '/' + long_file, root + '/' + renamed_file);
      move(root + '/' + hostile, d + '/' + hostile);
      if (poll)
        step(f.ioc, monitor, "renamed",
             {removed(root + '/' + long_file, file), created(root + '/' + renamed_file, file),
              removed(root + '/' + hostile, file), created(d + '/' + hostile, file)},
             order::any, all);
      else
        step(f.ioc, monitor, "renamed",
             {renamed(root + '/' + long_file, root + '/' + renamed_file, file),
              renamed(root + '/' + hostile, d + '/' + hostile, file)},
             order::exact, all);

      // 256 bytes: the kernel refuses every call (ENAMETOOLONG) and nothing is reported; the
      // marker shows that nothing else came.
      const std::string too_long = root + '/' + std::string(256, 'z');
      BOOST_TEST((::mkdir(too_long.c_str(), 0755) == -1 && errno == ENAMETOOLONG));
      BOOST_TEST((::open(too_long.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644) == -1 && errno == ENAMETOOLONG));
      BOOST_TEST((::symlink("x", too_long.c_str()) == -1 && errno == ENAMETOOLONG));
      BOOST_TEST((::rename((root + '/' + renamed_file).c_str(), too_long.c_str()) == -1 && errno == ENAMETOOLONG));
      make_file(root + "/marker");
      step(f.ioc, monitor, "refused 256-byte names", {created(root + "/marker", file)}, order::exact, all);
      check_replay_exact(start, all, snapshot_of(f.root), "255-byte names");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(root_with_a_256_byte_component_is_refused, monitor_fixture) {
  const std::string long_dir = root.native() + '/' + std::string(255, 'd');
  make_dir(long_dir);
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) {
      directory_monitor monitor(ioc, options_for(which));
      for (const std::string& path : {root.native() + '/' + std::string(256, 'z'),
                                      long_dir + '/' + std::string(256, 'z'),
                                      root.native() + '/' + std::string(256, 'z') + "/below"}) {
        sys::error_code ec;
        monitor.add(path, ec);
        BOOST_TEST(ec == name_too_long, shown(path) << ": " << ec.message());
        try {
          monitor.add(path);
          BOOST_ERROR("the throwing add did not throw");
        } catch (const fs::filesystem_error& e) {
          BOOST_TEST((e.code() == std::errc::filename_too_long), e.code().message());
          BOOST_TEST(e.path1().native() == path);
        }
      }
      BOOST_TEST(monitor.roots().empty());
      // The monitor is still usable, and a 255-byte component is fine.
      sys::error_code ec;
      monitor.add(long_dir, ec);
      BOOST_TEST(!ec, ec.message());
      BOOST_TEST(monitor.roots().size() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(paths_beyond_path_max) {
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) { paths_beyond_path_max_scenario(which); }
  }
}

BOOST_FIXTURE_TEST_CASE(symlink_loop_as_root_is_a_clear_error, monitor_fixture) {
  make_symlink("loop_b", (tmp / "loop_a").native());
  make_symlink("loop_a", (tmp / "loop_b").native());
  make_symlink("self", (tmp / "self").native());
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) {
      directory_monitor monitor(ioc, options_for(which));
      for (const fs::path& path : {tmp / "loop_a", tmp / "self", tmp / "loop_a/below"}) {
        sys::error_code ec;
        monitor.add(path, ec);
        BOOST_TEST(ec == symlink_loop, path << ": " << ec.message());
        try {
          monitor.add(path);
          BOOST_ERROR("the throwing add did not throw");
        } catch (const fs::filesystem_error& e) {
          BOOST_TEST((e.code() == std::errc::too_many_symbolic_link_levels), e.code().message());
          BOOST_TEST(e.path1() == path);
        }
      }
      BOOST_TEST(monitor.roots().empty());
      sys::error_code ec;
      monitor.add(root, ec);
      BOOST_TEST(!ec, ec.message());
    }
  }
}

BOOST_AUTO_TEST_CASE(symlink_loops_inside_the_tree_are_reported_not_followed) {
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) { symlink_loops_scenario(which); }
  }
}

BOOST_AUTO_TEST_CASE(directory_made_unreadable_while_watched,
                     *boost::unit_test::precondition(scenario_may_run_in_a_fork)) {
  if (::geteuid() != 0) {
    asio_fswatch::test::skip("root", "needs root to give the tree to nobody (65534) and run as nobody");
    return;
  }
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) {
      monitor_fixture f;
      BOOST_TEST_REQUIRE(::chown(f.root.c_str(), 65534, 65534) == 0, std::strerror(errno));
      const std::string root = f.root.native();
      asio_fswatch::test::run_as_nobody([&] { unreadable_scenario(root, which); });
    }
  }
}

BOOST_AUTO_TEST_CASE(entries_replaced_by_another_type) {
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) { replaced_scenario(which); }
  }
}

BOOST_AUTO_TEST_CASE(file_root_replaced_by_a_directory) {
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) { file_root_replaced_scenario(which); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
