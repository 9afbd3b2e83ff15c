// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: the operating system's part, Windows.
#include "platform.hpp"

#include <asio_fswatch/detail/path_text.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <csignal>
#include <random>
#include <vector>

#include <windows.h>

#include <sddl.h>
#include <shellapi.h>

namespace asio_fswatch::tool {
namespace {

using detail::long_path_for_win32; // every path this file hands Windows may be past MAX_PATH

std::error_code last_error() {
  return boost::system::error_code(static_cast<int>(::GetLastError()), boost::system::system_category());
}

/// The identity of what `handle` is open on, when its attributes are `wanted` (and none of
/// `unwanted`).
std::optional<file_identity> identity(HANDLE handle, DWORD wanted, DWORD unwanted) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (::GetFileType(handle) != FILE_TYPE_DISK || !::GetFileInformationByHandle(handle, &info))
    return std::nullopt;
  if ((info.dwFileAttributes & wanted) != wanted || (info.dwFileAttributes & unwanted))
    return std::nullopt;
  return file_identity{info.dwVolumeSerialNumber, (std::uint64_t(info.nFileIndexHigh) << 32) | info.nFileIndexLow};
}

std::optional<file_identity> regular(HANDLE handle) {
  return identity(handle, 0, FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT);
}

/// The identity of what `path` names, opened for its attributes only and with every sharing
/// mode, so that the look stands in nobody's way.
std::optional<file_identity> identity_at(const std::filesystem::path& path, DWORD flags, DWORD wanted,
                                         DWORD unwanted) {
  HANDLE handle = ::CreateFileW(long_path_for_win32(path.native()).c_str(), FILE_READ_ATTRIBUTES,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                FILE_FLAG_BACKUP_SEMANTICS | flags, nullptr);
  if (handle == INVALID_HANDLE_VALUE)
    return std::nullopt;
  std::optional<file_identity> found = identity(handle, wanted, unwanted);
  ::CloseHandle(handle);
  return found;
}

HANDLE standard_handle(int stream) {
  HANDLE handle = ::GetStdHandle(stream == 2 ? STD_ERROR_HANDLE : STD_OUTPUT_HANDLE);
  return handle == INVALID_HANDLE_VALUE ? nullptr : handle;
}

/// A security descriptor that grants this process's user full access and nobody else any
/// (protected: nothing inherited from above; inherited by what is made inside), as LocalAlloc'd
/// memory, or nullptr.
PSECURITY_DESCRIPTOR only_this_user() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token))
    return nullptr;
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> user(size ? size : 1);
  LPWSTR sid = nullptr;
  const bool known = size && ::GetTokenInformation(token, TokenUser, user.data(), size, &size) &&
                     ::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(user.data())->User.Sid, &sid);
  ::CloseHandle(token);
  if (!known)
    return nullptr;
  const std::wstring sddl = L"D:P(A;OICI;FA;;;" + std::wstring(sid) + L")";
  ::LocalFree(sid);
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr))
    return nullptr;
  return descriptor;
}

} // namespace

std::vector<std::string> command_arguments(int argc, char** argv) {
  int count = 0;
  LPWSTR* wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  if (!wide) // cannot happen short of memory; the ANSI arguments are better than none
    return std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc);
  std::vector<std::string> args;
  for (int i = 1; i < count; ++i)
    args.push_back(detail::path_text(std::filesystem::path(std::wstring(wide[i]))));
  ::LocalFree(wide);
  return args;
}

bool reserve_standard_streams() {
  // Windows gives no handle the number of a standard one: nothing to reserve. An absent standard
  // output (a GUI parent, or a handle closed before the start) has nowhere to take events.
  HANDLE output = ::GetStdHandle(STD_OUTPUT_HANDLE);
  if (output == nullptr || output == INVALID_HANDLE_VALUE)
    return true;
  ::SetLastError(NO_ERROR);
  return ::GetFileType(output) == FILE_TYPE_UNKNOWN && ::GetLastError() != NO_ERROR;
}

void add_stop_signals(boost::asio::signal_set& signals) {
  signals.add(SIGINT);  // Ctrl-C
  signals.add(SIGTERM); // raise(SIGTERM) only: Windows has no kill
  signals.add(SIGBREAK); // Ctrl-Break, and a supervisor's CTRL_BREAK_EVENT
}

std::string signal_name(int signal) {
  switch (signal) {
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGBREAK: return "SIGBREAK";
  default: return "signal " + std::to_string(signal);
  }
}

std::optional<file_identity> standard_stream_file(int stream) {
  HANDLE handle = standard_handle(stream);
  return handle ? regular(handle) : std::nullopt;
}

std::filesystem::path standard_stream_name(int stream) {
  HANDLE handle = standard_handle(stream);
  if (!handle || !regular(handle))
    return {};
  std::wstring name(32768, L'\0');
  const DWORD length = ::GetFinalPathNameByHandleW(handle, name.data(), DWORD(name.size()), FILE_NAME_NORMALIZED);
  if (length == 0 || length >= name.size())
    return {};
  name.resize(length);
  return std::filesystem::path(name).filename();
}

bool same_name(const std::filesystem::path& a, const std::filesystem::path& b) {
  const std::wstring& x = a.native();
  const std::wstring& y = b.native();
  return ::CompareStringOrdinal(x.data(), int(x.size()), y.data(), int(y.size()), TRUE) == CSTR_EQUAL;
}

std::optional<file_identity> regular_file_identity(const std::filesystem::path& path) {
  return identity_at(path, FILE_FLAG_OPEN_REPARSE_POINT, 0, FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT);
}

std::optional<file_identity> directory_identity(const std::filesystem::path& path) {
  return identity_at(path, 0, FILE_ATTRIBUTE_DIRECTORY, 0);
}

std::filesystem::path make_private_directory(const char* prefix, std::string& error) {
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::temp_directory_path(ec); // %TMP%, %TEMP%
  if (ec) {
    error = "the temporary directory: " + ec.message();
    return {};
  }
  PSECURITY_DESCRIPTOR descriptor = only_this_user();
  if (!descriptor) {
    error = "an access list for this user alone: " + last_error().message();
    return {};
  }
  SECURITY_ATTRIBUTES security{sizeof security, descriptor, FALSE};
  struct freed {
    PSECURITY_DESCRIPTOR p;
    ~freed() { ::LocalFree(p); }
  } free_descriptor{descriptor};
  std::random_device seed;
  std::mt19937_64 random(seed());
  const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = std::string(prefix) + '-';
    for (int i = 0; i < 6; ++i)
      name += digits[random() % 36];
    std::filesystem::path candidate = base / name;
    if (::CreateDirectoryW(long_path_for_win32(candidate.native()).c_str(), &security))
      return candidate;
    if (::GetLastError() != ERROR_ALREADY_EXISTS) {
      error = last_error().message();
      return {};
    }
  }
  error = "no free name in " + detail::path_text(base);
  return {};
}

void write_new_private_file(const std::filesystem::path& path, const std::string& contents, std::error_code& ec) {
  // CREATE_NEW fails on anything already there, a link included; no sharing while it is written.
  HANDLE handle = ::CreateFileW(long_path_for_win32(path.native()).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                                FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    ec = last_error();
    return;
  }
  std::size_t done = 0;
  while (done < contents.size()) {
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(contents.size() - done, 1u << 30));
    DWORD written = 0;
    if (!::WriteFile(handle, contents.data() + done, chunk, &written, nullptr)) {
      ec = last_error();
      break;
    }
    if (written == 0) {
      ec = std::make_error_code(std::errc::io_error);
      break;
    }
    done += written;
  }
  if (!::CloseHandle(handle) && !ec)
    ec = last_error();
  if (ec)
    ::DeleteFileW(long_path_for_win32(path.native()).c_str()); // never a list cut short without saying so
}

} // namespace asio_fswatch::tool
