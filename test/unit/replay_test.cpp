// SPDX-License-Identifier: BSL-1.0
// Unit tests for test/common/tree_replay.hpp: the checker the integration tests trust must catch
// missing, spurious and mistyped entries and every event that does not fit the tree, or those
// tests could pass vacuously.
#include <asio_fswatch/detail/path_text.hpp>

#include <common/make_event.hpp>
#include <common/skip.hpp>
#include <common/temp_dir.hpp>
#include <common/tree_replay.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::test::compare;
using asio_fswatch::test::make_event;
using asio_fswatch::test::replay;
using asio_fswatch::test::replay_stats;
using asio_fswatch::test::snapshot_of;
using asio_fswatch::test::tree_snapshot;

namespace {

// Short, for the event lists below.
fs_event ev(event_kind kind, std::string path, entry_type type, std::string old_path = {}) {
  return make_event(kind, std::move(path), type, std::move(old_path));
}

constexpr auto created = event_kind::created;
constexpr auto removed = event_kind::removed;
constexpr auto renamed = event_kind::renamed;
constexpr auto modified = event_kind::modified;
constexpr auto attributes = event_kind::attributes;
constexpr auto file = entry_type::file;
constexpr auto dir = entry_type::directory;
constexpr auto sym = entry_type::symlink;
constexpr auto unknown = entry_type::unknown;

// /r
// /r/a/          /r/a/x    /r/a/sub/    /r/a/sub/y
// /r/b
tree_snapshot start() {
  return {{"/r", dir},         {"/r/a", dir},       {"/r/a/x", file},
          {"/r/a/sub", dir},   {"/r/a/sub/y", file}, {"/r/b", file}};
}

struct replayed {
  tree_snapshot tree;
  replay_stats stats;
};

replayed run(const std::vector<fs_event>& events, tree_snapshot tree = start()) {
  replayed out{std::move(tree), {}};
  replay(out.tree, events, out.stats);
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tree_replay)

BOOST_AUTO_TEST_CASE(identical_snapshots_compare_equal) {
  BOOST_TEST(compare(start(), start()).empty());
  BOOST_TEST(compare({}, {}).empty());
}

BOOST_AUTO_TEST_CASE(compare_reports_missing_spurious_and_mistyped) {
  tree_snapshot actual = start();
  actual.erase("/r/b");                 // missing
  actual["/r/a/extra"] = file;          // spurious
  actual["/r/a/x"] = dir;               // mistyped
  std::string diff = compare(start(), actual);
  BOOST_TEST(contains(diff, "missing: /r/b (file)"), diff);
  BOOST_TEST(contains(diff, "spurious: /r/a/extra (file)"), diff);
  BOOST_TEST(contains(diff, "type mismatch: /r/a/x is file, replay says directory"), diff);
}

BOOST_AUTO_TEST_CASE(unknown_matches_any_non_directory_only) {
  tree_snapshot actual = start();
  actual["/r/b"] = unknown;
  BOOST_TEST(compare(start(), actual).empty());
  tree_snapshot with_symlink = start();
  with_symlink["/r/b"] = sym;
  BOOST_TEST(compare(with_symlink, actual).empty());
  actual["/r/a"] = unknown;
  BOOST_TEST(contains(compare(start(), actual), "type mismatch: /r/a"));
}

BOOST_AUTO_TEST_CASE(compare_limits_its_output) {
  tree_snapshot actual = start();
  for (int i = 0; i < 50; ++i)
    actual["/r/n" + std::to_string(i)] = file;
  std::string diff = compare(start(), actual, 20);
  BOOST_TEST(std::count(diff.begin(), diff.end(), '\n') == 21);
  BOOST_TEST(contains(diff, "... and 30 more differences"), diff);
}

BOOST_AUTO_TEST_CASE(created_inserts_and_a_missing_created_is_detected) {
  std::vector<fs_event> events{ev(created, "/r/a/sub/z", file), ev(created, "/r/c", dir),
                               ev(created, "/r/c/d", file)};
  replayed r = run(events);
  BOOST_TEST(r.stats.problems.empty(), asio_fswatch::test::describe_problems(r.stats));
  tree_snapshot real = start();
  real["/r/a/sub/z"] = file;
  real["/r/c"] = dir;
  real["/r/c/d"] = file;
  BOOST_TEST(compare(real, r.tree).empty(), compare(real, r.tree));

  // The same stream without one `created`: the replay cannot match the real tree.
  events.pop_back();
  r = run(events);
  BOOST_TEST(r.stats.problems.empty());
  BOOST_TEST(compare(real, r.tree) == "missing: /r/c/d (file)\n");
}

BOOST_AUTO_TEST_CASE(a_spurious_or_mistyped_created_is_detected) {
  replayed r = run({ev(created, "/r/ghost", file)});
  BOOST_TEST(compare(start(), r.tree) == "spurious: /r/ghost (file)\n");
  tree_snapshot real = start();
  real["/r/new"] = file;
  r = run({ev(created, "/r/new", dir)});
  BOOST_TEST(contains(compare(real, r.tree), "type mismatch: /r/new"));
}

BOOST_AUTO_TEST_CASE(created_under_a_missing_parent_is_a_problem) {
  replayed r = run({ev(created, "/r/nope/f", file)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "created under missing parent /r/nope"),
             r.stats.problems[0]);
}

BOOST_AUTO_TEST_CASE(duplicate_created_is_counted_and_another_type_is_a_problem) {
  replayed r = run({ev(created, "/r/b", file), ev(created, "/r/a", dir), ev(created, "/r/b", unknown)});
  BOOST_TEST(r.stats.problems.empty(), asio_fswatch::test::describe_problems(r.stats));
  BOOST_TEST(r.stats.duplicates == 3u);
  r = run({ev(created, "/r/b", dir)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "created as directory but exists as file"));
  BOOST_TEST(r.stats.duplicates == 0u);
}

BOOST_AUTO_TEST_CASE(removed_takes_the_subtree_and_must_exist) {
  replayed r = run({ev(removed, "/r/a", dir)});
  BOOST_TEST(r.stats.problems.empty());
  tree_snapshot expected{{"/r", dir}, {"/r/b", file}};
  BOOST_TEST(compare(expected, r.tree).empty(), compare(expected, r.tree));

  r = run({ev(removed, "/r/nothing", file)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "removed but does not exist"));

  // A prefix that is not a parent ("/r/a" vs "/r/ab") is not taken along.
  tree_snapshot tree = start();
  tree["/r/ab"] = file;
  r = run({ev(removed, "/r/a", dir)}, tree);
  BOOST_TEST(r.tree.count("/r/ab") == 1u);
}

BOOST_AUTO_TEST_CASE(removed_with_a_wrong_type_is_a_problem) {
  replayed r = run({ev(removed, "/r/a", file)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "removed as file but exists as directory"));
}

BOOST_AUTO_TEST_CASE(renamed_moves_the_subtree) {
  replayed r = run({ev(renamed, "/r/b/../moved", dir, "/r/a")});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u); // not lexically normal
  BOOST_TEST(contains(r.stats.problems[0], "not absolute and lexically normal"));

  r = run({ev(renamed, "/r/moved", dir, "/r/a")});
  BOOST_TEST(r.stats.problems.empty(), asio_fswatch::test::describe_problems(r.stats));
  tree_snapshot expected{{"/r", dir},           {"/r/moved", dir},       {"/r/moved/x", file},
                         {"/r/moved/sub", dir}, {"/r/moved/sub/y", file}, {"/r/b", file}};
  BOOST_TEST(compare(expected, r.tree).empty(), compare(expected, r.tree));
}

BOOST_AUTO_TEST_CASE(renamed_problems) {
  // From a path that does not exist.
  replayed r = run({ev(renamed, "/r/c", file, "/r/nothing")});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "renamed from a path that does not exist"));
  // Over an existing entry without `removed` first.
  r = run({ev(renamed, "/r/b", file, "/r/a/x")});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "without a `removed` first"));
  // The same, done right: no problem.
  r = run({ev(removed, "/r/b", file), ev(renamed, "/r/b", file, "/r/a/x")});
  BOOST_TEST(r.stats.problems.empty(), asio_fswatch::test::describe_problems(r.stats));
  // Under a missing parent.
  r = run({ev(renamed, "/r/no/b", file, "/r/b")});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "renamed under missing parent"));
  // With the wrong type.
  r = run({ev(renamed, "/r/c", dir, "/r/b")});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "renamed as directory but exists as file"));
}

// `type` names the entry now at `path` (it was at `old_path`), `old_type` the one now at `old_path`.
fs_event exchange(std::string path, entry_type type, std::string old_path, entry_type old_type) {
  fs_event e = ev(event_kind::exchanged, std::move(path), type, std::move(old_path));
  e.old_type = old_type;
  return e;
}

BOOST_AUTO_TEST_CASE(exchanged_swaps_the_subtrees_and_their_types) {
  replayed r = run({exchange("/r/b", dir, "/r/a", file)});
  BOOST_TEST(r.stats.problems.empty(), asio_fswatch::test::describe_problems(r.stats));
  tree_snapshot expected{{"/r", dir},           {"/r/a", file},       {"/r/b", dir},
                         {"/r/b/x", file},      {"/r/b/sub", dir},    {"/r/b/sub/y", file}};
  BOOST_TEST(compare(expected, r.tree).empty(), compare(expected, r.tree));
  // Across directories, and back.
  r = run({exchange("/r/a/sub/y", file, "/r/b", file), exchange("/r/b", file, "/r/a/sub/y", file)});
  BOOST_TEST(r.stats.problems.empty(), asio_fswatch::test::describe_problems(r.stats));
  BOOST_TEST(compare(start(), r.tree).empty(), compare(start(), r.tree));
}

BOOST_AUTO_TEST_CASE(exchanged_problems) {
  replayed r = run({exchange("/r/b", file, "/r/nothing", file)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "/r/nothing does not exist"));
  // The types name the entries after the swap: swapped here.
  r = run({exchange("/r/b", file, "/r/a", dir)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 2u);
  BOOST_TEST(contains(r.stats.problems[0], "going to path as file but exists as directory"));
  BOOST_TEST(contains(r.stats.problems[1], "going to old_path as directory but exists as file"));
  r = run({exchange("/r/a/sub", dir, "/r/a", dir)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 1u);
  BOOST_TEST(contains(r.stats.problems[0], "an entry inside it"));
}

BOOST_AUTO_TEST_CASE(modified_and_attributes_must_name_an_existing_entry) {
  replayed r = run({ev(modified, "/r/b", file), ev(attributes, "/r/a", dir),
                    ev(modified, "/r/gone", file), ev(attributes, "/r/gone2", dir)});
  BOOST_TEST_REQUIRE(r.stats.problems.size() == 2u);
  BOOST_TEST(contains(r.stats.problems[0], "modified but does not exist"));
  BOOST_TEST(contains(r.stats.problems[1], "attributes but does not exist"));
  BOOST_TEST(compare(start(), r.tree).empty());
}

BOOST_AUTO_TEST_CASE(overflow_and_error_are_ignored) {
  fs_event error = ev(event_kind::error, "/r/nothing", dir);
  error.error = boost::system::errc::make_error_code(boost::system::errc::permission_denied);
  replayed r = run({ev(event_kind::overflow, "/r", dir), error});
  BOOST_TEST(r.stats.problems.empty());
  BOOST_TEST(r.stats.applied == 0u);
  BOOST_TEST(compare(start(), r.tree).empty());
}

BOOST_AUTO_TEST_CASE(paths_must_be_absolute_and_normal) {
  replayed r = run({ev(created, "relative", file), ev(created, "/r/a/", dir),
                    ev(created, "/r/./c", file), ev(created, "/r//d", file)});
  BOOST_TEST(r.stats.problems.size() == 4u, asio_fswatch::test::describe_problems(r.stats));
}

BOOST_AUTO_TEST_CASE(a_whole_stream_reaches_the_final_tree) {
  std::vector<fs_event> events{
      ev(created, "/r/new", dir),          ev(created, "/r/new/f", file),
      ev(renamed, "/r/new/g", file, "/r/new/f"),
      ev(removed, "/r/b", file),           ev(renamed, "/r/b", dir, "/r/a/sub"),
      ev(modified, "/r/b/y", file),        ev(removed, "/r/a/x", file),
      ev(renamed, "/r/new/a", dir, "/r/a"), ev(created, "/r/a", sym),
  };
  replayed r = run(events);
  BOOST_TEST(r.stats.problems.empty(), asio_fswatch::test::describe_problems(r.stats));
  tree_snapshot expected{{"/r", dir},        {"/r/new", dir}, {"/r/new/g", file}, {"/r/new/a", dir},
                         {"/r/b", dir},      {"/r/b/y", file}, {"/r/a", sym}};
  BOOST_TEST(compare(expected, r.tree).empty(), compare(expected, r.tree));
}

BOOST_AUTO_TEST_CASE(snapshot_of_walks_a_real_tree_without_following_symlinks) {
  asio_fswatch::test::temp_dir tmp;
  namespace fs = std::filesystem;
  fs::create_directories(tmp / "a/b");
  std::ofstream(tmp / "a/b/f") << "x";
  const auto text = [](const fs::path& path) { return asio_fswatch::detail::generic_path_text(path); };
  tree_snapshot expected{{text(tmp.path()), dir},
                         {text(tmp / "a"), dir},
                         {text(tmp / "a" / "b"), dir},
                         {text(tmp / "a" / "b" / "f"), file}};
  std::error_code link_error;
  fs::create_directory_symlink(tmp / "a", tmp / "link", link_error); // a loop if it were followed
  if (link_error) {
    // Wine cannot make symbolic links, and Windows makes them only with a privilege.
    asio_fswatch::test::skip("symlinks", "no symbolic link can be made here: " + link_error.message(),
                             asio_fswatch::test::skip_kind::platform);
  } else {
    expected[text(tmp / "link")] = sym;
  }
  tree_snapshot snapshot = snapshot_of(tmp.path());
  BOOST_TEST(compare(expected, snapshot).empty(), compare(expected, snapshot));
  BOOST_TEST(snapshot_of(tmp / "missing").empty());
  tree_snapshot single = snapshot_of(tmp / "a/b/f");
  BOOST_TEST(single.size() == 1u);
  BOOST_TEST((single.begin()->second == file));
}

BOOST_AUTO_TEST_CASE(temp_dir_is_unique_and_removes_itself) {
  std::filesystem::path kept;
  {
    asio_fswatch::test::temp_dir first;
    asio_fswatch::test::temp_dir second;
    BOOST_TEST(first.path() != second.path());
    BOOST_TEST(std::filesystem::is_directory(first.path()));
    std::filesystem::create_directories(first / "x/y");
    kept = first.path();
  }
  BOOST_TEST(!std::filesystem::exists(kept));
}

BOOST_AUTO_TEST_SUITE_END()
