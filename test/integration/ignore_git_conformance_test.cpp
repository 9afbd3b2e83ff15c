// SPDX-License-Identifier: BSL-1.0
// Ignore files against git itself: random trees with random .gitignore files (nested, negated,
// anchored, directory-only, "**", escapes) and a .git/info/exclude, decided both by
// detail::ignore_rules and by `git check-ignore`, which must agree on every path; and the
// directory monitor with watch_options::ignore_files on such trees (inotify and poll): what it
// lists is what git does not ignore, and after .gitignore files are rewritten and directories
// moved, its events replay to what git does not ignore then. Git is a Debian package
// (scripts/install-deps.sh); without it the tests say skipped.
#include <asio_fswatch/detail/ignore_rules.hpp>
#include <asio_fswatch/directory_monitor.hpp>

#include <common/monitor_collect.hpp>
#include <common/skip.hpp>
#include <common/temp_dir.hpp>
#include <common/tree_replay.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace fs = std::filesystem;
using asio_fswatch::detail::ignore_level;
using asio_fswatch::detail::ignore_rules;

namespace {

const std::vector<std::string> names = {"a", "b", "ab", "build", "x.o", "x.log", "keep.log",
                                        ".hidden", "sp ace", "Doc", "x1", "#x", "!b", "[b]"};

const std::vector<std::string> patterns = {
    "*.o", "*.log", "!keep.log", "build/", "/build", "a/", "a/b", "**/b", "a/**", "a/**/x.o",
    "!a/", "[ab]", "?", "x*", "!*.o", "b/x.log", "b/", "!b", "*", "!**/", ".hidden", "\\#x",
    "\\!b", "trailing  ", "sp\\ ace", "!sp ace", "Doc/", "/a/b/", "**/build/**", "!build/keep.log",
    "[[:upper:]]*", "x[0-9]", "ab/", "# comment", "", "a/*/x.log", "*/x.o", "!/x.o", "\\[b\\]"};

struct generated {
  std::map<std::string, bool> entries;      // relative path -> is a directory
  std::map<std::string, std::string> files; // relative path of an ignore file -> its text
  std::string info_exclude;
};

std::string random_rules(std::mt19937& random) {
  std::string text;
  const int lines = std::uniform_int_distribution<int>(0, 5)(random);
  for (int i = 0; i < lines; ++i)
    text += patterns[std::uniform_int_distribution<std::size_t>(0, patterns.size() - 1)(random)] + "\n";
  return text;
}

void fill(std::mt19937& random, generated& out, const std::string& dir, int depth) {
  if (std::bernoulli_distribution(0.6)(random))
    out.files[dir.empty() ? ".gitignore" : dir + "/.gitignore"] = random_rules(random);
  const int count = std::uniform_int_distribution<int>(1, 6)(random);
  for (int i = 0; i < count; ++i) {
    const std::string& name = names[std::uniform_int_distribution<std::size_t>(0, names.size() - 1)(random)];
    const std::string path = dir.empty() ? name : dir + "/" + name;
    if (out.entries.count(path))
      continue;
    const bool directory = depth < 3 && std::bernoulli_distribution(0.5)(random);
    out.entries[path] = directory;
    if (directory)
      fill(random, out, path, depth + 1);
  }
}

// What ignore_rules says, walking down as the monitor does: nothing below an ignored directory
// is looked at (git says it is ignored too).
std::set<std::string> ignored_by_us(const generated& tree) {
  std::map<std::string, ignore_rules> rules; // directory ("" = the root) -> its patterns
  for (const auto& [path, text] : tree.files) {
    const std::size_t slash = path.rfind('/');
    rules[slash == std::string::npos ? "" : path.substr(0, slash)].append_file(text);
  }
  ignore_rules exclude;
  exclude.append_file(tree.info_exclude);
  std::set<std::string> ignored;
  for (const auto& [path, is_directory] : tree.entries) { // parents sort before children
    const std::size_t slash = path.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    if (!parent.empty() && ignored.count(parent)) {
      ignored.insert(path);
      continue;
    }
    std::vector<ignore_level> levels;
    for (std::string dir = parent;;) {
      if (auto it = rules.find(dir); it != rules.end())
        levels.push_back({&it->second, dir.empty() ? 0 : dir.size() + 1});
      if (dir.empty())
        break;
      const std::size_t up = dir.rfind('/');
      dir = up == std::string::npos ? "" : dir.substr(0, up);
    }
    levels.push_back({&exclude, 0});
    if (asio_fswatch::detail::is_ignored(levels.data(), levels.size(), path, is_directory))
      ignored.insert(path);
  }
  return ignored;
}

std::set<std::string> ignored_by_git(const fs::path& work, const generated& tree) {
  const fs::path list = work / "paths";
  const fs::path answer = work / "answer";
  {
    std::ofstream out(list, std::ios::binary);
    for (const auto& entry : tree.entries)
      out << entry.first << '\0';
  }
  // No system or user configuration (a core.excludesFile) may take part.
  const std::string command = "cd '" + (work / "repo").string() +
                              "' && HOME='" + work.string() + "' XDG_CONFIG_HOME='" + work.string() +
                              "' GIT_CONFIG_NOSYSTEM=1 git check-ignore -z --stdin < '" + list.string() +
                              "' > '" + answer.string() + "'";
  const int status = std::system(command.c_str());
  // 0: some path is ignored; 1: none is.
  BOOST_TEST_REQUIRE((status == 0 || WEXITSTATUS(status) == 1), "git check-ignore failed: " << status);
  std::ifstream in(answer, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string> ignored;
  std::istringstream split(bytes);
  for (std::string path; std::getline(split, path, '\0');)
    if (!path.empty())
      ignored.insert(path);
  return ignored;
}

bool have_git() { return std::system("git --version > /dev/null 2>&1") == 0; }

void make_repository(const fs::path& repo, const generated& tree) {
  fs::remove_all(repo);
  fs::create_directories(repo);
  BOOST_TEST_REQUIRE(std::system(("git -c init.defaultBranch=main init -q '" + repo.string() + "'").c_str()) == 0);
  for (const auto& [path, is_directory] : tree.entries) {
    if (is_directory)
      fs::create_directories(repo / path);
    else
      std::ofstream(repo / path).put('x');
  }
  for (const auto& [path, text] : tree.files)
    std::ofstream(repo / path, std::ios::binary) << text;
  std::ofstream(repo / ".git/info/exclude", std::ios::binary) << tree.info_exclude;
}

// What is on disk under `repo` now (.git left out), as `generated` entries.
generated on_disk(const fs::path& repo) {
  generated now;
  for (auto it = fs::recursive_directory_iterator(repo); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    now.entries[fs::relative(it->path(), repo).generic_string()] = it->is_directory();
  }
  return now;
}

// The tree, as absolute path -> type, that git does not ignore (the root itself included).
asio_fswatch::test::tree_snapshot visible_to_git(const fs::path& work, const fs::path& repo) {
  const generated now = on_disk(repo);
  const std::set<std::string> ignored = ignored_by_git(work, now);
  asio_fswatch::test::tree_snapshot out;
  out.emplace(repo.string(), asio_fswatch::entry_type::directory);
  for (const auto& [path, is_directory] : now.entries)
    if (!ignored.count(path))
      out.emplace((repo / path).string(), is_directory ? asio_fswatch::entry_type::directory
                                                       : asio_fswatch::entry_type::file);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ignore_git_conformance)

BOOST_AUTO_TEST_CASE(random_trees_agree_with_git_check_ignore) {
  if (!have_git())
    return asio_fswatch::test::skip("git", "git is not installed (scripts/install-deps.sh installs it)");
  asio_fswatch::test::temp_dir work("ignore_conformance");
  std::mt19937 random(20261207);
  std::size_t paths_compared = 0;
  std::size_t ignored_seen = 0;
  for (int round = 0; round < 120; ++round) {
    generated tree;
    fill(random, tree, "", 0);
    tree.info_exclude = random_rules(random);
    make_repository(work.path() / "repo", tree);

    const std::set<std::string> ours = ignored_by_us(tree);
    const std::set<std::string> git = ignored_by_git(work.path(), tree);
    paths_compared += tree.entries.size();
    ignored_seen += git.size();
    if (ours == git)
      continue;
    std::ostringstream why;
    for (const auto& [path, text] : tree.files)
      why << "\n  " << path << ":\n" << text;
    why << "\n  .git/info/exclude:\n" << tree.info_exclude;
    for (const auto& [path, is_directory] : tree.entries)
      if (ours.count(path) != git.count(path))
        why << "\n  " << path << (is_directory ? "/" : "") << ": git " << (git.count(path) ? "ignores" : "keeps")
            << ", ignore_rules " << (ours.count(path) ? "ignores" : "keeps");
    BOOST_TEST_REQUIRE(false, "round " << round << " differs:" << why.str());
  }
  BOOST_TEST_MESSAGE(paths_compared << " paths compared, " << ignored_seen << " ignored by git");
  // Not vacuous: both answers occur often.
  BOOST_TEST(ignored_seen > paths_compared / 10);
  BOOST_TEST(ignored_seen < paths_compared * 9 / 10);
}

BOOST_AUTO_TEST_CASE(the_monitor_agrees_with_git) {
  if (!have_git())
    return asio_fswatch::test::skip("git", "git is not installed (scripts/install-deps.sh installs it)");
  using namespace asio_fswatch;
  using namespace asio_fswatch::test;
  for (backend b : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << b) {
      temp_dir work("ignore_monitor");
      std::mt19937 random(7 + static_cast<unsigned>(b));
      const fs::path repo = work.path() / "repo";
      for (int round = 0; round < 6; ++round) {
        BOOST_TEST_CONTEXT("round " << round) {
          generated tree;
          fill(random, tree, "", 0);
          tree.info_exclude = random_rules(random);
          make_repository(repo, tree);
          boost::asio::io_context ioc;
          directory_monitor monitor(ioc, portable_options(b));
          watch_options options;
          options.ignore_files = {".gitignore"};
          options.exclude = {".git"};
          options.initial_listing = true;
          monitor.add(repo, options);
          collection listed = collect_until_quiet(ioc, monitor);
          tree_snapshot seen;
          seen.emplace(repo.string(), entry_type::directory);
          replay_stats stats;
          replay(seen, listed.events, stats);
          BOOST_TEST(stats.problems.empty(), describe_problems(stats));
          const tree_snapshot expected = visible_to_git(work.path(), repo);
          BOOST_TEST_REQUIRE(compare(expected, seen).empty(),
                             "what the monitor listed is not what git keeps:\n" << compare(expected, seen));

          // Rewrite some ignore files (new ones too), and move a directory elsewhere.
          std::vector<std::string> directories{""};
          for (const auto& [path, is_directory] : on_disk(repo).entries)
            if (is_directory)
              directories.push_back(path);
          for (int i = 0; i < 3; ++i) {
            const std::string& dir = directories[random() % directories.size()];
            std::ofstream(repo / dir / ".gitignore", std::ios::binary) << random_rules(random);
          }
          if (directories.size() > 2) {
            const std::string& from = directories[1 + random() % (directories.size() - 1)];
            const std::string& into = directories[random() % directories.size()];
            const fs::path to = repo / into / ("moved" + std::to_string(round));
            if (into.compare(0, from.size(), from) != 0) // never into itself
              fs::rename(repo / from, to);
          }
          collection changed = collect_until_quiet(ioc, monitor);
          replay(seen, changed.events, stats);
          BOOST_TEST(stats.problems.empty(), describe_problems(stats));
          const tree_snapshot now = visible_to_git(work.path(), repo);
          BOOST_TEST(compare(now, seen).empty(),
                     "the events do not replay to what git keeps:\n" << compare(now, seen) << dump(changed.events));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
