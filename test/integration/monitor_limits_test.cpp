// SPDX-License-Identifier: BSL-1.0
// The inotify limits, with the real kernel refusing: each scenario runs in a forked child that
// enters a user namespace of its own and lowers that namespace's limits
// (/proc/sys/user/max_inotify_*), so the host's limits are never touched. Where user namespaces
// are not available the scenarios are skipped with a message.
#include "common/linux_only.hpp"
#include "common/proc_limits.hpp"
#include "common/sanitizers.hpp"
#include "common/skip.hpp"
#include "common/temp_dir.hpp"

#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sched.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using asio_fswatch::errc;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;

constexpr int skipped = 77;

using asio_fswatch::test::write_limit;

// Runs `scenario` in a child whose user namespace allows `watches` watches and `instances`
// inotify instances. The scenario returns an empty string on success, else what went wrong.
void run_with_limits(int watches, int instances, const std::function<std::string()>& scenario) {
  if (asio_fswatch::test::thread_sanitizer) {
    // The forked child is not single-threaded under ThreadSanitizer (its runtime's thread), and
    // unshare(CLONE_NEWUSER) refuses a multi-threaded caller.
    asio_fswatch::test::skip("thread_sanitizer_fork", "a new user namespace needs a single-threaded child, which "
                             "ThreadSanitizer's runtime does not leave", asio_fswatch::test::skip_kind::build);
    return;
  }
  std::fflush(nullptr);
  pid_t child = ::fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    if (::unshare(CLONE_NEWUSER) != 0)
      ::_exit(skipped);
    if (!write_limit("/proc/sys/user/max_inotify_watches", watches) ||
        !write_limit("/proc/sys/user/max_inotify_instances", instances))
      ::_exit(skipped);
    std::string failure;
    try {
      failure = scenario();
    } catch (const std::exception& e) {
      failure = std::string("exception: ") + e.what();
    }
    if (!failure.empty())
      std::fprintf(stderr, "limits scenario: %s\n", failure.c_str());
    std::fflush(nullptr);
    ::_exit(failure.empty() ? 0 : 1);
  }
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == skipped) {
    asio_fswatch::test::skip("user_namespaces", "no user namespace with its own inotify limits here (unshare(CLONE_NEWUSER) "
                                                 "refused, or its limits not writable)");
    return;
  }
  BOOST_TEST(WEXITSTATUS(status) == 0, "the scenario failed (its reason is on stderr)");
}

// Reads events until `done` says so or 30 s pass; returns everything read.
std::vector<fs_event> read_until(boost::asio::io_context& ioc, asio_fswatch::directory_monitor& monitor,
                                 const std::function<bool(const std::vector<fs_event>&)>& done) {
  std::vector<fs_event> events;
  boost::asio::steady_timer timeout(ioc, std::chrono::seconds(30));
  bool finished = false;
  std::function<void()> read = [&] {
    monitor.async_read_events([&](boost::system::error_code ec, std::vector<fs_event> batch) {
      if (ec)
        return;
      events.insert(events.end(), batch.begin(), batch.end());
      if (done(events)) {
        finished = true;
        timeout.cancel();
        return;
      }
      read();
    });
  };
  timeout.async_wait([&](boost::system::error_code ec) {
    if (!ec)
      monitor.cancel();
  });
  read();
  ioc.restart();
  ioc.run();
  (void)finished;
  return events;
}

bool has(const std::vector<fs_event>& events, event_kind kind, const fs::path& path) {
  for (const fs_event& e : events)
    if (e.kind == kind && e.path == path)
      return true;
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_limits, *asio_fswatch::test::linux_only("inotify"))

BOOST_AUTO_TEST_CASE(watch_limit_at_add_leaves_nothing_watched) {
  asio_fswatch::test::temp_dir tmp("limits");
  fs::path big = tmp.path() / "big", small = tmp.path() / "small";
  for (int i = 0; i < 10; ++i)
    fs::create_directories(big / ("d" + std::to_string(i)));
  fs::create_directories(small / "a");
  run_with_limits(6, 8, [&]() -> std::string {
    boost::asio::io_context ioc;
    asio_fswatch::directory_monitor monitor(ioc);
    boost::system::error_code ec;
    monitor.add(big, ec); // 11 directories, 6 watches allowed
    if (ec != errc::watch_limit_reached)
      return "add of 11 directories with 6 watches: " + ec.message();
    if (ec.message().find("fs.inotify.max_user_watches") == std::string::npos)
      return "the message does not name the sysctl: " + ec.message();
    if (!monitor.roots().empty())
      return "the failed root is still listed";
    // The watches of the failed add were given back: 2 more directories fit.
    monitor.add(small, ec);
    if (ec)
      return "add after the failed one: " + ec.message();
    std::ofstream(small / "a" / "f") << "x";
    auto events = read_until(ioc, monitor, [&](const std::vector<fs_event>& got) {
      return has(got, event_kind::created, small / "a" / "f");
    });
    if (!has(events, event_kind::created, small / "a" / "f"))
      return "no event from the root added after the failure";
    return {};
  });
}

BOOST_AUTO_TEST_CASE(watch_limit_later_is_an_error_event_and_the_rest_keeps_working) {
  asio_fswatch::test::temp_dir tmp("limits");
  fs::path root = tmp.path() / "root";
  fs::create_directories(root / "a");
  run_with_limits(2, 8, [&]() -> std::string { // root and a: every watch in use
    boost::asio::io_context ioc;
    asio_fswatch::directory_monitor monitor(ioc);
    monitor.add(root);
    fs::create_directory(root / "new");
    auto events = read_until(ioc, monitor, [&](const std::vector<fs_event>& got) {
      for (const fs_event& e : got)
        if (e.kind == event_kind::error)
          return true;
      return false;
    });
    if (!has(events, event_kind::created, root / "new"))
      return "the new directory was not reported";
    bool limit_reported = false;
    for (const fs_event& e : events)
      limit_reported = limit_reported || (e.kind == event_kind::error && e.path == root / "new" &&
                                          e.error == errc::watch_limit_reached);
    if (!limit_reported)
      return "no error event with watch_limit_reached for the new directory";
    std::ofstream(root / "a" / "still") << "x";
    events = read_until(ioc, monitor, [&](const std::vector<fs_event>& got) {
      return has(got, event_kind::created, root / "a" / "still");
    });
    if (!has(events, event_kind::created, root / "a" / "still"))
      return "a directory watched before the limit stopped reporting";
    return {};
  });
}

BOOST_AUTO_TEST_CASE(instance_limit_is_a_clear_error_from_add) {
  asio_fswatch::test::temp_dir tmp("limits");
  fs::create_directories(tmp.path() / "one");
  fs::create_directories(tmp.path() / "two");
  run_with_limits(100, 1, [&]() -> std::string {
    boost::asio::io_context ioc;
    asio_fswatch::directory_monitor first(ioc), second(ioc);
    boost::system::error_code ec;
    first.add(tmp.path() / "one", ec);
    if (ec)
      return "first monitor: " + ec.message();
    second.add(tmp.path() / "two", ec);
    if (ec != errc::instance_limit_reached)
      return "second monitor with one instance allowed: " + ec.message();
    if (ec.message().find("fs.inotify.max_user_instances") == std::string::npos)
      return "the message does not name the sysctl: " + ec.message();
    // The throwing overload carries the same error and the path.
    try {
      second.add(tmp.path() / "two");
      return "the throwing add did not throw";
    } catch (const fs::filesystem_error& e) {
      if (e.code().value() != static_cast<int>(errc::instance_limit_reached) ||
          e.path1() != tmp.path() / "two")
        return std::string("unexpected exception: ") + e.what();
    }
    return {};
  });
}

BOOST_AUTO_TEST_SUITE_END()
