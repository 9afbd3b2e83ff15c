// SPDX-License-Identifier: BSL-1.0
// Test support for the integration tests of basic_directory_monitor: a temporary-directory
// fixture, collecting events until a predicate holds and/or the stream goes quiet (bounded by a
// steady_timer), looking events up, and the replay check (tree_replay.hpp) of what was collected.
#ifndef ASIO_FSWATCH_TEST_COMMON_MONITOR_COLLECT_HPP
#define ASIO_FSWATCH_TEST_COMMON_MONITOR_COLLECT_HPP

#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <common/linux_only.hpp>
#include <common/temp_dir.hpp>
#include <common/tree_replay.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace asio_fswatch::test {

/// Creates or truncates `path` and writes `text` to it: the change a case's writer makes.
inline void write_text(const std::filesystem::path& path, const std::string& text = "data") {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

inline boost::system::error_code code(errc e) { return make_error_code(e); }

/// The backends a case that runs on each of them runs on: inotify and poll on Linux, poll in
/// the generic POSIX build.
inline std::vector<backend> monitor_backends() {
  if constexpr (has_linux_mechanisms)
    return {backend::inotify, backend::poll};
  return {backend::poll};
}

/// The backends of the portable cases: the platform's native one where it has one (inotify,
/// ReadDirectoryChangesW) and poll.
inline std::vector<backend> portable_backends() {
#if defined(_WIN32)
  return {backend::native, backend::poll};
#else
  return monitor_backends();
#endif
}

/// Options for backend `b`, polling every 50 ms (the portable cases' pace).
inline monitor_options portable_options(backend b) {
  monitor_options options;
  options.backend = b;
  options.poll_interval = std::chrono::milliseconds(50);
  return options;
}

/// A temporary directory with an empty `root` to watch and an empty `outside` next to it (so that
/// moves into and out of the tree are at hand), and an io_context. Each test makes its own
/// monitor (options differ).
struct monitor_fixture {
  temp_dir tmp;
  boost::asio::io_context ioc;
  std::filesystem::path root;
  std::filesystem::path outside;

  monitor_fixture() : root(tmp / "root"), outside(tmp / "outside") {
    std::filesystem::create_directory(root);
    std::filesystem::create_directory(outside);
  }
};

// ---------------------------------------------------------------------------------------------
// Looking events up

inline const fs_event* find_event(const std::vector<fs_event>& events, event_kind kind,
                                  const std::filesystem::path& path) {
  for (const fs_event& e : events)
    if (e.kind == kind && e.path == path)
      return &e;
  return nullptr;
}

inline bool has_event(const std::vector<fs_event>& events, event_kind kind,
                      const std::filesystem::path& path) {
  return find_event(events, kind, path) != nullptr;
}

inline std::size_t count_events(const std::vector<fs_event>& events, event_kind kind,
                                const std::filesystem::path& path) {
  return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const fs_event& e) {
    return e.kind == kind && e.path == path;
  }));
}

/// One event a line (with the error's message, if any), at most `max` of them.
inline std::string dump(const std::vector<fs_event>& events, std::size_t max = 60) {
  std::ostringstream out;
  std::size_t shown = 0;
  for (const fs_event& e : events) {
    if (shown++ == max) {
      out << "  ... and " << events.size() - max << " more\n";
      break;
    }
    out << "  " << e;
    if (e.error)
      out << " [" << e.error.message() << "]";
    out << '\n';
  }
  if (events.empty())
    out << "  (no events)\n";
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// Collecting events

struct collection {
  std::vector<fs_event> events;
  /// Completions with an error (the final abort of the collection itself excluded), each with
  /// the number of events received before it.
  std::vector<std::pair<boost::system::error_code, std::size_t>> errors;
  bool timed_out = false;
  bool stuck = false; ///< the io_context still had work after the last read completed
  std::size_t empty_batches = 0; ///< successful reads that completed with no event (never allowed)

  bool saw_error(const boost::system::error_code& ec) const {
    return std::any_of(errors.begin(), errors.end(), [&](const auto& e) { return e.first == ec; });
  }
  void append(collection&& more) {
    for (auto& e : more.errors)
      errors.emplace_back(e.first, e.second + events.size());
    events.insert(events.end(), std::make_move_iterator(more.events.begin()),
                  std::make_move_iterator(more.events.end()));
    timed_out = timed_out || more.timed_out;
    stuck = stuck || more.stuck;
    empty_batches += more.empty_batches;
  }
};

using predicate = std::function<bool(const collection&)>;

inline predicate saw(event_kind kind, std::filesystem::path path) {
  return [kind, path = std::move(path)](const collection& c) {
    return has_event(c.events, kind, path);
  };
}

inline predicate saw_all(std::vector<std::pair<event_kind, std::filesystem::path>> wanted) {
  return [wanted = std::move(wanted)](const collection& c) {
    return std::all_of(wanted.begin(), wanted.end(),
                       [&](const auto& w) { return has_event(c.events, w.first, w.second); });
  };
}

/// Reads batches until `done` holds (null: at once) and, when `quiet` > 0, no batch came for
/// `quiet`; or until `timeout` (then `timed_out`). Errors other than the collection's own abort
/// are recorded and reading goes on (monitor_closed ends it).
inline collection collect(boost::asio::io_context& ioc, directory_monitor& monitor, predicate done,
                          std::chrono::milliseconds quiet, std::chrono::milliseconds timeout) {
  namespace asio = boost::asio;
  using boost::system::error_code;
  using namespace std::chrono_literals;
  collection out;
  asio::steady_timer deadline(ioc);
  asio::steady_timer quiet_timer(ioc);
  bool finishing = false;
  auto satisfied = [&] { return !done || done(out); };
  auto finish = [&] {
    finishing = true;
    deadline.cancel();
    quiet_timer.cancel();
    monitor.cancel();
  };
  std::function<void()> arm_quiet = [&] {
    quiet_timer.expires_after(quiet);
    quiet_timer.async_wait([&](error_code ec) {
      if (ec || finishing)
        return;
      if (satisfied())
        finish();
      else
        arm_quiet();
    });
  };
  std::function<void()> start_read = [&] {
    monitor.async_read_events([&](error_code ec, std::vector<fs_event> events) {
      if (!ec && events.empty())
        ++out.empty_batches;
      out.events.insert(out.events.end(), std::make_move_iterator(events.begin()),
                        std::make_move_iterator(events.end()));
      if (ec == asio::error::operation_aborted && finishing)
        return;
      if (ec) {
        out.errors.emplace_back(ec, out.events.size());
        if (ec == asio::error::operation_aborted || ec == code(errc::monitor_closed)) {
          finish();
          return;
        }
      }
      if (finishing)
        return;
      if (quiet == 0ms) {
        if (satisfied()) {
          finish();
          return;
        }
      } else {
        arm_quiet(); // restarts the quiet period
      }
      start_read();
    });
  };
  deadline.expires_after(timeout);
  deadline.async_wait([&](error_code ec) {
    if (!ec && !finishing) {
      out.timed_out = true;
      finish();
    }
  });
  if (quiet == 0ms && satisfied()) {
    finish();
  } else {
    if (quiet > 0ms)
      arm_quiet();
    start_read();
  }
  ioc.restart();
  const auto hard_limit = std::chrono::steady_clock::now() + timeout + 20s;
  while (ioc.run_one_until(hard_limit) > 0) {
  }
  out.stuck = !ioc.stopped();
  return out;
}

/// Until `done` holds, then until nothing came for `quiet` (trailing events are part of the
/// stream the replay checks).
inline collection collect_until(boost::asio::io_context& ioc, directory_monitor& monitor,
                                predicate done,
                                std::chrono::milliseconds quiet = std::chrono::milliseconds(200),
                                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return collect(ioc, monitor, std::move(done), quiet, timeout);
}

inline collection collect_until_quiet(boost::asio::io_context& ioc, directory_monitor& monitor,
                                      std::chrono::milliseconds quiet = std::chrono::milliseconds(300),
                                      std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  return collect(ioc, monitor, nullptr, quiet, timeout);
}

/// The checks every collection must pass before its events mean anything: no work left behind,
/// no empty batch, and `done` reached before the timeout. `what` (streamable) names what was
/// awaited.
#define REQUIRE_COLLECTED(c, what)                                                                 \
  do {                                                                                             \
    BOOST_TEST_REQUIRE(!(c).stuck, "the io_context kept work after the last read (" << what        \
                                                                                    << ")");       \
    BOOST_TEST((c).empty_batches == 0u, "a read completed successfully with no event");           \
    BOOST_TEST_REQUIRE(!(c).timed_out, "timed out waiting for " << what << "; events so far:\n"    \
                                           << ::asio_fswatch::test::dump((c).events));             \
  } while (false)

// ---------------------------------------------------------------------------------------------
// The replay check

/// Replays `events` on `start` and compares the result with `now` (the real tree, or the part of
/// it the events are about); returns the replay's statistics.
inline replay_stats check_replay(tree_snapshot start, const std::vector<fs_event>& events,
                                 const tree_snapshot& now, bool allow_duplicates = true) {
  replay_stats stats;
  replay(start, events, stats);
  BOOST_TEST(stats.problems.empty(), "the event stream does not fit the tree ("
                                         << stats.problems.size() << " problems):\n"
                                         << describe_problems(stats) << "events:\n"
                                         << dump(events, 200));
  std::string diff = compare(now, start);
  BOOST_TEST(diff.empty(), "replayed events do not give the real tree:\n"
                               << diff << "events:\n"
                               << dump(events, 200));
  if (!allow_duplicates)
    BOOST_TEST(stats.duplicates == 0u, "duplicated `created` events:\n" << dump(events, 200));
  return stats;
}

inline replay_stats check_replay(const tree_snapshot& start, const collection& c,
                                 const std::filesystem::path& root) {
  return check_replay(start, c.events, snapshot_of(root));
}

} // namespace asio_fswatch::test

#endif
