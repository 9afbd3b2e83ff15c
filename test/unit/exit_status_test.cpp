// SPDX-License-Identifier: BSL-1.0
// exit_status: the four endings (exited, killed, ended by an exception, no status), what each
// answers, and how a Windows exit code is read.
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

BOOST_AUTO_TEST_CASE(ended_by_an_exception) {
  constexpr exit_status crash = exit_status::ended_by_exception(0xC0000005u);
  static_assert(crash.has_value() && crash.exception() && !crash.exited() && !crash.killed() && !crash.success());
  static_assert(crash.ntstatus() == 0xC0000005u && crash.code() == -1 && crash.signal() == 0);
  // cmd.exe's %ERRORLEVEL% after an access violation.
  static_assert(crash.shell_code() == -1073741819);
  BOOST_TEST(crash.to_string() == "ended by exception 0xC0000005 (access violation)");
  BOOST_TEST(exit_status::ended_by_exception(0xC00000FDu).to_string() == "ended by exception 0xC00000FD (stack overflow)");
  BOOST_TEST(exit_status::ended_by_exception(0xE06D7363u).to_string() == "ended by exception 0xE06D7363");
  BOOST_TEST((crash != exit_status::exited_with(-1073741819)));
  BOOST_TEST((crash != exit_status::killed_by(static_cast<int>(0xC0000005u))));
  static_assert(exit_status::exited_with(3).ntstatus() == 0 && exit_status::killed_by(9).ntstatus() == 0);
}

BOOST_AUTO_TEST_CASE(windows_exit_codes) {
  using e = exit_status;
  // Exit codes, 32 bits wide, are exits; a "not handled" status stays an exit code.
  static_assert(e::from_windows_exit_code(0) == e::exited_with(0));
  static_assert(e::from_windows_exit_code(259) == e::exited_with(259));
  static_assert(e::from_windows_exit_code(0x7FFFFFFFu) == e::exited_with(0x7FFFFFFF));
  static_assert(e::from_windows_exit_code(0x80000001u) == e::exited_with(static_cast<int>(0x80000001u)));
  static_assert(e::from_windows_exit_code(0xBFFFFFFFu) == e::exited_with(static_cast<int>(0xBFFFFFFFu)));
  // Severity "error", and the debugger's warnings, are exceptions.
  static_assert(e::from_windows_exit_code(0xC0000000u) == e::ended_by_exception(0xC0000000u));
  static_assert(e::from_windows_exit_code(0xC0000005u) == e::ended_by_exception(0xC0000005u));
  static_assert(e::from_windows_exit_code(0xCFFFFFFFu) == e::ended_by_exception(0xCFFFFFFFu));
  static_assert(e::from_windows_exit_code(0xE06D7363u) == e::ended_by_exception(0xE06D7363u));
  // Not a status (the reserved bit is set): small negative exit codes, exit(-1) first.
  static_assert(e::from_windows_exit_code(0xFFFFFFFFu) == e::exited_with(-1));
  static_assert(e::from_windows_exit_code(0xD0000000u) == e::exited_with(static_cast<int>(0xD0000000u)));
  static_assert(e::from_windows_exit_code(0xF0000000u) == e::exited_with(static_cast<int>(0xF0000000u)));
  static_assert(e::from_windows_exit_code(0x80000002u).exception());
  static_assert(e::from_windows_exit_code(0x80000003u).exception());
  static_assert(e::from_windows_exit_code(0x80000004u).exception());
  static_assert(!e::from_windows_exit_code(0x80000005u).exception());
  BOOST_TEST(e::from_windows_exit_code(0x80000003u).to_string() == "ended by exception 0x80000003 (breakpoint)");
}

BOOST_AUTO_TEST_SUITE_END()
