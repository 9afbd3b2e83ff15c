// exit_status: the three endings (exited, killed, no status) and what each answers.
#include <asio_fswatch/exit_status.hpp>

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <sstream>

using asio_fswatch::exit_status;

BOOST_AUTO_TEST_SUITE(exit_status_endings)

// A default-constructed status is what every operation passes beside an error: it must not read
// as a success, nor as any exit code, or code that ignores the error takes a failure for one.
BOOST_AUTO_TEST_CASE(default_is_no_status_not_success) {
  constexpr exit_status none;
  static_assert(!none.has_value());
  static_assert(!none.success());
  static_assert(!none.exited());
  static_assert(!none.killed());
  static_assert(none.code() == -1);
  static_assert(none.signal() == 0);
  static_assert(none.shell_code() == -1);
  BOOST_TEST(none.to_string() == "no status");
  std::ostringstream out;
  out << none;
  BOOST_TEST(out.str() == "no status");
  BOOST_TEST((none == exit_status()));
  BOOST_TEST((none != exit_status::exited_with(0)), "no status must differ from exit code 0");
  BOOST_TEST((none != exit_status::killed_by(0)));
}

BOOST_AUTO_TEST_CASE(exited_and_killed) {
  constexpr exit_status zero = exit_status::exited_with(0);
  static_assert(zero.has_value() && zero.exited() && zero.success() && zero.code() == 0 && zero.shell_code() == 0);
  constexpr exit_status three = exit_status::exited_with(3);
  static_assert(three.has_value() && !three.success() && three.code() == 3 && three.signal() == 0);
  BOOST_TEST(three.to_string() == "exited with code 3");
  constexpr exit_status term = exit_status::killed_by(SIGTERM);
  static_assert(term.has_value() && term.killed() && !term.exited() && !term.success());
  static_assert(term.code() == -1 && term.signal() == SIGTERM && term.shell_code() == 128 + SIGTERM);
  BOOST_TEST(term.to_string() == "killed by signal 15 (SIGTERM)");
  BOOST_TEST(exit_status::killed_by(SIGSEGV, true).to_string() == "killed by signal 11 (SIGSEGV), core dumped");
  BOOST_TEST((exit_status::killed_by(SIGSEGV, true) != exit_status::killed_by(SIGSEGV)));
  BOOST_TEST((exit_status::exited_with(9) != exit_status::killed_by(9)));
}

BOOST_AUTO_TEST_SUITE_END()
