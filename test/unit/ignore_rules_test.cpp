// SPDX-License-Identifier: BSL-1.0
// Unit tests for detail/ignore_rules.hpp: gitignore's syntax (comments, escapes, trailing
// spaces, CRLF, a byte order mark), negation, directory-only and anchored patterns, "**", and
// the precedence of nested directories. Each expectation was checked with git 2.39's
// `git check-ignore`; test/integration/ignore_git_conformance_test.cpp compares the two on
// generated trees.
#include <asio_fswatch/detail/ignore_rules.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

using asio_fswatch::detail::ignore_level;
using asio_fswatch::detail::ignore_rules;
using asio_fswatch::detail::ignore_verdict;
using asio_fswatch::detail::is_ignored;

namespace {

constexpr bool file = false;
constexpr bool directory = true;

ignore_rules rules_of(std::string_view text) {
  ignore_rules rules;
  rules.append_file(text);
  return rules;
}

// One directory's file: whether `path` (relative to it) is ignored by it alone.
bool ignored(std::string_view text, std::string_view path, bool is_directory = file) {
  const ignore_rules rules = rules_of(text);
  const ignore_level level{&rules, 0};
  return is_ignored(&level, 1, path, is_directory);
}

} // namespace

BOOST_AUTO_TEST_SUITE(ignore_rules_syntax)

BOOST_AUTO_TEST_CASE(comments_blank_lines_and_escapes) {
  const ignore_rules rules = rules_of("# a comment\n\n   \n\\#hash\n\\!bang\nplain\n");
  BOOST_TEST(rules.size() == 3u);
  BOOST_TEST(ignored("#x\n", "#x") == false);
  BOOST_TEST(ignored("\\#x\n", "#x"));
  BOOST_TEST(ignored("\\!x\n", "!x"));
  BOOST_TEST(ignored("plain", "plain")); // no newline at the end
}

BOOST_AUTO_TEST_CASE(trailing_spaces_unless_escaped) {
  BOOST_TEST(ignored("name   \n", "name"));
  BOOST_TEST(!ignored("name   \n", "name   "));
  BOOST_TEST(ignored("sp\\ \n", "sp "));
  BOOST_TEST(ignored("sp2 \\ \n", "sp2  "));
  BOOST_TEST(ignored("a\\\\ \n", "a\\"));   // an escaped backslash does not escape the space
  BOOST_TEST(!ignored("name\t\n", "name")); // only spaces are trimmed, as in git
  BOOST_TEST(ignored("name\t\n", "name\t"));
}

BOOST_AUTO_TEST_CASE(crlf_and_byte_order_mark) {
  BOOST_TEST(ignored("\xEF\xBB\xBF" "first\r\nsecond\r\n", "first"));
  BOOST_TEST(ignored("\xEF\xBB\xBF" "first\r\nsecond\r\n", "second"));
  BOOST_TEST(!ignored("x\n\xEF\xBB\xBF" "y\n", "y")); // a mark later on is part of the name
}

BOOST_AUTO_TEST_CASE(lines_that_are_no_pattern_match_nothing) {
  const ignore_rules rules = rules_of("a\\\nb[\n!\n/\n[[:nonsense:]]\nok\n");
  BOOST_TEST(rules.size() == 1u);
  BOOST_TEST(!ignored("a\\\n", "a\\"));
  BOOST_TEST(!ignored("b[\n", "b["));
  // A reversed range is empty, not an error: the rest of its class still matches.
  BOOST_TEST(ignored("[z-ax]\n", "x"));
  BOOST_TEST(!ignored("[z-a]\n", "m"));
}

BOOST_AUTO_TEST_CASE(posix_character_classes) {
  BOOST_TEST(ignored("[[:alpha:]]\n", "q"));
  BOOST_TEST(!ignored("[[:alpha:]]\n", "7"));
  BOOST_TEST(ignored("x[[:digit:]_]\n", "x_"));
  BOOST_TEST(ignored("x[[:digit:]_]\n", "x4"));
  BOOST_TEST(ignored("[![:lower:]]*\n", "Upper"));
  BOOST_TEST(!ignored("[![:lower:]]*\n", "lower"));
  // No ":]": the '[' and what follows are members (`git check-ignore x:` with "x[[:alpha]"; a
  // path ":" alone is pathspec magic to git, not a name).
  BOOST_TEST(ignored("[[:alpha]\n", "["));
  BOOST_TEST(ignored("[[:alpha]\n", "l"));
  BOOST_TEST(ignored("x[[:alpha]\n", "x:"));
  BOOST_TEST(!ignored("[[:alpha]\n", "b"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ignore_rules_semantics)

BOOST_AUTO_TEST_CASE(a_name_pattern_matches_at_any_depth) {
  BOOST_TEST(ignored("*.o\n", "main.o"));
  BOOST_TEST(ignored("*.o\n", "src/deep/main.o"));
  BOOST_TEST(ignored("build\n", "a/build", directory));
  BOOST_TEST(ignored("build\n", "a/build", file));
  BOOST_TEST(!ignored("*.o\n", "main.c"));
}

BOOST_AUTO_TEST_CASE(a_slash_anchors_the_pattern) {
  BOOST_TEST(ignored("/build\n", "build", directory));
  BOOST_TEST(!ignored("/build\n", "src/build", directory));
  BOOST_TEST(ignored("doc/*.html\n", "doc/index.html"));
  BOOST_TEST(!ignored("doc/*.html\n", "src/doc/index.html"));
  BOOST_TEST(!ignored("doc/*.html\n", "doc/sub/index.html")); // '*' never crosses a '/'
  BOOST_TEST(rules_of("doc/*.html\n").matches_paths());
  BOOST_TEST(!rules_of("*.html\nbuild/\n").matches_paths());
}

BOOST_AUTO_TEST_CASE(a_slash_inside_a_class_anchors_too) {
  // git's test for a '/' is on the text: "[!/]*.c" is anchored, and matches at the top only.
  BOOST_TEST(ignored("[!/]*.c\n", "main.c"));
  BOOST_TEST(!ignored("[!/]*.c\n", "src/main.c"));
}

BOOST_AUTO_TEST_CASE(a_trailing_slash_matches_directories_only) {
  BOOST_TEST(ignored("build/\n", "build", directory));
  BOOST_TEST(!ignored("build/\n", "build", file));
  BOOST_TEST(ignored("build/\n", "x/build", directory)); // still a name pattern
  BOOST_TEST(ignored("a/b/\n", "a/b", directory));
  BOOST_TEST(!ignored("a/b/\n", "a/b", file));
}

BOOST_AUTO_TEST_CASE(double_stars) {
  BOOST_TEST(ignored("**/foo\n", "foo"));
  BOOST_TEST(ignored("**/foo\n", "x/y/foo"));
  BOOST_TEST(ignored("**/foo/bar\n", "x/foo/bar"));
  BOOST_TEST(ignored("a/**/b\n", "a/b"));
  BOOST_TEST(ignored("a/**/b\n", "a/x/y/b"));
  BOOST_TEST(ignored("abc/**\n", "abc/x"));
  BOOST_TEST(ignored("abc/**\n", "abc/x/y"));
  BOOST_TEST(!ignored("abc/**\n", "abc", directory)); // what it holds, not the directory
  BOOST_TEST(ignored("a**b\n", "axxb"));              // not a whole component: a '*'
  BOOST_TEST(!ignored("a**b\n", "ax/xb"));
}

BOOST_AUTO_TEST_CASE(the_last_matching_pattern_decides) {
  BOOST_TEST(!ignored("*.log\n!keep.log\n", "keep.log"));
  BOOST_TEST(ignored("*.log\n!keep.log\n", "other.log"));
  BOOST_TEST(ignored("!keep.log\n*.log\n", "keep.log")); // the negation came first
  const ignore_rules rules = rules_of("*.log\n!keep.log\n");
  BOOST_TEST((rules.decide("keep.log", file) == ignore_verdict::kept));
  BOOST_TEST((rules.decide("x.log", file) == ignore_verdict::ignored));
  BOOST_TEST((rules.decide("x.c", file) == ignore_verdict::none));
}

BOOST_AUTO_TEST_CASE(a_deeper_directory_takes_precedence) {
  // Root: "*.log"; sub/: "!keep.log"; the entry sub/keep.log is decided by sub/'s file.
  const ignore_rules root = rules_of("*.log\n");
  const ignore_rules sub = rules_of("!keep.log\n");
  const ignore_level levels[] = {{&sub, 4}, {&root, 0}};
  BOOST_TEST(!is_ignored(levels, 2, "sub/keep.log", file));
  BOOST_TEST(is_ignored(levels, 2, "sub/other.log", file));
  // sub/'s anchored pattern is relative to sub/.
  const ignore_rules anchored = rules_of("/only_here\n");
  const ignore_level nested[] = {{&anchored, 4}, {&root, 0}};
  BOOST_TEST(is_ignored(nested, 2, "sub/only_here", file));
  BOOST_TEST(!is_ignored(nested, 2, "sub/x/only_here", file));
}

BOOST_AUTO_TEST_CASE(versions_of_a_file_compare_by_their_patterns) {
  BOOST_TEST((rules_of("a\nb\n") == rules_of("# comment\na\n\nb   \n")));
  BOOST_TEST(!(rules_of("a\n") == rules_of("!a\n")));
  BOOST_TEST(!(rules_of("a\n") == rules_of("a/\n")));
}

BOOST_AUTO_TEST_SUITE_END()
