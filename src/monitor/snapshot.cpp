#include <asio_fswatch/snapshot.hpp>

#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/snapshot_codec.hpp>
#include <asio_fswatch/detail/snapshot_scan.hpp>

#include "root_text.hpp"

#include <cerrno>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <utility>

namespace asio_fswatch {

namespace {

namespace sys = boost::system;
namespace fs = std::filesystem;

sys::error_code last_io_error() {
  return {errno != 0 ? errno : EIO, sys::generic_category()};
}

sys::error_code from_std(const std::error_code& ec) {
  return {ec.value(), ec.category() == std::system_category() ? sys::system_category() : sys::generic_category()};
}

// Writes `bytes` beside `file` under a name of its own, then renames it over `file`.
sys::error_code write_whole_file(const fs::path& file, const std::string& bytes) {
  fs::path partial = file;
  partial += ".partial-" + std::to_string(std::random_device{}());
  {
    errno = 0;
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out)
      return last_io_error();
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      const sys::error_code ec = last_io_error();
      std::error_code ignored;
      fs::remove(partial, ignored);
      return ec;
    }
  }
  std::error_code ec;
  fs::rename(partial, file, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(partial, ignored);
    return from_std(ec);
  }
  return {};
}

sys::error_code read_whole_file(const fs::path& file, std::string& bytes) {
  std::error_code size_ec;
  const std::uintmax_t size = fs::file_size(file, size_ec); // also refuses a directory
  if (size_ec)
    return from_std(size_ec);
  errno = 0;
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return last_io_error();
  bytes.reserve(static_cast<std::size_t>(size));
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad())
    return last_io_error();
  return {};
}

// The picture of `root` now; `root_path` gets the engine's text of it.
sys::error_code scan_now(const fs::path& root, const watch_options& options, std::string& root_path,
                         detail::entry_tree& picture, std::vector<fs_event>& errors) {
  sys::error_code ec;
  root_path = detail::root_text(root, ec);
  if (ec)
    return ec;
  const std::unique_ptr<detail::filesystem> files = detail::make_scan_filesystem();
  return detail::scan_picture(*files, root_path, options, picture, errors);
}

// The events since the picture in `file`; `now` gets the picture they lead to.
std::vector<fs_event> compare_with_now(const fs::path& file, const fs::path& root, const watch_options& options,
                                       detail::entry_tree& now, sys::error_code& ec) {
  std::string bytes;
  if ((ec = read_whole_file(file, bytes)))
    return {};
  std::string root_path = detail::root_text(root, ec);
  if (ec)
    return {};
  const detail::entry_tree before = detail::decode_snapshot(bytes, root_path, ec);
  if (ec)
    return {};
  bytes = std::string();
  std::vector<fs_event> events; // what cannot be read now, first
  if ((ec = scan_now(root, options, root_path, now, events)))
    return {};
  std::vector<fs_event> changes = detail::events_between(before, now, detail::path_from_text(root_path));
  events.insert(events.end(), std::make_move_iterator(changes.begin()), std::make_move_iterator(changes.end()));
  return events;
}

void throw_if(const sys::error_code& ec, const char* what, const fs::path& first, const fs::path& second) {
  if (ec)
    throw fs::filesystem_error(what, first, second, std::error_code(ec));
}

} // namespace

void write_snapshot(const fs::path& root, const fs::path& file, const watch_options& options,
                    sys::error_code& ec) {
  std::string root_path;
  detail::entry_tree picture;
  std::vector<fs_event> errors;
  if ((ec = scan_now(root, options, root_path, picture, errors)))
    return;
  ec = write_whole_file(file, detail::encode_snapshot(picture));
}

std::vector<fs_event> events_since(const fs::path& file, const fs::path& root, const watch_options& options,
                                   sys::error_code& ec) {
  detail::entry_tree now;
  return compare_with_now(file, root, options, now, ec);
}

std::vector<fs_event> update_snapshot(const fs::path& file, const fs::path& root, const watch_options& options,
                                      sys::error_code& ec) {
  detail::entry_tree now;
  std::vector<fs_event> events = compare_with_now(file, root, options, now, ec);
  if (!ec)
    ec = write_whole_file(file, detail::encode_snapshot(now));
  if (ec)
    return {};
  return events;
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
