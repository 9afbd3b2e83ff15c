// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: starting a command as the leader of a new process group, through
// Boost.Process v2 (src/process/posix/spawn.cpp and src/process/win/win_spawn.cpp keep its
// headers out of the public ones).
#ifndef ASIO_FSWATCH_DETAIL_SPAWN_HPP
#define ASIO_FSWATCH_DETAIL_SPAWN_HPP

#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/process_tree.hpp>
#include <asio_fswatch/process_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <vector>

namespace asio_fswatch::detail {

/// This process's ends of the pipes asked for (invalid_native_file otherwise), which the caller
/// owns. Windows: opened for overlapped I/O, ready for the context's completion port.
struct spawned_pipes {
  native_file stdin_end = invalid_native_file;
  native_file stdout_end = invalid_native_file;
  native_file stderr_end = invalid_native_file;
};

/// Starts `program` (searched in the child's PATH when it has no slash: the options' PATH when
/// they set one; Windows: also with the extension .exe) with `args`, in a new process group of
/// which it is the leader; `tree` gets it (POSIX: its pid is the group's id; Windows: it runs in
/// a new Job Object, kill on close, which it joins before its first instruction, and in a new
/// console process group). In a POSIX child, the signal mask is emptied and SIGPIPE restored to
/// its default, and no descriptor but 0, 1 and 2 survives. Errors: ENOENT (not found; the
/// message names the program), EACCES, the errors of fork, of chdir into the working directory,
/// and of exec (Windows: of CreateProcessW and the job calls).
ASIO_FSWATCH_DECL spawned_pipes spawn_group_leader(const boost::asio::any_io_executor& ex, const std::string& program,
                                 const std::vector<std::string>& args, const process_options& options,
                                 process_tree& tree, boost::system::error_code& ec);

/// Sends `signal` (polite_stop or forced_stop on Windows) to the tree's process group (Windows:
/// CTRL_BREAK_EVENT, where the child has a console, or TerminateJobObject). No error when the
/// group is gone already.
ASIO_FSWATCH_DECL void signal_group(process_tree& tree, int signal, boost::system::error_code& ec) noexcept;

/// Kills the group and waits for its leader to end (POSIX: reaps it), blocking (a killed
/// process ends at once). For destructors.
ASIO_FSWATCH_DECL void kill_and_reap(process_tree& tree) noexcept;

/// Closes a pipe end spawn_group_leader gave and nobody took.
ASIO_FSWATCH_DECL void close_pipe_end(native_file end) noexcept;

} // namespace asio_fswatch::detail

#endif
