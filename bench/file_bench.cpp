// SPDX-License-Identifier: BSL-1.0
// file_bench: asio_fswatch's file I/O against its floors, on the same machine in the same run:
// random 4 KiB reads of a page-cached file (io_uring backend, thread-pool backend, Boost.Asio's
// own random_access_file on io_uring, a plain pread loop) and a whole-file copy
// (async_copy_file against cp). Prints machine information and Markdown tables; never asserts
// on time. Scenarios, sizes and how each figure is taken: bench/README.md.
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/random_access_file.hpp>

#include "bench_support.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
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
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#if defined(ASIO_FSWATCH_BENCH_HAS_URING)
#include <liburing.h>
#endif
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ASIO_FSWATCH_BENCH_ASIO_PATH
#define ASIO_FSWATCH_BENCH_ASIO_PATH ""
#endif

extern char** environ;

namespace {

namespace asio = boost::asio;
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
constexpr std::size_t deep = 64;             // operations in flight for the deep runs
constexpr std::uint64_t offsets_seed = 20261122; // the warm-up uses offsets_seed + 1

// ---------------------------------------------------------------------------------------------
// Command line

struct command_line {
  bool quick = false;
  int repeat = 1;
  std::string dir;                 // empty: /var/tmp or /tmp, whichever is not a tmpfs
  std::uint64_t size_mib = 1024;
  std::size_t reads_shallow = 200000; // depth 1
  std::size_t reads_deep = 1000000;   // depth 64
  std::string asio_bench = ASIO_FSWATCH_BENCH_ASIO_PATH;
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: file_bench [--quick] [--repeat N] [--dir DIR] [--size-mib N] [--reads N]\n"
               "                  [--reads-deep N] [--asio-bench PATH]\n"
               "  --quick           16 MiB file, 2,000 / 10,000 reads: a smoke run of a few seconds\n"
               "  --repeat N        run everything N times; the tables show medians\n"
               "  --dir DIR         where the test file and the copy go (default: a new directory\n"
               "                    under /var/tmp, else /tmp, on a file system that is not tmpfs)\n"
               "  --size-mib N      size of the test file (default 1024)\n"
               "  --reads N         reads per depth-1 run (default 200,000)\n"
               "  --reads-deep N    reads per depth-64 run (default 1,000,000)\n"
               "  --asio-bench PATH the file_bench_asio program (default: the one built with this)\n");
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  bool size_given = false, reads_given = false, deep_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto number = [&](std::uint64_t minimum) -> std::optional<std::uint64_t> {
      if (i + 1 >= argc)
        return std::nullopt;
      char* end = nullptr;
      unsigned long long v = std::strtoull(argv[++i], &end, 10);
      if (!end || *end != '\0' || v < minimum)
        return std::nullopt;
      return v;
    };
    if (arg == "--quick") {
      cmd.quick = true;
    } else if (arg == "--repeat") {
      auto v = number(1);
      if (!v)
        return std::nullopt;
      cmd.repeat = int(std::min<std::uint64_t>(*v, 1000));
    } else if (arg == "--dir" && i + 1 < argc) {
      cmd.dir = argv[++i];
    } else if (arg == "--size-mib") {
      auto v = number(1);
      if (!v)
        return std::nullopt;
      cmd.size_mib = *v;
      size_given = true;
    } else if (arg == "--reads") {
      auto v = number(1);
      if (!v)
        return std::nullopt;
      cmd.reads_shallow = std::size_t(*v);
      reads_given = true;
    } else if (arg == "--reads-deep") {
      auto v = number(deep);
      if (!v)
        return std::nullopt;
      cmd.reads_deep = std::size_t(*v);
      deep_given = true;
    } else if (arg == "--asio-bench" && i + 1 < argc) {
      cmd.asio_bench = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown or incomplete argument '%s'\n", argv[i]);
      return std::nullopt;
    }
  }
  if (cmd.quick) {
    if (!size_given)
      cmd.size_mib = 16;
    if (!reads_given)
      cmd.reads_shallow = 2000;
    if (!deep_given)
      cmd.reads_deep = 10000;
  }
  return cmd;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::size_t warmup_reads(std::size_t reads) { return std::max<std::size_t>(100, reads / 20); }

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
cleanup_state cleanup;
std::atomic<pid_t> running_child{-1};

void clean_up_everything() {
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

std::string command_output_first_line(const char* command) {
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

std::string default_base_dir() {
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

std::string make_temp_root(const std::string& base) {
  std::string root = bench::make_temp_dir(base, "asio_fswatch_file_bench");
  std::lock_guard lock(cleanup.mutex);
  cleanup.temp_root = root;
  return root;
}

// ---------------------------------------------------------------------------------------------
// The test file: every 4 KiB block begins with its own index, so each read can be checked.

void fill_block(unsigned char* block, std::uint64_t index) {
  std::uint64_t words[block_size / 8];
  words[0] = index;
  for (std::size_t j = 1; j < block_size / 8; ++j)
    words[j] = (index * 0x9E3779B97F4A7C15ull) ^ (j * 0xC2B2AE3D27D4EB4Full);
  std::memcpy(block, words, block_size);
}

void create_test_file(const std::string& path, std::uint64_t size) {
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
std::uint64_t read_whole_file(const std::string& path) {
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
double resident_share(const std::string& path) {
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
std::string check_copy(const std::string& copy, std::uint64_t size) {
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

// ---------------------------------------------------------------------------------------------
// Contenders of the random reads

enum contender { pread_loop, raw_uring, ours_uring, ours_threads, asio_uring, contender_count };

const char* const contender_names[contender_count] = {
    "pread loop, one thread (the floor)",
    "raw io_uring loop (liburing, no Asio): io_uring's own floor",
    "asio_fswatch random_access_file, io_uring backend",
    "asio_fswatch random_access_file, thread-pool backend (4 threads)",
    "Boost.Asio random_access_file, io_uring (file_bench_asio)",
};

struct read_result {
  std::size_t reads = 0;
  double seconds = 0;
  std::size_t errors = 0;
  std::size_t mismatches = 0;
};

read_result run_pread(int fd, const std::vector<std::uint64_t>& offsets) {
  aligned_buffer buffer(block_size);
  read_result result;
  auto start = clock_type::now();
  for (std::uint64_t offset : offsets) {
    ssize_t n = ::pread(fd, buffer.data, block_size, off_t(offset));
    if (n != ssize_t(block_size)) {
      ++result.errors;
      continue;
    }
    if (stored_index(buffer.data) != offset / block_size)
      ++result.mismatches;
  }
  result.seconds = seconds_since(start);
  result.reads = offsets.size();
  return result;
}

#if defined(ASIO_FSWATCH_BENCH_HAS_URING)
/// io_uring by hand: `depth` reads kept in flight with liburing, one submit-and-wait per round.
/// What io_uring itself costs on this kernel, with nothing of Asio or asio_fswatch.
std::optional<read_result> run_raw_uring(int fd, std::size_t depth, const std::vector<std::uint64_t>& offsets,
                                         std::string& why) {
  io_uring ring{};
  if (int r = io_uring_queue_init(256, &ring, 0); r < 0) {
    why = std::string("io_uring_queue_init: ") + std::strerror(-r);
    return std::nullopt;
  }
  std::deque<aligned_buffer> buffers; // not movable: a deque never moves them
  for (std::size_t i = 0; i < depth; ++i)
    buffers.emplace_back(block_size);
  read_result result;
  std::size_t next = 0, in_flight = 0;
  auto issue = [&](std::size_t slot) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_read(sqe, fd, buffers[slot].data, unsigned(block_size), offsets[next]);
    io_uring_sqe_set_data64(sqe, (std::uint64_t(slot) << 40) | (offsets[next] / block_size));
    ++next;
    ++in_flight;
  };
  auto start = clock_type::now();
  for (std::size_t slot = 0; slot < depth && next < offsets.size(); ++slot)
    issue(slot);
  while (in_flight > 0) {
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0, seen = 0;
    std::vector<std::size_t> free_slots;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      --in_flight;
      std::size_t slot = std::size_t(cqe->user_data >> 40);
      std::uint64_t index = cqe->user_data & ((std::uint64_t(1) << 40) - 1);
      if (cqe->res != int(block_size)) {
        ++result.errors;
      } else {
        if (stored_index(buffers[slot].data) != index)
          ++result.mismatches;
      }
      free_slots.push_back(slot);
    }
    io_uring_cq_advance(&ring, seen);
    for (std::size_t slot : free_slots)
      if (next < offsets.size())
        issue(slot);
  }
  result.seconds = seconds_since(start);
  result.reads = offsets.size();
  io_uring_queue_exit(&ring);
  return result;
}
#endif

struct run_state {
  const std::uint64_t* offsets = nullptr;
  std::size_t count = 0;
  std::size_t next = 0;
  std::size_t done = 0;
  std::size_t errors = 0;
  std::size_t mismatches = 0;
  error_code first_error;
};

// One chain of reads: each completion checks its block and starts the chain's next read.
struct chain {
  run_state* run = nullptr;
  asio_fswatch::random_access_file* file = nullptr;
  unsigned char* buffer = nullptr;
  std::uint64_t block = 0;

  void start();
  void on_read(const error_code& ec, std::size_t bytes);
};

// A plain handler: one pointer, nothing allocated by the completion token itself.
struct read_handler {
  chain* self;
  void operator()(const error_code& ec, std::size_t bytes) const { self->on_read(ec, bytes); }
};

void chain::start() {
  if (run->next == run->count)
    return;
  std::uint64_t offset = run->offsets[run->next++];
  block = offset / block_size;
  file->async_read_some_at(offset, asio::buffer(buffer, block_size), read_handler{this});
}

void chain::on_read(const error_code& ec, std::size_t bytes) {
  ++run->done;
  if (ec || bytes != block_size) {
    if (run->errors++ == 0)
      run->first_error = ec;
  } else {
    if (stored_index(buffer) != block)
      ++run->mismatches;
  }
  start();
}

read_result run_chains(asio::io_context& io, asio_fswatch::random_access_file& file,
                       unsigned char* buffers, std::size_t depth, const std::vector<std::uint64_t>& offsets) {
  run_state state;
  state.offsets = offsets.data();
  state.count = offsets.size();
  std::vector<chain> chains(depth);
  io.restart();
  auto start = clock_type::now();
  for (std::size_t i = 0; i < depth; ++i) {
    chains[i].run = &state;
    chains[i].file = &file;
    chains[i].buffer = buffers + i * block_size;
    chains[i].start();
  }
  io.run();
  read_result result;
  result.seconds = seconds_since(start);
  result.reads = state.done;
  result.errors = state.errors;
  result.mismatches = state.mismatches;
  if (state.errors > 0)
    std::fprintf(stderr, "  %zu reads failed, the first with: %s\n", state.errors,
                 state.first_error.message().c_str());
  if (state.done != offsets.size())
    std::fprintf(stderr, "  io_context::run() returned after %zu of %zu completions\n", state.done,
                 offsets.size());
  return result;
}

/// asio_fswatch on `backend`: a fresh io_context and file, a warm-up, then the timed run.
/// Empty when the backend cannot be used here (`why` says why).
std::optional<read_result> run_ours(const std::string& path, asio_fswatch::file_backend_kind backend,
                                    std::size_t depth, const std::vector<std::uint64_t>& warm,
                                    const std::vector<std::uint64_t>& offsets, std::string& why) {
  asio::io_context io;
  asio_fswatch::file_service_options options;
  options.backend = backend;
  error_code ec;
  asio_fswatch::configure_file_service(io, options, ec);
  if (!ec)
    asio_fswatch::file_backend(io, ec);
  if (ec) {
    why = ec.message();
    return std::nullopt;
  }
  asio_fswatch::random_access_file file(io, path, asio_fswatch::file_base::read_only);
  aligned_buffer buffers(depth * block_size);
  run_chains(io, file, buffers.data, depth, warm);
  return run_chains(io, file, buffers.data, depth, offsets);
}

/// Spawns `argv`, its stdout captured when `output` is given; returns the wait status.
int spawn_and_wait(const std::vector<std::string>& args, std::string* output) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (output) {
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
      throw_errno("pipe2");
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  }
  // The child gets the default signal mask back (ours blocks SIGINT and company).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int r = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (output)
    ::close(pipe_fds[1]);
  if (r != 0) {
    if (output)
      ::close(pipe_fds[0]);
    errno = r;
    throw_errno("posix_spawn", args[0]);
  }
  running_child.store(pid);
  if (output) {
    char buffer[512];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
      if (n < 0) {
        if (errno == EINTR)
          continue;
        break;
      }
      output->append(buffer, std::size_t(n));
    }
    ::close(pipe_fds[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  running_child.store(-1);
  return status;
}

/// Boost.Asio's own random_access_file, in the file_bench_asio child. Empty when Asio cannot use
/// io_uring here (`why` says why); throws when the child fails otherwise.
std::optional<read_result> run_asio(const std::string& program, const std::string& path, std::size_t depth,
                                    std::size_t reads, std::size_t warmup, std::string& why) {
  if (program.empty() || ::access(program.c_str(), X_OK) != 0) {
    why = "file_bench_asio not found at '" + program + "'";
    return std::nullopt;
  }
  std::string output;
  int status = spawn_and_wait({program, path, std::to_string(depth), std::to_string(reads),
                               std::to_string(warmup), std::to_string(offsets_seed)},
                              &output);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    why = output;
    while (!why.empty() && why.back() == '\n')
      why.pop_back();
    return std::nullopt;
  }
  read_result result;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(output.c_str(), "file_bench_asio reads=%zu seconds=%lf errors=%zu mismatches=%zu",
                  &result.reads, &result.seconds, &result.errors, &result.mismatches) != 4)
    throw std::runtime_error("file_bench_asio failed (status " + std::to_string(status) + "), output: " + output);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Results

struct results {
  // [contender][0: depth 1, 1: depth 64]: µs per read of each repetition.
  std::array<std::array<std::vector<double>, 2>, contender_count> us_per_read;
  std::array<std::string, contender_count> unavailable; // why a contender has no figures
  std::vector<double> copy_ours_s, copy_cp_s;
  std::vector<double> copy_ours_handler_s; // from the call to the completion handler
  std::string copy_backend;
  std::size_t read_errors = 0, read_mismatches = 0;
  std::vector<std::string> failures; // wrong data, failed reads or copies: the exit status says so
};

void record_read(results& all, contender who, int depth_index, const std::optional<read_result>& r,
                 const std::string& label) {
  if (!r)
    return;
  double us = r->reads ? r->seconds * 1e6 / double(r->reads) : 0;
  std::fprintf(stderr, "  %-66s %s: %9s reads in %.3f s: %.3f µs per read, %s reads/s\n", label.c_str(),
               depth_index == 0 ? "depth  1" : "depth 64", with_thousands(r->reads).c_str(), r->seconds, us,
               with_thousands(std::uint64_t(double(r->reads) / r->seconds)).c_str());
  if (r->errors || r->mismatches) {
    all.failures.push_back(label + (depth_index == 0 ? ", depth 1: " : ", depth 64: ") +
                           std::to_string(r->errors) + " failed reads, " + std::to_string(r->mismatches) +
                           " reads with the wrong data");
    return; // no figure from a run that did not do its work
  }
  all.us_per_read[who][std::size_t(depth_index)].push_back(us);
}

std::string read_cell(std::optional<double> us) {
  if (!us)
    return "n/a";
  return format_number(*us) + " µs (" + with_thousands(std::uint64_t(1e6 / *us + 0.5)) + "/s)";
}

std::string copy_cell(std::optional<double> seconds, std::uint64_t bytes) {
  if (!seconds)
    return "n/a";
  double mib_s = double(bytes) / double(1 << 20) / *seconds;
  return format(*seconds, 3) + " s (" + with_thousands(std::uint64_t(mib_s + 0.5)) + " MiB/s)";
}

int print_tables(const results& all, const command_line& cmd, std::uint64_t file_size) {
  auto reads_median = [&](contender who, int d) { return median_of(all.us_per_read[who][std::size_t(d)], cmd.repeat); };
  std::string runs = cmd.repeat > 1 ? " (median of " + std::to_string(cmd.repeat) + " runs)" : "";

  std::printf("### Every contender: random 4 KiB reads%s\n\n", runs.c_str());
  std::printf("| contender | depth 1: µs per read | depth 1: reads/s | depth 64: µs per read | depth 64: reads/s |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  for (int c = 0; c < contender_count; ++c) {
    std::string cells[2][2];
    for (int d = 0; d < 2; ++d) {
      std::optional<double> us = reads_median(contender(c), d);
      cells[d][0] = us ? format_number(*us) : "n/a";
      cells[d][1] = us ? with_thousands(std::uint64_t(1e6 / *us + 0.5)) : "n/a";
    }
    std::string name = contender_names[c];
    if (c == pread_loop)
      name += "; its depth-64 column is the same loop (one read at a time: it has no depth)";
    if (!all.unavailable[std::size_t(c)].empty())
      name += " — unavailable: " + all.unavailable[std::size_t(c)];
    std::printf("| %s | %s | %s | %s | %s |\n", name.c_str(), cells[0][0].c_str(), cells[0][1].c_str(),
                cells[1][0].c_str(), cells[1][1].c_str());
  }

  std::printf("\n### Against the floors and targets%s\n\n", runs.c_str());
  bench::print_target_table_heading(stdout, "floor / reference");
  int missed = 0;
  auto row = [&](const std::string& scenario, const std::string& metric, std::optional<double> floor,
                 std::optional<double> ours, std::optional<double> limit, const std::string& target_text,
                 const std::string& floor_cell, const std::string& ours_cell) {
    std::optional<double> ratio;
    if (floor && ours && *floor > 0)
      ratio = *ours / *floor;
    std::string target = "—";
    if (limit) {
      bool miss = !ratio || *ratio > *limit;
      missed += miss ? 1 : 0;
      target = target_text + bench::verdict(miss);
    }
    bench::print_target_row(stdout, scenario, metric, floor_cell, ours_cell, ratio, target);
  };
  auto read_row = [&](int d, const std::string& metric, contender floor_side, contender ours_side,
                      std::optional<double> limit, const std::string& target_text) {
    std::optional<double> f = reads_median(floor_side, d), o = reads_median(ours_side, d);
    row(d == 0 ? "random 4 KiB read, depth 1" : "random 4 KiB read, depth 64", metric, f, o, limit, target_text,
        read_cell(f), read_cell(o));
  };
  read_row(0, "time per read: io_uring backend vs pread loop (floor)", pread_loop, ours_uring, 1.3,
           "<= 1.3x floor");
  read_row(0, "time per read: raw io_uring loop (no Asio) vs pread loop: io_uring's own cost", pread_loop,
           raw_uring, std::nullopt, "");
  read_row(0, "time per read: io_uring backend vs raw io_uring loop", raw_uring, ours_uring, std::nullopt, "");
  read_row(0, "time per read: io_uring backend vs Asio random_access_file (io_uring)", asio_uring, ours_uring, 1.0,
           "<= 1.0x (at least as fast as Asio)");
  read_row(0, "time per read: thread-pool backend vs pread loop (floor)", pread_loop, ours_threads, std::nullopt,
           "");
  read_row(1, "time per read: io_uring backend vs Asio random_access_file (io_uring), 64 in flight each",
           asio_uring, ours_uring, 1.0, "<= 1.0x (at least as fast as Asio)");
  read_row(1, "time per read: io_uring backend vs raw io_uring loop, 64 in flight each", raw_uring, ours_uring,
           std::nullopt, "");
  read_row(1, "time per read: io_uring backend, 64 in flight, vs pread loop (one at a time: no depth)",
           pread_loop, ours_uring, std::nullopt, "");
  read_row(1, "time per read: thread-pool backend, 64 in flight, vs pread loop (no depth)", pread_loop,
           ours_threads, std::nullopt, "");
  read_row(1, "time per read: thread-pool backend vs Asio (io_uring), 64 in flight each", asio_uring,
           ours_threads, std::nullopt, "");

  std::size_t copies = std::size_t(2 * cmd.repeat); // per side
  std::optional<double> cp_s = median_of(all.copy_cp_s, int(copies));
  std::optional<double> ours_s = median_of(all.copy_ours_s, int(copies));
  std::string mib = with_thousands(file_size >> 20);
  std::string each = copies > 1 ? " (median of " + std::to_string(copies) + " copies each, alternating)" : "";
  row("copy a " + mib + " MiB page-cached file",
      "wall time: async_copy_file (" + all.copy_backend + ") until io_context::run() returns, vs `cp SRC DST` "
      "until it exits (floor)" + each,
      cp_s, ours_s, 1.1, "<= 1.1x floor", copy_cell(cp_s, file_size), copy_cell(ours_s, file_size));
  std::optional<double> handler_s = median_of(all.copy_ours_handler_s, int(copies));
  row("copy a " + mib + " MiB page-cached file",
      "async_copy_file: time until its completion handler runs (the job closes its descriptors after)" + each,
      cp_s, handler_s, std::nullopt, "", copy_cell(cp_s, file_size), copy_cell(handler_s, file_size));
  return missed;
}

// ---------------------------------------------------------------------------------------------

int run(const command_line& cmd) {
  watchdog dog;
  const std::chrono::seconds run_limit(cmd.quick ? 60 : 300);
  std::string load_at_start = read_first_line("/proc/loadavg");
  std::string base = cmd.dir.empty() ? default_base_dir() : cmd.dir;
  std::string root = make_temp_root(base);
  const std::string source = root + "/source.bin";
  const std::string copy = root + "/copy.bin";
  const std::uint64_t file_size = cmd.size_mib << 20;
  const std::uint64_t blocks = file_size / block_size;

  std::fprintf(stderr, "creating %s (%s MiB)...\n", source.c_str(), with_thousands(cmd.size_mib).c_str());
  auto start = clock_type::now();
  dog.arm("creating the test file", std::chrono::seconds(600));
  create_test_file(source, file_size);
  std::fprintf(stderr, "  written and fdatasync'ed in %.1f s\n", seconds_since(start));
  std::uint64_t got = read_whole_file(source);
  if (got != file_size)
    throw std::runtime_error("the test file reads back " + with_thousands(got) + " bytes");
  double resident = resident_share(source);
  dog.disarm();
  std::fprintf(stderr, "  read once fully; %.1f%% of its pages are in the page cache\n", resident * 100);

  const std::vector<std::uint64_t> offsets_shallow = make_offsets(offsets_seed, cmd.reads_shallow, blocks);
  const std::vector<std::uint64_t> offsets_deep = make_offsets(offsets_seed, cmd.reads_deep, blocks);
  const std::size_t warm_shallow = warmup_reads(cmd.reads_shallow), warm_deep = warmup_reads(cmd.reads_deep);
  const std::vector<std::uint64_t> warm_offsets_shallow = make_offsets(offsets_seed + 1, warm_shallow, blocks);
  const std::vector<std::uint64_t> warm_offsets_deep = make_offsets(offsets_seed + 1, warm_deep, blocks);

  results all;
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw_errno("open", source);

  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    if (cmd.repeat > 1)
      std::fprintf(stderr, "repetition %d of %d\n", repetition + 1, cmd.repeat);
    // Each repetition starts with another contender, so that none always runs first.
    for (int k = 0; k < contender_count; ++k) {
      contender who = contender((k + repetition) % contender_count);
      for (int d = 0; d < 2; ++d) {
        std::size_t depth = d == 0 ? 1 : deep;
        const auto& offsets = d == 0 ? offsets_shallow : offsets_deep;
        const auto& warm = d == 0 ? warm_offsets_shallow : warm_offsets_deep;
        std::string label = contender_names[who];
        dog.arm(label + (d == 0 ? ", depth 1" : ", depth 64"), run_limit);
        std::optional<read_result> r;
        std::string why;
        switch (who) {
        case pread_loop:
          run_pread(fd, warm);
          r = run_pread(fd, offsets);
          break;
        case raw_uring:
#if defined(ASIO_FSWATCH_BENCH_HAS_URING)
          run_raw_uring(fd, depth, warm, why);
          r = run_raw_uring(fd, depth, offsets, why);
#else
          why = "built without liburing";
#endif
          break;
        case ours_uring:
          r = run_ours(source, asio_fswatch::file_backend_kind::io_uring, depth, warm, offsets, why);
          break;
        case ours_threads:
          r = run_ours(source, asio_fswatch::file_backend_kind::threads, depth, warm, offsets, why);
          break;
        case asio_uring:
          r = run_asio(cmd.asio_bench, source, depth, offsets.size(), warm.size(), why);
          break;
        case contender_count:
          break;
        }
        dog.disarm();
        if (!r && all.unavailable[who].empty()) {
          all.unavailable[who] = why;
          std::fprintf(stderr, "  %s: unavailable: %s\n", label.c_str(), why.c_str());
        }
        record_read(all, who, d, r, label);
      }
    }

    // The copy: two of each per repetition, in the order ABBA (BAAB in the next repetition).
    for (int k = 0; k < 4; ++k) {
      bool ours_turn = ((k == 0 || k == 3) ? 0 : 1) ^ (repetition % 2);
      if (::unlink(copy.c_str()) != 0 && errno != ENOENT)
        throw_errno("unlink", copy);
      dog.arm(ours_turn ? "async_copy_file" : "cp", run_limit);
      double seconds = 0, handler_seconds = 0;
      std::string problem;
      if (ours_turn) {
        asio::io_context io;
        error_code ec;
        all.copy_backend = std::string(asio_fswatch::to_string(asio_fswatch::file_backend(io, ec))) + " backend";
        if (ec)
          throw std::runtime_error("no file backend for the copy: " + ec.message());
        std::uint64_t copied = 0;
        bool called = false;
        clock_type::time_point handler_time;
        struct copy_handler {
          error_code* ec;
          std::uint64_t* bytes;
          bool* called;
          clock_type::time_point* when;
          void operator()(const error_code& e, std::uint64_t n) const {
            *when = clock_type::now();
            *ec = e;
            *bytes = n;
            *called = true;
          }
        };
        auto t0 = clock_type::now();
        asio_fswatch::async_copy_file(io, source, copy, copy_handler{&ec, &copied, &called, &handler_time});
        io.run();
        seconds = seconds_since(t0);
        if (called)
          handler_seconds = std::chrono::duration<double>(handler_time - t0).count();
        if (!called)
          problem = "async_copy_file: io_context::run() returned without calling the handler";
        else if (ec)
          problem = "async_copy_file failed: " + ec.message();
        else if (copied != file_size)
          problem = "async_copy_file reported " + with_thousands(copied) + " bytes";
      } else {
        auto t0 = clock_type::now();
        int status = spawn_and_wait({"/bin/cp", source, copy}, nullptr);
        seconds = seconds_since(t0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
          problem = "cp failed, status " + std::to_string(status);
      }
      dog.disarm();
      if (problem.empty())
        problem = check_copy(copy, file_size);
      const char* who = ours_turn ? "async_copy_file" : "cp";
      if (!problem.empty()) {
        all.failures.push_back(std::string(who) + ": " + problem);
        std::fprintf(stderr, "  copy with %s: %s\n", who, problem.c_str());
        continue;
      }
      std::fprintf(stderr, "  copy with %-16s %.3f s, %.0f MiB/s", who, seconds,
                   double(file_size) / double(1 << 20) / seconds);
      if (ours_turn)
        std::fprintf(stderr, " (completion handler called after %.3f s)", handler_seconds);
      std::fprintf(stderr, "\n");
      (ours_turn ? all.copy_ours_s : all.copy_cp_s).push_back(seconds);
      if (ours_turn)
        all.copy_ours_handler_s.push_back(handler_seconds);
    }
    ::unlink(copy.c_str());
  }
  ::close(fd);

  // The header, then the tables.
  bench::print_heading("file_bench", cmd.quick);
  std::printf("- load average at start: %s; at the end: %s\n", load_at_start.c_str(),
              read_first_line("/proc/loadavg").c_str());
  std::printf("- directory: %s (%s)\n", root.c_str(), bench::file_system_type(root).c_str());
  std::printf("- test file: %s MiB written, fdatasync'ed and read once fully before measuring; "
              "%.1f%% of its pages in the page cache (mincore)%s\n",
              with_thousands(cmd.size_mib).c_str(), resident * 100,
              resident < 0.999 ? " -- WARNING: not all cached, reads may hit the disk" : "");
  std::printf("- reads: %s at depth 1, %s at depth 64, 4 KiB each at 4 KiB-aligned offsets from "
              "mt19937_64(%llu), the same sequence for every contender, each run after a warm-up of "
              "%s / %s reads; every read's data is checked\n",
              with_thousands(cmd.reads_shallow).c_str(), with_thousands(cmd.reads_deep).c_str(),
              static_cast<unsigned long long>(offsets_seed), with_thousands(warm_shallow).c_str(),
              with_thousands(warm_deep).c_str());
  std::printf("- copy: %s; destination removed before each copy\n",
              command_output_first_line("/bin/cp --version").c_str());
  bench::print_build_line();
  std::printf("\n");
  int missed = print_tables(all, cmd, file_size);
  return bench::finish_report(missed, cmd.quick, all.failures);
}

} // namespace

int main(int argc, char** argv) {
  std::optional<command_line> cmd = parse_command_line(argc, argv);
  if (!cmd) {
    usage(stderr);
    return 2;
  }
  bench::start_signal_thread("file_bench", running_child, clean_up_everything);
  int status = 1;
  try {
    status = run(*cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "file_bench: %s\n", e.what());
  }
  clean_up_everything();
  return status;
}
