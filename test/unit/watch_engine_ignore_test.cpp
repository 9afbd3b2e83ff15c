// SPDX-License-Identifier: BSL-1.0
// The engine with ignore files (watch_options::ignore_files), on each policy (inotify's watch per
// directory, a recursive watch, polling) over the fake file system: what the files ignore is
// neither reported nor watched; editing, creating, removing or renaming an ignore file, and
// moving a directory where other patterns apply, report what became hidden (removed) and
// visible (created); the events replay to the tree the filters let through, which is computed
// here with detail::ignore_rules (itself checked against git, ignore_git_conformance).
#include "unit/engine_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace asio_fswatch::test::engine_support;
using asio_fswatch::test::tree_snapshot;

namespace {

std::size_t count_kind(const std::vector<fs_event>& events, event_kind kind) {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [&](const fs_event& e) { return e.kind == kind; }));
}

const watch_options gitignore = [] {
  watch_options options;
  options.ignore_files = {".gitignore"};
  return options;
}();

const watch_policy policies[] = {watch_policy::per_directory, watch_policy::recursive_root,
                                 watch_policy::polling};

const char* name_of(watch_policy policy) {
  return policy == watch_policy::per_directory ? "inotify"
         : policy == watch_policy::recursive_root ? "recursive watch"
                                                  : "polling";
}

// Each change, on each policy: the events it brought replay to the visible tree.
struct ignore_fixture : engine_fixture {
  tree_snapshot before;

  void begin(watch_policy policy, const watch_options& options = gitignore) {
    start(policy);
    add_ok("/r", options);
    before = visible_tree(fake, "/r");
  }
  std::vector<fs_event> settle() {
    if (engine->policy() == watch_policy::polling) {
      advance(milliseconds(1));
      return poll();
    }
    return events_until_quiet();
  }
  // The events of the changes since the last step; they replay to the visible tree.
  std::vector<fs_event> step(const std::string& what) {
    BOOST_TEST_CONTEXT(what) {
      std::vector<fs_event> got = settle();
      const tree_snapshot after = visible_tree(fake, "/r");
      check_replay(before, got, after);
      BOOST_TEST(engine->check() == "");
      before = after;
      return got;
    }
    return {};
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(watch_engine_ignore_files)

BOOST_FIXTURE_TEST_CASE(what_the_files_ignore_is_not_scanned_nor_watched, engine_fixture) {
  fake.mkdirs("/r/build/obj");
  fake.mkdirs("/r/src/gen");
  fake.write("/r/.gitignore", "build/\n*.o\n!keep.o\n");
  fake.write("/r/src/.gitignore", "/gen/\n");
  fake.write("/r/src/a.o");
  fake.write("/r/src/keep.o");
  fake.write("/r/src/a.c");
  watch_options options = gitignore;
  options.initial_listing = true;
  add_ok("/r", options);
  check_event_set(drain(), {created("/r/.gitignore"), created("/r/src", dir), created("/r/src/.gitignore"),
                            created("/r/src/keep.o"), created("/r/src/a.c")});
  BOOST_TEST(!fake.watch_of("/r/build").has_value());
  BOOST_TEST(!fake.watch_of("/r/src/gen").has_value());
  BOOST_TEST(fake.active_watch_count() == 2u);
  // Nothing that the files ignore is reported later either.
  fake.write("/r/src/b.o");
  fake.mkdir("/r/x.o");
  fake.write("/r/src/b.c");
  check_events(events(), {created("/r/src/b.c"), modified("/r/src/b.c")});
}

BOOST_AUTO_TEST_CASE(editing_an_ignore_file_shows_and_hides_on_every_policy) {
  for (watch_policy policy : policies) {
    BOOST_TEST_CONTEXT(name_of(policy)) {
      ignore_fixture f;
      f.fake.mkdirs("/r/build/obj");
      f.fake.write("/r/build/obj/x.o");
      f.fake.write("/r/a.log");
      f.fake.write("/r/.gitignore", "build/\n");
      f.begin(policy);
      f.fake.write("/r/.gitignore", "*.log\n");
      std::vector<fs_event> got = f.step("build/ shown, *.log hidden");
      BOOST_TEST(count_kind(got, event_kind::created) >= 3u); // build, build/obj, build/obj/x.o
      if (policy == watch_policy::per_directory)
        BOOST_TEST(f.fake.watch_of("/r/build/obj").has_value());
      f.fake.write("/r/c.log");
      f.step("a hidden file written");
      f.fake.remove("/r/.gitignore");
      f.step("the file removed: everything shown");
      f.fake.write("/r/.gitignore", "# only a comment\n");
      f.step("a file that ignores nothing");
      f.fake.write("/r/.gitignore", "build\n");
      f.step("build hidden again");
      if (policy == watch_policy::per_directory)
        BOOST_TEST(!f.fake.watch_of("/r/build").has_value());
      f.fake.rename("/r/.gitignore", "/r/old.gitignore");
      f.step("renamed away: its patterns go");
      f.fake.rename("/r/old.gitignore", "/r/.gitignore");
      f.step("renamed back");
    }
  }
}

BOOST_AUTO_TEST_CASE(nested_files_and_precedence) {
  for (watch_policy policy : policies) {
    BOOST_TEST_CONTEXT(name_of(policy)) {
      ignore_fixture f;
      f.fake.mkdirs("/r/a/b");
      f.fake.write("/r/.gitignore", "*.log\n");
      f.fake.write("/r/a/keep.log");
      f.fake.write("/r/a/b/keep.log");
      f.fake.write("/r/a/b/other.log");
      f.begin(policy);
      BOOST_TEST(f.before.count("/r/a/keep.log") == 0u);
      f.fake.write("/r/a/.gitignore", "!keep.log\n");
      f.step("a deeper file's negation");
      BOOST_TEST(f.before.count("/r/a/b/keep.log") == 1u);
      BOOST_TEST(f.before.count("/r/a/b/other.log") == 0u);
      f.fake.write("/r/a/b/.gitignore", "keep.log\n");
      f.step("deeper still");
      BOOST_TEST(f.before.count("/r/a/b/keep.log") == 0u);
      f.fake.remove("/r/a/.gitignore");
      f.step("the middle one removed");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_directory_moved_where_other_patterns_apply) {
  for (watch_policy policy : policies) {
    BOOST_TEST_CONTEXT(name_of(policy)) {
      ignore_fixture f;
      f.fake.mkdirs("/r/a/d/sub");
      f.fake.mkdirs("/r/b");
      f.fake.mkdirs("/r/src2/gen");
      f.fake.write("/r/a/.gitignore", "*.log\n");
      f.fake.write("/r/a/d/x.log");
      f.fake.write("/r/a/d/sub/y.log");
      f.fake.write("/r/src2/gen/g.c");
      f.fake.write("/r/.gitignore", "/src/gen/\n");
      f.begin(policy);
      f.fake.rename("/r/a/d", "/r/b/d");
      f.step("out from under a/.gitignore: its logs appear");
      BOOST_TEST(f.before.count("/r/b/d/sub/y.log") == 1u);
      f.fake.rename("/r/b/d", "/r/a/d");
      f.step("back: they go");
      f.fake.rename("/r/src2", "/r/src");
      f.step("renamed to where an anchored pattern hides gen/");
      BOOST_TEST(f.before.count("/r/src/gen") == 0u);
      f.fake.rename("/r/src", "/r/src3");
      f.step("and away again");
      BOOST_TEST(f.before.count("/r/src3/gen/g.c") == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_ignored_ignore_file_is_still_read) {
  for (watch_policy policy : policies) {
    BOOST_TEST_CONTEXT(name_of(policy)) {
      ignore_fixture f;
      f.fake.mkdir("/r");
      f.fake.write("/r/.gitignore", ".*\n");
      f.fake.write("/r/.env");
      f.fake.write("/r/x.tmp");
      f.begin(policy);
      BOOST_TEST(f.before.count("/r/.gitignore") == 0u);
      f.fake.write("/r/.gitignore", ".*\n*.tmp\n");
      f.step("the hidden file says more");
      BOOST_TEST(f.before.count("/r/x.tmp") == 0u);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(the_repository_above_the_root, engine_fixture) {
  // The repository's top is /repo; the root is /repo/sub/r. What the top's and sub's files say
  // of sub/r's entries applies, and .git/info/exclude, all matched from the top.
  fake.mkdirs("/repo/.git/info");
  fake.mkdirs("/repo/sub/r/gen");
  fake.write("/repo/.gitignore", "*.tmp\n/sub/r/gen/\n");
  fake.write("/repo/sub/.gitignore", "!keep.tmp\n");
  fake.write("/repo/.git/info/exclude", "*.bak\n");
  fake.write("/repo/sub/r/a.tmp");
  fake.write("/repo/sub/r/keep.tmp");
  fake.write("/repo/sub/r/a.bak");
  fake.write("/repo/sub/r/a.c");
  watch_options options = gitignore;
  options.initial_listing = true;
  add_ok("/repo/sub/r", options);
  check_event_set(drain(), {created("/repo/sub/r/keep.tmp"), created("/repo/sub/r/a.c")});
  BOOST_TEST(!fake.watch_of("/repo/sub/r/gen").has_value());
  // Without ".gitignore" among the names, none of that applies.
  engine_fixture plain;
  plain.fake.mkdirs("/repo/.git");
  plain.fake.write("/repo/.gitignore", "*.tmp\n");
  plain.fake.mkdir("/repo/r");
  plain.fake.write("/repo/r/a.tmp");
  watch_options other;
  other.ignore_files = {".ignore"};
  other.initial_listing = true;
  plain.add_ok("/repo/r", other);
  check_events(plain.drain(), {created("/repo/r/a.tmp")});
}

BOOST_FIXTURE_TEST_CASE(info_exclude_in_the_tree_is_read_again, engine_fixture) {
  fake.mkdirs("/r/.git/info");
  fake.write("/r/.git/info/exclude", "");
  fake.write("/r/a.bak");
  add_ok("/r", gitignore);
  fake.write("/r/.git/info/exclude", "*.bak\n");
  std::vector<fs_event> got = events_until_quiet();
  BOOST_TEST(count_kind(got, event_kind::removed) == 1u);
  BOOST_TEST(std::count(got.begin(), got.end(), removed("/r/a.bak")) == 1);
}

// .git kept out of the tree (exclude ".git/"): no record names info/exclude, and the look each
// second finds its change; polling reads it at each scan.
BOOST_AUTO_TEST_CASE(info_exclude_outside_the_watched_tree_is_looked_at) {
  for (watch_policy policy : policies) {
    BOOST_TEST_CONTEXT(name_of(policy)) {
      engine_fixture f;
      f.fake.mkdirs("/r/.git/info");
      f.fake.write("/r/a.bak");
      watch_options options = gitignore;
      options.exclude = {".git/"};
      f.start(policy);
      f.add_ok("/r", options);
      f.fake.write("/r/.git/info/exclude", "*.bak\n");
      f.advance(std::chrono::seconds(1));
      f.engine->on_timer(f.now);
      std::vector<fs_event> got = policy == watch_policy::polling ? f.poll() : f.events_until_quiet();
      check_events(got, {removed("/r/a.bak")});
      f.fake.write("/r/.git/info/exclude", "# nothing\n");
      f.advance(std::chrono::seconds(1));
      f.engine->on_timer(f.now);
      got = policy == watch_policy::polling ? f.poll() : f.events_until_quiet();
      check_events(got, {created("/r/a.bak")});
    }
  }
}

BOOST_FIXTURE_TEST_CASE(an_ignore_file_that_cannot_be_read_is_an_error, engine_fixture) {
  fake.mkdirs("/r/t");
  fake.write("/r/t/rules", "*\n");
  fake.symlink("/r/.gitignore", "/r/t/rules");
  fake.write("/r/a");
  watch_options options = gitignore;
  options.initial_listing = true;
  add_ok("/r", options);
  std::vector<fs_event> got = drain();
  BOOST_TEST(count_errors(got) == 1u);
  BOOST_TEST(std::count(got.begin(), got.end(), created("/r/a")) == 1); // nothing ignored
}

BOOST_AUTO_TEST_SUITE_END()
