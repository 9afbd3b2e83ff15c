// A file I/O object on Windows: opening and adopting a HANDLE, and the synchronous calls. The
// HANDLE is opened for synchronous I/O: the thread pool runs the transfers (file_perform.hpp).
#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/detail/path_text.hpp>

#include <boost/asio/error.hpp>

#include <windows.h>

#include <new>

namespace asio_fswatch::detail {
namespace {

boost::system::error_code last_error() noexcept {
  return {int(::GetLastError()), boost::system::system_category()};
}

boost::system::error_code invalid_argument() noexcept {
  return {ERROR_INVALID_PARAMETER, boost::system::system_category()};
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
    ec = last_error();
    return;
  }
  if (type == FILE_TYPE_DISK && ::GetFileInformationByHandle(fd, &info) &&
      (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    ec = make_error_code(boost::system::errc::is_a_directory);
    return;
  }
  try {
    fd_ = shared_fd::adopt(fd);
  } catch (const std::bad_alloc&) {
    ec = make_error_code(boost::system::errc::not_enough_memory);
    return;
  }
  kind_ = type == FILE_TYPE_DISK ? kind::regular : kind::stream;
}

void file_handle::open(const char* path, file_base::flags flags, boost::system::error_code& ec) {
  if (fd_) {
    ec = boost::asio::error::already_open;
    return;
  }
  const open_request r = request_for(flags, ec);
  if (ec)
    return;
  const std::filesystem::path native = path_from_text(path);
  // A directory cannot be opened without FILE_FLAG_BACKUP_SEMANTICS (ERROR_ACCESS_DENIED): say
  // what POSIX says.
  const DWORD attributes = ::GetFileAttributesW(native.c_str());
  if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    ec = make_error_code(boost::system::errc::is_a_directory);
    return;
  }
  // The iocp backend: the HANDLE is opened for overlapped I/O and goes on the context's
  // completion port, where reads and writes complete; a duplicate serves the calls that block,
  // on the pool. An error choosing the backend is the operations' to report: the file opens
  // for the pool then.
  boost::system::error_code choice;
  const bool overlapped = service_->backend(executor_, choice) == file_backend_kind::iocp && !choice;
  const DWORD attributes_and_flags = r.attributes | (overlapped ? FILE_FLAG_OVERLAPPED : 0);
  HANDLE h = ::CreateFileW(native.c_str(), r.access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           nullptr, r.disposition, attributes_and_flags, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    ec = last_error();
    return;
  }
  HANDLE for_pool = h;
  if (overlapped) {
    const HANDLE process = ::GetCurrentProcess();
    if (!::DuplicateHandle(process, h, process, &for_pool, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
      ec = last_error();
      ::CloseHandle(h);
      return;
    }
  }
  adopt(for_pool, ec);
  if (ec) {
    if (for_pool != h)
      ::CloseHandle(for_pool);
    ::CloseHandle(h);
    return;
  }
  fd_->set_append((flags & file_base::append) != 0);
  if (overlapped) {
    overlapped_.emplace(executor_);
    overlapped_->assign(h, ec); // on the completion port
    if (ec) {
      overlapped_.reset();
      ::CloseHandle(h);
      boost::system::error_code ignored;
      close(ignored);
    }
  }
}

std::uint64_t file_handle::size(boost::system::error_code& ec) const {
  if (!check_open(ec))
    return 0;
  LARGE_INTEGER n{};
  if (!::GetFileSizeEx(fd_->get(), &n)) {
    ec = last_error();
    return 0;
  }
  return std::uint64_t(n.QuadPart);
}

void file_handle::resize(std::uint64_t size, boost::system::error_code& ec) {
  FILE_END_OF_FILE_INFO info{};
  info.EndOfFile.QuadPart = LONGLONG(size);
  if (check_open(ec) && !::SetFileInformationByHandle(fd_->get(), FileEndOfFileInfo, &info, sizeof info))
    ec = last_error();
}

void file_handle::sync_all(boost::system::error_code& ec) {
  if (check_open(ec) && !::FlushFileBuffers(fd_->get()))
    ec = last_error();
}

void file_handle::sync_data(boost::system::error_code& ec) {
  sync_all(ec); // Windows has one flush: data and metadata
}

std::uint64_t file_handle::seek(std::int64_t offset, file_base::seek_basis whence,
                                boost::system::error_code& ec) {
  if (!check_open(ec))
    return 0;
  const DWORD how = whence == file_base::seek_set ? FILE_BEGIN : whence == file_base::seek_cur ? FILE_CURRENT : FILE_END;
  LARGE_INTEGER distance{};
  distance.QuadPart = offset;
  LARGE_INTEGER position{};
  if (!::SetFilePointerEx(fd_->get(), distance, &position, how)) {
    ec = last_error();
    return 0;
  }
  return std::uint64_t(position.QuadPart);
}

} // namespace asio_fswatch::detail
