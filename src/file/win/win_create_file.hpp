// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private to src/file/win: opening a file as file_base::flags ask, for the file
// objects (win_file_handle.cpp) and for the composed operations' open requests on the pool.
#ifndef ASIO_FSWATCH_SRC_FILE_WIN_CREATE_FILE_HPP
#define ASIO_FSWATCH_SRC_FILE_WIN_CREATE_FILE_HPP

#include <asio_fswatch/file_base.hpp>

#include <boost/system/error_code.hpp>

#include <windows.h>

namespace asio_fswatch::detail {

/// CreateFileW of `path` with the access and disposition `flags` ask for, shared for reading,
/// writing and deletion (as POSIX files are), with `extra_flags` (FILE_FLAG_OVERLAPPED, ...).
/// INVALID_HANDLE_VALUE with `ec` set on an error; ERROR_INVALID_PARAMETER for a contradictory
/// set of flags (no access mode, or two, or `exclusive` without `create`).
HANDLE create_file(const wchar_t* path, file_base::flags flags, DWORD extra_flags, boost::system::error_code& ec) noexcept;

} // namespace asio_fswatch::detail

#endif
