// SPDX-License-Identifier: BSL-1.0
// async_read_file and async_copy_file on every platform (Linux on each file backend, Windows
// under Wine): whole files of several blocks copied and read exactly, a longer target cut, a copy
// onto itself refused by file identity (same name, and a hard link), the permissions or
// attributes kept, errors, cancellation, and a future.
#include <asio_fswatch/file_operations.hpp>

#include <common/child_support.hpp>
#include <common/portable_files.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <system_error>
#include <thread>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::error_code;

namespace {

using asio_fswatch::test::contents;
using asio_fswatch::test::on_each_backend;
using asio_fswatch::test::put;
using asio_fswatch::test::run_until;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s)
    c = char(gen() & 0xFF);
  return s;
}

struct read_result {
  bool done = false;
  error_code ec;
  std::string data;
};

read_result read_file(asio::io_context& io, const fs::path& path) {
  read_result r;
  asio_fswatch::async_read_file(io, path, [&](error_code ec, std::string data) { r = {true, ec, std::move(data)}; });
  run_until(io, [&] { return r.done; }, "async_read_file");
  return r;
}

struct copy_result {
  bool done = false;
  error_code ec;
  std::uint64_t bytes = 0;
};

copy_result copy_file(asio::io_context& io, const fs::path& from, const fs::path& to) {
  copy_result r;
  asio_fswatch::async_copy_file(io, from, to, [&](error_code ec, std::uint64_t n) { r = {true, ec, n}; });
  run_until(io, [&] { return r.done; }, "async_copy_file");
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(file_operations_everywhere)

BOOST_FIXTURE_TEST_CASE(read_file_reads_whole_files_and_says_what_went_wrong, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const std::string data = random_bytes((3u << 20) + 17, 1);
    put(dir / "big", data);
    read_result r = read_file(io, dir / "big");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST((r.data == data), "read " << r.data.size() << " of " << data.size() << " bytes");
    put(dir / "empty", "");
    r = read_file(io, dir / "empty");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.data.empty());
    r = read_file(io, dir / "missing");
    BOOST_TEST((r.ec == std::errc::no_such_file_or_directory), r.ec.message());
    r = read_file(io, dir);
    BOOST_TEST((r.ec == std::errc::is_a_directory), r.ec.message());
  });
}

BOOST_FIXTURE_TEST_CASE(copy_file_copies_exactly_and_cuts_a_longer_target, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    const std::string data = random_bytes((5u << 20) + 123, 2); // several 1 MiB blocks and a tail
    put(dir / "from", data);
    copy_result r = copy_file(io, dir / "from", dir / "new");
    BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
    BOOST_TEST(r.bytes == data.size());
    BOOST_TEST((contents(dir / "new") == data));
    put(dir / "longer", std::string(data.size() + 4096, 'x'));
    r = copy_file(io, dir / "from", dir / "longer");
    BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
    BOOST_TEST((contents(dir / "longer") == data), "a longer target must be cut to the source's size");
    put(dir / "tiny", "");
    r = copy_file(io, dir / "tiny", dir / "tiny copy");
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.bytes == 0u);
    BOOST_TEST(fs::exists(dir / "tiny copy"));
  });
}

// The same file under two names (itself, a hard link, a path with a detour) is refused before
// anything is cut.
BOOST_FIXTURE_TEST_CASE(copy_onto_itself_is_refused_by_identity, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    put(dir / "self", "precious");
    fs::create_hard_link(dir / "self", dir / "link");
    fs::create_directory(dir / "sub");
    for (const fs::path& to : {dir / "self", dir / "link", dir / "sub" / ".." / "self"}) {
      BOOST_TEST_CONTEXT("to " << to) {
        copy_result r = copy_file(io, dir / "self", to);
        BOOST_TEST((r.ec == std::errc::invalid_argument), r.ec.message());
        BOOST_TEST(contents(dir / "self") == "precious");
      }
    }
  });
}

BOOST_FIXTURE_TEST_CASE(copy_file_errors, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    put(dir / "file", "x");
    copy_result r = copy_file(io, dir / "missing", dir / "to");
    BOOST_TEST((r.ec == std::errc::no_such_file_or_directory), r.ec.message());
    BOOST_TEST(!fs::exists(dir / "to"), "nothing is created when the source cannot be opened");
    fs::create_directory(dir / "folder");
    r = copy_file(io, dir / "folder", dir / "to");
    BOOST_TEST((r.ec == std::errc::is_a_directory), r.ec.message());
    r = copy_file(io, dir / "file", dir / "no such dir" / "to");
    BOOST_TEST((r.ec == std::errc::no_such_file_or_directory), r.ec.message());
  });
}

// POSIX: the permission bits, whatever the umask; Windows: the read-only attribute.
BOOST_FIXTURE_TEST_CASE(copy_keeps_permissions_or_attributes, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    put(dir / "guarded", "data");
    const fs::perms wanted = fs::perms::owner_read | fs::perms::group_read; // read-only on Windows
    fs::permissions(dir / "guarded", wanted, fs::perm_options::replace);
    copy_result r = copy_file(io, dir / "guarded", dir / "copy");
    BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
    const fs::perms got = fs::status(dir / "copy").permissions();
    BOOST_TEST(((got & fs::perms::owner_write) == fs::perms::none), "the copy must be read-only too");
#if !defined(_WIN32)
    BOOST_TEST(int(got) == int(wanted));
#endif
    // Writable again, so that the directory can be removed (Windows refuses read-only files).
    for (const char* name : {"guarded", "copy"})
      fs::permissions(dir / name, fs::perms::owner_all, fs::perm_options::add);
  });
}

// Cancelled while it copies: operation_aborted (or done, if it won the race), and the context is
// left without work.
BOOST_FIXTURE_TEST_CASE(copy_cancelled_by_its_slot, asio_fswatch::test::temp_dir) {
  on_each_backend(path(), [&](asio::io_context& io, const fs::path& dir, auto) {
    put(dir / "large", random_bytes(16u << 20, 3));
    asio::cancellation_signal signal;
    copy_result r;
    asio_fswatch::async_copy_file(io, dir / "large", dir / "copy",
                                  asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, std::uint64_t n) {
                                    r = {true, ec, n};
                                  }));
    io.restart();
    io.poll();
    signal.emit(asio::cancellation_type::terminal);
    run_until(io, [&] { return r.done; }, "the cancelled copy");
    BOOST_TEST((!r.ec || r.ec == asio::error::operation_aborted), r.ec.message());
    io.restart();
    BOOST_TEST(io.poll() == 0u);
  });
}

BOOST_FIXTURE_TEST_CASE(read_file_with_a_future_on_another_thread, asio_fswatch::test::temp_dir) {
  put(path() / "note", "by future");
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  std::future<std::string> got = asio_fswatch::async_read_file(io, path() / "note", asio::use_future);
  BOOST_TEST((got.wait_for(std::chrono::seconds(30)) == std::future_status::ready), "no result within 30 s");
  BOOST_TEST(got.get() == "by future");
  guard.reset();
  runner.join();
}

BOOST_AUTO_TEST_SUITE_END()
