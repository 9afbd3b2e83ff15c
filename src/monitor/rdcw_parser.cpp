// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/rdcw_parser.hpp>

#include <asio_fswatch/detail/byte_load.hpp>

#include <asio_fswatch/detail/utf8.hpp>

#include <cstring>
#include <utility>

// The records are little-endian, and are read and written as native integers: a big-endian host
// would need byte-wise loads first. (MSVC defines no __BYTE_ORDER__: every Windows is little-endian.)
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "rdcw_parser reads little-endian records as native integers"
#endif

namespace asio_fswatch::detail {
namespace {

constexpr std::size_t action_at = 4; // after NextEntryOffset, in both layouts
constexpr std::size_t extended_attributes_at = 56;
constexpr std::size_t extended_reparse_tag_at = 60;

constexpr std::size_t header_size(rdcw_format format) noexcept {
  return format == rdcw_format::extended ? rdcw_extended_header_size : rdcw_basic_header_size;
}

// FileNameLength is the last field before the name in both layouts.
constexpr std::size_t name_length_at(rdcw_format format) noexcept { return header_size(format) - 4; }


template <typename T>
void store(std::string& out, std::size_t at, T value) noexcept {
  std::memcpy(out.data() + at, &value, sizeof value);
}

// Appends the path text of a record's name (`count` UTF-16 code units) to `path`. False when the
// name is not a plain relative path: the engine joins it to the root's path, so a "..", a "." or
// an empty part could name something outside the root, or a second spelling of a path it already
// knows; a NUL would cut the name short wherever it reaches a C string. Both '\\' and '/' separate
// parts (Windows takes either; no name can hold one), so both become '/'.
bool append_path_text(std::string& path, const char* units, std::size_t count) {
  std::size_t part = path.size();
  const auto part_is_a_name = [&] {
    const std::string_view name = std::string_view(path).substr(part);
    return !name.empty() && name != "." && name != "..";
  };
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t unit = load_unaligned<std::uint16_t>(units + 2 * i);
    if (unit == 0)
      return false;
    if (unit == u'\\' || unit == u'/') {
      if (!part_is_a_name())
        return false;
      path.push_back('/');
      part = path.size();
      continue;
    }
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < count) {
      const std::uint32_t low = load_unaligned<std::uint16_t>(units + 2 * (i + 1));
      if (low >= 0xdc00 && low <= 0xdfff) {
        unit = code_point_of_surrogates(unit, low);
        ++i;
      }
    }
    // A lone surrogate is a legal Windows name: it keeps its own three bytes (WTF-8), so that the
    // text names that entry again and no other.
    append_utf8(path, unit);
  }
  return part_is_a_name();
}

entry_type type_of(rdcw_format format, const char* record) noexcept {
  if (format == rdcw_format::basic)
    return entry_type::unknown;
  const std::uint32_t attributes = load_unaligned<std::uint32_t>(record + extended_attributes_at);
  // First: a symbolic link or junction to a directory carries the directory bit as well, and the
  // engine must not descend into it. The tag is only meaningful beside the reparse bit.
  if ((attributes & rdcw_attribute::reparse_point) &&
      rdcw_reparse_tag::is_link(load_unaligned<std::uint32_t>(record + extended_reparse_tag_at)))
    return entry_type::symlink;
  if (attributes & rdcw_attribute::directory)
    return entry_type::directory;
  return entry_type::file;
}

change_kind kind_of(std::uint32_t action) noexcept {
  switch (action) {
  case rdcw_action::added:
  case rdcw_action::renamed_new_name: // without its old name: moved in from outside
    return change_kind::created;
  case rdcw_action::removed:
  case rdcw_action::renamed_old_name: // without its new name: moved out
    return change_kind::removed;
  default:
    return change_kind::modified;
  }
}

} // namespace

rdcw_parse_result parse_rdcw_records(std::string_view bytes, rdcw_format format, std::vector<change_record>& out) {
  rdcw_parse_result result;
  if (bytes.empty()) {
    // A read completes with no bytes when the changes did not fit the buffer that the system
    // keeps for the handle between reads: they are lost, and only a rescan can tell them.
    out.push_back(change_record{change_kind::overflow, {}, {}, entry_type::unknown});
    result.overflow = true;
    return result;
  }
  const std::size_t header = header_size(format);
  const char* const data = bytes.data();
  const std::size_t size = bytes.size();
  if (size < header) {
    result.malformed = true;
    return result;
  }
  // Windows queues the two halves of a rename inside the watched tree as two records, old name
  // then new name, one right after the other in the same buffer. So an old name is appended as
  // removed (the entry left the tree), and only the next record can make it a rename, by being
  // its new name. Pairing across completions is not attempted on purpose: should the halves ever
  // land in two buffers, removed then created still replays to the same tree (only the rename
  // itself is lost), and no state has to outlive a read.
  constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t old_name = none; // its change in `out`
  std::size_t offset = 0; // always leaves a whole header: the link to it was checked
  for (;;) {
    const char* const record = data + offset;
    const std::uint32_t next = load_unaligned<std::uint32_t>(record);
    const std::uint32_t action = load_unaligned<std::uint32_t>(record + action_at);
    const std::uint32_t name_bytes = load_unaligned<std::uint32_t>(record + name_length_at(format));
    const bool name_fits = name_bytes != 0 && name_bytes % 2 == 0 && name_bytes <= size - offset - header;
    // The link is checked with the record it belongs to. One into this record (itself included)
    // would loop or read a name as a header; one past the end, or with no room left there for a
    // header, names no record (an offset meant to point back, being unsigned, lands there too).
    const bool next_fits =
        next == 0 || (next >= header + name_bytes && next <= size - offset && size - offset - next >= header);
    const bool action_known = action >= rdcw_action::added && action <= rdcw_action::renamed_new_name;
    change_record change{kind_of(action), {}, {}, type_of(format, record)};
    if (!name_fits || !next_fits || !action_known ||
        !append_path_text(change.path, record + header, name_bytes / 2)) {
      result.malformed = true;
      break;
    }
    ++result.records;
    if (old_name != none && action == rdcw_action::renamed_new_name) {
      change_record& rename = out[old_name];
      rename.kind = change_kind::renamed;
      rename.old_path = std::move(rename.path);
      rename.path = std::move(change.path);
      rename.type = change.type; // the entry's, as it is now
    } else {
      out.push_back(std::move(change));
    }
    old_name = action == rdcw_action::renamed_old_name ? out.size() - 1 : none;
    if (next == 0)
      break;
    offset += next;
  }
  // An old name before a malformed record stays removed: if that record was its new name, the
  // rescan that follows a malformed buffer finds the entry there.
  return result;
}

std::size_t rdcw_encoder::add(std::uint32_t action, std::u16string_view name, std::uint32_t attributes,
                              std::uint32_t reparse_tag) {
  if (align_) {
    const std::size_t alignment = format_ == rdcw_format::extended ? 8 : 4;
    bytes_.append((alignment - bytes_.size() % alignment) % alignment, '\0');
  }
  const std::size_t start = bytes_.size();
  if (start != 0)
    store(bytes_, last_, static_cast<std::uint32_t>(start - last_));
  bytes_.append(header_size(format_), '\0');
  store(bytes_, start + action_at, action);
  if (format_ == rdcw_format::extended) {
    store(bytes_, start + extended_attributes_at, attributes);
    store(bytes_, start + extended_reparse_tag_at, reparse_tag);
  }
  store(bytes_, start + name_length_at(format_), static_cast<std::uint32_t>(name.size() * 2));
  for (const char16_t unit : name) {
    bytes_.append(2, '\0');
    store(bytes_, bytes_.size() - 2, static_cast<std::uint16_t>(unit));
  }
  last_ = start;
  return start;
}

std::string rdcw_encoder::take() {
  std::string bytes = std::move(bytes_);
  bytes_.clear();
  last_ = 0;
  return bytes;
}

} // namespace asio_fswatch::detail
