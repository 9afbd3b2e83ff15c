// SPDX-License-Identifier: BSL-1.0
// The processes a supervised child leaves behind, as /proc shows them: one pass over /proc per
// look, each process's stat (and, for a tree with a mark, its environment) read once.
#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/process_tree.hpp>
#include <asio_fswatch/process_options.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#if defined(ASIO_FSWATCH_LINUX)
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace asio_fswatch::detail {
namespace {

/// One process, as /proc/<pid>/stat shows it.
struct proc_entry {
  process_identity id;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  char state = '?';
  bool zombie() const noexcept { return state == 'Z' || state == 'X'; }
};

/// Reads /proc/<pid>/stat; false when the process is gone (or the line is not understood).
bool read_stat(const char* pid, proc_entry& out) noexcept {
  char path[300]; // a /proc entry name is at most 255 bytes
  std::snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char buffer[1024];
  ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0)
    return false;
  buffer[n] = '\0';
  // "pid (comm) state ppid pgrp session ...": comm may hold anything, so parse after the last ')'.
  const char* close_paren = std::strrchr(buffer, ')');
  long ppid = 0, pgrp = 0;
  if (!close_paren ||
      std::sscanf(close_paren + 1,
                  " %c %ld %ld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &out.state,
                  &ppid, &pgrp, &out.id.start_time) != 4)
    return false;
  out.id.pid = pid_t(std::atol(pid));
  out.ppid = pid_t(ppid);
  out.pgrp = pid_t(pgrp);
  return true;
}

/// Whether the environment `pid` was exec'd with holds `mark` ("NAME=VALUE") as one entry.
/// Unreadable (another user's process, a zombie): no.
bool carries_mark(pid_t pid, const std::string& mark) noexcept {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/environ", int(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  // Entries are NUL-terminated; one that spans two reads is carried over in `entry`.
  std::string entry;
  bool found = false;
  char buffer[4096];
  for (ssize_t n; !found && (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
    for (ssize_t i = 0; i < n && !found; ++i) {
      if (buffer[i] != '\0') {
        if (entry.size() <= mark.size())
          entry += buffer[i];
        continue;
      }
      found = entry == mark;
      entry.clear();
    }
  }
  ::close(fd);
  return found;
}

std::vector<proc_entry> all_processes() noexcept {
  std::vector<proc_entry> result;
  DIR* proc = ::opendir("/proc");
  if (!proc)
    return result;
  while (dirent* entry = ::readdir(proc)) {
    proc_entry e;
    if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9' && read_stat(entry->d_name, e))
      result.push_back(e);
  }
  ::closedir(proc);
  return result;
}

bool contains(const std::vector<process_identity>& ids, const process_identity& id) noexcept {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

/// The processes of the tree other than the leader and this process: in the group; and, when
/// the tree has a mark, carrying it, seen before, or below one of those (or below the leader).
/// Descendants seen alive are remembered in `tree.seen`, which forgets the ones that are gone.
std::vector<proc_entry> members(process_tree& tree) noexcept {
  std::vector<proc_entry> all = all_processes();
  const pid_t self = ::getpid();
  std::vector<proc_entry> found;
  std::vector<pid_t> parents{tree.leader}; // whose children belong to the tree
  std::vector<bool> taken(all.size(), false);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const proc_entry& e = all[i];
    if (e.id.pid == self || e.id.pid == tree.leader)
      continue;
    bool member = e.pgrp == tree.leader;
    if (!member && !tree.mark.empty())
      member = contains(tree.seen, e.id) || (!e.zombie() && carries_mark(e.id.pid, tree.mark));
    if (member) {
      taken[i] = true;
      found.push_back(e);
      if (!e.zombie())
        parents.push_back(e.id.pid);
    }
  }
  // Below a member: a descendant that cleared its environment, or one forked since.
  for (bool grew = !tree.mark.empty(); grew;) {
    grew = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const proc_entry& e = all[i];
      if (taken[i] || e.id.pid == self || e.id.pid == tree.leader ||
          std::find(parents.begin(), parents.end(), e.ppid) == parents.end())
        continue;
      taken[i] = grew = true;
      found.push_back(e);
      if (!e.zombie())
        parents.push_back(e.id.pid);
    }
  }
  if (!tree.mark.empty()) {
    std::vector<process_identity> seen;
    for (const proc_entry& e : found)
      if (e.pgrp != tree.leader || contains(tree.seen, e.id))
        seen.push_back(e.id);
    tree.seen = std::move(seen);
  }
  return found;
}

} // namespace

std::string new_tree_mark() {
  static std::atomic<unsigned long> serial{0};
  return "ASIO_FSWATCH_TREE=" + std::to_string(::getpid()) + "." + std::to_string(++serial);
}

void signal_descendants(process_tree& tree, int signal) noexcept {
  if (tree.mark.empty())
    return;
  for (const proc_entry& e : members(tree))
    if (!e.zombie() && e.pgrp != tree.leader)
      ::kill(e.id.pid, signal);
}

bool tree_alive(process_tree& tree) noexcept {
  for (const proc_entry& e : members(tree))
    if (!e.zombie())
      return true;
  return false;
}

void reap_tree_zombies(process_tree& tree) noexcept {
  const pid_t self = ::getpid();
  for (const proc_entry& e : members(tree)) {
    if (!e.zombie() || e.ppid != self)
      continue;
    siginfo_t info{};
    while (::waitid(P_PID, id_t(e.id.pid), &info, WEXITED | WNOHANG) < 0 && errno == EINTR) {
    }
  }
}

void kill_tree(process_tree& tree) noexcept {
  // A killed process ends within moments; what it forked meanwhile is found by the next look.
  // Bounded, so that a process the kernel cannot end (stuck in uninterruptible sleep) does not
  // hang the caller for ever.
  for (int round = 0; round < 10'000; ++round) {
    ::kill(-tree.leader, SIGKILL);
    signal_descendants(tree, SIGKILL);
    if (!tree_alive(tree))
      break;
    timespec pause{0, 1'000'000};
    ::nanosleep(&pause, nullptr);
  }
  reap_tree_zombies(tree);
}

void let_tree_run(process_tree&) noexcept {} // the group runs on by itself once forgotten

} // namespace asio_fswatch::detail

namespace asio_fswatch {

void make_child_subreaper(boost::system::error_code& ec) noexcept {
  ec.clear();
#if defined(ASIO_FSWATCH_LINUX)
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    ec.assign(errno, boost::system::system_category());
#else
  ec = boost::system::errc::make_error_code(boost::system::errc::operation_not_supported);
#endif
}

} // namespace asio_fswatch
