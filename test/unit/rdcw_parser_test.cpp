// SPDX-License-Identifier: BSL-1.0
// Unit tests for detail/rdcw_parser.hpp: the encoder against Windows' layouts, actions and rename
// pairing, names to WTF-8 path text, every malformed shape (each keeping the changes before it),
// packed records as Wine writes them, extended attributes, and random round trips and mutations
// (which must never make the parser read outside the bytes it was given; run once under ASan).
#include <asio_fswatch/detail/rdcw_parser.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace detail = asio_fswatch::detail;
namespace action = asio_fswatch::detail::rdcw_action;
using asio_fswatch::entry_type;
using detail::change_kind;
using detail::change_record;
using detail::rdcw_encoder;
using detail::rdcw_format;

namespace {

constexpr rdcw_format basic = rdcw_format::basic;
constexpr rdcw_format extended = rdcw_format::extended;

// The bytes in a heap block of exactly their size, so that AddressSanitizer catches a read one
// byte past the end (a std::string has spare capacity and a terminating NUL to hide it).
struct exact_buffer {
  explicit exact_buffer(std::string_view bytes)
      : size(bytes.size()), data(std::make_unique<char[]>(bytes.size() ? bytes.size() : 1)) {
    if (!bytes.empty())
      std::memcpy(data.get(), bytes.data(), bytes.size());
  }
  std::string_view view() const { return {data.get(), size}; }
  std::size_t size;
  std::unique_ptr<char[]> data;
};

struct parsed {
  detail::rdcw_parse_result result;
  std::vector<change_record> changes;
};

// Parsed after a change already in the output, which must stay as it was: the parser appends.
parsed parse(std::string_view bytes, rdcw_format format = basic) {
  exact_buffer buffer(bytes);
  parsed out;
  out.changes.push_back(change_record{change_kind::modified, "earlier", "", entry_type::file});
  out.result = detail::parse_rdcw_records(buffer.view(), format, out.changes);
  BOOST_TEST_REQUIRE((out.changes.front().kind == change_kind::modified && out.changes.front().path == "earlier" &&
                      out.changes.front().old_path.empty() && out.changes.front().type == entry_type::file));
  out.changes.erase(out.changes.begin());
  return out;
}

change_record change(change_kind kind, std::string path, std::string old_path = {},
                     entry_type type = entry_type::unknown) {
  return change_record{kind, std::move(path), std::move(old_path), type};
}

// As numbers: the enums' operator<< live in the library's fs_event.cpp, which this file can do
// without.
int code(change_kind kind) { return static_cast<int>(kind); }
int code(entry_type type) { return static_cast<int>(type); }

void check_changes(const std::vector<change_record>& actual, const std::vector<change_record>& expected) {
  BOOST_TEST_REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST_CONTEXT("change " << i) {
      BOOST_TEST(code(actual[i].kind) == code(expected[i].kind));
      BOOST_TEST(actual[i].path == expected[i].path);
      BOOST_TEST(actual[i].old_path == expected[i].old_path);
      BOOST_TEST(code(actual[i].type) == code(expected[i].type));
    }
  }
}

// The path text of one name, alone in a buffer.
std::string text_of(std::u16string_view name) {
  rdcw_encoder encoder;
  encoder.add(action::added, name);
  parsed p = parse(encoder.bytes());
  BOOST_TEST_REQUIRE(!p.result.malformed);
  BOOST_TEST_REQUIRE(p.changes.size() == 1u);
  return p.changes[0].path;
}

// Little-endian, byte by byte: the layout test does not lean on the encoder's own stores.
std::string le(std::uint32_t value, std::size_t size = 4) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i, value >>= 8)
    out.push_back(static_cast<char>(value & 0xff));
  return out;
}

// A good record, the record under test at `bad`, and one after it that the parse must not reach.
struct bad_buffer {
  std::string bytes;
  std::size_t bad;
  void patch(std::size_t field, std::uint32_t value) { bytes.replace(bad + field, 4, le(value)); }
};

bad_buffer around(std::uint32_t bad_action, std::u16string_view bad_name) {
  rdcw_encoder encoder;
  encoder.add(action::modified, u"keep");
  const std::size_t bad = encoder.add(bad_action, bad_name);
  encoder.add(action::added, u"after");
  return {encoder.take(), bad};
}

void check_stopped_after_the_first(const parsed& p) {
  BOOST_TEST(p.result.malformed);
  BOOST_TEST(!p.result.overflow);
  BOOST_TEST(p.result.records == 1u);
  check_changes(p.changes, {change(change_kind::modified, "keep")});
}

} // namespace

BOOST_AUTO_TEST_SUITE(rdcw_parser)

BOOST_AUTO_TEST_CASE(encoder_matches_the_windows_layouts) {
  const std::string a = le(u'a', 2), b = le(u'b', 2), c = le(u'c', 2);
  // FILE_NOTIFY_INFORMATION: NextEntryOffset, Action, FileNameLength, FileName; DWORD aligned.
  rdcw_encoder aligned;
  BOOST_TEST(aligned.add(action::added, u"a") == 0u);
  BOOST_TEST(aligned.add(action::removed, u"bc") == 16u);
  BOOST_TEST(aligned.bytes() == le(16) + le(1) + le(2) + a + le(0, 2) + le(0) + le(2) + le(4) + b + c);
  rdcw_encoder packed(basic, false);
  packed.add(action::added, u"a");
  BOOST_TEST(packed.add(action::removed, u"bc") == 14u);
  BOOST_TEST(packed.take() == le(14) + le(1) + le(2) + a + le(0) + le(2) + le(4) + b + c);
  BOOST_TEST(packed.bytes().empty());
  BOOST_TEST(packed.add(action::modified, u"c") == 0u); // starts again, no link to the taken one
  BOOST_TEST(packed.bytes() == le(0) + le(3) + le(2) + c);
  // FILE_NOTIFY_EXTENDED_INFORMATION: times and sizes (48 bytes), FileAttributes at 56,
  // ReparsePointTag, FileId, ParentFileId, FileNameLength at 80, FileName at 84; 8-byte aligned.
  rdcw_encoder wide(extended);
  wide.add(action::renamed_old_name, u"abc", 0x10); // ends at 90: 92 would do for a DWORD, not here
  BOOST_TEST(wide.add(action::renamed_new_name, u"b", 0x20) == 96u);
  const std::string zeros48(48, '\0'), zeros20(20, '\0');
  BOOST_TEST(wide.bytes() == le(96) + le(4) + zeros48 + le(0x10) + zeros20 + le(6) + a + b + c + le(0, 6) +
                                 le(0) + le(5) + zeros48 + le(0x20) + zeros20 + le(2) + b);
}

BOOST_AUTO_TEST_CASE(each_action_alone) {
  const std::pair<std::uint32_t, change_kind> expectations[] = {
      {action::added, change_kind::created},           {action::removed, change_kind::removed},
      {action::modified, change_kind::modified},       {action::renamed_old_name, change_kind::removed},
      {action::renamed_new_name, change_kind::created}};
  for (const auto& [raw_action, kind] : expectations) {
    BOOST_TEST_CONTEXT("action " << raw_action) {
      rdcw_encoder encoder;
      encoder.add(raw_action, u"name.txt");
      parsed p = parse(encoder.bytes());
      BOOST_TEST(!p.result.malformed);
      BOOST_TEST(!p.result.overflow);
      BOOST_TEST(p.result.records == 1u);
      check_changes(p.changes, {change(kind, "name.txt")});
    }
  }
}

BOOST_AUTO_TEST_CASE(rename_pairs_and_lone_halves) {
  rdcw_encoder encoder;
  encoder.add(action::renamed_new_name, u"moved_in");  // a lone new name first: created
  encoder.add(action::renamed_old_name, u"old");
  encoder.add(action::renamed_new_name, u"new");       // a pair
  encoder.add(action::renamed_old_name, u"moved_out"); // followed by something else: removed
  encoder.add(action::modified, u"x");
  encoder.add(action::renamed_old_name, u"a");
  encoder.add(action::renamed_old_name, u"b");         // an old name after an old name
  encoder.add(action::renamed_new_name, u"c");
  encoder.add(action::renamed_old_name, u"last");      // last in the buffer: removed
  parsed p = parse(encoder.bytes());
  BOOST_TEST(!p.result.malformed);
  BOOST_TEST(p.result.records == 9u);
  check_changes(p.changes, {change(change_kind::created, "moved_in"), change(change_kind::renamed, "new", "old"),
                            change(change_kind::removed, "moved_out"), change(change_kind::modified, "x"),
                            change(change_kind::removed, "a"), change(change_kind::renamed, "c", "b"),
                            change(change_kind::removed, "last")});
}

BOOST_AUTO_TEST_CASE(separators_become_slashes) {
  BOOST_TEST(text_of(u"dir\\sub\\file") == "dir/sub/file");
  BOOST_TEST(text_of(u"dir/file") == "dir/file"); // a separator to Windows too: no name holds one
  BOOST_TEST(text_of(u"a\\b/c") == "a/b/c");
  for (std::u16string_view name : {u"...", u".a", u"a.", u"..a", u" "}) // close to "." and "..": names
    BOOST_TEST(text_of(name) == std::string(name.begin(), name.end()));
  BOOST_TEST(text_of(u"a\\.b\\..c\\...") == "a/.b/..c/...");
}

BOOST_AUTO_TEST_CASE(names_become_wtf8) {
  BOOST_TEST(text_of(u"caf\u00e9") == "caf\xc3\xa9");
  BOOST_TEST(text_of(u"\u65e5\u672c\\\u00e9") == "\xe6\x97\xa5\xe6\x9c\xac/\xc3\xa9");
  BOOST_TEST(text_of(u"\U0001F600") == "\xf0\x9f\x98\x80"); // a pair: one code point
  BOOST_TEST(text_of(u"\U0010FFFF") == "\xf4\x8f\xbf\xbf");
  // Lone surrogates are legal Windows names: three bytes each, so the text names them again.
  const char16_t high = 0xd800, low = 0xdc00, last_high = 0xdbff, last_low = 0xdfff;
  BOOST_TEST(text_of(std::u16string{u'a', high, u'b'}) == "a\xed\xa0\x80" "b");
  BOOST_TEST(text_of(std::u16string{u'a', low}) == "a\xed\xb0\x80");
  BOOST_TEST(text_of(std::u16string{high}) == "\xed\xa0\x80");
  BOOST_TEST(text_of(std::u16string{last_high, u'\\', last_low}) == "\xed\xaf\xbf/\xed\xbf\xbf");
  BOOST_TEST(text_of(std::u16string{low, high}) == "\xed\xb0\x80\xed\xa0\x80"); // reversed: no pair
  BOOST_TEST(text_of(std::u16string{high, high, low}) == "\xed\xa0\x80\xf0\x90\x80\x80");
  BOOST_TEST(text_of(std::u16string{high, char16_t(0xe000)}) == "\xed\xa0\x80\xee\x80\x80"); // past the lows
}

BOOST_AUTO_TEST_CASE(long_names) {
  std::string longest;
  for (int i = 0; i < 255; ++i)
    longest += "\xc3\xa9";
  BOOST_TEST(text_of(std::u16string(255, u'\u00e9')) == longest); // NTFS's longest name, in UTF-16 units
  std::u16string deep;
  std::string expected;
  for (int i = 0; i < 200; ++i) { // a relative path can be far longer than one name
    deep += std::u16string(i ? u"\\" : u"") + std::u16string(255, u'x');
    expected += std::string(i ? "/" : "") + std::string(255, 'x');
  }
  BOOST_TEST(text_of(deep) == expected);
}

BOOST_AUTO_TEST_CASE(empty_buffer_is_an_overflow) {
  for (rdcw_format format : {basic, extended}) {
    std::vector<change_record> changes(1, change(change_kind::modified, "before"));
    detail::rdcw_parse_result result = detail::parse_rdcw_records({}, format, changes);
    BOOST_TEST(result.overflow);
    BOOST_TEST(!result.malformed);
    BOOST_TEST(result.records == 0u);
    BOOST_TEST_REQUIRE(changes.size() == 2u); // appended
    BOOST_TEST(code(changes[1].kind) == code(change_kind::overflow));
    BOOST_TEST(changes[1].path.empty());
  }
}

BOOST_AUTO_TEST_CASE(truncated_at_every_cut_point) {
  for (rdcw_format format : {basic, extended}) {
    const std::size_t header = format == basic ? detail::rdcw_basic_header_size : detail::rdcw_extended_header_size;
    for (bool align : {true, false}) {
      rdcw_encoder encoder(format, align);
      encoder.add(action::added, u"keep");
      const std::size_t second = encoder.add(action::removed, u"abc");
      const std::string bytes = encoder.take();
      for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
        BOOST_TEST_CONTEXT("extended " << (format == extended) << ", aligned " << align << ", cut at " << cut) {
          parsed p = parse(std::string_view(bytes).substr(0, cut), format);
          BOOST_TEST(p.result.malformed);
          BOOST_TEST(!p.result.overflow);
          // The first record stands once its link reaches a whole header; the second's name still
          // runs past the end.
          if (cut >= second + header)
            check_changes(p.changes, {change(change_kind::created, "keep", {},
                                             format == basic ? entry_type::unknown : entry_type::file)});
          else
            BOOST_TEST(p.changes.empty());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_name_lengths_are_malformed) {
  for (std::uint32_t length : {0u, 1u, 3u, 7u, 0x10000u, 0xfffffffeu, 0xffffffffu}) { // zero, odd, past the end
    BOOST_TEST_CONTEXT("FileNameLength " << length) {
      bad_buffer buffer = around(action::added, u"abc");
      buffer.patch(8, length);
      check_stopped_after_the_first(parse(buffer.bytes));
    }
  }
  check_stopped_after_the_first(parse(around(action::added, u"").bytes)); // zero, as the encoder writes it
}

BOOST_AUTO_TEST_CASE(links_that_loop_overlap_or_leave_are_malformed) {
  const bad_buffer good = around(action::added, u"abc");
  const auto rest = static_cast<std::uint32_t>(good.bytes.size() - good.bad);
  for (std::uint32_t next : {1u, 4u, 12u, 17u,                                      // into its own header or name
                             static_cast<std::uint32_t>(0 - good.bad), 0xffffffffu, // back: unsigned, so past the end
                             rest, rest - 11}) {                                    // no room for a header
    BOOST_TEST_CONTEXT("NextEntryOffset " << next) {
      bad_buffer buffer = good;
      buffer.patch(0, next);
      check_stopped_after_the_first(parse(buffer.bytes));
    }
  }
  // The least offset that is right: the next record starts where the name ends (packed).
  rdcw_encoder packed(basic, false);
  packed.add(action::modified, u"keep");
  const std::size_t at = packed.add(action::added, u"abc");
  BOOST_TEST(packed.add(action::added, u"after") == at + 18);
  parsed p = parse(packed.bytes());
  BOOST_TEST(!p.result.malformed);
  BOOST_TEST(p.changes.size() == 3u);
}

BOOST_AUTO_TEST_CASE(unknown_actions_are_malformed) {
  for (std::uint32_t unknown : {0u, 6u, 9u, 0x80000003u, 0xffffffffu}) {
    BOOST_TEST_CONTEXT("Action " << unknown) {
      check_stopped_after_the_first(parse(around(unknown, u"abc").bytes));
    }
  }
}

BOOST_AUTO_TEST_CASE(names_that_are_not_plain_relative_paths_are_malformed) {
  const std::u16string nul(u"a\0b", 3), only_nul(1, u'\0');
  for (std::u16string_view name :
       std::vector<std::u16string_view>{u"..", u".", u"..\\a", u"a\\..", u"a\\..\\b", u"a/./b", u"\\", u"/", u"\\a",
                                        u"/a", u"a\\", u"a/", u"a\\\\b", u"a//b", u"a\\/b", nul, only_nul}) {
    BOOST_TEST_CONTEXT("name " << std::string(name.begin(), name.end())) {
      check_stopped_after_the_first(parse(around(action::added, name).bytes));
    }
  }
  // An old name waiting for its pair when the parse stops: reported as moved out.
  rdcw_encoder encoder;
  encoder.add(action::renamed_old_name, u"old");
  encoder.add(action::renamed_new_name, u"..");
  parsed p = parse(encoder.bytes());
  BOOST_TEST(p.result.malformed);
  check_changes(p.changes, {change(change_kind::removed, "old")});
}

BOOST_AUTO_TEST_CASE(packed_records_parse_as_aligned_ones) {
  for (rdcw_format format : {basic, extended}) {
    rdcw_encoder aligned(format), packed(format, false);
    std::vector<std::size_t> offsets;
    for (rdcw_encoder* encoder : {&aligned, &packed}) {
      encoder->add(action::added, u"d\\\u00e9", 0x10);
      encoder->add(action::renamed_old_name, u"ab");
      offsets.push_back(encoder->add(action::renamed_new_name, u"bcd\U0001F600", 0x400, 0xA000000C));
      encoder->add(action::modified, u"e");
    }
    BOOST_TEST(offsets[0] % (format == basic ? 4 : 8) == 0u);
    BOOST_TEST(offsets[1] % 4 != 0u); // unaligned: read with memcpy, never through a cast
    const auto typed = [&](entry_type type) { return format == basic ? entry_type::unknown : type; };
    for (const rdcw_encoder* encoder : {&aligned, &packed}) {
      parsed p = parse(encoder->bytes(), format);
      BOOST_TEST(!p.result.malformed);
      BOOST_TEST(p.result.records == 4u);
      check_changes(p.changes, {change(change_kind::created, "d/\xc3\xa9", {}, typed(entry_type::directory)),
                                change(change_kind::renamed, "bcd\xf0\x9f\x98\x80", "ab", typed(entry_type::symlink)),
                                change(change_kind::modified, "e", {}, typed(entry_type::file))});
    }
  }
}

BOOST_AUTO_TEST_CASE(extended_attributes_give_the_type) {
  constexpr std::uint32_t symlink = 0xA000000C, junction = 0xA0000003, cloud = 0x9000101A, dedup = 0x80000013;
  const std::tuple<std::uint32_t, std::uint32_t, entry_type> expectations[] = {
      {0x20, 0, entry_type::file},
      {0x80, 0, entry_type::file},
      {0, 0, entry_type::file},
      {0x10, 0, entry_type::directory},
      {0x30, 0, entry_type::directory},
      {0x400, symlink, entry_type::symlink},
      {0x410, symlink, entry_type::symlink}, // a link to a directory is a link first
      {0x410, junction, entry_type::symlink},
      // Reparse points that are not links: what their attributes say.
      {0x410, cloud, entry_type::directory},
      {0x420, dedup, entry_type::file},
      {0x400, 0x5a5a5a5a, entry_type::file},
      // A tag without the reparse bit means nothing.
      {0x20, symlink, entry_type::file},
      {0x10, junction, entry_type::directory}};
  for (const auto& [attributes, tag, type] : expectations) {
    BOOST_TEST_CONTEXT("attributes " << attributes << ", tag " << tag) {
      rdcw_encoder encoder(extended);
      encoder.add(action::added, u"a", attributes, tag);
      encoder.add(action::renamed_old_name, u"b", 0x10 ^ attributes, symlink ^ tag); // the new name's type counts
      encoder.add(action::renamed_new_name, u"c", attributes, tag);
      std::string bytes = encoder.take();
      // The fields the parser skips hold anything; a wrong offset would read them.
      for (std::size_t start : {0, 88, 176}) {
        bytes.replace(start + 8, 48, 48, '\xa5');
        bytes.replace(start + 64, 16, 16, '\x5a');
      }
      parsed p = parse(bytes, extended);
      BOOST_TEST(!p.result.malformed);
      check_changes(p.changes,
                    {change(change_kind::created, "a", {}, type), change(change_kind::renamed, "c", "b", type)});
      rdcw_encoder plain; // basic records carry no attributes: never a type
      plain.add(action::added, u"a", attributes);
      check_changes(parse(plain.bytes()).changes, {change(change_kind::created, "a")});
    }
  }
}

BOOST_AUTO_TEST_CASE(random_round_trips_aligned_and_packed) {
  // Each symbol with its text, written out here rather than computed.
  const std::pair<std::u16string, std::string> alphabet[] = {
      {u"a", "a"}, {u"Z", "Z"}, {u" ", " "}, {u".", "."}, {u"\u00e9", "\xc3\xa9"}, {u"\u65e5", "\xe6\x97\xa5"},
      {u"\U0001F600", "\xf0\x9f\x98\x80"}, {std::u16string(1, char16_t(0xd800)), "\xed\xa0\x80"},
      {std::u16string(1, char16_t(0xdfff)), "\xed\xbf\xbf"}};
  const std::size_t symbols = std::size(alphabet), lone_high = 7, lone_low = 8;
  const std::tuple<std::uint32_t, std::uint32_t, entry_type> types[] = {
      {0x20, 0, entry_type::file},           {0x80, 0, entry_type::file},
      {0x10, 0, entry_type::directory},      {0x400, 0xA000000C, entry_type::symlink},
      {0x410, 0xA0000003, entry_type::symlink}, {0x410, 0x9000101A, entry_type::directory}};
  // What is queued first for each kind of step, and the change it makes on its own.
  const std::pair<std::uint32_t, change_kind> steps[] = {
      {action::added, change_kind::created},          {action::removed, change_kind::removed},
      {action::modified, change_kind::modified},      {action::renamed_old_name, change_kind::renamed},
      {action::renamed_old_name, change_kind::removed}, {action::renamed_new_name, change_kind::created}};
  struct raw {
    std::uint32_t action;
    std::u16string name;
    std::uint32_t attributes;
    std::uint32_t reparse_tag;
  };
  std::mt19937 random(20250307);
  const auto below = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  const auto random_name = [&](std::u16string& units, std::string& text) {
    for (std::size_t part = 0, parts = 1 + below(3); part < parts; ++part) {
      std::u16string part_units;
      std::string part_text;
      while (part_text.empty() || part_text == "." || part_text == "..") {
        part_units.clear();
        part_text.clear();
        for (std::size_t length = 1 + below(5), previous = symbols; length > 0; --length) {
          std::size_t pick = below(symbols);
          if (previous == lone_high && pick == lone_low)
            pick = 0; // the two would make a pair
          part_units += alphabet[pick].first;
          part_text += alphabet[pick].second;
          previous = pick;
        }
      }
      units += (part ? (below(2) ? u"\\" : u"/") : u"") + part_units;
      text += (part ? "/" : "") + part_text;
    }
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<raw> records;
    std::vector<change_record> expected;
    bool after_lone_old = false;
    for (std::size_t count = below(30); count > 0; --count) {
      std::size_t step = below(std::size(steps));
      if (step == 5 && after_lone_old)
        step = 0; // a new name there would be the old one's pair
      after_lone_old = step == 4;
      const auto [first_action, kind] = steps[step];
      const auto [attributes, tag, type] = types[below(std::size(types))];
      raw first{first_action, {}, attributes, tag};
      std::string text;
      random_name(first.name, text);
      records.push_back(first);
      if (kind != change_kind::renamed) {
        expected.push_back(change(kind, text, {}, type));
        continue;
      }
      const auto [new_attributes, new_tag, new_type] = types[below(std::size(types))];
      raw second{action::renamed_new_name, {}, new_attributes, new_tag};
      std::string new_text;
      random_name(second.name, new_text);
      records.push_back(second);
      expected.push_back(change(change_kind::renamed, new_text, text, new_type));
    }
    if (records.empty())
      continue; // an empty buffer is an overflow, tested on its own
    for (rdcw_format format : {basic, extended}) {
      std::vector<change_record> wanted = expected;
      if (format == basic)
        for (change_record& c : wanted)
          c.type = entry_type::unknown;
      for (bool align : {true, false}) {
        BOOST_TEST_CONTEXT("round " << round << ", extended " << (format == extended) << ", aligned " << align) {
          rdcw_encoder encoder(format, align);
          for (const raw& r : records)
            encoder.add(r.action, r.name, r.attributes, r.reparse_tag);
          parsed p = parse(encoder.bytes(), format);
          BOOST_TEST_REQUIRE(!p.result.malformed);
          BOOST_TEST_REQUIRE(!p.result.overflow);
          BOOST_TEST_REQUIRE(p.result.records == records.size());
          check_changes(p.changes, wanted);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(mutated_buffers_never_read_out_of_bounds) {
  std::mt19937 random(77);
  for (rdcw_format format : {basic, extended}) {
    rdcw_encoder encoder(format, false);
    const std::u16string names[] = {u"a", u"dir\\file", u"\u00e9\U0001F600", u"x/y/z", u"..."};
    for (int i = 0; i < 40; ++i)
      encoder.add(1 + static_cast<std::uint32_t>(random() % 5), names[random() % 5], 0x10);
    const std::string valid = encoder.take();
    std::size_t malformed = 0;
    for (int round = 0; round < 5000; ++round) {
      std::string bytes = valid;
      for (int flips = 1 + static_cast<int>(random() % 8); flips > 0; --flips)
        bytes[random() % bytes.size()] = static_cast<char>(random() % 4 ? random() % 256 : 0);
      bytes.resize(random() % (bytes.size() + 1));
      parsed p = parse(bytes, format);
      malformed += p.result.malformed;
      BOOST_TEST_REQUIRE(p.changes.size() <= p.result.records + p.result.overflow);
      // Whatever the bytes, no path the engine is handed can leave the root or fake another.
      for (const change_record& c : p.changes)
        for (const std::string& path : {c.path, c.old_path}) {
          if (path.empty())
            continue; // an overflow's, or the old path of anything but a rename
          const std::string slashed = "/" + path + "/";
          BOOST_TEST_REQUIRE(slashed.find("//") == std::string::npos);
          BOOST_TEST_REQUIRE(slashed.find("/./") == std::string::npos);
          BOOST_TEST_REQUIRE(slashed.find("/../") == std::string::npos);
          BOOST_TEST_REQUIRE(path.find('\0') == std::string::npos);
          BOOST_TEST_REQUIRE(path.find('\\') == std::string::npos);
        }
    }
    BOOST_TEST(malformed > 1000u); // the generator must reach the error paths
  }
}

BOOST_AUTO_TEST_SUITE_END()
