// The system calls behind a child wait: pidfd_open and waitid(P_PIDFD).
#include <asio_fswatch/detail/child_wait.hpp>

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace asio_fswatch::detail {

int open_pidfd(pid_t pid) noexcept {
  return int(::syscall(SYS_pidfd_open, pid, 0));
}

namespace {

int wait_on(int pidfd, siginfo_t& info, int options) noexcept {
  info = siginfo_t{};
  int r;
  do
    r = ::waitid(idtype_t(P_PIDFD), id_t(pidfd), &info, WEXITED | WNOHANG | options);
  while (r < 0 && errno == EINTR);
  return r;
}

} // namespace

int child_state(int pidfd, boost::system::error_code& ec) noexcept {
  ec.clear();
  siginfo_t info;
  if (wait_on(pidfd, info, WNOWAIT) < 0) {
    ec.assign(errno, boost::system::system_category());
    return -1;
  }
  return info.si_pid != 0 ? 1 : 0;
}

bool reap_child(int pidfd, exit_status& status, boost::system::error_code& ec) noexcept {
  ec.clear();
  siginfo_t info;
  if (wait_on(pidfd, info, 0) < 0) {
    ec.assign(errno, boost::system::system_category());
    return false;
  }
  if (info.si_pid == 0)
    return false;
  switch (info.si_code) {
  case CLD_EXITED: status = exit_status::exited_with(info.si_status); break;
  case CLD_DUMPED: status = exit_status::killed_by(info.si_status, true); break;
  default: status = exit_status::killed_by(info.si_status); break;
  }
  return true;
}

} // namespace asio_fswatch::detail
