// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: glob patterns for watch_options::exclude and ::include (sans-io).
#ifndef ASIO_FSWATCH_DETAIL_GLOB_HPP
#define ASIO_FSWATCH_DETAIL_GLOB_HPP

#include <boost/system/error_code.hpp>

#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::detail {

/// Which syntax a pattern is read in: ours (watch_options::exclude and ::include), or a
/// .gitignore's, whose wildmatch differs in two points: "p/**" matches what `p` holds but not
/// `p` itself, and a reversed range ("[z-a]") is empty rather than an error.
enum class glob_syntax : unsigned char { watch_options, gitignore };

/// Appends `text` to `pattern` as a glob that matches exactly it: each `*`, `?`, `[`, `]` and
/// `\` escaped (a '/' stays a separator).
void append_glob_literal(std::string& pattern, std::string_view text);

/// One compiled glob pattern. Syntax (documented in watch_options and doc/):
///  - `*` any run of characters other than `/`; `?` one character other than `/`;
///  - `**` as a whole path component: any number (zero or more) of components;
///  - `[abc]`, `[a-z]`, `[!a-z]` (also `[^...]`) one character of a class, never `/`; a class
///    may hold POSIX classes, `[[:alpha:]]` (ASCII: alnum alpha blank cntrl digit graph lower
///    print punct space upper xdigit);
///  - `\c` the character c itself;
///  - a pattern without `/` is matched against the last component (the name) only, at any depth;
///  - a pattern with `/` is matched against the whole path relative to the root (a leading `/`
///    anchors it at the root and is ignored otherwise);
///  - a pattern ending in `/**` also matches the directory it names (so `**/.git/**` matches the
///    directory `.git` itself, which is then never watched);
///  - a pattern ending in `/` matches directories only (`build/`, as in a .gitignore), and is
///    otherwise read without that `/`.
/// Matching works on bytes: names need not be valid UTF-8.
class glob_pattern {
public:
  glob_pattern() = default;

  /// Compiles `pattern`; on a syntax error (empty pattern, unterminated `[`, trailing `\`) sets
  /// `ec` to errc::invalid_pattern and returns an empty pattern that matches nothing.
  static glob_pattern compile(std::string_view pattern, boost::system::error_code& ec,
                              glob_syntax syntax = glob_syntax::watch_options);

  /// `relative_path`: '/'-separated, relative to the watched root, no leading or trailing '/',
  /// never empty. `is_directory`: the entry is a directory (see the `/**` rule).
  bool matches(std::string_view relative_path, bool is_directory) const;

  const std::string& text() const noexcept { return text_; }
  /// Whether the pattern matches the whole path rather than the name alone (it has a '/' other
  /// than a trailing one): what it says of an entry may change when a directory above moves.
  bool matches_paths() const noexcept { return !components_.empty() && !name_only_; }

private:
  // A component is one '/'-separated piece of the pattern. The common shapes get their own kind so
  // that matching them is a single comparison instead of a walk over tokens.
  enum class component_kind : unsigned char {
    globstar,       // exactly "**": zero or more whole path components
    any_name,       // "*": every name
    literal,        // "abc"
    literal_prefix, // "abc*"
    literal_suffix, // "*abc"
    literal_infix,  // "*abc*"
    general,        // anything else: walk the tokens
  };
  enum class token_kind : unsigned char { literal_run, any_byte, star, byte_class };

  struct token {
    token_kind kind;
    std::size_t offset; // literal_run: into literal_bytes_; byte_class: into byte_classes_
    std::size_t length; // literal_run only
  };

  struct component {
    component_kind kind;
    std::size_t first_token;
    std::size_t token_count;
    std::size_t literal_offset; // the literal of the literal_* kinds, in literal_bytes_
    std::size_t literal_length;
  };

  bool component_matches(const component& piece, std::string_view name) const noexcept;
  bool tokens_match(const component& piece, std::string_view name) const noexcept;
  bool components_match(std::size_t component_count, std::string_view path) const noexcept;

  std::string text_;
  // Offsets rather than string_views, so that copies and moves of a pattern stay valid.
  std::string literal_bytes_;
  std::vector<token> tokens_;
  std::vector<std::bitset<256>> byte_classes_;
  // Empty means "matches nothing" (default-constructed, or failed to compile). A trailing "/**"
  // is stored as "/*/**" (one component at least); the directory itself is matched by the prefix.
  std::vector<component> components_;
  bool name_only_ = false;         // no '/' in the pattern
  bool trailing_globstar_ = false; // ends in "/**", which also names the directory itself
  bool directory_only_ = false;    // ended in a '/' (directories only)
};

/// A list of patterns; matches when any of them does.
class glob_set {
public:
  void add(std::string_view pattern, boost::system::error_code& ec);
  bool matches(std::string_view relative_path, bool is_directory) const;
  bool empty() const noexcept { return patterns_.empty(); }
  std::size_t size() const noexcept { return patterns_.size(); }
  /// Whether one of the patterns matches paths rather than names (glob_pattern::matches_paths).
  bool matches_paths() const noexcept;

private:
  std::vector<glob_pattern> patterns_;
};

} // namespace asio_fswatch::detail

#endif
