// SPDX-License-Identifier: BSL-1.0
// Test support: running a scenario as nobody (uid/gid 65534) in a forked child, for the cases
// that need permission bits to bite (root bypasses them). The child reports through its exit
// status and stderr. A scenario that must also do, for a moment, what nobody cannot (make a
// directory inside one that nobody may not search) keeps root as its saved uid and uses
// as_root_for_a_moment.
#ifndef ASIO_FSWATCH_TEST_COMMON_AS_NOBODY_HPP
#define ASIO_FSWATCH_TEST_COMMON_AS_NOBODY_HPP

#include <common/sanitizers.hpp>
#include <common/skip.hpp>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

namespace asio_fswatch::test {

/// The uid and gid a scenario runs as.
constexpr unsigned nobody_id = 65534;

/// What the child keeps of root when it drops to nobody.
enum class saved_root {
  dropped, ///< real, effective and saved ids all 65534: no way back
  kept,    ///< saved uid and gid 0, so that as_root_for_a_moment can go back; groups dropped
};

/// Runs `scenario` as uid/gid 65534 in a forked child; a thrown exception fails the test case.
/// Needs root (to drop to nobody): otherwise, and under ThreadSanitizer (which does not support
/// a forked child of a multi-threaded process that goes on running), the scenario is skipped
/// with the reason recorded. With saved_root::kept, the effective (and so the file system) ids
/// are nobody's, and permission bits bite, until the scenario calls as_root_for_a_moment.
inline void run_as_nobody(const std::function<void()>& scenario, saved_root saved = saved_root::dropped) {
  constexpr int cannot_drop_privileges = 77;
  if (thread_sanitizer) {
    skip("thread_sanitizer_fork", "the scenario runs as nobody in a forked child, which ThreadSanitizer does not support",
         skip_kind::build);
    return;
  }
  if (::geteuid() != 0) {
    skip("root", "needs root to fork a child running as nobody (65534)");
    return;
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0, "fork: " << std::strerror(errno));
  if (pid == 0) {
    // Boost.Test's signal handlers must not take over in the child.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM, SIGTRAP})
      std::signal(sig, SIG_DFL);
    ::alarm(240); // a hang ends as SIGALRM
    const unsigned saved_id = saved == saved_root::kept ? 0 : nobody_id;
    if (::setgroups(0, nullptr) != 0 || ::setresgid(nobody_id, nobody_id, saved_id) != 0 ||
        ::setresuid(nobody_id, nobody_id, saved_id) != 0)
      ::_exit(cannot_drop_privileges);
    int status = 1;
    try {
      scenario();
      status = 0;
    } catch (const std::exception& e) {
      std::cerr << "child (uid 65534): " << e.what() << '\n';
    } catch (...) {
      std::cerr << "child (uid 65534): unknown exception\n";
    }
    std::cerr.flush();
    ::_exit(status);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  BOOST_TEST_REQUIRE(WIFEXITED(status), "the child did not exit normally (signal "
                                            << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                            << (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
                                                    ? ": it hung"
                                                    : "")
                                            << ")");
  if (WEXITSTATUS(status) == cannot_drop_privileges) {
    skip("setuid", "cannot drop privileges to 65534 here");
    return;
  }
  BOOST_TEST(WEXITSTATUS(status) == 0, "the scenario failed as uid 65534 (its reason is on stderr)");
}

/// In a scenario run with saved_root::kept: runs `action` with effective uid 0 (the capabilities
/// of root come back with it), then returns to uid 65534, also when `action` throws. The gid
/// stays 65534: what `action` makes belongs to root and group nobody. Throws if the ids cannot
/// be changed (the scenario was not run with saved_root::kept).
inline void as_root_for_a_moment(const std::function<void()>& action) {
  if (::seteuid(0) != 0)
    throw std::runtime_error(std::string("seteuid(0): ") + std::strerror(errno) +
                             " (run the scenario with saved_root::kept)");
  struct back_to_nobody {
    ~back_to_nobody() {
      if (::seteuid(nobody_id) != 0) {
        // Going on as root would make the scenario's checks meaningless.
        std::fputs("child: cannot go back to uid 65534\n", stderr);
        ::_exit(1);
      }
    }
  } guard;
  action();
}

} // namespace asio_fswatch::test

#endif
