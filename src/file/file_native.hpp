// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private to src/file: what the composed file operations (file_operations.cpp)
// need from the platform beyond the requests themselves: the record a stat request fills and
// what it says, closing a descriptor a request opened, and the permissions a copy keeps. One
// definition in posix/ and one in win/.
#ifndef ASIO_FSWATCH_SRC_FILE_NATIVE_HPP
#define ASIO_FSWATCH_SRC_FILE_NATIVE_HPP

#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/file_op.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>

#if defined(ASIO_FSWATCH_WINDOWS)
#include <windows.h>
#else
#include <sys/stat.h>
#endif

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_WINDOWS)
/// What GetFileType and GetFileInformationByHandle say of a HANDLE.
struct native_stat {
  DWORD type;
  BY_HANDLE_FILE_INFORMATION info;
};
/// Copying a range inside the kernel: Linux's copy_file_range; Windows has none for ordinary
/// volumes, so a copy reads and writes.
inline constexpr bool has_copy_range = false;
#elif defined(ASIO_FSWATCH_LINUX)
using native_stat = struct ::statx; // the io_uring backend fills it too
inline constexpr bool has_copy_range = true;
#else
/// Generic POSIX: fstat's record, and copies by reads and writes.
using native_stat = struct ::stat;
inline constexpr bool has_copy_range = false;
#endif

/// What the composed operations need to know of a file.
struct file_stat {
  enum class kind : std::uint8_t { regular, directory, block_device, other };
  kind type = kind::other;
  std::uint64_t size = 0;
  std::uint64_t device = 0; // with `inode`: the file's identity
  std::uint64_t inode = 0;
  unsigned permissions = 0; // POSIX mode bits; Windows file attributes

  bool same_file(const file_stat& other) const noexcept { return device == other.device && inode == other.inode; }
};

file_stat describe(const native_stat& stat) noexcept;

/// The descriptor an open request gave as its result.
inline native_file opened_file(std::int64_t result) noexcept {
#if defined(ASIO_FSWATCH_WINDOWS)
  return reinterpret_cast<native_file>(static_cast<std::intptr_t>(result));
#else
  return native_file(result);
#endif
}

/// Closes a descriptor a request opened and nobody took.
void close_opened(native_file file) noexcept;

/// Gives `file` the permissions `from` had (POSIX: its mode bits, which creation filtered through
/// the umask; Windows: its read-only, hidden, system and archive attributes).
boost::system::error_code copy_permissions(native_file file, const file_stat& from) noexcept;

/// The error for a contradiction a system call would have reported: EISDIR, EINVAL. POSIX: the
/// system category, as the calls report them; Windows: the generic one.
boost::system::error_code portable_error(boost::system::errc::errc_t e) noexcept;

} // namespace asio_fswatch::detail

#endif
