// SPDX-License-Identifier: BSL-1.0
// child_bench_support.hpp: child_bench's ground work: the watchdog that turns a hang into a
// message, spawning /bin/true as the floor and ours do, wait statuses, and the check that a run
// left no child and no SIGCHLD handler behind. Included by child_bench.cpp only.
#pragma once

#include <asio_fswatch/child_watcher.hpp>

#include "bench_support.hpp"
#include "child_run_outcome.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace child_bench {


namespace asio = boost::asio;
using asio_fswatch::child_backend;
using asio_fswatch::child_watcher;
using asio_fswatch::exit_status;
using bench::format;
using bench::format_number;
using bench::median;
using bench::median_of;
using bench::read_first_line;
using bench::throw_errno;
using bench::with_thousands;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

constexpr const char* true_path = "/bin/true";
constexpr const char* shell_path = "/bin/sh";
constexpr std::chrono::milliseconds pause_before_wake(1); // every latency sample, every contender

// ---------------------------------------------------------------------------------------------
// Process-wide state: the child to kill on SIGINT/SIGTERM/SIGHUP, and a watchdog that turns a
// hang (a lost wake-up) into a message. Nothing else to clean up: the /bin/true children end by
// themselves, the blocked ones when their pipe closes with this process.

inline std::atomic<pid_t> running_child{-1};
inline void nothing_to_clean_up() {}

inline const char* volatile watched_run = "";

inline void write_stderr(const char* text) {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

inline void on_alarm(int) { // async-signal-safe: write, strlen, _exit
  write_stderr("\nchild_bench: HANG: '");
  write_stderr(watched_run);
  write_stderr("' did not finish in time; giving up\n");
  ::_exit(3);
}

/// Arms the watchdog for one run; `what` must outlive it.
class watched {
public:
  watched(const char* what, unsigned seconds) {
    watched_run = what;
    ::alarm(seconds);
  }
  ~watched() { ::alarm(0); }
  watched(const watched&) = delete;
  watched& operator=(const watched&) = delete;
};

// ---------------------------------------------------------------------------------------------
// Children and their outcomes

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

using run_outcome = bench::child_run_outcome;

inline exit_status from_wait_status(int status) {
  return WIFEXITED(status) ? exit_status::exited_with(WEXITSTATUS(status))
                           : exit_status::killed_by(WTERMSIG(status), WCOREDUMP(status));
}

inline exit_status from_siginfo(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? exit_status::exited_with(info.si_status)
                                    : exit_status::killed_by(info.si_status, info.si_code == CLD_DUMPED);
}

/// posix_spawn of /bin/true, for the floor and for ours alike. The child gets the default signal
/// mask back (this thread blocks SIGINT and company for the signal thread).
inline pid_t spawn_true() {
  struct attributes {
    attributes() {
      posix_spawnattr_init(&value);
      sigset_t empty;
      sigemptyset(&empty);
      posix_spawnattr_setsigmask(&value, &empty);
      posix_spawnattr_setflags(&value, POSIX_SPAWN_SETSIGMASK);
    }
    posix_spawnattr_t value;
  };
  static attributes attr;
  static char* const argv[] = {const_cast<char*>(true_path), nullptr};
  pid_t pid = -1;
  if (int r = ::posix_spawn(&pid, true_path, nullptr, &attr.value, argv, environ); r != 0) {
    errno = r;
    throw_errno("posix_spawn", true_path);
  }
  return pid;
}

inline const std::vector<std::string> no_args;

/// What every run must leave behind: no child (all reaped, none running) and SIGCHLD's default
/// disposition (the sigchld backend's handler goes with its io_context). Empty when so.
inline std::string leftovers() {
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0)
    return info.si_pid ? "child " + std::to_string(info.si_pid) + " left unreaped" : "children left running";
  struct sigaction action {};
  if (::sigaction(SIGCHLD, nullptr, &action) == 0 && action.sa_handler != SIG_DFL)
    return "a SIGCHLD handler left installed";
  return {};
}

/// Empty when pidfd_open works here, else why not.
inline std::string pidfd_problem() {
  int fd = int(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (fd < 0)
    return std::string("pidfd_open: ") + std::strerror(errno);
  ::close(fd);
  return {};
}

} // namespace child_bench
