// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: the operating system's part, POSIX.
#include "platform.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asio_fswatch::tool {

std::vector<std::string> command_arguments(int argc, char** argv) {
  return std::vector<std::string>(argv + std::min(argc, 1), argv + argc);
}

bool reserve_standard_streams() {
  bool output_was_closed = false;
  for (int descriptor = 0; descriptor <= 2; ++descriptor) {
    if (::fcntl(descriptor, F_GETFD) >= 0 || errno != EBADF)
      continue;
    output_was_closed = output_was_closed || descriptor == STDOUT_FILENO;
    // The lowest free number is `descriptor`: the ones below it are open by now.
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0 && null != descriptor)
      ::close(null);
  }
  return output_was_closed;
}

void add_stop_signals(boost::asio::signal_set& signals) {
  signals.add(SIGINT);
  signals.add(SIGTERM);
}

std::string signal_name(int signal) {
#if defined(__GLIBC__)
  if (const char* abbrev = ::sigabbrev_np(signal))
    return std::string("SIG") + abbrev;
#endif
  return "signal " + std::to_string(signal);
}

namespace {

std::optional<file_identity> regular(const struct stat& status) {
  if (!S_ISREG(status.st_mode))
    return std::nullopt;
  return file_identity{std::uint64_t(status.st_dev), std::uint64_t(status.st_ino)};
}

} // namespace

std::optional<file_identity> standard_stream_file(int stream) {
  struct stat status {};
  if (::fstat(stream, &status) != 0)
    return std::nullopt;
  return regular(status);
}

std::filesystem::path standard_stream_name(int) { return {}; } // lstat is cheap here: no filter

bool same_name(const std::filesystem::path& a, const std::filesystem::path& b) { return a == b; }

std::optional<file_identity> regular_file_identity(const std::filesystem::path& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0)
    return std::nullopt;
  return regular(status);
}

std::optional<file_identity> directory_identity(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0 || !S_ISDIR(status.st_mode))
    return std::nullopt;
  return file_identity{std::uint64_t(status.st_dev), std::uint64_t(status.st_ino)};
}

std::filesystem::path make_private_directory(const char* prefix, std::string& error) {
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::temp_directory_path(ec); // TMPDIR, or /tmp
  if (ec) {
    error = "TMPDIR: " + ec.message();
    return {};
  }
  std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).native();
  if (!::mkdtemp(pattern.data())) {
    error = std::strerror(errno);
    return {};
  }
  return pattern;
}

void write_new_private_file(const std::filesystem::path& path, const std::string& contents, std::error_code& ec) {
  const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    ec = std::error_code(errno, std::generic_category());
    return;
  }
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(descriptor, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ec = std::error_code(n < 0 ? errno : EIO, std::generic_category());
      break;
    }
    done += std::size_t(n);
  }
  if (::close(descriptor) != 0 && !ec)
    ec = std::error_code(errno, std::generic_category());
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored); // never a list cut short without saying so
  }
}

} // namespace asio_fswatch::tool
