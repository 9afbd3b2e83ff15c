// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: error codes of the library's own conditions. System errors (ENOENT, EACCES,
// ENOTDIR, ...) keep boost::system::system_category.
#ifndef ASIO_FSWATCH_ERROR_HPP
#define ASIO_FSWATCH_ERROR_HPP

#include <asio_fswatch/detail/config.hpp>

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace asio_fswatch {

/// The library's own errors, of category(); error_code converts from them
/// (make_error_code), so that `ec == asio_fswatch::errc::root_removed` works.
enum class errc {
  /// The per-user inotify watch limit is reached (sysctl fs.inotify.max_user_watches).
  watch_limit_reached = 1,
  /// The per-user inotify instance limit is reached (sysctl fs.inotify.max_user_instances).
  instance_limit_reached,
  /// A watched root was deleted, moved away or unmounted; its last events were delivered before.
  root_removed,
  /// `remove` was given a path that is not a watched root.
  not_watched,
  /// The path is already covered by a root of this monitor (or by another path of the same inode).
  already_watched,
  /// The requested backend does not exist on this system.
  backend_unavailable,
  /// A glob pattern in watch_options cannot be parsed.
  invalid_pattern,
  /// The monitor was closed.
  monitor_closed,
  /// io_uring was asked for and cannot be used here: the kernel lacks it or an operation the
  /// library needs, or it is forbidden (sysctl kernel.io_uring_disabled, a seccomp filter).
  io_uring_unavailable,
  /// The environment variable ASIO_FSWATCH_FILE_BACKEND holds something else than io_uring,
  /// threads or iocp.
  invalid_file_backend,
  /// The environment variable ASIO_FSWATCH_CHILD_BACKEND holds something else than pidfd or
  /// sigchld.
  invalid_child_backend,
  /// A supervised process was asked to do something that needs a running child, and it has
  /// none (never started, or already ended and reaped).
  no_child,
  /// The environment variable ASIO_FSWATCH_MONITOR_BACKEND holds something else than automatic,
  /// native, poll or a platform's name of native (inotify, rdcw).
  invalid_monitor_backend,
  /// The file given to events_since is not a snapshot written by write_snapshot, or it was
  /// damaged (cut short, changed: its checksum or its structure does not hold).
  invalid_snapshot,
  /// The snapshot file was written by another version of asio_fswatch, in a format this one
  /// does not read.
  unsupported_snapshot_version,
};

/// The category of asio_fswatch::errc; its name is "asio_fswatch".
ASIO_FSWATCH_DECL const boost::system::error_category& category() noexcept;

/// `e` as an error_code of category(): what makes errc an error code enum.
inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

} // namespace asio_fswatch

namespace boost::system {
template <>
struct is_error_code_enum<asio_fswatch::errc> : std::true_type {};
} // namespace boost::system

#endif
