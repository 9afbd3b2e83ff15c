// SPDX-License-Identifier: BSL-1.0
// A directory created while its parent could not be searched (mode 644 or 000), on the real
// kernel, inotify and poll: the monitor cannot watch or list it then, and says so once; when the
// parent opens again, what the directory holds is reported and it is watched from then on
// (doc/guarantees.md, hostile input). The watcher must not be root (root bypasses permission
// bits), and nobody cannot make anything inside such a parent either: the scenario runs as
// nobody in a forked child that keeps root as its saved uid and makes the directory as root for
// a moment.
#include <asio_fswatch/directory_monitor.hpp>

#include <common/as_nobody.hpp>
#include <common/exact_events.hpp>
#include <common/monitor_collect.hpp>
#include <common/seccomp.hpp>
#include <common/skip.hpp>
#include <common/tree_replay.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace sys = boost::system;

using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::entry_type;
using asio_fswatch::fs_event;
using namespace asio_fswatch::test; // the test support in common/

constexpr entry_type file = entry_type::file;
constexpr entry_type dir = entry_type::directory;

const sys::error_code permission_denied(EACCES, sys::system_category());

void give_to_nobody(const std::string& path) {
  must(::lchown(path.c_str(), nobody_id, nobody_id) == 0, "chown " + path);
}

/// As nobody, with root as the saved uid: `p` (holding `old`) is closed with `closed_mode`; root
/// makes p/new with a file and a subdirectory in it; `p` opens again; changes inside p/new
/// follow.
void unsearchable_parent_scenario(const std::string& root, backend which, mode_t closed_mode) {
  const bool poll = which == backend::poll;
  const std::string p = root + "/p", old = p + "/old", fresh = p + "/new";
  must_mkdir(p);
  must_create(old);
  const tree_snapshot start = snapshot_of(root);
  asio::io_context ioc;
  directory_monitor monitor(ioc, options_for(which));
  sys::error_code ec;
  monitor.add(root, ec);
  must(!ec, "add: " + ec.message());
  std::vector<fs_event> all;

  // Closed. inotify keeps the watch on `p` (permission counts when a watch is added). The poll
  // backend lists `p` again: with mode 644 it reads the names but cannot look at the entries
  // (one error names `old`, nothing else is said of it); with mode 000 it cannot list `p` (one
  // error names `p`, and what it held is reported removed, since nothing in it can be seen).
  const bool listable = closed_mode == 0644;
  must_chmod(p, closed_mode);
  if (!poll)
    child_step(ioc, monitor, "parent closed", {attributes(p, dir)}, order::exact, all);
  else if (listable)
    child_step(ioc, monitor, "parent closed", {attributes(p, dir), failed(old, permission_denied, file)},
               order::any, all);
  else
    child_step(ioc, monitor, "parent closed",
               {attributes(p, dir), failed(p, permission_denied, dir), removed(old, file)}, order::any, all);

  // Root makes a directory with content inside the closed parent, and gives it to nobody.
  // inotify reports it by the parent's watch, cannot watch it (no search permission in `p`) and
  // says so once; what it holds is out of sight; the change of owner is reported too. The poll
  // backend, with mode 644, reports it and says once that it cannot look into it; with mode
  // 000 it sees nothing of it yet.
  as_root_for_a_moment([&] {
    must_mkdir(fresh);
    must_create(fresh + "/file");
    must_mkdir(fresh + "/sub");
    for (const std::string& path : {fresh, fresh + "/file", fresh + "/sub"})
      give_to_nobody(path);
  });
  must_create(root + "/marker");
  const fs_event marker = created(root + "/marker", file);
  if (!poll)
    child_step(ioc, monitor, "directory made in the closed parent",
               {created(fresh, dir), failed(fresh, permission_denied, dir), attributes(fresh, dir), marker},
               order::exact, all);
  else if (listable)
    child_step(ioc, monitor, "directory made in the closed parent",
               {created(fresh, dir), failed(fresh, permission_denied, dir), marker}, order::any, all);
  else
    child_step(ioc, monitor, "directory made in the closed parent", {marker}, order::exact, all);

  // Open again: everything the parent holds is reported and watched. inotify retries, on the
  // parent's `attributes`, each directory an error named below it.
  must_chmod(p, 0755);
  std::vector<fs_event> opened{attributes(p, dir), created(fresh + "/file", file), created(fresh + "/sub", dir)};
  // The poll backend lists `p` again at its next scan. With mode 000 it had seen nothing of it
  // meanwhile; with mode 644 it compares the new directory's status, out of reach until now,
  // anew (its owner did change).
  if (poll && listable)
    opened.push_back(attributes(fresh, dir));
  if (poll && !listable) {
    opened.push_back(created(old, file));
    opened.push_back(created(fresh, dir));
  }
  child_step(ioc, monitor, "parent open again", opened, order::any, all);

  // Watched now: later changes inside the new directory, and inside its subdirectory, come.
  must_create(fresh + "/later");
  must_mkdir(fresh + "/sub/deeper");
  child_step(ioc, monitor, "the new directory is watched",
             {created(fresh + "/later", file), created(fresh + "/sub/deeper", dir)},
             poll ? order::any : order::exact, all);
  must_create(fresh + "/sub/deeper/last");
  child_step(ioc, monitor, "and what it holds", {created(fresh + "/sub/deeper/last", file)}, order::exact, all);
  child_replay(start, all, snapshot_of(root), "at the end");
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

// Regression (issue 12, 2.2; fixed by watch_engine::retry_problem_directories): the directory
// was reported once as an error and never watched, even after its parent opened again; what it
// held and every later change in it were lost.
BOOST_AUTO_TEST_CASE(directory_created_under_an_unsearchable_parent_is_watched_when_it_opens,
                     *boost::unit_test::precondition(scenario_may_run_in_a_fork)) {
  if (::geteuid() != 0) {
    skip("root", "needs root to give the tree to nobody (65534) and run as nobody");
    return;
  }
  for (backend which : monitor_backends()) {
    for (mode_t closed_mode : {mode_t{0644}, mode_t{0}}) {
      BOOST_TEST_CONTEXT("backend " << name_of(which) << ", parent closed with mode "
                                     << (closed_mode == 0 ? "000" : "644")) {
        monitor_fixture f;
        BOOST_TEST_REQUIRE(::chown(f.root.c_str(), nobody_id, nobody_id) == 0, std::strerror(errno));
        const std::string root = f.root.native();
        run_as_nobody([&] { unsearchable_parent_scenario(root, which, closed_mode); }, saved_root::kept);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
