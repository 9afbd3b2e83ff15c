// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the ids and handles a child_watcher waits on, and how it learns that a child
// ended (pidfd or SIGCHLD on Linux, the process handle on Windows).
#ifndef ASIO_FSWATCH_CHILD_OPTIONS_HPP
#define ASIO_FSWATCH_CHILD_OPTIONS_HPP

#include <asio_fswatch/detail/config.hpp>

#include <iosfwd>
#include <string_view>

namespace asio_fswatch {

/// A process id: the same type as Boost.Process v2's `pid_type` (`int`, as `pid_t`, on POSIX;
/// `unsigned long`, as `DWORD`, on Windows), without needing Boost.Process's headers.
using pid_type = detail::native_pid;

/// A handle on a process that the caller opened and keeps: a pidfd on Linux (pidfd_open, clone3
/// with CLONE_PIDFD), a process HANDLE on Windows (it needs SYNCHRONIZE and
/// PROCESS_QUERY_LIMITED_INFORMATION access). basic_child_watcher::async_wait duplicates it;
/// closing it stays the caller's business.
struct process_handle_ref {
  /// A pidfd (`int`) on POSIX, a process HANDLE on Windows.
  using native_handle_type = detail::native_process_handle;
  /// The caller's handle. The default, -1 (POSIX) or a null HANDLE (Windows), is no handle: a
  /// wait on it fails as on a handle that is not open.
  native_handle_type handle = detail::no_process_handle;
};

/// The mechanism behind basic_child_watcher. Every name exists on every platform; one that the
/// platform lacks makes the watcher's waits fail with errc::backend_unavailable.
enum class child_backend {
  /// The platform's best: pidfd when pidfd_open works in this process, else sigchld (POSIX);
  /// process_handle (Windows). The environment variable
  /// ASIO_FSWATCH_CHILD_BACKEND=pidfd|sigchld|process_handle overrides this choice (and only this
  /// one).
  automatic,
  /// Linux 5.3+: one pidfd per wait, watched by the reactor; the child is reaped with
  /// waitid(P_PIDFD). Touches no signal disposition.
  pidfd,
  /// POSIX: one boost::asio::signal_set on SIGCHLD per execution context, shared by its
  /// watchers; on each SIGCHLD the registered children (and only those) are checked with
  /// waitid(P_PID, WNOHANG). For kernels or sandboxes without pidfd_open. It installs Asio's
  /// SIGCHLD handler, so code that sets its own SIGCHLD disposition with sigaction() breaks it.
  sigchld,
  /// Windows: the process HANDLE, waited on by a boost::asio::windows::object_handle; the exit
  /// code is read with GetExitCodeProcess.
  process_handle,
};

/// "automatic", "pidfd", "sigchld" or "process_handle".
constexpr std::string_view to_string(child_backend backend) noexcept {
  switch (backend) {
  case child_backend::pidfd: return "pidfd";
  case child_backend::sigchld: return "sigchld";
  case child_backend::process_handle: return "process_handle";
  case child_backend::automatic: break;
  }
  return "automatic";
}

/// Writes to_string(backend).
ASIO_FSWATCH_DECL std::ostream& operator<<(std::ostream& out, child_backend backend);

/// Options of a basic_child_watcher, given to its constructor (and, through
/// process_options::watcher, to the watcher of a supervised process).
struct child_watcher_options {
  /// How the watcher learns that a child ended. `automatic` (the default) lets
  /// ASIO_FSWATCH_CHILD_BACKEND, else the platform, choose; a mechanism this platform lacks
  /// makes every wait fail with errc::backend_unavailable.
  child_backend backend = child_backend::automatic;
};

} // namespace asio_fswatch

#endif
