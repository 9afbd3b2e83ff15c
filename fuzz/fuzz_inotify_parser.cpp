// SPDX-License-Identifier: BSL-1.0
// Fuzz target for the inotify record parser (detail/inotify_parser.hpp).
//
// Any bytes are a possible read() result. The parse must stay inside them (AddressSanitizer sees
// any read past the input: libFuzzer hands it over in a heap block of exactly its size), and its
// result must agree with the bytes: the records laid end to end from the start, each field read
// from its header, each name inside its record and cut at the first NUL, `consumed` ending after
// the last record, and the parse stopping only at a truncated record or, flagged as malformed,
// at a record no name fits (a field longer than PATH_MAX, or a full one without a NUL). The
// records must re-encode (as the kernel writes them) and parse back the same, and a stream cut
// anywhere must parse, with the caller keeping the leftover bytes as documented, to the same
// records as the whole.
#include "fuzz_check.hpp"

#include <asio_fswatch/detail/inotify_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace detail = asio_fswatch::detail;
using asio_fswatch::fuzz::require;
using detail::inotify_header_size;
using detail::inotify_record;

// The bound of the header's `malformed`: a name and its NUL fit in PATH_MAX bytes.
constexpr std::uint32_t longest_name_field = 4096;

template <typename T>
T field_at(std::string_view bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

std::uint32_t name_field_length(std::string_view bytes, std::size_t record_offset) {
  return field_at<std::uint32_t>(bytes, record_offset + 12);
}

bool same_record(const inotify_record& a, const inotify_record& b) {
  return a.watch == b.watch && a.mask == b.mask && a.cookie == b.cookie && a.name == b.name;
}

void check_result(std::string_view bytes, const detail::inotify_parse_result& result,
                  const std::vector<inotify_record>& records) {
  require(result.consumed <= bytes.size(), "consumed is within the input", {{"input", bytes}});
  std::size_t offset = 0;
  for (const inotify_record& record : records) {
    require(result.consumed - offset >= inotify_header_size,
            "every record's header is within the consumed bytes", {{"input", bytes}});
    const std::uint32_t field = name_field_length(bytes, offset);
    require(field <= longest_name_field, "no record with too long a name field is accepted",
            {{"input", bytes}});
    require(record.name.size() < longest_name_field, "no name without room for its NUL in PATH_MAX is accepted",
            {{"input", bytes}});
    require(result.consumed - offset - inotify_header_size >= field,
            "every record's name field is within the consumed bytes", {{"input", bytes}});
    require(record.watch == field_at<std::int32_t>(bytes, offset) &&
                record.mask == field_at<std::uint32_t>(bytes, offset + 4) &&
                record.cookie == field_at<std::uint32_t>(bytes, offset + 8),
            "watch, mask and cookie are the bytes of the record's header", {{"input", bytes}});
    const char* const name_field = bytes.data() + offset + inotify_header_size;
    require(record.name.size() <= field, "a name is within its record's name field",
            {{"input", bytes}, {"name", record.name}});
    require(record.name.empty() || record.name.data() == name_field,
            "a name starts at its record's name field", {{"input", bytes}, {"name", record.name}});
    require(record.name.find('\0') == std::string_view::npos, "a name holds no NUL",
            {{"input", bytes}, {"name", record.name}});
    require(record.name.size() == field || name_field[record.name.size()] == '\0',
            "a name ends at the first NUL of its field, or with the field",
            {{"input", bytes}, {"name", record.name}});
    offset += inotify_header_size + field;
  }
  require(offset == result.consumed, "consumed ends right after the last record", {{"input", bytes}});

  // Where the parse stopped: the end, a truncated record, or a record no name fits, which is one
  // whose field is longer than PATH_MAX or fills all of it without a NUL.
  const std::size_t left = bytes.size() - offset;
  const std::uint32_t field = left >= inotify_header_size ? name_field_length(bytes, offset) : 0;
  const bool whole = left >= inotify_header_size && left - inotify_header_size >= field;
  const bool too_long =
      left >= inotify_header_size &&
      (field > longest_name_field ||
       (field == longest_name_field && whole &&
        bytes.substr(offset + inotify_header_size, field).find('\0') == std::string_view::npos));
  if (result.malformed) {
    require(too_long, "malformed is reported only for a record no name fits", {{"input", bytes}});
  } else if (left >= inotify_header_size) {
    require(!too_long, "a record no name fits is reported as malformed", {{"input", bytes}});
    require(!whole, "a parse that is not malformed stops only at a truncated record", {{"input", bytes}});
  }
}

void check_round_trip(std::string_view bytes, const std::vector<inotify_record>& records) {
  std::string encoded;
  for (const inotify_record& record : records) {
    const std::size_t start = encoded.size();
    detail::append_inotify_record(encoded, record.watch, record.mask, record.cookie, record.name);
    require(encoded.size() - start >= inotify_header_size, "the encoder writes a whole header",
            {{"input", bytes}, {"name", record.name}});
    const std::size_t field = encoded.size() - start - inotify_header_size;
    const bool kernel_padding = record.name.empty()
                                    ? field == 0
                                    : field % 16 == 0 && field > record.name.size() && field <= record.name.size() + 16;
    require(kernel_padding && name_field_length(encoded, start) == field,
            "the encoder pads a name with NULs to a multiple of 16 bytes, as the kernel does",
            {{"input", bytes}, {"name", record.name}, {"encoded", std::string_view(encoded).substr(start)}});
  }

  std::vector<inotify_record> reparsed;
  const detail::inotify_parse_result result = detail::parse_inotify_records(encoded, reparsed);
  require(!result.malformed && result.consumed == encoded.size() && reparsed.size() == records.size(),
          "records that parse re-encode to bytes that parse whole", {{"input", bytes}, {"encoded", encoded}});
  for (std::size_t i = 0; i < records.size(); ++i)
    require(same_record(reparsed[i], records[i]), "records that parse re-encode to the same records",
            {{"input", bytes}, {"name", records[i].name}, {"reparsed name", reparsed[i].name}});
}

// Reading the stream in two parts, keeping the leftover bytes of the first read in front of the
// second, must see the records of a single read.
void check_split(std::string_view bytes, std::size_t cut, const detail::inotify_parse_result& whole,
                 const std::vector<inotify_record>& records) {
  std::vector<inotify_record> first;
  const detail::inotify_parse_result head = detail::parse_inotify_records(bytes.substr(0, cut), first);
  require(first.size() <= records.size(), "a prefix of the stream holds no more records than the whole",
          {{"input", bytes}});
  for (std::size_t i = 0; i < first.size(); ++i)
    require(same_record(first[i], records[i]), "a prefix of the stream parses to a prefix of its records",
            {{"input", bytes}});
  if (head.malformed) {
    require(whole.malformed && head.consumed == whole.consumed,
            "a malformed record in a prefix is the malformed record of the whole", {{"input", bytes}});
    return;
  }
  std::vector<inotify_record> second;
  const detail::inotify_parse_result tail =
      detail::parse_inotify_records(bytes.substr(head.consumed), second);
  require(head.consumed + tail.consumed == whole.consumed && tail.malformed == whole.malformed &&
              first.size() + second.size() == records.size(),
          "leftover bytes kept for the next read give the records of a single read", {{"input", bytes}});
  for (std::size_t i = 0; i < second.size(); ++i)
    require(same_record(second[i], records[first.size() + i]),
            "leftover bytes kept for the next read give the records of a single read", {{"input", bytes}});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // Records are appended to what the vector holds.
  inotify_record earlier;
  earlier.watch = 77;
  earlier.name = "earlier";
  std::vector<inotify_record> records{earlier};
  const detail::inotify_parse_result result = detail::parse_inotify_records(bytes, records);
  require(!records.empty() && same_record(records.front(), earlier),
          "parse_inotify_records appends to its output", {{"input", bytes}});
  records.erase(records.begin());

  check_result(bytes, result, records);
  check_round_trip(bytes, records);
  check_split(bytes, size / 2, result, records);
  if (size != 0) {
    // A second cut that the fuzzer steers through the first and last bytes.
    const std::size_t cut = (static_cast<std::size_t>(data[0]) * 257 + data[size - 1]) % (size + 1);
    check_split(bytes, cut, result, records);
  }
  return 0;
}
