// SPDX-License-Identifier: BSL-1.0
// asio-fswatch run: the file that tells COMMAND which paths changed.
#include "changed_paths_file.hpp"

#include <asio_fswatch/detail/path_text.hpp>

#include <string_view>

namespace asio_fswatch::tool {
namespace {

/// The names of the lists (changed-paths-1, -2, ...).
constexpr std::string_view list_prefix = "changed-paths-";

} // namespace

std::filesystem::path changed_paths_file::write(const std::vector<std::string>& paths, std::error_code& ec) {
  remove();
  if (directory_.path().empty()) {
    ec = std::make_error_code(std::errc::no_such_file_or_directory);
    return {};
  }
  std::string contents;
  for (const std::string& path : paths) {
    contents += path;
    contents += '\0';
  }
  std::filesystem::path file = directory_.path() / (std::string(list_prefix) + std::to_string(++starts_));
  write_new_private_file(file, contents, ec);
  if (ec)
    return {};
  current_ = file;
  return file;
}

void changed_paths_file::remove() {
  if (current_.empty())
    return;
  std::error_code ignored;
  std::filesystem::remove(current_, ignored);
  current_.clear();
}

bool changed_paths_file::holds(const std::filesystem::path& path) const {
  if (!identity_)
    return false;
  const std::filesystem::path own_name = directory_.path().filename();
  if (same_name(path.filename(), own_name)) // the directory itself
    return directory_identity(path) == identity_;
  if (!path.has_parent_path() || !same_name(path.parent_path().filename(), own_name) ||
      detail::path_text(path.filename()).rfind(list_prefix, 0) != 0)
    return false;
  return directory_identity(path.parent_path()) == identity_;
}

} // namespace asio_fswatch::tool
