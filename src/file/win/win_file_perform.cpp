// SPDX-License-Identifier: BSL-1.0
// The thread pool's blocking calls on Windows (file_perform.hpp): synchronous ReadFile and
// WriteFile at an offset given in an OVERLAPPED, one buffer after the other as readv and writev
// fill them, and the calls behind resize, allocate and the flushes.
#include "../file_native.hpp"
#include "../file_perform.hpp"
#include "win_create_file.hpp"

#include <asio_fswatch/detail/file_service.hpp>

#include <windows.h>

#include <utility>

namespace asio_fswatch::detail {
namespace {

std::int64_t negative_last_error() noexcept { return -std::int64_t(::GetLastError()); }

/// Where a transfer goes: at `offset`, at the file position (current_position), or, for an
/// append, at the end of the file.
enum class at_end : bool { no, yes };

/// One ReadFile or WriteFile of `b`.
bool transfer_one(const file_op& op, const native_buffer& b, std::uint64_t offset, at_end append, DWORD& done) {
  // All ones in the OVERLAPPED is FILE_WRITE_TO_END_OF_FILE; no OVERLAPPED, the file position.
  const std::uint64_t position = append == at_end::yes ? ~std::uint64_t(0) : offset;
  OVERLAPPED at{};
  at.Offset = DWORD(position & 0xFFFFFFFFu);
  at.OffsetHigh = DWORD(position >> 32);
  OVERLAPPED* where = append == at_end::no && offset == current_position ? nullptr : &at;
  const DWORD length = b.iov_len > 0x7FFFF000u ? 0x7FFFF000u : DWORD(b.iov_len);
  return op.opcode == file_opcode::read ? ::ReadFile(op.fd, b.iov_base, length, &done, where) != 0
                                        : ::WriteFile(op.fd, b.iov_base, length, &done, where) != 0;
}

std::int64_t transfer(const file_op& op) noexcept {
  const at_end append = op.opcode == file_opcode::write && op.handle && op.handle->append() ? at_end::yes : at_end::no;
  std::int64_t total = 0;
  for (unsigned i = 0; i < op.iov_count; ++i) {
    const native_buffer& b = op.iov[i];
    if (b.iov_len == 0)
      continue;
    if (op.stop_requested.load(std::memory_order_acquire))
      return total > 0 ? total : cancelled_result; // cancelled while it ran: no further call
    DWORD done = 0;
    const std::uint64_t offset = op.offset == current_position ? current_position : op.offset + std::uint64_t(total);
    bool ok = transfer_one(op, b, offset, append, done);
    // Aborted with no stop asked for: an interruption meant for this thread's previous request
    // came late (thread_pool_backend.cpp). The call is made again.
    while (!ok && ::GetLastError() == ERROR_OPERATION_ABORTED && !op.stop_requested.load(std::memory_order_acquire))
      ok = transfer_one(op, b, offset, append, done);
    if (!ok) {
      const DWORD error = ::GetLastError();
      if (op.opcode == file_opcode::read && (error == ERROR_HANDLE_EOF || error == ERROR_BROKEN_PIPE))
        break; // the end of the file (read at an offset), or of a pipe: what was read counts
      if (total > 0)
        break;
      return -std::int64_t(error); // ERROR_OPERATION_ABORTED (interrupted): cancelled_result
    }
    total += done;
    if (done < b.iov_len)
      break; // short: as readv and writev, what follows is not touched
  }
  return total;
}

std::int64_t set_end_of_file(HANDLE h, std::uint64_t size) noexcept {
  FILE_END_OF_FILE_INFO info{};
  info.EndOfFile.QuadPart = LONGLONG(size);
  return ::SetFileInformationByHandle(h, FileEndOfFileInfo, &info, sizeof info) ? 0 : negative_last_error();
}

/// As fallocate(mode 0): the file extended (with zeros) when [offset, offset + length) ends past
/// its end. Setting the end of the file allocates the clusters (NTFS); a range within the file
/// is left as it is (Windows fills no hole of a sparse file for it).
std::int64_t allocate(HANDLE h, std::uint64_t offset, std::uint64_t length) noexcept {
  if (length == 0)
    return -std::int64_t(ERROR_INVALID_PARAMETER);
  LARGE_INTEGER size{};
  if (!::GetFileSizeEx(h, &size))
    return negative_last_error();
  const std::uint64_t end = offset + length;
  return end <= std::uint64_t(size.QuadPart) ? 0 : set_end_of_file(h, end);
}

/// An open request: a HANDLE for synchronous I/O (the pool serves the requests that follow).
/// FILE_FLAG_BACKUP_SEMANTICS lets a directory open as on POSIX, so that the stat that follows
/// says what it is (EISDIR's twin) rather than the open failing with ERROR_ACCESS_DENIED.
std::int64_t open_file(const file_op& op) noexcept {
  boost::system::error_code ec;
  HANDLE h = create_file(op.path, file_base::flags(op.flags), FILE_FLAG_BACKUP_SEMANTICS, ec);
  if (ec)
    return -std::int64_t(ec.value());
  return std::int64_t(reinterpret_cast<std::intptr_t>(h));
}

std::int64_t stat_file(const file_op& op) noexcept {
  auto* stat = static_cast<native_stat*>(op.stat_buffer);
  stat->type = ::GetFileType(op.fd);
  if (stat->type == FILE_TYPE_UNKNOWN && ::GetLastError() != NO_ERROR)
    return negative_last_error();
  stat->info = BY_HANDLE_FILE_INFORMATION{};
  if (stat->type == FILE_TYPE_DISK && !::GetFileInformationByHandle(op.fd, &stat->info))
    return negative_last_error();
  return 0;
}

} // namespace

std::int64_t perform(const file_op& op) noexcept {
  switch (op.opcode) {
  case file_opcode::read:
  case file_opcode::write: return transfer(op);
  case file_opcode::sync_all:
  case file_opcode::sync_data: return ::FlushFileBuffers(op.fd) ? 0 : negative_last_error();
  case file_opcode::resize: return set_end_of_file(op.fd, op.offset);
  case file_opcode::allocate: return allocate(op.fd, op.offset, op.length);
  case file_opcode::open: return open_file(op);
  case file_opcode::stat: return stat_file(op);
  case file_opcode::copy_range: break; // none on Windows (has_copy_range): copies read and write
  }
  return -std::int64_t(ERROR_NOT_SUPPORTED);
}

bool read_if_cached(file_op&) noexcept { return false; } // no cached-read probe here

std::thread start_pool_thread(std::function<void()> run) { return std::thread(std::move(run)); }

std::int64_t no_thread_result() noexcept { return -std::int64_t(ERROR_NO_SYSTEM_RESOURCES); }

std::uintptr_t current_pool_thread() noexcept {
  HANDLE self = nullptr;
  const HANDLE process = ::GetCurrentProcess();
  if (!::DuplicateHandle(process, ::GetCurrentThread(), process, &self, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return 0; // its requests then cannot be interrupted: they end when their peer acts
  return reinterpret_cast<std::uintptr_t>(self);
}

void forget_pool_thread(std::uintptr_t thread) noexcept {
  if (thread != 0)
    ::CloseHandle(reinterpret_cast<HANDLE>(thread));
}

void interrupt_blocking_call(std::uintptr_t thread) noexcept {
  if (thread != 0)
    ::CancelSynchronousIo(reinterpret_cast<HANDLE>(thread)); // ERROR_NOT_FOUND: in no call yet
}

} // namespace asio_fswatch::detail
