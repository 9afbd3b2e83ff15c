// SPDX-License-Identifier: BSL-1.0
// inotifywait's --format for fs_events: see inotifywait_format.hpp.
#include <asio_fswatch/detail/inotifywait_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>

#include <algorithm>
#include <cctype>
#include <utility>

namespace asio_fswatch::detail {
namespace {

struct name_bits {
  std::string_view name;
  std::uint32_t bits;
};

constexpr name_bits selectable[] = {
    {"create", iw_create},
    {"delete", iw_delete},
    {"delete_self", iw_delete_self},
    {"modify", iw_modify},
    {"attrib", iw_attrib},
    {"moved_from", iw_moved_from},
    {"moved_to", iw_moved_to},
    {"move", iw_moved_from | iw_moved_to},
    {"close_write", iw_close_write},
    {"created", iw_create},
    {"removed", iw_delete | iw_delete_self},
    {"modified", iw_modify},
    {"attributes", iw_attrib},
    {"renamed", iw_moved_from | iw_moved_to},
    {"exchanged", iw_moved_from | iw_moved_to},
    {"overflow", iw_overflow},
    {"q_overflow", iw_overflow},
};

// What the monitor never reports: opening, reading and closing; a watched path that moves (it
// ends, or a symlink root follows its target).
constexpr std::string_view not_watched[] = {"access", "open", "close_nowrite", "close", "unmount", "move_self"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

/// One inotify event that an fs_event stands for.
struct record {
  std::uint32_t bit;
  std::string_view name;
  const std::filesystem::path* path;
  bool directory;
};

/// `text` as one CSV field, as inotifywait -c writes it: in double quotes, each '"' doubled, when
/// it holds a '"', a ',' or a line break or begins or ends with a space; as it is otherwise.
/// (inotifywait leaves a carriage return unquoted, which a CSV reader takes for a line's end.)
void append_csv_field(std::string& out, std::string_view text) {
  const bool quoted = text.find_first_of("\",\n\r") != std::string_view::npos ||
                      (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quoted) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
}

/// A record's %w and %f: the directory (with its '/') and the name. A root (the watched path
/// itself) is named whole by %w, as inotifywait names a watched file.
struct record_path {
  std::string directory;
  std::string name;
};

record_path split(const fs_event& event, const record& r) {
  const std::string path = path_text(*r.path);
  record_path out;
  if (!event.root.empty() && *r.path == event.root) {
    out.directory = path;
    // The separator the path itself uses: '\\' in a Windows path as the reader gets it.
#if defined(_WIN32)
    const char separator = path.find('\\') != std::string::npos ? '\\' : '/';
#else
    const char separator = '/'; // a '\\' is part of a name here
#endif
    std::string& directory = out.directory;
    if (r.directory && (directory.empty() || (directory.back() != '/' && directory.back() != separator)))
      directory += separator;
    return out;
  }
#if defined(_WIN32)
  const std::size_t cut = path.find_last_of("/\\");
#else
  const std::size_t cut = path.rfind('/');
#endif
  out.directory = cut == std::string::npos ? std::string() : path.substr(0, cut + 1);
  out.name = cut == std::string::npos ? path : path.substr(cut + 1);
  return out;
}

void append_fields(std::string& out, const record_path& where, const record& r, const inotifywait_style& style) {
  const std::string_view format = style.format;
  const std::string& directory = where.directory;
  const std::string& name = where.name;
  auto names = [&](char separator) {
    std::string text;
    for (char c : r.name) // CLOSE_WRITE,CLOSE: two names
      text += c == ',' ? separator : c;
    // An overflow is of the whole root; the kernel's DELETE_SELF carries no ISDIR (inotifywait
    // prints "DELETE_SELF" for a directory).
    if (r.directory && r.bit != iw_overflow && r.bit != iw_delete_self) {
      text += separator;
      text += "ISDIR";
    }
    return text;
  };
  auto field = [&](std::string_view text) {
    if (style.csv)
      append_csv_field(out, text);
    else
      out += text;
  };
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    const char c = format[++i];
    if (c == 'w')
      field(directory);
    else if (c == 'f')
      field(name);
    else if (c == 'e')
      field(names(','));
    else if (c == 'T')
      out += style.time_text;
    else if (c == '%')
      out += '%';
    else if (c == '0')
      out += '\0';
    else if (c == 'n')
      out += '\n';
    else if (i + 1 < format.size() && format[i + 1] == 'e') {
      field(names(c));
      ++i;
    }
  }
}

} // namespace

std::uint32_t inotifywait_events_named(std::string_view name, std::string& why) {
  const std::string key = lower(name);
  for (const name_bits& n : selectable)
    if (n.name == key)
      return n.bits;
  if (std::find(std::begin(not_watched), std::end(not_watched), key) != std::end(not_watched))
    why = key == "move_self"
              ? "'move_self' is not reported: a watched path that moves ends (delete_self)"
              : "'" + std::string(name) + "' is not watched: opening, reading and closing files are not changes";
  else
    why = "unknown event '" + std::string(name) + "'";
  return 0;
}

bool check_inotifywait_format(std::string_view format, std::string& problem) {
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%')
      continue;
    if (i + 1 == format.size()) {
      problem = "a lone '%' ends the format (write %% for a '%')";
      return false;
    }
    const char c = format[++i];
    if (c == 'w' || c == 'f' || c == 'e' || c == 'T' || c == '%' || c == '0' || c == 'n')
      continue;
    if (i + 1 < format.size() && format[i + 1] == 'e') {
      ++i; // %Xe: the names separated by X
      continue;
    }
    problem = std::string("unknown field '%") + c + "' (known: %w %f %e %Xe %T %0 %n %%)";
    return false;
  }
  return true;
}

std::size_t append_inotifywait(std::string& out, const fs_event& event, const inotifywait_style& style,
                               std::size_t most) {
  const bool is_dir = event.type == entry_type::directory;
  const bool old_is_dir = event.old_type == entry_type::directory;
  record records[4];
  std::size_t count = 0;
  switch (event.kind) {
  case event_kind::created:
    records[count++] = {iw_create, "CREATE", &event.path, is_dir};
    if (event.type == entry_type::file)
      records[count++] = {iw_close_write, "CLOSE_WRITE,CLOSE", &event.path, false};
    break;
  case event_kind::removed:
    if (!event.root.empty() && event.path == event.root)
      records[count++] = {iw_delete_self, "DELETE_SELF", &event.path, is_dir};
    else
      records[count++] = {iw_delete, "DELETE", &event.path, is_dir};
    break;
  case event_kind::modified:
    records[count++] = {iw_modify, "MODIFY", &event.path, is_dir};
    if (event.type == entry_type::file)
      records[count++] = {iw_close_write, "CLOSE_WRITE,CLOSE", &event.path, false};
    break;
  case event_kind::attributes: records[count++] = {iw_attrib, "ATTRIB", &event.path, is_dir}; break;
  case event_kind::renamed:
    records[count++] = {iw_moved_from, "MOVED_FROM", &event.old_path, is_dir};
    records[count++] = {iw_moved_to, "MOVED_TO", &event.path, is_dir};
    break;
  case event_kind::exchanged:
    // The entry now at `path` came from `old_path`, and the other one went the other way.
    records[count++] = {iw_moved_from, "MOVED_FROM", &event.old_path, is_dir};
    records[count++] = {iw_moved_to, "MOVED_TO", &event.path, is_dir};
    records[count++] = {iw_moved_from, "MOVED_FROM", &event.path, old_is_dir};
    records[count++] = {iw_moved_to, "MOVED_TO", &event.old_path, old_is_dir};
    break;
  case event_kind::overflow: records[count++] = {iw_overflow, "Q_OVERFLOW", &event.path, is_dir}; break;
  default: break;
  }
  std::size_t written = 0;
  for (std::size_t i = 0; i < count && written < most; ++i) {
    if ((records[i].bit & style.wanted) == 0)
      continue;
    const record_path where = split(event, records[i]);
    if (style.shows && !style.shows(where.directory + where.name))
      continue;
    append_fields(out, where, records[i], style);
    out += style.terminator;
    ++written;
  }
  return written;
}

} // namespace asio_fswatch::detail
