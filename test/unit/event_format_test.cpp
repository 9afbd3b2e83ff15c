// SPDX-License-Identifier: BSL-1.0
// Unit tests of the text encodings of fs_event: JSON strings (with the surrogateescape mapping of
// invalid UTF-8), JSON objects, human-readable lines, and the names of kinds and types.
#include <boost/test/unit_test.hpp>

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <common/make_event.hpp>
#include <common/skip.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

using namespace std::string_literals;
using namespace std::string_view_literals;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
namespace detail = asio_fswatch::detail;

namespace {

const event_kind all_kinds[] = {event_kind::created,  event_kind::removed, event_kind::modified,
                                event_kind::attributes, event_kind::renamed, event_kind::exchanged,
                                event_kind::overflow, event_kind::error};
const entry_type all_types[] = {entry_type::file, entry_type::directory, entry_type::symlink,
                                entry_type::other, entry_type::unknown};

std::string json_of(std::string_view bytes) {
  std::string out;
  detail::append_json_string(out, bytes);
  return out;
}

std::string human_of(const fs_event& event) {
  std::string out;
  detail::append_human(out, event);
  return out;
}

/// An event whose paths have these bytes (on Windows, this UTF-8).
fs_event event_of(event_kind kind, std::string path, std::string old_path = {}) {
  return asio_fswatch::test::make_event(kind, detail::path_from_text(std::move(path)), entry_type::file,
                                        detail::path_from_text(std::move(old_path)));
}

/// Whether a path can hold any bytes, as POSIX names do. A Windows name is UTF-16, which the
/// encoders see as WTF-8: no byte of it can be outside a well-formed sequence. On Windows the
/// part of the test that gives a path such bytes is recorded as skipped.
bool paths_hold_any_bytes() {
#if defined(_WIN32)
  asio_fswatch::test::skip("byte_names", "Windows names are UTF-16: a path cannot hold invalid UTF-8",
                           asio_fswatch::test::skip_kind::platform);
  return false;
#else
  return true;
#endif
}

// --- An independent model of the rules, written differently from src/events/event_format.cpp -----------
// (it decodes code points arithmetically and then checks them, instead of range tables), so that
// the round-trip tests cannot pass with an encoder that merely escapes too much.

/// Length of the well-formed UTF-8 sequence at `text[index]` (1 for ASCII), 0 if there is none.
std::size_t model_sequence_length(std::string_view text, std::size_t index) {
  const auto lead = static_cast<unsigned char>(text[index]);
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) {
    length = 2;
    code_point = lead & 0x1fu;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3;
    code_point = lead & 0x0fu;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4;
    code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (index + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto continuation = static_cast<unsigned char>(text[index + k]);
    if ((continuation & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (continuation & 0x3fu);
  }
  const std::uint32_t smallest_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < smallest_for_length[length]) return 0; // overlong
  if (code_point >= 0xd800 && code_point <= 0xdfff) return 0;
  if (code_point > 0x10ffff) return 0;
  return length;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t index = 0; index < text.size();) {
    const std::size_t length = model_sequence_length(text, index);
    if (length == 0) return false;
    index += length;
  }
  return true;
}

std::string hex_byte(unsigned char byte) {
  constexpr std::string_view digits = "0123456789abcdef";
  return {digits[byte / 16], digits[byte % 16]};
}

// The walk both models share: a byte that starts no valid UTF-8 sequence becomes
// `invalid_prefix` and its two hex digits; a sequence whose first byte `escape` spells (a
// non-empty result) becomes that spelling; everything else is copied.
std::string model_escape(std::string_view bytes, std::string_view invalid_prefix,
                         std::string (*escape)(unsigned char byte)) {
  std::string out;
  for (std::size_t index = 0; index < bytes.size();) {
    const auto byte = static_cast<unsigned char>(bytes[index]);
    const std::size_t length = model_sequence_length(bytes, index);
    if (length == 0) {
      out.append(invalid_prefix);
      out += hex_byte(byte);
      ++index;
      continue;
    }
    const std::string escaped = escape(byte);
    if (!escaped.empty()) out += escaped;
    else out.append(bytes.substr(index, length));
    index += length;
  }
  return out;
}

std::string json_escape(unsigned char byte) {
  if (byte == '"') return "\\\"";
  if (byte == '\\') return "\\\\";
  if (byte == '\n') return "\\n";
  if (byte == '\r') return "\\r";
  if (byte == '\t') return "\\t";
  if (byte == '\b') return "\\b";
  if (byte == '\f') return "\\f";
  if (byte < 0x20 || byte == 0x7f) return "\\u00" + hex_byte(byte);
  return {};
}

std::string model_json_string(std::string_view bytes) {
  return '"' + model_escape(bytes, "\\udc", json_escape) + '"';
}

std::string human_escape(unsigned char byte) {
  if (byte == '\\') return "\\\\";
  if (byte == '\n') return "\\n";
  if (byte == '\r') return "\\r";
  if (byte == '\t') return "\\t";
  if (byte < 0x20 || byte == 0x7f) return "\\x" + hex_byte(byte);
  return {};
}

/// The separators of a human line (" -> ", " <-> " and ": ") never stand inside a path: after the
/// byte escapes, every ": " becomes "\x3a ", every " -> " becomes " -\x3e ", every " <-> "
/// becomes " <-\x3e ", and a path ending in " ->" or " <->" (which the separator's space would
/// complete) ends in " -\x3e" or " <-\x3e"; so does a path beginning with "->" or "<->" (the
/// line puts a space before every path).
std::string model_human_path(std::string_view bytes) {
  std::string escaped = model_escape(bytes, "\\x", human_escape);
  std::string out = " "; // the space before the path, removed below
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const std::string_view rest = std::string_view(escaped).substr(i);
    if (rest.substr(0, 2) == ": ") {
      out += "\\x3a";
    } else if (rest[0] == '>' &&
               ((out.size() >= 2 && out.compare(out.size() - 2, 2, " -") == 0) ||
                (out.size() >= 3 && out.compare(out.size() - 3, 3, " <-") == 0)) &&
               (rest.size() == 1 || rest[1] == ' ')) {
      out += "\\x3e";
    } else {
      out += rest[0];
    }
  }
  return out.substr(1);
}

/// Strict RFC 8259 string literal: quotes, only the eight short escapes and \uXXXX, no raw byte
/// below 0x20, and well-formed UTF-8 everywhere else.
bool is_strict_json_string(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"') return false;
  const std::string_view body = literal.substr(1, literal.size() - 2);
  for (std::size_t index = 0; index < body.size();) {
    const auto byte = static_cast<unsigned char>(body[index]);
    if (byte == '"' || byte < 0x20) return false;
    if (byte == '\\') {
      if (index + 1 >= body.size()) return false;
      const char escaped = body[index + 1];
      if (std::string_view("\"\\/bfnrt").find(escaped) != std::string_view::npos) {
        index += 2;
        continue;
      }
      if (escaped != 'u' || index + 6 > body.size()) return false;
      for (std::size_t k = index + 2; k < index + 6; ++k) {
        if (std::string_view("0123456789abcdefABCDEF").find(body[k]) == std::string_view::npos) {
          return false;
        }
      }
      index += 6;
      continue;
    }
    const std::size_t length = model_sequence_length(body, index);
    if (length == 0) return false;
    index += length;
  }
  return true;
}

// The loops below check millions of inputs. Boost.Test's bookkeeping of a passing assertion
// costs far more than the check itself (minutes under the sanitizers), so they check first and
// assert only to report a failure.
#define REQUIRE_QUIETLY(condition, message)                                                        \
  do {                                                                                             \
    if (!(condition))                                                                              \
      BOOST_TEST_REQUIRE((condition), message);                                                    \
  } while (false)

std::string hex_of(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

void check_encoding_of(std::string_view bytes) {
  const std::string encoded = json_of(bytes);
  REQUIRE_QUIETLY(encoded == model_json_string(bytes), "encoding of bytes " << hex_of(bytes));
  REQUIRE_QUIETLY(is_strict_json_string(encoded), "not strict JSON for bytes " << hex_of(bytes));
  const std::optional<std::string> decoded = detail::decode_json_string(encoded);
  REQUIRE_QUIETLY(decoded.has_value(), "no decoding for bytes " << hex_of(bytes));
  REQUIRE_QUIETLY(*decoded == std::string(bytes), "round trip of bytes " << hex_of(bytes));
}

void append_code_point(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

/// Byte strings built from pieces that stress the encoder: plain ASCII runs, characters that must
/// be escaped, valid multi-byte UTF-8, random bytes, and near-misses of valid sequences.
class random_byte_strings {
public:
  explicit random_byte_strings(std::uint32_t seed) : engine_(seed) {}

  std::string next() {
    std::string bytes;
    const int piece_count = pick(0, 24);
    for (int piece = 0; piece < piece_count; ++piece) {
      switch (pick(0, 5)) {
      case 0:
        for (int n = pick(1, 12); n > 0; --n) bytes += static_cast<char>(pick(0x20, 0x7e));
        break;
      case 1: bytes += "\"\\/\x7f"[pick(0, 3)]; break;
      case 2: bytes += static_cast<char>(pick(0x00, 0x1f)); break;
      case 3: append_code_point(bytes, random_scalar_value()); break;
      case 4: bytes += static_cast<char>(pick(0x00, 0xff)); break;
      case 5: {
        const std::string_view near_miss = near_misses[pick(0, std::size(near_misses) - 1)];
        // Sometimes only a prefix: truncated sequences, at the end or in the middle.
        bytes += near_miss.substr(0, pick(1, near_miss.size()));
        break;
      }
      }
    }
    return bytes;
  }

private:
  template <typename Integer>
  Integer pick(Integer low, Integer high) {
    return std::uniform_int_distribution<Integer>(low, high)(engine_);
  }
  int pick(int low, int high) { return pick<int>(low, high); }
  std::size_t pick(int low, std::size_t high) { return pick<std::size_t>(low, high); }

  std::uint32_t random_scalar_value() {
    // Spread over the 2-, 3- and 4-byte ranges rather than uniformly over code points, which
    // would make almost every character a 4-byte one.
    static const std::pair<std::uint32_t, std::uint32_t> ranges[] = {
        {0x80, 0x7ff}, {0x800, 0xd7ff}, {0xe000, 0xffff}, {0x10000, 0x10ffff}};
    const auto& [low, high] = ranges[pick(0, 3)];
    return pick<std::uint32_t>(low, high);
  }

  static constexpr std::string_view near_misses[] = {
      "\xc0\x80",         "\xc1\xbf",         "\xe0\x80\x80",     "\xe0\x9f\xbf",
      "\xed\xa0\x80",     "\xed\xbf\xbf",     "\xed\xb2\x80",     "\xf0\x80\x80\x80",
      "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf",
      "\xf8\x88\x80\x80", "\xff",             "\xfe",             "\x80",
      "\xbf",             "\xe2\x82\xac",     "\xf0\x9f\x98\x80", "\xed\x9f\xbf",
      "\xee\x80\x80",     "\xf4\x8f\xbf\xbf", "\xc2\x80",         "\xdf\xbf"};

  std::mt19937 engine_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(event_format)

// --- Names ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(kind_names_are_the_documented_ones_and_round_trip) {
  const char* const expected[] = {"created", "removed", "modified", "attributes",
                                  "renamed", "exchanged", "overflow", "error"};
  for (std::size_t i = 0; i < std::size(all_kinds); ++i) {
    BOOST_TEST(asio_fswatch::to_string(all_kinds[i]) == expected[i]);
    BOOST_TEST((asio_fswatch::event_kind_from_string(expected[i]) == all_kinds[i]));
  }
}

BOOST_AUTO_TEST_CASE(type_names_are_the_documented_ones_and_round_trip) {
  const char* const expected[] = {"file", "directory", "symlink", "other", "unknown"};
  for (std::size_t i = 0; i < std::size(all_types); ++i) {
    BOOST_TEST(asio_fswatch::to_string(all_types[i]) == expected[i]);
    BOOST_TEST((asio_fswatch::entry_type_from_string(expected[i]) == all_types[i]));
  }
}

BOOST_AUTO_TEST_CASE(unknown_names_are_rejected) {
  for (const std::string_view name : {"", "Created", "create", "created ", "file", "unknown"}) {
    BOOST_TEST(!asio_fswatch::event_kind_from_string(name).has_value(), name);
  }
  for (const std::string_view name : {""sv, "File"sv, "dir"sv, "directory\0"sv}) {
    BOOST_TEST(!asio_fswatch::entry_type_from_string(name).has_value(), name);
  }
}

BOOST_AUTO_TEST_CASE(names_stream_like_strings) {
  std::ostringstream stream;
  stream << event_kind::renamed << '|' << entry_type::symlink << '|' << std::setw(9)
         << event_kind::error << '|' << std::left << std::setw(6) << entry_type::file << '|';
  BOOST_TEST(stream.str() == "renamed|symlink|    error|file  |");
}

// --- JSON strings -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(json_string_copies_plain_text_and_escapes_quote_and_backslash) {
  BOOST_TEST(json_of("") == R"("")");
  BOOST_TEST(json_of("/abs/a.txt") == R"("/abs/a.txt")");
  BOOST_TEST(json_of(R"(say "hi" \ bye)") == R"("say \"hi\" \\ bye")");
  BOOST_TEST(json_of("~!@#$%^&*()_+{}|:<>?`-=[];',./") == R"("~!@#$%^&*()_+{}|:<>?`-=[];',./")");
}

BOOST_AUTO_TEST_CASE(json_string_escapes_every_control_character_and_del) {
  const char* const expected[0x20] = {
      "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
      "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
      "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
      "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
  for (int byte = 0; byte < 0x20; ++byte) {
    const std::string input = "a"s + static_cast<char>(byte) + "b";
    BOOST_TEST(json_of(input) == "\"a"s + expected[byte] + "b\"", "byte " << byte);
  }
  BOOST_TEST(json_of("\x7f") == R"("\u007f")");
}

BOOST_AUTO_TEST_CASE(json_string_copies_valid_utf8_at_every_boundary) {
  for (const std::string_view valid :
       {"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
        "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "caf\xc3\xa9", "\xe2\x82\xac 5",
        "\xf0\x9f\x98\x80!", "\xe6\x97\xa5\xe6\x9c\xac"}) {
    BOOST_TEST(json_of(valid) == "\"" + std::string(valid) + "\"");
  }
}

BOOST_AUTO_TEST_CASE(json_string_escapes_each_invalid_byte_as_a_low_surrogate) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"\x80", R"("\udc80")"},
      {"\xff", R"("\udcff")"},
      {"a\xbf" "b", R"("a\udcbfb")"},
      // overlong forms
      {"\xc0\x80", R"("\udcc0\udc80")"},
      {"\xc1\xbf", R"("\udcc1\udcbf")"},
      {"\xe0\x80\xaf", R"("\udce0\udc80\udcaf")"},
      {"\xe0\x9f\xbf", R"("\udce0\udc9f\udcbf")"},
      {"\xf0\x8f\xbf\xbf", R"("\udcf0\udc8f\udcbf\udcbf")"},
      // UTF-16 surrogates encoded in UTF-8 (CESU-8 style), lone and paired
      {"\xed\xa0\x80", R"("\udced\udca0\udc80")"},
      {"\xed\xb2\x80", R"("\udced\udcb2\udc80")"},
      {"\xed\xa0\xbd\xed\xb8\x80", R"("\udced\udca0\udcbd\udced\udcb8\udc80")"},
      // beyond U+10FFFF, and leads that never start a sequence
      {"\xf4\x90\x80\x80", R"("\udcf4\udc90\udc80\udc80")"},
      {"\xf5\x80\x80\x80", R"("\udcf5\udc80\udc80\udc80")"},
      {"\xf8\x88\x80\x80\x80", R"("\udcf8\udc88\udc80\udc80\udc80")"},
      {"\xfe\xff", R"("\udcfe\udcff")"},
      // truncated sequences: at the end, before ASCII, before another sequence
      {"\xe2\x82", R"("\udce2\udc82")"},
      {"\xf0\x9f\x98", R"("\udcf0\udc9f\udc98")"},
      {"\xe2\x82" "A", R"("\udce2\udc82A")"},
      {"\xe2\xe2\x82\xac", "\"\\udce2\xe2\x82\xac\""},
      {"\xc3" "\xc3\xa9", "\"\\udcc3\xc3\xa9\""},
      // a valid sequence right after a stray continuation byte is kept
      {"\x80\xc3\xa9\x80", "\"\\udc80\xc3\xa9\\udc80\""},
  };
  for (const auto& [input, expected] : cases) {
    BOOST_TEST(json_of(input) == expected);
  }
}

BOOST_AUTO_TEST_CASE(encoders_never_look_past_the_end_of_their_input) {
  // Views that stop inside a sequence whose remaining bytes follow in memory: a truncated
  // sequence must be judged on the view alone.
  const std::string_view euro = "\xe2\x82\xac";
  const std::string_view emoji = "\xf0\x9f\x98\x80";
  BOOST_TEST(json_of(euro.substr(0, 1)) == R"("\udce2")");
  BOOST_TEST(json_of(euro.substr(0, 2)) == R"("\udce2\udc82")");
  BOOST_TEST(json_of(emoji.substr(0, 3)) == R"("\udcf0\udc9f\udc98")");
  if (paths_hold_any_bytes())
    BOOST_TEST(human_of(event_of(event_kind::created, std::string(emoji.substr(0, 2)))).substr(22) == R"(\xf0\x9f)");
  const std::string_view literal = "\"\xe2\x82\xac\"";
  BOOST_TEST(!detail::decode_json_string(literal.substr(0, 3)).has_value());
  const std::string_view escaped_pair = R"("\ud83d\ude00")";
  BOOST_TEST(!detail::decode_json_string(escaped_pair.substr(0, 10)).has_value());
  BOOST_TEST(!detail::decode_json_string(escaped_pair.substr(0, 12)).has_value());
}

BOOST_AUTO_TEST_CASE(json_string_appends_to_what_is_already_there) {
  std::string out = "prefix:";
  detail::append_json_string(out, "a\nb");
  detail::append_json_string(out, "\xff");
  BOOST_TEST(out == R"(prefix:"a\nb""\udcff")");
}

// --- Decoding ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(decode_undoes_every_json_escape) {
  const std::pair<std::string_view, std::string> cases[] = {
      {R"("")", ""},
      {R"("plain")", "plain"},
      {R"("\"\\\/\b\f\n\r\t")", "\"\\/\b\f\n\r\t"},
      {R"("\u0041\u00e9\u00E9\u20ac\uffff")", "A\xc3\xa9\xc3\xa9\xe2\x82\xac\xef\xbf\xbf"},
      {R"("a\u0000b")", "a\0b"s},
      {R"("\u007f\u001F")", "\x7f\x1f"},
      {"\"caf\xc3\xa9 \xf0\x9f\x98\x80\x7f\"", "caf\xc3\xa9 \xf0\x9f\x98\x80\x7f"},
  };
  for (const auto& [literal, expected] : cases) {
    const auto decoded = detail::decode_json_string(literal);
    BOOST_TEST_REQUIRE(decoded.has_value(), literal);
    BOOST_TEST(*decoded == expected, literal);
  }
}

BOOST_AUTO_TEST_CASE(decode_joins_surrogate_pairs_and_maps_escaped_bytes_back) {
  const std::pair<std::string_view, std::string> cases[] = {
      // what Python's json.dumps writes for astral characters
      {R"("\ud83d\ude00")", "\xf0\x9f\x98\x80"},
      {R"("\uD83D\uDE00")", "\xf0\x9f\x98\x80"},
      {R"("\ud800\udc00\udbff\udfff")", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"},
      // a low half in dc80..dcff after a high half is still a pair, not a byte
      {R"("\ud800\udc80")", "\xf0\x90\x82\x80"},
      // lone low surrogates dc80..dcff are the escaped bytes
      {R"("\udc80\udcff\uDCAB")", "\x80\xff\xab"},
      {R"("x\udce2\udc82\udcacy")", "x\xe2\x82\xacy"},
      {R"("\udcff\ud83d\ude00\udc80")", "\xff\xf0\x9f\x98\x80\x80"},
  };
  for (const auto& [literal, expected] : cases) {
    const auto decoded = detail::decode_json_string(literal);
    BOOST_TEST_REQUIRE(decoded.has_value(), literal);
    BOOST_TEST(*decoded == expected, literal);
  }
}

BOOST_AUTO_TEST_CASE(decode_rejects_what_is_not_one_json_string) {
  const std::string_view malformed[] = {
      "", R"(")", "abc", R"("abc)", R"(abc")", R"('abc')", R"( "abc")", R"("abc" )", R"("a"b")",
      R"("a""b")", "\"a\nb\"", "\"a\tb\"", "\"\x1f\"", "\"a\0b\""sv,
      // bad escapes
      R"("\")", R"("\x41")", R"("\U0041")", R"("\a")", R"("\'")", R"("\u")", R"("\u12")",
      R"("\u12g4")", R"("\u 123")", R"("\u123")", R"("abc\)",
      // surrogates that are not a pair, or not an escaped byte
      R"("\ud800")", R"("\ud800x")", R"("\ud800\u0041")", R"("\ud800\ud800")", R"("\ud800\")",
      R"("\ud800\udc")", R"("\udbff\n")", R"("\udc00")", R"("\udc7f")", R"("\udd00")",
      R"("\udfff")", R"("\ude00\ud83d")",
      // raw bytes that are not UTF-8: JSON text must be
      "\"\x80\"", "\"\xff\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"", "\"\xf4\x90\x80\x80\""};
  for (const std::string_view literal : malformed) {
    BOOST_TEST(!detail::decode_json_string(literal).has_value(), literal);
  }
}

// --- Round trip -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(round_trip_every_short_byte_string) {
  check_encoding_of("");
  for (int first = 0; first < 256; ++first) {
    for (int second = 0; second < 256; ++second) {
      const char pair[2] = {static_cast<char>(first), static_cast<char>(second)};
      check_encoding_of(std::string_view(pair, 1));
      check_encoding_of(std::string_view(pair, 2));
    }
  }
  // Four-byte strings over one representative of each class the UTF-8 rules distinguish: every
  // combination of lead ranges, continuation sub-ranges and ASCII specials.
  const unsigned char representatives[] = {0x00, 0x0a, 0x1f, 0x22, 0x2f, 0x41, 0x5c, 0x7f,
                                           0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
                                           0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef,
                                           0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff};
  char bytes[4];
  for (const unsigned char a : representatives) {
    bytes[0] = static_cast<char>(a);
    for (const unsigned char b : representatives) {
      bytes[1] = static_cast<char>(b);
      for (const unsigned char c : representatives) {
        bytes[2] = static_cast<char>(c);
        check_encoding_of(std::string_view(bytes, 3));
        for (const unsigned char d : representatives) {
          bytes[3] = static_cast<char>(d);
          check_encoding_of(std::string_view(bytes, 4));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(every_byte_at_every_offset_of_a_long_ascii_run) {
  // Long runs of plain ASCII take a word-at-a-time path: each byte value must be caught in every
  // lane of a word, and right before or after one.
  const bool any_bytes = paths_hold_any_bytes();
  for (int byte = 0; byte < 256; ++byte) {
    for (std::size_t offset = 0; offset < 24; ++offset) {
      std::string bytes(24, 'a');
      bytes[offset] = static_cast<char>(byte);
      check_encoding_of(bytes);
      if (byte >= 0x80 && !any_bytes)
        continue;
      const std::string line = human_of(event_of(event_kind::created, bytes));
      REQUIRE_QUIETLY(line.substr(22) == model_human_path(bytes), "human line of bytes " << hex_of(bytes));
    }
  }
}

BOOST_AUTO_TEST_CASE(round_trip_pseudo_random_byte_strings) {
  random_byte_strings generator(20240611);
  constexpr int string_count = 300'000;
  std::size_t invalid_inputs = 0;
  for (int i = 0; i < string_count; ++i) {
    const std::string bytes = generator.next();
    if (!is_valid_utf8(bytes)) ++invalid_inputs;
    check_encoding_of(bytes);
  }
  // The generator must exercise both sides of the mapping, not just one.
  BOOST_TEST(invalid_inputs > string_count / 10);
  BOOST_TEST(invalid_inputs < string_count * 9 / 10);
}

// --- JSON objects -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(json_object_has_the_documented_layout) {
  std::string out;
  detail::append_json(out, fs_event{event_kind::created, "/abs/a.txt", {}, entry_type::file, {}});
  BOOST_TEST(out == R"({"kind":"created","type":"file","path":"/abs/a.txt"})");

  out.clear();
  detail::append_json(out,
                      fs_event{event_kind::renamed, "/abs/new", "/abs/old", entry_type::directory, {}});
  BOOST_TEST(out == R"({"kind":"renamed","type":"directory","path":"/abs/new","old_path":"/abs/old"})");

  out.clear();
  detail::append_json(out, fs_event{event_kind::overflow, "/abs", {}, entry_type::unknown, {}});
  BOOST_TEST(out == R"({"kind":"overflow","type":"unknown","path":"/abs"})");

  // old_path belongs to renamed and exchanged, old_type to exchanged: the type of the entry now
  // at old_path.
  out.clear();
  fs_event swap{event_kind::exchanged, "/abs/b", "/abs/a", entry_type::file, {}};
  swap.old_type = entry_type::directory;
  detail::append_json(out, swap);
  BOOST_TEST(out == R"({"kind":"exchanged","type":"file","path":"/abs/b","old_path":"/abs/a","old_type":"directory"})");

  // old_path and error belong to renamed, exchanged and error only, whatever else the event holds.
  out.clear();
  detail::append_json(out, fs_event{event_kind::modified, "/abs/f", "/abs/stale", entry_type::file,
                                    make_error_code(asio_fswatch::errc::root_removed)});
  BOOST_TEST(out == R"({"kind":"modified","type":"file","path":"/abs/f"})");

  // The root the event belongs to, when it names one: after the paths, before an error's members.
  out.clear();
  fs_event rooted{event_kind::created, "/abs/tree/a", {}, entry_type::file, {}};
  rooted.root = "/abs/tree";
  detail::append_json(out, rooted);
  BOOST_TEST(out == R"({"kind":"created","type":"file","path":"/abs/tree/a","root":"/abs/tree"})");
  out.clear();
  rooted.kind = event_kind::error;
  rooted.error = make_error_code(asio_fswatch::errc::watch_limit_reached);
  detail::append_json(out, rooted);
  BOOST_TEST(out.find(R"("path":"/abs/tree/a","root":"/abs/tree","error":)") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(json_object_of_an_error_names_message_code_and_category) {
  std::string out = "[";
  detail::append_json(out, fs_event{event_kind::error, "/abs/d", {}, entry_type::directory,
                                    make_error_code(asio_fswatch::errc::watch_limit_reached)});
  BOOST_TEST(out == R"([{"kind":"error","type":"directory","path":"/abs/d",)"
                    R"json("error":"inotify watch limit reached (raise sysctl fs.inotify.max_user_watches)",)json"
                    R"("code":1,"category":"asio_fswatch"})");

  const boost::system::error_code denied(EACCES, boost::system::system_category());
  out.clear();
  detail::append_json(out, fs_event{event_kind::error, "/abs/d", {}, entry_type::directory, denied});
  BOOST_TEST(out == R"({"kind":"error","type":"directory","path":"/abs/d","error":)" +
                        json_of(denied.message()) + ",\"code\":" + std::to_string(EACCES) +
                        R"(,"category":"system"})");

  const boost::system::error_code negative(-42, boost::system::generic_category());
  out.clear();
  detail::append_json(out, fs_event{event_kind::error, "/x", {}, entry_type::unknown, negative});
  BOOST_TEST(out.find(R"("code":-42,"category":"generic"})") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(json_object_keeps_undecodable_path_bytes) {
  if (!paths_hold_any_bytes())
    return;
  const std::string new_name = "/abs/caf\xc3\xa9\xff\n";
  const std::string old_name = "/abs/\"quoted\"\xe9";
  std::string out;
  detail::append_json(out, fs_event{event_kind::renamed, new_name, old_name, entry_type::file, {}});
  BOOST_TEST(out == "{\"kind\":\"renamed\",\"type\":\"file\",\"path\":\"/abs/caf\xc3\xa9\\udcff\\n\","
                    "\"old_path\":\"/abs/\\\"quoted\\\"\\udce9\"}");
  BOOST_TEST(is_valid_utf8(out));
  const std::size_t path_start = out.find("\"path\":") + 7;
  const std::size_t path_end = out.find(",\"old_path\"");
  BOOST_TEST((detail::decode_json_string(out.substr(path_start, path_end - path_start)) == new_name));
}

#if defined(_WIN32)
// A Windows name may hold a lone surrogate. Its text is WTF-8, whose three bytes for it are no
// well-formed UTF-8: each is escaped as an invalid byte is, so the output stays valid UTF-8, and
// the JSON string gives back the text, from which the name comes back.
BOOST_AUTO_TEST_CASE(a_lone_surrogate_gives_valid_json_and_a_valid_human_line) {
  fs_event event;
  event.kind = event_kind::created;
  event.type = entry_type::file;
  event.path = std::filesystem::path(std::wstring{L'/', L'a', wchar_t(0xd800)});
  std::string json;
  detail::append_json(json, event);
  BOOST_TEST(is_valid_utf8(json), json);
  BOOST_TEST(is_valid_utf8(human_of(event)), human_of(event));
  const std::size_t start = json.find("\"path\":") + 7;
  const std::optional<std::string> decoded = detail::decode_json_string(json.substr(start, json.size() - 1 - start));
  BOOST_TEST_REQUIRE(decoded.has_value());
  BOOST_TEST((detail::path_from_text(*decoded).native() == event.path.native()));
}
#endif

// --- Human lines ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(human_line_pads_kind_and_type_to_ten_columns) {
  BOOST_TEST(human_of({event_kind::created, "/abs/a.txt", {}, entry_type::file, {}}) ==
             "created    file       /abs/a.txt");
  BOOST_TEST(human_of({event_kind::attributes, "/a", {}, entry_type::directory, {}}) ==
             "attributes directory  /a");
  BOOST_TEST(human_of({event_kind::overflow, "/", {}, entry_type::unknown, {}}) ==
             "overflow   unknown    /");
  BOOST_TEST(human_of({event_kind::renamed, "/a/new", "/a/old", entry_type::symlink, {}}) ==
             "renamed    symlink    /a/old -> /a/new");
  BOOST_TEST(human_of({event_kind::error, "/a/d", {}, entry_type::directory,
                       make_error_code(asio_fswatch::errc::not_watched)}) ==
             "error      directory  /a/d: path is not a watched root");
  fs_event swap{event_kind::exchanged, "/a/y", "/a/x", entry_type::file, {}};
  swap.old_type = entry_type::file;
  BOOST_TEST(human_of(swap) == "exchanged  file       /a/x <-> /a/y");
  // Two types, in the order of the paths: /a/x holds a directory now, /a/y a file.
  swap.old_type = entry_type::directory;
  BOOST_TEST(human_of(swap) == "exchanged  directory,file /a/x <-> /a/y");
  for (const event_kind kind : all_kinds) {
    for (const entry_type type : all_types) {
      fs_event event{kind, "/p", "/o", type, {}};
      event.old_type = type; // one type column, as for any other kind
      const std::string line = human_of(event);
      BOOST_TEST(line.substr(0, 11).find_last_not_of(' ') + 1 == asio_fswatch::to_string(kind).size());
      BOOST_TEST(line.substr(11, 11).find_last_not_of(' ') + 1 == asio_fswatch::to_string(type).size());
      BOOST_TEST(line[22] == '/');
    }
  }
}

BOOST_AUTO_TEST_CASE(human_line_escapes_what_would_break_the_line) {
  const auto line_of = [](std::string_view path) {
    return human_of(event_of(event_kind::removed, std::string(path))).substr(22);
  };
  BOOST_TEST(line_of("/a\\b") == R"(/a\\b)");
  BOOST_TEST(line_of("/a\nb\tc\rd") == R"(/a\nb\tc\rd)");
  BOOST_TEST(line_of("/\x01\x1b[31m\x7f\b\f") == R"(/\x01\x1b[31m\x7f\x08\x0c)");
  BOOST_TEST(line_of("/a\0b"s) == R"(/a\x00b)");
  if (paths_hold_any_bytes())
    BOOST_TEST(line_of("/\xff\xc0\x80\xed\xa0\x80" "A") == R"(/\xff\xc0\x80\xed\xa0\x80A)");
  BOOST_TEST(line_of("/caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"q\"") ==
             "/caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"q\"");

  // The line's separators inside a name: escaped, so that a line splits one way only.
  BOOST_TEST(line_of("/a -> b") == R"(/a -\x3e b)");
  BOOST_TEST(line_of("/a: b") == R"(/a\x3a b)");
  BOOST_TEST(line_of("/a ->") == R"(/a -\x3e)");
  BOOST_TEST(line_of("/a -> -> b") == R"(/a -\x3e -\x3e b)");
  BOOST_TEST(line_of("/a->b /c:d /e -> /f >g :") == R"(/a->b /c:d /e -\x3e /f >g :)");
  BOOST_TEST(human_of({event_kind::renamed, "/y", "/x ->", entry_type::file, {}}) ==
             R"(renamed    file       /x -\x3e -> /y)");
  // A path beginning with an arrow would make one with the space before it (found by
  // fuzz_json): its '>' is escaped too.
  BOOST_TEST(line_of("-> 6") == R"(-\x3e 6)");
  BOOST_TEST(line_of("<-> 6") == R"(<-\x3e 6)");
  BOOST_TEST(line_of("->") == R"(-\x3e)");
  BOOST_TEST(line_of("->x") == "->x");
  BOOST_TEST(human_of({event_kind::renamed, "/y", "-> a", entry_type::file, {}}) ==
             R"(renamed    file       -\x3e a -> /y)");
  BOOST_TEST(line_of("/a <-> b") == R"(/a <-\x3e b)");
  BOOST_TEST(line_of("/a <->") == R"(/a <-\x3e)");
  BOOST_TEST(line_of("/a<-> b /c <->d /e <- f") == R"(/a<-> b /c <->d /e <- f)");
  fs_event swap{event_kind::exchanged, "/y <-> z", "/x <->", entry_type::file, {}};
  swap.old_type = entry_type::file;
  BOOST_TEST(human_of(swap) == R"(exchanged  file       /x <-\x3e <-> /y <-\x3e z)");

  const boost::system::error_code denied(EACCES, boost::system::system_category());
  if (paths_hold_any_bytes())
    BOOST_TEST(human_of(event_of(event_kind::renamed, "/n\n", "/o\xff")) == R"(renamed    file       /o\xff -> /n\n)");
  BOOST_TEST(human_of({event_kind::error, "/d\t", {}, entry_type::other, denied}) ==
             R"(error      other      /d\t: )" + denied.message());
}

BOOST_AUTO_TEST_CASE(human_line_of_any_path_is_one_line_of_valid_utf8) {
  if (!paths_hold_any_bytes())
    return;
  random_byte_strings generator(7);
  for (int i = 0; i < 50'000; ++i) {
    const std::string path = generator.next();
    const std::string line = human_of({event_kind::modified, path, {}, entry_type::file, {}});
    REQUIRE_QUIETLY(line == "modified   file       " + model_human_path(path), "path bytes " << hex_of(path));
    REQUIRE_QUIETLY(is_valid_utf8(line), "path bytes " << hex_of(path));
    for (const char c : line) {
      REQUIRE_QUIETLY((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f),
                      "control byte in the line of path bytes " << hex_of(path));
    }
  }
}

BOOST_AUTO_TEST_CASE(streaming_an_event_writes_its_human_line) {
  const fs_event events[] = {
      {event_kind::renamed, "/a/new", "/a/old", entry_type::directory, {}},
      {event_kind::created, "/a/\xff\n", {}, entry_type::file, {}},
      {event_kind::error, "/a", {}, entry_type::directory,
       make_error_code(asio_fswatch::errc::root_removed)},
  };
  for (const fs_event& event : events) {
    std::ostringstream stream;
    stream << event;
    BOOST_TEST(stream.str() == human_of(event));
  }
  std::ostringstream stream;
  stream << events[0];
  BOOST_TEST(stream.str() == "renamed    directory  /a/old -> /a/new");
}

BOOST_AUTO_TEST_SUITE_END()
