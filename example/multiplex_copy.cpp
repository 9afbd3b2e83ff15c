// SPDX-License-Identifier: BSL-1.0
// Drain two pipes into two regular files at once, all on one io_context thread, with
// asio_fswatch::stream_file on every descriptor.
//
// A stream_file decides by the descriptor what waits for it: the pipe ends (assign(fd)) are
// waited on by the reactor, like a posix::stream_descriptor, and the regular files go through
// the file backend (io_uring or the thread pool), because epoll cannot wait on regular files.
// The same io_context feeds the write ends of the pipes, so four streams move at once. At the
// end each file must hold exactly what went into its pipe, and the descriptors given back by
// release() must be in blocking mode again.
#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/stream_file.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio_fswatch::stream_file;

namespace {

class temporary_directory {
public:
  temporary_directory() {
    std::string pattern = "/tmp/asio_fswatch-multiplex_copy-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    path_ = pattern;
  }
  ~temporary_directory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;
  const fs::path& path() const noexcept { return path_; }

private:
  fs::path path_;
};

/// One pipe and what travels through it.
struct channel {
  std::string name;
  std::string payload;     // what the writer puts into the pipe
  fs::path output;         // the regular file the reader fills
  int read_end = -1;
  int write_end = -1;
  std::size_t chunks_read = 0;
  bool read_end_blocking_again = false;
  std::string error{};     // empty when everything went well
};

std::string make_text(std::size_t lines) {
  std::string text;
  for (std::size_t i = 0; i < lines; ++i)
    text += "log line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog\n";
  return text;
}

std::string make_binary(std::size_t size) {
  std::mt19937 random(7);
  std::string data(size, '\0');
  for (char& c : data)
    c = char(random() & 0xff);
  return data;
}

/// Writes the payload into the pipe in pieces of varying size, then closes the write end so
/// that the reader sees the end of the stream.
asio::awaitable<void> feed(channel& ch) {
  stream_file pipe(co_await asio::this_coro::executor, ch.write_end); // reactive: a pipe
  std::minstd_rand sizes(unsigned(ch.payload.size()));
  std::size_t sent = 0;
  while (sent < ch.payload.size()) {
    std::size_t n = std::min<std::size_t>(1 + sizes() % 100000, ch.payload.size() - sent);
    co_await asio::async_write(pipe, asio::buffer(ch.payload.data() + sent, n), asio::use_awaitable);
    sent += n;
  }
  pipe.close();
}

/// Reads the pipe until its end and appends what comes to a regular file.
asio::awaitable<void> drain(channel& ch) {
  auto ex = co_await asio::this_coro::executor;
  stream_file pipe(ex);
  pipe.assign(ch.read_end);
  stream_file file(ex, ch.output.native(), stream_file::write_only | stream_file::create | stream_file::truncate);
  if (!pipe.is_reactive() || file.is_reactive()) {
    ch.error = "a pipe should be reactive and a regular file should not";
    co_return;
  }

  std::vector<char> buffer(64 * 1024);
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await pipe.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof)
      break;
    if (ec)
      throw boost::system::system_error(ec, "read " + ch.name);
    ++ch.chunks_read;
    co_await asio::async_write(file, asio::buffer(buffer.data(), n), asio::use_awaitable);
  }

  // release() hands the descriptor back in the mode it had when assigned: blocking.
  int fd = pipe.release();
  int flags = ::fcntl(fd, F_GETFL);
  ch.read_end_blocking_again = flags >= 0 && !(flags & O_NONBLOCK);
  ::close(fd);
}

bool verify(channel& ch) {
  if (!ch.error.empty())
    return false;
  std::ifstream in(ch.output, std::ios::binary);
  std::string written{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (written != ch.payload)
    ch.error = "the file holds " + std::to_string(written.size()) + " bytes that differ from the " +
               std::to_string(ch.payload.size()) + " sent";
  else if (!ch.read_end_blocking_again)
    ch.error = "the released read end was left in non-blocking mode";
  return ch.error.empty();
}

} // namespace

int main() {
  try {
    // Should a reader give up early, its writer gets EPIPE rather than a fatal signal.
    std::signal(SIGPIPE, SIG_IGN);
    temporary_directory dir;
    std::array<channel, 2> channels{
        channel{"text pipe", make_text(50000), dir.path() / "text.log"},
        channel{"binary pipe", make_binary(3 << 20), dir.path() / "data.bin"},
    };
    for (channel& ch : channels) {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
      ch.read_end = fds[0];
      ch.write_end = fds[1];
    }

    asio::io_context ioc(1);
    std::cout << "file backend for the regular files: "
              << asio_fswatch::to_string(asio_fswatch::file_backend(ioc)) << '\n';

    int failures = 0;
    auto report = [&](const std::string& what) {
      return [&failures, what](std::exception_ptr e) {
        if (!e)
          return;
        ++failures;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& error) {
          std::cerr << what << ": " << error.what() << '\n';
        }
      };
    };
    for (channel& ch : channels) {
      asio::co_spawn(ioc, drain(ch), report("drain " + ch.name));
      asio::co_spawn(ioc, feed(ch), report("feed " + ch.name));
    }
    ioc.run();

    bool ok = failures == 0;
    for (channel& ch : channels) {
      bool good = verify(ch);
      ok = ok && good;
      std::cout << ch.name << " -> " << ch.output.filename().native() << ": " << ch.payload.size()
                << " bytes in " << ch.chunks_read << " reads, "
                << (good ? "identical" : "WRONG: " + ch.error) << '\n';
    }
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
  } catch (const std::exception& e) {
    std::cerr << "multiplex_copy: " << e.what() << '\n';
    return EXIT_FAILURE;
  }
}
