// SPDX-License-Identifier: BSL-1.0
// Unit tests for detail/watch_engine.hpp: renames that read like a swap until their last record.
// `mv x n; mv n x` queues exactly the records of a swap of x with an entry at n the picture does
// not have, and a swap followed by more moves of the same names queues records that plain
// renames could have queued too. The later records of the names tell first, then the disk,
// which may show a later state. Each case was found by the randomized engine tests or the
// real-tree replay once their writers bounced entries (mv x n; mv n x, up to four times; mv x t;
// mv y x; mv t y), and failed before its fix.
#include "unit/engine_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace asio_fswatch::test::engine_support;

BOOST_AUTO_TEST_SUITE(watch_engine_rename_back)

// A watched directory renamed away and back twice (`mv a/b n; mv n a/b`, twice), every record in
// one read: each move back has the records of a swap's second half, and the disk, looked at
// once they are all queued, finds the directory at its old name again, so the second bounce
// read as a swap with an entry not pictured (created n, then two swaps). The later records of
// the name tell first now (found by the real-tree replay once its writers bounced entries).
BOOST_FIXTURE_TEST_CASE(watched_directory_renamed_away_and_back_twice_in_one_read, engine_fixture) {
  fake.mkdirs("/r/a/b");
  fake.write("/r/a/b/f");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  for (int i = 0; i < 2; ++i) {
    fake.rename("/r/a/b", "/r/n");
    fake.rename("/r/n", "/r/a/b");
  }
  std::vector<fs_event> got = events_until_quiet();
  const fs_event away = renamed("/r/a/b", "/r/n", dir);
  const fs_event back = renamed("/r/n", "/r/a/b", dir);
  check_events(got, {away, back, away, back});
  check_outcome(before, got);
  check_watched(*this, "/r/a/b/later");
}

// A watched directory renamed away and back, then swapped with a directory from outside before
// the read: the directory found at its old name is the one from outside, which used to count as
// the other side of a swap (created x, and /r/n kept in the picture). A later change may put
// another directory there before its records are read, so that look is not evidence: the
// records of the swap that follow tell (found by random_changes_during_scans with bounces).
BOOST_FIXTURE_TEST_CASE(directory_renamed_away_and_back_then_swapped_with_one_from_outside,
                        engine_fixture) {
  fake.mkdirs("/r/x/k");
  fake.mkdirs("/out/y/m");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/x", "/r/n");
  fake.rename("/r/n", "/r/x");
  const std::string bounce = fake.take_records();
  fake.exchange("/r/x", "/out/y");
  std::vector<fs_event> got = read_twice_with_changes_between(*this, bounce, [] {}, "");
  BOOST_TEST_REQUIRE(got.size() >= 2u);
  check_events({got[0], got[1]}, {renamed("/r/x", "/r/n", dir), renamed("/r/n", "/r/x", dir)});
  check_outcome(before, got);
  check_watched(*this, "/r/x/later");
  check_watched(*this, "/r/x/m/later");
}

// A watched directory renamed away and back, with the read ending there, then renamed away again
// before that read is handled: the disk finds the directory at the name it left, as after a
// swap with an entry not pictured, and the records of the name that tell otherwise are in the
// next read. The records wait for it (up to the rename hold), as they do for a non-directory.
BOOST_FIXTURE_TEST_CASE(watched_directory_bounced_then_moved_away_again_before_the_read,
                        engine_fixture) {
  fake.mkdirs("/r/x/k");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/x", "/r/n");
  fake.rename("/r/n", "/r/x");
  const std::string bounce = fake.take_records();
  fake.rename("/r/x", "/r/n");
  std::vector<fs_event> got = read_twice_with_changes_between(*this, bounce, [] {}, "");
  const fs_event away = renamed("/r/x", "/r/n", dir);
  check_events(got, {away, renamed("/r/n", "/r/x", dir), away});
  check_outcome(before, got);
  check_watched(*this, "/r/n/k/later");
}

// Two files swapped, then the second swapped with a file from outside, every record in one read:
// the record after the pair about the second name is a "moved to" (from outside), which was
// taken to say the name had been free, so the pair read as two renames and that name went
// missing from the replay (found by random_changes_during_scans, seed 1460). rename(2) replaces
// an existing file: a "moved to" says nothing of a name the picture had taken.
BOOST_FIXTURE_TEST_CASE(swap_then_the_second_name_swapped_with_an_entry_from_outside,
                        engine_fixture) {
  fake.mkdirs("/r/d");
  fake.mkdir("/out");
  fake.write("/r/a", "a");
  fake.write("/r/d/b", "bb");
  fake.write("/out/y", "yyy");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.exchange("/r/a", "/r/d/b");
  fake.exchange("/out/y", "/r/d/b");
  std::vector<fs_event> got = events_until_quiet();
  BOOST_TEST_REQUIRE(!got.empty());
  check_events({got.front()}, {exchanged("/r/a", "/r/d/b")});
  check_outcome(before, got);
}

BOOST_AUTO_TEST_SUITE_END()
