// SPDX-License-Identifier: BSL-1.0
// child_changes.hpp: what settle_bench and ignore_bench share: this process's CPU time, and
// reading what a child process changes, with the monitor or with a raw inotify loop (the
// floor), until the child has ended and nothing came for a quiet period. Linux only.
#pragma once

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

/// This process's CPU time so far, in milliseconds: user and system, or (`user_only`) user.
inline double cpu_ms(bool user_only = false) {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) { return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3; };
  return ms(usage.ru_utime) + (user_only ? 0 : ms(usage.ru_stime));
}

inline bool child_ended(pid_t pid, int& status) { return ::waitpid(pid, &status, WNOHANG) == pid; }

/// Reads `monitor`'s events while child `pid` runs, until it has ended and nothing came for
/// `quiet`: how many there were. The child's wait status goes to `status`.
inline std::size_t read_while_child_runs(boost::asio::io_context& ioc, asio_fswatch::directory_monitor& monitor,
                                         pid_t pid, std::chrono::milliseconds quiet, int& status) {
  using clock_type = std::chrono::steady_clock;
  std::size_t events = 0;
  bool child_done = false;
  auto last = clock_type::now();
  std::function<void()> read = [&] {
    monitor.async_read_events([&](boost::system::error_code ec, std::vector<asio_fswatch::fs_event> batch) {
      if (ec)
        return;
      events += batch.size();
      last = clock_type::now();
      read();
    });
  };
  read();
  boost::asio::steady_timer tick(ioc);
  std::function<void()> check = [&] {
    tick.expires_after(std::chrono::milliseconds(20));
    tick.async_wait([&](boost::system::error_code) {
      if (!child_done && child_ended(pid, status)) {
        child_done = true;
        last = clock_type::now();
      }
      if (child_done && clock_type::now() - last > quiet) {
        monitor.cancel();
        return;
      }
      check();
    });
  };
  check();
  ioc.run();
  return events;
}

/// The floor: the records of inotify descriptor `fd` (non-blocking), read and dropped the same
/// way; how many there were.
inline std::size_t drain_while_child_runs(int fd, pid_t pid, std::chrono::milliseconds quiet, int& status) {
  using clock_type = std::chrono::steady_clock;
  std::size_t records = 0;
  bool child_done = false;
  auto last = clock_type::now();
  alignas(inotify_event) static char buffer[256 * 1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      for (ssize_t at = 0; at < n;) {
        auto* e = reinterpret_cast<inotify_event*>(buffer + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        ++records;
      }
      last = clock_type::now();
    }
    if (!child_done && child_ended(pid, status)) {
      child_done = true;
      last = clock_type::now();
    }
    if (child_done && clock_type::now() - last > quiet)
      return records;
  }
}

} // namespace bench
