// SPDX-License-Identifier: BSL-1.0
// asio-fswatch watch: inotifywait's regular expressions on paths. Boost.Regex (header-only)
// rather than <regex.h>, which Windows lacks, or std::regex, whose matcher recurses once per
// character and can overflow the stack on a long path: Boost's bounds its own memory and throws.
#include "path_regex.hpp"

#include <boost/regex.hpp>

namespace asio_fswatch::tool {

struct path_regex_filter::expression {
  boost::regex regex;
  bool exclude;
};

path_regex_filter::path_regex_filter() = default;
path_regex_filter::~path_regex_filter() = default;
path_regex_filter::path_regex_filter(path_regex_filter&&) noexcept = default;
path_regex_filter& path_regex_filter::operator=(path_regex_filter&&) noexcept = default;

bool path_regex_filter::add(std::string_view pattern, bool exclude, bool ignore_case, std::string& problem) {
  if (pattern.empty()) {
    problem = "an empty expression matches every path";
    return false;
  }
  const boost::regex::flag_type flags =
      ignore_case ? boost::regex::extended | boost::regex::icase : boost::regex::extended;
  try {
    expressions_.push_back(
        std::make_unique<expression>(expression{boost::regex(pattern.begin(), pattern.end(), flags), exclude}));
  } catch (const boost::regex_error& e) {
    // Not e.what(): it quotes the pattern raw, and the caller escapes it.
    problem = boost::regex_traits<char>().error_string(e.code());
    return false;
  }
  has_include_ = has_include_ || !exclude;
  return true;
}

bool path_regex_filter::shows(std::string_view path, std::string& problem) const {
  bool included = !has_include_;
  for (const auto& e : expressions_) {
    if (!e->exclude && included)
      continue; // already included: only an exclusion can change it
    bool found = false;
    try {
      // match_single_line: '^' and '$' only at the path's ends, as regexec has them (Boost's
      // also match beside a newline, and a name holding one would pass an anchored filter).
      found = boost::regex_search(path.begin(), path.end(), e->regex, boost::match_single_line);
    } catch (const std::runtime_error& error) {
      problem = error.what();
      return true;
    }
    if (found && e->exclude)
      return false;
    included = included || found;
  }
  return included;
}

bool looks_like_a_regex(std::string_view glob, std::string& why) {
  if (!glob.empty() && glob.front() == '^') {
    why = "it begins with '^'";
    return true;
  }
  for (std::size_t i = 0; i < glob.size(); ++i) {
    if (glob[i] == '\\') {
      if (i + 1 < glob.size() && std::string_view(".+(){}|wWdDsSbB").find(glob[i + 1]) != std::string_view::npos) {
        why = std::string("it holds '\\") + glob[i + 1] + "'";
        return true;
      }
      ++i; // an escaped character is the glob's own
    } else if (glob[i] == '[') {
      // A class is the glob's own: [|], [$] and [.] are how a glob says those characters.
      const std::size_t close = glob.find(']', i + 2);
      if (close == std::string_view::npos)
        return false; // not a glob either: the glob's check refuses it
      i = close;
    } else if (glob[i] == '|') {
      why = "it holds '|'";
      return true;
    } else if (glob[i] == '$' && i + 1 == glob.size()) {
      why = "it ends with '$'";
      return true;
    }
  }
  return false;
}

} // namespace asio_fswatch::tool
