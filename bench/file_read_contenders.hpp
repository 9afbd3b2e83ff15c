// SPDX-License-Identifier: BSL-1.0
// file_read_contenders.hpp: the contenders of file_bench's random reads, each run over the same
// offsets with every block checked: a pread loop, liburing by hand, asio_fswatch's
// random_access_file on either backend, and Boost.Asio's own (in the file_bench_asio child).
// Included by file_bench.cpp only.
#pragma once

#include "file_bench_setup.hpp"
#include "read_chains.hpp"

#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/random_access_file.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>

#if defined(ASIO_FSWATCH_BENCH_HAS_URING)
#include <liburing.h>
#endif
#include <spawn.h>

extern char** environ;

namespace file_bench {

namespace asio = boost::asio;

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

inline read_result run_pread(int fd, const std::vector<std::uint64_t>& offsets) {
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
inline std::optional<read_result> run_raw_uring(int fd, std::size_t depth, const std::vector<std::uint64_t>& offsets,
                                         std::string& why) {
  io_uring ring{};
  unsigned entries = 256; // room for every read in flight: a power of two, at least `depth`
  while (entries < depth)
    entries *= 2;
  if (int r = io_uring_queue_init(entries, &ring, 0); r < 0) {
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

/// `depth` chains of reads over `offsets` on asio_fswatch's file (bench/read_chains.hpp), logged
/// when a read failed or the loop ended early.
inline read_result run_chains(asio::io_context& io, asio_fswatch::random_access_file& file, unsigned char* buffers,
                              std::size_t depth, const std::vector<std::uint64_t>& offsets) {
  bench::read_run_state state;
  read_result result;
  result.seconds = bench::run_read_chains(io, file, buffers, depth, offsets, state);
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
inline std::optional<read_result> run_ours(const std::string& path, asio_fswatch::file_backend_kind backend,
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
inline int spawn_and_wait(const std::vector<std::string>& args, std::string* output) {
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
inline std::optional<read_result> run_asio(const std::string& program, const std::string& path, std::size_t depth,
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


/// One run of `who` over `offsets` at `depth` after a warm-up over `warm`; empty when the
/// contender cannot run here (`why` says why).
inline std::optional<read_result> run_contender(contender who, int fd, const std::string& path,
                                                const std::string& asio_bench, std::size_t depth,
                                                const std::vector<std::uint64_t>& warm,
                                                const std::vector<std::uint64_t>& offsets, std::string& why) {
  switch (who) {
  case pread_loop:
    run_pread(fd, warm);
    return run_pread(fd, offsets);
  case raw_uring:
#if defined(ASIO_FSWATCH_BENCH_HAS_URING)
    run_raw_uring(fd, depth, warm, why);
    return run_raw_uring(fd, depth, offsets, why);
#else
    why = "built without liburing";
    return std::nullopt;
#endif
  case ours_uring:
    return run_ours(path, asio_fswatch::file_backend_kind::io_uring, depth, warm, offsets, why);
  case ours_threads:
    return run_ours(path, asio_fswatch::file_backend_kind::threads, depth, warm, offsets, why);
  case asio_uring:
    return run_asio(asio_bench, path, depth, offsets.size(), warm.size(), why);
  case contender_count:
    break;
  }
  why = "no such contender";
  return std::nullopt;
}

} // namespace file_bench
