// SPDX-License-Identifier: BSL-1.0
// Integration tests of ignore files (watch_options::ignore_files) on every backend the build
// has (inotify, ReadDirectoryChangesW, poll): what a .gitignore ignores is not listed nor
// reported; rewriting it shows and hides entries, and the events replay to the tree it lets
// through. (ignore_git_conformance_test.cpp compares with git itself, on Linux.)
#include <common/monitor_collect.hpp>

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using asio_fswatch::directory_monitor;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::watch_options;
using asio_fswatch::test::collection;
using asio_fswatch::test::monitor_fixture;
using asio_fswatch::test::tree_snapshot;

namespace {

namespace test = asio_fswatch::test;

// The real tree without what `hidden` names (paths relative to `root`, with what is below).
tree_snapshot without(const fs::path& root, std::initializer_list<const char*> hidden) {
  tree_snapshot tree = test::snapshot_of(root);
  for (const char* relative : hidden) {
    // The snapshot's paths are generic ('/'), as detail::generic_path_text writes them.
    const std::string base = asio_fswatch::detail::generic_path_text(root / relative);
    for (auto it = tree.begin(); it != tree.end();)
      if (it->first == base || it->first.compare(0, base.size() + 1, base + '/') == 0)
        it = tree.erase(it);
      else
        ++it;
  }
  return tree;
}

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_ignore_portable)

BOOST_DATA_TEST_CASE_F(monitor_fixture, rewriting_a_gitignore_shows_and_hides, test::portable_backends()) {
  fs::create_directories(root / "build" / "obj");
  fs::create_directories(root / "src");
  test::write_text(root / "build" / "obj" / "x.o");
  test::write_text(root / "src" / "a.log");
  test::write_text(root / "src" / "a.c");
  test::write_text(root / ".gitignore", "build/\n*.log\n");
  directory_monitor monitor(ioc, test::portable_options(sample));
  watch_options options;
  options.ignore_files = {".gitignore"};
  options.initial_listing = true;
  monitor.add(root, options);
  collection listed = test::collect_until_quiet(ioc, monitor);
  tree_snapshot seen{{asio_fswatch::detail::generic_path_text(root), entry_type::directory}};
  test::check_replay(seen, listed.events, without(root, {"build", "src/a.log"}));
  BOOST_TEST(!test::has_event(listed.events, event_kind::created, root / "build"));

  // Nothing ignored is reported when it changes.
  test::write_text(root / "src" / "b.log");
  test::write_text(root / "build" / "obj" / "y.o");
  test::write_text(root / "src" / "b.c");
  collection quiet = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "src" / "b.c"));
  for (const auto& e : quiet.events)
    BOOST_TEST(e.path.string().find(".log") == std::string::npos, "reported: " << e);

  // Rewritten: build/ is shown with what it holds, the logs hidden still; then *.log shown.
  const tree_snapshot before = without(root, {"build", "src/a.log", "src/b.log"});
  test::write_text(root / ".gitignore", "*.log\n");
  collection shown = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "build" / "obj" / "y.o"));
  test::check_replay(before, shown.events, without(root, {"src/a.log", "src/b.log"}));
  const tree_snapshot with_the_file = without(root, {"src/a.log", "src/b.log"});
  fs::remove(root / ".gitignore");
  collection all = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "src" / "b.log"));
  test::check_replay(with_the_file, all.events, test::snapshot_of(root));
}

BOOST_AUTO_TEST_SUITE_END()
