// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the inotify record format (sans-io). The layout and flag values are the
// Linux ABI, spelled out here so that the parser and the engine build and test anywhere.
#ifndef ASIO_FSWATCH_DETAIL_INOTIFY_PARSER_HPP
#define ASIO_FSWATCH_DETAIL_INOTIFY_PARSER_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::detail {

namespace inotify_flag {
inline constexpr std::uint32_t modify = 0x00000002;
inline constexpr std::uint32_t attrib = 0x00000004;
inline constexpr std::uint32_t close_write = 0x00000008;
inline constexpr std::uint32_t moved_from = 0x00000040;
inline constexpr std::uint32_t moved_to = 0x00000080;
inline constexpr std::uint32_t create = 0x00000100;
inline constexpr std::uint32_t delete_entry = 0x00000200;
inline constexpr std::uint32_t delete_self = 0x00000400;
inline constexpr std::uint32_t move_self = 0x00000800;
inline constexpr std::uint32_t unmount = 0x00002000;
inline constexpr std::uint32_t queue_overflow = 0x00004000;
inline constexpr std::uint32_t ignored = 0x00008000;
inline constexpr std::uint32_t only_dir = 0x01000000;
inline constexpr std::uint32_t dont_follow = 0x02000000;
inline constexpr std::uint32_t exclude_unlinked = 0x04000000;
inline constexpr std::uint32_t is_dir = 0x40000000;
} // namespace inotify_flag

/// The events of every watch the monitor adds (IN_DONT_FOLLOW and IN_MASK_ADD are added per
/// call). The raw floors of bench/ and the kernel test watch with it too, so that the kernel
/// queues the same records for both sides.
inline constexpr std::uint32_t inotify_watch_mask =
    inotify_flag::create | inotify_flag::delete_entry | inotify_flag::moved_from | inotify_flag::moved_to |
    inotify_flag::modify | inotify_flag::attrib | inotify_flag::delete_self | inotify_flag::move_self |
    inotify_flag::only_dir | inotify_flag::exclude_unlinked;

/// One record; `name` points into the parsed buffer (empty for events on the watched directory
/// itself and for the queue overflow record).
struct inotify_record {
  int watch = -1;
  std::uint32_t mask = 0;
  std::uint32_t cookie = 0;
  std::string_view name;
};

/// Size of the fixed part of a record: int wd, uint32 mask, cookie, len.
inline constexpr std::size_t inotify_header_size = 16;

struct inotify_parse_result {
  std::size_t consumed = 0; ///< bytes of whole records; the rest is a truncated record
  bool malformed = false;   ///< a record claims more bytes than any name can have (PATH_MAX,
                            ///< NUL included): a longer field, or a full one without a NUL
};

/// Appends the whole records of `bytes` to `out`. The kernel never splits a record across reads,
/// so leftover bytes mean a truncated buffer; the caller keeps them for the next call. Names are
/// cut at their first NUL (the kernel pads them with NULs). A malformed record stops the parse.
inotify_parse_result parse_inotify_records(std::string_view bytes, std::vector<inotify_record>& out);

/// Encodes one record as the kernel would (name NUL-padded to a multiple of 16): for tests,
/// benchmarks and fuzzers.
void append_inotify_record(std::string& out, int watch, std::uint32_t mask, std::uint32_t cookie,
                           std::string_view name);

} // namespace asio_fswatch::detail

#endif
