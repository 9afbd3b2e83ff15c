// SPDX-License-Identifier: BSL-1.0
// The monitor from several threads: an io_context run by two threads reads events while another
// thread adds and removes roots, writes files and cancels reads. The core serialises its member
// functions; nothing may be lost or reported twice in a way the replay check would catch.
#include "common/temp_dir.hpp"
#include "common/tree_replay.hpp"

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

namespace {

namespace fs = std::filesystem;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;

// Collects every event of a read loop that runs on whatever thread of the context completes it.
class collector {
public:
  explicit collector(asio_fswatch::directory_monitor& monitor) : monitor_(monitor) {}

  void start() { read(); }

  // Waits (at most 60 s) until `paths` were all reported as created; false on timeout.
  bool wait_for_created(const std::set<fs::path>& paths) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60), [&] {
      for (const fs::path& p : paths)
        if (!created_.count(p))
          return false;
      return true;
    });
  }

  std::vector<fs_event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

  std::size_t aborted() const { return aborted_; }

private:
  void read() {
    monitor_.async_read_events([this](boost::system::error_code ec, std::vector<fs_event> batch) {
      if (ec == boost::asio::error::operation_aborted && !stopping_) {
        ++aborted_;
        return read(); // cancelled by the other thread: nothing is lost, read again
      }
      if (ec)
        return;
      {
        std::lock_guard lock(mutex_);
        for (fs_event& e : batch) {
          if (e.kind == event_kind::created)
            created_.insert(e.path);
          events_.push_back(std::move(e));
        }
      }
      changed_.notify_all();
      read();
    });
  }

  asio_fswatch::directory_monitor& monitor_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<fs_event> events_;
  std::set<fs::path> created_;
  std::atomic<std::size_t> aborted_{0};

public:
  std::atomic<bool> stopping_{false};
};

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_threads)

BOOST_AUTO_TEST_CASE(two_context_threads_and_a_third_calling_members) {
  asio_fswatch::test::temp_dir tmp("threads");
  const fs::path a = tmp.path() / "a", b = tmp.path() / "b";
  fs::create_directories(a);
  fs::create_directories(b);
  auto a_before = asio_fswatch::test::snapshot_of(a);

  boost::asio::io_context ioc(2);
  auto work = boost::asio::make_work_guard(ioc);
  asio_fswatch::directory_monitor monitor(ioc);
  monitor.add(a);
  collector events(monitor);
  events.start();
  std::thread t1([&] { ioc.run(); });
  std::thread t2([&] { ioc.run(); });

  // This thread adds a root, writes into both, cancels reads now and then, removes a root.
  std::set<fs::path> expected;
  for (int round = 0; round < 20; ++round) {
    if (round == 5)
      monitor.add(b);
    for (int i = 0; i < 25; ++i) {
      fs::path dir = (round >= 5 && i % 2) ? b : a;
      fs::path file = dir / ("r" + std::to_string(round) + "_" + std::to_string(i));
      std::ofstream(file) << round;
      if (round > 5 || dir == a)
        expected.insert(file);
    }
    if (round % 4 == 3)
      monitor.cancel();
    (void)monitor.queued_events();
    (void)monitor.roots();
  }
  BOOST_TEST(events.wait_for_created(expected), "not every file created was reported within 60 s");
  monitor.remove(b);
  BOOST_TEST(monitor.roots() == std::vector<fs::path>{a});

  events.stopping_ = true;
  boost::asio::post(ioc, [&] { monitor.close(); });
  work.reset();
  t1.join();
  t2.join();

  // Replaying what was reported under `a` gives the tree of `a`.
  std::vector<fs_event> under_a;
  for (const fs_event& e : events.events())
    if (e.path.native().rfind(a.native(), 0) == 0)
      under_a.push_back(e);
  asio_fswatch::test::replay_stats stats;
  asio_fswatch::test::replay(a_before, under_a, stats);
  BOOST_TEST(stats.problems.empty(), asio_fswatch::test::describe_problems(stats));
  BOOST_TEST(asio_fswatch::test::compare(a_before, asio_fswatch::test::snapshot_of(a)).empty());
  BOOST_TEST_MESSAGE("reads cancelled by the other thread: " << events.aborted());
}

BOOST_AUTO_TEST_SUITE_END()
