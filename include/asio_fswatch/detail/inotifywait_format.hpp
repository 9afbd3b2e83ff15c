// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the output of `inotifywait --format` for fs_events (sans-io), so that
// scripts written for inotifywait read asio-fswatch watch unchanged.
#ifndef ASIO_FSWATCH_DETAIL_INOTIFYWAIT_FORMAT_HPP
#define ASIO_FSWATCH_DETAIL_INOTIFYWAIT_FORMAT_HPP

#include <asio_fswatch/fs_event.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace asio_fswatch::detail {

/// inotifywait's event names that an fs_event can give, as bits (a filter).
enum inotifywait_event : std::uint32_t {
  iw_create = 1u << 0,
  iw_delete = 1u << 1,
  iw_delete_self = 1u << 2,
  iw_modify = 1u << 3,
  iw_attrib = 1u << 4,
  iw_moved_from = 1u << 5,
  iw_moved_to = 1u << 6,
  iw_overflow = 1u << 7,
  iw_all = (1u << 8) - 1, ///< what is printed without -e
  /// A file written and closed (CLOSE_WRITE,CLOSE), for the `created` and `modified` of a file
  /// from a settling monitor (monitor_options::settle): only the caller knows it settles, and
  /// only -e close_write selects it.
  iw_close_write = 1u << 8,
};

/// The bits that `name` selects in an `-e` list: inotifywait's names (create, delete,
/// delete_self, modify, attrib, moved_from, moved_to, move, close_write) and the kinds of
/// fs_event (created, removed, modified, attributes, renamed, exchanged, overflow), in either
/// case. 0 for a name that selects nothing here; `why` then says why.
std::uint32_t inotifywait_events_named(std::string_view name, std::string& why);

/// Whether `format` is a valid --format: text with %w (the directory of the entry, with its
/// trailing '/'; a root: its own path), %f (the entry's name; empty for a root), %e (the event
/// names, comma-separated), %Xe (the same, separated by the character X), %T (the time, as the
/// caller formatted it with --timefmt), %0 (a NUL), %n (a newline) and %% (a '%'). The problem
/// otherwise.
bool check_inotifywait_format(std::string_view format, std::string& problem);

/// How inotify events are written: inotifywait's --format, -c, -e, --timefmt, -0 and its
/// --exclude/--include regular expressions.
struct inotifywait_style {
  std::string_view format;    ///< checked by check_inotifywait_format
  std::string_view time_text; ///< what %T writes (the caller formats the time, with --timefmt)
  std::uint32_t wanted = iw_all;      ///< the records written (-e)
  std::string_view terminator = "\n"; ///< after each record (-0: a NUL)
  /// -c: %w, %f and %e are CSV fields, quoted, with each '"' doubled, when they hold a '"', a
  /// ',', a newline or a carriage return or begin or end with a space (the format is then
  /// inotifywait_csv_format).
  bool csv = false;
  /// Whether a record whose path is `%w%f` is written (null: all are).
  std::function<bool(std::string_view)> shows{};
};

/// The record of inotifywait -c: the directory, the event names, the name.
inline constexpr std::string_view inotifywait_csv_format = "%w,%e,%f";

/// Appends, for each inotify event that `event` stands for and `style` selects (at most
/// `most`), `style.format` with its fields filled in, then the terminator; how many. Paths are
/// written as they are, unescaped: a name may hold a newline, which only a NUL terminator (-0)
/// keeps apart. A rename gives MOVED_FROM (the old path) then MOVED_TO; an exchange, both moves
/// of each entry; `created` and `modified` of a file give CLOSE_WRITE,CLOSE after their own
/// record when `style.wanted` has iw_close_write; `error` events give nothing (the tool writes
/// them to standard error).
std::size_t append_inotifywait(std::string& out, const fs_event& event, const inotifywait_style& style,
                               std::size_t most = 4);

} // namespace asio_fswatch::detail

#endif
