// SPDX-License-Identifier: BSL-1.0
// read_chains.hpp: the random reads of file_bench and file_bench_asio, for any Asio-style random
// access file (asio_fswatch's or Boost.Asio's own): `depth` chains of reads over the same
// offsets, each completion checking its block and starting its chain's next read. A template,
// so that file_bench_asio (built with BOOST_ASIO_HAS_IO_URING, without asio_fswatch) and
// file_bench share it without sharing a translation unit.
#pragma once

#include "bench_support.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

/// What the chains of one run share, and what the run found.
struct read_run_state {
  const std::uint64_t* offsets = nullptr;
  std::size_t count = 0;
  std::size_t next = 0;
  std::size_t done = 0;
  std::size_t errors = 0;
  std::size_t mismatches = 0;
  boost::system::error_code first_error;
};

/// One chain of reads: each completion checks its block and starts the chain's next read.
template <typename File>
struct read_chain {
  read_run_state* run = nullptr;
  File* file = nullptr;
  unsigned char* buffer = nullptr;
  std::uint64_t block = 0;

  // A plain handler: one pointer, nothing allocated by the completion token itself.
  struct handler {
    read_chain* self;
    void operator()(const boost::system::error_code& ec, std::size_t bytes) const { self->on_read(ec, bytes); }
  };

  void start() {
    if (run->next == run->count)
      return;
    const std::uint64_t offset = run->offsets[run->next++];
    block = offset / block_size;
    file->async_read_some_at(offset, boost::asio::buffer(buffer, block_size), handler{this});
  }

  void on_read(const boost::system::error_code& ec, std::size_t bytes) {
    ++run->done;
    if (ec || bytes != block_size) {
      if (run->errors++ == 0)
        run->first_error = ec;
    } else if (stored_index(buffer) != block) {
      ++run->mismatches;
    }
    start();
  }
};

/// Reads `offsets` with `depth` chains, `buffers` holding a block for each, on `io` (restarted
/// first) until it runs out of work; fills `state` and returns the wall-clock seconds.
template <typename IoContext, typename File>
double run_read_chains(IoContext& io, File& file, unsigned char* buffers, std::size_t depth,
                       const std::vector<std::uint64_t>& offsets, read_run_state& state) {
  state.offsets = offsets.data();
  state.count = offsets.size();
  std::vector<read_chain<File>> chains(depth);
  io.restart();
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < depth; ++i) {
    chains[i].run = &state;
    chains[i].file = &file;
    chains[i].buffer = buffers + i * block_size;
    chains[i].start();
  }
  io.run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace bench
