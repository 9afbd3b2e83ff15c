// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the Windows file system the monitor's engine scans and watches through.
// Directories are listed with FindFirstFileExW (types from the attributes and reparse tags),
// entries looked at through a handle opened for its attributes only (identity: the file index
// and the volume's serial number), and watches are the edge's recursive ones (rdcw_edge).
#include "rdcw_edge.hpp"

#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/rdcw_parser.hpp>
#include <asio_fswatch/error.hpp>

#include <windows.h>

namespace asio_fswatch::detail {
namespace {

namespace sys = boost::system;

sys::error_code not_supported() {
  return sys::errc::make_error_code(sys::errc::operation_not_supported);
}

// Symbolic links and junctions are links; another reparse point (a cloud file's placeholder, a
// deduplicated file) is what its attributes say.
entry_type type_of(DWORD attributes, DWORD reparse_tag) noexcept {
  if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) && rdcw_reparse_tag::is_link(reparse_tag))
    return entry_type::symlink;
  if (attributes & FILE_ATTRIBUTE_DIRECTORY)
    return entry_type::directory;
  if (attributes & FILE_ATTRIBUTE_DEVICE)
    return entry_type::other;
  return entry_type::file;
}

// 100 ns ticks since 1601 -> nanoseconds since 1970.
std::int64_t unix_ns(std::int64_t ticks) noexcept { return (ticks - 116'444'736'000'000'000) * 100; }
std::int64_t unix_ns(const FILETIME& t) noexcept {
  return unix_ns(static_cast<std::int64_t>((static_cast<std::uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime));
}

/// Whether the reparse point at `path` (long form) is a link; one that cannot be asked counts
/// as a link, so that nothing is followed by mistake.
bool is_link(const std::wstring& path) noexcept {
  HANDLE handle = ::CreateFileW(path.c_str(), FILE_READ_ATTRIBUTES,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (handle == INVALID_HANDLE_VALUE)
    return true;
  FILE_ATTRIBUTE_TAG_INFO tag{};
  const bool known = ::GetFileInformationByHandleEx(handle, FileAttributeTagInfo, &tag, sizeof tag);
  ::CloseHandle(handle);
  return !known || rdcw_reparse_tag::is_link(tag.ReparseTag);
}

class handle_closer {
public:
  explicit handle_closer(HANDLE h) : handle_(h) {}
  ~handle_closer() { ::CloseHandle(handle_); }
  handle_closer(const handle_closer&) = delete;
  handle_closer& operator=(const handle_closer&) = delete;

private:
  HANDLE handle_;
};

class win_filesystem final : public filesystem {
public:
  explicit win_filesystem(rdcw_edge* edge) : edge_(edge) {}

  sys::error_code list(const std::string& directory, std::vector<listed_entry>& out, bool follow) override {
    std::wstring pattern = win_long_path(directory);
    if (!follow) {
      // A subdirectory replaced by a link since it was met must not have the entries of where
      // it points taken for its own (ELOOP, as O_NOFOLLOW gives on POSIX).
      const DWORD attributes = ::GetFileAttributesW(pattern.c_str());
      if (attributes == INVALID_FILE_ATTRIBUTES)
        return last_win32_error();
      // A directory that is a reparse point but no link (a cloud placeholder) is listed as it is.
      if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) && is_link(pattern))
        return sys::errc::make_error_code(sys::errc::too_many_symbolic_link_levels);
    }
    if (pattern.back() != L'\\')
      pattern += L'\\';
    pattern += L'*';
    WIN32_FIND_DATAW found;
    HANDLE search = ::FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &found, FindExSearchNameMatch, nullptr,
                                       FIND_FIRST_EX_LARGE_FETCH);
    if (search == INVALID_HANDLE_VALUE) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_FILE_NOT_FOUND)
        return {}; // nothing at all: a drive's empty root has not even "." and ".."
      return {static_cast<int>(error), sys::system_category()};
    }
    do {
      const std::wstring_view name(found.cFileName);
      if (name == L"." || name == L"..")
        continue;
      listed_entry entry;
      entry.name = path_text(std::filesystem::path(std::wstring(name)));
      entry.type = type_of(found.dwFileAttributes, found.dwReserved0);
      out.push_back(std::move(entry));
    } while (::FindNextFileW(search, &found));
    const DWORD error = ::GetLastError();
    ::FindClose(search);
    if (error != ERROR_NO_MORE_FILES)
      return {static_cast<int>(error), sys::system_category()};
    return {};
  }

  sys::error_code status(const std::string& path, bool follow, entry_type& type, entry_status& status) override {
    // Attributes only: opens what another program holds open without sharing, and never
    // changes its access time.
    HANDLE handle = ::CreateFileW(win_long_path(path).c_str(), FILE_READ_ATTRIBUTES,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                  FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT), nullptr);
    if (handle == INVALID_HANDLE_VALUE) {
      const DWORD error = ::GetLastError();
      // A watched directory that was deleted stays, unopenable, until the watch lets it go:
      // for the engine it is gone (its root ends, and the watch with it).
      if (error == ERROR_ACCESS_DENIED && edge_ && edge_->delete_pending(path))
        return sys::errc::make_error_code(sys::errc::no_such_file_or_directory);
      return {static_cast<int>(error), sys::system_category()};
    }
    handle_closer closer(handle);
    BY_HANDLE_FILE_INFORMATION info;
    if (!::GetFileInformationByHandle(handle, &info))
      return last_win32_error();
    DWORD reparse_tag = 0;
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
      FILE_ATTRIBUTE_TAG_INFO tag;
      if (::GetFileInformationByHandleEx(handle, FileAttributeTagInfo, &tag, sizeof tag))
        reparse_tag = tag.ReparseTag;
    }
    FILE_BASIC_INFO basic;
    const bool has_change_time = ::GetFileInformationByHandleEx(handle, FileBasicInfo, &basic, sizeof basic);
    type = type_of(info.dwFileAttributes, reparse_tag);
    status = entry_status{};
    status.mtime_ns = unix_ns(info.ftLastWriteTime);
    status.ctime_ns = has_change_time ? unix_ns(basic.ChangeTime.QuadPart) : status.mtime_ns;
    status.size = (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
    status.inode = (static_cast<std::uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
    status.mount_id = info.dwVolumeSerialNumber;
    status.links = info.nNumberOfLinks;
    status.attributes = info.dwFileAttributes;
    // POSIX's type bits, and the write permission the read-only attribute takes away.
    const std::uint32_t type_bits = type == entry_type::directory ? 0040000 : type == entry_type::symlink ? 0120000 : 0100000;
    status.mode = type_bits | ((info.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666);
    return {};
  }

  sys::error_code read_file(const std::string& path, std::size_t max_bytes, std::string& out) override {
    out.clear();
    // A link is not followed: ELOOP, as on POSIX. Another reparse point (a cloud file's
    // placeholder) is read as the file it is. A directory opens too (backup semantics), and is
    // told apart below rather than refused as access denied.
    HANDLE handle = ::CreateFileW(win_long_path(path).c_str(), GENERIC_READ,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                  FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_SEQUENTIAL_SCAN | FILE_FLAG_BACKUP_SEMANTICS,
                                  nullptr);
    if (handle == INVALID_HANDLE_VALUE)
      return last_win32_error();
    handle_closer closer(handle);
    BY_HANDLE_FILE_INFORMATION info;
    if (!::GetFileInformationByHandle(handle, &info))
      return last_win32_error();
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
      FILE_ATTRIBUTE_TAG_INFO tag{};
      if (!::GetFileInformationByHandleEx(handle, FileAttributeTagInfo, &tag, sizeof tag) ||
          rdcw_reparse_tag::is_link(tag.ReparseTag))
        return sys::errc::make_error_code(sys::errc::too_many_symbolic_link_levels);
    }
    if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
      return sys::errc::make_error_code(sys::errc::is_a_directory);
    char buffer[16384];
    for (;;) {
      DWORD got = 0;
      if (!::ReadFile(handle, buffer, sizeof buffer, &got, nullptr)) {
        const sys::error_code ec = last_win32_error();
        out.clear();
        return ec;
      }
      if (got == 0)
        return {};
      if (out.size() + got > max_bytes) {
        out.clear();
        return sys::errc::make_error_code(sys::errc::file_too_large);
      }
      out.append(buffer, got);
    }
  }

  int add_watch(const std::string& directory, watch_kind kind, sys::error_code& ec) override {
    if (!edge_ || (kind != watch_kind::tree && kind != watch_kind::single_directory)) {
      ec = not_supported(); // watches are per root here, never per directory; none for a scan
      return -1;
    }
    return edge_->open_watch(directory, kind == watch_kind::tree, ec);
  }

  void remove_watch(int watch) override {
    if (edge_)
      edge_->close_watch(watch);
  }

  sys::error_code watch_and_list(const std::string&, watch_kind, std::vector<listed_entry>&,
                                 const watched_handler&) override {
    return not_supported();
  }

  int mark_queue() override { return -1; }

private:
  rdcw_edge* edge_;
};

} // namespace

std::unique_ptr<filesystem> make_win_filesystem(rdcw_edge* edge) { return std::make_unique<win_filesystem>(edge); }

// Without an edge: it lists and reads, and never watches (snapshots scan so).
std::unique_ptr<filesystem> make_scan_filesystem() { return std::make_unique<win_filesystem>(nullptr); }

} // namespace asio_fswatch::detail
