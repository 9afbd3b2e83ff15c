// SPDX-License-Identifier: BSL-1.0
// file_bench_setup.hpp: file_bench's ground work: the temporary directory and its clean-up (also
// on a signal), the watchdog that turns a hang into a message, machine information, and the test
// file whose every 4 KiB block begins with its own index. Included by file_bench.cpp only.
#pragma once

#include "bench_support.hpp"

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>
#include <spawn.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace file_bench {

using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;
using bench::block_size;
using bench::format;
using bench::format_number;
using bench::make_offsets;
using bench::median;
using bench::median_of;
using bench::read_first_line;
using bench::stored_index;
using bench::throw_errno;
using bench::with_thousands;
constexpr std::uint64_t offsets_seed = 20261122; // the warm-up uses offsets_seed + 1

// ---------------------------------------------------------------------------------------------
// Small helpers

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

inline std::size_t warmup_reads(std::size_t reads) { return std::max<std::size_t>(100, reads / 20); }

struct aligned_buffer {
  explicit aligned_buffer(std::size_t size)
      : data(static_cast<unsigned char*>(std::aligned_alloc(block_size, size))) {
    if (!data)
      throw std::bad_alloc();
    std::memset(data, 0, size);
  }
  ~aligned_buffer() { std::free(data); }
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  unsigned char* data;
};

// ---------------------------------------------------------------------------------------------
// Process-wide state undone at exit, also on SIGINT/SIGTERM/SIGHUP, and a watchdog that turns a
// hang into a message.

struct cleanup_state {
  std::mutex mutex;
  std::string temp_root;
  bool done = false;
};
inline cleanup_state cleanup;
inline std::atomic<pid_t> running_child{-1};

inline void clean_up_everything() {
  std::lock_guard lock(cleanup.mutex);
  if (cleanup.done)
    return;
  cleanup.done = true;
  if (!cleanup.temp_root.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(cleanup.temp_root, ignored);
  }
}

/// One run at a time is watched: when it does not end in time, the program says which one and
/// exits (a hang of the library is a finding, not something to wait for).
class watchdog {
public:
  watchdog() : thread_([this] { loop(); }) {}
  ~watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      wake_.notify_one();
    }
    thread_.join();
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;
  void arm(std::string what, std::chrono::seconds limit) {
    std::lock_guard lock(mutex_);
    what_ = std::move(what);
    deadline_ = clock_type::now() + limit;
    armed_ = true;
    wake_.notify_one();
  }
  void disarm() {
    std::lock_guard lock(mutex_);
    armed_ = false;
  }

private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (!armed_) {
        wake_.wait(lock);
        continue;
      }
      if (wake_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
          clock_type::now() >= deadline_) {
        std::fprintf(stderr, "\nfile_bench: HANG: '%s' did not finish in time; giving up\n", what_.c_str());
        if (pid_t child = running_child.load(); child > 0)
          ::kill(child, SIGKILL);
        lock.unlock();
        clean_up_everything();
        std::_Exit(3);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool armed_ = false;
  bool stop_ = false;
  std::string what_;
  clock_type::time_point deadline_;
  std::thread thread_; // last: starts once the members above exist
};

// ---------------------------------------------------------------------------------------------
// Machine information

inline std::string command_output_first_line(const char* command) {
  std::FILE* pipe = ::popen(command, "r");
  if (!pipe)
    return "unknown";
  char buffer[256] = {};
  std::string line = std::fgets(buffer, sizeof buffer, pipe) ? buffer : "unknown";
  ::pclose(pipe);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  return line;
}

inline std::string default_base_dir() {
  for (const char* candidate : {"/var/tmp", "/tmp"}) {
    struct stat st;
    if (::stat(candidate, &st) == 0 && S_ISDIR(st.st_mode) && ::access(candidate, W_OK) == 0 &&
        bench::file_system_type(candidate) != "tmpfs")
      return candidate;
  }
  std::fprintf(stderr, "file_bench: /var/tmp and /tmp are both tmpfs (or not writable); using /tmp. "
                       "Give --dir for a disk-backed file system.\n");
  return "/tmp";
}

inline std::string make_temp_root(const std::string& base) {
  std::string root = bench::make_temp_dir(base, "asio_fswatch_file_bench");
  std::lock_guard lock(cleanup.mutex);
  cleanup.temp_root = root;
  return root;
}

// ---------------------------------------------------------------------------------------------
// The test file: every 4 KiB block begins with its own index, so each read can be checked.

inline void fill_block(unsigned char* block, std::uint64_t index) {
  std::uint64_t words[block_size / 8];
  words[0] = index;
  for (std::size_t j = 1; j < block_size / 8; ++j)
    words[j] = (index * 0x9E3779B97F4A7C15ull) ^ (j * 0xC2B2AE3D27D4EB4Full);
  std::memcpy(block, words, block_size);
}

inline void create_test_file(const std::string& path, std::uint64_t size) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    throw_errno("open", path);
  constexpr std::size_t chunk = std::size_t(1) << 20;
  aligned_buffer buffer(chunk);
  for (std::uint64_t offset = 0; offset < size; offset += chunk) {
    std::size_t n = std::size_t(std::min<std::uint64_t>(chunk, size - offset));
    for (std::size_t b = 0; b < n; b += block_size)
      fill_block(buffer.data + b, (offset + b) / block_size);
    for (std::size_t written = 0; written < n;) {
      ssize_t w = ::pwrite(fd, buffer.data + written, n - written, off_t(offset + written));
      if (w < 0) {
        if (errno == EINTR)
          continue;
        ::close(fd);
        throw_errno("pwrite", path);
      }
      written += std::size_t(w);
    }
  }
  // On the disk, so that no writeback of this file runs during the measurements; the pages stay
  // in the page cache.
  if (::fdatasync(fd) != 0) {
    ::close(fd);
    throw_errno("fdatasync", path);
  }
  ::close(fd);
}

/// Reads the whole file once (1 MiB at a time); returns the bytes read.
inline std::uint64_t read_whole_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw_errno("open", path);
  constexpr std::size_t chunk = std::size_t(1) << 20;
  aligned_buffer buffer(chunk);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buffer.data, chunk, off_t(total));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ::close(fd);
      throw_errno("pread", path);
    }
    if (n == 0)
      break;
    total += std::uint64_t(n);
  }
  ::close(fd);
  return total;
}

/// The share of the file's pages in the page cache (mincore), 0 to 1.
inline double resident_share(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw_errno("open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return 0;
  }
  std::size_t size = std::size_t(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    throw_errno("mmap", path);
  std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages((size + page - 1) / page);
  int r = ::mincore(map, size, pages.data());
  ::munmap(map, size);
  if (r != 0)
    throw_errno("mincore", path);
  std::size_t resident = 0;
  for (unsigned char p : pages)
    resident += p & 1;
  return double(resident) / double(pages.size());
}

/// Checks `copy` against the test file: its size, and the index at the head of 1,024 blocks
/// drawn at random plus the first and the last. Returns an empty string when it matches.
inline std::string check_copy(const std::string& copy, std::uint64_t size) {
  struct stat st;
  if (::stat(copy.c_str(), &st) != 0)
    return "the copy does not exist: " + std::string(std::strerror(errno));
  if (std::uint64_t(st.st_size) != size)
    return "the copy has " + with_thousands(std::uint64_t(st.st_size)) + " bytes instead of " +
           with_thousands(size);
  int fd = ::open(copy.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "cannot open the copy: " + std::string(std::strerror(errno));
  std::uint64_t blocks = size / block_size;
  std::vector<std::uint64_t> sample = make_offsets(offsets_seed + 2, 1024, blocks);
  sample.push_back(0);
  sample.push_back((blocks - 1) * block_size);
  std::string problem;
  for (std::uint64_t offset : sample) {
    std::uint64_t stored = 0;
    if (::pread(fd, &stored, sizeof stored, off_t(offset)) != ssize_t(sizeof stored) ||
        stored != offset / block_size) {
      problem = "the copy differs from the source in the block at offset " + with_thousands(offset);
      break;
    }
  }
  ::close(fd);
  return problem;
}


} // namespace file_bench
