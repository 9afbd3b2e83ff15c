// asio-fswatch run: the file that tells COMMAND which paths changed.
#include "changed_paths_file.hpp"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

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
  const int descriptor = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    ec = std::error_code(errno, std::generic_category());
    return {};
  }
  current_ = file;
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(descriptor, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ec = std::error_code(n < 0 ? errno : EIO, std::generic_category());
      break;
    }
    done += std::size_t(n);
  }
  if (::close(descriptor) != 0 && !ec)
    ec = std::error_code(errno, std::generic_category());
  if (ec) {
    remove(); // never a list cut short without saying so
    return {};
  }
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
