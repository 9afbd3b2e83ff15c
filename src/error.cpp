// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <ostream>
#include <string>

namespace asio_fswatch {
namespace {

class error_category_impl final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "asio_fswatch"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
    case errc::watch_limit_reached:
      return "inotify watch limit reached (raise sysctl fs.inotify.max_user_watches)";
    case errc::instance_limit_reached:
      return "inotify instance limit reached (raise sysctl fs.inotify.max_user_instances)";
    case errc::root_removed:
      return "watched root was removed, moved away or unmounted";
    case errc::not_watched:
      return "path is not a watched root";
    case errc::already_watched:
      return "path is already watched by this monitor";
    case errc::backend_unavailable:
      return "the requested backend is not available on this system";
    case errc::invalid_pattern:
      return "invalid glob pattern";
    case errc::monitor_closed:
      return "directory monitor is closed";
    case errc::io_uring_unavailable:
      return "io_uring cannot be used here (not in this kernel, or forbidden by sysctl "
             "kernel.io_uring_disabled or a seccomp filter)";
    case errc::invalid_file_backend:
      return "ASIO_FSWATCH_FILE_BACKEND must be io_uring, threads or iocp";
    case errc::invalid_child_backend:
      return "ASIO_FSWATCH_CHILD_BACKEND must be pidfd, sigchld or process_handle";
    case errc::no_child:
      return "the supervised process has no running child";
    case errc::invalid_monitor_backend:
      return "ASIO_FSWATCH_MONITOR_BACKEND must be automatic, native, poll, inotify (Linux) or rdcw (Windows)";
    case errc::invalid_snapshot:
      return "not a snapshot file of asio_fswatch, or a damaged one";
    case errc::unsupported_snapshot_version:
      return "the snapshot file is of a format version this asio_fswatch does not read";
    }
    return "asio_fswatch error " + std::to_string(value);
  }
};

} // namespace

const boost::system::error_category& category() noexcept {
  static const error_category_impl instance;
  return instance;
}

namespace {

// The name of `native` on this platform, and those of the others.
#if defined(_WIN32)
constexpr std::string_view native_name = "rdcw";
#elif defined(ASIO_FSWATCH_LINUX)
constexpr std::string_view native_name = "inotify";
#else
constexpr std::string_view native_name = "native";
#endif
constexpr std::string_view other_platforms_names[] = {"inotify", "rdcw"};

} // namespace

std::string_view to_string(backend b) noexcept {
  switch (b) {
  case backend::automatic: return "automatic";
  case backend::native: return native_name;
  case backend::poll: return "poll";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, backend b) { return out << to_string(b); }

backend backend_from_name(std::string_view name, boost::system::error_code& ec) noexcept {
  ec.clear();
  if (name == "automatic")
    return backend::automatic;
  if (name == "poll")
    return backend::poll;
  if (name == "native" || name == native_name)
    return backend::native;
  for (std::string_view other : other_platforms_names)
    if (name == other) {
      ec = errc::backend_unavailable;
      return backend::native;
    }
  ec = errc::invalid_monitor_backend;
  return backend::automatic;
}

} // namespace asio_fswatch
