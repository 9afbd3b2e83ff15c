// asio_fswatch, private: the processes a supervised child leaves behind, found in /proc: its
// process group and, when asked, every descendant (marked through the environment, or found
// below a descendant); signalled as a whole, and reaped only when they are this process's
// children (re-parented to it as a child subreaper) and were found to belong to the child.
#ifndef ASIO_FSWATCH_DETAIL_PROCESS_TREE_HPP
#define ASIO_FSWATCH_DETAIL_PROCESS_TREE_HPP

#include <sys/types.h>

#include <string>
#include <vector>

namespace asio_fswatch::detail {

/// A process, told apart from a later one that reuses its pid by its start time.
struct process_identity {
  pid_t pid = 0;
  unsigned long long start_time = 0; // clock ticks after boot (/proc/<pid>/stat, field 22)
  friend bool operator==(const process_identity& a, const process_identity& b) noexcept {
    return a.pid == b.pid && a.start_time == b.start_time;
  }
};

/// What belongs to one supervised child, and what has been seen of it.
struct process_tree {
  pid_t leader = -1; // the child: its pid is the group's id
  /// "NAME=VALUE" put into the child's environment, inherited by its descendants; empty when
  /// only the group is looked after (the default).
  std::string mark;
  /// Descendants seen alive outside the group: once one has ended, its zombie (whose
  /// environment /proc no longer shows) is still known to be the tree's.
  std::vector<process_identity> seen;
};

/// A fresh mark for a child whose whole tree is to be looked after: unique in this process,
/// and naming it.
std::string new_tree_mark();

/// Sends `signal` to every live descendant outside the group (the group is signalled as a whole
/// with signal_group); nothing when the tree has no mark.
void signal_descendants(process_tree& tree, int signal) noexcept;

/// Whether a live process (not a zombie) other than the leader is left in the tree.
bool tree_alive(process_tree& tree) noexcept;

/// Reaps the tree's zombies that are children of this process, one waitid(P_PID) each, never
/// the leader (its watcher reaps it).
void reap_tree_zombies(process_tree& tree) noexcept;

/// SIGKILL to the whole tree, looked at again until nothing of it is alive, then its zombies
/// that are this process's children reaped; blocks while the kernel ends them. The leader is
/// not touched. For start() and destructors.
void kill_tree(process_tree& tree) noexcept;

} // namespace asio_fswatch::detail

#endif
