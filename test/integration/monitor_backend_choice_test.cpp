// SPDX-License-Identifier: BSL-1.0
// How a directory monitor's mechanism is named and chosen, as for every I/O object of the
// library: the `backend` option, then ASIO_FSWATCH_MONITOR_BACKEND for a monitor left at
// `automatic`, then the platform's best; backend() says which one runs.
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <common/monitor_collect.hpp>
#include <common/scoped_env.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>

namespace {

using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::errc;
using asio_fswatch::event_kind;
using asio_fswatch::monitor_options;
using asio_fswatch::test::collect_until;
using asio_fswatch::test::monitor_fixture;
using asio_fswatch::test::saw;
using asio_fswatch::test::scoped_env;
using namespace std::chrono_literals;

constexpr const char* variable = "ASIO_FSWATCH_MONITOR_BACKEND";

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_backend_choice)

BOOST_AUTO_TEST_CASE(the_environment_chooses_for_an_automatic_monitor) {
  monitor_fixture f;
  scoped_env env(variable, "poll");
  directory_monitor monitor(f.ioc, monitor_options{.poll_interval = 50ms});
  BOOST_TEST((monitor.backend() == backend::poll));
  monitor.add(f.root);
  std::ofstream(f.root / "new") << "x";
  auto c = collect_until(f.ioc, monitor, saw(event_kind::created, f.root / "new"), 200ms, 30s);
  REQUIRE_COLLECTED(c, "the poll backend's created");
}

BOOST_AUTO_TEST_CASE(the_option_wins_over_the_environment) {
  monitor_fixture f;
  scoped_env env(variable, "inotify");
  directory_monitor monitor(f.ioc, monitor_options{.backend = backend::poll});
  BOOST_TEST((monitor.backend() == backend::poll));
  scoped_env bad(variable, "fanotify");
  directory_monitor other(f.ioc, monitor_options{.backend = backend::poll});
  boost::system::error_code ec;
  other.add(f.root, ec);
  BOOST_TEST(!ec, ec.message()); // not read when the option decides
}

BOOST_AUTO_TEST_CASE(a_bad_value_is_a_clear_error_from_every_add) {
  monitor_fixture f;
  scoped_env env(variable, "fanotify");
  directory_monitor monitor(f.ioc);
  boost::system::error_code ec;
  for (int i = 0; i < 2; ++i) {
    monitor.add(f.root, ec);
    BOOST_TEST((ec == errc::invalid_monitor_backend), ec.message());
  }
  BOOST_TEST(ec.message().find(variable) != std::string::npos, ec.message());
  for (const char* accepted : {"automatic", "native", "poll", "inotify", "rdcw"}) // every value accepted somewhere
    BOOST_TEST(ec.message().find(accepted) != std::string::npos, ec.message() << ": does not name " << accepted);
  BOOST_TEST(monitor.roots().empty());
}

// Each value the message names is read as a backend's name: it gives a monitor, or (the name
// of a backend this platform lacks) backend_unavailable, never invalid_monitor_backend.
BOOST_AUTO_TEST_CASE(every_value_the_message_names_is_accepted) {
  for (const char* name : {"automatic", "native", "poll", "inotify", "rdcw"}) {
    BOOST_TEST_CONTEXT(variable << "=" << name) {
      monitor_fixture f;
      scoped_env env(variable, name);
      directory_monitor monitor(f.ioc);
      boost::system::error_code ec;
      monitor.add(f.root, ec);
      BOOST_TEST((ec != errc::invalid_monitor_backend), ec.message());
      BOOST_TEST((!ec || ec == errc::backend_unavailable), ec.message());
    }
  }
}

// The platform's best: inotify on Linux; polling elsewhere, which refuses inotify by name.
BOOST_AUTO_TEST_CASE(automatic_is_the_platforms_best_and_a_missing_one_is_refused) {
  monitor_fixture f;
  directory_monitor monitor(f.ioc);
  boost::system::error_code ec;
  monitor.add(f.root, ec);
  BOOST_TEST(!ec, ec.message());
  if constexpr (asio_fswatch::test::has_linux_mechanisms) {
    BOOST_TEST((monitor.backend() == backend::inotify));
  } else {
    BOOST_TEST((monitor.backend() == backend::poll));
    directory_monitor forced(f.ioc, monitor_options{.backend = backend::inotify});
    forced.add(f.root, ec);
    BOOST_TEST((ec == errc::backend_unavailable), ec.message());
    BOOST_TEST(forced.roots().empty());
    scoped_env env(variable, "inotify");
    directory_monitor by_variable(f.ioc);
    by_variable.add(f.root, ec);
    BOOST_TEST((ec == errc::backend_unavailable), ec.message());
  }
}

BOOST_AUTO_TEST_SUITE_END()
