// SPDX-License-Identifier: BSL-1.0
// stream_file on every platform (Linux, and Windows under Wine): a regular file read and written
// from the file position on each backend (on Windows the completion port keeps no position: the
// object does), short reads that must not skip data, seek, append, and pipes: anonymous pipes
// (the reactor on Linux; the thread pool on Windows, where a waiting read must still be
// cancellable), and on Windows an overlapped named pipe on the completion port.
#include <asio_fswatch/stream_file.hpp>

#include <common/child_support.hpp>
#include <common/portable_files.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio_fswatch::file_base;
using asio_fswatch::stream_file;
using boost::system::error_code;

namespace {

using asio_fswatch::test::close_native;
using asio_fswatch::test::contents;
using asio_fswatch::test::make_pipe;
using asio_fswatch::test::on_each_backend;
using asio_fswatch::test::put;
using asio_fswatch::test::run_until;
using asio_fswatch::test::transfer_result;

transfer_result write_all(asio::io_context& io, stream_file& file, const std::string& data) {
  transfer_result r;
  asio::async_write(file, asio::buffer(data), [&](error_code ec, std::size_t n) { r = {true, ec, n}; });
  run_until(io, [&] { return r.done; }, "async_write");
  return r;
}

transfer_result read_some(asio::io_context& io, stream_file& file, std::string& into) {
  transfer_result r;
  file.async_read_some(asio::buffer(into), [&](error_code ec, std::size_t n) { r = {true, ec, n}; });
  run_until(io, [&] { return r.done; }, "async_read_some");
  into.resize(r.bytes);
  return r;
}

/// Reads until eof; the error that ended it goes to `ended`.
std::string read_to_end(asio::io_context& io, stream_file& file, error_code& ended) {
  std::string all;
  for (;;) {
    std::string chunk(7, '?');
    transfer_result r = read_some(io, file, chunk);
    all += chunk;
    if (r.ec) {
      ended = r.ec;
      return all;
    }
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(stream_file_everywhere)

BOOST_FIXTURE_TEST_CASE(sequential_writes_seek_and_reads_to_the_end, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path path = dir / "seq";
    stream_file file(io, path.string(), file_base::read_write | file_base::create | file_base::truncate);
    BOOST_TEST(!file.is_reactive());
    BOOST_TEST_REQUIRE(!write_all(io, file, "hello ").ec);
    BOOST_TEST_REQUIRE(!write_all(io, file, "world").ec);
    BOOST_TEST(file.seek(0, file_base::seek_cur) == 11u);
    BOOST_TEST(file.seek(-5, file_base::seek_end) == 6u);
    std::string word(5, '?');
    BOOST_TEST(!read_some(io, file, word).ec);
    BOOST_TEST(word == "world");
    BOOST_TEST(file.seek(0, file_base::seek_set) == 0u);
    error_code ended;
    BOOST_TEST(read_to_end(io, file, ended) == "hello world");
    BOOST_TEST((ended == asio::error::eof), ended.message());
    error_code ec;
    file.seek(-1, file_base::seek_set, ec);
    BOOST_TEST(!!ec, "a position before the start must be refused");
    BOOST_TEST(file.seek(0, file_base::seek_cur) == 11u, "a refused seek leaves the position");
    // Writing past the end leaves a hole of zeros, as on every system.
    BOOST_TEST(file.seek(13, file_base::seek_set) == 13u);
    BOOST_TEST_REQUIRE(!write_all(io, file, "!").ec);
    file.close();
    BOOST_TEST(contents(path) == std::string("hello world") + std::string(2, '\0') + "!");
  });
}

// A read shorter than its buffer (at the end of the file) moves the position by what it read,
// not by the buffer's size (Boost 1.81's own Windows stream file moves it by the size).
BOOST_FIXTURE_TEST_CASE(short_reads_move_the_position_by_what_they_read, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path path = dir / "short";
    put(path, "0123456789");
    stream_file file(io, path.string(), file_base::read_write);
    std::string a(4, '?'), b(4, '?'), c(4, '?'), d(4, '?');
    BOOST_TEST(!read_some(io, file, a).ec);
    BOOST_TEST(!read_some(io, file, b).ec);
    BOOST_TEST(!read_some(io, file, c).ec);
    BOOST_TEST((a + b + c == "0123456789"));
    BOOST_TEST(file.seek(0, file_base::seek_cur) == 10u);
    BOOST_TEST((read_some(io, file, d).ec == asio::error::eof));
    // The file grows: the next read gets exactly the new bytes.
    BOOST_TEST_REQUIRE(!write_all(io, file, "AB").ec);
    BOOST_TEST(file.seek(10, file_base::seek_set) == 10u);
    std::string e(4, '?');
    BOOST_TEST(!read_some(io, file, e).ec);
    BOOST_TEST(e == "AB");
  });
}

BOOST_FIXTURE_TEST_CASE(append_writes_at_the_end_and_read_until_works, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path path = dir / "log";
    put(path, "first\n");
    {
      stream_file file(io, path.string(), file_base::write_only | file_base::append);
      BOOST_TEST_REQUIRE(!write_all(io, file, "second\n").ec);
      BOOST_TEST_REQUIRE(!write_all(io, file, "third\n").ec);
    }
    BOOST_TEST(contents(path) == "first\nsecond\nthird\n");
    stream_file file(io, path.string(), file_base::read_only);
    asio::streambuf lines;
    std::size_t got = 0;
    bool done = false;
    asio::async_read_until(file, lines, "third\n", [&](error_code ec, std::size_t n) {
      BOOST_TEST(!ec, ec.message());
      got = n;
      done = true;
    });
    run_until(io, [&] { return done; }, "async_read_until");
    BOOST_TEST(got == 19u);
  });
}

BOOST_AUTO_TEST_CASE(pipe_carries_data_then_eof_when_the_writer_closes) {
  asio::io_context io;
  const asio_fswatch::test::native_pipe p = make_pipe();
  stream_file reader(io, p.read_end);
  stream_file writer(io, p.write_end);
  BOOST_TEST_REQUIRE(!write_all(io, writer, "through the pipe").ec);
  std::string got(16, '?');
  transfer_result r;
  asio::async_read(reader, asio::buffer(got), [&](error_code ec, std::size_t n) { r = {true, ec, n}; });
  run_until(io, [&] { return r.done; }, "async_read of the pipe");
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(got == "through the pipe");
  error_code ec;
  BOOST_TEST(reader.seek(0, file_base::seek_cur, ec) == 0u);
  BOOST_TEST(!!ec, "a pipe has no position");
  // A read waits for the writer; closing the writer ends it with eof.
  std::string more(8, '?');
  transfer_result waiting;
  reader.async_read_some(asio::buffer(more), [&](error_code e, std::size_t n) { waiting = {true, e, n}; });
  io.restart();
  io.run_for(std::chrono::milliseconds(100));
  BOOST_TEST(!waiting.done, "the read must wait for data");
  writer.close();
  run_until(io, [&] { return waiting.done; }, "the read after the writer closed");
  BOOST_TEST((waiting.ec == asio::error::eof), waiting.ec.message());
}

// A read that waits on an empty pipe (on Windows: in a blocking call on a pool thread) is
// cancelled by its slot, by cancel(), by close() and by the destructor, each within the test's
// patience, and the pipe still works after the first three.
BOOST_AUTO_TEST_CASE(a_waiting_pipe_read_is_cancelled_every_way) {
  asio::io_context io;
  const asio_fswatch::test::native_pipe p = make_pipe();
  stream_file writer(io, p.write_end);
  auto reader = std::make_unique<stream_file>(io, p.read_end);
  std::string into(8, '?');
  for (int way = 0; way < 4; ++way) {
    BOOST_TEST_CONTEXT("way " << way) {
      asio::cancellation_signal signal;
      transfer_result r;
      reader->async_read_some(asio::buffer(into), asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, std::size_t n) {
                                r = {true, ec, n};
                              }));
      io.restart();
      io.run_for(std::chrono::milliseconds(100)); // let it start waiting
      BOOST_TEST_REQUIRE(!r.done, "the read must wait: " << r.ec.message());
      if (way == 0)
        signal.emit(asio::cancellation_type::terminal);
      else if (way == 1)
        reader->cancel();
      else if (way == 2)
        reader->close();
      else
        reader.reset();
      run_until(io, [&] { return r.done; }, "the cancelled read");
      BOOST_TEST((r.ec == asio::error::operation_aborted), r.ec.message());
      BOOST_TEST(r.bytes == 0u);
      if (way == 1) {
        // Still usable: data written now is read.
        BOOST_TEST_REQUIRE(!write_all(io, writer, "after").ec);
        std::string after(5, '?');
        BOOST_TEST(!read_some(io, *reader, after).ec);
        BOOST_TEST(after == "after");
      }
      if (way == 2) {
        // close() closed the read end: a new pipe for the destructor's turn.
        const asio_fswatch::test::native_pipe q = make_pipe();
        reader = std::make_unique<stream_file>(io, q.read_end);
        writer = stream_file(io, q.write_end);
      }
    }
  }
}

// The object is destroyed while its read waits on a pipe (on Windows, in a blocking call on a
// pool thread), then the context, never run again: nothing hangs, and the handler never runs.
BOOST_AUTO_TEST_CASE(object_then_context_destroyed_while_a_pipe_read_waits) {
  const asio_fswatch::test::native_pipe p = make_pipe();
  bool ran = false;
  std::string into(8, '?');
  {
    asio::io_context io;
    auto reader = std::make_unique<stream_file>(io, p.read_end);
    reader->async_read_some(asio::buffer(into), [&](error_code, std::size_t) { ran = true; });
    io.run_for(std::chrono::milliseconds(100));
    BOOST_TEST_REQUIRE(!ran);
    reader.reset();
  }
  BOOST_TEST(!ran);
  close_native(p.write_end);
}

#if defined(_WIN32)
// A named pipe opened for overlapped I/O goes on the completion port: both ends transfer there,
// a waiting read is cancelled by its slot, and the far end closing is eof.
BOOST_AUTO_TEST_CASE(overlapped_named_pipe_on_the_completion_port) {
  asio::io_context io;
  const std::wstring name = L"\\\\.\\pipe\\asio_fswatch_test_" + std::to_wstring(::GetCurrentProcessId());
  HANDLE server = ::CreateNamedPipeW(name.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                     PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, nullptr);
  BOOST_TEST_REQUIRE((server != INVALID_HANDLE_VALUE), "CreateNamedPipeW: " << ::GetLastError());
  HANDLE client = ::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                FILE_FLAG_OVERLAPPED, nullptr);
  BOOST_TEST_REQUIRE((client != INVALID_HANDLE_VALUE), "CreateFileW: " << ::GetLastError());
  stream_file a(io, server);
  stream_file b(io, client);
  BOOST_TEST_REQUIRE(!write_all(io, a, "ping").ec);
  std::string got(4, '?');
  BOOST_TEST(!read_some(io, b, got).ec);
  BOOST_TEST(got == "ping");

  asio::cancellation_signal signal;
  transfer_result r;
  std::string into(4, '?');
  b.async_read_some(asio::buffer(into), asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, std::size_t n) {
                      r = {true, ec, n};
                    }));
  io.restart();
  io.run_for(std::chrono::milliseconds(100));
  BOOST_TEST_REQUIRE(!r.done);
  signal.emit(asio::cancellation_type::terminal);
  run_until(io, [&] { return r.done; }, "the cancelled read");
  BOOST_TEST((r.ec == asio::error::operation_aborted), r.ec.message());

  BOOST_TEST_REQUIRE(!write_all(io, b, "pong").ec);
  std::string back(4, '?');
  BOOST_TEST(!read_some(io, a, back).ec);
  BOOST_TEST(back == "pong");

  // close() with a read waiting: it completes, aborted (the object holds two HANDLEs to the
  // pipe; closing one alone would not end the read).
  {
    HANDLE other_server = ::CreateNamedPipeW((name + L"2").c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                             PIPE_TYPE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, nullptr);
    HANDLE other_client = ::CreateFileW((name + L"2").c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                        OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
    BOOST_TEST_REQUIRE((other_server != INVALID_HANDLE_VALUE && other_client != INVALID_HANDLE_VALUE));
    stream_file quiet_peer(io, other_server);
    stream_file reader(io, other_client);
    transfer_result waiting;
    std::string nothing(4, '?');
    reader.async_read_some(asio::buffer(nothing), [&](error_code ec, std::size_t n) { waiting = {true, ec, n}; });
    io.restart();
    io.run_for(std::chrono::milliseconds(100));
    BOOST_TEST_REQUIRE(!waiting.done);
    reader.close();
    run_until(io, [&] { return waiting.done; }, "the read of a closed pipe end");
    BOOST_TEST((waiting.ec == asio::error::operation_aborted), waiting.ec.message());
  }
  a.close();
  std::string last(4, '?');
  transfer_result end = read_some(io, b, last);
  BOOST_TEST((end.ec == asio::error::eof), end.ec.message());
}
#endif

BOOST_AUTO_TEST_SUITE_END()
