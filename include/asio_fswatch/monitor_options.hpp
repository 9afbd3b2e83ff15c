// asio_fswatch: options of basic_directory_monitor and of each watched root.
#ifndef ASIO_FSWATCH_MONITOR_OPTIONS_HPP
#define ASIO_FSWATCH_MONITOR_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch {

/// How a directory monitor learns about changes.
enum class backend : std::uint8_t {
  automatic, ///< inotify on Linux, polling anywhere else
  inotify,   ///< Linux inotify (fails with errc::backend_unavailable elsewhere)
  poll,      ///< snapshot and diff on a timer: network file systems, FUSE, portability
};

std::string_view to_string(backend b) noexcept;

/// Options of a whole monitor, given to its constructor.
struct monitor_options {
  asio_fswatch::backend backend = asio_fswatch::backend::automatic;
  /// Poll backend: time between two scans (from the end of one to the start of the next).
  std::chrono::milliseconds poll_interval{500};
  /// inotify: how long a "moved from" record whose "moved to" half has not been read yet is held
  /// before it is reported as `removed` (moved out of the tree). The kernel queues both halves
  /// together, so this only matters when a read ends between them; what is queued is read
  /// before a hold ends. Records that only later records can tell apart (two renames, or a
  /// swap; doc/guide.md, "Renames and the hold") wait for them as long at most.
  std::chrono::milliseconds rename_hold{10};
  /// Largest batch that one async_read_events completes with.
  std::size_t max_batch = 16384;
};

/// Options of one watched root, given to add().
struct watch_options {
  /// Watch the whole tree (directories that appear later included) or just the directory itself.
  /// A root that is a file is always watched on its own, through its parent directory, so that
  /// it survives editors' atomic saves (write to a temporary file, rename over the original).
  bool recursive = true;
  /// Glob patterns of paths to ignore, relative to the root. A matching directory is never
  /// watched nor scanned, and nothing under it is reported. Syntax: `*` and `?` match within one
  /// path component, `**` matches any number of components, `[abc]`, `[a-z]`, `[!a]` classes,
  /// `\` escapes. A pattern without `/` matches the entry's name at any depth (`*.swp`); a
  /// pattern that ends in `/**` also matches the directory itself (`**/.git/**`).
  std::vector<std::string> exclude{};
  /// When not empty, only entries matching one of these patterns are reported (same syntax).
  /// Directories are still watched, so `**/*.cpp` sees files in directories created later, and
  /// a directory's `renamed` and `removed` are always reported: they move or take away the
  /// matching entries inside it.
  std::vector<std::string> include{};
  /// Report `created` for every entry already in the tree when it is added.
  bool initial_listing = false;
};

} // namespace asio_fswatch

#endif
