// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the event model of the directory monitor.
#ifndef ASIO_FSWATCH_FS_EVENT_HPP
#define ASIO_FSWATCH_FS_EVENT_HPP

#include <asio_fswatch/detail/config.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace asio_fswatch {

/// What happened to an entry of a watched tree.
enum class event_kind : std::uint8_t {
  created,    ///< an entry appeared (created, or moved in from outside the watched tree)
  removed,    ///< an entry went away (deleted, or moved out of the watched tree)
  modified,   ///< a file's content changed
  attributes, ///< mode, owner, link count or times changed
  renamed,    ///< moved within the watched tree: `old_path` -> `path`
  exchanged,  ///< `path` and `old_path` swapped places atomically (renameat2 with RENAME_EXCHANGE):
              ///< both existed before and both exist after; the entry now at `path` was at
              ///< `old_path`, and the other way round
  overflow,   ///< the kernel dropped events under `path`; the monitor reconciles and reports the
              ///< differences as ordinary events right after this one
  error,      ///< not a change: `path` could not be watched or read (`error` says why); the rest of
              ///< the tree is still watched. Reported once per path.
};

/// The type of the entry an event is about.
enum class entry_type : std::uint8_t { file, directory, symlink, other, unknown };

/// One change in a watched tree. Paths are absolute and lexically normal.
struct fs_event {
  /// What happened to the entry.
  event_kind kind = event_kind::modified;
  /// The entry the event is about: where it is now for `renamed`, the directory under which
  /// events were lost for `overflow`, what could not be watched or read for `error`.
  std::filesystem::path path;
  std::filesystem::path old_path;   ///< set for `renamed` and `exchanged` only
  entry_type type = entry_type::unknown; ///< the type of the entry now at `path`
  boost::system::error_code error;  ///< set for `error` only
  entry_type old_type = entry_type::unknown; ///< set for `exchanged` only: the type of the entry
                                             ///< now at `old_path`

  std::filesystem::path root = {}; ///< the root whose tree the event is of: as add() took it
                                   ///< (absolute and lexically normal; the file, for a
                                   ///< single-file root)

  /// The change each describes, `root` aside: within one monitor the path decides the root.
  friend bool operator==(const fs_event& a, const fs_event& b) {
    return a.kind == b.kind && a.type == b.type && a.old_type == b.old_type && a.path == b.path &&
           a.old_path == b.old_path && a.error == b.error;
  }
  /// The negation of operator==.
  friend bool operator!=(const fs_event& a, const fs_event& b) { return !(a == b); }
};

/// "created", "removed", "modified", "attributes", "renamed", "exchanged", "overflow", "error".
ASIO_FSWATCH_DECL std::string_view to_string(event_kind kind) noexcept;
/// "file", "directory", "symlink", "other", "unknown".
ASIO_FSWATCH_DECL std::string_view to_string(entry_type type) noexcept;
/// The inverse of to_string(event_kind); nullopt for an unknown name.
ASIO_FSWATCH_DECL std::optional<event_kind> event_kind_from_string(std::string_view name) noexcept;
/// The inverse of to_string(entry_type); nullopt for an unknown name.
ASIO_FSWATCH_DECL std::optional<entry_type> entry_type_from_string(std::string_view name) noexcept;

/// Writes to_string(kind).
ASIO_FSWATCH_DECL std::ostream& operator<<(std::ostream& os, event_kind kind);
/// Writes to_string(type).
ASIO_FSWATCH_DECL std::ostream& operator<<(std::ostream& os, entry_type type);
/// Human-readable, one line without a newline: `renamed directory /a/old -> /a/new`,
/// `exchanged file /a/x <-> /a/y` (see detail::append_human).
ASIO_FSWATCH_DECL std::ostream& operator<<(std::ostream& os, const fs_event& event);

} // namespace asio_fswatch

#endif
