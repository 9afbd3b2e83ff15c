// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the processes a supervised child leaves behind, and how they are
// stopped. POSIX: found in /proc: its process group and, when asked, every descendant (marked
// through the environment, or found below a descendant); signalled as a whole, and reaped only
// when they are this process's children (re-parented to it as a child subreaper) and were found
// to belong to the child. Windows: a Job Object that the child is put in before it runs, which
// every process it starts joins, and which kills them all when it is closed.
#ifndef ASIO_FSWATCH_DETAIL_PROCESS_TREE_HPP
#define ASIO_FSWATCH_DETAIL_PROCESS_TREE_HPP

#include <asio_fswatch/detail/config.hpp>

#include <string>
#include <vector>

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_POSIX)
/// What async_terminate sends first by default, and what ends a tree at once.
inline constexpr int polite_stop = 15; // SIGTERM
inline constexpr int forced_stop = 9;  // SIGKILL

/// A process, told apart from a later one that reuses its pid by its start time.
struct process_identity {
  native_pid pid = 0;
  unsigned long long start_time = 0; // clock ticks after boot (/proc/<pid>/stat, field 22)
  friend bool operator==(const process_identity& a, const process_identity& b) noexcept {
    return a.pid == b.pid && a.start_time == b.start_time;
  }
};

/// What belongs to one supervised child, and what has been seen of it.
struct process_tree {
  native_pid leader = -1; // the child: its pid is the group's id
  /// "NAME=VALUE" put into the child's environment, inherited by its descendants; empty when
  /// only the group is looked after (the default).
  std::string mark;
  /// Descendants seen alive outside the group: once one has ended, its zombie (whose
  /// environment /proc no longer shows) is still known to be the tree's.
  std::vector<process_identity> seen;
};
#else
/// Windows has no signals: the polite stop is CTRL_BREAK_EVENT to the child's console process
/// group, the forced one TerminateJobObject (each process then exits with code 1).
inline constexpr int polite_stop = 15;
inline constexpr int forced_stop = 9;

struct process_tree;
/// Closes the tree's handles: with kill on close still set, what runs in the job ends.
ASIO_FSWATCH_DECL void close_tree(process_tree& tree) noexcept;

/// The child and its Job Object (kill on close: closing the last handle ends every process in
/// it). Owns both handles.
struct process_tree {
  process_tree() = default;
  process_tree(const process_tree&) = delete;
  process_tree& operator=(const process_tree&) = delete;
  ~process_tree() { close_tree(*this); }

  native_pid leader = 0;
  native_process_handle process = no_process_handle; // keeps the leader's pid from being reused
  void* job = nullptr;
  std::string mark; // unused: the job holds the whole tree
};
#endif

/// A fresh mark for a child whose whole tree is to be looked after: unique in this process,
/// and naming it (POSIX; Windows needs none).
ASIO_FSWATCH_DECL std::string new_tree_mark();

/// Sends `signal` to every live descendant outside the group (the group is signalled as a whole
/// with signal_group); nothing when the tree has no mark, and nothing on Windows (the job is
/// the whole tree).
ASIO_FSWATCH_DECL void signal_descendants(process_tree& tree, int signal) noexcept;

/// Whether a live process (not a zombie) other than the leader is left in the tree.
ASIO_FSWATCH_DECL bool tree_alive(process_tree& tree) noexcept;

/// Reaps the tree's zombies that are children of this process, one waitid(P_PID) each, never
/// the leader (its watcher reaps it). Nothing on Windows.
ASIO_FSWATCH_DECL void reap_tree_zombies(process_tree& tree) noexcept;

/// Ends the whole tree (SIGKILL, looked at again until nothing of it is alive, then its zombies
/// that are this process's children reaped; Windows: TerminateJobObject, then waited for),
/// blocking while the system ends them. The leader is not reaped. For start() and destructors.
ASIO_FSWATCH_DECL void kill_tree(process_tree& tree) noexcept;

/// The object gives the child up (detach()): Windows clears kill on close, so that closing the
/// job leaves the processes running; nothing on POSIX.
ASIO_FSWATCH_DECL void let_tree_run(process_tree& tree) noexcept;

} // namespace asio_fswatch::detail

#endif
