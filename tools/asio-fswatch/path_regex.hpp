// SPDX-License-Identifier: BSL-1.0
// asio-fswatch watch: inotifywait's --exclude/--include, regular expressions that decide which
// paths are printed.
#ifndef ASIO_FSWATCH_TOOL_PATH_REGEX_HPP
#define ASIO_FSWATCH_TOOL_PATH_REGEX_HPP

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::tool {

/// POSIX extended regular expressions (inotifywait's syntax), each searched for anywhere in a
/// path. A path is shown unless an exclude expression is found in it, and, when there are
/// include expressions, only if one of them is found in it.
class path_regex_filter {
public:
  path_regex_filter();
  ~path_regex_filter();
  path_regex_filter(path_regex_filter&&) noexcept;
  path_regex_filter& operator=(path_regex_filter&&) noexcept;

  /// Adds `pattern`; false, with `problem` saying why, when it is not a valid extended regular
  /// expression.
  bool add(std::string_view pattern, bool exclude, bool ignore_case, std::string& problem);

  bool empty() const noexcept { return expressions_.empty(); }

  /// Whether `path` is shown. A search that cannot be completed (an expression too costly for
  /// this path) shows it, so that nothing is lost, and says so in `problem`.
  bool shows(std::string_view path, std::string& problem) const;

private:
  struct expression;
  std::vector<std::unique_ptr<expression>> expressions_;
  bool has_include_ = false;
};

/// Whether a --exclude or --include glob can only have been meant as inotifywait's regular
/// expression: it begins with '^', ends with an unescaped '$', holds a '|', or escapes one of
/// . + ( ) { } | w W d D s S b B (an escape a glob never needs), outside a bracket class (a
/// glob says those characters as [$], [|], [.]). `why` then names the sign.
bool looks_like_a_regex(std::string_view glob, std::string& why);

} // namespace asio_fswatch::tool

#endif
