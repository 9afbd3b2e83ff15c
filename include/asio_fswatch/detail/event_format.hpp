// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: text encodings of fs_event (sans-io): JSON lines and human-readable lines.
#ifndef ASIO_FSWATCH_DETAIL_EVENT_FORMAT_HPP
#define ASIO_FSWATCH_DETAIL_EVENT_FORMAT_HPP

#include <asio_fswatch/fs_event.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace asio_fswatch::detail {

/// Appends `bytes` as a JSON string literal (with the quotes). Valid UTF-8 is copied as is,
/// except `"`, `\` and control characters (escaped; \n, \t, \r, \b, \f short forms, \u00XX for
/// the others, and \u007f). Each byte that is not part of a valid UTF-8 sequence (overlongs,
/// surrogates, > U+10FFFF, truncated sequences) becomes `\udcXX` with XX its value: the
/// "surrogateescape" mapping, so the result is always valid JSON and the original bytes come
/// back with Python's `os.fsencode(json.loads(...))` or with decode_json_string below.
void append_json_string(std::string& out, std::string_view bytes);

/// The inverse of append_json_string for a whole literal (quotes included): undoes every JSON
/// escape, maps \udc80..\udcff back to single bytes, encodes other code points as UTF-8.
/// Returns nullopt when `literal` is not one valid JSON string.
std::optional<std::string> decode_json_string(std::string_view literal);

/// Appends one JSON object, no newline:
/// {"kind":"created","type":"file","path":"/abs/a.txt"}
/// {"kind":"renamed","type":"directory","path":"/abs/new","old_path":"/abs/old"}
/// {"kind":"exchanged","type":"file","path":"/abs/b","old_path":"/abs/a","old_type":"directory"}
/// {"kind":"error","type":"directory","path":"/abs/d","error":"Permission denied","code":13}
/// Each object also has "root" (before "error"), the root the event belongs to, when the event
/// names one: {"kind":"created","type":"file","path":"/abs/a.txt","root":"/abs"}
void append_json(std::string& out, const fs_event& event);

/// Appends one human-readable line, no newline: the kind padded to 10 columns, the type padded
/// to 10 columns, the path (for `renamed`: `old -> new`; for `exchanged`: `old <-> new`, and
/// when the two entries differ in type the type column is `old_type,type`; for `error`:
/// `path: message`).
/// Paths are written with `\` as `\\`, control characters as `\n`, `\t`, `\r` or `\xHH`, and
/// invalid UTF-8 bytes as `\xHH`, so one event is always one line.
void append_human(std::string& out, const fs_event& event);

/// Appends `bytes` escaped as append_human writes paths (for messages that name a path).
void append_human_path(std::string& out, std::string_view bytes);

} // namespace asio_fswatch::detail

#endif
