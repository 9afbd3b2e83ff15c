// SPDX-License-Identifier: BSL-1.0
// Integration tests of basic_directory_monitor::async_add on every platform and backend: the
// loop runs other handlers while a tree is added, what changes meanwhile is neither lost nor
// doubled (the replay invariant of doc/guarantees.md), and an add that is cancelled, removed,
// or ended by close() leaves nothing of its root. Every completion token is taken (callback,
// deferred, coroutine).
#include <common/monitor_collect.hpp>
#include <common/wine_defect.hpp>
#include <common/wine.hpp>

#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace sys = boost::system;
using namespace std::chrono_literals;
using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::entry_type;
using asio_fswatch::errc;
using asio_fswatch::event_kind;
using asio_fswatch::monitor_options;
using asio_fswatch::watch_options;
using asio_fswatch::test::collection;
using asio_fswatch::test::monitor_fixture;
using asio_fswatch::test::snapshot_of;

namespace {

namespace test = asio_fswatch::test;

/// A tree whose add takes many slices of a millisecond on any machine: `directories`
/// directories of `files` files each.
void make_tree(const fs::path& root, int directories, int files) {
  for (int d = 0; d < directories; ++d) {
    const fs::path dir = root / ("d" + std::to_string(d));
    fs::create_directory(dir);
    for (int f = 0; f < files; ++f)
      test::write_text(dir / ("f" + std::to_string(f)));
  }
}

/// Runs a handler on the loop again and again until `stop` holds: it counts its turns and
/// calls `on_turn` with each, as any other work of the program would run beside the add.
struct ticker {
  asio::io_context& ioc;
  std::function<bool()> stop;
  std::function<void(int)> on_turn;
  int turns = 0;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true); // its last turn may still be queued

  ticker(asio::io_context& context, std::function<bool()> until, std::function<void(int)> each)
      : ioc(context), stop(std::move(until)), on_turn(std::move(each)) {}
  ticker(const ticker&) = delete;
  ticker& operator=(const ticker&) = delete;
  ~ticker() { *alive = false; }

  void start() {
    asio::post(ioc, [this, still = alive] {
      if (!*still || stop())
        return;
      ++turns;
      on_turn(turns);
      start();
    });
  }
};

struct add_result {
  bool done = false;
  sys::error_code ec;
};

void run_until(asio::io_context& ioc, const std::function<bool()>& done, std::chrono::seconds limit = 120s) {
  ioc.restart();
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && ioc.run_one_until(until) > 0) {
  }
  BOOST_TEST_REQUIRE(done(), "timed out after " << limit.count() << " s");
}

/// Runs the loop until the add ends, which `other_work` made it do on its first turn: it ends
/// with operation_aborted, and nothing of its root stays.
void expect_aborted_by_other_work(asio::io_context& ioc, directory_monitor& monitor, const add_result& added,
                                  const ticker& other_work) {
  run_until(ioc, [&] { return added.done; });
  BOOST_TEST_REQUIRE(other_work.turns >= 1, "the add completed before other work had a turn");
  BOOST_TEST((added.ec == asio::error::operation_aborted), added.ec.message());
  BOOST_TEST(monitor.roots().empty());
  BOOST_TEST(monitor.stats().kernel_watches == 0u);
  BOOST_TEST(monitor.stats().entries == 0u);
}

BOOST_AUTO_TEST_SUITE(monitor_async_add_portable)

BOOST_DATA_TEST_CASE_F(monitor_fixture, async_add_lets_the_loop_run_and_loses_nothing_changed_meanwhile,
                       test::portable_backends()) {
  make_tree(root, 300, 8);
  directory_monitor monitor(ioc, test::portable_options(sample));
  watch_options listing;
  listing.initial_listing = true;
  add_result added;
  monitor.async_add(root, listing, [&](sys::error_code ec) {
    added.done = true;
    added.ec = ec;
  });
  BOOST_TEST(!added.done, "completed inside the initiating function");
  int turns_before_completion = 0;
  ticker other_work{ioc, [&] { return added.done; }, [&](int turn) {
    turns_before_completion = turn;
    // Changes while the tree is read: in directories read already, and in others not yet.
    switch (turn) {
    case 1: test::write_text(root / "d0" / "new"); break;
    case 2: test::write_text(root / "d299" / "new"); break;
    case 3: fs::rename(root / "d150", root / "d150_moved"); break;
    case 4: fs::remove_all(root / "d100"); break;
    case 5:
      fs::create_directory(root / "fresh");
      test::write_text(root / "fresh" / "inside");
      break;
    case 6: test::write_text(root / "d0" / "f0", "changed"); break;
    default: break;
    }
  }};
  other_work.start();
  run_until(ioc, [&] { return added.done; });
  BOOST_TEST_REQUIRE(!added.ec, added.ec.message());
  BOOST_TEST_REQUIRE(turns_before_completion >= 6,
                     "the add completed after " << turns_before_completion
                                                << " turns of other work: too few to change the tree meanwhile");
  BOOST_TEST(monitor.stats().roots == 1u);
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"));
  REQUIRE_COLLECTED(c, "created end");
  const test::tree_snapshot start{{root.generic_string(), entry_type::directory}};
  // A directory renamed after it was read: Wine's watch reports its contents at the old path.
  test::check_or_wine_defect(sample, test::replay_problems(start, c.events, root), "wine-stale-path",
                             "changes in a renamed subdirectory are named under its old name");
  if (!test::meets_wine_defect(sample)) {
    test::tree_snapshot replayed = start;
    test::replay_stats stats;
    test::replay(replayed, c.events, stats);
    BOOST_TEST(stats.duplicates == 0u, "an entry reported created twice");
  }
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, cancelling_async_add_removes_the_partial_root, test::portable_backends()) {
  make_tree(root, 300, 8);
  directory_monitor monitor(ioc, test::portable_options(sample));
  for (asio::cancellation_type type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                                       asio::cancellation_type::total}) {
    asio::cancellation_signal cancel;
    add_result added;
    monitor.async_add(root, watch_options{},
                      asio::bind_cancellation_slot(cancel.slot(), [&](sys::error_code ec) {
                        added.done = true;
                        added.ec = ec;
                      }));
    ticker other_work{ioc, [&] { return added.done; }, [&](int turn) {
      if (turn == 1)
        cancel.emit(type);
    }};
    other_work.start();
    expect_aborted_by_other_work(ioc, monitor, added, other_work);
  }
  monitor.add(root); // the path is free again, and the monitor works
  test::write_text(root / "after");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "after"));
  REQUIRE_COLLECTED(c, "created after");
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, remove_cancel_and_close_end_an_async_add, test::portable_backends()) {
  make_tree(root, 300, 4);
  enum class ending { remove, cancel, close };
  for (ending how : {ending::remove, ending::cancel, ending::close}) {
    directory_monitor monitor(ioc, test::portable_options(sample));
    add_result added;
    monitor.async_add(root, [&](sys::error_code ec) {
      added.done = true;
      added.ec = ec;
    });
    ticker other_work{ioc, [&] { return added.done; }, [&](int turn) {
      if (turn != 1)
        return;
      if (how == ending::remove)
        monitor.remove(root);
      else if (how == ending::cancel)
        monitor.cancel();
      else
        monitor.close();
    }};
    other_work.start();
    expect_aborted_by_other_work(ioc, monitor, added, other_work);
    // Nothing of it was left running, the monitor still there: the context's run() returns.
    ioc.restart();
    ioc.run_for(10s);
    BOOST_TEST(ioc.stopped(), "work was left behind");
    if (how == ending::close) {
      std::optional<sys::error_code> after;
      monitor.async_add(root, [&](sys::error_code ec) { after = ec; });
      run_until(ioc, [&] { return after.has_value(); });
      BOOST_TEST((*after == errc::monitor_closed), after->message());
    }
  }
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, a_completed_async_add_leaves_no_work_without_a_read, test::portable_backends()) {
  make_tree(root, 50, 4);
  directory_monitor monitor(ioc, test::portable_options(sample));
  std::optional<sys::error_code> added;
  monitor.async_add(root, [&](sys::error_code ec) { added = ec; });
  ioc.run_for(60s); // returns once the add completed, as nothing else waits
  BOOST_TEST_REQUIRE(added.has_value(), "the add did not complete in 60 s");
  BOOST_TEST(!*added, added->message());
  BOOST_TEST(ioc.stopped(), "the monitor kept work after its add completed, with no read pending");
  // What changed since is read as usual.
  test::write_text(root / "d7" / "later");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "d7" / "later"));
  REQUIRE_COLLECTED(c, "created d7/later");
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, async_add_errors_complete_through_the_handler, test::portable_backends()) {
  directory_monitor monitor(ioc, test::portable_options(sample));
  std::optional<sys::error_code> missing;
  monitor.async_add(root / "missing", [&](sys::error_code ec) { missing = ec; });
  BOOST_TEST(!missing.has_value(), "completed inside the initiating function");
  run_until(ioc, [&] { return missing.has_value(); });
  BOOST_TEST((*missing == sys::errc::no_such_file_or_directory), missing->message());
  monitor.add(root);
  std::optional<sys::error_code> inside;
  fs::create_directory(root / "sub");
  monitor.async_add(root / "sub", [&](sys::error_code ec) { inside = ec; });
  run_until(ioc, [&] { return inside.has_value(); });
  BOOST_TEST((*inside == errc::already_watched), inside->message());
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, async_add_takes_deferred_and_coroutines, test::portable_backends()) {
  fs::create_directories(root / "a" / "b");
  directory_monitor monitor(ioc, test::portable_options(sample));
  std::optional<std::string> outcome;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto add = monitor.async_add(root, watch_options{}, asio::deferred);
        co_await std::move(add);
        co_await monitor.async_add(outside, asio::use_awaitable);
        test::write_text(root / "a" / "b" / "f");
        std::vector<asio_fswatch::fs_event> events = co_await monitor.async_read_events(asio::use_awaitable);
        outcome = asio_fswatch::to_string(events.front().kind);
      },
      [&](std::exception_ptr e) {
        if (e)
          outcome = "exception";
      });
  run_until(ioc, [&] { return outcome.has_value(); });
  BOOST_TEST(*outcome == "created");
  BOOST_TEST(monitor.roots().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace
