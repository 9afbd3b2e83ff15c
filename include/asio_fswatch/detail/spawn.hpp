// asio_fswatch, private: starting a command as the leader of a new process group, through
// Boost.Process v2 (src/process/posix/spawn.cpp keeps its headers out of the public ones).
#ifndef ASIO_FSWATCH_DETAIL_SPAWN_HPP
#define ASIO_FSWATCH_DETAIL_SPAWN_HPP

#include <asio_fswatch/process_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <sys/types.h>

#include <string>
#include <vector>

namespace asio_fswatch::detail {

/// The started child, and this process's ends of the pipes asked for (-1 otherwise), which the
/// caller owns. pid is -1 on failure.
struct spawned_child {
  pid_t pid = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

/// Starts `program` (searched in the child's PATH when it has no slash: the options' PATH when
/// they set one) with `args`, in a new process group of which it is the leader (its pid is the
/// group's id). In the child, the signal mask is
/// emptied and SIGPIPE restored to its default, and no descriptor but 0, 1 and 2 survives.
/// Errors: ENOENT (not found; the message names the program), EACCES, the errors of fork, of
/// chdir into the working directory, and of exec.
spawned_child spawn_group_leader(const boost::asio::any_io_executor& ex, const std::string& program,
                                 const std::vector<std::string>& args, const process_options& options,
                                 boost::system::error_code& ec);

/// Sends `signal` to the process group `pgid`. No error when the group is gone already.
void signal_group(pid_t pgid, int signal, boost::system::error_code& ec) noexcept;

/// Kills the group with SIGKILL and reaps its leader `pid`, blocking (a killed process ends at
/// once). For destructors.
void kill_and_reap(pid_t pid) noexcept;

} // namespace asio_fswatch::detail

#endif
