// SPDX-License-Identifier: BSL-1.0
// asio-fswatch watch: paths spelled from the PATHs given. See given_paths.hpp.
#include "given_paths.hpp"

#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/detail/path_text.hpp>

#include <system_error>

namespace asio_fswatch::tool {
namespace {

bool is_separator(char c) {
#if defined(_WIN32)
  return c == '/' || c == '\\';
#else
  return c == '/';
#endif
}

/// `path` (below or at `root`) spelled from `given`, the root as typed.
std::filesystem::path respell(const std::filesystem::path& path, const std::string& root,
                              const std::string& given) {
  const std::string text = detail::path_text(path);
  if (text.size() < root.size() || text.compare(0, root.size(), root) != 0)
    return path;
  std::size_t rest = root.size();
  if (rest < text.size()) {
    if (!root.empty() && !is_separator(root.back())) {
      if (!is_separator(text[rest]))
        return path; // "/a/bc" is not below "/a/b"
      ++rest;
    }
  }
  std::string out = given;
  if (rest < text.size()) {
    if (out.empty() || !is_separator(out.back()))
      out += std::filesystem::path::preferred_separator == L'\\' ? '\\' : '/';
    out.append(text, rest, std::string::npos);
  }
  return detail::path_from_text(out);
}

} // namespace

std::filesystem::path normal_root(const std::filesystem::path& typed, std::error_code& ec) {
  std::filesystem::path root = std::filesystem::absolute(typed, ec).lexically_normal();
  if (!root.has_filename() && root.has_relative_path())
    root = root.parent_path(); // "/a/b/" is the root "/a/b"
  return root;
}

void given_paths::add(const std::string& given) {
  const std::filesystem::path typed = detail::path_from_text(given);
  // A '..' after a symlink is the symlink target's parent to the kernel, not what '..' removes
  // lexically (the monitor's root): such a PATH keeps the absolute paths, which are right. So
  // does a drive-relative one ("C:src"), whose spelling names the drive's current directory.
  for (const std::filesystem::path& part : typed)
    if (part == "..")
      return;
  if (typed.has_root_name() && !typed.has_root_directory())
    return;
  std::error_code ec;
  std::filesystem::path root = normal_root(typed, ec);
  if (ec)
    return; // the monitor refuses it too
  given_by_root_.emplace(std::move(root), given);
}

fs_event given_paths::respelled(const fs_event& event) const {
  const auto found = given_by_root_.find(event.root);
  if (found == given_by_root_.end())
    return event;
  const std::string root = detail::path_text(event.root);
  fs_event out = event;
  out.path = respell(event.path, root, found->second);
  if (!event.old_path.empty())
    out.old_path = respell(event.old_path, root, found->second);
  out.root = respell(event.root, root, found->second);
  return out;
}

std::vector<std::string> exclusion_globs(const std::string& root, const std::string& excluded) {
  std::error_code root_ec, path_ec;
  const std::filesystem::path under = normal_root(detail::path_from_text(root), root_ec);
  const std::filesystem::path path = normal_root(detail::path_from_text(excluded), path_ec);
  if (root_ec || path_ec)
    return {};
  const std::filesystem::path relative = path.lexically_relative(under);
  if (relative.empty() || relative == "." || *relative.begin() == "..")
    return {};
  std::string glob;
  for (const std::filesystem::path& part : relative) {
    glob += '/';
    detail::append_glob_literal(glob, detail::path_text(part));
  }
  return {glob, glob + "/**"};
}

} // namespace asio_fswatch::tool
