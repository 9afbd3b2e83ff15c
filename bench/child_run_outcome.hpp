// SPDX-License-Identifier: BSL-1.0
// child_run_outcome.hpp: what one run of child_bench (POSIX or Windows) did: how many children
// it started and saw end, and the first thing that went wrong.
#pragma once

#include <asio_fswatch/exit_status.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>

namespace bench {

struct child_run_outcome {
  std::size_t started = 0, done = 0, failed = 0;
  std::string first_failure;
  double seconds = 0;

  /// A child seen to end: a failure unless it exited 0 and its wait succeeded.
  void record(const boost::system::error_code& ec, const asio_fswatch::exit_status& status) {
    ++done;
    if (!ec && status.success())
      return;
    if (failed++ == 0)
      first_failure = ec ? "a wait failed: " + ec.message() : "a child " + status.to_string();
  }
  /// Boost.Process v2's exit code (an exit code, or the signal that killed the child).
  void record(const boost::system::error_code& ec, int code) {
    record(ec, asio_fswatch::exit_status::exited_with(code));
  }
  void fail(const std::string& what) {
    if (failed++ == 0)
      first_failure = what;
  }
};

} // namespace bench
