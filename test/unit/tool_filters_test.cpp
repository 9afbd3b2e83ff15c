// SPDX-License-Identifier: BSL-1.0
// Unit tests of the tool's pieces that need no kernel (tools/asio-fswatch): inotifywait's
// regular expressions on paths, the refusal of a glob that can only be one, and paths spelled
// from the PATH given, as inotifywait spells them.
#include <boost/test/unit_test.hpp>

#include "given_paths.hpp"
#include "path_regex.hpp"

#include <asio_fswatch/detail/path_text.hpp>

#include <common/make_event.hpp>

#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::tool::given_paths;
using asio_fswatch::tool::looks_like_a_regex;
using asio_fswatch::tool::path_regex_filter;

bool shows(const path_regex_filter& filter, std::string_view path) {
  std::string problem;
  const bool shown = filter.shows(path, problem);
  BOOST_TEST(problem.empty(), problem);
  return shown;
}

std::string text(const fs::path& path) { return asio_fswatch::detail::path_text(path); }

} // namespace

BOOST_AUTO_TEST_SUITE(tool_filters)

BOOST_AUTO_TEST_CASE(exclude_and_include_expressions_are_searched_anywhere) {
  path_regex_filter filter;
  std::string problem;
  BOOST_TEST(filter.empty());
  BOOST_TEST(shows(filter, "d/a.swp"));
  BOOST_TEST_REQUIRE(filter.add(R"(\.swp$|/tmp)", true, false, problem), problem);
  BOOST_TEST(!shows(filter, "d/a.swp"));
  BOOST_TEST(shows(filter, "d/a.swpx"));
  BOOST_TEST(!shows(filter, "d/tmp/x"));
  BOOST_TEST(shows(filter, "d/A.SWP"));
  // Include: only what one of them is found in; an exclusion still wins.
  BOOST_TEST_REQUIRE(filter.add("[.]c(pp)?$", false, false, problem), problem);
  BOOST_TEST(shows(filter, "src/main.cpp"));
  BOOST_TEST(shows(filter, "src/main.c"));
  BOOST_TEST(!shows(filter, "src/main.h"));
  BOOST_TEST(!shows(filter, "src/tmp/main.c"));
  // Ignoring case (--excludei), and bytes that are not UTF-8 are bytes.
  BOOST_TEST_REQUIRE(filter.add("BUILD", true, true, problem), problem);
  BOOST_TEST(!shows(filter, "build/x.c"));
  BOOST_TEST(shows(filter, "src/\xff.c"));
}

// '^' and '$' hold at the path's ends only, as with regexec: a name with a newline in it cannot
// pass an anchored filter (or hide from one).
BOOST_AUTO_TEST_CASE(anchors_ignore_newlines_in_names) {
  path_regex_filter filter;
  std::string problem;
  BOOST_TEST_REQUIRE(filter.add("[.]c$", false, false, problem), problem);
  BOOST_TEST(shows(filter, "d/a.c"));
  BOOST_TEST(!shows(filter, "d/a.c\nb.sh"));
  path_regex_filter excluding;
  BOOST_TEST_REQUIRE(excluding.add("^evil", true, false, problem), problem);
  BOOST_TEST(!shows(excluding, "evil/x"));
  BOOST_TEST(shows(excluding, "d/a\nevil"));
}

BOOST_AUTO_TEST_CASE(a_bad_expression_is_refused_with_a_reason) {
  path_regex_filter filter;
  std::string problem;
  BOOST_TEST(!filter.add("(", true, false, problem));
  BOOST_TEST(problem.find("parenthesis") != std::string::npos, problem);
  BOOST_TEST(!filter.add("", true, false, problem));
  BOOST_TEST(!filter.add("a{2,1}", false, false, problem));
  BOOST_TEST(filter.empty());
}

BOOST_AUTO_TEST_CASE(an_expression_too_costly_for_a_path_shows_it) {
  path_regex_filter filter;
  std::string problem;
  BOOST_TEST_REQUIRE(filter.add("(a|aa)*b", true, false, problem), problem);
  const std::string path = "/" + std::string(4000, 'a');
  BOOST_TEST(filter.shows(path, problem)); // shown: nothing lost
  BOOST_TEST(!problem.empty());
}

BOOST_AUTO_TEST_CASE(globs_that_can_only_be_regular_expressions) {
  std::string why;
  for (const char* regex : {R"(\.swp$)", "^build", "node_modules|dist", R"(a\+)", R"(\d+)", "x$"}) {
    BOOST_TEST(looks_like_a_regex(regex, why), regex);
    BOOST_TEST(!why.empty());
  }
  for (const char* glob : {"*.swp", "**/.git/**", "build/", "foo.*", "a[$]", "[|]x", "[.]o", R"(a\*)", "[^a]b",
                           "$HOME", "a(1).pdf", "[[:alpha:]]"})
    BOOST_TEST(!looks_like_a_regex(glob, why), glob);
}

BOOST_AUTO_TEST_CASE(paths_are_spelled_from_the_path_given) {
  given_paths given;
  const fs::path cwd = fs::current_path();
  given.add("d");
  given.add("./e/");
  fs_event event = asio_fswatch::test::make_event(event_kind::renamed, cwd / "d" / "sub" / "new", entry_type::file,
                                                  cwd / "d" / "old");
  event.root = cwd / "d";
  const fs_event spelled = given.respelled(event);
  const std::string sep(1, char(fs::path::preferred_separator));
  BOOST_TEST(text(spelled.path) == "d" + sep + "sub" + sep + "new");
  BOOST_TEST(text(spelled.old_path) == "d" + sep + "old");
  BOOST_TEST(text(spelled.root) == "d");

  fs_event in_e = asio_fswatch::test::make_event(event_kind::created, cwd / "e" / "x", entry_type::file);
  in_e.root = cwd / "e";
  BOOST_TEST(text(given.respelled(in_e).path) == "./e/x");
  // The root itself is the path given; a root not given so keeps its absolute paths.
  in_e.path = in_e.root;
  BOOST_TEST(text(given.respelled(in_e).path) == "./e/");
  fs_event other = asio_fswatch::test::make_event(event_kind::created, cwd / "f" / "x", entry_type::file);
  other.root = cwd / "f";
  BOOST_TEST((given.respelled(other).path == other.path));
  // A '..' keeps absolute paths: after a symlink, the kernel's '..' is not the lexical one.
  given.add("g/../h");
  fs_event dotted = asio_fswatch::test::make_event(event_kind::created, cwd / "h" / "x", entry_type::file);
  dotted.root = cwd / "h";
  BOOST_TEST((given.respelled(dotted).path == dotted.path));
}

// inotifywait's @PATH: anchored and escaped globs under the root it is in, none elsewhere.
BOOST_AUTO_TEST_CASE(an_excluded_path_is_an_anchored_escaped_glob) {
  using asio_fswatch::tool::exclusion_globs;
  BOOST_TEST((exclusion_globs("d", "d/node_modules") == std::vector<std::string>{"/node_modules", "/node_modules/**"}));
  BOOST_TEST((exclusion_globs("./d/", "d/a/*b[1]") == std::vector<std::string>{"/a/\\*b\\[1\\]", "/a/\\*b\\[1\\]/**"}));
  BOOST_TEST(exclusion_globs("d", "e/x").empty());
  BOOST_TEST(exclusion_globs("d", "d").empty());
  BOOST_TEST(exclusion_globs("d", "d/../e").empty());
}

BOOST_AUTO_TEST_SUITE_END()
