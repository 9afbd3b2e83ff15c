// SPDX-License-Identifier: BSL-1.0
// Integration tests of basic_directory_monitor's asynchronous operations: every completion token
// (callback, use_future, use_awaitable, deferred, as_tuple, bound executors), async_next, and
// cancellation (per operation: terminal, partial, total; cancel(), close(), the destructor),
// never completing inside the initiating function, and no work left behind.
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <common/monitor_collect.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace sys = boost::system;
using namespace std::chrono_literals;

using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::monitor_options;
using namespace asio_fswatch::test; // the test support in common/

const sys::error_code aborted = asio::error::operation_aborted;

void create_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  BOOST_TEST_REQUIRE(fd >= 0, "open " << path << ": " << std::strerror(errno));
  ::close(fd);
}

/// Runs `ioc` on another thread and reports whether run() returned by itself (no work left)
/// within `limit`; if not, stops it.
bool run_returns(asio::io_context& ioc, std::chrono::seconds limit = 30s) {
  ioc.restart();
  std::future<void> done = std::async(std::launch::async, [&] { ioc.run(); });
  if (done.wait_for(limit) == std::future_status::ready)
    return true;
  ioc.stop();
  done.wait();
  return false;
}

/// Runs `ioc` on this thread until `flag` is set (bounded).
void run_until(asio::io_context& ioc, const bool& flag, std::chrono::seconds limit = 30s) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!flag && std::chrono::steady_clock::now() < deadline)
    ioc.run_one_for(100ms);
  BOOST_TEST_REQUIRE(flag, "the operation did not complete within " << limit.count() << "s");
}

/// Reads batches (callbacks) until `path` is reported created; returns every event read.
std::vector<fs_event> read_until_created(asio::io_context& ioc, directory_monitor& monitor,
                                         const fs::path& path) {
  std::vector<fs_event> all;
  bool done = false;
  sys::error_code failure;
  std::function<void()> next = [&] {
    monitor.async_read_events([&](sys::error_code ec, std::vector<fs_event> events) {
      all.insert(all.end(), events.begin(), events.end());
      if (ec) {
        failure = ec;
        done = true;
      } else if (has_event(all, event_kind::created, path)) {
        done = true;
      } else {
        next();
      }
    });
  };
  next();
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done && std::chrono::steady_clock::now() < deadline)
    ioc.run_one_for(100ms);
  if (!done) {
    monitor.cancel();
    ioc.run_for(5s);
  }
  BOOST_TEST_REQUIRE(done, "timed out waiting for created " << path << "; events:\n" << dump(all));
  BOOST_TEST_REQUIRE(!failure, failure.message() << "; events:\n" << dump(all));
  return all;
}

/// Calls async_next until `enough(got)` holds after an event, or an operation fails; returns
/// the error (none if `enough` ended it).
sys::error_code next_until(asio::io_context& ioc, directory_monitor& monitor, std::vector<fs_event>& got,
                           const std::function<bool(const std::vector<fs_event>&)>& enough) {
  sys::error_code error;
  bool done = false;
  std::function<void()> next = [&] {
    monitor.async_next([&](sys::error_code ec, fs_event e) {
      if (ec) {
        error = ec;
        done = true;
        return;
      }
      got.push_back(std::move(e));
      if (enough(got))
        done = true;
      else
        next();
    });
  };
  next();
  run_until(ioc, done);
  return error;
}

/// How one async_read_events completed; handler() records it.
struct read_result {
  bool done = false;
  sys::error_code error;
  std::vector<fs_event> events{fs_event{}}; ///< not empty until the completion replaces it

  auto handler() {
    return [this](sys::error_code ec, std::vector<fs_event> batch) {
      error = ec;
      events = std::move(batch);
      done = true;
    };
  }
};

/// Starts a read, lets it wait on the kernel, calls `interrupt` (which may destroy `monitor`) and
/// checks that the read completes with operation_aborted.
void check_pending_read_aborted_by(asio::io_context& ioc, directory_monitor& monitor,
                                   const std::function<void()>& interrupt) {
  read_result read;
  monitor.async_read_events(read.handler());
  ioc.restart();
  ioc.poll();
  interrupt();
  run_until(ioc, read.done);
  BOOST_TEST(read.error == aborted, read.error.message());
}

const asio::cancellation_type cancellation_types[] = {
    asio::cancellation_type::terminal, asio::cancellation_type::partial,
    asio::cancellation_type::total};

const char* name(asio::cancellation_type type) {
  switch (type) {
  case asio::cancellation_type::terminal: return "terminal";
  case asio::cancellation_type::partial: return "partial";
  case asio::cancellation_type::total: return "total";
  default: return "other";
  }
}

/// Runs `body(type)` for terminal, partial and total cancellation, each in a test context that
/// names it.
template <typename Body>
void for_each_cancellation_type(Body body) {
  for (asio::cancellation_type type : cancellation_types)
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      body(type);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_tokens)

// ---------------------------------------------------------------------------------------------
// Completion tokens

BOOST_FIXTURE_TEST_CASE(callback, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  create_file(root / "f");
  std::vector<fs_event> events = read_until_created(ioc, monitor, root / "f");
  BOOST_TEST(has_event(events, event_kind::created, root / "f"));
}

BOOST_FIXTURE_TEST_CASE(use_future_with_the_context_on_another_thread, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  create_file(root / "f");
  std::future<std::vector<fs_event>> events = monitor.async_read_events(asio::use_future);
  std::thread runner([&] { ioc.run(); });
  std::future_status status = events.wait_for(30s);
  if (status != std::future_status::ready)
    monitor.cancel();
  runner.join();
  BOOST_TEST_REQUIRE((status == std::future_status::ready), "use_future read did not complete");
  std::vector<fs_event> got = events.get();
  BOOST_TEST(has_event(got, event_kind::created, root / "f"), dump(got));

  // An error arrives as an exception from get().
  monitor.close();
  std::future<std::vector<fs_event>> closed = monitor.async_read_events(asio::use_future);
  std::future<fs_event> closed_next = monitor.async_next(asio::use_future);
  ioc.restart();
  std::thread again([&] { ioc.run(); });
  bool ready = closed.wait_for(30s) == std::future_status::ready &&
               closed_next.wait_for(30s) == std::future_status::ready;
  again.join();
  BOOST_TEST_REQUIRE(ready);
  try {
    closed.get();
    BOOST_FAIL("no exception after close()");
  } catch (const sys::system_error& e) {
    BOOST_TEST(e.code() == code(asio_fswatch::errc::monitor_closed), e.what());
  }
  BOOST_CHECK_THROW(closed_next.get(), sys::system_error);
}

BOOST_FIXTURE_TEST_CASE(coroutine_with_use_awaitable, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  create_file(root / "a");
  create_file(root / "b");
  std::vector<fs_event> batch_events;
  std::optional<fs_event> single;
  sys::error_code closed_error;
  std::exception_ptr failure;
  bool finished = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        while (!has_event(batch_events, event_kind::created, root / "a")) {
          std::vector<fs_event> events = co_await monitor.async_read_events(asio::use_awaitable);
          batch_events.insert(batch_events.end(), events.begin(), events.end());
        }
        create_file(root / "c");
        for (;;) {
          fs_event e = co_await monitor.async_next(asio::use_awaitable);
          if (e.kind == event_kind::created && e.path == root / "c") {
            single = e;
            break;
          }
        }
        monitor.close();
        try {
          co_await monitor.async_read_events(asio::use_awaitable);
        } catch (const sys::system_error& e) {
          closed_error = e.code();
        }
      },
      [&](std::exception_ptr e) {
        failure = e;
        finished = true;
      });
  run_until(ioc, finished);
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      BOOST_FAIL("the coroutine threw: " << e.what());
    }
  }
  BOOST_TEST(has_event(batch_events, event_kind::created, root / "a"), dump(batch_events));
  BOOST_TEST(single.has_value());
  BOOST_TEST(closed_error == code(asio_fswatch::errc::monitor_closed), closed_error.message());
}

BOOST_FIXTURE_TEST_CASE(as_tuple_use_awaitable, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  create_file(root / "f");
  std::vector<fs_event> events;
  sys::error_code first = asio::error::would_block, second = asio::error::would_block;
  sys::error_code next_error = asio::error::would_block;
  bool finished = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto [ec, batch] = co_await monitor.async_read_events(asio::as_tuple(asio::use_awaitable));
        first = ec;
        events = std::move(batch);
        monitor.close();
        auto [ec2, nothing] = co_await monitor.async_read_events(asio::as_tuple(asio::use_awaitable));
        second = ec2;
        BOOST_TEST(nothing.empty());
        auto [ec3, none] = co_await monitor.async_next(asio::as_tuple(asio::use_awaitable));
        next_error = ec3;
        (void)none;
      },
      [&](std::exception_ptr) { finished = true; });
  run_until(ioc, finished);
  BOOST_TEST(!first, first.message());
  BOOST_TEST(has_event(events, event_kind::created, root / "f"), dump(events));
  BOOST_TEST(second == code(asio_fswatch::errc::monitor_closed), second.message());
  BOOST_TEST(next_error == code(asio_fswatch::errc::monitor_closed), next_error.message());
}

BOOST_FIXTURE_TEST_CASE(deferred_starts_only_when_invoked, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  auto later = monitor.async_read_events(asio::deferred);
  // Not started yet: another read may be started without already_started.
  create_file(root / "first");
  std::vector<fs_event> events = read_until_created(ioc, monitor, root / "first");
  BOOST_TEST(has_event(events, event_kind::created, root / "first"));

  create_file(root / "second");
  read_result second;
  std::move(later)(second.handler());
  run_until(ioc, second.done);
  BOOST_TEST(!second.error, second.error.message());
  BOOST_TEST(has_event(second.events, event_kind::created, root / "second"), dump(second.events));

  // deferred composes: the same operation through a deferred continuation.
  create_file(root / "third");
  bool done = false;
  sys::error_code error;
  fs_event last;
  monitor.async_next(asio::deferred([](sys::error_code ec, fs_event e) {
    return asio::deferred.values(ec, std::move(e));
  }))([&](sys::error_code ec, fs_event e) {
    error = ec;
    last = std::move(e);
    done = true;
  });
  run_until(ioc, done);
  BOOST_TEST(!error, error.message());
  BOOST_TEST(last.path == root / "third");
}

BOOST_FIXTURE_TEST_CASE(async_next_delivers_one_event_at_a_time_in_order, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  const char* const names[] = {"a", "b", "c", "d"};
  for (const char* n : names)
    create_file(root / n);
  std::vector<fs_event> got;
  sys::error_code error = next_until(ioc, monitor, got, [&](const std::vector<fs_event>& so_far) {
    if (so_far.size() == 1)
      BOOST_TEST(monitor.queued_events() >= 3u, "the rest stays queued");
    return std::all_of(std::begin(names), std::end(names),
                       [&](const char* n) { return has_event(so_far, event_kind::created, root / n); });
  });
  BOOST_TEST(!error, error.message());
  std::vector<fs::path> created;
  for (const fs_event& e : got)
    if (e.kind == event_kind::created)
      created.push_back(e.path);
  // One poll scan reports what it finds in the listing's order, not in the order of creation.
  if (monitor.backend() == asio_fswatch::backend::poll)
    std::sort(created.begin(), created.end());
  std::vector<fs::path> expected{root / "a", root / "b", root / "c", root / "d"};
  BOOST_TEST(created == expected, dump(got));
}

BOOST_FIXTURE_TEST_CASE(async_next_reports_root_removed, monitor_fixture) {
  fs::create_directory(root / "watched");
  directory_monitor monitor(ioc);
  monitor.add(root / "watched");
  fs::remove(root / "watched");
  std::vector<fs_event> got;
  sys::error_code error = next_until(ioc, monitor, got, [](const std::vector<fs_event>&) {
    return false; // until the error
  });
  BOOST_TEST(error == code(asio_fswatch::errc::root_removed), error.message());
  BOOST_TEST_REQUIRE(!got.empty());
  BOOST_TEST((got.back().kind == event_kind::removed && got.back().path == root / "watched"), dump(got));
}

BOOST_FIXTURE_TEST_CASE(bound_executor_is_used, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  create_file(root / "f");
  auto strand = asio::make_strand(ioc);
  bool in_strand = false, done = false;
  monitor.async_read_events(asio::bind_executor(strand, [&](sys::error_code, std::vector<fs_event>) {
    in_strand = strand.running_in_this_thread();
    done = true;
  }));
  run_until(ioc, done);
  BOOST_TEST(in_strand);
}

BOOST_FIXTURE_TEST_CASE(moved_monitors_keep_working, monitor_fixture) {
  asio_fswatch::basic_directory_monitor<asio::io_context::executor_type> typed(ioc);
  typed.add(root);
  directory_monitor converted(std::move(typed)); // converting move: io_context executor -> any
  create_file(root / "a");
  read_until_created(ioc, converted, root / "a");

  directory_monitor assigned(ioc);
  assigned = std::move(converted);
  create_file(root / "b");
  read_until_created(ioc, assigned, root / "b");

  // The moved-from object fails cleanly.
  read_result read;
  converted.async_read_events(read.handler());
  run_until(ioc, read.done);
  BOOST_TEST(read.error == code(asio_fswatch::errc::monitor_closed), read.error.message());
  // Every member of a moved-from monitor is callable and says it is closed.
  BOOST_TEST(!converted.is_open());
  BOOST_TEST((converted.backend() == asio_fswatch::backend::automatic));
  BOOST_TEST(converted.roots().empty());
  BOOST_TEST(converted.queued_events() == 0u);
  boost::system::error_code ec;
  converted.add(root, ec);
  BOOST_TEST(ec == code(asio_fswatch::errc::monitor_closed), ec.message());
  converted.remove(root, ec);
  BOOST_TEST(ec == code(asio_fswatch::errc::monitor_closed), ec.message());
  converted.cancel();
  converted.close();
  read_result next_read;
  converted.async_next([&](boost::system::error_code e, fs_event) {
    next_read.error = e;
    next_read.done = true;
  });
  run_until(ioc, next_read.done);
  BOOST_TEST(next_read.error == code(asio_fswatch::errc::monitor_closed), next_read.error.message());
}

// ---------------------------------------------------------------------------------------------
// Cancellation

BOOST_FIXTURE_TEST_CASE(per_operation_cancellation_of_an_idle_read, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  for_each_cancellation_type([&](asio::cancellation_type type) {
    asio::cancellation_signal signal;
    read_result read;
    monitor.async_read_events(asio::bind_cancellation_slot(signal.slot(), read.handler()));
    ioc.restart();
    ioc.poll(); // the read is now waiting on the kernel
    BOOST_TEST(!read.done);
    signal.emit(type);
    run_until(ioc, read.done);
    BOOST_TEST(read.error == aborted, read.error.message());
    BOOST_TEST(read.events.empty());
    // Emitting again after completion does nothing, and does not touch a later read.
    signal.emit(type);
    create_file(root / (std::string("after_") + name(type)));
    read_until_created(ioc, monitor, root / (std::string("after_") + name(type)));
  });
}

BOOST_FIXTURE_TEST_CASE(per_operation_cancellation_loses_no_event, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  for_each_cancellation_type([&](asio::cancellation_type type) {
    // Changes made before the read starts: the kernel has them; cancel before the context runs.
    std::vector<fs::path> files;
    for (int i = 0; i < 5; ++i) {
      files.push_back(root / (std::string(name(type)) + std::to_string(i)));
      create_file(files.back());
    }
    asio::cancellation_signal signal;
    read_result first;
    monitor.async_read_events(asio::bind_cancellation_slot(signal.slot(), first.handler()));
    signal.emit(type);
    run_until(ioc, first.done);
    BOOST_TEST(first.error == aborted, first.error.message());
    BOOST_TEST(first.events.empty(), dump(first.events));
    std::vector<fs_event> rest = read_until_created(ioc, monitor, files.back());
    for (const fs::path& f : files)
      BOOST_TEST(has_event(rest, event_kind::created, f),
                 "lost by the cancellation: " << f << "\n" << dump(rest));
  });
}

BOOST_FIXTURE_TEST_CASE(per_operation_cancellation_of_async_next, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  for_each_cancellation_type([&](asio::cancellation_type type) {
    asio::cancellation_signal signal;
    sys::error_code error;
    bool done = false;
    monitor.async_next(asio::bind_cancellation_slot(signal.slot(), [&](sys::error_code ec, fs_event) {
      error = ec;
      done = true;
    }));
    ioc.restart();
    ioc.poll();
    signal.emit(type);
    run_until(ioc, done);
    BOOST_TEST(error == aborted, error.message());
  });
}

BOOST_FIXTURE_TEST_CASE(per_operation_cancellation_in_a_coroutine, monitor_fixture) {
  // The usual shape: a coroutine whose read is cancelled through its completion token.
  directory_monitor monitor(ioc);
  monitor.add(root);
  for_each_cancellation_type([&](asio::cancellation_type type) {
    asio::cancellation_signal signal;
    sys::error_code error;
    bool done = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          // A coroutine passes only terminal cancellation on unless told otherwise.
          co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
          auto [ec, events] = co_await monitor.async_read_events(asio::as_tuple(asio::use_awaitable));
          error = ec;
        },
        asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) { done = true; }));
    ioc.restart();
    ioc.poll();
    BOOST_TEST(!done);
    signal.emit(type);
    run_until(ioc, done);
    BOOST_TEST(error == aborted, error.message());
  });
}

BOOST_FIXTURE_TEST_CASE(cancel_aborts_and_keeps_watching, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  monitor.cancel(); // nothing pending: harmless
  check_pending_read_aborted_by(ioc, monitor, [&] { monitor.cancel(); });
  BOOST_TEST(monitor.is_open());
  create_file(root / "f");
  read_until_created(ioc, monitor, root / "f");
}

BOOST_FIXTURE_TEST_CASE(close_aborts_then_refuses, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  check_pending_read_aborted_by(ioc, monitor, [&] { monitor.close(); });
  BOOST_TEST(!monitor.is_open());
  BOOST_TEST(monitor.roots().empty());
  sys::error_code next_error;
  bool done = false;
  monitor.async_next([&](sys::error_code ec, fs_event) {
    next_error = ec;
    done = true;
  });
  run_until(ioc, done);
  BOOST_TEST(next_error == code(asio_fswatch::errc::monitor_closed), next_error.message());
  monitor.close(); // twice: harmless
}

BOOST_FIXTURE_TEST_CASE(destructor_aborts_a_pending_read, monitor_fixture) {
  auto monitor = std::make_unique<directory_monitor>(ioc);
  monitor->add(root);
  check_pending_read_aborted_by(ioc, *monitor, [&] { monitor.reset(); });
  BOOST_TEST(run_returns(ioc), "work left behind by the destroyed monitor");
}

BOOST_AUTO_TEST_CASE(context_destroyed_with_a_pending_read) {
  // The service shuts down: the handler is destroyed without being called.
  temp_dir tmp;
  bool called = false;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  {
    asio::io_context ioc;
    directory_monitor monitor(ioc);
    monitor.add(tmp.path());
    monitor.async_read_events([&called, token = std::move(token)](sys::error_code, std::vector<fs_event>) {
      called = true;
    });
    ioc.poll();
  }
  BOOST_TEST(!called);
  BOOST_TEST(watch.expired(), "the pending handler was never destroyed");
}

// ---------------------------------------------------------------------------------------------
// Never inside the initiating function; no work left behind

BOOST_FIXTURE_TEST_CASE(handler_never_called_inside_initiation, monitor_fixture) {
  monitor_options options;
  options.max_batch = 1;
  directory_monitor monitor(ioc, options);
  monitor.add(root);
  for (const char* n : {"a", "b", "c"})
    create_file(root / n);
  read_until_created(ioc, monitor, root / "a");
  BOOST_TEST_REQUIRE(monitor.queued_events() >= 2u, "events should be queued now");

  // Events already queued.
  bool returned = false, done = false, early = false;
  monitor.async_read_events([&](sys::error_code, std::vector<fs_event> events) {
    early = !returned;
    done = !events.empty();
  });
  returned = true;
  BOOST_TEST(!early);
  run_until(ioc, done);
  BOOST_TEST(!early, "async_read_events completed inside the initiating function");

  returned = done = early = false;
  monitor.async_next([&](sys::error_code ec, fs_event) {
    early = !returned;
    done = !ec;
  });
  returned = true;
  run_until(ioc, done);
  BOOST_TEST(!early, "async_next completed inside the initiating function");

  // Refused at once: already_started.
  bool first_done = false;
  monitor.async_read_events([&](sys::error_code, std::vector<fs_event>) { first_done = true; });
  returned = done = early = false;
  sys::error_code refused;
  monitor.async_read_events([&](sys::error_code ec, std::vector<fs_event>) {
    early = !returned;
    refused = ec;
    done = true;
  });
  returned = true;
  run_until(ioc, done);
  BOOST_TEST(!early, "a refused read completed inside the initiating function");
  BOOST_TEST(refused == sys::error_code(asio::error::already_started), refused.message());
  monitor.cancel();
  run_until(ioc, first_done);

  // Refused at once: closed.
  monitor.close();
  returned = done = early = false;
  monitor.async_read_events([&](sys::error_code, std::vector<fs_event>) {
    early = !returned;
    done = true;
  });
  returned = true;
  run_until(ioc, done);
  BOOST_TEST(!early, "a read on a closed monitor completed inside the initiating function");

  // cancel() right after initiation completes the read, but not inline.
  directory_monitor other(ioc);
  other.add(root);
  returned = done = early = false;
  other.async_read_events([&](sys::error_code, std::vector<fs_event>) {
    early = !returned;
    done = true;
  });
  other.cancel();
  returned = true;
  run_until(ioc, done);
  BOOST_TEST(!early, "cancel() ran the handler inline");
}

BOOST_FIXTURE_TEST_CASE(run_returns_after_a_completed_read, monitor_fixture) {
  directory_monitor monitor(ioc);
  monitor.add(root);
  create_file(root / "f");
  bool done = false;
  monitor.async_read_events([&](sys::error_code, std::vector<fs_event>) { done = true; });
  BOOST_TEST(run_returns(ioc), "io_context::run() did not return after the read completed");
  BOOST_TEST(done);

  // After a cancelled read.
  done = false;
  monitor.async_read_events([&](sys::error_code, std::vector<fs_event>) { done = true; });
  ioc.restart();
  ioc.poll();
  monitor.cancel();
  BOOST_TEST(run_returns(ioc), "io_context::run() did not return after a cancelled read");
  BOOST_TEST(done);

  // After a read that completed while a move out of the tree was still held.
  fs::create_directory(root / "d");
  done = false;
  monitor.async_read_events([&](sys::error_code, std::vector<fs_event>) { done = true; });
  BOOST_TEST(run_returns(ioc));
  BOOST_TEST(done);
  fs::rename(root / "d", outside / "d");
  create_file(root / "g");
  done = false;
  monitor.async_read_events([&](sys::error_code, std::vector<fs_event>) { done = true; });
  BOOST_TEST(run_returns(ioc), "io_context::run() did not return with a move held");
  BOOST_TEST(done);

  // After root_removed.
  temp_dir doomed;
  directory_monitor second(ioc);
  second.add(doomed.path());
  fs::remove(doomed.path());
  std::vector<sys::error_code> errors;
  std::function<void()> next = [&] {
    second.async_read_events([&](sys::error_code ec, std::vector<fs_event>) {
      if (ec)
        errors.push_back(ec);
      else
        next();
    });
  };
  next();
  BOOST_TEST(run_returns(ioc), "io_context::run() did not return after root_removed");
  BOOST_TEST_REQUIRE(errors.size() == 1u);
  BOOST_TEST(errors[0] == code(asio_fswatch::errc::root_removed), errors[0].message());
}

BOOST_FIXTURE_TEST_CASE(run_returns_with_the_poll_backend, monitor_fixture) {
  monitor_options options;
  options.backend = backend::poll;
  options.poll_interval = 50ms;
  directory_monitor monitor(ioc, options);
  monitor.add(root);
  create_file(root / "f");
  read_result read;
  monitor.async_read_events(read.handler());
  BOOST_TEST(run_returns(ioc), "io_context::run() did not return (poll backend)");
  BOOST_TEST(read.done);
  BOOST_TEST(has_event(read.events, event_kind::created, root / "f"), dump(read.events));
}

BOOST_AUTO_TEST_SUITE_END()
