// SPDX-License-Identifier: BSL-1.0
// child_latency.hpp: child_bench's latency runs: from the byte that lets a blocked child exit to
// the end of its wait, for the floor (a blocking waitid), both child_watcher backends, a bare
// Asio signal_set and Boost.Process v2. Included by child_bench.cpp only.
#pragma once

#include "child_bench_support.hpp"

// Boost.Process v2 as users use it, header-only, on std::filesystem. Its 1.81 headers use
// boost::optional, boost::decay and boost::is_convertible without including them.
#define BOOST_PROCESS_USE_STD_FS 1
#include <boost/optional.hpp>
#include <boost/type_traits/decay.hpp>
#include <boost/type_traits/is_convertible.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>

#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fcntl.h>

namespace child_bench {

namespace bp2 = boost::process::v2;

// ---------------------------------------------------------------------------------------------
// Latency: from the write that lets a blocked child exit to the moment its wait returns (floor)
// or its handler runs (ours, Boost.Process).

enum latency_contender { lat_floor, lat_pidfd, lat_sigchld, lat_asio_signal, lat_bp2_shell, lat_pidfd_shell, lat_count };

const char* const latency_names[lat_count] = {
    "fork()ed child: blocking waitid(P_PID) right after the write (the floor)",
    "fork()ed child: child_watcher::async_wait(pid), pidfd backend",
    "fork()ed child: child_watcher::async_wait(pid), sigchld backend",
    "fork()ed child: bare Asio signal_set on SIGCHLD, waitid(P_PID, WNOHANG) in its handler (no asio_fswatch)",
    "/bin/sh child of Boost.Process v2: its own async_wait",
    "/bin/sh child of Boost.Process v2: child_watcher::async_wait(process), pidfd backend",
};

inline bool needs_pidfd(latency_contender who) { return who != lat_floor && who != lat_sigchld && who != lat_asio_signal; }

/// A child that ends (exit 0) as soon as one byte comes on its pipe; `wake` is the write end.
struct blocked_child {
  pid_t pid = -1;
  int wake = -1;
};

/// A fork()ed child blocked in read(2). It closes its copy of the write end, so that it also ends
/// when this process dies.
inline blocked_child fork_blocked_child() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw_errno("pipe2");
  pid_t pid = ::fork();
  if (pid < 0)
    throw_errno("fork");
  if (pid == 0) {
    ::close(fds[1]);
    char byte;
    while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  ::close(fds[0]);
  return {pid, fds[1]};
}

/// `/bin/sh -c 'echo; read x'` spawned by Boost.Process v2 into `process`, stdin and stdout on
/// pipes: once its line has come, the shell is about to block in `read` (the pause before the
/// wake-up leaves it the time to get there). A newline ends the read, and the shell exits 0.
inline blocked_child spawn_blocked_shell(asio::io_context& io, std::optional<bp2::process>& process) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw_errno("pipe2");
  process.emplace(io, shell_path, std::vector<std::string>{"-c", "echo; read x"},
                  bp2::process_stdio{in[0], out[1], {}});
  ::close(in[0]);
  ::close(out[1]);
  char line;
  ssize_t n;
  while ((n = ::read(out[0], &line, 1)) < 0 && errno == EINTR) {
  }
  ::close(out[0]);
  if (n != 1)
    throw std::runtime_error("/bin/sh did not print its line");
  return {pid_t(process->id()), in[1]};
}

/// One sample: the child is started and its wait begun, then after the pause it is woken; the
/// time from the wake-up to the end of the wait, in µs. The child is reaped before it returns.
inline double latency_sample(latency_contender who, asio::io_context& io, child_watcher& watcher,
                      asio::signal_set* sigchld, run_outcome& out) {
  std::optional<clock_type::time_point> end;
  auto on_end = [&](const error_code& ec, auto status) {
    end = clock_type::now();
    out.record(ec, status);
  };
  std::optional<bp2::process> process;
  bool shell = who == lat_bp2_shell || who == lat_pidfd_shell;
  blocked_child child = shell ? spawn_blocked_shell(io, process) : fork_blocked_child();
  running_child.store(child.pid);
  ++out.started;
  if (who == lat_pidfd || who == lat_sigchld)
    watcher.async_wait(child.pid, on_end);
  else if (who == lat_pidfd_shell)
    watcher.async_wait(*process, on_end);
  else if (who == lat_bp2_shell)
    process->async_wait(on_end);
  // The reference for the sigchld backend: what Asio's own signal delivery costs. A SIGCHLD
  // counted from an earlier child just means one more look.
  std::function<void(error_code, int)> on_signal = [&](error_code ec, int) {
    siginfo_t info{};
    if (ec)
      on_end(ec, exit_status());
    else if (::waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
      on_end(error_code(), from_siginfo(info));
    else
      sigchld->async_wait(on_signal);
  };
  if (who == lat_asio_signal)
    sigchld->async_wait(on_signal);
  io.restart();
  std::this_thread::sleep_for(pause_before_wake);

  auto start = clock_type::now();
  const char byte = '\n';
  if (::write(child.wake, &byte, 1) != 1)
    throw_errno("write to the child's pipe");
  if (who == lat_floor) {
    siginfo_t info{};
    while (::waitid(P_PID, id_t(child.pid), &info, WEXITED) < 0)
      if (errno != EINTR)
        throw_errno("waitid");
    on_end(error_code(), from_siginfo(info));
  } else {
    io.run();
  }
  ::close(child.wake);
  running_child.store(-1);
  if (!end) {
    out.fail("io_context::run() returned without calling the handler");
    return 0;
  }
  return std::chrono::duration<double, std::micro>(*end - start).count();
}

/// Latency samples taken first in each run and not counted.
inline std::size_t warm_up_samples(std::size_t samples) { return std::max<std::size_t>(2, samples / 50); }

struct latency_run {
  run_outcome out;
  double p50 = 0, p99 = 0;
};

inline latency_run run_latency(latency_contender who, std::size_t samples) {
  asio::io_context io;
  child_watcher watcher(io, {who == lat_sigchld ? child_backend::sigchld : child_backend::pidfd});
  std::optional<asio::signal_set> sigchld;
  if (who == lat_asio_signal)
    sigchld.emplace(io, SIGCHLD);
  asio::signal_set* signals = sigchld ? &*sigchld : nullptr;
  latency_run r;
  for (std::size_t i = 0; i < warm_up_samples(samples); ++i)
    latency_sample(who, io, watcher, signals, r.out);
  std::vector<double> us;
  auto start = clock_type::now();
  for (std::size_t i = 0; i < samples; ++i)
    us.push_back(latency_sample(who, io, watcher, signals, r.out));
  r.out.seconds = seconds_since(start);
  std::sort(us.begin(), us.end());
  r.p50 = bench::percentile(us, 50);
  r.p99 = bench::percentile(us, 99);
  return r;
}

} // namespace child_bench
