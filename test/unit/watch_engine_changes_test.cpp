// SPDX-License-Identifier: BSL-1.0
// Unit tests of the engine fed by a recursive watch (watch_policy::recursive_root): the fake file
// system records each change as ReadDirectoryChangesW would (FILE_NOTIFY_INFORMATION, relative
// names), the fixture decodes each read with rdcw_parser and hands the change records to
// watch_engine::on_changes. The cases are what that interface does differently from inotify:
// one watch for the tree, names by path, a rename's two names side by side, no entry types, an
// overflow per root, and Wine's habits (records lost in a mkdir -p race, stale paths).
#include "unit/engine_fixture.hpp"

#include <asio_fswatch/detail/change_record.hpp>
#include <asio_fswatch/detail/rdcw_parser.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using namespace asio_fswatch::test::engine_support;
using asio_fswatch::detail::change_kind;
using asio_fswatch::detail::change_record;

struct recursive_fixture : engine_fixture {
  recursive_fixture() {
    fake.mkdirs("/r/a/b");
    fake.write("/r/a/b/f");
    fake.write("/r/g");
    fake.mkdir("/out");
    fake.write("/out/moved_in");
    fake.take_records();
    start(watch_policy::recursive_root);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(watch_engine_changes)

BOOST_FIXTURE_TEST_CASE(one_watch_sees_the_whole_tree, recursive_fixture) {
  add_ok("/r");
  BOOST_TEST(engine->counters().watches == 1u);
  BOOST_TEST(fake.active_watch_count() == 1u);
  auto before = fake.snapshot("/r");
  fake.write("/r/a/b/new");
  fake.write("/r/a/b/f", "more");
  fake.remove("/r/g");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {created("/r/a/b/new"), modified("/r/a/b/new"), modified("/r/a/b/f"),
                     removed("/r/g")});
  check_outcome(before, got);
}

BOOST_FIXTURE_TEST_CASE(a_new_directory_is_scanned_and_its_records_are_duplicates, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.mkdirs("/r/n/m");
  fake.write("/r/n/m/x");
  std::vector<fs_event> got = events_until_quiet();
  // The scan of /r/n, on its record, meets everything: the later records add nothing.
  check_events(got, {created("/r/n", dir), created("/r/n/m", dir), created("/r/n/m/x"),
                     modified("/r/n/m/x")});
  BOOST_TEST(engine->counters().duplicates_suppressed >= 2u);
  check_outcome(before, got);
}

// Wine, measured: `mkdir -p x/a/b && touch x/a/b/f` from outside the Windows process gave only
// the record of x. A record lost that way is no loss: the scan of x finds the rest.
BOOST_FIXTURE_TEST_CASE(records_lost_below_a_new_directory_are_found_by_its_scan, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.mkdir("/r/x");
  fake.silently([&] {
    fake.mkdirs("/r/x/a/b");
    fake.write("/r/x/a/b/f");
  });
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {created("/r/x", dir), created("/r/x/a", dir), created("/r/x/a/b", dir),
                     created("/r/x/a/b/f")});
  check_outcome(before, got);
}

// A record below a directory the picture lacks (its own record lost): the disk brings the
// directory in, with what it holds.
BOOST_FIXTURE_TEST_CASE(a_record_below_an_unknown_directory_brings_it_in, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.silently([&] { fake.mkdir("/r/d"); });
  fake.write("/r/d/f");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {created("/r/d", dir), created("/r/d/f"), modified("/r/d/f")});
  check_outcome(before, got);
}

BOOST_FIXTURE_TEST_CASE(renames_pair_within_and_across_directories, recursive_fixture) {
  for (bool pairs : {true, false}) {
    BOOST_TEST_CONTEXT((pairs ? "renamed pair" : "removed and added")) {
      fake.set_moves_as_pairs(pairs);
      if (engine->has_roots())
        BOOST_TEST_REQUIRE(!engine->remove_root("/r"));
      add_ok("/r");
      auto before = fake.snapshot("/r");
      fake.rename("/r/g", "/r/h");
      fake.rename("/r/a/b", "/r/c");
      fake.rename("/r/h", "/r/a/h");
      std::vector<fs_event> got = events_until_quiet();
      if (pairs)
        check_events(got, {renamed("/r/g", "/r/h"), renamed("/r/a/b", "/r/c", dir),
                           renamed("/r/h", "/r/a/h")});
      check_outcome(before, got);
      fake.rename("/r/a/h", "/r/g");
      fake.rename("/r/c", "/r/a/b");
      events_until_quiet();
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_rename_over_an_entry_replaces_it, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/g", "/r/a/b/f");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {removed("/r/a/b/f"), renamed("/r/g", "/r/a/b/f")});
  check_outcome(before, got);
}

BOOST_FIXTURE_TEST_CASE(moves_out_and_in_are_removed_and_created, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/a", "/out/a");
  fake.rename("/out/moved_in", "/r/moved_in");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {removed("/r/a", dir), created("/r/moved_in")});
  check_outcome(before, got);
}

BOOST_FIXTURE_TEST_CASE(a_directory_moved_in_is_reported_with_what_it_holds, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.mkdirs("/out/d/e");
  fake.write("/out/d/e/x");
  fake.rename("/out/d", "/r/d");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {created("/r/d", dir), created("/r/d/e", dir), created("/r/d/e/x")});
  check_outcome(before, got);
}

// The records of a watch that overflowed are lost; its read completes with no bytes. That root,
// and only it, is rescanned and compared with the picture.
BOOST_FIXTURE_TEST_CASE(an_overflow_rescans_its_root_and_keeps_watching, recursive_fixture) {
  fake.mkdirs("/s");
  fake.take_changes();
  add_ok("/r");
  add_ok("/s");
  auto before = fake.snapshot("/r");
  fake.silently([&] {
    fake.write("/r/lost");
    fake.remove("/r/a/b/f");
  });
  fake.queue_overflow();
  fake.write("/s/kept"); // /s overflowed too in the fake; both are rescanned on their own
  std::vector<fs_event> got = events_until_quiet();
  BOOST_TEST(engine->counters().overflows == 2u);
  std::vector<fs_event> of_r;
  for (const fs_event& e : got)
    if (asio_fswatch::detail::generic_path_text(e.path).rfind("/r", 0) == 0)
      of_r.push_back(e);
  // The rescan reports what changed, and as modified every file whose times are not older than
  // the last read that lost nothing (less 2 s, for coarse timestamps): /r/g among them.
  const auto has = [&](const fs_event& wanted) {
    return std::find(of_r.begin(), of_r.end(), wanted) != of_r.end();
  };
  BOOST_TEST(has(overflowed("/r")));
  BOOST_TEST(has(created("/r/lost")));
  BOOST_TEST(has(removed("/r/a/b/f")));
  check_outcome(before, of_r);
  fake.write("/r/after");
  check_events(events_until_quiet(), {created("/r/after"), modified("/r/after")});
}

// Wine, measured: after a watched subdirectory A is renamed A2, Wine goes on naming what happens
// in it under A\. Such a record names nothing the picture or the disk has: nothing is made up.
BOOST_FIXTURE_TEST_CASE(a_record_under_a_stale_path_makes_nothing_up, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/a", "/r/a2");
  std::vector<fs_event> got = events_until_quiet();
  asio_fswatch::detail::rdcw_encoder stale;
  stale.add(asio_fswatch::detail::rdcw_action::added, u"a\\b\\ghost");
  std::vector<change_record> changes;
  asio_fswatch::detail::parse_rdcw_records(stale.bytes(), asio_fswatch::detail::rdcw_format::basic, changes);
  engine->on_changes(*fake.recursive_watch_of("/r"), changes, now);
  append(got, drain());
  check_events(got, {renamed("/r/a", "/r/a2", dir)});
  check_outcome(before, got);
}

BOOST_FIXTURE_TEST_CASE(excluded_directories_are_neither_scanned_nor_reported, recursive_fixture) {
  add_ok("/r", excluding({"a/**", "*.tmp"}));
  fake.write("/r/a/b/inside");
  fake.write("/r/x.tmp");
  fake.write("/r/kept");
  check_events(events_until_quiet(), {created("/r/kept"), modified("/r/kept")});
  fake.rename("/r/kept", "/r/kept.tmp"); // to an excluded name: for the reader, it left
  fake.rename("/r/x.tmp", "/r/back");    // from one: it came in
  check_events(events_until_quiet(), {removed("/r/kept"), created("/r/back")});
  BOOST_TEST(engine->check() == "");
}

// A file root is watched through its directory alone (no subdirectory), by name: an editor's
// atomic save (write a temporary file, rename it over the original) replaces it.
BOOST_FIXTURE_TEST_CASE(a_file_root_survives_an_atomic_save, recursive_fixture) {
  add_ok("/r/g");
  fake.write("/r/a/b/other");
  fake.write("/r/g.swp");
  fake.rename("/r/g.swp", "/r/g");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {removed("/r/g"), created("/r/g")});
  fake.write("/r/g", "again");
  check_events(events_until_quiet(), {modified("/r/g")});
}

// A watch that fails while its directory is there (a share that blinked) is said, renewed and
// the root rescanned; failing again before any read of the new one completed, the root ends,
// with no `removed` for a directory that is there.
BOOST_FIXTURE_TEST_CASE(a_failed_watch_of_a_root_still_there_is_renewed_then_ends, recursive_fixture) {
  add_ok("/r");
  auto before = fake.snapshot("/r");
  const sys::error_code blink = posix_error(sys::errc::connection_reset);
  engine->on_watch_error(*fake.recursive_watch_of("/r"), blink, now);
  std::vector<fs_event> got = drain();
  BOOST_TEST(count_errors(got) == 1u, describe(got));
  BOOST_TEST((std::find(got.begin(), got.end(), failed("/r", blink)) != got.end()), describe(got));
  BOOST_TEST((std::find(got.begin(), got.end(), overflowed("/r")) != got.end()), describe(got));
  fake.write("/r/after");
  append(got, events_until_quiet());
  check_outcome(before, got); // watched again: the write is seen, and the watches agree
  // It works again: a later failure is renewed too.
  engine->on_watch_error(*fake.recursive_watch_of("/r"), blink, now);
  BOOST_TEST(count_errors(drain()) == 1u);
  BOOST_TEST(engine->has_roots());
  // Failing again at once: the root ends.
  engine->on_watch_error(*fake.recursive_watch_of("/r"), blink, now);
  check_events(drain(), {failed("/r", blink), root_removed("/r")});
  BOOST_TEST(!engine->has_roots());
  BOOST_TEST(fake.active_watch_count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(the_root_deleted_ends_it_after_its_last_events, recursive_fixture) {
  add_ok("/r");
  fake.remove("/r");
  std::vector<fs_event> got = events_until_quiet();
  BOOST_TEST_REQUIRE(!got.empty());
  check_events(std::vector<fs_event>(got.end() - 2, got.end()), {removed("/r", dir), root_removed("/r")});
  BOOST_TEST(!engine->has_roots());
  BOOST_TEST(fake.active_watch_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
