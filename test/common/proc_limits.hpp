// SPDX-License-Identifier: BSL-1.0
// Test support: kernel limits under /proc/sys, read and written (the tests that write one run
// as root, or in a user namespace of their own, and restore it).
#ifndef ASIO_FSWATCH_TEST_COMMON_PROC_LIMITS_HPP
#define ASIO_FSWATCH_TEST_COMMON_PROC_LIMITS_HPP

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <optional>
#include <string>

namespace asio_fswatch::test {

/// The number in `file`, if it can be read.
inline std::optional<long> read_limit(const char* file) {
  std::ifstream in(file);
  long value = 0;
  if (!(in >> value))
    return std::nullopt;
  return value;
}

/// Writes `value` to `file` in one write(2), as the kernel's sysctl handlers want it.
inline bool write_limit(const char* file, long value) {
  int fd = ::open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  const std::string text = std::to_string(value);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

/// fs.inotify.max_queued_events (the kernel's default when it cannot be read).
inline std::size_t max_queued_events() {
  const std::optional<long> n = read_limit("/proc/sys/fs/inotify/max_queued_events");
  return n && *n > 0 ? static_cast<std::size_t>(*n) : 16384;
}

} // namespace asio_fswatch::test

#endif
