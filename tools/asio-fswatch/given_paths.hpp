// SPDX-License-Identifier: BSL-1.0
// asio-fswatch watch: paths spelled from the PATHs given on the command line, as inotifywait
// spells them.
#ifndef ASIO_FSWATCH_TOOL_GIVEN_PATHS_HPP
#define ASIO_FSWATCH_TOOL_GIVEN_PATHS_HPP

#include <asio_fswatch/fs_event.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace asio_fswatch::tool {

/// `typed` made absolute and lexically normal, without a trailing separator: how the monitor
/// spells a root ("/a/b/" is "/a/b"). `ec` when it cannot be made absolute.
std::filesystem::path normal_root(const std::filesystem::path& typed, std::error_code& ec);

/// The monitor reports absolute paths ("/home/u/d/x" for the root given as "d"); inotifywait
/// prints them from the PATH as given ("d/x"), and its --exclude expressions are matched there.
class given_paths {
public:
  /// Records `given` (a PATH as typed) under the absolute, normal root the monitor makes of it;
  /// not a PATH with a '..' component (after a symlink the kernel reads it otherwise) or a
  /// drive-relative one ("C:src"): their events keep absolute paths.
  void add(const std::string& given);

  /// `event` with its path, old path and root spelled from the PATH given for its root. An
  /// event whose root was not given so (none is left out: a fallback) keeps its paths.
  fs_event respelled(const fs_event& event) const;

private:
  std::map<std::filesystem::path, std::string> given_by_root_;
};

/// inotifywait's `@PATH` under the watched PATH `root`: the globs that keep it unwatched and
/// unreported there, "/rel" and "/rel/**" (anchored, every glob character escaped). Empty when
/// `excluded` is not strictly below `root` (both as typed; made absolute and normal).
std::vector<std::string> exclusion_globs(const std::string& root, const std::string& excluded);

} // namespace asio_fswatch::tool

#endif
