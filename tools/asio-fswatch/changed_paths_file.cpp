// asio-fswatch run: the file that tells COMMAND which paths changed.
#include "changed_paths_file.hpp"

#include <algorithm>

namespace asio_fswatch::tool {

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
  std::filesystem::path file = directory_.path() / ("changed-paths-" + std::to_string(++starts_));
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
  if (real_directory_.empty())
    return false;
  return std::mismatch(real_directory_.begin(), real_directory_.end(), path.begin(), path.end()).first ==
         real_directory_.end();
}

} // namespace asio_fswatch::tool
