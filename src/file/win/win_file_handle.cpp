// SPDX-License-Identifier: BSL-1.0
// A file I/O object on Windows: opening and adopting a HANDLE, and the synchronous calls. A
// HANDLE opened for overlapped I/O goes on the context's completion port; one opened for
// synchronous I/O is served by the thread pool (file_perform.hpp).
#include "win_create_file.hpp"

#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/system_error.hpp>

#include <boost/asio/error.hpp>

#include <windows.h>

#include <new>
#include <utility>

namespace asio_fswatch::detail {
namespace {

boost::system::error_code invalid_argument() noexcept {
  return {ERROR_INVALID_PARAMETER, boost::system::system_category()};
}

/// True when `h` was opened for overlapped I/O: its mode has neither FILE_SYNCHRONOUS_IO_ALERT
/// nor FILE_SYNCHRONOUS_IO_NONALERT (NtQueryInformationFile, FileModeInformation: the one way to
/// ask a HANDLE how it was opened).
bool is_overlapped(HANDLE h) noexcept {
  struct io_status {
    void* status_or_pointer;
    ULONG_PTR information;
  };
  using query_fn = LONG(WINAPI*)(HANDLE, io_status*, void*, ULONG, int);
  static const auto query = reinterpret_cast<query_fn>(
      reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationFile")));
  constexpr int file_mode_information = 16;
  constexpr ULONG synchronous_io = 0x10 | 0x20;
  io_status status{};
  ULONG mode = 0;
  if (!query || query(h, &status, &mode, sizeof mode, file_mode_information) < 0)
    return false; // then it is taken as synchronous: the pool serves it
  return (mode & synchronous_io) == 0;
}


struct open_request {
  DWORD access = 0;
  DWORD disposition = OPEN_EXISTING;
  DWORD attributes = FILE_ATTRIBUTE_NORMAL;
};

/// CreateFileW's arguments for file_base::flags; EINVAL's twin for a contradictory set (no
/// access mode, or two of them, or `exclusive` without `create`).
open_request request_for(file_base::flags flags, boost::system::error_code& ec) noexcept {
  ec.clear();
  open_request r;
  const unsigned access = flags & (file_base::read_only | file_base::write_only | file_base::read_write);
  switch (access) {
  case file_base::read_only: r.access = GENERIC_READ; break;
  case file_base::write_only: r.access = GENERIC_WRITE; break;
  case file_base::read_write: r.access = GENERIC_READ | GENERIC_WRITE; break;
  default: ec = invalid_argument(); return r;
  }
  const bool create = (flags & file_base::create) != 0;
  const bool exclusive = (flags & file_base::exclusive) != 0;
  const bool truncate = (flags & file_base::truncate) != 0;
  if (exclusive && !create) {
    ec = invalid_argument();
    return r;
  }
  if (create && exclusive)
    r.disposition = CREATE_NEW;
  else if (create && truncate)
    r.disposition = CREATE_ALWAYS;
  else if (create)
    r.disposition = OPEN_ALWAYS;
  else if (truncate)
    r.disposition = TRUNCATE_EXISTING;
  if (flags & file_base::sync_all_on_write)
    r.attributes |= FILE_FLAG_WRITE_THROUGH;
  return r;
}

} // namespace

HANDLE create_file(const wchar_t* path, file_base::flags flags, DWORD extra_flags, boost::system::error_code& ec) noexcept {
  const open_request r = request_for(flags, ec);
  if (ec)
    return INVALID_HANDLE_VALUE;
  HANDLE h = ::CreateFileW(path, r.access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           r.disposition, r.attributes | extra_flags, nullptr);
  if (h == INVALID_HANDLE_VALUE)
    ec = last_system_error();
  return h;
}

void position_at_end(shared_fd& file) noexcept {
  LARGE_INTEGER size{};
  if (::GetFileSizeEx(file.get(), &size))
    file.set_position(std::uint64_t(size.QuadPart));
}

int shared_fd::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return 0;
  int result = 0;
  if (!detached_.load(std::memory_order_relaxed) && !::CloseHandle(fd_))
    result = -int(::GetLastError());
  delete this;
  return result;
}

void file_handle::adopt(native_file fd, boost::system::error_code& ec) {
  BY_HANDLE_FILE_INFORMATION info{};
  const DWORD type = ::GetFileType(fd);
  if (type == FILE_TYPE_UNKNOWN && ::GetLastError() != NO_ERROR) {
    ec = last_system_error();
    return;
  }
  if (type == FILE_TYPE_DISK && ::GetFileInformationByHandle(fd, &info) &&
      (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    ec = make_error_code(boost::system::errc::is_a_directory);
    return;
  }
  // An overlapped HANDLE goes on the completion port; the shared descriptor, which the calls
  // that block use on the pool, holds a duplicate of it. On an error the caller keeps `fd`.
  const bool overlapped = is_overlapped(fd);
  HANDLE for_pool = fd;
  const HANDLE process = ::GetCurrentProcess();
  if (overlapped && !::DuplicateHandle(process, fd, process, &for_pool, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    ec = last_system_error();
    return;
  }
  try {
    fd_ = shared_fd::adopt(for_pool);
  } catch (const std::bad_alloc&) {
    if (for_pool != fd)
      ::CloseHandle(for_pool);
    ec = make_error_code(boost::system::errc::not_enough_memory);
    return;
  }
  kind_ = type == FILE_TYPE_DISK ? kind::regular : kind::stream;
  if (!overlapped)
    return;
  try {
    overlapped_.emplace(executor_);
    overlapped_->assign(fd, ec); // on the completion port: fails when it is on another one
  } catch (const std::bad_alloc&) {
    ec = make_error_code(boost::system::errc::not_enough_memory);
  }
  if (ec) {
    overlapped_.reset();
    std::exchange(fd_, nullptr)->release(); // closes the duplicate
  }
}

void file_handle::open(const char* path, file_base::flags flags, boost::system::error_code& ec) {
  if (fd_) {
    ec = boost::asio::error::already_open;
    return;
  }
  boost::system::error_code invalid;
  request_for(flags, invalid); // a contradictory set is refused before the file is looked at
  if (invalid) {
    ec = invalid;
    return;
  }
  const std::filesystem::path native = path_from_text(path);
  // A directory cannot be opened without FILE_FLAG_BACKUP_SEMANTICS (ERROR_ACCESS_DENIED): say
  // what POSIX says.
  const DWORD attributes = ::GetFileAttributesW(native.c_str());
  if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    ec = make_error_code(boost::system::errc::is_a_directory);
    return;
  }
  // The iocp backend: the HANDLE is opened for overlapped I/O, which puts it on the context's
  // completion port (adopt()). An error choosing the backend is the operations' to report: the
  // file opens for the pool then.
  boost::system::error_code choice;
  const bool overlapped = service_->backend(executor_, choice) == file_backend_kind::iocp && !choice;
  HANDLE h = create_file(native.c_str(), flags, overlapped ? FILE_FLAG_OVERLAPPED : 0, ec);
  if (ec)
    return;
  adopt(h, ec);
  if (ec) {
    ::CloseHandle(h);
    return;
  }
  fd_->set_append((flags & file_base::append) != 0);
}

std::uint64_t file_handle::size(boost::system::error_code& ec) const {
  if (!check_open(ec))
    return 0;
  LARGE_INTEGER n{};
  if (!::GetFileSizeEx(fd_->get(), &n)) {
    ec = last_system_error();
    return 0;
  }
  return std::uint64_t(n.QuadPart);
}

void file_handle::resize(std::uint64_t size, boost::system::error_code& ec) {
  FILE_END_OF_FILE_INFO info{};
  info.EndOfFile.QuadPart = LONGLONG(size);
  if (check_open(ec) && !::SetFileInformationByHandle(fd_->get(), FileEndOfFileInfo, &info, sizeof info))
    ec = last_system_error();
}

void file_handle::sync_all(boost::system::error_code& ec) {
  if (check_open(ec) && !::FlushFileBuffers(fd_->get()))
    ec = last_system_error();
}

void file_handle::sync_data(boost::system::error_code& ec) {
  sync_all(ec); // Windows has one flush: data and metadata
}

std::uint64_t file_handle::seek(std::int64_t offset, file_base::seek_basis whence,
                                boost::system::error_code& ec) {
  if (!check_open(ec))
    return 0;
  if (kind_ != kind::regular) {
    ec = make_error_code(boost::system::errc::invalid_seek); // as ESPIPE: a pipe has no position
    return 0;
  }
  if (overlapped_) {
    // The position is the object's own: overlapped I/O names its offset.
    std::int64_t base = 0;
    if (whence == file_base::seek_cur)
      base = std::int64_t(fd_->position());
    else if (whence == file_base::seek_end)
      base = std::int64_t(size(ec));
    if (ec)
      return 0;
    if (offset < 0 && base + offset < 0) {
      ec = make_error_code(boost::system::errc::invalid_argument);
      return 0;
    }
    fd_->set_position(std::uint64_t(base + offset));
    return fd_->position();
  }
  const DWORD how = whence == file_base::seek_set ? FILE_BEGIN : whence == file_base::seek_cur ? FILE_CURRENT : FILE_END;
  LARGE_INTEGER distance{};
  distance.QuadPart = offset;
  LARGE_INTEGER position{};
  if (!::SetFilePointerEx(fd_->get(), distance, &position, how)) {
    ec = last_system_error();
    return 0;
  }
  return std::uint64_t(position.QuadPart);
}

} // namespace asio_fswatch::detail
