// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: what a recursive watch of one root says changed (sans-io), in the
// engine's own terms rather than one kernel interface's. The decoder of each interface that
// watches a whole tree through one handle (ReadDirectoryChangesW; FSEvents would be another)
// produces these; the engine applies them to its picture of the root (watch_engine::on_changes).
// inotify, whose watches are per directory and whose records name a watch, keeps its own
// decoder in the engine (watch_engine_inotify.cpp).
#ifndef ASIO_FSWATCH_DETAIL_CHANGE_RECORD_HPP
#define ASIO_FSWATCH_DETAIL_CHANGE_RECORD_HPP

#include <asio_fswatch/fs_event.hpp>

#include <cstdint>
#include <string>

namespace asio_fswatch::detail {

enum class change_kind : std::uint8_t {
  created,   ///< `path` appeared (created, or moved in from outside what the handle watches)
  removed,   ///< `path` went away (deleted, or moved out)
  modified,  ///< `path`'s content, or for RDCW its times or attributes, changed
  renamed,   ///< `old_path` became `path`, both inside the root
  overflow,  ///< the interface lost changes: the root is rescanned and compared
};

/// One change. Paths are relative to the watched directory, with '/' between their parts, as
/// the engine's path text (POSIX bytes, or WTF-8 on Windows); never empty, never "." or "..",
/// never with an empty part (a decoder that meets such a name reports `malformed` instead).
struct change_record {
  change_kind kind = change_kind::modified;
  std::string path;
  std::string old_path;
  /// The entry's type when the interface says (ReadDirectoryChangesExW's attributes);
  /// unknown otherwise, and the engine looks.
  entry_type type = entry_type::unknown;
};

} // namespace asio_fswatch::detail

#endif
