// SPDX-License-Identifier: BSL-1.0
// Integration tests of snapshots (snapshot.hpp) on the real file system, Linux and Windows:
// the events since a snapshot replay to the tree now, a tree moved with its snapshot still
// compares, and a missing, foreign or damaged snapshot file is a clear error.
#include <common/monitor_collect.hpp>
#include <common/temp_dir.hpp>

#include <asio_fswatch/error.hpp>
#include <asio_fswatch/snapshot.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace fs = std::filesystem;
namespace sys = boost::system;
using asio_fswatch::entry_type;
using asio_fswatch::errc;
using asio_fswatch::event_kind;
using asio_fswatch::events_since;
using asio_fswatch::fs_event;
using asio_fswatch::update_snapshot;
using asio_fswatch::watch_options;
using asio_fswatch::write_snapshot;
using asio_fswatch::test::tree_snapshot;

namespace {

namespace test = asio_fswatch::test;

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A file changed less than 50 ms before a scan counts as changed at the next comparison (its
// status cannot tell a second change in the same clock tick): the cases that expect nothing to
// be reported let the clock move past their changes first.
void let_the_clock_move() { std::this_thread::sleep_for(std::chrono::milliseconds(120)); }

struct snapshot_fixture {
  test::temp_dir tmp;
  fs::path root = tmp / "tree";
  fs::path file = tmp / "tree.snapshot"; // beside the tree, not in it
  snapshot_fixture() {
    fs::create_directories(root / "src" / "deep");
    fs::create_directories(root / "docs");
    test::write_text(root / "src" / "main.cpp", "int main() {}");
    test::write_text(root / "src" / "deep" / "data.txt", "data");
    test::write_text(root / "docs" / "readme.md", "read me");
    test::write_text(root / "becomes_a_directory");
    let_the_clock_move();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(snapshot_portable)

BOOST_FIXTURE_TEST_CASE(the_events_since_a_snapshot_replay_to_the_tree_now, snapshot_fixture) {
  write_snapshot(root, file);
  const tree_snapshot before = test::snapshot_of(root);
  BOOST_TEST(events_since(file, root).empty(), "nothing changed yet");

  test::write_text(root / "src" / "main.cpp", "int main() { return 0; }");
  fs::remove_all(root / "docs");
  fs::rename(root / "src" / "deep", root / "deeper");
  fs::remove(root / "becomes_a_directory");
  fs::create_directories(root / "becomes_a_directory" / "inside");
  fs::create_directories(root / "new" / "tree");
  test::write_text(root / "new" / "tree" / "file");

  const std::vector<fs_event> events = events_since(file, root);
  test::check_replay(before, events, test::snapshot_of(root));
  BOOST_TEST(test::has_event(events, event_kind::modified, root / "src" / "main.cpp"), test::dump(events));
  BOOST_TEST(test::has_event(events, event_kind::removed, root / "src" / "deep"), test::dump(events));
  BOOST_TEST(test::has_event(events, event_kind::created, root / "deeper" / "data.txt"), test::dump(events));
  for (const fs_event& e : events) // spelled as the monitor spells it: '\\' on Windows
    BOOST_TEST((e.root.native() == fs::path(root).lexically_normal().make_preferred().native()), e);

  // A new snapshot is the new starting point; the old one still tells the same.
  let_the_clock_move();
  const fs::path second = tmp / "second.snapshot";
  write_snapshot(root, second);
  BOOST_TEST(events_since(second, root).empty());
  BOOST_TEST(events_since(file, root).size() == events.size());
  // Written over, the file holds the new picture.
  write_snapshot(root, file);
  BOOST_TEST(events_since(file, root).empty());
  std::size_t files_beside = 0;
  for (const auto& entry : fs::directory_iterator(tmp.path()))
    files_beside += entry.is_regular_file();
  BOOST_TEST(files_beside == 2u, "the two snapshots beside the tree, and no partial file");
}

BOOST_FIXTURE_TEST_CASE(the_filters_apply_to_the_picture, snapshot_fixture) {
  watch_options options;
  options.exclude = {"docs/"};
  options.ignore_files = {".gitignore"};
  test::write_text(root / ".gitignore", "*.txt\n");
  let_the_clock_move();
  write_snapshot(root, file, options);
  test::write_text(root / "docs" / "more.md");
  test::write_text(root / "src" / "deep" / "more.txt");
  test::write_text(root / "src" / "shown.cpp");
  const std::vector<fs_event> events = events_since(file, root, options);
  BOOST_TEST(events.size() == 1u, test::dump(events));
  BOOST_TEST(test::has_event(events, event_kind::created, root / "src" / "shown.cpp"), test::dump(events));
  // Without the filters, what they hid is new to the picture.
  const std::vector<fs_event> unfiltered = events_since(file, root);
  BOOST_TEST(test::has_event(unfiltered, event_kind::created, root / "docs" / "readme.md"), test::dump(unfiltered));
  BOOST_TEST(test::has_event(unfiltered, event_kind::created, root / "src" / "deep" / "data.txt"));
}

BOOST_FIXTURE_TEST_CASE(update_snapshot_moves_on_with_nothing_lost_between_runs, snapshot_fixture) {
  sys::error_code ec;
  BOOST_TEST(update_snapshot(file, root, {}, ec).empty());
  BOOST_TEST((ec == sys::errc::no_such_file_or_directory), "no snapshot yet: " << ec.message());
  BOOST_TEST(!fs::exists(file), "update_snapshot does not create one");
  write_snapshot(root, file);
  tree_snapshot expected = test::snapshot_of(root);
  for (int run = 0; run < 4; ++run) {
    // Changes, then one run: the events of the runs, one after the other, replay to the tree.
    test::write_text(root / "src" / ("added" + std::to_string(run)), std::string(std::size_t(run) + 1, 'x'));
    test::write_text(root / "src" / "main.cpp", std::string(std::size_t(run) + 30, 'y'));
    if (run == 2)
      fs::remove_all(root / "docs");
    const std::vector<fs_event> events = update_snapshot(file, root);
    test::check_replay(expected, events, test::snapshot_of(root));
    expected = test::snapshot_of(root);
    BOOST_TEST(test::has_event(events, event_kind::modified, root / "src" / "main.cpp"), test::dump(events));
  }
  // The files the last run saw just changed may be reported once more (racy), then nothing.
  let_the_clock_move();
  for (const fs_event& e : update_snapshot(file, root))
    BOOST_TEST((e.kind == event_kind::modified && e.type == entry_type::file), e);
  BOOST_TEST(update_snapshot(file, root).empty());
  BOOST_TEST(events_since(file, root).empty());
}

BOOST_FIXTURE_TEST_CASE(a_snapshot_file_inside_its_tree_never_sees_itself, snapshot_fixture) {
  const fs::path inside = root / "docs" / "tree.snapshot";
  write_snapshot(root, inside);
  let_the_clock_move();
  BOOST_TEST(update_snapshot(inside, root).empty());
  BOOST_TEST(update_snapshot(inside, root).empty(), "the file replaced by the last update is not reported");
  test::write_text(root / "docs" / "more.md");
  const std::vector<fs_event> events = update_snapshot(inside, root);
  BOOST_TEST(events.size() == 1u, test::dump(events));
}

BOOST_FIXTURE_TEST_CASE(include_patterns_apply, snapshot_fixture) {
  watch_options options;
  options.include = {"*.md"};
  write_snapshot(root, file, options);
  test::write_text(root / "src" / "new.cpp");
  test::write_text(root / "docs" / "new.md");
  const std::vector<fs_event> events = events_since(file, root, options);
  BOOST_TEST(events.size() == 1u, test::dump(events));
  BOOST_TEST(test::has_event(events, event_kind::created, root / "docs" / "new.md"), test::dump(events));
}

BOOST_FIXTURE_TEST_CASE(a_tree_moved_with_its_snapshot_still_compares, snapshot_fixture) {
  write_snapshot(root, file);
  const fs::path moved = tmp / "moved";
  fs::rename(root, moved);
  BOOST_TEST(events_since(file, moved).empty());
  test::write_text(moved / "docs" / "readme.md", "read me again");
  const std::vector<fs_event> events = events_since(file, moved);
  BOOST_TEST(events.size() == 1u, test::dump(events));
  BOOST_TEST(test::has_event(events, event_kind::modified, moved / "docs" / "readme.md"), test::dump(events));
}

BOOST_FIXTURE_TEST_CASE(a_missing_foreign_or_damaged_file_is_a_clear_error, snapshot_fixture) {
  sys::error_code ec;
  BOOST_TEST(events_since(file, root, {}, ec).empty());
  BOOST_TEST((ec == sys::errc::no_such_file_or_directory), ec.message());

  write_bytes(file, "{\"kind\":\"created\"}\n");
  BOOST_TEST(events_since(file, root, {}, ec).empty());
  BOOST_TEST((ec == errc::invalid_snapshot), ec.message());

  write_snapshot(root, file);
  const std::string good = read_bytes(file);
  write_bytes(file, good.substr(0, good.size() / 2));
  BOOST_TEST(events_since(file, root, {}, ec).empty());
  BOOST_TEST((ec == errc::invalid_snapshot), ec.message());
  std::string changed = good;
  changed[changed.size() / 2] = static_cast<char>(changed[changed.size() / 2] ^ 0x20);
  write_bytes(file, changed);
  BOOST_TEST(events_since(file, root, {}, ec).empty());
  BOOST_TEST((ec == errc::invalid_snapshot), ec.message());
  try {
    events_since(file, root);
    BOOST_TEST(false, "events_since did not throw");
  } catch (const fs::filesystem_error& e) {
    BOOST_TEST((e.code() == std::error_code(make_error_code(errc::invalid_snapshot))), e.what());
    BOOST_TEST(e.path1() == file);
  }

  // A directory is no snapshot file; a root that is gone or a file is add()'s error.
  BOOST_TEST(events_since(root, root, {}, ec).empty());
  BOOST_TEST(!!ec);
  write_bytes(file, good);
  BOOST_TEST(events_since(file, tmp / "none", {}, ec).empty());
  BOOST_TEST((ec == sys::errc::no_such_file_or_directory), ec.message());
  write_snapshot(root / "src" / "main.cpp", tmp / "file.snapshot", {}, ec);
  BOOST_TEST((ec == sys::errc::not_a_directory), ec.message());
  BOOST_TEST(!fs::exists(tmp / "file.snapshot"));
  write_snapshot(root, tmp / "no" / "such" / "dir", {}, ec);
  BOOST_TEST(!!ec, "a snapshot file in a missing directory");
  watch_options bad;
  bad.exclude = {"[unterminated"};
  write_snapshot(root, tmp / "bad.snapshot", bad, ec);
  BOOST_TEST((ec == errc::invalid_pattern), ec.message());
}

BOOST_AUTO_TEST_SUITE_END()
