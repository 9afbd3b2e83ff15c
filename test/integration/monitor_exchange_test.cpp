// SPDX-License-Identifier: BSL-1.0
// Integration tests of the directory monitor with the real kernel: renameat2(RENAME_EXCHANGE)
// is reported as one `exchanged` event (inotify), later events inside swapped directories carry
// their new paths, and the replay invariant holds; the poll backend reports removed + created.
#include <asio_fswatch/directory_monitor.hpp>

#include <common/monitor_collect.hpp>
#include <common/tree_replay.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::monitor_options;
using namespace asio_fswatch::test;

constexpr unsigned rename_exchange = 1u << 1; // RENAME_EXCHANGE, <linux/fs.h>

// renameat2 through syscall(2): glibc has had a wrapper only since 2.28, and a kernel or file
// system may refuse the flag (EINVAL, ENOSYS): then the test says it is skipped.
bool exchange(const fs::path& a, const fs::path& b, std::string& why_not) {
  if (::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), rename_exchange) == 0)
    return true;
  why_not = std::strerror(errno);
  return false;
}

void write_file(const fs::path& path, const std::string& content = "x") {
  std::ofstream(path) << content;
}

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_exchange)

BOOST_FIXTURE_TEST_CASE(swapped_entries_of_every_kind_are_exchanged, monitor_fixture,
                        *asio_fswatch::test::linux_only("inotify")) {
  fs::create_directories(root / "one/sub");
  write_file(root / "one/sub/y");
  fs::create_directories(root / "two/deep");
  write_file(root / "file_a");
  write_file(root / "file_b");
  fs::create_directories(root / "p/q");
  write_file(root / "p/q/f");
  fs::create_symlink("elsewhere", root / "link");
  tree_snapshot start = snapshot_of(root);
  directory_monitor monitor(ioc);
  BOOST_TEST_REQUIRE((monitor.backend() == backend::inotify));
  monitor.add(root);
  std::string why_not;
  if (!exchange(root / "file_a", root / "file_b", why_not)) {
    BOOST_TEST_MESSAGE("skipped: renameat2(RENAME_EXCHANGE) refused here: " << why_not);
    return;
  }
  // One swap at a time: the type of a non-directory is looked at when its records are handled
  // (as for a rename), and a later swap of the same name would make that look meet another one.
  struct expected_swap {
    fs::path old_path;   // the renameat2 source: now holds what path held
    fs::path path;
    entry_type type;     // now at path
    entry_type old_type; // now at old_path
  };
  collection c;
  bool first = true;
  for (const expected_swap& x :
       {expected_swap{root / "file_a", root / "file_b", entry_type::file, entry_type::file},
        {root / "one", root / "two", entry_type::directory, entry_type::directory},
        {root / "one", root / "p/q/f", entry_type::directory, entry_type::file}, // across parents
        {root / "link", root / "file_a", entry_type::symlink, entry_type::file}}) {
    if (!first)
      BOOST_TEST_REQUIRE(exchange(x.old_path, x.path, why_not), why_not);
    first = false;
    collection step = collect_until(ioc, monitor, saw(event_kind::exchanged, x.path));
    REQUIRE_COLLECTED(step, "exchanged " << x.old_path << " <-> " << x.path);
    BOOST_TEST_REQUIRE(step.events.size() == 1u, dump(step.events));
    const fs_event& e = step.events.front();
    BOOST_TEST((e.old_path == x.old_path), e);
    BOOST_TEST((e.type == x.type), e);
    BOOST_TEST((e.old_type == x.old_type), e);
    c.append(std::move(step));
  }

  // The watches went with the directories: /r/two holds what /r/one held (sub/y), /r/p/q/f what
  // /r/two held (deep).
  write_file(root / "p/q/f/deep/new");
  write_file(root / "two/sub/y", "more");
  collection more = collect_until(ioc, monitor,
                                  saw_all({{event_kind::created, root / "p/q/f/deep/new"},
                                           {event_kind::modified, root / "two/sub/y"}}));
  REQUIRE_COLLECTED(more, "changes inside the swapped directories");
  c.append(std::move(more));
  check_replay(start, c, root);
}

BOOST_FIXTURE_TEST_CASE(poll_backend_reports_a_swap_as_removed_and_created, monitor_fixture) {
  fs::create_directories(root / "d/sub");
  write_file(root / "f");
  tree_snapshot start = snapshot_of(root);
  monitor_options options;
  options.backend = backend::poll;
  options.poll_interval = std::chrono::milliseconds(20);
  directory_monitor monitor(ioc, options);
  monitor.add(root);
  std::string why_not;
  if (!exchange(root / "d", root / "f", why_not)) {
    BOOST_TEST_MESSAGE("skipped: renameat2(RENAME_EXCHANGE) refused here: " << why_not);
    return;
  }
  collection c = collect_until(ioc, monitor, saw(event_kind::created, root / "f/sub"));
  REQUIRE_COLLECTED(c, "created " << root / "f/sub");
  check_replay(start, c, root);
}

BOOST_AUTO_TEST_SUITE_END()
