// asio_fswatch: how a child_watcher learns that a child ended (pidfd or SIGCHLD), and a
// borrowed pidfd to wait on.
#ifndef ASIO_FSWATCH_CHILD_OPTIONS_HPP
#define ASIO_FSWATCH_CHILD_OPTIONS_HPP

#include <iosfwd>
#include <string_view>

namespace asio_fswatch {

/// The mechanism behind basic_child_watcher.
enum class child_backend {
  /// pidfd when pidfd_open works in this process, else sigchld. The environment variable
  /// ASIO_FSWATCH_CHILD_BACKEND=pidfd|sigchld overrides this choice (and only this one).
  automatic,
  /// One pidfd per wait (Linux 5.3+), watched by the reactor; the child is reaped with
  /// waitid(P_PIDFD). Touches no signal disposition.
  pidfd,
  /// One boost::asio::signal_set on SIGCHLD per execution context, shared by its watchers; on
  /// each SIGCHLD the registered children (and only those) are checked with
  /// waitid(P_PID, WNOHANG). For kernels or sandboxes without pidfd_open. It installs Asio's
  /// SIGCHLD handler, so code that sets its own SIGCHLD disposition with sigaction() breaks it.
  sigchld,
};

/// "automatic", "pidfd" or "sigchld".
constexpr std::string_view to_string(child_backend backend) noexcept {
  switch (backend) {
  case child_backend::pidfd: return "pidfd";
  case child_backend::sigchld: return "sigchld";
  case child_backend::automatic: break;
  }
  return "automatic";
}

/// Writes to_string(backend).
std::ostream& operator<<(std::ostream& out, child_backend backend);

struct child_watcher_options {
  child_backend backend = child_backend::automatic;
};

/// A pidfd opened by the caller (pidfd_open, clone3 with CLONE_PIDFD), which stays the caller's:
/// basic_child_watcher::async_wait duplicates it. Waits on it always use the pidfd mechanism.
struct pidfd_ref {
  int fd = -1;
};

} // namespace asio_fswatch

#endif
