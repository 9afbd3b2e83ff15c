// SPDX-License-Identifier: BSL-1.0
// Test support: a unique temporary directory that removes itself.
#ifndef ASIO_FSWATCH_TEST_COMMON_TEMP_DIR_HPP
#define ASIO_FSWATCH_TEST_COMMON_TEMP_DIR_HPP

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

namespace asio_fswatch::test {

/// Creates `<temp_directory_path>/<prefix>-<pid>-<counter>` and removes it, with everything in
/// it, on destruction (errors ignored). The path is canonical, so that it compares equal to the
/// absolute, lexically normal paths the monitor reports even when TMPDIR is a symlink.
/// Usable directly or as a Boost.Test fixture (BOOST_FIXTURE_TEST_CASE(name, temp_dir)).
class temp_dir {
public:
  explicit temp_dir(std::string_view prefix = "asio_fswatch_test") {
    namespace fs = std::filesystem;
    static std::atomic<unsigned> counter{0};
    const fs::path base = fs::temp_directory_path();
    for (int attempt = 0; attempt < 1000; ++attempt) {
      fs::path candidate = base / (std::string(prefix) + '-' + std::to_string(::getpid()) + '-' +
                                   std::to_string(counter.fetch_add(1)));
      std::error_code ec;
      if (fs::create_directory(candidate, ec)) {
        path_ = fs::canonical(candidate);
        return;
      }
      if (ec)
        throw fs::filesystem_error("temp_dir: cannot create", candidate, ec);
      // It exists already (left over by an earlier process of the same pid): try the next one.
    }
    throw std::runtime_error("temp_dir: no free name under " + base.string());
  }

  ~temp_dir() {
    if (path_.empty())
      return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& relative) const {
    return path_ / relative;
  }

private:
  std::filesystem::path path_;
};

} // namespace asio_fswatch::test

#endif
