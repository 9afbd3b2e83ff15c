// Unit tests for detail/watch_engine.hpp: exchanges racing with other changes. The records of a
// swap are read after later changes have happened on disk (a parent renamed, an entry removed,
// a scan that already saw the outcome), so every look at the disk that tells a swap from two
// renames may meet a path that has gone stale. Each case was found by the randomized engine
// tests (random_changes_during_scans, random_changes_with_symlinks_and_fifos) or by the real-tree
// replay under ThreadSanitizer (random_replay --exchanges, traced), and failed before its fix.
#include "unit/engine_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace {

using namespace asio_fswatch::test::engine_support;

// The picture has the directory of `file` where it is and watched: a file written there now is
// reported there.
void check_watched(engine_fixture& f, const std::string& file) {
  f.fake.write(file);
  std::vector<fs_event> later = f.events_until_quiet();
  check_events(later, {created(file), modified(file)});
}

} // namespace

BOOST_AUTO_TEST_SUITE(watch_engine_exchange_race)

// The look that tells a swap of two files from `mv y d/x; mv d/x y` asks whether d/x is still
// taken; d was renamed before the records were read, so the path the picture gives for d/x
// names nothing. That used to count as "free": two renames, and d/x vanished from the replay.
BOOST_FIXTURE_TEST_CASE(swap_of_two_files_whose_parent_was_renamed_before_the_read, engine_fixture) {
  fake.mkdirs("/r/d");
  fake.write("/r/d/x", "x");
  fake.write("/r/y", "yy");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.exchange("/r/y", "/r/d/x");
  fake.rename("/r/d", "/r/e");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {exchanged("/r/y", "/r/d/x"), renamed("/r/d", "/r/e", dir)});
  check_outcome(before, got);
}

// The same records from two real renames (the second bringing the file back): the name the
// swap was assumed to leave taken is looked at again once the picture has the parent where it
// is, and reported removed.
BOOST_FIXTURE_TEST_CASE(two_renames_whose_parent_was_renamed_before_the_read, engine_fixture) {
  fake.mkdirs("/r/d");
  fake.write("/r/d/x", "x");
  fake.write("/r/y", "yy");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/y", "/r/d/x");
  fake.rename("/r/d/x", "/r/y");
  fake.rename("/r/d", "/r/e");
  std::vector<fs_event> got = events_until_quiet();
  check_outcome(before, got);
  BOOST_TEST(!fake.exists("/r/e/x"));
}

// `mv a b` over an existing b, then a swap of b with a directory elsewhere: the "moved from b"
// that follows the rename is the swap's first half (its "moved to" goes elsewhere), not the
// second half of an exchange with an entry b the picture did not have. The disk alone said
// "b is taken" (by the directory now), which used to drop the move: b's file was lost and the
// directory never pictured at b.
BOOST_FIXTURE_TEST_CASE(rename_over_an_entry_then_a_swap_of_the_same_name, engine_fixture) {
  fake.mkdirs("/r/d/c");
  fake.write("/r/a", "a");
  fake.write("/r/b", "b");
  fake.write("/r/d/c/inside");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/a", "/r/b");
  fake.exchange("/r/b", "/r/d/c");
  fake.rename("/r/d/c", "/r/moved"); // a's file, before the records are read
  std::vector<fs_event> got = events_until_quiet();
  check_outcome(before, got);
  check_watched(*this, "/r/b/later");
}

// `mv a b` onto a new name, then the same swap, with the read ending right after the "moved
// from b": where that move goes is not read yet, so its records wait for the next read (or the
// rename hold), as a rename over an entry that ends a read does. Handled at once, the disk's
// "b is taken" used to drop the move, as above.
BOOST_FIXTURE_TEST_CASE(rename_then_a_swap_of_the_new_name_read_apart, engine_fixture) {
  fake.mkdirs("/r/d/c");
  fake.write("/r/a", "a");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/a", "/r/b");
  fake.exchange("/r/b", "/r/d/c");
  fake.rename("/r/d/c", "/r/moved"); // a's file, before the records are read
  std::vector<std::string> records = split_records(fake.take_records());
  // From a, to b, from b; then to d/c, the directory's "moved self", from d/c, to b, and the
  // last rename's two.
  BOOST_TEST_REQUIRE(records.size() == 9u);
  feed(joined_records(records, 0, 3));
  std::vector<fs_event> got = drain();
  feed(joined_records(records, 3));
  append(got, drain());
  append(got, events_until_quiet());
  check_outcome(before, got);
}

// A swap of two directories, then the directory now at one of the names removed, before the
// records are read; the watch of the one that was removed reports its death. The picture,
// which had kept the two renames (the removed name was free when looked at), learns what the
// other name holds when that watch ends, rather than leaving it unwatched: later changes in it
// are reported.
BOOST_FIXTURE_TEST_CASE(swap_of_directories_then_one_removed_before_the_read, engine_fixture) {
  fake.mkdirs("/r/a");
  fake.write("/r/a/f");
  fake.mkdirs("/r/d");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.mkdir("/r/d/n");
  fake.exchange("/r/a", "/r/d/n");
  fake.remove("/r/d/n");
  std::vector<fs_event> got = events_until_quiet();
  check_outcome(before, got);
  check_watched(*this, "/r/a/g");
}

// A queue overflow, then two directories swapped before the engine reads, and one of them
// removed after the rescan for the overflow but before the swap's records are handled: the
// rescan already saw the swap's outcome, so the records must not swap the picture back. That is
// told by either name still naming the directory the picture has there (one of them is gone).
BOOST_FIXTURE_TEST_CASE(swap_seen_by_the_rescan_after_an_overflow, engine_fixture) {
  fake.mkdirs("/r/p");
  fake.write("/r/p/x");
  fake.mkdirs("/r/q");
  fake.write("/r/q/y");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.queue_overflow();
  fake.exchange("/r/p", "/r/q");
  std::vector<std::string> records = split_records(fake.take_records());
  BOOST_TEST_REQUIRE(records.size() > 1u);
  feed(records[0]); // the overflow: the rescan sees p and q swapped
  std::vector<fs_event> got = drain();
  fake.remove("/r/p");
  feed(joined_records(records, 1) + fake.take_records());
  append(got, drain());
  append(got, events_until_quiet());
  check_outcome(before, got);
  check_watched(*this, "/r/q/later");
}

// A directory's records read before the engine watched it at a new place describe its past. Here
// a/d is swapped with b/t while a is between the two halves of its own rename (other processes'
// records are queued between them), so the engine meets d only when it arrives at b/t, watches
// it there (the kernel hands back d's watch) and lists it. A record of d read in the same batch,
// handled after that listing, used to be taken for a change of the entry that had just arrived:
// the arrival was forgotten, the swap's second half ("moved from b/t") then moved the directory
// still at b/t away in the picture, and b/t was lost.
BOOST_FIXTURE_TEST_CASE(records_of_a_directory_read_before_it_was_watched_where_it_arrived,
                        engine_fixture) {
  fake.mkdirs("/r/a/d");
  fake.write("/r/a/d/f");
  fake.mkdirs("/r/b/t");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.rename("/r/a", "/r/a2");
  fake.exchange("/r/a2/d", "/r/b/t");
  fake.write("/r/b/t/h");
  std::vector<std::string> records = split_records(fake.take_records());
  // a's rename, the swap (each half followed by the "moved self" of the directory that moved),
  // h's creation and write in d (now at b/t).
  BOOST_TEST_REQUIRE(records.size() == 11u);
  BOOST_TEST_REQUIRE(mask_of(records[9]) == detail::inotify_flag::create);
  // The rename's "moved to" (and a's "moved self") last, h's records between the swap's halves.
  const std::vector<std::size_t> order{0, 3, 4, 9, 10, 5, 6, 7, 8, 1, 2};
  std::string bytes;
  for (std::size_t i : order)
    bytes += records[i];
  feed(bytes);
  std::vector<fs_event> got = drain();
  append(got, events_until_quiet());
  check_outcome(before, got);
  check_watched(*this, "/r/b/t/later");
}

// A swap of a file and a symlink, then the symlink moved out of the tree before the records are
// read: the disk, asked whether b is still taken, finds it free, as after `mv a b; mv b a`. The
// record of b leaving, read with the swap, says b was taken: a swap. Taken for two renames, the
// picture kept the file at a, where the symlink is.
BOOST_FIXTURE_TEST_CASE(swap_then_one_side_moved_out_before_the_read, engine_fixture) {
  fake.mkdirs("/r");
  fake.mkdirs("/out");
  fake.write("/r/a", "a");
  fake.symlink("/r/b", "target");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.exchange("/r/a", "/r/b");
  fake.rename("/r/b", "/out/b");
  std::vector<fs_event> got = events_until_quiet();
  check_events(got, {exchanged("/r/a", "/r/b", file, entry_type::symlink), removed("/r/b")});
  check_outcome(before, got);
}

// A file from outside swapped with the directory at n, then a directory from outside swapped
// with that file, before the records are read. The lstat for the file's arrival meets the later
// directory, so the picture has an entry of unknown type at n; the "moved from n" of the first
// directory that follows was taken for that entry leaving, and from then on n was lost. What the
// "moved to" said (a file) tells that it is the other entry's.
BOOST_FIXTURE_TEST_CASE(swaps_with_entries_from_outside_read_after_both, engine_fixture) {
  fake.mkdirs("/r/n/inside");
  fake.mkdirs("/out/e/in_e");
  fake.write("/out/x", "x");
  add_ok("/r");
  auto before = fake.snapshot("/r");
  fake.exchange("/out/x", "/r/n");
  fake.exchange("/out/e", "/r/n");
  std::vector<fs_event> got = events_until_quiet();
  check_outcome(before, got);
  check_watched(*this, "/r/n/later");
}

BOOST_AUTO_TEST_SUITE_END()
