// SPDX-License-Identifier: BSL-1.0
// Snapshots (sans-io): the picture's file format (detail/snapshot_codec.hpp), refused whole when
// damaged or foreign, and the events since a picture (detail/snapshot_scan.hpp), which replay
// to the tree now, over the fake file system.
#include "unit/engine_fixture.hpp"

#include <asio_fswatch/detail/snapshot_codec.hpp>
#include <asio_fswatch/detail/snapshot_scan.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace asio_fswatch::test::engine_support;
using asio_fswatch::test::tree_snapshot;

namespace {

struct picture_fixture {
  fake_filesystem fake;

  detail::entry_tree scan(const std::string& root, const watch_options& options = {}) {
    detail::entry_tree picture;
    std::vector<fs_event> errors;
    std::int64_t scanned_ns = 0;
    const sys::error_code ec = detail::scan_picture(fake, root, options, picture, errors, scanned_ns);
    BOOST_TEST_REQUIRE(!ec, "scan_picture(" << root << "): " << ec.message());
    BOOST_TEST(errors.empty(), describe(errors));
    return picture;
  }
  // The picture through its file: encoded, then decoded.
  detail::entry_tree through_file(const detail::entry_tree& picture, const std::string& root) {
    sys::error_code ec = make_error_code(errc::not_watched);
    std::int64_t scanned_ns = 0;
    detail::entry_tree decoded = detail::decode_snapshot(detail::encode_snapshot(picture, 1234), root, scanned_ns, ec);
    BOOST_TEST(scanned_ns == 1234);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(decoded.check() == "");
    return decoded;
  }
};

// A snapshot file written field by field, independently of encode_snapshot, to build files
// whose checksum holds and whose structure does not.
struct file_builder {
  std::string bytes = std::string("asio_fswatch.snp", 16);
  template <typename Unsigned>
  file_builder& put(Unsigned value) {
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i)
      bytes.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xff));
    return *this;
  }
  file_builder& text(std::string_view t) {
    put(static_cast<std::uint32_t>(t.size()));
    bytes.append(t);
    return *this;
  }
  file_builder& header(std::uint64_t count, std::uint32_t version = 1, std::uint32_t flags = 0) {
    return put(version).put(flags).put(std::uint64_t{42}).put(count).text("/r");
  }
  file_builder& entry(std::uint32_t parent, entry_type type, std::string_view name) {
    put(parent).put(static_cast<std::uint8_t>(type)).text(name);
    for (int i = 0; i < 5; ++i)
      put(std::uint64_t{7});
    for (int i = 0; i < 5; ++i)
      put(std::uint32_t{7});
    return *this;
  }
  std::string signed_bytes() const {
    std::string out = bytes;
    const std::uint64_t sum = detail::snapshot_checksum(out);
    for (std::size_t i = 0; i < 8; ++i)
      out.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
    return out;
  }
};

constexpr std::uint32_t no_parent = 0xffffffffu;

sys::error_code decode_error(std::string_view bytes) {
  sys::error_code ec;
  std::int64_t scanned_ns = 0;
  const detail::entry_tree tree = detail::decode_snapshot(bytes, "/r", scanned_ns, ec);
  if (ec)
    BOOST_TEST(tree.size() == 1u, "a refused file gives an empty picture");
  return ec;
}

void make_mixed_tree(fake_filesystem& fake) {
  fake.mkdirs("/r/src/deep/er");
  fake.write("/r/src/main.cpp", "int main() {}");
  fake.write("/r/src/deep/er/data.bin", std::string(300, 'x'));
  fake.symlink("/r/link", "/r/src/main.cpp");
  fake.mkfifo("/r/pipe");
  fake.create("/r/line\nbreak");
  fake.create("/r/\xff\xfe invalid UTF-8");
  fake.create("/r/" + std::string(255, 'n'));
  fake.mkdir("/r/empty");
}

} // namespace

BOOST_AUTO_TEST_SUITE(snapshot_file)

BOOST_FIXTURE_TEST_CASE(a_picture_comes_back_from_its_file_unchanged, picture_fixture) {
  make_mixed_tree(fake);
  const detail::entry_tree picture = scan("/r");
  const detail::entry_tree decoded = through_file(picture, "/r");
  BOOST_TEST(decoded.size() == picture.size());
  BOOST_TEST(decoded.directories() == picture.directories());
  const std::vector<fs_event> differences = detail::events_between(picture, decoded, "/r");
  BOOST_TEST(differences.empty(), "differences:\n" << describe(differences));
  // Every entry, with every status field (the file does not keep the order of a directory's
  // entries, which means nothing).
  picture.for_each_preorder(picture.root(), [&](detail::node_id id, std::size_t) {
    const std::string path = picture.relative_path(id);
    detail::node_id at = decoded.root();
    for (std::size_t start = 0; !path.empty() && at != detail::no_node;) {
      const std::size_t end = std::min(path.find('/', start), path.size());
      at = decoded.find(at, std::string_view(path).substr(start, end - start));
      start = end + 1;
      if (end == path.size())
        break;
    }
    BOOST_TEST_REQUIRE(at != detail::no_node, "missing: " << path);
    const detail::entry_status& x = picture.status(id);
    const detail::entry_status& y = decoded.status(at);
    BOOST_TEST((decoded[at].type == picture[id].type), path);
    BOOST_TEST((x.mtime_ns == y.mtime_ns && x.ctime_ns == y.ctime_ns && x.size == y.size && x.inode == y.inode &&
                x.mount_id == y.mount_id && x.mode == y.mode && x.uid == y.uid && x.gid == y.gid &&
                x.links == y.links && x.attributes == y.attributes),
               "status of " << path);
  });
  // Every status field is kept: any one changed in the picture is a difference.
  detail::entry_tree changed = through_file(picture, "/r");
  const detail::node_id data = changed.find(changed.find(changed.find(changed.find(0, "src"), "deep"), "er"), "data.bin");
  BOOST_TEST_REQUIRE(data != detail::no_node);
  BOOST_TEST(changed.status(data).size == 300u);
  changed.status(data).inode += 1;
  check_events(detail::events_between(picture, changed, "/r"), {modified("/r/src/deep/er/data.bin")});
}

BOOST_FIXTURE_TEST_CASE(the_events_since_replay_to_the_tree_now, picture_fixture) {
  fake.set_tick(1000);
  make_mixed_tree(fake);
  fake.write("/r/content", "old");
  fake.create("/r/mode");
  fake.mkdirs("/r/gone/with/children");
  fake.mkdirs("/r/moved/inside");
  fake.create("/r/becomes_a_directory");
  const tree_snapshot before = fake.snapshot("/r");
  const std::string file_bytes = detail::encode_snapshot(scan("/r"), 0);

  fake.write("/r/content", "new, longer");
  fake.chmod("/r/mode", 0600);
  fake.remove("/r/gone");
  fake.rename("/r/moved", "/r/src/moved_here");
  fake.remove("/r/becomes_a_directory");
  fake.mkdirs("/r/becomes_a_directory/sub");
  fake.mkdirs("/r/new/tree");
  fake.write("/r/new/tree/file", "x");
  fake.touch("/r/src/main.cpp");

  sys::error_code ec;
  std::int64_t scanned_ns = 0;
  const detail::entry_tree saved = detail::decode_snapshot(file_bytes, "/r", scanned_ns, ec);
  BOOST_TEST_REQUIRE(!ec, ec.message());
  const std::vector<fs_event> events = detail::events_between(saved, scan("/r"), "/r");
  check_replay(before, events, fake.snapshot("/r"));
  for (const fs_event& e : events)
    BOOST_TEST(e.root == "/r");
  const auto has = [&](const fs_event& wanted) {
    for (const fs_event& e : events)
      if (e == wanted)
        return true;
    return false;
  };
  BOOST_TEST(has(modified("/r/content")), describe(events));
  BOOST_TEST(has(modified("/r/src/main.cpp")), describe(events));
  BOOST_TEST(has(attributes("/r/mode")), describe(events));
  BOOST_TEST(has(removed("/r/moved", dir)), describe(events));
  BOOST_TEST(has(created("/r/src/moved_here/inside", dir)), describe(events));
  BOOST_TEST(!has(modified("/r/src/deep/er/data.bin")), "an entry left alone is not reported");
}

BOOST_FIXTURE_TEST_CASE(the_filters_and_ignore_files_apply_as_in_the_monitor, picture_fixture) {
  watch_options options;
  options.exclude = {"*.tmp"};
  options.ignore_files = {".gitignore"};
  fake.mkdirs("/r/build/obj");
  fake.mkdirs("/r/src");
  fake.write("/r/.gitignore", "build/\n");
  fake.write("/r/src/a.tmp");
  fake.write("/r/src/a.c");
  const tree_snapshot before = visible_tree(fake, "/r");
  const detail::entry_tree saved = through_file(scan("/r", options), "/r");
  BOOST_TEST(saved.find(0, "build") == detail::no_node, "an ignored directory is not in the picture");

  fake.write("/r/build/obj/x.o");
  fake.write("/r/src/b.tmp");
  fake.write("/r/src/b.c");
  fake.write("/r/.gitignore", "build/\nsrc/a.c\n");
  const std::vector<fs_event> events = detail::events_between(saved, scan("/r", options), "/r");
  tree_snapshot now = visible_tree(fake, "/r");
  now.erase("/r/src/b.tmp");
  now.erase("/r/src/a.tmp");
  tree_snapshot expected_before = before;
  expected_before.erase("/r/src/a.tmp");
  check_replay(expected_before, events, now);
}

BOOST_FIXTURE_TEST_CASE(what_cannot_be_read_now_is_an_error_and_keeps_what_was_saved, picture_fixture) {
  fake.mkdirs("/r/locked/inside");
  fake.write("/r/locked/inside/file");
  fake.write("/r/file");
  fake.write("/r/unstatable", "content");
  const detail::entry_tree saved = through_file(scan("/r"), "/r");

  fake.fail_list("/r/locked", posix_error(sys::errc::permission_denied));
  fake.fail_status("/r/unstatable", posix_error(sys::errc::permission_denied));
  fake.write("/r/new");
  detail::entry_tree now;
  std::vector<fs_event> errors;
  std::int64_t scanned_ns = 0;
  BOOST_TEST_REQUIRE(!detail::scan_picture(fake, "/r", {}, now, errors, scanned_ns));
  BOOST_TEST(errors.size() == 2u, describe(errors));
  BOOST_TEST(now.find(now.find(0, "locked"), "inside") == detail::no_node, "the scan could not list it");
  detail::keep_what_cannot_be_read(saved, now, errors);
  // Nothing but the new file: no removal for what could not be read, no change for what could
  // not be looked at; and the picture keeps what was saved of them.
  check_events(detail::events_between(saved, now, "/r"), {created("/r/new")});
  BOOST_TEST(now.find(now.find(now.find(0, "locked"), "inside"), "file") != detail::no_node);
  BOOST_TEST(now.status(now.find(0, "unstatable")).size == 7u);
  BOOST_TEST(now.check() == "");

  // Readable again, with a change made meanwhile: reported then.
  fake.clear_failures();
  fake.write("/r/locked/inside/file", "changed");
  check_events(detail::events_between(now, scan("/r"), "/r"), {modified("/r/locked/inside/file")});
}

BOOST_FIXTURE_TEST_CASE(a_root_that_is_no_directory_is_refused, picture_fixture) {
  fake.mkdirs("/r");
  fake.write("/r/plain");
  detail::entry_tree picture;
  std::vector<fs_event> errors;
  std::int64_t scanned_ns = 0;
  BOOST_TEST(detail::scan_picture(fake, "/r/plain", {}, picture, errors, scanned_ns) == sys::errc::not_a_directory);
  BOOST_TEST(detail::scan_picture(fake, "/r/none", {}, picture, errors, scanned_ns) ==
             sys::errc::no_such_file_or_directory);
}

BOOST_FIXTURE_TEST_CASE(include_patterns_apply_as_in_the_monitor, picture_fixture) {
  fake.mkdirs("/r/src");
  fake.mkdirs("/r/doc");
  fake.write("/r/src/a.cpp");
  const detail::entry_tree saved = scan("/r");
  fake.write("/r/src/b.cpp");
  fake.write("/r/src/b.txt");
  fake.write("/r/src/a.cpp", "edited");
  fake.remove("/r/doc");
  check_event_set(detail::events_between(saved, scan("/r"), "/r", {"*.cpp"}),
                  {created("/r/src/b.cpp"), modified("/r/src/a.cpp"), removed("/r/doc", dir)});
}

BOOST_FIXTURE_TEST_CASE(a_file_changed_as_the_picture_was_taken_counts_as_changed, picture_fixture) {
  // A rewrite of the same size in the same clock tick as the scan leaves every status field
  // as the scan saw it: a file whose saved times are not older than the scan (less a margin)
  // is reported, as git does with its racily clean entries.
  fake.mkdirs("/r");
  fake.set_tick(0);
  fake.set_time(5000);
  fake.write("/r/racy", "one");
  fake.set_time(1000);
  fake.write("/r/settled", "one");
  const detail::entry_tree saved = scan("/r");
  fake.set_time(5000);
  fake.write("/r/racy", "two"); // same size, same time
  const detail::entry_tree now = scan("/r");
  BOOST_TEST(detail::events_between(saved, now, "/r").empty(), "the statuses cannot tell");
  check_events(detail::events_between(saved, now, "/r", {}, 5000), {modified("/r/racy")});
}

BOOST_FIXTURE_TEST_CASE(every_cut_and_every_changed_byte_is_refused, picture_fixture) {
  fake.mkdirs("/r/a/b");
  fake.write("/r/a/b/c", "content");
  fake.create("/r/d");
  const std::string bytes = detail::encode_snapshot(scan("/r"), 99);
  for (std::size_t size = 0; size < bytes.size(); ++size)
    BOOST_TEST((decode_error(bytes.substr(0, size)) == errc::invalid_snapshot), "cut to " << size << " bytes");
  BOOST_TEST((decode_error(bytes + '\0') == errc::invalid_snapshot), "a byte more");
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ (1u << bit));
      const sys::error_code ec = decode_error(damaged);
      const bool in_version_or_flags = at >= 16 && at < 24;
      BOOST_TEST((ec == (in_version_or_flags ? errc::unsupported_snapshot_version : errc::invalid_snapshot)),
                 "byte " << at << " bit " << bit << ": " << ec.message());
    }
  }
}

BOOST_AUTO_TEST_CASE(foreign_files_are_refused) {
  BOOST_TEST((decode_error("") == errc::invalid_snapshot));
  BOOST_TEST((decode_error("{\"kind\": \"created\"}\n") == errc::invalid_snapshot));
  BOOST_TEST((decode_error(std::string(4096, '\0')) == errc::invalid_snapshot));
  BOOST_TEST((decode_error(file_builder{}.header(1, 2).entry(no_parent, dir, "").signed_bytes()) ==
              errc::unsupported_snapshot_version));
  BOOST_TEST((decode_error(file_builder{}.header(1, 1, 1).entry(no_parent, dir, "").signed_bytes()) ==
              errc::unsupported_snapshot_version));
  // The builder agrees with the codec: its well-formed file is read.
  sys::error_code ec;
  std::int64_t scanned_ns = 0;
  const detail::entry_tree tree = detail::decode_snapshot(
      file_builder{}.header(3).entry(no_parent, dir, "").entry(0, dir, "d").entry(1, file, "f").signed_bytes(), "/r",
      scanned_ns, ec);
  BOOST_TEST_REQUIRE(!ec, ec.message());
  BOOST_TEST(scanned_ns == 42);
  BOOST_TEST(tree.path(tree.find(tree.find(0, "d"), "f")) == "/r/d/f");
  BOOST_TEST(tree.status(tree.find(0, "d")).inode == 7u);
}

BOOST_AUTO_TEST_CASE(a_structure_that_does_not_hold_is_refused_behind_a_good_checksum) {
  const auto with = [](std::uint64_t count, auto&& entries) {
    file_builder b;
    b.header(count).entry(no_parent, dir, "");
    entries(b);
    return b.signed_bytes();
  };
  struct bad_case {
    const char* what;
    std::string bytes;
  };
  const bad_case cases[] = {
      {"no entry", file_builder{}.header(0).signed_bytes()},
      {"the root is a file", file_builder{}.header(1).entry(no_parent, file, "").signed_bytes()},
      {"the root has a name", file_builder{}.header(1).entry(no_parent, dir, "r").signed_bytes()},
      {"the root has a parent", file_builder{}.header(1).entry(0, dir, "").signed_bytes()},
      {"more entries counted than held", with(3, [](file_builder& b) { b.entry(0, file, "a"); })},
      {"an entry too many", with(2, [](file_builder& b) { b.entry(0, file, "a").entry(0, file, "b"); })},
      {"a count beyond the file", with(1u << 31, [](file_builder&) {})},
      {"a parent after its child", with(3, [](file_builder& b) { b.entry(2, file, "a").entry(0, dir, "d"); })},
      {"its own parent", with(2, [](file_builder& b) { b.entry(1, dir, "a"); })},
      {"a file as parent", with(3, [](file_builder& b) { b.entry(0, file, "f").entry(1, file, "g"); })},
      {"two entries of one name", with(3, [](file_builder& b) { b.entry(0, file, "a").entry(0, dir, "a"); })},
      {"an empty name", with(2, [](file_builder& b) { b.entry(0, file, ""); })},
      {"the name '.'", with(2, [](file_builder& b) { b.entry(0, dir, "."); })},
      {"the name '..'", with(2, [](file_builder& b) { b.entry(0, dir, ".."); })},
      {"a name with '/'", with(2, [](file_builder& b) { b.entry(0, file, "a/b"); })},
      {"a name with NUL", with(2, [](file_builder& b) { b.entry(0, file, std::string_view("a\0b", 3)); })},
      {"an unknown type", with(2, [](file_builder& b) { b.entry(0, static_cast<entry_type>(9), "a"); })},
      {"a name longer than the file", with(2, [](file_builder& b) { b.put(std::uint32_t{0}).put(std::uint8_t{0}).put(std::uint32_t{1u << 30}).bytes.append(100, 'x'); })},
  };
  for (const bad_case& c : cases)
    BOOST_TEST((decode_error(c.bytes) == errc::invalid_snapshot), c.what);
}

BOOST_AUTO_TEST_CASE(paths_that_no_tree_has_are_refused) {
  // One path longer than any system takes.
  BOOST_TEST((decode_error(file_builder{}.header(2).entry(no_parent, dir, "").entry(0, file, std::string(32768, 'n'))
                               .signed_bytes()) == errc::invalid_snapshot));
  sys::error_code ec;
  std::int64_t scanned_ns = 0;
  detail::decode_snapshot(
      file_builder{}.header(2).entry(no_parent, dir, "").entry(0, file, std::string(32767, 'n')).signed_bytes(), "/r",
      scanned_ns, ec);
  BOOST_TEST(!ec, "the longest path is taken: " << ec.message());
  // A chain of 2,000 directories: each path within bounds, 22 MB of paths from a 160 kB file,
  // which reporting them all would cost.
  file_builder chain;
  chain.header(2001).entry(no_parent, dir, "");
  for (std::uint32_t i = 0; i < 2000; ++i)
    chain.entry(i, dir, "ten_bytes_");
  BOOST_TEST((decode_error(chain.signed_bytes()) == errc::invalid_snapshot));
  // Names that are paths or streams on Windows.
  const std::string backslash = file_builder{}.header(2).entry(no_parent, dir, "").entry(0, file, "a\\b").signed_bytes();
  const std::string colon = file_builder{}.header(2).entry(no_parent, dir, "").entry(0, file, "a:b").signed_bytes();
#if defined(_WIN32)
  BOOST_TEST((decode_error(backslash) == errc::invalid_snapshot));
  BOOST_TEST((decode_error(colon) == errc::invalid_snapshot));
#else
  BOOST_TEST(!decode_error(backslash), "a POSIX name may hold a backslash");
  BOOST_TEST(!decode_error(colon), "a POSIX name may hold a colon");
#endif
}

BOOST_AUTO_TEST_SUITE_END()
