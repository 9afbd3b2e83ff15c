// SPDX-License-Identifier: BSL-1.0
// Test support for the integration tests that pin the exact events of each step (kind, path
// bytes, type, error): building expected events, comparing them with what came (in order or as
// a multiset), reading one step's events, and the replay check. The step_events, must,
// child_step and child_replay forms use no Boost.Test, so a scenario in a forked child
// (common/as_nobody.hpp) can use them.
#ifndef ASIO_FSWATCH_TEST_COMMON_EXACT_EVENTS_HPP
#define ASIO_FSWATCH_TEST_COMMON_EXACT_EVENTS_HPP

#include <asio_fswatch/directory_monitor.hpp>

#include <common/make_event.hpp>
#include <common/monitor_collect.hpp>
#include <common/tree_replay.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asio_fswatch::test {

// ---------------------------------------------------------------------------------------------
// Events, compared byte for byte

/// Raw bytes in a form that fits on one line of a test message: bytes other than printable ASCII
/// (and `\`) as \xHH, and a run of 8 or more equal bytes as <N x byte>, since the deep paths
/// of the hostile-input tests are made of 200-byte runs.
inline std::string shown(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  auto one = [](unsigned char c) {
    if (c >= 0x20 && c < 0x7f && c != '\\')
      return std::string(1, static_cast<char>(c));
    return std::string{'\\', 'x', digits[c >> 4], digits[c & 0x0f]};
  };
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t run = 1;
    while (i + run < bytes.size() && bytes[i + run] == bytes[i])
      ++run;
    if (run >= 8) {
      out += '<' + std::to_string(run) + " x " + one(static_cast<unsigned char>(bytes[i])) + '>';
    } else {
      for (std::size_t k = 0; k < run; ++k)
        out += one(static_cast<unsigned char>(bytes[i]));
    }
    i += run;
  }
  return out;
}

inline std::string describe(const fs_event& e) {
  std::string out = std::string(to_string(e.kind)) + ' ' + std::string(to_string(e.type)) + ' ' +
                    shown(asio_fswatch::detail::path_text(e.path));
  if (!e.old_path.empty())
    out += " <- " + shown(asio_fswatch::detail::path_text(e.old_path));
  if (e.error)
    out += " [" + e.error.message() + ']';
  return out;
}

inline std::string describe(const std::vector<fs_event>& events) {
  std::string out;
  for (const fs_event& e : events)
    out += "  " + describe(e) + '\n';
  return out.empty() ? "  (none)\n" : out;
}

/// Same kind, type, error, and the same bytes in path and old_path (fs::path's operator== would
/// compare component by component).
inline bool same_event(const fs_event& a, const fs_event& b) {
  return a.kind == b.kind && a.type == b.type && a.error == b.error &&
         a.path.native() == b.path.native() && a.old_path.native() == b.old_path.native();
}

inline fs_event created(const std::string& path, entry_type type) {
  return make_event(event_kind::created, path, type);
}
inline fs_event removed(const std::string& path, entry_type type) {
  return make_event(event_kind::removed, path, type);
}
inline fs_event renamed(const std::string& from, const std::string& to, entry_type type) {
  return make_event(event_kind::renamed, to, type, from);
}
inline fs_event modified(const std::string& path, entry_type type) {
  return make_event(event_kind::modified, path, type);
}
inline fs_event attributes(const std::string& path, entry_type type) {
  return make_event(event_kind::attributes, path, type);
}
inline fs_event failed(const std::string& path, boost::system::error_code ec, entry_type type) {
  return make_event(event_kind::error, path, type, {}, ec);
}

enum class order { exact, any };

/// Empty when `actual` is `expected` (in that order, or as a multiset); else what differs.
inline std::string mismatch(std::vector<fs_event> actual, std::vector<fs_event> expected, order o) {
  if (o == order::any) {
    auto by_text = [](const fs_event& a, const fs_event& b) { return describe(a) < describe(b); };
    std::sort(actual.begin(), actual.end(), by_text);
    std::sort(expected.begin(), expected.end(), by_text);
  }
  bool equal = actual.size() == expected.size() &&
               std::equal(actual.begin(), actual.end(), expected.begin(), same_event);
  if (equal)
    return {};
  return std::string(o == order::any ? "event multiset" : "event sequence") + " differs\nactual:\n" +
         describe(actual) + "expected:\n" + describe(expected);
}

inline bool seen(const std::vector<fs_event>& events, const fs_event& wanted) {
  return std::any_of(events.begin(), events.end(),
                     [&](const fs_event& e) { return same_event(e, wanted); });
}

inline monitor_options options_for(backend which) {
  monitor_options options;
  options.backend = which;
  options.poll_interval = std::chrono::milliseconds(50);
  return options;
}

inline std::string name_of(backend which) { return std::string(to_string(which)); }

/// Reads until every event of `expected` has come and then nothing more for 300 ms (or 30 s in
/// all). Returns an empty string when the events are exactly `expected`, else what went wrong.
/// Usable in a forked child: no Boost.Test in here.
inline std::string step_events(boost::asio::io_context& ioc, directory_monitor& monitor,
                        const std::vector<fs_event>& expected, order o, std::vector<fs_event>& all) {
  collection c = collect(
      ioc, monitor,
      [&](const collection& so_far) {
        return std::all_of(expected.begin(), expected.end(),
                           [&](const fs_event& e) { return seen(so_far.events, e); });
      },
      std::chrono::milliseconds(300), std::chrono::seconds(30));
  all.insert(all.end(), c.events.begin(), c.events.end());
  if (c.stuck)
    return "the io_context kept work after the last read";
  if (c.empty_batches != 0)
    return "a read completed with no event";
  if (!c.errors.empty())
    return "a read completed with " + c.errors.front().first.message();
  std::string differences = mismatch(c.events, expected, o);
  if (c.timed_out)
    return "timed out waiting for the expected events; " + differences;
  return differences;
}

/// The Boost.Test form of step_events: a failure names the step and the backend.
inline void step(boost::asio::io_context& ioc, directory_monitor& monitor, const std::string& what,
          const std::vector<fs_event>& expected, order o, std::vector<fs_event>& all) {
  std::string problem = step_events(ioc, monitor, expected, o, all);
  BOOST_TEST(problem.empty(), "[" << name_of(monitor.backend()) << "] " << what << ": " << problem);
}

/// Empty when `events` replayed on `start` give `now`; else the problems and differences.
inline std::string replay_mismatch(tree_snapshot start, const std::vector<fs_event>& events,
                            const tree_snapshot& now) {
  replay_stats stats;
  replay(start, events, stats);
  std::string out = describe_problems(stats) + compare(now, start);
  if (stats.duplicates != 0)
    out += std::to_string(stats.duplicates) + " duplicated `created`\n";
  return out.empty() ? out : out + "events:\n" + describe(events);
}

inline void check_replay_exact(const tree_snapshot& start, const std::vector<fs_event>& events,
                        const tree_snapshot& now, const std::string& what) {
  std::string problem = replay_mismatch(start, events, now);
  BOOST_TEST(problem.empty(), what << ": the replay does not give the tree:\n" << problem);
}

inline tree_snapshot without_subtrees(tree_snapshot snapshot, const std::vector<std::string>& directories) {
  for (const std::string& d : directories)
    for (auto it = snapshot.lower_bound(d + '/');
         it != snapshot.end() && it->first.compare(0, d.size() + 1, d + '/') == 0;)
      it = snapshot.erase(it);
  return snapshot;
}

// ---------------------------------------------------------------------------------------------
// In a forked child (common/as_nobody.hpp): a failure is an exception, never Boost.Test

inline void must(bool ok, const std::string& what) {
  if (!ok)
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

/// A new empty file (O_EXCL: it must not exist), as the scenarios' writers make them.
inline void must_create(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  must(fd >= 0, "create " + path);
  ::close(fd);
}

inline void must_mkdir(const std::string& path) { must(::mkdir(path.c_str(), 0755) == 0, "mkdir " + path); }

inline void must_chmod(const std::string& path, mode_t mode) {
  must(::chmod(path.c_str(), mode) == 0, "chmod " + path);
}

inline void child_step(boost::asio::io_context& ioc, directory_monitor& monitor, const std::string& what,
                const std::vector<fs_event>& expected, order o, std::vector<fs_event>& all) {
  std::string problem = step_events(ioc, monitor, expected, o, all);
  if (!problem.empty())
    throw std::runtime_error("[" + name_of(monitor.backend()) + "] " + what + ": " + problem);
}

inline void child_replay(const tree_snapshot& start, const std::vector<fs_event>& events,
                  const tree_snapshot& now, const std::string& what) {
  std::string problem = replay_mismatch(start, events, now);
  if (!problem.empty())
    throw std::runtime_error(what + ": the replay does not give the tree:\n" + problem);
}

} // namespace asio_fswatch::test

#endif
