// SPDX-License-Identifier: BSL-1.0
// Test support: the line a skipped test appends to the file ASIO_FSWATCH_SKIP_LOG names (see
// skip.hpp), for programs without Boost.Test as well (the benchmarks' smoke tests).
#ifndef ASIO_FSWATCH_TEST_COMMON_SKIP_LOG_HPP
#define ASIO_FSWATCH_TEST_COMMON_SKIP_LOG_HPP

#include <cstdlib>
#include <string>
#include <string_view>

#if defined(_WIN32)
#include <cstdio>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace asio_fswatch::test {

enum class skip_kind {
  /// A precondition of this machine is missing (root, io_uring, user namespaces, a second file
  /// system): the code it would test is not tested here.
  machine,
  /// The test cannot run in this build (ThreadSanitizer and forked children); it runs in the
  /// others.
  build,
  /// What the test is about does not exist on this platform (a name holding any bytes, on
  /// Windows); it runs on the others.
  platform,
  /// Not a skip: the case ran under Wine and failed for a defect of Wine's, measured and listed
  /// in doc/guarantees.md ("Under Wine"). It runs each time, so that a Wine that fixes the
  /// defect shows up (the case then passes and says so).
  wine_defect,
};

namespace detail {

inline std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\t' || c == '\n' || c == '\r')
      c = ' ';
  return out;
}

/// The kind as scripts/skip-report.sh reads it.
inline const char* skip_kind_name(skip_kind kind) {
  switch (kind) {
  case skip_kind::machine: return "machine";
  case skip_kind::build: return "build";
  case skip_kind::platform: return "platform";
  case skip_kind::wine_defect: return "wine-defect";
  }
  return "machine"; // not reached: an unnamed kind counts as the strictest
}

inline void log_skip(skip_kind kind, std::string_view id, std::string_view test, std::string_view reason) {
  const char* log = std::getenv("ASIO_FSWATCH_SKIP_LOG");
  if (log == nullptr || *log == '\0')
    return;
  std::string line = skip_kind_name(kind);
  line += '\t' + one_line(id) + '\t' + one_line(test) + '\t' + one_line(reason) + '\n';
#if defined(_WIN32)
  // One unbuffered write of a short line in append mode.
  std::FILE* file = std::fopen(log, "ab");
  if (file == nullptr)
    return;
  std::setvbuf(file, nullptr, _IONBF, 0);
  std::fwrite(line.data(), 1, line.size(), file);
  std::fclose(file);
#else
  // One write of a short line with O_APPEND: lines of tests running at once do not mix.
  int fd = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  [[maybe_unused]] ssize_t written = ::write(fd, line.data(), line.size());
  ::close(fd);
#endif
}

} // namespace detail

} // namespace asio_fswatch::test

#endif
