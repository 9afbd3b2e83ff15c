// SPDX-License-Identifier: BSL-1.0
// The directory monitor with the real kernel refusing, not mocks:
//  - seccomp filters in a forked child (a filter cannot be removed): inotify_add_watch failing
//    with ENOSPC after N calls, inotify_init1 failing with EMFILE or ENOSYS;
//  - a descriptor table filled up to RLIMIT_NOFILE, in a forked child;
//  - a tiny fs.inotify.max_queued_events (root only; restored at once: the kernel reads it when
//    an inotify instance is created), so that the queue overflows after a few dozen records.
// A forked scenario returns an empty string on success, else what went wrong (printed by the
// child on stderr); Boost.Test assertions stay in the parent.
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <common/monitor_collect.hpp>
#include <common/proc_limits.hpp>
#include <common/seccomp.hpp>
#include <common/skip.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using asio_fswatch::directory_monitor;
using asio_fswatch::errc;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::test::collect_until;
using asio_fswatch::test::collection;
using asio_fswatch::test::dump;
using asio_fswatch::test::has_event;
using asio_fswatch::test::read_limit;
using asio_fswatch::test::saw;
using asio_fswatch::test::write_limit;

// Runs `scenario` in a forked child after `restrict`; reports the child's verdict in the parent.
void run_scenario(const std::function<bool()>& restrict, const std::function<std::string()>& scenario) {
  const int status = asio_fswatch::test::in_child(restrict, [&] {
    const std::string failure = scenario();
    if (!failure.empty())
      std::fprintf(stderr, "fault scenario: %s\n", failure.c_str());
    return failure.empty();
  });
  BOOST_TEST(status == 0, "child exit status " << status
                                               << " (1: the scenario failed, its reason is on stderr; 2: the "
                                                  "fault could not be installed; 3: exception; 100+N: signal N)");
}

bool has_error_event(const std::vector<fs_event>& events, const fs::path& path, errc error) {
  for (const fs_event& e : events)
    if (e.kind == event_kind::error && e.path == path && e.error == error)
      return true;
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_faults, *asio_fswatch::test::linux_only("inotify"))

BOOST_AUTO_TEST_CASE(watch_limit_after_n_watches,
                     *boost::unit_test::precondition(asio_fswatch::test::scenario_may_run_in_a_fork)) {
  asio_fswatch::test::temp_dir tmp("faults");
  const fs::path root = tmp.path() / "root", other = tmp.path() / "other";
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  fs::create_directories(other);
  // root, a and b take the three watches allowed; every inotify_add_watch after them: ENOSPC.
  run_scenario([] { return asio_fswatch::test::refuse_syscall_after(__NR_inotify_add_watch, 3, ENOSPC); },
               [&]() -> std::string {
                 boost::asio::io_context ioc;
                 directory_monitor monitor(ioc);
                 boost::system::error_code ec;
                 monitor.add(root, ec);
                 if (ec)
                   return "add within the limit: " + ec.message();
                 fs::create_directory(root / "new");
                 fs::create_directories(root / "a" / "deeper" / "still");
                 collection c = collect_until(ioc, monitor,
                                              [&](const collection& got) {
                                                return has_error_event(got.events, root / "new",
                                                                       errc::watch_limit_reached) &&
                                                       has_error_event(got.events, root / "a" / "deeper",
                                                                       errc::watch_limit_reached);
                                              },
                                              200ms, 30s);
                 if (c.timed_out)
                   return "no watch_limit_reached error events for the new directories within 30 s:\n" +
                          dump(c.events);
                 for (const fs::path& p : {root / "new", root / "a" / "deeper"})
                   if (!has_event(c.events, event_kind::created, p))
                     return "the new directory " + p.string() + " was not reported as created";
                 for (const fs_event& e : c.events)
                   if (e.kind == event_kind::error &&
                       e.error.message().find("fs.inotify.max_user_watches") == std::string::npos)
                     return "the error event does not name the sysctl: " + e.error.message();
                 // What was watched before the limit keeps reporting.
                 std::ofstream(root / "b" / "after") << "x";
                 std::ofstream(root / "a" / "after") << "x";
                 c = collect_until(ioc, monitor,
                                   [&](const collection& got) {
                                     return has_event(got.events, event_kind::created, root / "b" / "after") &&
                                            has_event(got.events, event_kind::created, root / "a" / "after");
                                   },
                                   200ms, 30s);
                 if (c.timed_out)
                   return "directories watched before the limit stopped reporting:\n" + dump(c.events);
                 // A new root is refused as a whole, and the first one stays.
                 monitor.add(other, ec);
                 if (ec != errc::watch_limit_reached)
                   return "add of a second root after the limit: " + ec.message();
                 if (monitor.roots().size() != 1)
                   return "the refused root is listed";
                 return {};
               });
}

BOOST_AUTO_TEST_CASE(inotify_init_refused,
                     *boost::unit_test::precondition(asio_fswatch::test::scenario_may_run_in_a_fork)) {
  asio_fswatch::test::temp_dir tmp("faults");
  const fs::path root = tmp.path();
  // EMFILE from inotify_init1 with descriptors to spare: the user's instances are used up.
  run_scenario([] { return asio_fswatch::test::refuse_syscall(__NR_inotify_init1, EMFILE); },
               [&]() -> std::string {
                 boost::asio::io_context ioc;
                 directory_monitor monitor(ioc);
                 boost::system::error_code ec;
                 monitor.add(root, ec);
                 if (ec != errc::instance_limit_reached)
                   return "inotify_init1 failing with EMFILE: " + ec.message();
                 if (ec.message().find("fs.inotify.max_user_instances") == std::string::npos)
                   return "the message does not name the sysctl: " + ec.message();
                 try {
                   monitor.add(root);
                   return "the throwing add did not throw";
                 } catch (const fs::filesystem_error& e) {
                   if (e.code() != make_error_code(errc::instance_limit_reached) || e.path1() != root)
                     return std::string("unexpected exception: ") + e.what();
                 }
                 return {};
               });
  // No inotify in the kernel (ENOSYS): automatic falls back to polling, a forced inotify says so.
  run_scenario([] { return asio_fswatch::test::refuse_syscall(__NR_inotify_init1, ENOSYS); },
               [&]() -> std::string {
                 boost::asio::io_context ioc;
                 asio_fswatch::monitor_options forced;
                 forced.backend = asio_fswatch::backend::inotify;
                 directory_monitor strict(ioc, forced);
                 boost::system::error_code ec;
                 strict.add(root, ec);
                 if (ec != std::errc::function_not_supported)
                   return "forced inotify without inotify: " + ec.message();
                 asio_fswatch::monitor_options automatic;
                 automatic.poll_interval = 20ms;
                 directory_monitor monitor(ioc, automatic);
                 monitor.add(root, ec);
                 if (ec)
                   return "automatic without inotify: " + ec.message();
                 std::ofstream(root / "polled") << "x";
                 collection c = collect_until(ioc, monitor, saw(event_kind::created, root / "polled"), 200ms, 30s);
                 if (c.timed_out)
                   return "the poll fallback reported nothing within 30 s";
                 return {};
               });
}

BOOST_AUTO_TEST_CASE(full_descriptor_table_is_not_an_instance_limit,
                     *boost::unit_test::precondition(asio_fswatch::test::scenario_may_run_in_a_fork)) {
  asio_fswatch::test::temp_dir tmp("faults");
  const fs::path root = tmp.path();
  run_scenario(
      [] {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = 64;
        return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
      },
      [&]() -> std::string {
        boost::asio::io_context ioc; // its own descriptors first
        directory_monitor monitor(ioc);
        // UBSan checks an object's dynamic type the first time a process meets it, through a
        // pipe (two descriptors): the error category's check is made before the table is full
        // (as the first test of a process, this one found it without a descriptor: "invalid vptr").
        const boost::system::error_code warm(EMFILE, boost::system::system_category());
        if (!(warm == std::errc::too_many_files_open) || warm.message().empty())
          return "EMFILE is not too_many_files_open";
        std::vector<int> filler;
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
          filler.push_back(fd);
        if (errno != EMFILE)
          return std::string("filling the descriptor table stopped with: ") + std::strerror(errno);
        boost::system::error_code ec;
        monitor.add(root, ec);
        const bool right = ec == std::errc::too_many_files_open;
        const std::string message = ec.message();
        for (int fd : filler)
          ::close(fd);
        if (!right)
          return "add with no descriptor left: " + message + " (want: too many open files)";
        // With descriptors again, the same monitor works.
        monitor.add(root, ec);
        if (ec)
          return "add once descriptors are free: " + ec.message();
        std::ofstream(root / "f") << "x";
        if (collect_until(ioc, monitor, saw(event_kind::created, root / "f"), 200ms, 30s).timed_out)
          return "no event after the recovery";
        return {};
      });
}

BOOST_AUTO_TEST_CASE(tiny_kernel_queue_overflows_and_is_reconciled) {
  const char* const file = "/proc/sys/fs/inotify/max_queued_events";
  const std::optional<long> original = read_limit(file);
  if (::geteuid() != 0) {
    asio_fswatch::test::skip("root", "setting fs.inotify.max_queued_events needs root");
    return;
  }
  if (!original) {
    asio_fswatch::test::skip("inotify_sysctl", std::string(file) + " cannot be read here");
    return;
  }
  asio_fswatch::test::monitor_fixture f;
  fs::create_directories(f.root / "rename_me" / "sub");
  fs::create_directories(f.root / "delete_me" / "sub");
  for (int i = 0; i < 5; ++i)
    std::ofstream(f.root / "delete_me" / "sub" / ("f" + std::to_string(i))) << "x";
  asio_fswatch::test::tree_snapshot start = asio_fswatch::test::snapshot_of(f.root);

  directory_monitor monitor(f.ioc);
  {
    // The kernel copies the limit into each inotify instance when it is created: the host's
    // value is back as soon as the monitor has its instance, whatever happens next.
    if (!write_limit(file, 32)) {
      asio_fswatch::test::skip("inotify_sysctl", std::string(file) + " is not writable here");
      return;
    }
    boost::system::error_code ec;
    monitor.add(f.root, ec);
    const bool restored = write_limit(file, *original);
    BOOST_TEST_REQUIRE(restored, "could not restore " << file << " to " << *original);
    BOOST_TEST_REQUIRE(!ec, ec.message());
  }
  // No read is pending: a few hundred records against a queue of 32.
  for (int i = 0; i < 300; ++i)
    std::ofstream(f.root / ("file" + std::to_string(i))) << "x";
  fs::rename(f.root / "rename_me", f.root / "renamed");
  fs::remove_all(f.root / "delete_me");
  fs::create_directories(f.root / "new" / "deep");
  std::ofstream(f.root / "new" / "deep" / "inside") << "x";

  collection c = asio_fswatch::test::collect_until_quiet(f.ioc, monitor, 500ms, 90s);
  REQUIRE_COLLECTED(c, "the overflow's events to go quiet");
  BOOST_TEST(asio_fswatch::test::count_events(c.events, event_kind::overflow, f.root) >= 1u,
             "no overflow event with a queue of 32:\n"
                 << dump(c.events));
  std::vector<fs_event> changes;
  for (const fs_event& e : c.events)
    if (e.kind != event_kind::overflow)
      changes.push_back(e);
  asio_fswatch::test::check_replay(start, changes, asio_fswatch::test::snapshot_of(f.root));
  // Every directory is watched under its current name after the reconciliation.
  std::ofstream(f.root / "renamed" / "sub" / "after") << "x";
  std::ofstream(f.root / "new" / "deep" / "after") << "x";
  c = collect_until(f.ioc, monitor,
                    [&](const collection& got) {
                      return has_event(got.events, event_kind::created, f.root / "renamed" / "sub" / "after") &&
                             has_event(got.events, event_kind::created, f.root / "new" / "deep" / "after");
                    },
                    200ms, 30s);
  BOOST_TEST(!c.timed_out, "directories not watched after the reconciliation:\n" << dump(c.events));
}

// A bind mount that loops back into the tree is refused (an `error` naming it, never entered),
// with the real kernel: root makes the mount in a mount namespace of a forked child. The check
// tells it apart from a race by the mount id (issue 12, 2.6: the same inode at two paths of one
// mount was a rename straddling the two looks, never a loop).
BOOST_AUTO_TEST_CASE(bind_mount_loop_is_refused_not_entered,
                     *boost::unit_test::precondition(asio_fswatch::test::scenario_may_run_in_a_fork)) {
  if (::geteuid() != 0) {
    asio_fswatch::test::skip("root", "a bind mount needs root");
    return;
  }
  asio_fswatch::test::temp_dir tmp("mounts");
  const fs::path root = tmp.path() / "root";
  fs::create_directories(root / "d" / "f" / "loop");
  const int status = asio_fswatch::test::in_child(
      [&] {
        // A mount namespace of its own, private, so that nothing propagates to the host.
        return ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
               ::mount((root / "d").c_str(), (root / "d" / "f" / "loop").c_str(), nullptr, MS_BIND, nullptr) == 0;
      },
      [&] {
        boost::asio::io_context ioc;
        directory_monitor monitor(ioc);
        boost::system::error_code ec;
        monitor.add(root, ec);
        if (ec) {
          std::fprintf(stderr, "mount scenario: add: %s\n", ec.message().c_str());
          return false;
        }
        std::ofstream(root / "d" / "file") << "x";
        collection c = collect_until(ioc, monitor, saw(event_kind::created, root / "d" / "file"), 200ms, 30s);
        const bool refused = has_error_event(c.events, root / "d" / "f" / "loop", errc::already_watched);
        std::size_t errors = 0;
        for (const fs_event& e : c.events)
          errors += e.kind == event_kind::error;
        if (c.timed_out || !refused || errors != 1) {
          std::fprintf(stderr, "mount scenario: events:\n%s", dump(c.events).c_str());
          return false;
        }
        return true;
      });
  if (status == 2) {
    asio_fswatch::test::skip("mount_namespace", "unshare(CLONE_NEWNS) or the bind mount was refused here");
    return;
  }
  BOOST_TEST(status == 0, "the bind mount scenario failed (child status " << status << ", reason on stderr)");
}

BOOST_AUTO_TEST_SUITE_END()
