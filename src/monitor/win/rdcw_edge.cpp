// SPDX-License-Identifier: BSL-1.0
#include "rdcw_edge.hpp"

#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>

#include <windows.h>

namespace asio_fswatch::detail {
namespace {

namespace asio = boost::asio;
namespace sys = boost::system;

// Everything the event model has a kind for: names (files and directories), content (size,
// last write), attributes, times of creation, security.
constexpr DWORD notify_filter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME |
                                FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_SIZE |
                                FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_CREATION |
                                FILE_NOTIFY_CHANGE_SECURITY;

// A network share refuses a larger buffer with ERROR_INVALID_PARAMETER (the SMB limit).
constexpr std::size_t network_buffer_limit = 64 * 1024;

// ReadDirectoryChangesExW (Windows 10 1709) gives each record the entry's attributes, so that
// a new entry's type needs no look. Looked up at run time: older systems lack it, and so do
// Wine 8 and MinGW-w64 10 (which has no declaration either; the call's form is the ABI's).
using read_changes_ex_function = BOOL(WINAPI*)(HANDLE, LPVOID, DWORD, BOOL, DWORD, LPDWORD, LPOVERLAPPED,
                                               LPOVERLAPPED_COMPLETION_ROUTINE, int);
constexpr int read_directory_notify_extended_information = 2;

read_changes_ex_function find_read_changes_ex() noexcept {
  HMODULE kernel = ::GetModuleHandleW(L"kernel32.dll");
  if (!kernel)
    return nullptr;
  // Through void(*)(), which any function pointer type may be cast to and from.
  return reinterpret_cast<read_changes_ex_function>(
      reinterpret_cast<void (*)()>(::GetProcAddress(kernel, "ReadDirectoryChangesExW")));
}

const read_changes_ex_function read_changes_ex = find_read_changes_ex();

} // namespace

sys::error_code last_win32_error() { return {static_cast<int>(::GetLastError()), sys::system_category()}; }

std::wstring win_long_path(const std::string& text) { return long_path_for_win32(path_from_text(text).native()); }

rdcw_edge::rdcw_edge(const asio::any_io_executor& executor, const monitor_options& options)
    : executor_(executor),
      // Whole DWORDs, and at least one record's worth (a header and a name of 255 units).
      buffer_bytes_(std::max<std::size_t>((options.change_buffer + 3) / 4 * 4, 1024)) {}

rdcw_edge::~rdcw_edge() { close(); }

sys::error_code rdcw_edge::open(backend& mode, bool, edge_sink sink) {
  sink_ = std::move(sink);
  policy_ = mode == backend::poll ? watch_policy::polling : watch_policy::recursive_root;
  format_ = read_changes_ex ? rdcw_format::extended : rdcw_format::basic;
  filesystem_ = make_win_filesystem(this);
  return {};
}

int rdcw_edge::open_watch(const std::string& directory, bool recursive, sys::error_code& ec) {
  // Every sharing mode, so that the watch never stands in the way of a rename or a deletion of
  // what it watches (the directory itself included).
  HANDLE handle = ::CreateFileW(win_long_path(directory).c_str(), FILE_LIST_DIRECTORY,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    ec = last_win32_error();
    return -1;
  }
  auto w = std::make_shared<watch>(next_id_, directory, recursive, executor_);
  w->handle.assign(handle, ec); // on the completion port
  if (ec) {
    ::CloseHandle(handle);
    return -1;
  }
  w->buffer.resize(buffer_bytes_ / 4);
  w->format = format_;
  // The system records changes for a handle from its first read on: one starts now, so that
  // nothing made after add() returns is lost. A file system that cannot give the extended
  // records (FAT, exFAT, a ReFS Dev Drive refuse ReadDirectoryChangesExW) gets the basic ones,
  // and a network share a buffer of 64 KiB; one that can give none fails add().
  sys::error_code refused = start_read(w);
  if (refused && w->format == rdcw_format::extended) {
    w->format = rdcw_format::basic;
    refused = start_read(w);
  }
  if (refused.value() == ERROR_INVALID_PARAMETER && w->buffer.size() * 4 > network_buffer_limit) {
    w->buffer.resize(network_buffer_limit / 4);
    refused = start_read(w);
  }
  if (refused) {
    sys::error_code ignored;
    w->handle.close(ignored);
    ec = refused;
    return -1;
  }
  watches_.emplace(next_id_, w);
  ec.clear();
  // Unless a user operation waits, the read is cancelled at once; the system goes on recording
  // for the next one.
  if (!armed_)
    ::CancelIoEx(handle, nullptr);
  return next_id_++;
}

void rdcw_edge::close_watch(int id) {
  auto it = watches_.find(id);
  if (it == watches_.end())
    return;
  watch& w = *it->second;
  w.closed = true;
  // Cancelled first: closing a handle with a read pending completes it with 676
  // (ERROR_HANDLES_CLOSED) under Wine. The read's handler owns the watch and its buffer until
  // it has completed.
  if (w.reading)
    ::CancelIoEx(w.handle.native_handle(), nullptr);
  sys::error_code ignored;
  w.handle.close(ignored);
  watches_.erase(it);
}

bool rdcw_edge::delete_pending(const std::string& directory) const {
  for (const auto& [id, w] : watches_) {
    if (w->directory != directory || w->closed)
      continue;
    FILE_STANDARD_INFO standard;
    if (::GetFileInformationByHandleEx(w->handle.native_handle(), FileStandardInfo, &standard, sizeof standard) &&
        standard.DeletePending)
      return true;
  }
  return false;
}

void rdcw_edge::arm() {
  armed_ = true;
  for (auto& [id, w] : watches_) {
    if (w->reading || w->closed || w->failed)
      continue;
    if (sys::error_code refused = start_read(w)) {
      // Told as a read that failed, from the completion port, never here under the lock.
      asio::post(executor_, [w, refused, sink = sink_, this] {
        sink([this, w, refused](watch_engine& engine) -> sys::error_code {
          completed(engine, *w, refused, 0);
          return {};
        });
      });
      w->reading = true; // until that is told: no second attempt meanwhile
    }
  }
}

void rdcw_edge::disarm() {
  armed_ = false;
  // What changes meanwhile the system keeps in the handle's buffer for the next read; a
  // cancelled read had read nothing (a read with records completes, it is not cancelled).
  for (auto& [id, w] : watches_)
    if (w->reading)
      ::CancelIoEx(w->handle.native_handle(), nullptr);
}

void rdcw_edge::close() {
  while (!watches_.empty())
    close_watch(watches_.begin()->first);
}

sys::error_code rdcw_edge::start_read(const std::shared_ptr<watch>& w) {
  w->reading = true;
  // The handler holds the watch (its buffer) until it has run; the work it hands the sink runs
  // only while the monitor, which holds this edge, is there.
  asio::windows::overlapped_ptr read(executor_, [this, w, sink = sink_](sys::error_code ec, std::size_t bytes) {
    sink([this, w, ec, bytes](watch_engine& engine) -> sys::error_code {
      completed(engine, *w, ec, bytes);
      return {};
    });
  });
  void* const buffer = w->buffer.data();
  const DWORD size = static_cast<DWORD>(w->buffer.size() * 4);
  const HANDLE handle = w->handle.native_handle();
  const BOOL started =
      w->format == rdcw_format::extended
          ? read_changes_ex(handle, buffer, size, w->recursive, notify_filter, nullptr, read.get(), nullptr,
                            read_directory_notify_extended_information)
          : ::ReadDirectoryChangesW(handle, buffer, size, w->recursive, notify_filter, nullptr, read.get(), nullptr);
  if (started) {
    read.release(); // the completion port completes it
    return {};
  }
  // Refused at once: the operation is destroyed with `read`, its handler never called.
  w->reading = false;
  return last_win32_error();
}

void rdcw_edge::completed(watch_engine& engine, watch& w, sys::error_code ec, std::size_t bytes) {
  w.reading = false;
  if (w.closed || ec == asio::error::operation_aborted)
    return; // disarmed or closed; what is not read yet stays with the system
  const time_sample now = time_sample::now();
  changes_.clear();
  if (ec.value() == ERROR_INVALID_PARAMETER && w.buffer.size() * 4 > network_buffer_limit) {
    w.buffer.resize(network_buffer_limit / 4); // a network share: read again, with less
    return;
  }
  if (ec.value() == ERROR_NOTIFY_ENUM_DIR || (!ec && bytes == 0)) {
    // More changed than the system's buffer for the handle held: they are lost. The root is
    // rescanned, and watched on.
    changes_.push_back(change_record{change_kind::overflow, {}, {}, entry_type::unknown});
  } else if (ec) {
    // The directory went away (deleted: ERROR_ACCESS_DENIED while it is pending deletion), or
    // the share did: the engine looks at the root, and ends it unless it can follow it.
    w.failed = true;
    engine.on_watch_error(w.id, ec, now);
    return;
  } else {
    const std::string_view records(reinterpret_cast<const char*>(w.buffer.data()),
                                   std::min(bytes, w.buffer.size() * 4));
    if (parse_rdcw_records(records, w.format, changes_).malformed)
      changes_.push_back(change_record{change_kind::overflow, {}, {}, entry_type::unknown});
  }
  engine.on_changes(w.id, changes_, now);
}

} // namespace asio_fswatch::detail
