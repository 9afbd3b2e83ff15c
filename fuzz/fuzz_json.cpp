// SPDX-License-Identifier: BSL-1.0
// Fuzz target for the JSON encoding of events (detail/event_format.hpp).
//
// The input is used three ways:
//  - as a name: append_json_string must write one valid JSON string (checked by the independent
//    reader of json_check.hpp) that stands for exactly the name's code points, each invalid UTF-8
//    byte as U+DC00 + byte; decode_json_string must give the bytes back;
//  - as JSON text: whatever decode_json_string accepts must be a valid JSON string that a standard
//    reader decodes the same way, and it must accept every valid one it can map to bytes;
//  - as an event (kind, type and error code from the first three bytes, the old type from the
//    second byte's high bits, path and old path from the rest, split at the first NUL): append_json must write one valid JSON object, with the
//    documented members in order and no raw newline; the human line must be one line.
#include "fuzz_check.hpp"
#include "json_check.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace detail = asio_fswatch::detail;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::fuzz::describe;
using asio_fswatch::fuzz::json_member;
using asio_fswatch::fuzz::json_reader;
using asio_fswatch::fuzz::require;

void check_json_string(std::string_view name) {
  // Appended after other text, as the encoders are used.
  const std::string_view prefix = "[1,";
  std::string out(prefix);
  detail::append_json_string(out, name);
  require(std::string_view(out).substr(0, prefix.size()) == prefix,
          "append_json_string keeps what the buffer held", {{"name", name}, {"output", out}});
  const std::string_view literal = std::string_view(out).substr(prefix.size());

  std::u32string decoded;
  require(json_reader(literal).read_string(decoded), "append_json_string writes one valid JSON string",
          {{"name", name}, {"json", literal}});
  require(literal.find('\x7f') == std::string_view::npos, "DEL is escaped as \\u007f",
          {{"name", name}, {"json", literal}});
  const std::u32string expected = asio_fswatch::fuzz::surrogateescape_decode(name);
  require(decoded == expected,
          "the JSON string stands for the name's code points, each invalid byte as U+DC00 + byte",
          {{"name", name}, {"json", literal}, {"decoded", describe(decoded)}, {"expected", describe(expected)}});
  if (asio_fswatch::fuzz::is_valid_utf8(name)) {
    std::string text;
    for (const char32_t code_point : decoded)
      asio_fswatch::fuzz::append_utf8(text, code_point);
    require(text == name, "a valid UTF-8 name reads back, as standard JSON, as the same text",
            {{"name", name}, {"json", literal}, {"read back", text}});
  }

  const std::optional<std::string> back = detail::decode_json_string(literal);
  require(back.has_value(), "decode_json_string accepts what append_json_string writes",
          {{"name", name}, {"json", literal}});
  require(*back == name, "decode_json_string gives back the bytes given to append_json_string",
          {{"name", name}, {"json", literal}, {"decoded", *back}});
}

void check_decoder(std::string_view text) {
  const std::optional<std::string> decoded = detail::decode_json_string(text);
  std::u32string standard;
  const bool valid = json_reader(text).read_string(standard);
  const std::optional<std::string> mapped = asio_fswatch::fuzz::surrogateescape_encode(standard);
  if (decoded) {
    require(valid, "decode_json_string accepts only one valid JSON string", {{"input", text}});
    require(mapped.has_value() && *mapped == *decoded,
            "decode_json_string reads a string as a standard reader does, U+DC80..U+DCFF as bytes",
            {{"input", text}, {"decoded", *decoded}, {"standard", describe(standard)}});
    // Whatever it decodes, the encoder must be able to write back.
    check_json_string(*decoded);
  } else {
    require(!valid || !mapped.has_value(),
            "decode_json_string rejects a valid JSON string only for a surrogate that maps to no byte",
            {{"input", text}, {"standard", describe(standard)}});
  }
}

boost::system::error_code error_from(unsigned char byte) {
  const int value = byte & 0x3f;
  switch (byte >> 6) {
  case 0: return {value, boost::system::system_category()};
  case 1: return {value, boost::system::generic_category()};
  case 2: return {value, asio_fswatch::category()}; // values past the enumeration included
  default: return {};
  }
}

std::optional<std::string> string_member(std::string_view value) {
  std::u32string text;
  if (!json_reader(value).read_string(text))
    return std::nullopt;
  return asio_fswatch::fuzz::surrogateescape_encode(text);
}

void check_event(std::string_view input) {
  if (input.size() < 3)
    return;
  fs_event event;
  // Values past the end of each enumeration included: their name is "unknown".
  event.kind = static_cast<event_kind>(static_cast<unsigned char>(input[0]) % 9);
  event.type = static_cast<entry_type>(static_cast<unsigned char>(input[1]) % 8);
  event.old_type = static_cast<entry_type>((static_cast<unsigned char>(input[1]) >> 3) % 8);
  event.error = error_from(static_cast<unsigned char>(input[2]));
  const std::string_view paths = input.substr(3);
  const std::size_t separator = paths.find('\0');
  event.path = detail::path_from_text(std::string(paths.substr(0, separator)));
  event.old_path = detail::path_from_text(std::string(
      separator == std::string_view::npos ? std::string_view() : paths.substr(separator + 1)));
  // The bytes the encoders see: the input's on POSIX; on Windows, the UTF-16 name it became, as
  // WTF-8.
  const std::string path = detail::path_text(event.path);
  const std::string old_path = detail::path_text(event.old_path);

  const std::string_view prefix = "{\"events\":[";
  std::string out(prefix);
  detail::append_json(out, event);
  require(std::string_view(out).substr(0, prefix.size()) == prefix,
          "append_json keeps what the buffer held", {{"input", input}, {"output", out}});
  const std::string_view object = std::string_view(out).substr(prefix.size());

  std::vector<json_member> members;
  require(json_reader(object).read_object(members), "append_json writes one valid JSON object",
          {{"input", input}, {"json", object}});
  for (const char c : object)
    require(static_cast<unsigned char>(c) >= 0x20, "a JSON event has no raw newline or control byte",
            {{"input", input}, {"json", object}});

  std::vector<std::string> expected_keys = {"kind", "type", "path"};
  if (event.kind == event_kind::renamed || event.kind == event_kind::exchanged)
    expected_keys.push_back("old_path");
  if (event.kind == event_kind::exchanged)
    expected_keys.push_back("old_type");
  if (event.kind == event_kind::error) {
    expected_keys.push_back("error");
    expected_keys.push_back("code");
    expected_keys.push_back("category");
  }
  std::vector<std::string> keys;
  for (const json_member& member : members)
    keys.push_back(asio_fswatch::fuzz::surrogateescape_encode(member.key).value_or("<surrogate>"));
  require(keys == expected_keys, "a JSON event has the documented members, in order",
          {{"input", input}, {"json", object}});

  const auto require_string = [&](const json_member& member, std::string_view expected, const char* property) {
    require(string_member(member.value) == std::optional<std::string>(expected), property,
            {{"input", input}, {"json", object}, {"member", member.value}, {"expected", expected}});
  };
  require_string(members[0], asio_fswatch::to_string(event.kind), "\"kind\" names the event's kind");
  require_string(members[1], asio_fswatch::to_string(event.type), "\"type\" names the entry's type");
  require_string(members[2], path, "\"path\" holds the path's bytes");
  require(detail::decode_json_string(members[2].value) == std::optional<std::string>(path),
          "decode_json_string gives back the path of a JSON event", {{"input", input}, {"json", object}});
  std::size_t next = 3;
  if (event.kind == event_kind::renamed || event.kind == event_kind::exchanged) {
    require_string(members[next], old_path, "\"old_path\" holds the old path's bytes");
    require(detail::decode_json_string(members[next].value) == std::optional<std::string>(old_path),
            "decode_json_string gives back the old path of a JSON event", {{"input", input}, {"json", object}});
    ++next;
  }
  if (event.kind == event_kind::exchanged) {
    require_string(members[next], asio_fswatch::to_string(event.old_type),
                   "\"old_type\" names the type of the entry at the old path");
    ++next;
  }
  if (event.kind == event_kind::error) {
    require_string(members[next], event.error.message(), "\"error\" holds the error's message");
    require(members[next + 1].value == std::to_string(event.error.value()),
            "\"code\" is the error's value as a JSON number", {{"input", input}, {"json", object}});
    require_string(members[next + 2], event.error.category().name(), "\"category\" names the error's category");
  }

  std::string line;
  detail::append_human(line, event);
  require(asio_fswatch::fuzz::is_valid_utf8(line), "a human event line is valid UTF-8",
          {{"input", input}, {"line", line}});
  for (const char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    require(byte >= 0x20 && byte != 0x7f, "a human event line is one line of printable text",
            {{"input", input}, {"line", line}});
  }
  const auto occurrences = [&](std::string_view separator) {
    std::size_t count = 0;
    for (std::size_t at = line.find(separator); at != std::string::npos; at = line.find(separator, at + 1))
      ++count;
    return count;
  };
  const bool renamed = event.kind == event_kind::renamed;
  const bool exchanged = event.kind == event_kind::exchanged;
  require(occurrences(" -> ") == (renamed ? 1u : 0u) && occurrences(" <-> ") == (exchanged ? 1u : 0u),
          "a human line splits one way only: one \" -> \" for renamed, one \" <-> \" for exchanged, "
          "none in a path",
          {{"input", input}, {"line", line}});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_json_string(input);
  check_decoder(input);
  check_event(input);
  return 0;
}
