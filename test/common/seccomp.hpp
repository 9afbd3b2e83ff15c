// SPDX-License-Identifier: BSL-1.0
// Test support: a system call refused by a seccomp filter, as container runtimes and sandboxes
// do (always, or after it has succeeded N times), in a forked child (a filter cannot be removed).
#ifndef ASIO_FSWATCH_TEST_COMMON_SECCOMP_HPP
#define ASIO_FSWATCH_TEST_COMMON_SECCOMP_HPP

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <iterator>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <common/sanitizers.hpp>
#include <common/skip.hpp>

namespace asio_fswatch::test {

/// Boost.Test precondition for cases that run their scenario in a forked child: the test runner
/// has threads by then, and ThreadSanitizer does not support a child of a multi-threaded
/// process that goes on running (it refuses new threads, or hangs on its own locks).
inline boost::test_tools::assertion_result scenario_may_run_in_a_fork(boost::unit_test::test_unit_id unit) {
  return skip_unless(!thread_sanitizer, unit, "thread_sanitizer_fork",
                     "the scenario runs in a forked child of a multi-threaded process, which ThreadSanitizer "
                     "does not support",
                     skip_kind::build);
}

/// A filter program that checks the architecture and gives `nr` the action `action`, every other
/// call SECCOMP_RET_ALLOW. Seven instructions, written into `program`.
inline sock_fprog filter_for(long nr, unsigned action, sock_filter (&program)[7]) {
  const sock_filter instructions[7] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, unsigned(nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  std::copy(std::begin(instructions), std::end(instructions), program);
  return sock_fprog{7, program};
}

/// Makes the system call `nr` fail with `error` in this process (and its future threads).
inline bool refuse_syscall(long nr, int error) {
  sock_filter program[7];
  sock_fprog filter = filter_for(nr, SECCOMP_RET_ERRNO | (unsigned(error) & SECCOMP_RET_DATA), program);
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == 0;
}

/// Lets the system call `nr` through `allowed` times in this process, then makes it fail with
/// `error` every time. A filter program has no memory, so the filter hands each such call to a
/// supervisor thread (SECCOMP_RET_USER_NOTIF, Linux 5.5+) that counts and answers: let it run
/// (SECCOMP_USER_NOTIF_FLAG_CONTINUE) or fail it. The thread lives as long as the process.
inline bool refuse_syscall_after(long nr, unsigned allowed, int error) {
  sock_filter program[7];
  sock_fprog filter = filter_for(nr, SECCOMP_RET_USER_NOTIF, program);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return false;
  const int listener = static_cast<int>(
      ::syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter));
  if (listener < 0)
    return false;
  std::thread([listener, allowed, error] {
    unsigned seen = 0;
    for (;;) {
      seccomp_notif request{};
      if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
        if (errno == EINTR || errno == ENOENT)
          continue; // ENOENT: the caller was interrupted before we took its call
        return;
      }
      seccomp_notif_resp response{};
      response.id = request.id;
      if (++seen <= allowed)
        response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      else
        response.error = -error;
      ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response); // ENOENT: the caller went away
    }
  }).detach();
  return true;
}

/// Runs `body` in a child process after `restrict` (a seccomp installer above); returns the
/// child's exit status (0: body returned true; 1: body returned false; 2: `restrict` failed; 3:
/// an exception escaped; 100 + N: killed by signal N).
inline int in_child(const std::function<bool()>& restrict, const std::function<bool()>& body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!restrict())
      ::_exit(2);
    int status = 3;
    try {
      status = body() ? 0 : 1;
    } catch (...) {
    }
    std::fflush(nullptr);
    ::_exit(status);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/// in_child with the system call `nr` failing with `error`.
inline int in_child_refusing(long nr, int error, const std::function<bool()>& body) {
  return in_child([&] { return refuse_syscall(nr, error); }, body);
}

} // namespace asio_fswatch::test

#endif
