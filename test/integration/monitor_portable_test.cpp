// SPDX-License-Identifier: BSL-1.0
// Integration tests of basic_directory_monitor that run on every platform, against each backend
// the build has: inotify and poll on Linux, ReadDirectoryChangesW and poll on Windows (under
// Wine in the test command), poll in the generic POSIX build. The tree is changed from inside
// the test process with std::filesystem (Win32 calls on Windows: Wine's watch races changes made
// from the Linux side). Each case checks the replay invariant of doc/guarantees.md.
//
// Under Wine, what Wine's ReadDirectoryChangesW does not report cannot be reported: the cases
// that meet one of its measured defects (doc/guarantees.md, "Under Wine") say which, run all the
// same, and are logged as wine-defect when they fail there; a Wine that fixes the defect makes
// them pass, and the test output says so.
#include <common/monitor_collect.hpp>
#include <common/wine_defect.hpp>
#include <common/skip.hpp>
#include <common/skip_log.hpp>
#include <common/wine.hpp>

#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::entry_type;
using asio_fswatch::errc;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::monitor_options;
using asio_fswatch::monitor_stats;
using asio_fswatch::watch_options;
using asio_fswatch::test::collection;
using asio_fswatch::test::monitor_fixture;
using asio_fswatch::test::snapshot_of;

namespace {

namespace test = asio_fswatch::test;

using test::check_or_wine_defect;
using test::meets_wine_defect;
using test::replay_problems;

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_portable)

BOOST_DATA_TEST_CASE_F(monitor_fixture, entries_created_changed_and_removed, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  fs::create_directory(root / "d");
  test::write_text(root / "d" / "f");
  test::write_text(root / "g", "one");
  test::write_text(root / "g", "two");
  fs::remove(root / "d" / "f"); // perhaps gone before d is scanned: then nothing says it was
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"));
  REQUIRE_COLLECTED(c, "created end");
  BOOST_TEST(test::has_event(c.events, event_kind::created, root / "d"));
  BOOST_TEST(test::has_event(c.events, event_kind::created, root / "g"));
  test::check_replay(before, c, root);
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, renames_in_a_directory, test::portable_backends()) {
  fs::create_directory(root / "d");
  test::write_text(root / "d" / "inside");
  test::write_text(root / "f");
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  fs::rename(root / "f", root / "f2");
  fs::rename(root / "d", root / "d2");
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"));
  REQUIRE_COLLECTED(c, "created end");
  if (sample != backend::poll) {
    const fs_event* renamed = test::find_event(c.events, event_kind::renamed, root / "d2");
    BOOST_TEST_REQUIRE(renamed, "no renamed event for d2:\n" << test::dump(c.events));
    BOOST_TEST((renamed->old_path == root / "d"));
    BOOST_TEST(test::has_event(c.events, event_kind::renamed, root / "f2"));
  }
  test::check_replay(before, c, root);
}

// A directory made with what it holds before the monitor reads its record: the scan of it
// reports the rest (what Wine reports of `mkdir -p x/a/b; touch x/a/b/f` is only x).
BOOST_DATA_TEST_CASE_F(monitor_fixture, a_tree_made_at_once_is_reported_whole, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  fs::create_directories(root / "x" / "a" / "b");
  test::write_text(root / "x" / "a" / "b" / "f");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "x" / "a" / "b" / "f"));
  REQUIRE_COLLECTED(c, "created x/a/b/f");
  test::check_replay(before, c, root);
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, moves_into_and_out_of_the_tree, test::portable_backends()) {
  fs::create_directories(outside / "in" / "deep");
  test::write_text(outside / "in" / "deep" / "f");
  test::write_text(root / "leaves");
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  fs::rename(outside / "in", root / "in");
  fs::rename(root / "leaves", outside / "left");
  collection c = test::collect_until(ioc, monitor, test::saw_all({{event_kind::created, root / "in" / "deep" / "f"},
                                                                  {event_kind::removed, root / "leaves"}}));
  REQUIRE_COLLECTED(c, "the moves in and out");
  test::check_replay(before, c, root);
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, initial_listing_reports_what_is_there, test::portable_backends()) {
  fs::create_directories(root / "a" / "b");
  test::write_text(root / "a" / "b" / "f");
  directory_monitor monitor(ioc, test::portable_options(sample));
  watch_options listing;
  listing.initial_listing = true;
  monitor.add(root, listing);
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "a" / "b" / "f"));
  REQUIRE_COLLECTED(c, "the initial listing");
  test::check_replay({{asio_fswatch::detail::generic_path_text(root), entry_type::directory}}, c, root);
}

// Excludes on a recursive watch: what is below an excluded directory is never reported.
BOOST_DATA_TEST_CASE_F(monitor_fixture, excluded_entries_are_not_reported, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  watch_options excluding;
  excluding.exclude = {"build/**", "*.tmp"};
  monitor.add(root, excluding);
  fs::create_directories(root / "build" / "obj");
  test::write_text(root / "build" / "obj" / "x.o");
  test::write_text(root / "a.tmp");
  test::write_text(root / "kept");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "kept"));
  REQUIRE_COLLECTED(c, "created kept");
  for (const fs_event& e : c.events) {
    const std::string text = asio_fswatch::detail::generic_path_text(e.path);
    BOOST_TEST(text.find("/build") == std::string::npos, "excluded: " << e);
    BOOST_TEST(text.find(".tmp") == std::string::npos, "excluded: " << e);
  }
}

// An editor's atomic save: a temporary file renamed over the watched file.
BOOST_DATA_TEST_CASE_F(monitor_fixture, a_file_root_survives_atomic_saves, test::portable_backends()) {
  test::write_text(root / "config", "one");
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root / "config");
  for (int save = 0; save < 3; ++save) {
    test::write_text(root / "config.swp", "version " + std::to_string(save));
    fs::rename(root / "config.swp", root / "config");
    // The native backends see the old file go and a new one come; a poll sees a new identity.
    collection c = test::collect_until(ioc, monitor, [&](const collection& got) {
      return test::has_event(got.events, event_kind::created, root / "config") ||
             test::has_event(got.events, event_kind::modified, root / "config");
    });
    REQUIRE_COLLECTED(c, "save " << save);
    for (const fs_event& e : c.events)
      BOOST_TEST((e.path == root / "config"), "only the file root is reported: " << e);
  }
}

// Cancellation of a pending read, of each type, and cancel(): operation_aborted, nothing lost.
BOOST_DATA_TEST_CASE_F(monitor_fixture, every_cancellation_type_aborts_the_read_and_loses_nothing, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  for (auto type : {boost::asio::cancellation_type::terminal, boost::asio::cancellation_type::partial,
                    boost::asio::cancellation_type::total}) {
    boost::asio::cancellation_signal signal;
    boost::system::error_code got;
    bool done = false;
    monitor.async_read_events(boost::asio::bind_cancellation_slot(
        signal.slot(), [&](boost::system::error_code ec, std::vector<fs_event>) {
          got = ec;
          done = true;
        }));
    ioc.restart();
    ioc.poll();
    signal.emit(type);
    ioc.restart();
    ioc.run_for(10s);
    BOOST_TEST_REQUIRE(done, "the cancelled read did not complete");
    BOOST_TEST((got == boost::asio::error::operation_aborted));
  }
  test::write_text(root / "after");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "after"));
  REQUIRE_COLLECTED(c, "created after, once the reads were cancelled");
  test::check_replay(before, c, root);
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, close_and_destruction_end_a_pending_read, test::portable_backends()) {
  for (bool destroy : {false, true}) {
    auto monitor = std::make_unique<directory_monitor>(ioc, test::portable_options(sample));
    monitor->add(root);
    boost::system::error_code got;
    bool done = false;
    monitor->async_read_events([&](boost::system::error_code ec, std::vector<fs_event>) {
      got = ec;
      done = true;
    });
    ioc.restart();
    ioc.poll();
    if (destroy)
      monitor.reset();
    else
      monitor->close();
    ioc.restart();
    ioc.run_for(10s);
    BOOST_TEST_REQUIRE(done, (destroy ? "destruction" : "close()") << " left the read pending");
    BOOST_TEST((got == boost::asio::error::operation_aborted));
    BOOST_TEST(ioc.stopped(), "work left behind");
  }
}

// Windows deletes a directory that a watch holds open once the watch lets it go: the root's
// check (each second, and on the read's error) sees it pending deletion and ends the root.
// Wine 8 does not delete it at all (RemoveDirectoryW says it did): the case cannot happen.
BOOST_DATA_TEST_CASE_F(monitor_fixture, a_removed_root_ends_with_root_removed, test::portable_backends()) {
  fs::create_directory(root / "w");
  test::write_text(root / "w" / "f");
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root / "w");
  fs::remove_all(root / "w");
  if (fs::exists(root / "w") && meets_wine_defect(sample)) {
    BOOST_TEST(fs::is_empty(root / "w"), "what it held was deleted");
    check_or_wine_defect(sample, "the directory is still there after remove_all()", "wine-open-directory-kept",
                         "a directory held open by a watch is not deleted, though RemoveDirectoryW succeeds");
    return;
  }
  collection c = test::collect_until(
      ioc, monitor, [](const collection& got) { return got.saw_error(test::code(errc::root_removed)); }, 0ms, 30s);
  REQUIRE_COLLECTED(c, "root_removed");
  BOOST_TEST(test::has_event(c.events, event_kind::removed, root / "w"));
}

// Random changes in small bursts, in directories made after the watch started, and no
// directory renamed: what Wine's ReadDirectoryChangesW reports in full.
BOOST_DATA_TEST_CASE_F(monitor_fixture, random_changes_replay, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  std::mt19937 random(sample == backend::poll ? 7 : 5);
  std::vector<fs::path> dirs{root};
  std::vector<fs::path> files;
  std::vector<fs_event> all;
  int counter = 0;
  for (int burst = 0; burst < 40; ++burst) {
    for (int step = 0; step < 5; ++step) {
      const fs::path dir = dirs[random() % dirs.size()];
      const fs::path name = dir / ("n" + std::to_string(counter++));
      const int op = static_cast<int>(random() % 10);
      if (op < 3 && dirs.size() < 12) {
        fs::create_directory(name);
        dirs.push_back(name);
      } else if (op < 6 || files.empty()) {
        test::write_text(name, std::string(random() % 100, 'x'));
        files.push_back(name);
      } else if (op < 8) {
        test::write_text(files[random() % files.size()], "changed");
      } else if (op < 9) {
        const std::size_t i = random() % files.size();
        fs::remove(files[i]);
        files.erase(files.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        const std::size_t i = random() % files.size();
        const fs::path to = files[i].parent_path() / ("r" + std::to_string(counter++));
        fs::rename(files[i], to); // within its directory
        files[i] = to;
      }
    }
    collection c = test::collect_until_quiet(ioc, monitor, 150ms, 30s);
    BOOST_TEST_REQUIRE(!c.timed_out);
    all.insert(all.end(), c.events.begin(), c.events.end());
  }
  collection rest = test::collect_until_quiet(ioc, monitor, 500ms, 30s);
  all.insert(all.end(), rest.events.begin(), rest.events.end());
  const std::string problems = replay_problems(before, all, root);
  BOOST_TEST(problems.empty(), problems);
}

// Names beyond ASCII (UTF-16 on Windows, given back exactly), and a path longer than Windows'
// MAX_PATH (260), which the Windows edge reaches through the long-path prefix.
BOOST_DATA_TEST_CASE_F(monitor_fixture, unicode_names_and_a_path_beyond_max_path, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  const fs::path unicode = root / fs::path(u8"caf\u00e9 \u65e5\u672c \U0001F600");
  fs::create_directory(unicode);
  test::write_text(unicode / fs::path(u8"\u00fcber.txt"));
  fs::path deep = root;
  for (int level = 0; level < 6; ++level)
    deep /= std::string(50, static_cast<char>('a' + level));
  std::error_code long_path_error;
  fs::create_directories(deep, long_path_error);
  if (!long_path_error) {
    BOOST_TEST_MESSAGE("deep path: " << asio_fswatch::detail::generic_path_text(deep).size() << " bytes");
    test::write_text(deep / "f", "deep");
  } else {
    // Not the monitor's limit: the test's own std::filesystem could not make it.
    test::skip("long_paths", "std::filesystem cannot make a path of " + std::to_string(deep.native().size()) +
                                 " units here: " + long_path_error.message(),
               test::skip_kind::platform);
  }
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"));
  REQUIRE_COLLECTED(c, "created end");
  BOOST_TEST(test::has_event(c.events, event_kind::created, unicode / fs::path(u8"\u00fcber.txt")),
             "the unicode names, exactly:\n" << test::dump(c.events));
  if (!long_path_error)
    BOOST_TEST(test::has_event(c.events, event_kind::created, deep / "f"), test::dump(c.events));
  // The replay, without the deep tree: the test's own std::filesystem (MinGW's) cannot walk
  // beyond MAX_PATH to take the real tree's snapshot; its entries' events are checked above.
  test::tree_snapshot replayed = before;
  test::replay_stats stats;
  test::replay(replayed, c.events, stats);
  BOOST_TEST(stats.problems.empty(), test::describe_problems(stats));
  test::tree_snapshot real = snapshot_of(root);
  const std::string deep_top = asio_fswatch::detail::generic_path_text(root / std::string(50, 'a'));
  for (test::tree_snapshot* snapshot : {&replayed, &real}) {
    test::replay_detail::erase_subtree(*snapshot, deep_top);
    snapshot->erase(deep_top);
  }
  BOOST_TEST(test::compare(real, replayed).empty(), test::compare(real, replayed) << test::dump(c.events));
}

// --- Cases that meet a measured defect of Wine's (doc/guarantees.md, "Under Wine") ---

// Wine 8 reports nothing of what happens in a subdirectory that existed when the watch began
// (created, removed, renamed there): its recursive watch does not cover it.
BOOST_DATA_TEST_CASE_F(monitor_fixture, changes_in_a_directory_older_than_the_watch, test::portable_backends()) {
  fs::create_directory(root / "old");
  test::write_text(root / "old" / "gone");
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  test::write_text(root / "old" / "new");
  fs::remove(root / "old" / "gone");
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"), 500ms, 20s);
  BOOST_TEST_REQUIRE(!c.timed_out);
  check_or_wine_defect(sample, replay_problems(before, c.events, root), "wine-subdirectory-unwatched",
                       "changes in a subdirectory that existed when the watch began are not reported");
}

// After a watched subdirectory A is renamed A2, Wine 8 goes on naming what happens in it under
// A\..., a path that names nothing: those changes cannot be placed.
BOOST_DATA_TEST_CASE_F(monitor_fixture, changes_in_a_renamed_directory, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root);
  const auto before = snapshot_of(root);
  fs::create_directory(root / "a");
  collection first = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "a"));
  REQUIRE_COLLECTED(first, "created a");
  fs::rename(root / "a", root / "a2");
  test::write_text(root / "a2" / "inside");
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"), 500ms, 20s);
  BOOST_TEST_REQUIRE(!c.timed_out);
  first.append(std::move(c));
  check_or_wine_defect(sample, replay_problems(before, first.events, root), "wine-stale-path",
                       "changes in a renamed subdirectory are named under its old name");
}

// A monitor with several roots: each event says which one it is of, as add() normalised it.
BOOST_DATA_TEST_CASE_F(monitor_fixture, each_event_names_its_root, test::portable_backends()) {
  fs::create_directory(root / "one");
  fs::create_directory(root / "two");
  test::write_text(root / "single");
  directory_monitor monitor(ioc, test::portable_options(sample));
  monitor.add(root / "one");
  monitor.add(root / "two" / "."); // another spelling of the same directory
  monitor.add(root / "single");
  test::write_text(root / "one" / "a");
  test::write_text(root / "two" / "b");
  test::write_text(root / "single", "changed");
  test::write_text(root / "two" / "end");
  // Each root is read on its own (one recursive handle each on Windows): wait for both ends.
  collection c = test::collect_until(ioc, monitor,
                                     test::saw_all({{event_kind::created, root / "two" / "end"},
                                                    {event_kind::modified, root / "single"}}));
  REQUIRE_COLLECTED(c, "created two/end and modified single");
  std::size_t seen[3] = {};
  for (const fs_event& e : c.events) {
    const fs::path parent = e.path.parent_path();
    const fs::path expected = e.path == root / "single" ? root / "single" : parent;
    BOOST_TEST(e.root == expected, e);
    seen[e.root == root / "one" ? 0 : e.root == root / "two" ? 1 : 2] += 1;
  }
  BOOST_TEST(seen[0] > 0u);
  BOOST_TEST(seen[1] > 0u);
  BOOST_TEST(seen[2] > 0u);
}

// What an application shows of a monitor: counts of what it holds, kept as it goes, and the
// totals of what it did.
BOOST_DATA_TEST_CASE_F(monitor_fixture, stats_count_what_is_held_and_what_was_delivered, test::portable_backends()) {
  fs::create_directories(root / "a" / "b");
  fs::create_directory(root / "c");
  test::write_text(root / "a" / "f");
  test::write_text(root / "g");
  directory_monitor monitor(ioc, test::portable_options(sample));
  BOOST_TEST(monitor.stats().roots == 0u);
  BOOST_TEST(monitor.stats().entries == 0u);
  monitor.add(root);
  monitor_stats s = monitor.stats();
  BOOST_TEST(s.roots == 1u);
  BOOST_TEST(s.directories == 4u); // the root, a, a/b, c
  BOOST_TEST(s.entries == 6u);
  // One inotify watch per directory; one recursive watch per root on Windows; none polling.
  std::size_t watches = monitor.backend() == backend::poll ? 0 : s.directories;
#if defined(_WIN32)
  if (monitor.backend() != backend::poll)
    watches = 1;
#endif
  BOOST_TEST(s.kernel_watches == watches);
  BOOST_TEST(s.memory_bytes > 0u);
  BOOST_TEST(s.events_delivered == 0u);
  BOOST_TEST(s.overflows == 0u);

  fs::create_directory(root / "d");
  test::write_text(root / "d" / "new");
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"));
  REQUIRE_COLLECTED(c, "created end");
  s = monitor.stats();
  BOOST_TEST(s.directories == 5u);
  BOOST_TEST(s.entries == 9u);
  BOOST_TEST(s.events_delivered == c.events.size());
  BOOST_TEST(s.events_queued == monitor.queued_events());

  monitor.close();
  s = monitor.stats();
  BOOST_TEST(s.roots == 0u);
  BOOST_TEST(s.entries == 0u);
  BOOST_TEST(s.events_delivered == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
