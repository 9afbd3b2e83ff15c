// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: ignore files read with gitignore's semantics (see detail/ignore_rules.hpp).
#include <asio_fswatch/detail/ignore_rules.hpp>

#include <utility>

namespace asio_fswatch::detail {
namespace {

// Drops the trailing spaces of a line that no backslash escapes, as git does: "a \ " keeps its
// escaped space, "a\\ " (an escaped backslash) does not.
std::string_view trim_trailing_spaces(std::string_view line) {
  std::size_t keep = line.size();
  std::size_t first_space_of_run = std::string_view::npos;
  for (std::size_t at = 0; at < line.size(); ++at) {
    if (line[at] == ' ') {
      if (first_space_of_run == std::string_view::npos)
        first_space_of_run = at;
      continue;
    }
    if (line[at] == '\\')
      ++at; // the escaped character, whatever it is, ends a run of spaces
    first_space_of_run = std::string_view::npos;
  }
  if (first_space_of_run != std::string_view::npos)
    keep = first_space_of_run;
  return line.substr(0, keep);
}

} // namespace

void ignore_rules::append_file(std::string_view text) {
  constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
  if (text.substr(0, byte_order_mark.size()) == byte_order_mark)
    text.remove_prefix(byte_order_mark.size());
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    append_line(line);
  }
}

bool ignore_rules::append_line(std::string_view line) {
  if (line.empty() || line.front() == '#')
    return false;
  line = trim_trailing_spaces(line);
  rule taken;
  if (!line.empty() && line.front() == '!') {
    taken.negated = true;
    line.remove_prefix(1);
  }
  boost::system::error_code ec;
  taken.pattern = glob_pattern::compile(line, ec, glob_syntax::gitignore);
  if (ec)
    return false;
  matches_paths_ = matches_paths_ || taken.pattern.matches_paths();
  source_ += taken.negated ? "!" : "";
  source_.append(line.data(), line.size());
  source_ += '\n';
  rules_.push_back(std::move(taken));
  return true;
}

ignore_verdict ignore_rules::decide(std::string_view relative, bool is_directory) const {
  // Most patterns look at the name alone: it is found once, not by each of them.
  const std::size_t slash = relative.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? relative : relative.substr(slash + 1);
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it)
    if (it->pattern.matches(it->pattern.matches_paths() ? relative : name, is_directory))
      return it->negated ? ignore_verdict::kept : ignore_verdict::ignored;
  return ignore_verdict::none;
}

bool is_ignored(const ignore_level* levels, std::size_t count, std::string_view relative,
                bool is_directory) {
  for (std::size_t at = 0; at < count; ++at) {
    const ignore_level& level = levels[at];
    if (level.prefix >= relative.size())
      continue; // not above the entry (a caller's slip): says nothing of it
    switch (level.rules->decide(relative.substr(level.prefix), is_directory)) {
    case ignore_verdict::ignored:
      return true;
    case ignore_verdict::kept:
      return false;
    case ignore_verdict::none:
      break;
    }
  }
  return false;
}

} // namespace asio_fswatch::detail
