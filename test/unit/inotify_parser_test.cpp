// SPDX-License-Identifier: BSL-1.0
// Unit tests for detail/inotify_parser.hpp: the encoder against the kernel's layout, round trips,
// NUL padding, truncation at every cut point, malformed lengths, and random buffers (which must
// never make the parser read outside the bytes it was given; run once under ASan/UBSan).
#include <asio_fswatch/detail/inotify_parser.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace detail = asio_fswatch::detail;
namespace flag = asio_fswatch::detail::inotify_flag;
using detail::inotify_header_size;
using detail::inotify_record;

namespace {

struct expected_record {
  int watch;
  std::uint32_t mask;
  std::uint32_t cookie;
  std::string name;
};

// A record written by hand, field by field, so that the parser is not only checked against the
// encoder of the same file.
std::string raw_record(std::int32_t watch, std::uint32_t mask, std::uint32_t cookie,
                       std::uint32_t length, std::string_view name_field) {
  std::string out(inotify_header_size, '\0');
  std::memcpy(out.data(), &watch, 4);
  std::memcpy(out.data() + 4, &mask, 4);
  std::memcpy(out.data() + 8, &cookie, 4);
  std::memcpy(out.data() + 12, &length, 4);
  out.append(name_field);
  return out;
}

std::uint32_t length_field(std::string_view record) {
  std::uint32_t length;
  std::memcpy(&length, record.data() + 12, 4);
  return length;
}

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

// Invariants every parse must keep, whatever the input: nothing past `consumed`, records laid
// end to end from the start, names inside their record.
void check_parse_invariants(std::string_view bytes, const detail::inotify_parse_result& result,
                            const std::vector<inotify_record>& records) {
  BOOST_TEST_REQUIRE(result.consumed <= bytes.size());
  std::size_t offset = 0;
  for (const inotify_record& record : records) {
    BOOST_TEST_REQUIRE(offset + inotify_header_size <= result.consumed);
    std::uint32_t length = length_field(bytes.substr(offset));
    BOOST_TEST_REQUIRE(length <= 4096u);
    const char* name_begin = bytes.data() + offset + inotify_header_size;
    BOOST_TEST_REQUIRE(record.name.size() <= length);
    if (!record.name.empty()) {
      // As pointers: BOOST_TEST would compare two char pointers as C strings.
      BOOST_TEST_REQUIRE(static_cast<const void*>(record.name.data()) ==
                         static_cast<const void*>(name_begin));
      BOOST_TEST_REQUIRE(std::memchr(record.name.data(), '\0', record.name.size()) == nullptr);
    }
    if (record.name.size() < length)
      BOOST_TEST_REQUIRE(name_begin[record.name.size()] == '\0');
    offset += inotify_header_size + length;
  }
  BOOST_TEST_REQUIRE(offset == result.consumed);
  if (!result.malformed)
    // A parse stops early only on a truncated record: what is left is shorter than that record.
    if (bytes.size() - offset >= inotify_header_size)
      BOOST_TEST_REQUIRE(bytes.size() - offset - inotify_header_size <
                         length_field(bytes.substr(offset)));
}

std::vector<expected_record> assorted_records() {
  std::vector<expected_record> records;
  // Name lengths around the 16-byte padding boundaries, empty names (events on the watched
  // directory itself), the overflow record, bytes that are not UTF-8, a NAME_MAX name.
  const std::vector<std::string> names = {
      "",  "a", "abc", std::string(14, 'x'), std::string(15, 'y'), std::string(16, 'z'),
      std::string(17, 'w'), std::string(31, 'v'), std::string(32, 'u'), "\xff\xfe\x80 name",
      "new line\nin name", std::string(255, 'n'), ".hidden", "with space",
  };
  std::uint32_t cookie = 0;
  int watch = 1;
  for (const std::string& name : names) {
    records.push_back({watch++, flag::create, 0, name});
    records.push_back({watch, flag::moved_from | flag::is_dir, ++cookie, name});
    records.push_back({watch, flag::moved_to | flag::is_dir, cookie, name});
  }
  records.push_back({-1, flag::queue_overflow, 0, ""});
  records.push_back({7, flag::delete_self, 0, ""});
  records.push_back({7, flag::ignored, 0, ""});
  records.push_back({0x7fffffff, 0xffffffffu, 0xffffffffu, "max"});
  records.push_back({-2147483647 - 1, 0, 0, "min"});
  return records;
}

std::string encode(const std::vector<expected_record>& records) {
  std::string bytes;
  for (const expected_record& r : records)
    detail::append_inotify_record(bytes, r.watch, r.mask, r.cookie, r.name);
  return bytes;
}

// Offsets where the records of `bytes` (all well formed) end.
std::vector<std::size_t> record_ends(std::string_view bytes) {
  std::vector<std::size_t> ends;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    offset += inotify_header_size + length_field(bytes.substr(offset));
    ends.push_back(offset);
  }
  return ends;
}

} // namespace

BOOST_AUTO_TEST_SUITE(inotify_parser)

BOOST_AUTO_TEST_CASE(encoder_matches_the_kernel_layout) {
  // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[]; }, len a multiple of
  // 16 (sizeof(struct inotify_event)) that leaves room for at least one NUL; 0 without a name.
  struct sizes {
    std::size_t name;
    std::uint32_t field;
  };
  for (sizes s : {sizes{0, 0}, sizes{1, 16}, sizes{15, 16}, sizes{16, 32}, sizes{31, 32},
                  sizes{32, 48}, sizes{255, 256}}) {
    std::string bytes;
    std::string name(s.name, 'q');
    detail::append_inotify_record(bytes, 3, flag::create, 9, name);
    BOOST_TEST(bytes.size() == inotify_header_size + s.field, "name of " << s.name << " bytes");
    BOOST_TEST(length_field(bytes) == s.field);
    std::string expected = raw_record(3, flag::create, 9, s.field, name);
    expected.append(s.field - s.name, '\0');
    BOOST_TEST(bytes == expected, "name of " << s.name << " bytes");
  }
}

BOOST_AUTO_TEST_CASE(encoder_appends) {
  std::string bytes = "prefix";
  detail::append_inotify_record(bytes, 1, flag::modify, 0, "f");
  BOOST_TEST(bytes.size() == 6 + inotify_header_size + 16);
  BOOST_TEST(bytes.substr(0, 6) == "prefix");
}

BOOST_AUTO_TEST_CASE(round_trip_of_many_records) {
  std::vector<expected_record> expected = assorted_records();
  std::string bytes = encode(expected);
  exact_buffer buffer(bytes);
  std::vector<inotify_record> parsed;
  detail::inotify_parse_result result = detail::parse_inotify_records(buffer.view(), parsed);
  BOOST_TEST(!result.malformed);
  BOOST_TEST(result.consumed == bytes.size());
  BOOST_TEST_REQUIRE(parsed.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST_CONTEXT("record " << i) {
      BOOST_TEST(parsed[i].watch == expected[i].watch);
      BOOST_TEST(parsed[i].mask == expected[i].mask);
      BOOST_TEST(parsed[i].cookie == expected[i].cookie);
      BOOST_TEST(parsed[i].name == expected[i].name);
    }
  }
  check_parse_invariants(buffer.view(), result, parsed);
}

BOOST_AUTO_TEST_CASE(round_trip_of_random_records) {
  std::mt19937 random(20240611);
  for (int round = 0; round < 200; ++round) {
    std::vector<expected_record> expected;
    int count = std::uniform_int_distribution<int>(0, 40)(random);
    for (int i = 0; i < count; ++i) {
      expected_record r;
      r.watch = static_cast<int>(random());
      r.mask = static_cast<std::uint32_t>(random());
      r.cookie = static_cast<std::uint32_t>(random());
      std::size_t length = std::uniform_int_distribution<std::size_t>(0, 300)(random);
      for (std::size_t j = 0; j < length; ++j)
        r.name += static_cast<char>(std::uniform_int_distribution<int>(1, 255)(random)); // no NUL
      expected.push_back(std::move(r));
    }
    std::string bytes = encode(expected);
    std::vector<inotify_record> parsed;
    detail::inotify_parse_result result = detail::parse_inotify_records(bytes, parsed);
    BOOST_TEST_REQUIRE(!result.malformed);
    BOOST_TEST_REQUIRE(result.consumed == bytes.size());
    BOOST_TEST_REQUIRE(parsed.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      BOOST_TEST_REQUIRE(parsed[i].watch == expected[i].watch);
      BOOST_TEST_REQUIRE(parsed[i].mask == expected[i].mask);
      BOOST_TEST_REQUIRE(parsed[i].cookie == expected[i].cookie);
      BOOST_TEST_REQUIRE(parsed[i].name == expected[i].name);
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_appends_to_the_output) {
  std::string bytes;
  detail::append_inotify_record(bytes, 5, flag::delete_entry, 0, "gone");
  std::vector<inotify_record> parsed(2);
  parsed[0].watch = 100;
  detail::parse_inotify_records(bytes, parsed);
  BOOST_TEST_REQUIRE(parsed.size() == 3u);
  BOOST_TEST(parsed[0].watch == 100);
  BOOST_TEST(parsed[2].watch == 5);
  BOOST_TEST(parsed[2].name == "gone");
}

BOOST_AUTO_TEST_CASE(empty_buffer) {
  std::vector<inotify_record> parsed;
  detail::inotify_parse_result result = detail::parse_inotify_records({}, parsed);
  BOOST_TEST(result.consumed == 0u);
  BOOST_TEST(!result.malformed);
  BOOST_TEST(parsed.empty());
}

BOOST_AUTO_TEST_CASE(names_are_cut_at_the_first_nul) {
  std::string bytes;
  // Kernel-style padding.
  bytes += raw_record(1, flag::create, 0, 16, std::string("ab\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16));
  // A field that is not a multiple of 16 (the kernel never writes one; the parser still copes).
  bytes += raw_record(2, flag::create, 0, 5, std::string("cd\0\0\0", 5));
  // Bytes after the first NUL are padding, whatever they hold.
  bytes += raw_record(3, flag::create, 0, 8, std::string("ef\0junk\0", 8));
  // No NUL at all: the name is the whole field.
  bytes += raw_record(4, flag::create, 0, 4, "ghij");
  // A field of NULs only: an empty name.
  bytes += raw_record(5, flag::attrib, 0, 16, std::string(16, '\0'));
  // Empty field.
  bytes += raw_record(6, flag::delete_self, 0, 0, "");
  exact_buffer buffer(bytes);
  std::vector<inotify_record> parsed;
  detail::inotify_parse_result result = detail::parse_inotify_records(buffer.view(), parsed);
  BOOST_TEST(!result.malformed);
  BOOST_TEST(result.consumed == bytes.size());
  BOOST_TEST_REQUIRE(parsed.size() == 6u);
  BOOST_TEST(parsed[0].name == "ab");
  BOOST_TEST(parsed[1].name == "cd");
  BOOST_TEST(parsed[2].name == "ef");
  BOOST_TEST(parsed[3].name == "ghij");
  BOOST_TEST(parsed[4].name.empty());
  BOOST_TEST(parsed[5].name.empty());
  for (int i = 0; i < 6; ++i)
    BOOST_TEST(parsed[static_cast<std::size_t>(i)].watch == i + 1);
  check_parse_invariants(buffer.view(), result, parsed);
}

BOOST_AUTO_TEST_CASE(overflow_record) {
  std::string bytes;
  detail::append_inotify_record(bytes, -1, flag::queue_overflow, 0, "");
  BOOST_TEST(bytes.size() == inotify_header_size);
  std::vector<inotify_record> parsed;
  detail::inotify_parse_result result = detail::parse_inotify_records(bytes, parsed);
  BOOST_TEST(result.consumed == inotify_header_size);
  BOOST_TEST_REQUIRE(parsed.size() == 1u);
  BOOST_TEST(parsed[0].watch == -1);
  BOOST_TEST(parsed[0].mask == flag::queue_overflow);
  BOOST_TEST(parsed[0].mask == 0x4000u);
  BOOST_TEST(parsed[0].name.empty());
}

BOOST_AUTO_TEST_CASE(truncated_at_every_cut_point) {
  std::string bytes = encode(assorted_records());
  std::vector<std::size_t> ends = record_ends(bytes);
  BOOST_TEST_REQUIRE(ends.back() == bytes.size());
  std::vector<inotify_record> whole;
  detail::parse_inotify_records(bytes, whole);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut) {
      exact_buffer head(std::string_view(bytes).substr(0, cut));
      std::vector<inotify_record> parsed;
      detail::inotify_parse_result result = detail::parse_inotify_records(head.view(), parsed);
      std::size_t last_end = 0, complete = 0;
      for (std::size_t end : ends)
        if (end <= cut) {
          last_end = end;
          ++complete;
        }
      BOOST_TEST_REQUIRE(!result.malformed);
      BOOST_TEST_REQUIRE(result.consumed == last_end);
      BOOST_TEST_REQUIRE(parsed.size() == complete);
      check_parse_invariants(head.view(), result, parsed);
      // What the caller keeps, followed by the rest of the stream, parses to the rest.
      std::string rest = bytes.substr(result.consumed);
      std::vector<inotify_record> tail;
      detail::inotify_parse_result second = detail::parse_inotify_records(rest, tail);
      BOOST_TEST_REQUIRE(second.consumed == rest.size());
      BOOST_TEST_REQUIRE(parsed.size() + tail.size() == whole.size());
      for (std::size_t i = 0; i < tail.size(); ++i) {
        const inotify_record& a = tail[i];
        const inotify_record& b = whole[parsed.size() + i];
        BOOST_TEST_REQUIRE((a.watch == b.watch && a.mask == b.mask && a.cookie == b.cookie &&
                            a.name == b.name));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_length_is_flagged) {
  std::string good;
  detail::append_inotify_record(good, 1, flag::create, 0, "before");
  for (std::uint32_t length : {4097u, 8192u, 0x10000u, 0x7fffffffu, 0xffffffffu}) {
    BOOST_TEST_CONTEXT("len " << length) {
      // Just the header: the claim is already impossible, no need to wait for more bytes.
      std::string bytes = good + raw_record(2, flag::create, 0, length, "");
      exact_buffer buffer(bytes);
      std::vector<inotify_record> parsed;
      detail::inotify_parse_result result = detail::parse_inotify_records(buffer.view(), parsed);
      BOOST_TEST(result.malformed);
      BOOST_TEST(result.consumed == good.size()); // the records before it stay
      BOOST_TEST_REQUIRE(parsed.size() == 1u);
      BOOST_TEST(parsed[0].name == "before");

      // With bytes after it: the parse stops at the bad record all the same.
      bytes += std::string(64, 'x') + good;
      exact_buffer longer(bytes);
      parsed.clear();
      result = detail::parse_inotify_records(longer.view(), parsed);
      BOOST_TEST(result.malformed);
      BOOST_TEST(result.consumed == good.size());
      BOOST_TEST(parsed.size() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(largest_accepted_length) {
  // 4096 is the bound; it is accepted, and needs all its bytes.
  std::string bytes = raw_record(1, flag::create, 0, 4096, "name");
  bytes.append(4096 - 4, '\0');
  std::vector<inotify_record> parsed;
  detail::inotify_parse_result result = detail::parse_inotify_records(bytes, parsed);
  BOOST_TEST(!result.malformed);
  BOOST_TEST(result.consumed == bytes.size());
  BOOST_TEST_REQUIRE(parsed.size() == 1u);
  BOOST_TEST(parsed[0].name == "name");

  parsed.clear();
  exact_buffer short_by_one(std::string_view(bytes).substr(0, bytes.size() - 1));
  result = detail::parse_inotify_records(short_by_one.view(), parsed);
  BOOST_TEST(!result.malformed);
  BOOST_TEST(result.consumed == 0u);
  BOOST_TEST(parsed.empty());
}

BOOST_AUTO_TEST_CASE(full_name_field_without_nul_is_malformed) {
  // Found by fuzz_inotify_parser (fuzz/regressions/inotify_parser/full_name_field_without_nul):
  // a 4096-byte field without a NUL was accepted as a 4096-byte name, which no path can hold
  // (PATH_MAX counts the NUL) and which append_inotify_record could not write back.
  std::string good;
  detail::append_inotify_record(good, 1, flag::create, 0, "before");
  std::string bytes = good + raw_record(2, flag::create, 0, 4096, std::string(4096, 'A'));
  exact_buffer buffer(bytes);
  std::vector<inotify_record> parsed;
  detail::inotify_parse_result result = detail::parse_inotify_records(buffer.view(), parsed);
  BOOST_TEST(result.malformed);
  BOOST_TEST(result.consumed == good.size()); // the records before it stay
  BOOST_TEST_REQUIRE(parsed.size() == 1u);
  BOOST_TEST(parsed[0].name == "before");

  // Until the whole field is there, it is a truncated record like any other.
  exact_buffer head(std::string_view(bytes).substr(0, bytes.size() - 1));
  parsed.clear();
  result = detail::parse_inotify_records(head.view(), parsed);
  BOOST_TEST(!result.malformed);
  BOOST_TEST(result.consumed == good.size());
  check_parse_invariants(head.view(), result, parsed);

  // With a NUL at its end the field holds the longest name there is, and it round-trips.
  bytes.back() = '\0';
  parsed.clear();
  result = detail::parse_inotify_records(bytes, parsed);
  BOOST_TEST(!result.malformed);
  BOOST_TEST(result.consumed == bytes.size());
  BOOST_TEST_REQUIRE(parsed.size() == 2u);
  BOOST_TEST(parsed[1].name == std::string(4095, 'A'));
  std::string encoded;
  detail::append_inotify_record(encoded, 2, flag::create, 0, parsed[1].name);
  BOOST_TEST(encoded == std::string_view(bytes).substr(good.size()));
  std::vector<inotify_record> reparsed;
  result = detail::parse_inotify_records(encoded, reparsed);
  BOOST_TEST(!result.malformed);
  BOOST_TEST_REQUIRE(reparsed.size() == 1u);
  BOOST_TEST(reparsed[0].name == parsed[1].name);
}

BOOST_AUTO_TEST_CASE(unaligned_buffer) {
  std::string bytes = encode(assorted_records());
  for (std::size_t shift = 1; shift < 8; ++shift) {
    std::string shifted = std::string(shift, '#') + bytes;
    std::string_view view = std::string_view(shifted).substr(shift);
    std::vector<inotify_record> parsed;
    detail::inotify_parse_result result = detail::parse_inotify_records(view, parsed);
    BOOST_TEST(result.consumed == bytes.size());
    BOOST_TEST(parsed.size() == assorted_records().size());
  }
}

BOOST_AUTO_TEST_CASE(random_garbage_never_reads_out_of_bounds) {
  std::mt19937 random(424242);
  std::size_t malformed = 0, records = 0;
  for (int round = 0; round < 20000; ++round) {
    // Headers with random fields and a length that is mostly small (what reaches the name code),
    // sometimes near the bound, sometimes anything; each followed by any number of random bytes,
    // so that lengths and actual sizes rarely agree.
    std::string bytes;
    int chunks = std::uniform_int_distribution<int>(0, 6)(random);
    for (int i = 0; i < chunks; ++i) {
      std::uint32_t length;
      int pick = std::uniform_int_distribution<int>(0, 9)(random);
      if (pick < 7)
        length = random() % 65;
      else if (pick < 9)
        length = 4090 + random() % 12;
      else
        length = static_cast<std::uint32_t>(random());
      std::string body(random() % 80, '\0');
      for (char& c : body)
        c = static_cast<char>(random() % 3 == 0 ? 0 : random() % 256);
      bytes += raw_record(static_cast<std::int32_t>(random()), static_cast<std::uint32_t>(random()),
                          static_cast<std::uint32_t>(random()), length, body);
    }
    bytes.resize(random() % (bytes.size() + 1));
    exact_buffer buffer(bytes);
    std::vector<inotify_record> parsed;
    detail::inotify_parse_result result = detail::parse_inotify_records(buffer.view(), parsed);
    check_parse_invariants(buffer.view(), result, parsed);
    malformed += result.malformed;
    records += parsed.size();
  }
  // The generator must exercise both paths, or the test proves little.
  BOOST_TEST(malformed > 100u);
  BOOST_TEST(records > 1000u);
}

BOOST_AUTO_TEST_CASE(mutated_valid_streams_never_read_out_of_bounds) {
  std::mt19937 random(99);
  const std::string valid = encode(assorted_records());
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = valid;
    int flips = std::uniform_int_distribution<int>(1, 8)(random);
    for (int i = 0; i < flips; ++i) {
      std::size_t at = random() % bytes.size();
      bytes[at] = static_cast<char>(random() % 256);
    }
    bytes.resize(random() % (bytes.size() + 1));
    exact_buffer buffer(bytes);
    std::vector<inotify_record> parsed;
    detail::inotify_parse_result result = detail::parse_inotify_records(buffer.view(), parsed);
    check_parse_invariants(buffer.view(), result, parsed);
  }
}

BOOST_AUTO_TEST_SUITE_END()
