// Test support: a system call refused by a seccomp filter, as container runtimes and sandboxes
// do, in a forked child (a filter cannot be removed).
#ifndef ASIO_FSWATCH_TEST_COMMON_SECCOMP_HPP
#define ASIO_FSWATCH_TEST_COMMON_SECCOMP_HPP

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <functional>

#include <boost/test/unit_test.hpp>

namespace asio_fswatch::test {

#if defined(__SANITIZE_THREAD__)
constexpr bool thread_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool thread_sanitizer = true;
#else
constexpr bool thread_sanitizer = false;
#endif
#else
constexpr bool thread_sanitizer = false;
#endif

/// Boost.Test precondition for cases that run their scenario in a forked child: the test runner
/// has threads by then, and ThreadSanitizer does not support a child of a multi-threaded
/// process that goes on running (it refuses new threads, or hangs on its own locks).
inline boost::test_tools::assertion_result scenario_may_run_in_a_fork(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result ok(!thread_sanitizer);
  ok.message() << "skipped under ThreadSanitizer: the scenario runs in a forked child of a multi-threaded "
                  "process, which ThreadSanitizer does not support";
  return ok;
}

/// Makes the system call `nr` fail with `error` in this process (and its future threads).
inline bool refuse_syscall(long nr, int error) {
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, unsigned(nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned(error) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == 0;
}

/// Runs `body` in a child process in which the system call `nr` fails with `error`; returns the
/// child's exit status (0: body returned true; 1: body returned false; 2: the filter could not
/// be installed; 3: an exception escaped; 100 + N: killed by signal N).
inline int in_child_refusing(long nr, int error, const std::function<bool()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!refuse_syscall(nr, error))
      ::_exit(2);
    try {
      ::_exit(body() ? 0 : 1);
    } catch (...) {
      ::_exit(3);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

} // namespace asio_fswatch::test

#endif
