// SPDX-License-Identifier: BSL-1.0
// random_access_file on every platform (Linux on its file backend, Windows under Wine on the
// thread pool): opening with each flag, positional reads and writes through Asio's composed
// operations, the end of the file, append, resize, allocate, the flushes, errors of a closed
// file, cancellation and closing with operations outstanding, release, moves, and completion
// tokens.
#include <asio_fswatch/random_access_file.hpp>

#include <common/child_support.hpp>
#include <common/portable_files.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_at.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write_at.hpp>
#include <boost/test/unit_test.hpp>

#if defined(_WIN32)
#include <windows.h>
#else
#include <unistd.h>
#endif

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio_fswatch::file_base;
using asio_fswatch::random_access_file;
using boost::system::error_code;

namespace {

using asio_fswatch::test::contents;
using asio_fswatch::test::on_each_backend;
using asio_fswatch::test::put;
using asio_fswatch::test::run_until;
using asio_fswatch::test::simple;
using asio_fswatch::test::transfer_result;

transfer_result write_at(asio::io_context& io, random_access_file& file, std::uint64_t offset, const std::string& data) {
  transfer_result r;
  asio::async_write_at(file, offset, asio::buffer(data), [&](error_code ec, std::size_t n) {
    r = {true, ec, n};
  });
  run_until(io, [&] { return r.done; }, "async_write_at");
  return r;
}

transfer_result read_at(asio::io_context& io, random_access_file& file, std::uint64_t offset, std::string& into) {
  transfer_result r;
  asio::async_read_at(file, offset, asio::buffer(into), [&](error_code ec, std::size_t n) { r = {true, ec, n}; });
  run_until(io, [&] { return r.done; }, "async_read_at");
  into.resize(r.bytes);
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(file_everywhere)

BOOST_FIXTURE_TEST_CASE(writes_and_reads_at_offsets, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path path = dir / "data";
    random_access_file file(io, path.string(), file_base::read_write | file_base::create | file_base::truncate);
    BOOST_TEST(file.is_open());
    transfer_result w = write_at(io, file, 0, "hello");
    BOOST_TEST_REQUIRE(!w.ec, w.ec.message());
    BOOST_TEST(w.bytes == 5u);
    w = write_at(io, file, 10, "world");
    BOOST_TEST_REQUIRE(!w.ec, w.ec.message());
    BOOST_TEST(file.size() == 15u);
    std::string got(5, '?');
    transfer_result r = read_at(io, file, 10, got);
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(got == "world");
    std::string gap(5, '?');
    read_at(io, file, 5, gap);
    BOOST_TEST((gap == std::string(5, '\0')));
    // At and past the end: eof, nothing read.
    std::string past(4, '?');
    r = read_at(io, file, 15, past);
    BOOST_TEST((r.ec == asio::error::eof), r.ec.message());
    BOOST_TEST(r.bytes == 0u);
    // A read that crosses the end gives what is there, then eof.
    std::string tail(10, '?');
    r = read_at(io, file, 12, tail);
    BOOST_TEST((r.ec == asio::error::eof), r.ec.message());
    BOOST_TEST(tail == "rld");
    file.close();
    BOOST_TEST(contents(path) == std::string("hello") + std::string(5, '\0') + "world");
  });
}

BOOST_FIXTURE_TEST_CASE(open_flags_say_what_they_mean, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path existing = dir / "existing";
    put(existing, "abc");
    random_access_file file(io);
    error_code ec;
    file.open((dir / "missing").string(), file_base::read_only, ec);
    BOOST_TEST((ec == std::errc::no_such_file_or_directory), ec.message());
    file.open(existing.string(), file_base::read_write | file_base::create | file_base::exclusive, ec);
    BOOST_TEST((ec == std::errc::file_exists), ec.message());
    file.open(existing.string(), file_base::exclusive | file_base::read_write, ec);
    BOOST_TEST(!!ec, "exclusive without create must be refused");
    file.open(existing.string(), file_base::read_only | file_base::write_only, ec);
    BOOST_TEST(!!ec, "two access modes must be refused");
    file.open(dir.string(), file_base::read_only, ec);
    BOOST_TEST((ec == std::errc::is_a_directory), ec.message());
    BOOST_TEST(!file.is_open());
    // create keeps what is there; truncate cuts it.
    file.open(existing.string(), file_base::read_write | file_base::create, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(file.size() == 3u);
    file.open(existing.string(), file_base::read_only, ec);
    BOOST_TEST((ec == asio::error::already_open), ec.message());
    file.close();
    file.open(existing.string(), file_base::write_only | file_base::truncate, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(file.size() == 0u);
  });
}

// Boost 1.81's own Windows file ignores append (its writes land at the offset): ours does not.
BOOST_FIXTURE_TEST_CASE(append_writes_go_to_the_end_whatever_the_offset, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path path = dir / "log";
    put(path, "start\n");
    random_access_file file(io, path.string(), file_base::write_only | file_base::append);
    BOOST_TEST_REQUIRE(!write_at(io, file, 0, "one\n").ec);
    BOOST_TEST_REQUIRE(!write_at(io, file, 2, "two\n").ec);
    file.close();
    BOOST_TEST(contents(path) == "start\none\ntwo\n");
  });
}

BOOST_FIXTURE_TEST_CASE(resize_allocate_and_flush, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path path = dir / "sized";
    random_access_file file(io, path.string(), file_base::read_write | file_base::create);
    error_code ec = simple(io, [&](auto h) { file.async_resize(100, h); });
    BOOST_TEST(!ec, ec.message());
    BOOST_TEST(file.size() == 100u);
    ec = simple(io, [&](auto h) { file.async_allocate(0, 300, h); });
    BOOST_TEST(!ec, ec.message());
    BOOST_TEST(file.size() == 300u); // extended, as fallocate mode 0 does
    ec = simple(io, [&](auto h) { file.async_allocate(0, 50, h); });
    BOOST_TEST(!ec, ec.message());
    BOOST_TEST(file.size() == 300u); // within the file: nothing changes
    ec = simple(io, [&](auto h) { file.async_allocate(0, 0, h); });
    BOOST_TEST(!!ec, "a zero length must be refused");
    ec = simple(io, [&](auto h) { file.async_sync_all(h); });
    BOOST_TEST(!ec, ec.message());
    ec = simple(io, [&](auto h) { file.async_sync_data(h); });
    BOOST_TEST(!ec, ec.message());
    ec = simple(io, [&](auto h) { file.async_resize(7, h); });
    BOOST_TEST(!ec, ec.message());
    file.resize(5);
    file.sync_all();
    file.sync_data();
    BOOST_TEST(file.size() == 5u);
    file.close();
    BOOST_TEST(fs::file_size(path) == 5u);
  });
}

BOOST_AUTO_TEST_CASE(a_closed_file_says_bad_descriptor) {
  asio::io_context io;
  random_access_file file(io);
  std::string into(4, '?');
  transfer_result r;
  file.async_read_some_at(0, asio::buffer(into), [&](error_code ec, std::size_t n) { r = {true, ec, n}; });
  run_until(io, [&] { return r.done; }, "read of a closed file");
  BOOST_TEST((r.ec == asio::error::bad_descriptor), r.ec.message());
  error_code ec;
  file.size(ec);
  BOOST_TEST((ec == asio::error::bad_descriptor), ec.message());
  file.cancel(ec);
  BOOST_TEST((ec == asio::error::bad_descriptor), ec.message());
}

// Many operations outstanding, then a cancellation signal on each, cancel() and close(): each
// completes exactly once, with its result or operation_aborted, and the file is closed.
BOOST_FIXTURE_TEST_CASE(cancelled_and_closed_with_operations_outstanding, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const fs::path path = dir / "busy";
    random_access_file file(io, path.string(), file_base::read_write | file_base::create);
    constexpr int count = 64;
    std::vector<asio::cancellation_signal> signals(count);
    std::vector<int> completions(count, 0);
    std::vector<error_code> results(count);
    const std::string block(4096, 'x');
    for (int i = 0; i < count; ++i)
      file.async_write_some_at(std::uint64_t(i) * block.size(), asio::buffer(block),
                               asio::bind_cancellation_slot(signals[std::size_t(i)].slot(),
                                                            [&, i](error_code ec, std::size_t) {
                                                              ++completions[std::size_t(i)];
                                                              results[std::size_t(i)] = ec;
                                                            }));
    for (int i = 0; i < count; i += 2)
      signals[std::size_t(i)].emit(asio::cancellation_type::terminal);
    file.cancel();
    file.close();
    BOOST_TEST(!file.is_open());
    run_until(io, [&] {
      for (int c : completions)
        if (c == 0)
          return false;
      return true;
    }, "every write to complete");
    io.restart();
    io.poll();
    for (int i = 0; i < count; ++i) {
      BOOST_TEST(completions[std::size_t(i)] == 1, "write " << i);
      const error_code& ec = results[std::size_t(i)];
      BOOST_TEST((!ec || ec == asio::error::operation_aborted), "write " << i << ": " << ec.message());
    }
  });
}

BOOST_FIXTURE_TEST_CASE(release_moves_and_tokens, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir,
                                [[maybe_unused]] asio_fswatch::file_backend_kind kind) {
    const fs::path path = dir / "moved";
    random_access_file a(io, path.string(), file_base::read_write | file_base::create);
    random_access_file b(std::move(a));
    BOOST_TEST(!a.is_open());
    BOOST_TEST(b.is_open());
    a.open((dir / "again").string(), file_base::read_write | file_base::create); // usable again
    BOOST_TEST(a.is_open());
    // A future, and deferred.
    const std::string text = "future";
    std::future<std::size_t> written = b.async_write_some_at(0, asio::buffer(text), asio::use_future);
    std::string into(6, '?');
    auto read = b.async_read_some_at(0, asio::buffer(into), asio::deferred);
    std::thread runner([&] {
      auto guard = asio::make_work_guard(io);
      io.run_for(std::chrono::seconds(30));
    });
    BOOST_TEST(written.get() == 6u);
    std::promise<std::size_t> got;
    std::move(read)([&](error_code ec, std::size_t n) { got.set_value(ec ? 0 : n); });
    BOOST_TEST(got.get_future().get() == 6u);
    io.stop();
    runner.join();
    BOOST_TEST(into == "future");
    BOOST_TEST((b.backend() == asio_fswatch::file_backend(io)));
#if defined(_WIN32)
    BOOST_TEST((b.backend() == (kind == asio_fswatch::file_backend_kind::threads
                                    ? asio_fswatch::file_backend_kind::threads
                                    : asio_fswatch::file_backend_kind::iocp)));
#endif
    // release gives the handle up: the caller closes it.
    error_code ec;
    random_access_file::native_handle_type h = b.release(ec);
#if defined(_WIN32)
    if (ec == asio::error::operation_not_supported) {
      // Taking a HANDLE off a completion port needs FileReplaceCompletionInformation, which
      // Wine 8 (and Windows before 8.1) lacks: release refuses, and the file stays open.
      BOOST_TEST_MESSAGE("release on the completion port: " << ec.message() << " (Wine: no "
                         "FileReplaceCompletionInformation); the file stays open");
      BOOST_TEST(b.is_open());
      BOOST_TEST(write_at(io, b, 0, "still").bytes == 5u);
      return;
    }
#endif
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(!b.is_open());
    asio_fswatch::test::close_native(h);
  });
}

BOOST_AUTO_TEST_SUITE_END()
