// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the records of ReadDirectoryChangesW and ReadDirectoryChangesExW
// (sans-io). The layouts and values are the Windows ABI, spelled out here so that the parser is
// built and tested on every platform, without a Windows header.
#ifndef ASIO_FSWATCH_DETAIL_RDCW_PARSER_HPP
#define ASIO_FSWATCH_DETAIL_RDCW_PARSER_HPP

#include <asio_fswatch/detail/change_record.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::detail {

/// FILE_ACTION_*: what a record says happened to its name.
namespace rdcw_action {
inline constexpr std::uint32_t added = 1;
inline constexpr std::uint32_t removed = 2;
inline constexpr std::uint32_t modified = 3;
inline constexpr std::uint32_t renamed_old_name = 4;
inline constexpr std::uint32_t renamed_new_name = 5;
} // namespace rdcw_action

/// The FILE_ATTRIBUTE_* bits that tell an entry's type (extended records only).
namespace rdcw_attribute {
inline constexpr std::uint32_t directory = 0x00000010;
inline constexpr std::uint32_t reparse_point = 0x00000400;
} // namespace rdcw_attribute

/// The reparse tags that make a reparse point a link (IO_REPARSE_TAG_*). Other reparse points (a
/// cloud file's placeholder, a deduplicated file) are the file or directory their attributes say.
namespace rdcw_reparse_tag {
inline constexpr std::uint32_t symlink = 0xA000000C;
inline constexpr std::uint32_t mount_point = 0xA0000003; // a junction
inline constexpr bool is_link(std::uint32_t tag) noexcept { return tag == symlink || tag == mount_point; }
} // namespace rdcw_reparse_tag

/// Which record the buffer holds: FILE_NOTIFY_INFORMATION, from ReadDirectoryChangesW (or the Ex
/// call with ReadDirectoryNotifyInformation), or FILE_NOTIFY_EXTENDED_INFORMATION, from
/// ReadDirectoryChangesExW with ReadDirectoryNotifyExtendedInformation, which adds the entry's
/// attributes (and times, sizes and file ids, which the engine does not need).
enum class rdcw_format : std::uint8_t { basic, extended };

/// Bytes before the name: NextEntryOffset, Action, FileNameLength (basic); NextEntryOffset,
/// Action, four times, AllocatedLength, FileSize, FileAttributes, ReparsePointTag, FileId,
/// ParentFileId, FileNameLength (extended).
inline constexpr std::size_t rdcw_basic_header_size = 12;
inline constexpr std::size_t rdcw_extended_header_size = 84;

struct rdcw_parse_result {
  bool overflow = false;  ///< the buffer was empty: the system lost changes (one overflow record)
  bool malformed = false; ///< a record broke the format; the parse stopped there, and what it had
                          ///< appended before stays. The caller rescans, as after an overflow.
  std::size_t records = 0; ///< well-formed FILE_NOTIFY records read (a rename pair counts two)
};

/// Appends to `out` the changes that the records of one completed read say, in their order.
/// Names become path text (WTF-8, '/' between parts); a name that could reach outside the root or
/// fake another path (an empty, "." or ".." part, a NUL) is malformed, as is any length or offset
/// that does not fit the buffer.
rdcw_parse_result parse_rdcw_records(std::string_view bytes, rdcw_format format, std::vector<change_record>& out);

/// Lays records out as Windows does, for tests, benchmarks and fuzzers: each record added is
/// linked from the one before it (its NextEntryOffset patched), the last one has 0. Aligned, each
/// record starts on its structure's alignment (4 bytes, 8 for extended records) with zero padding
/// before it; packed, records follow each other with no padding, as Wine sometimes writes them.
/// Whatever it is given it writes, invalid names and actions included, so that tests can make
/// malformed buffers; times, sizes and file ids of extended records are left zero.
class rdcw_encoder {
public:
  explicit rdcw_encoder(rdcw_format format = rdcw_format::basic, bool align = true) noexcept
      : format_(format), align_(align) {}

  /// Appends one record and returns the offset it starts at (to patch a field in a test).
  /// `attributes` and `reparse_tag` are written in extended records only.
  std::size_t add(std::uint32_t action, std::u16string_view name, std::uint32_t attributes = 0,
                  std::uint32_t reparse_tag = 0);

  const std::string& bytes() const noexcept { return bytes_; }

  /// The bytes so far; the encoder starts again, empty.
  std::string take();

private:
  rdcw_format format_;
  bool align_;
  std::string bytes_;
  std::size_t last_ = 0; ///< offset of the last record, when bytes_ holds one
};

} // namespace asio_fswatch::detail

#endif
