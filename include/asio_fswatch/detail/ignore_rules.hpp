// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: ignore files (watch_options::ignore_files) read with gitignore's
// semantics (sans-io): parsing one file's text, and deciding an entry from the files of the
// directories above it.
#ifndef ASIO_FSWATCH_DETAIL_IGNORE_RULES_HPP
#define ASIO_FSWATCH_DETAIL_IGNORE_RULES_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/detail/glob.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::detail {

/// What the patterns of one directory say of an entry: nothing (no pattern matches), ignored,
/// or not ignored (the last pattern matching it is a negation, `!pattern`).
enum class ignore_verdict : std::uint8_t { none, ignored, kept };

/// The patterns of a directory's ignore files, in their order (later ones take precedence).
/// The syntax is gitignore's (`git help gitignore`):
///  - a line is a pattern; blank lines and lines starting with `#` are not; a UTF-8 byte order
///    mark at the start of a file, a '\r' before a line's '\n' and trailing spaces (unless
///    escaped, `\ `) are not part of it;
///  - `!` negates a pattern (`\!` and `\#` start a pattern with those characters);
///  - a trailing `/` matches directories only;
///  - a pattern with a `/` at its start or in its middle is matched against the path relative
///    to the directory of the file (anchored); otherwise against the name, at any depth below;
///  - `*`, `?`, `[...]` (with `[[:alpha:]]`) never match a `/`; `**` as a whole component
///    matches any number of them; `p/**` matches what `p` holds, not `p`.
/// A line that is no pattern (an unterminated `[`, a trailing `\`) matches nothing, as in git.
class ASIO_FSWATCH_DECL ignore_rules {
public:
  /// Appends the patterns of `text`, the contents of one ignore file.
  void append_file(std::string_view text);
  /// Appends one pattern line (without its '\n'): false when it is not a pattern.
  bool append_line(std::string_view line);

  /// What the patterns say of the entry at `relative` (relative to the directory of the files,
  /// '/'-separated, not empty): the last pattern that matches decides.
  ignore_verdict decide(std::string_view relative, bool is_directory) const;

  bool empty() const noexcept { return rules_.empty(); }
  std::size_t size() const noexcept { return rules_.size(); }
  /// Whether a pattern matches a path rather than a name: what it says of the entries below a
  /// directory may change when that directory moves.
  bool matches_paths() const noexcept { return matches_paths_; }
  bool operator==(const ignore_rules& other) const noexcept { return source_ == other.source_; }
  /// About the bytes the patterns take (for monitor_stats::memory_bytes).
  std::size_t memory_bytes() const noexcept {
    return sizeof(*this) + rules_.capacity() * sizeof(rule) + 2 * source_.capacity();
  }

private:
  struct rule {
    glob_pattern pattern;
    bool negated = false;
  };
  std::vector<rule> rules_;
  std::string source_; // the lines taken, for comparing two versions of a directory's files
  bool matches_paths_ = false;
};

/// The patterns of one directory above an entry, and where that directory is: `prefix` bytes of
/// the entry's path (relative to the root) name it, its '/' included (0 for the root itself).
struct ignore_level {
  const ignore_rules* rules = nullptr;
  std::size_t prefix = 0;
};

/// Whether the entry at `relative` (relative to the root) is ignored by the patterns of the
/// directories above it, `levels`, deepest first: the deepest directory whose patterns say
/// something decides, as git has it. (An entry under an ignored directory is ignored too; the
/// caller never asks about one, having never looked inside such a directory.)
ASIO_FSWATCH_DECL bool is_ignored(const ignore_level* levels, std::size_t count, std::string_view relative,
                bool is_directory);

} // namespace asio_fswatch::detail

#endif
