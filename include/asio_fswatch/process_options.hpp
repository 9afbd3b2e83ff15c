// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: how basic_supervised_process starts its command.
#ifndef ASIO_FSWATCH_PROCESS_OPTIONS_HPP
#define ASIO_FSWATCH_PROCESS_OPTIONS_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/child_options.hpp>

#include <boost/system/error_code.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace asio_fswatch {

/// What one of the child's standard streams is connected to.
enum class stdio_mode {
  inherit, ///< this process's stream
  null,    ///< /dev/null
  pipe,    ///< a pipe, whose other end the supervised process offers (stdin_pipe(), ...)
};

/// How basic_supervised_process::start starts its command: working directory, environment,
/// standard streams, the mechanism that waits for it, and whether its descendants are looked
/// after too.
struct process_options {
  /// The child's working directory; empty: this process's.
  std::filesystem::path working_directory;
  /// Variables set in the child's environment, over this process's environment. A name given
  /// twice takes the last value.
  std::vector<std::pair<std::string, std::string>> environment;
  /// What the child's standard input is connected to; with `pipe`, write to it through
  /// basic_supervised_process::stdin_pipe().
  stdio_mode stdin_mode = stdio_mode::inherit;
  /// What the child's standard output is connected to; with `pipe`, read it through
  /// basic_supervised_process::stdout_pipe().
  stdio_mode stdout_mode = stdio_mode::inherit;
  /// What the child's standard error is connected to; with `pipe`, read it through
  /// basic_supervised_process::stderr_pipe().
  stdio_mode stderr_mode = stdio_mode::inherit;
  /// How the exit of the child is waited for.
  child_watcher_options watcher;
  /// Look after every descendant of the child, not only its process group: signal(),
  /// async_terminate, the next start() and the destructor also reach the processes that left
  /// the group (setsid, setpgid: daemons, double-forked or not).
  ///
  /// How they are found: the child's environment gets `ASIO_FSWATCH_TREE=<this pid>.<serial>`,
  /// which its descendants inherit; each look is one pass over /proc that takes the processes
  /// of the group, those whose environment (as exec'd, `/proc/<pid>/environ`) holds the mark,
  /// those seen before (pid and start time), and every process below one of them or below the
  /// child. Cost: that pass reads two files per process of this user on each look (every 5 ms
  /// while async_terminate waits). Limits: a descendant that both cleared its environment and
  /// lost its parent (re-parented) before a look is not found; one of another user is not
  /// readable.
  ///
  /// Reaping: a descendant whose parent ends is re-parented to init, or to the nearest child
  /// subreaper (make_child_subreaper()); in a subreaper it becomes a child of this process. The
  /// object reaps such a child, with waitid(P_PID) on its pid, only when it was found to be the
  /// tree's (in the group, marked, or seen alive before) and has ended; never with
  /// waitpid(-1), so no other child's status is taken. One that ends on its own before any look
  /// has found it stays a zombie until this process ends.
  bool stop_descendants = false;
};

/// Makes this process a child subreaper (prctl(PR_SET_CHILD_SUBREAPER)): orphans among its
/// descendants, double-forked daemons included, are re-parented to it instead of init, so
/// that nothing a supervised command started can outlive this process unnoticed. The setting
/// is per process, for its whole life, and is not inherited by children; the process must then
/// reap the orphans it gets (supervised_process does so for the trees it looks after, see
/// process_options::stop_descendants). Errors: those of prctl (EINVAL before Linux 3.4);
/// operation_not_supported where Linux's prctl is not (the generic POSIX configuration).
ASIO_FSWATCH_DECL void make_child_subreaper(boost::system::error_code& ec) noexcept;

} // namespace asio_fswatch

#endif
