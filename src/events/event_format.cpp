// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: JSON and human-readable encodings of fs_event.
//
// Both encoders are on the CLI's hot path (hundreds of thousands of events), so they append
// straight into the caller's buffer and copy whole runs of bytes that need no escaping with one
// append; only the bytes that must change are handled one at a time.
#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/utf8.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace asio_fswatch::detail {
namespace {

constexpr char lowercase_hex_digits[] = "0123456789abcdef";

/// Length of the well-formed UTF-8 sequence that starts at `bytes[0]` (a byte >= 0x80), or 0
/// when there is none. The ranges are those of Table 3-7 of the Unicode standard: restricting the
/// second byte according to the lead byte is what rules out overlong forms (E0 80..9F, F0 80..8F),
/// encoded surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..BF) without decoding.
std::size_t utf8_sequence_length(const unsigned char* bytes, std::size_t available) noexcept {
  const unsigned char lead = bytes[0];
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xbf;
  std::size_t length = 0;
  if (lead < 0xc2) {
    return 0; // a continuation byte, or C0/C1 which could only start an overlong form
  } else if (lead < 0xe0) {
    length = 2;
  } else if (lead < 0xf0) {
    length = 3;
    if (lead == 0xe0) second_min = 0xa0;
    if (lead == 0xed) second_max = 0x9f;
  } else if (lead < 0xf5) {
    length = 4;
    if (lead == 0xf0) second_min = 0x90;
    if (lead == 0xf4) second_max = 0x8f;
  } else {
    return 0;
  }
  if (available < length) return 0;
  if (bytes[1] < second_min || bytes[1] > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((bytes[i] & 0xc0) != 0x80) return 0;
  }
  return length;
}

constexpr std::uint64_t repeated_byte(unsigned char byte) noexcept {
  return 0x0101010101010101ull * byte;
}

/// Exact test for "some byte of `word` is below `limit`" (limit <= 0x80): a byte below the limit
/// borrows when the limit is subtracted and so gains a high bit it did not have.
constexpr std::uint64_t bytes_below(std::uint64_t word, unsigned char limit) noexcept {
  return (word - repeated_byte(limit)) & ~word & repeated_byte(0x80);
}

constexpr std::uint64_t bytes_equal_to(std::uint64_t word, unsigned char value) noexcept {
  return bytes_below(word ^ repeated_byte(value), 1);
}

/// Bytes 0x20..0x7e: what both encoders copy unless it is one of their few special characters.
constexpr std::uint64_t bytes_not_printable_ascii(std::uint64_t word) noexcept {
  return (word & repeated_byte(0x80)) | bytes_below(word, 0x20) | bytes_equal_to(word, 0x7f);
}

constexpr bool is_printable_ascii(unsigned char byte) noexcept { return byte >= 0x20 && byte < 0x7f; }

struct json_escaping {
  static bool is_plain(unsigned char byte) noexcept {
    return is_printable_ascii(byte) && byte != '"' && byte != '\\';
  }
  static bool is_plain_word(std::uint64_t word) noexcept {
    return (bytes_not_printable_ascii(word) | bytes_equal_to(word, '"') | bytes_equal_to(word, '\\')) == 0;
  }
  static void append_escape(std::string& out, unsigned char byte) {
    switch (byte) {
    case '"': out.append("\\\"", 2); return;
    case '\\': out.append("\\\\", 2); return;
    case '\b': out.append("\\b", 2); return;
    case '\f': out.append("\\f", 2); return;
    case '\n': out.append("\\n", 2); return;
    case '\r': out.append("\\r", 2); return;
    case '\t': out.append("\\t", 2); return;
    default: break;
    }
    // Control characters and DEL are ASCII; anything >= 0x80 reaching here is an invalid UTF-8
    // byte, carried as a lone low surrogate the way Python's "surrogateescape" does.
    const char escape[6] = {'\\', 'u', byte < 0x80 ? '0' : 'd', byte < 0x80 ? '0' : 'c',
                            lowercase_hex_digits[byte >> 4], lowercase_hex_digits[byte & 0x0f]};
    out.append(escape, sizeof escape);
  }
};

struct human_escaping {
  static bool is_plain(unsigned char byte) noexcept { return is_printable_ascii(byte) && byte != '\\'; }
  static bool is_plain_word(std::uint64_t word) noexcept {
    return (bytes_not_printable_ascii(word) | bytes_equal_to(word, '\\')) == 0;
  }
  static void append_escape(std::string& out, unsigned char byte) {
    switch (byte) {
    case '\\': out.append("\\\\", 2); return;
    case '\n': out.append("\\n", 2); return;
    case '\r': out.append("\\r", 2); return;
    case '\t': out.append("\\t", 2); return;
    default: break;
    }
    const char escape[4] = {'\\', 'x', lowercase_hex_digits[byte >> 4],
                            lowercase_hex_digits[byte & 0x0f]};
    out.append(escape, sizeof escape);
  }
};

/// The scanning loop shared by both encoders: runs of plain ASCII and well-formed UTF-8 are
/// copied in one append, every other byte goes through `Escaping::append_escape`.
template <typename Escaping>
void append_escaped(std::string& out, std::string_view text) {
  const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t run_start = 0;
  std::size_t position = 0;
  while (position < size) {
    // Paths are mostly plain ASCII: clearing 8 bytes per test is several times faster than
    // looking at each one.
    while (size - position >= 8) {
      std::uint64_t word;
      std::memcpy(&word, begin + position, sizeof word);
      if (!Escaping::is_plain_word(word)) break;
      position += 8;
    }
    if (position == size) break;
    const unsigned char byte = begin[position];
    if (byte < 0x80) {
      if (Escaping::is_plain(byte)) {
        ++position;
        continue;
      }
    } else if (const std::size_t length = utf8_sequence_length(begin + position, size - position)) {
      position += length;
      continue;
    }
    out.append(text.data() + run_start, position - run_start);
    Escaping::append_escape(out, byte);
    run_start = ++position;
  }
  out.append(text.data() + run_start, size - run_start);
}

int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Reads the four hex digits of a `\uXXXX` escape starting at `text[position]`; -1 if malformed.
long read_hex4(std::string_view text, std::size_t position) noexcept {
  if (text.size() - position < 4) return -1;
  long value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const int digit = hex_digit_value(text[position + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/// Decodes the escape whose backslash is at `text[position]`, appending its bytes to `out`.
/// Returns the position just past it, or 0 when the escape is malformed (0 can never be a valid
/// end since position 0 is the opening quote).
std::size_t decode_escape(std::string& out, std::string_view text, std::size_t position) {
  if (text.size() - position < 2) return 0;
  switch (text[position + 1]) {
  case '"': out.push_back('"'); return position + 2;
  case '\\': out.push_back('\\'); return position + 2;
  case '/': out.push_back('/'); return position + 2;
  case 'b': out.push_back('\b'); return position + 2;
  case 'f': out.push_back('\f'); return position + 2;
  case 'n': out.push_back('\n'); return position + 2;
  case 'r': out.push_back('\r'); return position + 2;
  case 't': out.push_back('\t'); return position + 2;
  case 'u': break;
  default: return 0;
  }
  const long unit = read_hex4(text, position + 2);
  if (unit < 0) return 0;
  const std::size_t after_unit = position + 6;
  if (unit >= 0xd800 && unit <= 0xdbff) {
    // A high surrogate is only meaningful as the first half of a pair; the encoder never writes
    // one, so a pair always means an astral code point, even when its low half is in dc80..dcff.
    if (text.size() - after_unit < 6 || text[after_unit] != '\\' || text[after_unit + 1] != 'u') {
      return 0;
    }
    const long low = read_hex4(text, after_unit + 2);
    if (low < 0xdc00 || low > 0xdfff) return 0;
    append_utf8(out, code_point_of_surrogates(static_cast<std::uint32_t>(unit),
                                              static_cast<std::uint32_t>(low)));
    return after_unit + 6;
  }
  if (unit >= 0xdc00 && unit <= 0xdfff) {
    // Only dc80..dcff carry a byte; dc00..dc7f would stand for ASCII, which is never escaped so.
    if (unit < 0xdc80 || unit > 0xdcff) return 0;
    out.push_back(static_cast<char>(unit - 0xdc00));
    return after_unit;
  }
  append_utf8(out, static_cast<std::uint32_t>(unit));
  return after_unit;
}

void append_json_key(std::string& out, std::string_view key) {
  out.push_back(',');
  out.push_back('"');
  out.append(key);
  out.append("\":", 2);
}

/// The field, then spaces up to 10 columns, then one more so that a 10-letter name ("attributes")
/// still stands apart from the next field.
void append_padded(std::string& out, std::string_view field) {
  constexpr std::size_t column_width = 10;
  out.append(field);
  out.append(field.size() < column_width ? column_width - field.size() + 1 : 1, ' ');
}

} // namespace

void append_json_string(std::string& out, std::string_view bytes) {
  out.push_back('"');
  append_escaped<json_escaping>(out, bytes);
  out.push_back('"');
}

std::optional<std::string> decode_json_string(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '"') return std::nullopt;
  const auto* const bytes = reinterpret_cast<const unsigned char*>(literal.data());
  std::string decoded;
  std::size_t run_start = 1;
  std::size_t position = 1;
  while (position < literal.size()) {
    const unsigned char byte = bytes[position];
    if (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\') {
      ++position;
      continue;
    }
    if (byte >= 0x80) {
      // JSON text is UTF-8: a raw invalid byte makes the literal invalid, not a byte to keep.
      const std::size_t length = utf8_sequence_length(bytes + position, literal.size() - position);
      if (length == 0) return std::nullopt;
      position += length;
      continue;
    }
    decoded.append(literal.data() + run_start, position - run_start);
    if (byte == '"') {
      if (position + 1 != literal.size()) return std::nullopt;
      return decoded;
    }
    if (byte != '\\') return std::nullopt; // a raw control character
    position = decode_escape(decoded, literal, position);
    if (position == 0) return std::nullopt;
    run_start = position;
  }
  return std::nullopt; // no closing quote
}

void append_json(std::string& out, const fs_event& event) {
  out.append("{\"kind\":\"", 9);
  out.append(to_string(event.kind));
  out.append("\",\"type\":\"", 10);
  out.append(to_string(event.type));
  out.push_back('"');
  append_json_key(out, "path");
  append_json_string(out, path_text(event.path));
  if (event.kind == event_kind::renamed || event.kind == event_kind::exchanged) {
    append_json_key(out, "old_path");
    append_json_string(out, path_text(event.old_path));
  }
  if (event.kind == event_kind::exchanged) {
    append_json_key(out, "old_type");
    out.push_back('"');
    out.append(to_string(event.old_type));
    out.push_back('"');
  }
  if (!event.root.empty()) {
    append_json_key(out, "root");
    append_json_string(out, path_text(event.root));
  }
  if (event.kind == event_kind::error) {
    append_json_key(out, "error");
    append_json_string(out, event.error.message());
    append_json_key(out, "code");
    char digits[16];
    const auto result = std::to_chars(digits, digits + sizeof digits, event.error.value());
    out.append(digits, result.ptr);
    append_json_key(out, "category");
    append_json_string(out, event.error.category().name());
  }
  out.push_back('}');
}

void append_human_path(std::string& out, std::string_view bytes) {
  const std::size_t start = out.size();
  append_escaped<human_escaping>(out, bytes);
  // The line's own separators, " -> " after a rename's old path, " <-> " after an exchange's
  // old path and ": " before an error's message, must not stand inside a path: a name holding
  // one has its '>' or ':' escaped, and so has a path ending in " ->" or " <->" (the
  // separator's space would complete it) or beginning with "->" or "<->" (the space before). The escapes above never write '>' or ':', so every
  // one found here is the path's own.
  // The space before an arrow may be the line's own, before the path: a path that begins with
  // "-> " or "<-> " would make one with the column padding or the separator before it.
  const auto ends_an_arrow = [&](std::size_t i) { // out[i] is '>'
    if (i < start + 1 || i < 2 || out[i - 1] != '-')
      return false;
    return out[i - 2] == ' ' || (out[i - 2] == '<' && i >= start + 2 && i >= 3 && out[i - 3] == ' ');
  };
  for (std::size_t i = out.find_first_of(">:", start); i != std::string::npos;
       i = out.find_first_of(">:", i + 1)) {
    const bool at_end = i + 1 == out.size();
    const bool space_after = !at_end && out[i + 1] == ' ';
    if (out[i] == ':' ? space_after : ends_an_arrow(i) && (space_after || at_end)) {
      const char escape[4] = {'\\', 'x', '3', out[i] == ':' ? 'a' : 'e'};
      out.replace(i, 1, escape, sizeof escape);
      i += sizeof escape - 1;
    }
  }
}

void append_human(std::string& out, const fs_event& event) {
  append_padded(out, to_string(event.kind));
  if (event.kind == event_kind::exchanged && event.old_type != event.type) {
    // Both types, in the order of the paths on the line: a swap of a file and a directory
    // changes the type found at each path.
    std::string types(to_string(event.old_type));
    types += ',';
    types += to_string(event.type);
    append_padded(out, types);
  } else {
    append_padded(out, to_string(event.type));
  }
  if (event.kind == event_kind::renamed) {
    append_human_path(out, path_text(event.old_path));
    out.append(" -> ", 4);
  } else if (event.kind == event_kind::exchanged) {
    append_human_path(out, path_text(event.old_path));
    out.append(" <-> ", 5);
  }
  append_human_path(out, path_text(event.path));
  if (event.kind == event_kind::error) {
    out.append(": ", 2);
    // Messages come from strerror and may be localized: escaped too, so the line stays one line.
    append_escaped<human_escaping>(out, event.error.message());
  }
}

} // namespace asio_fswatch::detail
