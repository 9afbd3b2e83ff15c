// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: options of basic_directory_monitor and of each watched root.
#ifndef ASIO_FSWATCH_MONITOR_OPTIONS_HPP
#define ASIO_FSWATCH_MONITOR_OPTIONS_HPP

#include <asio_fswatch/detail/config.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <iosfwd>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch {

/// How a directory monitor learns about changes.
enum class backend : std::uint8_t {
  automatic, ///< the platform's own interface where there is one, polling anywhere else
  native,    ///< the platform's own interface: inotify on Linux, ReadDirectoryChangesW on
             ///< Windows (errc::backend_unavailable where there is none)
  poll,      ///< snapshot and diff on a timer: network file systems, FUSE, portability
  inotify = native, ///< the name of `native` on Linux
  rdcw = native,    ///< the name of `native` on Windows (ReadDirectoryChangesW)
};

/// "inotify" or "rdcw" for `native` (as the platform has it; "native" where it has none),
/// "poll", "automatic".
ASIO_FSWATCH_DECL std::string_view to_string(backend b) noexcept;
/// Writes to_string(b).
ASIO_FSWATCH_DECL std::ostream& operator<<(std::ostream& out, backend b);

/// The backend a name given by a user (an option, an environment variable) names on this
/// platform: "automatic", "native", "poll", and the platform's own name of `native` ("inotify"
/// on Linux, "rdcw" on Windows). Another platform's name sets `ec` to
/// errc::backend_unavailable, an unknown one to errc::invalid_monitor_backend.
ASIO_FSWATCH_DECL backend backend_from_name(std::string_view name, boost::system::error_code& ec) noexcept;

/// Options of a whole monitor, given to its constructor.
struct monitor_options {
  /// How the monitor learns about changes. `automatic` (the default) lets
  /// ASIO_FSWATCH_MONITOR_BACKEND, else the platform, choose (see basic_directory_monitor::backend());
  /// `native` where the platform has no such interface makes add() fail with
  /// errc::backend_unavailable.
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
  /// Windows: the bytes of each root's ReadDirectoryChangesW buffer, and so of the system's
  /// buffer that holds what changes between two reads; what does not fit is an `overflow` (the
  /// root is rescanned). Rounded up to whole DWORDs, at least 1 KiB; a network share takes at
  /// most 64 KiB, and a larger buffer drops to that on the first read there.
  std::size_t change_buffer = 64 * 1024;
  /// Settling: when not zero, events are held back until the watched trees have been quiet
  /// (no change at all) for this long, and then delivered as one batch merged per path, so
  /// that the batch says what changed rather than every step of it: a file written in 48
  /// chunks is one `modified`, a file created and written is one `created`, an entry created
  /// and removed again is nothing, an editor's atomic save (a temporary file renamed over the
  /// original) is one `modified` of the original. The merged batch keeps the replay invariant:
  /// applied to the tree as the batch found it, it gives the tree as it is.
  ///
  /// "Written and closed": with settling on, inotify also reports when a file opened for
  /// writing is closed (IN_CLOSE_WRITE), and a batch in which a file was written is held until
  /// a close follows its last write (or `settle_max` passes), so that a writer that pauses
  /// longer than the quiet period still gives one event, at its close. inotify does not say
  /// which descriptor wrote or closed: with two writers, the first close ends the wait; after
  /// an overflow, or for a file written while its root is still being added (async_add), there
  /// is no wait. Other backends have no such record: the end of the quiet period stands for it.
  /// The poll backend sees the tree only at its scans: its quiet period is at least
  /// `poll_interval`.
  std::chrono::milliseconds settle{0};
  /// With settling: the longest a batch is held back while the trees keep changing (or a file
  /// stays open for writing, a log for instance), from the first change the monitor read; the
  /// batch is then delivered as it is. Taken as at least `settle`. Changes are read while a
  /// read operation is pending: one made while none is counts from when the next one starts.
  std::chrono::milliseconds settle_max{2000};
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
  /// Names of ignore files (".gitignore", ".ignore", ...): the patterns of every file so named
  /// in a directory of the tree, read with gitignore's semantics (negation with `!`, a trailing
  /// `/` for directories only, a `/` at the start or in the middle anchoring to the file's
  /// directory, `**`; doc/guide.md, "Ignore files"), keep the entries they match out of the
  /// tree as `exclude` does: an ignored directory is never watched nor scanned. A deeper
  /// directory's files take precedence over those above it, and a later name over an earlier
  /// one in the same directory. With ".gitignore" named, the repository's `.git/info/exclude`
  /// applies too; and when the root lies inside a repository, so do the ignore files of the
  /// directories between the repository's top and the root (read when the root is added).
  /// Editing, creating, removing or renaming an ignore file in the tree changes what is
  /// watched at once: what it now hides is reported `removed`, what it shows `created`, so that
  /// the events still replay to the tree the filters let through. An ignore file that cannot
  /// be read (no permission, a symlink, more than 8 MiB) is an `error` event, and adds nothing.
  std::vector<std::string> ignore_files{};
  /// Report `created` for every entry already in the tree when it is added.
  bool initial_listing = false;
};

} // namespace asio_fswatch

#endif
