// SPDX-License-Identifier: BSL-1.0
// Test support for the engine's unit tests (watch_engine_test.cpp, watch_engine_exchange_test.cpp):
// short event constructors, event checks, the replay invariant, and a fixture that drives a
// detail::watch_engine over a fake_filesystem.
#ifndef ASIO_FSWATCH_TEST_UNIT_ENGINE_FIXTURE_HPP
#define ASIO_FSWATCH_TEST_UNIT_ENGINE_FIXTURE_HPP

#include "unit/fake_filesystem.hpp"
#include "common/make_event.hpp"
#include "common/tree_replay.hpp"

#include <asio_fswatch/detail/ignore_rules.hpp>
#include <asio_fswatch/detail/inotify_parser.hpp>
#include <asio_fswatch/detail/rdcw_parser.hpp>
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <boost/system/error_code.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::test::engine_support {

namespace detail = asio_fswatch::detail;
namespace flag = asio_fswatch::detail::inotify_flag;
namespace sys = boost::system;
using asio_fswatch::backend;
using asio_fswatch::entry_type;
using asio_fswatch::errc;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::monitor_options;
using asio_fswatch::watch_options;
using asio_fswatch::detail::watch_policy;
using asio_fswatch::test::fake_filesystem;
using asio_fswatch::test::make_event;
using std::chrono::milliseconds;

inline constexpr entry_type file = entry_type::file;
inline constexpr entry_type dir = entry_type::directory;

// ---------------------------------------------------------------------------------------------
// Events

inline fs_event created(std::string path, entry_type type = file) {
  return make_event(event_kind::created, std::move(path), type);
}
inline fs_event removed(std::string path, entry_type type = file) {
  return make_event(event_kind::removed, std::move(path), type);
}
inline fs_event modified(std::string path, entry_type type = file) {
  return make_event(event_kind::modified, std::move(path), type);
}
inline fs_event attributes(std::string path, entry_type type = file) {
  return make_event(event_kind::attributes, std::move(path), type);
}
inline fs_event renamed(std::string from, std::string to, entry_type type = file) {
  return make_event(event_kind::renamed, std::move(to), type, std::move(from));
}
/// `old_path` and `path` swapped: `type` is the type of the entry now at `path` (it came from
/// `old_path`), `old_type` the type of the one now at `old_path`.
inline fs_event exchanged(std::string old_path, std::string path, entry_type type = file,
                          entry_type old_type = file) {
  fs_event e = make_event(event_kind::exchanged, std::move(path), type, std::move(old_path));
  e.old_type = old_type;
  return e;
}
inline fs_event overflowed(std::string path) {
  return make_event(event_kind::overflow, std::move(path), dir);
}
inline fs_event failed(std::string path, sys::error_code ec, entry_type type = dir) {
  return make_event(event_kind::error, std::move(path), type, {}, ec);
}
inline fs_event root_removed(std::string path) { return failed(std::move(path), errc::root_removed); }

inline sys::error_code posix_error(sys::errc::errc_t e) { return sys::errc::make_error_code(e); }

inline std::string describe(const fs_event& e) {
  std::ostringstream out;
  out << to_string(e.kind) << ' ' << to_string(e.type) << ' ' << asio_fswatch::detail::path_text(e.path);
  if (e.kind == event_kind::exchanged)
    out << " <-> " << to_string(e.old_type) << ' ' << asio_fswatch::detail::path_text(e.old_path);
  else if (!e.old_path.empty())
    out << " <- " << asio_fswatch::detail::path_text(e.old_path);
  if (e.error)
    out << " [" << e.error.category().name() << ':' << e.error.value() << ' ' << e.error.message()
        << ']';
  return out.str();
}

inline std::string describe(const std::vector<fs_event>& events) {
  std::string out;
  for (std::size_t i = 0; i < events.size(); ++i)
    out += "  #" + std::to_string(i) + ' ' + describe(events[i]) + '\n';
  return out.empty() ? "  (none)\n" : out;
}

inline void check_events(const std::vector<fs_event>& actual, const std::vector<fs_event>& expected) {
  bool equal = actual == expected;
  BOOST_TEST(equal, "event sequence differs\nactual:\n" << describe(actual) << "expected:\n"
                                                        << describe(expected));
}

// Same events, in any order.
inline void check_event_set(std::vector<fs_event> actual, std::vector<fs_event> expected) {
  auto by_text = [](const fs_event& a, const fs_event& b) { return describe(a) < describe(b); };
  std::sort(actual.begin(), actual.end(), by_text);
  std::sort(expected.begin(), expected.end(), by_text);
  check_events(actual, expected);
}

// DESIGN.md's invariant: `events` replayed onto `before` give `after`.
inline void check_replay(asio_fswatch::test::tree_snapshot before, const std::vector<fs_event>& events,
                  const asio_fswatch::test::tree_snapshot& after) {
  asio_fswatch::test::replay_stats stats;
  asio_fswatch::test::replay(before, events, stats);
  BOOST_TEST(stats.problems.empty(), "replay problems:\n"
                                         << asio_fswatch::test::describe_problems(stats)
                                         << "events:\n" << describe(events));
  std::string differences = asio_fswatch::test::compare(after, before);
  BOOST_TEST(differences.empty(), "replayed tree differs from the real one:\n"
                                      << differences << "events:\n" << describe(events));
}

// The tree at `root` that the .gitignore files in it (and the `above` patterns, matched from
// the root) let through: what the events must replay to.
inline asio_fswatch::test::tree_snapshot visible_tree(const fake_filesystem& fake, const std::string& root,
                                                     const std::string& above = {}) {
  const asio_fswatch::test::tree_snapshot all = fake.snapshot(root);
  std::map<std::string, detail::ignore_rules> rules; // directory -> its patterns
  for (const auto& [path, type] : all)
    if (type == file && path.size() > 11 && path.compare(path.size() - 11, 11, "/.gitignore") == 0)
      rules[path.substr(0, path.size() - 11)].append_file(fake.at(path).content);
  detail::ignore_rules above_rules;
  above_rules.append_file(above);
  asio_fswatch::test::tree_snapshot out;
  for (const auto& [path, type] : all) {
    if (path == root) {
      out.emplace(path, type);
      continue;
    }
    const std::string parent = path.substr(0, path.rfind('/'));
    if (!out.count(parent))
      continue; // under an ignored directory
    std::vector<detail::ignore_level> levels;
    for (std::string d = parent;; d = d.substr(0, d.rfind('/'))) {
      if (auto it = rules.find(d); it != rules.end())
        levels.push_back({&it->second, d.size() + 1 - root.size() - 1});
      if (d == root)
        break;
    }
    levels.push_back({&above_rules, 0});
    const std::string relative = path.substr(root.size() + 1);
    if (!detail::is_ignored(levels.data(), levels.size(), relative, type == dir))
      out.emplace(path, type);
  }
  return out;
}

inline std::size_t count_errors(const std::vector<fs_event>& events) {
  return static_cast<std::size_t>(std::count_if(
      events.begin(), events.end(), [](const fs_event& e) { return e.kind == event_kind::error; }));
}

// The records of `bytes`, each encoded on its own.
inline std::vector<std::string> split_records(std::string_view bytes) {
  std::vector<detail::inotify_record> records;
  detail::inotify_parse_result parsed = detail::parse_inotify_records(bytes, records);
  BOOST_TEST_REQUIRE(parsed.consumed == bytes.size());
  std::vector<std::string> out;
  for (const detail::inotify_record& r : records) {
    out.emplace_back();
    detail::append_inotify_record(out.back(), r.watch, r.mask, r.cookie, r.name);
  }
  return out;
}

/// Records `first` to `last` (exclusive; the end by default) of split_records, as one read.
inline std::string joined_records(const std::vector<std::string>& records, std::size_t first,
                                  std::size_t last = std::string::npos) {
  std::string bytes;
  for (std::size_t i = first; i < records.size() && i < last; ++i)
    bytes += records[i];
  return bytes;
}

inline void append(std::vector<fs_event>& to, const std::vector<fs_event>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

inline std::uint32_t mask_of(std::string_view record) {
  std::vector<detail::inotify_record> records;
  detail::parse_inotify_records(record, records);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  return records[0].mask;
}

// ---------------------------------------------------------------------------------------------
// Fixture

struct engine_fixture {
  fake_filesystem fake;
  monitor_options options;
  std::unique_ptr<detail::watch_engine> engine;
  detail::time_sample now;

  engine_fixture() {
    options.rename_hold = milliseconds(10);
    now.steady = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    now.wall_ns = fake.time();
  }

  detail::watch_engine& start(watch_policy policy = watch_policy::per_directory) {
    engine = std::make_unique<detail::watch_engine>(fake, policy, options);
    return *engine;
  }

  sys::error_code add(const std::string& path, const watch_options& watch = {}) {
    if (!engine)
      start();
    return engine->add_root(path, watch, now);
  }

  void add_ok(const std::string& path, const watch_options& watch = {}) {
    sys::error_code ec = add(path, watch);
    BOOST_TEST_REQUIRE(!ec, "add_root(" << path << "): " << ec.message());
  }

  void feed(std::string_view bytes) { engine->on_inotify_bytes(bytes, now); }
  /// What the changes so far queued, to the engine: inotify's records, or each recursive
  /// watch's completed read, decoded as the Windows monitor decodes it.
  void feed() {
    if (engine->policy() != watch_policy::recursive_root) {
      engine->on_inotify_bytes(fake.take_records(), now);
      return;
    }
    fake.take_records(); // inotify's: no watch of that kind here
    for (auto& [watch, bytes] : fake.take_changes()) {
      std::vector<detail::change_record> changes;
      const detail::rdcw_parse_result parsed =
          detail::parse_rdcw_records(bytes, detail::rdcw_format::basic, changes);
      BOOST_TEST_REQUIRE(!parsed.malformed, "the fake's records of watch " << watch << " are malformed");
      engine->on_changes(watch, changes, now);
    }
    for (int watch : fake.take_ended_watches())
      engine->on_watch_error(watch, sys::errc::make_error_code(sys::errc::no_such_file_or_directory), now);
  }

  /// Runs `change` once, as another process would, right after the engine's watch on `path` is
  /// in place and before the engine lists it: the race of a new directory's scan.
  void once_watched(std::string path, std::function<void()> change) {
    fake.after_add_watch = [this, path = std::move(path), change = std::move(change)](
                               const std::string& watched) mutable {
      if (watched != path)
        return;
      std::function<void()> run = std::move(change);
      fake.after_add_watch = nullptr; // destroys this closure: only locals from here on
      run();
    };
  }

  void advance(milliseconds by) {
    now.steady += by;
    now.wall_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(by).count();
  }

  std::vector<fs_event> drain() {
    std::vector<fs_event> out;
    while (engine->has_output())
      out.push_back(engine->pop());
    return out;
  }

  // The records of the changes so far, to the engine; the events that came of them.
  std::vector<fs_event> events() {
    feed();
    return drain();
  }

  std::vector<fs_event> poll() {
    engine->poll(now);
    return drain();
  }

  // The rename hold runs out; the events of the moves it held back.
  std::vector<fs_event> after_the_hold() {
    advance(options.rename_hold);
    engine->on_timer(now);
    return drain();
  }

  // Every event the changes so far lead to: the records, the records of what handling them
  // did (scans, watches), and the moves held back.
  std::vector<fs_event> events_until_quiet() {
    std::vector<fs_event> got = events();
    std::vector<fs_event> more = events();
    got.insert(got.end(), more.begin(), more.end());
    more = after_the_hold();
    got.insert(got.end(), more.begin(), more.end());
    return got;
  }

  // The events replay from `before` to the fake tree, the engine's own picture holds together,
  // and it has exactly the watches the kernel (the fake) has.
  void check_outcome(const asio_fswatch::test::tree_snapshot& before, const std::vector<fs_event>& got) {
    check_replay(before, got, fake.snapshot("/r"));
    BOOST_TEST(engine->check() == "");
    BOOST_TEST(engine->counters().watches == fake.active_watch_count());
  }

  // Checks that the held move's deadline is one rename_hold from now and that nothing comes out
  // a millisecond before it; the events that come out at it.
  std::vector<fs_event> after_the_hold_on_time() {
    BOOST_TEST_REQUIRE(engine->next_deadline().has_value());
    BOOST_TEST((*engine->next_deadline() == now.steady + options.rename_hold));
    advance(options.rename_hold - milliseconds(1));
    engine->on_timer(now);
    BOOST_TEST(drain().empty());
    advance(milliseconds(1));
    engine->on_timer(now);
    return drain();
  }
};

// The picture has the directory of `file` where it is and watched: a file written there now is
// reported there.
inline void check_watched(engine_fixture& f, const std::string& file) {
  f.fake.write(file);
  std::vector<fs_event> later = f.events_until_quiet();
  check_events(later, {created(file), modified(file)});
}

// Feeds `first` as one read; then, after `between` changed the tree, `rest` with the records of
// those changes as the next. Every event until the engine is quiet.
inline std::vector<fs_event> read_twice_with_changes_between(engine_fixture& f,
                                                              const std::string& first,
                                                              const std::function<void()>& between,
                                                              const std::string& rest) {
  f.feed(first);
  std::vector<fs_event> got = f.drain();
  between();
  f.feed(rest + f.fake.take_records());
  append(got, f.drain());
  append(got, f.events_until_quiet());
  return got;
}

inline watch_options excluding(std::vector<std::string> patterns) {
  watch_options o;
  o.exclude = std::move(patterns);
  return o;
}

inline watch_options including(std::vector<std::string> patterns) {
  watch_options o;
  o.include = std::move(patterns);
  return o;
}

} // namespace asio_fswatch::test::engine_support

#endif
