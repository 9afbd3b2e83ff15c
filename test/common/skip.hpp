// SPDX-License-Identifier: BSL-1.0
// Test support: saying that a test (or a part of one) did not run, and why, where the test
// command can count it.
//
// A skip is printed as a Boost.Test message ("skipped [ID]: reason") and, when the environment
// variable ASIO_FSWATCH_SKIP_LOG names a file, appended to it as one line
//   KIND <tab> ID <tab> TEST <tab> REASON
// scripts/test.sh sets that variable for each preset, prints what was skipped and, on CI, fails
// the run for every skip of kind `machine` whose ID ASIO_FSWATCH_ALLOWED_SKIPS does not name.
#ifndef ASIO_FSWATCH_TEST_COMMON_SKIP_HPP
#define ASIO_FSWATCH_TEST_COMMON_SKIP_HPP

#include <common/skip_log.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

namespace asio_fswatch::test {

/// Records that the running test case (or the part of it that follows) is skipped; the caller
/// then returns. `id` is short and stable ("root", "io_uring", "user_namespaces"): it is what
/// ASIO_FSWATCH_ALLOWED_SKIPS names.
inline void skip(std::string_view id, std::string_view reason, skip_kind kind = skip_kind::machine) {
  const std::string test = boost::unit_test::framework::current_test_case().full_name();
  BOOST_TEST_MESSAGE("skipped [" << id << "]: " << reason);
  detail::log_skip(kind, id, test, reason);
}

/// The same for a Boost.Test precondition, which runs before its test case does.
inline boost::test_tools::assertion_result skip_unless(bool ok, boost::unit_test::test_unit_id unit,
                                                       std::string_view id, std::string_view reason,
                                                       skip_kind kind) {
  boost::test_tools::assertion_result result(ok);
  if (!ok) {
    result.message() << "skipped [" << id << "]: " << reason;
    detail::log_skip(kind, id, boost::unit_test::framework::get(unit, boost::unit_test::TUT_ANY).full_name(),
                     reason);
  }
  return result;
}

} // namespace asio_fswatch::test

#endif
