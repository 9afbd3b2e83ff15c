// SPDX-License-Identifier: BSL-1.0
// file_bench_asio: the Boost.Asio reference of file_bench. Random 4 KiB reads with
// boost::asio::random_access_file on Asio's own io_uring service.
//
// A program of its own: Asio's io_uring support needs BOOST_ASIO_HAS_IO_URING, which changes
// Asio's internals (the scheduler, the reactor's services). Translation units built with and
// without it must not be linked together, so this program is built with it, without
// asio_fswatch, and file_bench runs it as a child process.
//
// usage: file_bench_asio FILE DEPTH READS WARMUP_READS SEED
// Reads READS blocks of 4 KiB at offsets drawn from std::mt19937_64(SEED) (the same sequence as
// file_bench's other contenders), DEPTH chains at once, each completion starting its chain's
// next read, on one thread running io_context::run(). A warm-up of WARMUP_READS reads (seed
// SEED + 1) runs first on the same file. Prints one line on stdout:
//   file_bench_asio reads=N seconds=S errors=E mismatches=M
// or, when io_uring cannot be used here, "file_bench_asio unavailable: WHY" with exit status 3.
#if !defined(BOOST_ASIO_HAS_IO_URING)
#error "file_bench_asio must be built with BOOST_ASIO_HAS_IO_URING (see bench/CMakeLists.txt)"
#endif

#include <boost/asio/io_context.hpp>
#include <boost/asio/random_access_file.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include "bench_support.hpp"
#include "read_chains.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// The same block size and offsets as file_bench's, so both programs read the same blocks in the
// same order.
using bench::block_size;
using bench::make_offsets;

} // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: file_bench_asio FILE DEPTH READS WARMUP_READS SEED\n");
    return 2;
  }
  const std::string path = argv[1];
  const std::size_t depth = std::strtoull(argv[2], nullptr, 10);
  const std::size_t reads = std::strtoull(argv[3], nullptr, 10);
  const std::size_t warmup = std::strtoull(argv[4], nullptr, 10);
  const std::uint64_t seed = std::strtoull(argv[5], nullptr, 10);
  struct stat st;
  if (depth == 0 || reads == 0 || ::stat(path.c_str(), &st) != 0 || st.st_size < off_t(block_size)) {
    std::fprintf(stderr, "file_bench_asio: bad arguments, or %s is missing or too small\n", path.c_str());
    return 2;
  }
  const std::uint64_t blocks = std::uint64_t(st.st_size) / block_size;
  std::vector<std::uint64_t> warm_offsets = make_offsets(seed + 1, warmup, blocks);
  std::vector<std::uint64_t> offsets = make_offsets(seed, reads, blocks);
  auto* buffers = static_cast<unsigned char*>(std::aligned_alloc(block_size, depth * block_size));
  if (!buffers) {
    std::fprintf(stderr, "file_bench_asio: out of memory\n");
    return 1;
  }
  std::memset(buffers, 0, depth * block_size);

  try {
    asio::io_context io;
    asio::random_access_file file(io);
    error_code ec;
    file.open(path, asio::random_access_file::read_only, ec);
    if (ec) {
      // Asio's io_uring service cannot start (no io_uring here) or the open failed.
      std::printf("file_bench_asio unavailable: %s\n", ec.message().c_str());
      return 3;
    }
    if (warmup > 0) {
      bench::read_run_state warm;
      bench::run_read_chains(io, file, buffers, depth, warm_offsets, warm);
    }
    bench::read_run_state state;
    double seconds = bench::run_read_chains(io, file, buffers, depth, offsets, state);
    if (state.errors > 0)
      std::fprintf(stderr, "file_bench_asio: %zu reads failed, the first with: %s\n", state.errors,
                   state.first_error.message().c_str());
    std::printf("file_bench_asio reads=%zu seconds=%.9f errors=%zu mismatches=%zu\n", state.done, seconds,
                state.errors, state.mismatches);
  } catch (const boost::system::system_error& e) {
    std::printf("file_bench_asio unavailable: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "file_bench_asio: %s\n", e.what());
    return 1;
  }
  std::free(buffers);
  return 0;
}
