// asio-fswatch: a temporary directory for the demo's parts.
#ifndef ASIO_FSWATCH_TOOL_TEMPORARY_DIRECTORY_HPP
#define ASIO_FSWATCH_TOOL_TEMPORARY_DIRECTORY_HPP

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace asio_fswatch::tool {

/// A temporary directory under the system's temporary directory, removed with its contents.
class temporary_directory {
public:
  explicit temporary_directory(const char* prefix) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec); // TMPDIR, or /tmp; an error, not an exception
    if (ec) {
      error_ = "TMPDIR: " + ec.message();
      return;
    }
    std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).native();
    if (::mkdtemp(pattern.data()))
      path_ = pattern;
    else
      error_ = std::strerror(errno);
  }
  ~temporary_directory() {
    std::error_code ignored;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ignored);
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  const std::string& error() const noexcept { return error_; }

private:
  std::filesystem::path path_;
  std::string error_;
};

} // namespace asio_fswatch::tool

#endif
