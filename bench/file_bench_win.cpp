// SPDX-License-Identifier: BSL-1.0
// file_bench on Windows: random 4 KiB reads and a whole-file copy, asio_fswatch against a floor
// in the same run. Reads: random_access_file on the io_context's completion port (the `iocp`
// backend) and on the thread pool, against N threads doing positional ReadFile calls on one
// HANDLE (the floor), and Boost.Asio's own random_access_file as a reference. Copy:
// async_copy_file (both backends) against CopyFileW. Every read is checked (each block of the
// test file begins with its own index) and every copy compared with its source. Prints Markdown
// tables; never asserts on time.
//
// Run under Wine by the Windows test step (--quick); Wine is not Windows, so the figures carry
// no target, only "it runs and the figures are sane". bench/file_bench.cpp is the POSIX program.
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/random_access_file.hpp>

#include "bench_support.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/random_access_file.hpp>
#include <boost/system/error_code.hpp>

#include <windows.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>


namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio_fswatch::file_backend_kind;
using bench::block_size;
using bench::with_thousands;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

struct command_line {
  bool quick = false;
  int repeat = 3;
  std::uint64_t file_mib = 64; // --quick: 4
  std::size_t reads = 20000;   // per run (--quick: 256)
  std::size_t depth = 16;      // reads in flight (--quick: 4)
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: file_bench [--quick] [--repeat N] [--file-mib N] [--reads N] [--depth N]\n"
                    "  --quick        a 4 MiB file, 256 reads at depth 4, one run: checks that it runs\n"
                    "  --repeat N     run everything N times (default 3); the tables show medians\n"
                    "  --file-mib N   size of the test file (default 64)\n"
                    "  --reads N      random 4 KiB reads per run (default 20,000)\n"
                    "  --depth N      reads in flight (default 16)\n");
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  std::size_t repeat = 3, file_mib = 0, reads = 0, depth = 0; // 0: as --quick says
  if (!bench::parse_options(argc, argv,
                            {{"--repeat", &repeat}, {"--file-mib", &file_mib}, {"--reads", &reads}, {"--depth", &depth}},
                            cmd.quick, usage))
    return std::nullopt;
  cmd.repeat = cmd.quick ? 1 : int(std::min<std::size_t>(repeat, 1000));
  cmd.file_mib = file_mib ? file_mib : cmd.quick ? 4 : 64;
  cmd.reads = reads ? reads : cmd.quick ? 256 : 20000;
  cmd.depth = depth ? depth : cmd.quick ? 4 : 16;
  return cmd;
}

/// A path as the library's text takes it: UTF-8.
std::string text_of(const fs::path& p) {
  const auto utf8 = p.u8string();
  return std::string(utf8.begin(), utf8.end());
}

/// The test file: `blocks` blocks of 4 KiB, each beginning with its own index, the rest random.
void create_test_file(const fs::path& path, std::uint64_t blocks) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937_64 random(42);
  std::vector<unsigned char> block(block_size);
  for (std::uint64_t index = 0; index < blocks; ++index) {
    for (std::size_t i = 0; i < block_size; i += sizeof(std::uint64_t)) {
      const std::uint64_t value = i == 0 ? index : random();
      std::memcpy(block.data() + i, &value, sizeof value);
    }
    out.write(reinterpret_cast<const char*>(block.data()), std::streamsize(block.size()));
  }
  if (!out.flush())
    throw std::runtime_error("cannot write the test file " + text_of(path));
}

/// What a run did, and the first thing that went wrong.
struct run_outcome {
  std::size_t done = 0, failed = 0;
  std::string first_failure;
  double seconds = 0;

  void check(const error_code& ec, std::size_t n, const unsigned char* block, std::uint64_t offset) {
    ++done;
    std::string problem;
    if (ec)
      problem = "a read failed: " + ec.message();
    else if (n != block_size)
      problem = "a short read: " + std::to_string(n) + " bytes";
    else if (bench::stored_index(block) != offset / block_size)
      problem = "a read at " + std::to_string(offset) + " gave another block's bytes";
    if (!problem.empty() && failed++ == 0)
      first_failure = problem;
  }
};

enum read_contender { read_floor, read_iocp, read_threads, read_asio, read_count };

const char* const read_names[read_count] = {
    "N threads, positional ReadFile on one HANDLE (the floor)",
    "random_access_file::async_read_some_at, iocp backend",
    "random_access_file::async_read_some_at, threads backend",
    "reference: Boost.Asio's own random_access_file (IOCP)",
};

run_outcome run_floor(const fs::path& path, const std::vector<std::uint64_t>& offsets, std::size_t depth) {
  const HANDLE file = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                                    FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE)
    throw std::runtime_error("CreateFileW failed: error " + std::to_string(::GetLastError()));
  struct closer {
    HANDLE h;
    ~closer() { ::CloseHandle(h); }
  } close_at_end{file};
  std::atomic<std::size_t> next{0};
  std::vector<run_outcome> per_thread(depth);
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < depth; ++t)
    threads.emplace_back([&, t] {
      std::array<unsigned char, block_size> block;
      for (std::size_t i; (i = next.fetch_add(1)) < offsets.size();) {
        OVERLAPPED at{};
        at.Offset = DWORD(offsets[i]);
        at.OffsetHigh = DWORD(offsets[i] >> 32);
        DWORD n = 0;
        block.fill(0xFF); // no block's index: a read that leaves the buffer alone is seen
        const bool ok = ::ReadFile(file, block.data(), DWORD(block.size()), &n, &at);
        per_thread[t].check(ok ? error_code() : error_code(int(::GetLastError()), boost::system::system_category()),
                            n, block.data(), offsets[i]);
      }
    });
  for (std::thread& thread : threads)
    thread.join();
  run_outcome out;
  out.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  for (const run_outcome& r : per_thread) {
    out.done += r.done;
    if (r.failed && out.failed == 0)
      out.first_failure = r.first_failure;
    out.failed += r.failed;
  }
  return out;
}

/// `depth` chains of reads on one io_context: each read, checked, starts the next of its chain.
template <typename File>
run_outcome run_chains(asio::io_context& io, File& file, const std::vector<std::uint64_t>& offsets,
                       std::size_t depth) {
  run_outcome out;
  std::size_t next = 0;
  std::vector<std::array<unsigned char, block_size>> blocks(depth);
  struct chain {
    run_outcome& out;
    File& file;
    const std::vector<std::uint64_t>& offsets;
    std::size_t& next;
    std::array<unsigned char, block_size>& block;
    void start() {
      if (next == offsets.size())
        return;
      const std::uint64_t offset = offsets[next++];
      block.fill(0xFF); // no block's index: a read that leaves the buffer alone is seen
      file.async_read_some_at(offset, asio::buffer(block), [this, offset](const error_code& ec, std::size_t n) {
        out.check(ec, n, block.data(), offset);
        start();
      });
    }
  };
  std::vector<chain> chains;
  chains.reserve(depth);
  const auto start = clock_type::now();
  for (std::size_t c = 0; c < depth; ++c)
    chains.push_back(chain{out, file, offsets, next, blocks[c]});
  for (chain& c : chains)
    c.start();
  io.run();
  out.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return out;
}

run_outcome run_reads(read_contender who, const fs::path& path, const std::vector<std::uint64_t>& offsets,
                      std::size_t depth) {
  if (who == read_floor)
    return run_floor(path, offsets, depth);
  asio::io_context io;
  if (who == read_asio) {
    asio::random_access_file file(io, text_of(path), asio::random_access_file::read_only);
    return run_chains(io, file, offsets, depth);
  }
  asio_fswatch::configure_file_service(io, {.backend = who == read_iocp ? file_backend_kind::iocp
                                                                         : file_backend_kind::threads});
  asio_fswatch::random_access_file file(io, text_of(path), asio_fswatch::file_base::read_only);
  return run_chains(io, file, offsets, depth);
}

enum copy_contender { copy_floor, copy_iocp, copy_threads, copy_count };

const char* const copy_names[copy_count] = {
    "CopyFileW (the floor)",
    "async_copy_file, iocp backend",
    "async_copy_file, threads backend",
};

/// Empty when `copy` holds the same bytes as `original`, else what differs.
std::string compare_files(const fs::path& original, const fs::path& copy) {
  std::ifstream a(original, std::ios::binary), b(copy, std::ios::binary);
  std::vector<char> x(1 << 20), y(1 << 20);
  for (std::uint64_t at = 0;; at += std::uint64_t(a.gcount())) {
    a.read(x.data(), std::streamsize(x.size()));
    b.read(y.data(), std::streamsize(y.size()));
    if (a.gcount() != b.gcount() || std::memcmp(x.data(), y.data(), std::size_t(a.gcount())) != 0)
      return "the copy differs from its source at or after byte " + std::to_string(at);
    if (a.gcount() == 0)
      return {};
  }
}

run_outcome run_copy(copy_contender who, const fs::path& from, const fs::path& to) {
  fs::remove(to);
  run_outcome out;
  const auto start = clock_type::now();
  if (who == copy_floor) {
    if (!::CopyFileW(from.c_str(), to.c_str(), TRUE))
      out.check(error_code(int(::GetLastError()), boost::system::system_category()), 0, nullptr, 0);
  } else {
    asio::io_context io;
    asio_fswatch::configure_file_service(io, {.backend = who == copy_iocp ? file_backend_kind::iocp
                                                                           : file_backend_kind::threads});
    error_code result;
    asio_fswatch::async_copy_file(io, from, to, [&](const error_code& ec, std::uint64_t) { result = ec; });
    io.run();
    if (result && out.failed++ == 0)
      out.first_failure = "the copy failed: " + result.message();
  }
  out.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  if (!out.failed)
    if (std::string problem = compare_files(from, to); !problem.empty() && out.failed++ == 0)
      out.first_failure = problem;
  return out;
}

int run(const command_line& cmd) {
  const fs::path dir = fs::temp_directory_path() / ("asio_fswatch-file_bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  struct remove_at_end {
    fs::path dir;
    ~remove_at_end() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};
  const fs::path data = dir / "data", copy = dir / "copy";
  const std::uint64_t blocks = cmd.file_mib * 1024 * 1024 / block_size;
  create_test_file(data, blocks);
  const std::vector<std::uint64_t> offsets = bench::make_offsets(7, cmd.reads, blocks);

  std::vector<std::vector<double>> read_seconds(read_count), copy_seconds(copy_count);
  std::vector<std::string> failures;
  auto accept = [&](const char* name, const run_outcome& out, std::size_t expected) {
    std::string problem;
    if (out.failed)
      problem = std::to_string(out.failed) + " failure(s), the first: " + out.first_failure;
    else if (out.done != expected)
      problem = with_thousands(out.done) + " of " + with_thousands(expected) + " reads done";
    if (problem.empty())
      return true;
    failures.push_back(std::string(name) + ": " + problem);
    std::fprintf(stderr, "  %s: %s\n", name, problem.c_str());
    return false;
  };
  accept("warm-up", run_reads(read_floor, data, offsets, cmd.depth), offsets.size()); // the file in the cache
  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    for (int k = 0; k < read_count; ++k) {
      const auto who = read_contender((k + repetition) % read_count);
      const run_outcome out = run_reads(who, data, offsets, cmd.depth);
      std::fprintf(stderr, "  %-64s %.3f s\n", read_names[who], out.seconds);
      if (accept(read_names[who], out, offsets.size()))
        read_seconds[who].push_back(out.seconds);
    }
    for (int k = 0; k < copy_count; ++k) {
      const auto who = copy_contender((k + repetition) % copy_count);
      const run_outcome out = run_copy(who, data, copy);
      std::fprintf(stderr, "  %-64s %.3f s\n", copy_names[who], out.seconds);
      if (accept(copy_names[who], out, 0))
        copy_seconds[who].push_back(out.seconds);
    }
  }

  bench::print_heading("file_bench (Windows)", cmd.quick);
  std::printf("- test file: %s MiB, warm (Windows has no way for a program to drop its cache); %s random 4 KiB "
              "reads per run at depth %zu, each checked; copies compared with their source\n",
              with_thousands(cmd.file_mib).c_str(), with_thousands(cmd.reads).c_str(), cmd.depth);
  std::printf("- no targets: under Wine, overlapped file I/O is Wine's emulation; the tables show that every "
              "contender runs and how it compares with the floor in the same run\n");
  bench::print_build_line();
  const std::string runs = cmd.repeat > 1 ? " (median of " + std::to_string(cmd.repeat) + " runs)" : "";
  std::printf("\n### Random 4 KiB reads, %s per run, depth %zu%s\n\n", with_thousands(cmd.reads).c_str(), cmd.depth,
              runs.c_str());
  bench::print_floor_ratio_table(read_names, read_seconds, cmd.repeat, "reads/s", double(cmd.reads));
  std::printf("\n### Copy of a %s MiB file%s\n\n", with_thousands(cmd.file_mib).c_str(), runs.c_str());
  bench::print_floor_ratio_table(copy_names, copy_seconds, cmd.repeat, "MiB/s", double(cmd.file_mib));
  return bench::finish_report(-1, cmd.quick, failures); // no targets under Wine
}

} // namespace

int main(int argc, char** argv) {
  return bench::run_main("file_bench", argc, argv, parse_command_line, usage, run);
}
