// SPDX-License-Identifier: BSL-1.0
// Test support: the processes /proc shows (pid, name, state, parent, group), to check what a
// supervised command left behind.
#ifndef ASIO_FSWATCH_TEST_COMMON_PROCESS_LIST_HPP
#define ASIO_FSWATCH_TEST_COMMON_PROCESS_LIST_HPP

#include <common/child_support.hpp>

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// Named, not anonymous: data test cases are templates whose lambdas capture these types.
namespace asio_fswatch::test::process_list {

/// One process, as /proc/<pid>/stat shows it.
struct process_entry {
  pid_t pid = 0;
  std::string name; // comm
  char state = '?'; // R, S, D, Z, ...
  pid_t ppid = 0;
  pid_t pgrp = 0;
};

inline std::ostream& operator<<(std::ostream& out, const process_entry& p) {
  return out << p.pid << " (" << p.name << ") state " << p.state << " ppid " << p.ppid << " pgrp " << p.pgrp;
}

/// Every process /proc shows (a process that ends during the scan may be missing).
inline std::vector<process_entry> all_processes() {
  std::vector<process_entry> result;
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = dir.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream in(dir.path() / "stat");
    std::string line;
    if (!std::getline(in, line))
      continue; // ended meanwhile
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so the fields
    // after it are found from the last ')'.
    std::size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open)
      continue;
    process_entry p;
    p.pid = pid_t(std::stol(name));
    p.name = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 1));
    rest >> p.state >> p.ppid >> p.pgrp;
    if (rest)
      result.push_back(p);
  }
  return result;
}

/// The processes of group `pgid` that are not zombies. A zombie is an ended process nobody has
/// reaped yet: a grandchild reparented to PID 1 stays one in a container whose init does not
/// reap, which is not the supervised process's doing.
inline std::vector<process_entry> live_processes_in_group(pid_t pgid) {
  std::vector<process_entry> result;
  for (const process_entry& p : all_processes())
    if (p.pgrp == pgid && p.state != 'Z')
      result.push_back(p);
  return result;
}

inline std::size_t count_named(const std::vector<process_entry>& processes, const std::string& name) {
  std::size_t n = 0;
  for (const process_entry& p : processes)
    n += p.name == name;
  return n;
}

inline std::string describe(const std::vector<process_entry>& processes) {
  std::ostringstream out;
  for (const process_entry& p : processes)
    out << "\n  " << p;
  return out.str();
}

/// Whether `pid` runs (exists and is not a zombie).
inline bool alive(pid_t pid) {
  for (const process_entry& p : all_processes())
    if (p.pid == pid)
      return p.state != 'Z';
  return false;
}

/// Waits until `count` live processes named `name` are in group `pgid` (a shell has forked and
/// its commands have been exec'd, so their signal dispositions are in place).
inline void wait_for_group_members(pid_t pgid, const std::string& name, std::size_t count) {
  auto deadline = std::chrono::steady_clock::now() + child_patience;
  std::vector<process_entry> group = live_processes_in_group(pgid);
  while (count_named(group, name) < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    group = live_processes_in_group(pgid);
  }
  BOOST_TEST_REQUIRE(count_named(group, name) >= count,
                     "group " << pgid << ": not " << count << " '" << name << "' within 30 s:" << describe(group));
}

/// Checks that no live process is left in group `pgid`. Processes killed with SIGKILL end
/// shortly after the signal, not at once, so they are given time.
inline void check_group_ends(pid_t pgid, const char* what) {
  auto deadline = std::chrono::steady_clock::now() + child_patience;
  std::vector<process_entry> group = live_processes_in_group(pgid);
  while (!group.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    group = live_processes_in_group(pgid);
  }
  BOOST_TEST(group.empty(), what << ": processes left in group " << pgid << " after 30 s:" << describe(group));
  // Do not leave them running into the next test.
  if (!group.empty())
    ::kill(-pgid, SIGKILL);
}

} // namespace asio_fswatch::test::process_list

#endif
