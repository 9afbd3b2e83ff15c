// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: a private temporary directory (run's lists of changed paths, the demo's trees).
#ifndef ASIO_FSWATCH_TOOL_TEMPORARY_DIRECTORY_HPP
#define ASIO_FSWATCH_TOOL_TEMPORARY_DIRECTORY_HPP

#include "platform.hpp"

#include <filesystem>
#include <string>
#include <system_error>

namespace asio_fswatch::tool {

/// A directory made by make_private_directory, removed with its contents.
class temporary_directory {
public:
  explicit temporary_directory(const char* prefix) : path_(make_private_directory(prefix, error_)) {}
  ~temporary_directory() {
    std::error_code ignored;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ignored);
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  /// Why it could not be made (empty when it was).
  const std::string& error() const noexcept { return error_; }

private:
  std::string error_; // before path_: the constructor fills it
  std::filesystem::path path_;
};

} // namespace asio_fswatch::tool

#endif
