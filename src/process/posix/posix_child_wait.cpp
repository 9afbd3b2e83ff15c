// SPDX-License-Identifier: BSL-1.0
// The system calls behind a child wait on POSIX: pidfd_open and waitid(P_PIDFD); and the choice
// of mechanism.
#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/posix_child_wait.hpp>
#include <asio_fswatch/error.hpp>

#include <fcntl.h>

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#if defined(ASIO_FSWATCH_LINUX) && !defined(P_PIDFD)
#define P_PIDFD 3 // Linux's value; glibc before 2.36 does not name it
#endif

namespace asio_fswatch::detail {

int open_pidfd(pid_type pid) noexcept {
#if defined(ASIO_FSWATCH_LINUX)
  return int(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS; // generic POSIX: no pidfd, so child_backend::automatic is sigchld
  return -1;
#endif
}

int duplicate_pidfd(int fd) noexcept {
  return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

exit_status to_exit_status(int code, int value) noexcept {
  switch (code) {
  case CLD_EXITED: return exit_status::exited_with(value);
  case CLD_DUMPED: return exit_status::killed_by(value, true);
  default: return exit_status::killed_by(value);
  }
}

child_backend_choice choose_child_backend(child_backend wanted) noexcept {
  child_backend_choice choice;
  if (!asked_child_backend(wanted, choice))
    return choice;
  if (wanted == child_backend::process_handle) {
    choice.error = errc::backend_unavailable; // Windows only
    return choice;
  }
#if !defined(ASIO_FSWATCH_LINUX)
  if (wanted == child_backend::pidfd) {
    choice.error = errc::backend_unavailable; // Linux only
    return choice;
  }
#endif
  if (wanted != child_backend::automatic) {
    choice.backend = wanted;
    return choice;
  }
  // Asked each time a watcher is made (two system calls): a seccomp filter or a sandbox can
  // come after the first watcher, and a forked child inherits no stale answer.
  choice.backend = child_backend::pidfd;
  choice.may_fall_back = true;
  int fd = open_pidfd(::getpid());
  if (fd >= 0)
    ::close(fd);
  else if (pidfd_refused(errno))
    choice.backend = child_backend::sigchld;
  return choice;
}

namespace {

int wait_on(int pidfd, siginfo_t& info) noexcept {
  info = siginfo_t{};
#if !defined(ASIO_FSWATCH_LINUX)
  (void)pidfd;
  errno = ENOSYS; // no pidfds: never asked (posix_child_wait_op refuses handles)
  return -1;
#else
  int r;
  do
    r = ::waitid(idtype_t(P_PIDFD), id_t(pidfd), &info, WEXITED | WNOHANG);
  while (r < 0 && errno == EINTR);
  return r;
#endif
}

} // namespace

bool reap_child(int pidfd, exit_status& status, boost::system::error_code& ec) noexcept {
  ec.clear();
  siginfo_t info;
  if (wait_on(pidfd, info) < 0) {
    ec.assign(errno, boost::system::system_category());
    return false;
  }
  if (info.si_pid == 0)
    return false;
  status = to_exit_status(info.si_code, info.si_status);
  return true;
}

} // namespace asio_fswatch::detail
