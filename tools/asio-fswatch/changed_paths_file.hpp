// SPDX-License-Identifier: BSL-1.0
// asio-fswatch run: the file that tells COMMAND which paths changed.
#ifndef ASIO_FSWATCH_TOOL_CHANGED_PATHS_FILE_HPP
#define ASIO_FSWATCH_TOOL_CHANGED_PATHS_FILE_HPP

#include "temporary_directory.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace asio_fswatch::tool {

/// One file per start of COMMAND, named by ASIO_FSWATCH_CHANGED_PATHS_FILE, that holds the
/// changed paths, each followed by a NUL byte. A name may hold any byte but NUL, so the list
/// cannot be forged, and its size is not bounded by the kernel's limit on the environment.
///
/// The files live in a private directory (make_private_directory), are created new (never
/// through a link, readable by this user only) and are removed once their command has ended; the
/// directory goes with this object.
class changed_paths_file {
public:
  changed_paths_file() : directory_("asio-fswatch-run") {
    if (!directory_.path().empty())
      identity_ = directory_identity(directory_.path());
  }
  ~changed_paths_file() { remove(); }
  changed_paths_file(const changed_paths_file&) = delete;
  changed_paths_file& operator=(const changed_paths_file&) = delete;

  /// Removes the previous file, and writes `paths` into a new one; returns its path, or an
  /// empty path and `ec` when it cannot be written.
  std::filesystem::path write(const std::vector<std::string>& paths, std::error_code& ec);

  /// Why the private directory could not be made (empty when it was).
  const std::string& directory_error() const noexcept { return directory_.error(); }

  /// Removes the current file, if any.
  void remove();

  /// True when `path` (as the monitor reports it) is the private directory or one of its list
  /// files: `run`'s own writes, which must never restart COMMAND. Told by the directory's
  /// identity, not by its path, which may be spelt otherwise (a symlink, another case, an 8.3
  /// name in %TEMP%); a look is taken only for the names that can be ours.
  bool holds(const std::filesystem::path& path) const;

private:
  temporary_directory directory_;
  std::optional<file_identity> identity_; // the private directory's
  std::filesystem::path current_;
  unsigned long starts_ = 0;
};

} // namespace asio_fswatch::tool

#endif
