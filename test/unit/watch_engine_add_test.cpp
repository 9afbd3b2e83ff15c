// SPDX-License-Identifier: BSL-1.0
// The engine's add in slices (watch_engine::begin_add, continue_add): what async_add runs. Each
// slice here reads one directory (its deadline has passed), and the tree changes between
// slices, as it does while an event loop runs other handlers: nothing is lost or doubled, the
// root's events wait for the add to complete, and an add that fails leaves nothing behind.
#include "unit/engine_fixture.hpp"

#include <asio_fswatch/detail/path_text.hpp>

#include <boost/asio/error.hpp>

namespace {

using namespace asio_fswatch::test::engine_support;
using add_step = detail::watch_engine::add_step;

watch_options listing() {
  watch_options o;
  o.initial_listing = true;
  return o;
}

// Drives one add in slices of one directory each.
struct slices {
  engine_fixture& f;
  std::uint64_t id = 0;
  sys::error_code ec;

  slices(engine_fixture& fixture, const std::string& path, const watch_options& watch = listing())
      : f(fixture) {
    if (!f.engine)
      f.start();
    sys::error_code begun = f.engine->begin_add(path, watch, f.now, id);
    BOOST_TEST_REQUIRE(!begun, "begin_add(" << path << "): " << begun.message());
  }

  add_step next() {
    // A deadline long past: one directory, then the slice ends.
    return f.engine->continue_add(id, std::chrono::steady_clock::time_point{}, f.now, ec);
  }

  /// Slices until the add is done; how many it took. Fails on a wait for moves.
  int to_the_end() {
    for (int n = 1; n < 10000; ++n) {
      add_step step = next();
      BOOST_TEST_REQUIRE((step != add_step::after_moves), "the add waits for a held move");
      if (step == add_step::done)
        return n;
    }
    BOOST_FAIL("the add never completed");
    return 0;
  }
};

asio_fswatch::test::tree_snapshot only_the_root() { return {{"/r", dir}}; }

BOOST_FIXTURE_TEST_CASE(an_add_in_slices_reads_one_directory_a_slice_and_holds_its_events_back,
                        engine_fixture) {
  fake.mkdirs("/r/a/b");
  fake.mkdirs("/r/c");
  fake.write("/r/a/f");
  fake.write("/r/c/g");
  slices adding(*this, "/r");
  BOOST_TEST(engine->has_roots()); // watched, and its records handled, from the start
  int read = 0;
  for (; read < 3; ++read) {
    BOOST_TEST_REQUIRE((adding.next() == add_step::more));
    BOOST_TEST(drain().empty(), "nothing of the root before its add completes");
    BOOST_TEST(engine->check() == "");
  }
  BOOST_TEST_REQUIRE((adding.next() == add_step::done)); // the fourth directory: /r, a, b, c
  BOOST_TEST(!adding.ec);
  check_replay(only_the_root(), drain(), fake.snapshot("/r"));
  BOOST_TEST(engine->check() == "");
  BOOST_TEST(engine->counters().watches == 4u);
  BOOST_TEST(engine->counters().watches == fake.active_watch_count());
  check_watched(*this, "/r/a/b/new"); // the deepest directory is watched
}

BOOST_FIXTURE_TEST_CASE(changes_between_slices_are_neither_lost_nor_doubled, engine_fixture) {
  fake.mkdirs("/r/a/deep");
  fake.mkdirs("/r/b/in_b");
  fake.mkdirs("/r/gone/x");
  fake.write("/r/b/in_b/f");
  fake.write("/r/top");
  slices adding(*this, "/r");
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r read: a, b and gone listed, not read
  fake.write("/r/new");                  // in a directory read: its record tells
  fake.write("/r/a/later");              // in one listed only: its listing, to come, tells
  fake.write("/r/top", "changed");       // an entry the scan met, changed
  fake.rename("/r/b", "/r/moved_b");     // a directory listed only, moved: read where it went
  fake.remove("/r/gone");                // and one taken away before its turn
  feed();
  BOOST_TEST(drain().empty());
  adding.to_the_end();
  BOOST_TEST(!adding.ec);
  std::vector<fs_event> got = drain();
  check_replay(only_the_root(), got, fake.snapshot("/r"));
  BOOST_TEST(engine->check() == "");
  BOOST_TEST(engine->counters().watches == fake.active_watch_count());
  BOOST_TEST(!fake.watch_of("/r/gone/x").has_value());
  check_watched(*this, "/r/moved_b/in_b/g");
  check_watched(*this, "/r/a/deep/g");
}

BOOST_FIXTURE_TEST_CASE(changes_between_slices_replay_without_an_initial_listing, engine_fixture) {
  // Without the initial listing the reader starts from the tree as the add found it: what
  // changed in the directories read before the add completed is reported.
  fake.mkdirs("/r/a");
  fake.mkdirs("/r/b");
  slices adding(*this, "/r", watch_options{});
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // one of a, b
  fake.write("/r/a/f");
  fake.write("/r/b/f");
  feed();
  adding.to_the_end();
  std::vector<fs_event> got = drain();
  // Exactly one of the two directories was read before its file came, and its record tells
  // (created, then modified by the write); the other's listing met its file. Nothing twice.
  BOOST_TEST_REQUIRE(got.size() == 2u, describe(got));
  const std::string path = asio_fswatch::detail::path_text(got[0].path);
  BOOST_TEST((path == "/r/a/f" || path == "/r/b/f"), describe(got));
  check_events(got, {created(path), modified(path)});
  BOOST_TEST(engine->check() == "");
  check_watched(*this, "/r/a/g");
  check_watched(*this, "/r/b/g");
}

BOOST_FIXTURE_TEST_CASE(a_directory_between_the_halves_of_a_move_is_read_once_it_is_resolved,
                        engine_fixture) {
  fake.mkdirs("/r/d/inner");
  fake.mkdirs("/outside");
  slices adding(*this, "/r");
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r: d listed
  fake.rename("/r/d", "/outside/d"); // its "moved from" only: held for the rename hold
  feed();
  BOOST_TEST_REQUIRE((adding.next() == add_step::after_moves));
  BOOST_TEST(engine->next_deadline().has_value());
  std::vector<fs_event> none = after_the_hold(); // the move expires: d left the tree
  BOOST_TEST(none.empty(), describe(none));
  BOOST_TEST_REQUIRE((adding.next() == add_step::done));
  check_replay(only_the_root(), drain(), fake.snapshot("/r"));
  BOOST_TEST(engine->check() == "");
  BOOST_TEST(engine->counters().watches == fake.active_watch_count());
}

BOOST_FIXTURE_TEST_CASE(a_move_paired_while_its_directory_waits_is_read_where_it_went,
                        engine_fixture) {
  fake.mkdirs("/r/d/inner");
  fake.mkdirs("/r/e");
  slices adding(*this, "/r");
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // e (the last listed is read first)
  fake.rename("/r/d", "/r/e/d2");
  // The slices queued markers too: the reads are cut right after the "moved from".
  const std::vector<std::string> records = split_records(fake.take_records());
  std::size_t from = 0;
  while (from < records.size() && (mask_of(records[from]) & flag::moved_from) == 0)
    ++from;
  BOOST_TEST_REQUIRE(from < records.size());
  feed(joined_records(records, 0, from + 1)); // the "moved from": d is in limbo
  BOOST_TEST_REQUIRE((adding.next() == add_step::after_moves));
  feed(joined_records(records, from + 1)); // the "moved to": paired, d is under e now
  adding.to_the_end();
  check_replay(only_the_root(), drain(), fake.snapshot("/r"));
  BOOST_TEST(engine->check() == "");
  check_watched(*this, "/r/e/d2/inner/f");
}

BOOST_FIXTURE_TEST_CASE(a_root_deleted_during_its_add_fails_it_and_reports_nothing, engine_fixture) {
  fake.mkdirs("/r/a/b");
  slices adding(*this, "/r");
  BOOST_TEST_REQUIRE((adding.next() == add_step::more));
  fake.remove("/r");
  feed();
  BOOST_TEST_REQUIRE((adding.next() == add_step::done));
  BOOST_TEST((adding.ec == errc::root_removed), adding.ec.message());
  BOOST_TEST(drain().empty(), "no `removed`, no end mark: the reader never had the root");
  BOOST_TEST(!engine->has_roots());
  BOOST_TEST(engine->counters().watches == 0u);
  BOOST_TEST(fake.active_watch_count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(an_overflow_during_an_add_starts_its_scan_again, engine_fixture) {
  fake.mkdirs("/r/a/b");
  fake.mkdirs("/r/c");
  fake.write("/r/a/f");
  slices adding(*this, "/r");
  BOOST_TEST_REQUIRE((adding.next() == add_step::more));
  BOOST_TEST_REQUIRE((adding.next() == add_step::more));
  fake.silently([&] {
    fake.remove("/r/a/f");
    fake.mkdirs("/r/c/new");
    fake.write("/r/c/new/g");
  });
  fake.queue_overflow();
  feed();
  adding.to_the_end();
  BOOST_TEST(!adding.ec);
  std::vector<fs_event> got = drain();
  BOOST_TEST(std::none_of(got.begin(), got.end(),
                          [](const fs_event& e) { return e.kind == event_kind::overflow; }),
             "an overflow before the add completed has no picture to correct\n" << describe(got));
  check_replay(only_the_root(), got, fake.snapshot("/r"));
  BOOST_TEST(engine->stats().overflows == 0u);
  BOOST_TEST(engine->check() == "");
  BOOST_TEST(engine->counters().watches == fake.active_watch_count());
}

BOOST_FIXTURE_TEST_CASE(an_add_abandoned_or_removed_leaves_nothing, engine_fixture) {
  fake.mkdirs("/r/a/b");
  fake.mkdirs("/s/a");
  {
    slices adding(*this, "/r");
    BOOST_TEST_REQUIRE((adding.next() == add_step::more));
    engine->abandon_add(adding.id);
    BOOST_TEST(!engine->has_roots());
    BOOST_TEST(fake.active_watch_count() == 0u);
    BOOST_TEST_REQUIRE((adding.next() == add_step::done));
    BOOST_TEST((adding.ec == boost::asio::error::operation_aborted), adding.ec.message());
  }
  {
    slices adding(*this, "/s");
    BOOST_TEST_REQUIRE((adding.next() == add_step::more));
    BOOST_TEST(engine->remove_root("/s") == sys::error_code());
    BOOST_TEST_REQUIRE((adding.next() == add_step::done));
    BOOST_TEST((adding.ec == boost::asio::error::operation_aborted), adding.ec.message());
    BOOST_TEST(fake.active_watch_count() == 0u);
  }
  BOOST_TEST(drain().empty());
  add_ok("/r"); // the path is free again
}

BOOST_FIXTURE_TEST_CASE(an_add_in_progress_holds_its_place, engine_fixture) {
  fake.mkdirs("/r/a");
  slices adding(*this, "/r");
  BOOST_TEST((add("/r/a") == errc::already_watched));
  BOOST_TEST(engine->root_paths() == std::vector<std::string>{"/r"});
  adding.to_the_end();
}

BOOST_FIXTURE_TEST_CASE(an_add_that_meets_the_watch_limit_fails_and_leaves_nothing, engine_fixture) {
  fake.mkdirs("/r/a/b/c");
  fake.set_watch_limit(2);
  slices adding(*this, "/r");
  adding.to_the_end();
  BOOST_TEST((adding.ec == errc::watch_limit_reached), adding.ec.message());
  BOOST_TEST(!engine->has_roots());
  BOOST_TEST(fake.active_watch_count() == 0u);
  BOOST_TEST(drain().empty());
}

BOOST_FIXTURE_TEST_CASE(recursive_watch_changes_under_a_directory_not_read_yet_are_left_to_its_listing,
                        engine_fixture) {
  start(watch_policy::recursive_root);
  fake.mkdirs("/r/a/deep");
  fake.mkdirs("/r/b");
  slices adding(*this, "/r");
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r: a and b listed
  fake.write("/r/a/deep/f"); // a's listing, to come, meets it: no record of it counts
  fake.write("/r/a/g");
  fake.rename("/r/b", "/r/a/b2"); // from a directory read into one that is not
  fake.write("/r/top");
  feed();
  adding.to_the_end();
  std::vector<fs_event> got = drain();
  check_replay(only_the_root(), got, fake.snapshot("/r"));
  BOOST_TEST(engine->check() == "");
}

BOOST_FIXTURE_TEST_CASE(polling_leaves_a_root_being_added_alone, engine_fixture) {
  start(watch_policy::polling);
  fake.mkdirs("/r/a");
  fake.write("/r/a/f");
  slices adding(*this, "/r", watch_options{});
  BOOST_TEST_REQUIRE((adding.next() == add_step::more));
  fake.write("/r/a/f", "changed");
  BOOST_TEST(poll().empty());
  adding.to_the_end();
  BOOST_TEST(drain().empty());
  fake.write("/r/a/f", "again");
  check_events(poll(), {modified("/r/a/f")});
}

// Without the initial listing, nothing that was in the tree before the add may be reported as
// created: a directory listed and moved before its turn is read where it went, in a slice of
// the add, and only its rename is news.
void a_listed_directory_moved_before_its_turn_brings_no_created(engine_fixture& f, watch_policy policy) {
  f.start(policy);
  fake_filesystem& fake = f.fake;
  fake.mkdirs("/r/big/sub");
  fake.write("/r/big/x");
  fake.write("/r/big/sub/z");
  fake.mkdirs("/r/read");
  slices adding(f, "/r", watch_options{});
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r: big and read listed
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // read (the last listed goes first)
  fake.rename("/r/big", "/r/read/big2"); // into a directory read already
  f.feed();
  adding.to_the_end();
  check_events(f.drain(), {renamed("/r/big", "/r/read/big2", dir)});
  BOOST_TEST(f.engine->check() == "");
  check_watched(f, "/r/read/big2/sub/new");
}

BOOST_FIXTURE_TEST_CASE(a_listed_directory_moved_before_its_turn_brings_no_created_inotify, engine_fixture) {
  a_listed_directory_moved_before_its_turn_brings_no_created(*this, watch_policy::per_directory);
}

BOOST_FIXTURE_TEST_CASE(a_listed_directory_moved_before_its_turn_brings_no_created_recursive_watch,
                        engine_fixture) {
  a_listed_directory_moved_before_its_turn_brings_no_created(*this, watch_policy::recursive_root);
}

BOOST_FIXTURE_TEST_CASE(an_exchange_with_a_listed_directory_brings_no_created, engine_fixture) {
  fake.mkdirs("/r/a/in_a");
  fake.mkdirs("/r/b/in_b");
  fake.write("/r/b/in_b/f");
  slices adding(*this, "/r", watch_options{});
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // b read; a listed only
  fake.exchange("/r/a", "/r/b");
  std::vector<fs_event> got = events_until_quiet();
  adding.to_the_end();
  append(got, drain());
  check_events(got, {exchanged("/r/a", "/r/b", dir, dir)});
  BOOST_TEST(engine->check() == "");
  check_watched(*this, "/r/a/in_b/g");
  check_watched(*this, "/r/b/in_a/g");
}

BOOST_FIXTURE_TEST_CASE(records_of_the_root_before_its_first_slice_are_left_to_its_listing,
                        engine_fixture) {
  fake.mkdirs("/r/d");
  fake.write("/r/log");
  slices adding(*this, "/r", watch_options{});
  fake.write("/r/log", "more"); // watched, not listed yet: not a creation
  fake.touch("/r/d");
  fake.mkdirs("/r/new/inner"); // a real one
  feed();
  adding.to_the_end();
  std::vector<fs_event> got = drain();
  check_events(got, {created("/r/new", dir), created("/r/new/inner", dir)});
  BOOST_TEST(engine->check() == "");
}

BOOST_FIXTURE_TEST_CASE(a_symlink_root_retargeted_during_its_add_is_watched_where_it_points,
                        engine_fixture) {
  fake.mkdirs("/t1/a");
  fake.mkdirs("/t2/b");
  fake.symlink("/link", "/t1");
  slices adding(*this, "/link", watch_options{});
  BOOST_TEST_REQUIRE((adding.next() == add_step::more));
  fake.symlink("/link.new", "/t2");
  fake.rename("/link.new", "/link");
  advance(milliseconds(1001));
  engine->on_timer(now); // the identity check: the root's scan starts again, on /t2
  adding.to_the_end();
  BOOST_TEST(!adding.ec, adding.ec.message());
  BOOST_TEST(drain().empty());
  fake.create("/t2/late");
  fake.create("/t1/old");
  fake.create("/t2/b/deep");
  check_event_set(events(), {created("/link/late"), created("/link/b/deep")});
  BOOST_TEST(engine->check() == "");
  BOOST_TEST(engine->counters().watches == fake.active_watch_count());
}

BOOST_FIXTURE_TEST_CASE(recursive_watch_a_move_into_a_directory_not_read_yet_is_a_rename,
                        engine_fixture) {
  start(watch_policy::recursive_root);
  fake.mkdirs("/r/z_read");
  fake.write("/r/z_read/f");
  fake.mkdirs("/r/a_unread/sub");
  slices adding(*this, "/r", watch_options{});
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // z_read (listed last, read first)
  fake.rename("/r/z_read/f", "/r/a_unread/f");
  fake.write("/r/a_unread/sub/deep"); // under a directory not read: left to its listing
  feed();
  adding.to_the_end();
  check_events(drain(), {renamed("/r/z_read/f", "/r/a_unread/f")});
  BOOST_TEST(engine->check() == "");
}

// A directory whose path went stale with no record to come (changes the kernel never tells,
// made here silently): the add does not wait for ever. After a second it completes, as add()
// would, leaving that directory to the retries of stale paths.
BOOST_FIXTURE_TEST_CASE(an_add_waits_for_a_stale_path_only_so_long, engine_fixture) {
  fake.mkdirs("/r/d/inner");
  fake.mkdirs("/r/e");
  slices adding(*this, "/r", watch_options{});
  BOOST_TEST_REQUIRE((adding.next() == add_step::more)); // /r
  fake.silently([&] { fake.rename("/r/d", "/r/d2"); });
  add_step step = add_step::more;
  while (step == add_step::more)
    step = adding.next();
  BOOST_TEST_REQUIRE((step == add_step::after_moves));
  BOOST_TEST_REQUIRE(engine->next_deadline().has_value(), "nothing would wake the add");
  advance(milliseconds(500));
  engine->on_timer(now);
  BOOST_TEST((adding.next() == add_step::after_moves));
  advance(milliseconds(501));
  engine->on_timer(now);
  step = adding.next();
  while (step == add_step::more)
    step = adding.next();
  BOOST_TEST((step == add_step::done));
  BOOST_TEST(!adding.ec, adding.ec.message());
  BOOST_TEST(engine->check() == "");
}

} // namespace
