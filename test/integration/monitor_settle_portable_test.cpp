// SPDX-License-Identifier: BSL-1.0
// Integration tests of settling (monitor_options::settle) on every backend the build has: a
// burst of writes is one event, an atomic save is one `modified`, what is created and removed
// within a period is nothing, random changes still replay to the tree, and (inotify) a batch
// waits for the files written in it to be closed.
#include <common/monitor_collect.hpp>
#include <common/wine_defect.hpp>

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
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
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::monitor_options;
using asio_fswatch::test::collection;
using asio_fswatch::test::monitor_fixture;
using asio_fswatch::test::snapshot_of;

namespace {

namespace test = asio_fswatch::test;

monitor_options settling(backend b, std::chrono::milliseconds settle = 200ms) {
  monitor_options options = test::portable_options(b);
  options.settle = settle;
  options.settle_max = 60s; // never reached by these tests: they check the quiet period
  return options;
}

collection settled(boost::asio::io_context& ioc, directory_monitor& monitor) {
  // Quiet for longer than the settle period: the batch came, and nothing after it.
  collection c = test::collect_until_quiet(ioc, monitor, 1500ms, 60s);
  BOOST_TEST_REQUIRE(!c.timed_out);
  return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_settle_portable)

BOOST_DATA_TEST_CASE_F(monitor_fixture, a_burst_of_writes_is_one_modified, test::portable_backends()) {
  const fs::path big = root / "big.bin";
  test::write_text(big, "old");
  directory_monitor monitor(ioc, settling(sample));
  monitor.add(root);
  {
    std::ofstream out(big, std::ios::binary | std::ios::trunc);
    const std::string chunk(256 * 1024, 'x');
    for (int i = 0; i < 64; ++i) // 16 MiB in 64 writes
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size())).flush();
  }
  collection c = settled(ioc, monitor);
  BOOST_TEST(c.events.size() == 1u, test::dump(c.events));
  BOOST_TEST(test::count_events(c.events, event_kind::modified, big) == 1u, test::dump(c.events));
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, an_atomic_save_is_one_modified, test::portable_backends()) {
  const fs::path file = root / "config.json";
  test::write_text(file, "{}");
  directory_monitor monitor(ioc, settling(sample));
  monitor.add(root);
  const fs::path temporary = root / ".config.json.tmp";
  test::write_text(temporary, "{\"saved\": true}");
  fs::rename(temporary, file); // over the original
  collection c = settled(ioc, monitor);
  BOOST_TEST(c.events.size() == 1u, test::dump(c.events));
  BOOST_TEST(test::count_events(c.events, event_kind::modified, file) == 1u, test::dump(c.events));
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, what_is_created_and_removed_within_a_period_is_nothing,
                       test::portable_backends()) {
  directory_monitor monitor(ioc, settling(sample, 500ms));
  monitor.add(root);
  const fs::path build = root / "build";
  fs::create_directories(build / "obj");
  for (int i = 0; i < 20; ++i)
    test::write_text(build / "obj" / ("f" + std::to_string(i) + ".o"), "object");
  fs::remove_all(build);
  test::write_text(root / "kept", "k");
  collection c = settled(ioc, monitor);
  BOOST_TEST(c.events.size() == 1u, test::dump(c.events));
  BOOST_TEST(test::has_event(c.events, event_kind::created, root / "kept"), test::dump(c.events));
}

BOOST_DATA_TEST_CASE_F(monitor_fixture, random_changes_settled_replay, test::portable_backends()) {
  directory_monitor monitor(ioc, settling(sample, 30ms));
  monitor.add(root);
  const auto before = snapshot_of(root);
  std::mt19937 random(sample == backend::poll ? 17 : 15);
  std::vector<fs::path> dirs{root};
  std::vector<fs::path> files;
  std::vector<fs_event> all;
  int counter = 0;
  for (int burst = 0; burst < 30; ++burst) {
    for (int step = 0; step < 8; ++step) {
      const fs::path dir = dirs[random() % dirs.size()];
      const fs::path name = dir / ("n" + std::to_string(counter++));
      const int op = static_cast<int>(random() % 10);
      if (op < 2 && dirs.size() < 12) {
        fs::create_directory(name);
        dirs.push_back(name);
      } else if (op < 5 || files.empty()) {
        test::write_text(name, std::string(random() % 100, 'x'));
        files.push_back(name);
      } else if (op < 7) {
        test::write_text(files[random() % files.size()], "changed");
      } else if (op < 8) {
        const std::size_t i = random() % files.size();
        fs::remove(files[i]);
        files.erase(files.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        // Renamed within its directory, over another file of it now and then (a save).
        const std::size_t i = random() % files.size();
        const std::size_t j = random() % files.size();
        const fs::path from = files[i];
        fs::path to = from.parent_path() / ("r" + std::to_string(counter++));
        if (i != j && files[j].parent_path() == from.parent_path() && random() % 2 == 0)
          to = files[j];
        fs::rename(from, to);
        files.erase(files.begin() + static_cast<std::ptrdiff_t>(i));
        if (std::find(files.begin(), files.end(), to) == files.end())
          files.push_back(to);
      }
    }
    collection c = test::collect_until_quiet(ioc, monitor, 100ms, 30s);
    BOOST_TEST_REQUIRE(!c.timed_out);
    all.insert(all.end(), c.events.begin(), c.events.end());
  }
  collection rest = test::collect_until_quiet(ioc, monitor, 1000ms, 30s);
  all.insert(all.end(), rest.events.begin(), rest.events.end());
  const std::string problems = test::replay_problems(before, all, root);
  BOOST_TEST(problems.empty(), problems);
}

// Written, then held open past the quiet period: inotify's IN_CLOSE_WRITE holds the batch until
// the file is closed; the other backends have no such record, and deliver it once quiet.
BOOST_DATA_TEST_CASE_F(monitor_fixture, a_file_open_for_writing_holds_the_batch_where_closes_are_seen,
                       test::portable_backends()) {
  directory_monitor monitor(ioc, settling(sample, 50ms));
  monitor.add(root);
  const fs::path log = root / "download.part";
  std::ofstream out(log, std::ios::binary);
  out << "first half" << std::flush;
  collection meanwhile = test::collect_until_quiet(ioc, monitor, 600ms, 60s);
  BOOST_TEST_REQUIRE(!meanwhile.timed_out);
  out << "second half" << std::flush;
  out.close();
  collection after = settled(ioc, monitor);
  std::vector<fs_event> all = meanwhile.events;
  all.insert(all.end(), after.events.begin(), after.events.end());
#if defined(__linux__)
  const bool closes_seen = sample == backend::native; // inotify (rdcw is its Windows name)
#else
  const bool closes_seen = false;
#endif
  if (closes_seen) {
    BOOST_TEST(meanwhile.events.empty(), "delivered while the file was open:\n" << test::dump(meanwhile.events));
    BOOST_TEST(after.events.size() == 1u, test::dump(after.events));
    BOOST_TEST(test::has_event(after.events, event_kind::created, log), test::dump(after.events));
  } else {
    // Quiet for 50 ms while open: the first half's batch came then.
    BOOST_TEST(test::has_event(meanwhile.events, event_kind::created, log), test::dump(meanwhile.events));
    BOOST_TEST(test::count_events(after.events, event_kind::created, log) == 0u, test::dump(after.events));
  }
}

BOOST_AUTO_TEST_SUITE_END()
