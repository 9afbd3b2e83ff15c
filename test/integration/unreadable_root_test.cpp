// SPDX-License-Identifier: BSL-1.0
// A watched root made unreadable (mode 0300: nobody can list it or add a watch on it, and can
// still work inside it) on the real kernel, inotify and poll, while the monitor has to rescan
// (inotify: the kernel queue overflows; poll: every scan). The monitor says so once and keeps
// the root: no `removed`, no `root_removed`. Once the root is readable again (inotify: its
// IN_ATTRIB), the rescan is done and reports what changed meanwhile (doc/guarantees.md, hostile
// input). The watcher must not be root (root bypasses permission bits): the scenario runs as
// nobody in a forked child.
#include <asio_fswatch/directory_monitor.hpp>

#include <common/as_nobody.hpp>
#include <common/exact_events.hpp>
#include <common/monitor_collect.hpp>
#include <common/proc_limits.hpp>
#include <common/seccomp.hpp>
#include <common/skip.hpp>
#include <common/tree_replay.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace sys = boost::system;
using namespace std::chrono_literals;

using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using namespace asio_fswatch::test; // the test support in common/

constexpr entry_type file = entry_type::file;
constexpr entry_type dir = entry_type::directory;

const sys::error_code permission_denied(EACCES, sys::system_category());

/// Everything until `done` holds (null: at once) and then quiet, added to `all`; throws if the
/// reading did not end well.
std::vector<fs_event> until_quiet(asio::io_context& ioc, directory_monitor& monitor, const std::string& what,
                                  std::vector<fs_event>& all, predicate done = nullptr) {
  collection c = collect(ioc, monitor, std::move(done), 500ms, 120s);
  all.insert(all.end(), c.events.begin(), c.events.end());
  if (c.timed_out || c.stuck || !c.errors.empty())
    throw std::runtime_error(what + ": the events did not go quiet");
  return c.events;
}

/// As nobody: the root made unreadable while a rescan is due, then readable again.
void unreadable_root_scenario(const std::string& root, backend which) {
  const bool poll = which == backend::poll;
  const std::string sub = root + "/sub";
  must_mkdir(sub);
  must_create(root + "/kept");
  must_create(sub + "/kept");
  const tree_snapshot start = snapshot_of(root);
  asio::io_context ioc;
  directory_monitor monitor(ioc, options_for(which));
  sys::error_code ec;
  monitor.add(root, ec);
  must(!ec, "add: " + ec.message());
  std::vector<fs_event> all;

  must_chmod(root, 0300);
  if (!poll)
    child_step(ioc, monitor, "root made unreadable", {attributes(root, dir)}, order::exact, all);
  // inotify: the kernel queue overflows (no read pending), and the rescan cannot watch the
  // root again. poll: the next scans cannot list it.
  const std::size_t files = poll ? 3 : max_queued_events() + 256;
  for (std::size_t i = 0; i < files; ++i)
    must_create(sub + "/bulk" + std::to_string(i));
  const std::vector<fs_event> closed = until_quiet(ioc, monitor, "while unreadable", all);
  std::size_t overflows = 0;
  std::vector<fs_event> errors;
  for (const fs_event& e : closed) {
    if (e.kind == event_kind::overflow)
      ++overflows;
    else if (e.kind == event_kind::error)
      errors.push_back(e);
    else if (e.kind == event_kind::removed)
      throw std::runtime_error("while unreadable, an entry reported removed: " + describe(e));
  }
  if (!poll && overflows == 0)
    throw std::runtime_error("no overflow after " + std::to_string(files) + " unread records");
  std::string problem = mismatch(errors, {failed(root, permission_denied, dir)}, order::exact);
  if (!problem.empty())
    throw std::runtime_error("while unreadable, errors: " + problem);
  if (monitor.roots().size() != 1u)
    throw std::runtime_error("the root was dropped while unreadable");

  // inotify keeps its watches meanwhile: a change in a subdirectory comes as before.
  if (!poll) {
    must_create(sub + "/meanwhile");
    child_step(ioc, monitor, "a subdirectory is still watched", {created(sub + "/meanwhile", file)},
               order::exact, all);
  }

  // Readable again: the rescan is done (inotify: on the root's IN_ATTRIB; poll: at its next
  // scan), and what changed meanwhile is reported.
  // inotify: the root's IN_ATTRIB starts the rescan, and its attributes event comes once the
  // rescan is done: waited for, rather than taking a quiet moment for the end (a rescan of this
  // many entries can outlast the quiet period on a loaded machine).
  must_chmod(root, 0755);
  until_quiet(ioc, monitor, "readable again", all, poll ? nullptr : saw(event_kind::attributes, root));
  child_replay(start, all, snapshot_of(root), "readable again");
  must_create(root + "/after");
  child_step(ioc, monitor, "the root is watched again", {created(root + "/after", file)}, order::exact, all);
  child_replay(start, all, snapshot_of(root), "at the end");
}

} // namespace

BOOST_AUTO_TEST_SUITE(unreadable_root)

BOOST_AUTO_TEST_CASE(root_made_unreadable_while_a_rescan_is_due_stays_watched,
                     *boost::unit_test::precondition(scenario_may_run_in_a_fork)) {
  if (::geteuid() != 0) {
    asio_fswatch::test::skip("root", "needs root to give the tree to nobody (65534) and run as nobody");
    return;
  }
  for (backend which : monitor_backends()) {
    BOOST_TEST_CONTEXT("backend " << name_of(which)) {
      monitor_fixture f;
      BOOST_TEST_REQUIRE(::chown(f.root.c_str(), nobody_id, nobody_id) == 0, std::strerror(errno));
      const std::string root = f.root.native();
      run_as_nobody([&] { unreadable_root_scenario(root, which); });
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
