// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/snapshot.hpp>

#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/snapshot_codec.hpp>
#include <asio_fswatch/detail/snapshot_io.hpp>
#include <asio_fswatch/detail/snapshot_scan.hpp>
#include <asio_fswatch/error.hpp>

#include "root_text.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#if defined(_WIN32)
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace asio_fswatch {

namespace {

namespace sys = boost::system;
namespace fs = std::filesystem;

// A change made this close to a scan (within the file system's clock tick: Linux's coarse
// clock, NTFS's 16 ms) can leave a file's status as the scan saw it, and a second change in
// the same tick too: such files count as changed at the next comparison, as git's "racily
// clean" entries do. (FAT's 2 s times are coarser: documented.)
constexpr std::int64_t racy_margin_ns = 50'000'000;

sys::error_code from_std(const std::error_code& ec) {
  return {ec.value(), ec.category() == std::system_category() ? sys::system_category() : sys::generic_category()};
}

// A name for the file written beside `file`: this process's, and no other write's of it.
fs::path partial_name(const fs::path& file) {
  static std::atomic<unsigned> counter{0};
#if defined(_WIN32)
  const unsigned long process = ::GetCurrentProcessId();
#else
  const unsigned long process = static_cast<unsigned long>(::getpid());
#endif
  fs::path partial = file;
  partial += ".partial-" + std::to_string(process) + "-" + std::to_string(counter++) + "-" +
             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  return partial;
}

#if defined(_WIN32)
sys::error_code last_error() { return {static_cast<int>(::GetLastError()), sys::system_category()}; }

// Creates `partial` (never an existing file), writes `bytes`, flushes them to the disk.
sys::error_code write_new_file(const fs::path& partial, const std::string& bytes) {
  HANDLE h = ::CreateFileW(partial.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE)
    return last_error();
  sys::error_code ec;
  for (std::size_t done = 0; done < bytes.size() && !ec;) {
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
    DWORD written = 0;
    if (!::WriteFile(h, bytes.data() + done, chunk, &written, nullptr))
      ec = last_error();
    done += written;
  }
  if (!ec && !::FlushFileBuffers(h))
    ec = last_error();
  ::CloseHandle(h);
  return ec;
}

// Renames `partial` over `file`. A reader that holds `file` without sharing its deletion (a
// concurrent events_since, a virus scanner) refuses the rename for a moment: tried again for 2 s.
sys::error_code replace_file(const fs::path& partial, const fs::path& file) {
  for (int attempt = 0;; ++attempt) {
    if (::MoveFileExW(partial.c_str(), file.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
      return {};
    const DWORD error = ::GetLastError();
    if ((error != ERROR_SHARING_VIOLATION && error != ERROR_ACCESS_DENIED) || attempt == 40)
      return {static_cast<int>(error), sys::system_category()};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}
#else
sys::error_code last_error() { return {errno, sys::system_category()}; }

// Creates `partial` (never an existing file nor a symlink), writes `bytes`, flushes them to the
// disk.
sys::error_code write_new_file(const fs::path& partial, const std::string& bytes) {
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0)
    return last_error();
  sys::error_code ec;
  for (std::size_t done = 0; done < bytes.size() && !ec;) {
    const ssize_t written = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (written < 0 && errno != EINTR)
      ec = last_error();
    else if (written > 0)
      done += static_cast<std::size_t>(written);
  }
  if (!ec && ::fsync(fd) != 0)
    ec = last_error();
  ::close(fd);
  return ec;
}

sys::error_code replace_file(const fs::path& partial, const fs::path& file) {
  if (::rename(partial.c_str(), file.c_str()) != 0)
    return last_error();
  return {};
}
#endif

sys::error_code write_whole_file(const fs::path& file, const std::string& bytes) {
  const fs::path partial = partial_name(file);
  sys::error_code ec = write_new_file(partial, bytes);
  if (!ec)
    ec = replace_file(partial, file);
  if (ec) {
    std::error_code ignored;
    fs::remove(partial, ignored);
  }
  return ec;
}

sys::error_code read_whole_file(const fs::path& file, std::string& bytes) {
  std::error_code size_ec;
  const std::uintmax_t size = fs::file_size(file, size_ec); // also refuses a directory
  if (size_ec)
    return from_std(size_ec);
  if (size > std::uintmax_t(bytes.max_size()))
    return make_error_code(errc::invalid_snapshot);
  errno = 0;
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return {errno != 0 ? errno : EIO, sys::generic_category()};
  bytes.resize(static_cast<std::size_t>(size));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size)
    return make_error_code(errc::invalid_snapshot); // it changed size meanwhile: not one snapshot
  return {};
}

// `options`, and when `file` lies in the tree at `root_path`, an exclusion of it and of the
// files written beside it: a snapshot never sees itself change.
watch_options without_the_file(const std::string& root_path, const fs::path& file, watch_options options) {
  sys::error_code ec;
  const std::string file_path = detail::root_text(file, ec);
  const std::optional<std::string_view> relative = detail::relative_below(root_path, file_path);
  if (ec || !relative)
    return options;
  std::string pattern = "/";
  detail::append_glob_literal(pattern, *relative);
  options.exclude.push_back(pattern);
  options.exclude.push_back(pattern + ".partial-*");
  return options;
}

// The picture of the root whose engine text is `root_path`, now.
sys::error_code scan_now(const std::string& root_path, const fs::path& file, const watch_options& options,
                         detail::entry_tree& picture, std::vector<fs_event>& errors, std::int64_t& scanned_ns) {
  const std::unique_ptr<detail::filesystem> files = detail::make_scan_filesystem();
  return detail::scan_picture(*files, root_path, without_the_file(root_path, file, options), picture, errors,
                              scanned_ns);
}

void throw_if(const sys::error_code& ec, const char* what, const fs::path& first, const fs::path& second) {
  if (ec)
    throw fs::filesystem_error(what, first, second, std::error_code(ec));
}

} // namespace

namespace detail {

snapshot_comparison compare_with_snapshot(const fs::path& file, const fs::path& root, const watch_options& options,
                                          sys::error_code& ec) {
  snapshot_comparison result;
  std::string bytes;
  if ((ec = read_whole_file(file, bytes)))
    return result;
  const std::string root_path = root_text(root, ec);
  if (ec)
    return result;
  std::int64_t saved_ns = 0;
  const entry_tree before = decode_snapshot(bytes, root_path, saved_ns, ec);
  if (ec)
    return result;
  bytes = std::string();
  if ((ec = scan_now(root_path, file, options, result.now, result.events, result.scanned_ns)))
    return result;
  keep_what_cannot_be_read(before, result.now, result.events);
  fs::path root_given = path_from_text(root_path);
#if defined(_WIN32)
  root_given.make_preferred();
  for (fs_event& error : result.events) {
    error.path.make_preferred();
    error.root = root_given;
  }
#endif
  std::vector<fs_event> changes =
      events_between(before, result.now, root_given, options.include, saved_ns - racy_margin_ns);
  result.events.insert(result.events.end(), std::make_move_iterator(changes.begin()),
                       std::make_move_iterator(changes.end()));
  return result;
}

sys::error_code save_snapshot(const fs::path& file, const entry_tree& picture, std::int64_t scanned_ns) {
  return write_whole_file(file, encode_snapshot(picture, scanned_ns));
}

} // namespace detail

void write_snapshot(const fs::path& root, const fs::path& file, const watch_options& options,
                    sys::error_code& ec) {
  const std::string root_path = detail::root_text(root, ec);
  if (ec)
    return;
  detail::entry_tree picture;
  std::vector<fs_event> errors;
  std::int64_t scanned_ns = 0;
  if ((ec = scan_now(root_path, file, options, picture, errors, scanned_ns)))
    return;
  ec = detail::save_snapshot(file, picture, scanned_ns);
}

std::vector<fs_event> events_since(const fs::path& file, const fs::path& root, const watch_options& options,
                                   sys::error_code& ec) {
  return detail::compare_with_snapshot(file, root, options, ec).events;
}

std::vector<fs_event> update_snapshot(const fs::path& file, const fs::path& root, const watch_options& options,
                                      sys::error_code& ec) {
  detail::snapshot_comparison comparison = detail::compare_with_snapshot(file, root, options, ec);
  if (!ec)
    ec = detail::save_snapshot(file, comparison.now, comparison.scanned_ns);
  if (ec)
    return {};
  return std::move(comparison.events);
}

void write_snapshot(const fs::path& root, const fs::path& file, const watch_options& options) {
  sys::error_code ec;
  write_snapshot(root, file, options, ec);
  throw_if(ec, "asio_fswatch::write_snapshot", root, file);
}

std::vector<fs_event> events_since(const fs::path& file, const fs::path& root, const watch_options& options) {
  sys::error_code ec;
  std::vector<fs_event> events = events_since(file, root, options, ec);
  throw_if(ec, "asio_fswatch::events_since", file, root);
  return events;
}

std::vector<fs_event> update_snapshot(const fs::path& file, const fs::path& root, const watch_options& options) {
  sys::error_code ec;
  std::vector<fs_event> events = update_snapshot(file, root, options, ec);
  throw_if(ec, "asio_fswatch::update_snapshot", file, root);
  return events;
}

} // namespace asio_fswatch
