// SPDX-License-Identifier: BSL-1.0
// What the composed file operations need from Windows (file_native.hpp): a HANDLE's type and
// identity, closing a HANDLE an open request gave, and the attributes a copy keeps.
#include "../file_native.hpp"

#include <asio_fswatch/detail/system_error.hpp>

namespace asio_fswatch::detail {

file_stat describe(const native_stat& stat) noexcept {
  file_stat d;
  if (stat.type == FILE_TYPE_DISK)
    d.type = (stat.info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 ? file_stat::kind::directory
                                                                           : file_stat::kind::regular;
  d.size = (std::uint64_t(stat.info.nFileSizeHigh) << 32) | stat.info.nFileSizeLow;
  d.device = stat.info.dwVolumeSerialNumber;
  d.inode = (std::uint64_t(stat.info.nFileIndexHigh) << 32) | stat.info.nFileIndexLow;
  d.permissions = stat.info.dwFileAttributes;
  return d;
}

void close_opened(native_file file) noexcept { ::CloseHandle(file); }

boost::system::error_code copy_permissions(native_file file, const file_stat& from) noexcept {
  constexpr DWORD kept = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM |
                         FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_NOT_CONTENT_INDEXED;
  FILE_BASIC_INFO info{}; // times left at 0: unchanged
  info.FileAttributes = (from.permissions & kept) != 0 ? (from.permissions & kept) : FILE_ATTRIBUTE_NORMAL;
  if (!::SetFileInformationByHandle(file, FileBasicInfo, &info, sizeof info))
    return last_system_error();
  return {};
}

boost::system::error_code portable_error(boost::system::errc::errc_t e) noexcept {
  return make_error_code(e);
}

} // namespace asio_fswatch::detail
