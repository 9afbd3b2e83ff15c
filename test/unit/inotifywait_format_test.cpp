// SPDX-License-Identifier: BSL-1.0
// Unit tests of inotifywait's --format for fs_events (detail/inotifywait_format.hpp): the fields,
// the names of each kind (a rename as MOVED_FROM then MOVED_TO), roots, the -e filter, raw
// paths with NUL terminators, and formats refused.
#include <boost/test/unit_test.hpp>

#include <asio_fswatch/detail/inotifywait_format.hpp>

#include <common/make_event.hpp>

#include <string>
#include <vector>

namespace {

namespace detail = asio_fswatch::detail;
using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::test::make_event;

fs_event under_root(event_kind kind, std::string path, entry_type type = entry_type::file,
                    std::string old_path = {}) {
  fs_event e = make_event(kind, std::move(path), type, std::move(old_path));
  e.root = "/w";
  return e;
}

std::string format(const fs_event& e, std::string_view fmt = "%w|%f|%e",
                   std::uint32_t wanted = detail::iw_all, std::string_view terminator = "\n") {
  std::string out;
  detail::append_inotifywait(out, e, {fmt, "12:00", wanted, terminator});
  return out;
}

BOOST_AUTO_TEST_SUITE(inotifywait_format)

BOOST_AUTO_TEST_CASE(each_kind_has_inotifywaits_names) {
  BOOST_TEST(format(under_root(event_kind::created, "/w/a/f")) == "/w/a/|f|CREATE\n");
  BOOST_TEST(format(under_root(event_kind::created, "/w/d", entry_type::directory)) == "/w/|d|CREATE,ISDIR\n");
  BOOST_TEST(format(under_root(event_kind::removed, "/w/f")) == "/w/|f|DELETE\n");
  BOOST_TEST(format(under_root(event_kind::modified, "/w/f")) == "/w/|f|MODIFY\n");
  BOOST_TEST(format(under_root(event_kind::attributes, "/w/d", entry_type::directory)) == "/w/|d|ATTRIB,ISDIR\n");
  BOOST_TEST(format(under_root(event_kind::renamed, "/w/new", entry_type::file, "/w/old")) ==
             "/w/|old|MOVED_FROM\n/w/|new|MOVED_TO\n");
  BOOST_TEST(format(under_root(event_kind::overflow, "/w", entry_type::directory)) == "/w/||Q_OVERFLOW\n");
  BOOST_TEST(format(under_root(event_kind::error, "/w/x")).empty());
}

BOOST_AUTO_TEST_CASE(an_exchange_is_both_moves_of_each_entry) {
  fs_event e = under_root(event_kind::exchanged, "/w/b", entry_type::file, "/w/a");
  e.old_type = entry_type::directory;
  BOOST_TEST(format(e) == "/w/|a|MOVED_FROM\n/w/|b|MOVED_TO\n/w/|b|MOVED_FROM,ISDIR\n/w/|a|MOVED_TO,ISDIR\n");
}

BOOST_AUTO_TEST_CASE(a_root_is_named_whole_by_w) {
  BOOST_TEST(format(under_root(event_kind::removed, "/w", entry_type::directory)) == "/w/||DELETE_SELF\n");
  fs_event file_root = make_event(event_kind::modified, "/etc/app.conf", entry_type::file);
  file_root.root = "/etc/app.conf";
  BOOST_TEST(format(file_root) == "/etc/app.conf||MODIFY\n");
}

BOOST_AUTO_TEST_CASE(fields_time_separators_and_percent) {
  fs_event e = under_root(event_kind::created, "/w/d", entry_type::directory);
  BOOST_TEST(format(e, "%T %w%f %:e 100%%") == "12:00 /w/d CREATE:ISDIR 100%\n");
  BOOST_TEST(format(e, "%w%f") == "/w/d\n");
  BOOST_TEST(format(e, "%f%n%e", detail::iw_all, "") == "d\nCREATE,ISDIR");
}

// inotifywait -c: what it printed here (inotify-tools 3.22) for the same names.
BOOST_AUTO_TEST_CASE(csv_quotes_fields_as_inotifywait_does) {
  const auto csv = [](const fs_event& e, std::uint32_t wanted = detail::iw_all) {
    std::string out;
    detail::append_inotifywait(out, e, {detail::inotifywait_csv_format, "", wanted, "\n", true});
    return out;
  };
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/plain")) == "/w/,DELETE,plain\n");
  BOOST_TEST(csv(under_root(event_kind::created, "/w/sub dir", entry_type::directory)) ==
             "/w/,\"CREATE,ISDIR\",sub dir\n");
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/a,b")) == "/w/,DELETE,\"a,b\"\n");
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/q\"x")) == "/w/,DELETE,\"q\"\"x\"\n");
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/ lead")) == "/w/,DELETE,\" lead\"\n");
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/trail ")) == "/w/,DELETE,\"trail \"\n");
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/nl\nx")) == "/w/,DELETE,\"nl\nx\"\n");
  // A carriage return too (inotifywait leaves it bare, which a CSV reader takes for a line end).
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/cr\rx")) == "/w/,DELETE,\"cr\rx\"\n");
  // The directory is a field too, and a root's name is empty.
  BOOST_TEST(csv(under_root(event_kind::removed, "/w/a b ,/f")) == "\"/w/a b ,/\",DELETE,f\n");
  BOOST_TEST(csv(under_root(event_kind::removed, "/w", entry_type::directory)) == "/w/,DELETE_SELF,\n");
  BOOST_TEST(csv(under_root(event_kind::modified, "/w/f"), detail::iw_close_write) ==
             "/w/,\"CLOSE_WRITE,CLOSE\",f\n");
}

// --exclude/--include (regular expressions, in the tool) decide per record, on its %w%f: the two
// records of a rename are decided apart; a root's own record is its directory with the '/'.
BOOST_AUTO_TEST_CASE(a_filter_decides_each_record_on_its_path) {
  std::vector<std::string> asked;
  detail::inotifywait_style style{"%w%f %e", "", detail::iw_all, "\n"};
  style.shows = [&](std::string_view path) {
    asked.emplace_back(path);
    return path.find("tmp") == std::string_view::npos;
  };
  std::string out;
  BOOST_TEST(detail::append_inotifywait(out, under_root(event_kind::renamed, "/w/a", entry_type::file, "/w/a.tmp"),
                                        style) == 1u);
  BOOST_TEST(out == "/w/a MOVED_TO\n");
  BOOST_TEST((asked == std::vector<std::string>{"/w/a.tmp", "/w/a"}));
  asked.clear();
  out.clear();
  detail::append_inotifywait(out, under_root(event_kind::removed, "/w", entry_type::directory), style);
  BOOST_TEST(out == "/w/ DELETE_SELF\n");
  BOOST_TEST((asked == std::vector<std::string>{"/w/"}));
}

BOOST_AUTO_TEST_CASE(at_most_so_many_records) {
  fs_event e = under_root(event_kind::renamed, "/w/new", entry_type::file, "/w/old");
  std::string out;
  BOOST_TEST(detail::append_inotifywait(out, e, {"%w\n%f", "", detail::iw_all, "\n"}, 1) == 1u);
  BOOST_TEST(out == "/w/\nold\n"); // the whole first record, its newline field included
}

BOOST_AUTO_TEST_CASE(the_filter_selects_records_not_events) {
  fs_event e = under_root(event_kind::renamed, "/w/new", entry_type::file, "/w/old");
  BOOST_TEST(format(e, "%w%f %e", detail::iw_moved_to) == "/w/new MOVED_TO\n");
  BOOST_TEST(format(e, "%w%f %e", detail::iw_create).empty());
  std::string why;
  BOOST_TEST(detail::inotifywait_events_named("MOVE", why) == (detail::iw_moved_from | detail::iw_moved_to));
  BOOST_TEST(detail::inotifywait_events_named("created", why) == detail::iw_create);
  BOOST_TEST(detail::inotifywait_events_named("delete", why) == detail::iw_delete);
  BOOST_TEST(detail::inotifywait_events_named("removed", why) == (detail::iw_delete | detail::iw_delete_self));
  BOOST_TEST(detail::inotifywait_events_named("move_self", why) == 0u);
  BOOST_TEST(detail::inotifywait_events_named("close_write", why) == detail::iw_close_write);
  BOOST_TEST(detail::inotifywait_events_named("close", why) == 0u);
  BOOST_TEST(detail::inotifywait_events_named("open", why) == 0u);
  BOOST_TEST(why.find("not watched") != std::string::npos);
  BOOST_TEST(detail::inotifywait_events_named("bogus", why) == 0u);
  BOOST_TEST(why == "unknown event 'bogus'");
}

// A settling monitor's `created` and `modified` of a file: written and closed.
BOOST_AUTO_TEST_CASE(close_write_follows_a_files_creation_and_modification) {
  const std::uint32_t both = detail::iw_modify | detail::iw_create | detail::iw_close_write;
  BOOST_TEST(format(under_root(event_kind::modified, "/w/f", entry_type::file), "%w%f %e", both) ==
             "/w/f MODIFY\n/w/f CLOSE_WRITE,CLOSE\n");
  BOOST_TEST(format(under_root(event_kind::created, "/w/f", entry_type::file), "%f %:e", detail::iw_close_write) ==
             "f CLOSE_WRITE:CLOSE\n");
  BOOST_TEST(format(under_root(event_kind::created, "/w/d", entry_type::directory), "%f %e", detail::iw_close_write)
                 .empty());
  BOOST_TEST(format(under_root(event_kind::created, "/w/l", entry_type::symlink), "%f %e", detail::iw_close_write)
                 .empty());
  BOOST_TEST(format(under_root(event_kind::attributes, "/w/f", entry_type::file), "%f %e", detail::iw_close_write)
                 .empty());
  BOOST_TEST(format(under_root(event_kind::modified, "/w/f", entry_type::file), "%f %e", detail::iw_all) ==
             "f MODIFY\n", "not without -e close_write");
}

BOOST_AUTO_TEST_CASE(paths_are_raw_and_nul_keeps_them_apart) {
  // A name with a newline (and, on POSIX, an invalid UTF-8 byte: a Windows path holds UTF-16,
  // which path_text gives as UTF-8): written as it is.
#if defined(_WIN32)
  const std::string hostile = "/w/a\nb";
#else
  const std::string hostile = "/w/a\nb\xff";
#endif
  fs_event e = under_root(event_kind::created, hostile);
  BOOST_TEST(format(e, "%w%f", detail::iw_all, std::string_view("\0", 1)) == hostile + '\0');
  BOOST_TEST(format(e, "%w%f%0", detail::iw_all, "") == hostile + '\0');
}

BOOST_AUTO_TEST_CASE(bad_formats_are_refused) {
  std::string problem;
  BOOST_TEST(detail::check_inotifywait_format("%w%f %e %T %% %:e %0 %n", problem));
  BOOST_TEST(!detail::check_inotifywait_format("%w %q", problem));
  BOOST_TEST(problem.find("%q") != std::string::npos);
  BOOST_TEST(!detail::check_inotifywait_format("100%", problem));
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace
