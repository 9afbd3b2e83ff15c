// asio_fswatch, private: glob patterns for watch_options::exclude and ::include (sans-io).
#ifndef ASIO_FSWATCH_DETAIL_GLOB_HPP
#define ASIO_FSWATCH_DETAIL_GLOB_HPP

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::detail {

/// One compiled glob pattern. Syntax (documented in watch_options and doc/):
///  - `*` any run of characters other than `/`; `?` one character other than `/`;
///  - `**` as a whole path component: any number (zero or more) of components;
///  - `[abc]`, `[a-z]`, `[!a-z]` (also `[^...]`) one character of a class, never `/`;
///  - `\c` the character c itself;
///  - a pattern without `/` is matched against the last component (the name) only, at any depth;
///  - a pattern with `/` is matched against the whole path relative to the root (a leading `/`
///    anchors it at the root and is ignored otherwise);
///  - a pattern ending in `/**` also matches the directory it names (so `**/.git/**` matches the
///    directory `.git` itself, which is then never watched).
/// Matching works on bytes: names need not be valid UTF-8.
class glob_pattern {
public:
  glob_pattern() = default;

  /// Compiles `pattern`; on a syntax error (empty pattern, unterminated `[`, trailing `\`) sets
  /// `ec` to errc::invalid_pattern and returns an empty pattern that matches nothing.
  static glob_pattern compile(std::string_view pattern, boost::system::error_code& ec);

  /// `relative_path`: '/'-separated, relative to the watched root, no leading or trailing '/',
  /// never empty. `is_directory`: the entry is a directory (see the `/**` rule).
  bool matches(std::string_view relative_path, bool is_directory) const;

  const std::string& text() const noexcept { return text_; }

private:
  struct token;
  std::string text_;
  std::vector<std::string> components_; // pattern split at '/', escapes kept
  bool name_only_ = false;               // no '/' in the pattern
  bool trailing_globstar_ = false;        // ends in "/**"
};

/// A list of patterns; matches when any of them does.
class glob_set {
public:
  void add(std::string_view pattern, boost::system::error_code& ec);
  bool matches(std::string_view relative_path, bool is_directory) const;
  bool empty() const noexcept { return patterns_.empty(); }
  std::size_t size() const noexcept { return patterns_.size(); }

private:
  std::vector<glob_pattern> patterns_;
};

} // namespace asio_fswatch::detail

#endif
