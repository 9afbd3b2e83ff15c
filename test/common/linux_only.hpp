// SPDX-License-Identifier: BSL-1.0
// Test support: cases about one of Linux's own mechanisms (inotify, pidfd, io_uring, statx,
// copy_file_range), which the generic POSIX build (ASIO_FSWATCH_GENERIC_POSIX) and Windows do
// not have. There such a case is skipped, of kind `platform`, and the rest of the suite runs on
// the poll monitor, the thread-pool files and the SIGCHLD children.
#ifndef ASIO_FSWATCH_TEST_COMMON_LINUX_ONLY_HPP
#define ASIO_FSWATCH_TEST_COMMON_LINUX_ONLY_HPP

#include <asio_fswatch/detail/config.hpp>

#include <common/skip.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

namespace asio_fswatch::test {

#if defined(ASIO_FSWATCH_LINUX)
inline constexpr bool has_linux_mechanisms = true;
#else
inline constexpr bool has_linux_mechanisms = false;
#endif

/// Boost.Test decorator for a case or a suite about `mechanism` ("inotify", "pidfd", ...): a
/// precondition that skips it, of kind `platform`, where the build does not have it.
inline auto linux_only(const char* mechanism) {
  return boost::unit_test::precondition([mechanism](boost::unit_test::test_unit_id unit) {
    return skip_unless(has_linux_mechanisms, unit, mechanism,
                       std::string(mechanism) + " is Linux's, and this build has none of Linux's own mechanisms "
                                                "(the generic POSIX configuration)",
                       skip_kind::platform);
  });
}

} // namespace asio_fswatch::test

#endif
