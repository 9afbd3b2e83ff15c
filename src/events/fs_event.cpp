// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: names and stream output of the event model.
#include <asio_fswatch/fs_event.hpp>

#include <asio_fswatch/detail/event_format.hpp>

#include <ostream>
#include <string>

namespace asio_fswatch {

std::string_view to_string(event_kind kind) noexcept {
  switch (kind) {
  case event_kind::created: return "created";
  case event_kind::removed: return "removed";
  case event_kind::modified: return "modified";
  case event_kind::attributes: return "attributes";
  case event_kind::renamed: return "renamed";
  case event_kind::exchanged: return "exchanged";
  case event_kind::overflow: return "overflow";
  case event_kind::error: return "error";
  }
  return "unknown"; // a value cast from outside the enumeration; same convention as to_string(backend)
}

std::string_view to_string(entry_type type) noexcept {
  switch (type) {
  case entry_type::file: return "file";
  case entry_type::directory: return "directory";
  case entry_type::symlink: return "symlink";
  case entry_type::other: return "other";
  case entry_type::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<event_kind> event_kind_from_string(std::string_view name) noexcept {
  for (const auto kind : {event_kind::created, event_kind::removed, event_kind::modified,
                          event_kind::attributes, event_kind::renamed, event_kind::exchanged,
                          event_kind::overflow, event_kind::error}) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<entry_type> entry_type_from_string(std::string_view name) noexcept {
  for (const auto type : {entry_type::file, entry_type::directory, entry_type::symlink,
                          entry_type::other, entry_type::unknown}) {
    if (to_string(type) == name) return type;
  }
  return std::nullopt;
}

// Through operator<< on a string_view rather than write(), so that the stream's width and fill
// apply as they do to any other string (e.g. `std::setw(10) << kind`).
std::ostream& operator<<(std::ostream& os, event_kind kind) { return os << to_string(kind); }

std::ostream& operator<<(std::ostream& os, entry_type type) { return os << to_string(type); }

std::ostream& operator<<(std::ostream& os, const fs_event& event) {
  std::string line;
  detail::append_human(line, event);
  return os << std::string_view(line);
}

} // namespace asio_fswatch
