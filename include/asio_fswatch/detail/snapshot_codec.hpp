// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: a picture of a tree as the bytes of a snapshot file, and back
// (sans-io). write_snapshot and events_since (snapshot.hpp) use it.
//
// The format, version 1, every integer little-endian:
//   magic "asio_fswatch.snp" (16 bytes), u32 version, u32 flags (0),
//   i64 when the scan began (wall clock, ns since the epoch),
//   u64 the number of entries, u32 + bytes the root's path when written (informative),
//   then each entry, a parent before its children, the root first:
//     u32 the index of its parent (0xffffffff for the root), u8 its entry_type,
//     u32 + bytes its name (empty for the root),
//     i64 mtime_ns, i64 ctime_ns, u64 size, u64 inode, u64 mount_id,
//     u32 mode, u32 uid, u32 gid, u32 links, u32 attributes,
//   and last a u64 checksum (FNV-1a, 64 bits) of every byte before it.
#ifndef ASIO_FSWATCH_DETAIL_SNAPSHOT_CODEC_HPP
#define ASIO_FSWATCH_DETAIL_SNAPSHOT_CODEC_HPP

#include <asio_fswatch/detail/entry_tree.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace asio_fswatch::detail {

inline constexpr std::uint32_t snapshot_format_version = 1;

/// The bytes of a snapshot file holding the attached nodes of `tree`, which keeps statuses,
/// scanned from `scanned_ns` on.
std::string encode_snapshot(const entry_tree& tree, std::int64_t scanned_ns);

/// The longest path (bytes, below the root) a snapshot may hold: Windows's limit, beyond any
/// POSIX PATH_MAX.
inline constexpr std::size_t snapshot_max_path = 32767;

/// The picture `bytes` hold, rooted at `root_path` (the root the file was written for is not
/// compared: a tree moved with its snapshot file still compares), and when its scan began. On
/// any damage, sets `ec` to errc::invalid_snapshot (errc::unsupported_snapshot_version for
/// another format version) and returns an empty picture; otherwise clears `ec`. Besides the
/// checksum and the structure, it refuses what no real tree gives and would cost much to
/// report: a path longer than snapshot_max_path, or paths whose lengths add up to more than 32
/// times the file's size (a crafted chain of directories); on Windows, a name with `\` or `:`.
entry_tree decode_snapshot(std::string_view bytes, const std::string& root_path, std::int64_t& scanned_ns,
                           boost::system::error_code& ec);

/// FNV-1a, 64 bits: the checksum that ends a snapshot file.
std::uint64_t snapshot_checksum(std::string_view bytes) noexcept;

} // namespace asio_fswatch::detail

#endif
