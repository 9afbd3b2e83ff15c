// SPDX-License-Identifier: BSL-1.0
// Test support for the file tests that run on every platform (Linux, and Windows under Wine):
// file contents, one transfer run to its end, the backends a case runs on, and native pipes.
#ifndef ASIO_FSWATCH_TEST_COMMON_PORTABLE_FILES_HPP
#define ASIO_FSWATCH_TEST_COMMON_PORTABLE_FILES_HPP

#include <asio_fswatch/file_service.hpp>

#include <common/child_support.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <boost/test/unit_test.hpp>

#if defined(_WIN32)
#include <windows.h>
#else
#include <unistd.h>
#endif

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace asio_fswatch::test {

inline std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void put(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// What one transfer completed with.
struct transfer_result {
  bool done = false;
  boost::system::error_code ec;
  std::size_t bytes = 0;
};

/// Starts an operation with `start(handler)`, where the handler takes an error_code, and runs
/// `io` until it has completed (bounded). Returns its error.
template <typename Start>
boost::system::error_code simple(boost::asio::io_context& io, Start start) {
  bool done = false;
  boost::system::error_code result;
  start([&](boost::system::error_code ec) {
    done = true;
    result = ec;
  });
  run_until(io, [&] { return done; }, "a file operation");
  return result;
}

/// Runs `body(io, dir, kind)` on each backend a case runs on: the platform's choice (io_uring
/// or the pool on Linux, the completion port on Windows) and the pool. Each run has an
/// io_context whose files use that backend, and a directory of its own under `base`.
template <typename Body>
void on_each_backend(const std::filesystem::path& base, Body body) {
  for (file_backend_kind kind : {file_backend_kind::automatic, file_backend_kind::threads}) {
    BOOST_TEST_CONTEXT("backend " << to_string(kind)) {
      boost::asio::io_context io;
      configure_file_service(io, {.backend = kind});
      const std::filesystem::path dir = base / std::string(to_string(kind));
      std::filesystem::create_directories(dir);
      body(io, dir, kind);
    }
  }
}

#if defined(_WIN32)
using native_file_handle = HANDLE;
inline void close_native(HANDLE h) { ::CloseHandle(h); }
#else
using native_file_handle = int;
inline void close_native(int fd) { ::close(fd); }
#endif

/// An anonymous pipe (CreatePipe or pipe(2)): on Windows its ends can do synchronous I/O only.
struct native_pipe {
  native_file_handle read_end;
  native_file_handle write_end;
};
inline native_pipe make_pipe() {
  native_pipe p{};
#if defined(_WIN32)
  BOOST_TEST_REQUIRE(::CreatePipe(&p.read_end, &p.write_end, nullptr, 0) != 0, "CreatePipe");
#else
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe(fds) == 0, "pipe");
  p = {fds[0], fds[1]};
#endif
  return p;
}

} // namespace asio_fswatch::test

#endif
