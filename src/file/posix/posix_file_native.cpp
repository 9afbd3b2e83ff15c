// SPDX-License-Identifier: BSL-1.0
// What the composed file operations need from POSIX (file_native.hpp): statx's (Linux) or
// fstat's (generic POSIX) record read,
// closing a descriptor an open request gave, and the permission bits a copy keeps.
#include "../file_native.hpp"

#include <asio_fswatch/detail/system_error.hpp>

#include <sys/stat.h>
#include <unistd.h>


namespace asio_fswatch::detail {

file_stat describe(const native_stat& stat) noexcept {
#if defined(ASIO_FSWATCH_LINUX)
  const auto mode = stat.stx_mode;
#else
  const auto mode = stat.st_mode;
#endif
  file_stat d;
  if (S_ISREG(mode))
    d.type = file_stat::kind::regular;
  else if (S_ISDIR(mode))
    d.type = file_stat::kind::directory;
  else if (S_ISBLK(mode))
    d.type = file_stat::kind::block_device;
  d.permissions = mode & 07777;
#if defined(ASIO_FSWATCH_LINUX)
  d.size = stat.stx_size;
  d.device = (std::uint64_t(stat.stx_dev_major) << 32) | stat.stx_dev_minor;
  d.inode = stat.stx_ino;
#else
  d.size = std::uint64_t(stat.st_size);
  d.device = std::uint64_t(stat.st_dev);
  d.inode = std::uint64_t(stat.st_ino);
#endif
  return d;
}

void close_opened(native_file file) noexcept { ::close(file); }

boost::system::error_code copy_permissions(native_file file, const file_stat& from) noexcept {
  if (::fchmod(file, mode_t(from.permissions)) != 0)
    return last_system_error();
  return {};
}

boost::system::error_code portable_error(boost::system::errc::errc_t e) noexcept {
  return {int(e), boost::system::system_category()};
}

} // namespace asio_fswatch::detail
