// SPDX-License-Identifier: BSL-1.0
// Test support for child processes: both mechanisms as test data, the outcome of one wait, and
// running a context until something is done (30 s patience, then a failure that says what).
#ifndef ASIO_FSWATCH_TEST_COMMON_CHILD_SUPPORT_HPP
#define ASIO_FSWATCH_TEST_COMMON_CHILD_SUPPORT_HPP

#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/exit_status.hpp>

#include <common/linux_only.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>

// Named, not anonymous: data test cases are templates whose lambdas capture these types.
namespace asio_fswatch::test {

/// Every test case that waits runs once per mechanism of the platform.
inline auto child_backends() {
#if defined(_WIN32)
  return boost::unit_test::data::make({child_backend::process_handle});
#elif defined(ASIO_FSWATCH_LINUX)
  return boost::unit_test::data::make({child_backend::pidfd, child_backend::sigchld});
#else
  return boost::unit_test::data::make({child_backend::sigchld}); // generic POSIX: no pidfd
#endif
}

constexpr auto child_patience = std::chrono::seconds(30);

/// What one wait completed with.
struct wait_result {
  bool done = false;
  boost::system::error_code ec;
  exit_status status;
  auto handler() {
    return [this](boost::system::error_code e, exit_status s) {
      done = true;
      ec = e;
      status = s;
    };
  }
};

/// Runs `io` until `done()`, or fails the test after 30 s naming `what`.
inline void run_until(boost::asio::io_context& io, const std::function<bool()>& done, const char* what) {
  auto deadline = std::chrono::steady_clock::now() + child_patience;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
  BOOST_TEST_REQUIRE(done(), what << ": not done within 30 s");
}

} // namespace asio_fswatch::test

#endif
