// SPDX-License-Identifier: BSL-1.0
// Integration tests of random_access_file and stream_file on both file backends (io_uring and
// the thread pool): data round trips, open flags and errors, many operations in flight, two
// threads, every completion token, cancellation (per operation: terminal, partial, total;
// cancel(), close(), the destructor), pipes through the reactor, the service's configuration
// and the destruction of a context with operations pending.
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/random_access_file.hpp>
#include <asio_fswatch/stream_file.hpp>

#include <common/as_nobody.hpp>
#include <common/file_support.hpp>
#include <common/scoped_env.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_at.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/write_at.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace data = boost::unit_test::data;
namespace fs = std::filesystem;
namespace sys = boost::system;
using namespace std::chrono_literals;

using asio_fswatch::file_backend_kind;
using asio_fswatch::file_base;
using asio_fswatch::file_service_options;
using asio_fswatch::random_access_file;
using asio_fswatch::stream_file;
using namespace asio_fswatch::test; // the test support in common/

const sys::error_code aborted = asio::error::operation_aborted;
const sys::error_code eof = asio::error::eof;

file_service_options pool_of_one() {
  file_service_options options;
  options.thread_pool_size = 1;
  return options;
}

/// Opens a FIFO for reading and writing (never blocks), as a random_access_file.
void assign_fifo(random_access_file& file, const fs::path& fifo) {
  int fd = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  BOOST_TEST_REQUIRE(fd >= 0, "open " << fifo << ": " << std::strerror(errno));
  file.assign(fd);
}

bool is_non_blocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

using asio_fswatch::test::scoped_env;

const auto backends = data::make(both_backends());

/// "0123456789" written to `dir`/f, open read-only both as a random_access_file and as a
/// stream_file: what the token tests read.
struct digits_files {
  digits_files(asio::io_context& ioc, const fs::path& dir)
      : path(write_digits(dir / "f")), file(ioc, path, file_base::read_only), stream(ioc, path, file_base::read_only) {}
  static fs::path write_digits(fs::path path) {
    write_file(path, "0123456789");
    return path;
  }
  fs::path path;
  random_access_file file;
  stream_file stream;
};

} // namespace

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_random_access)

BOOST_DATA_TEST_CASE_F(temp_dir, write_then_read_back_with_composed_operations, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes((std::size_t(1) << 20) + 4097, 1);
  random_access_file file(ioc, path() / "f", file_base::read_write | file_base::create | file_base::truncate);
  BOOST_TEST(to_string(file.backend()) == to_string(p.kind));

  io_result written;
  asio::async_write_at(file, 0, asio::buffer(content), written.handler());
  FILE_TEST_WAIT_FOR(ioc, written);
  BOOST_TEST_REQUIRE(!written.ec, written.ec.message());
  BOOST_TEST(written.n == content.size());
  BOOST_TEST(file.size() == content.size());

  std::string back(content.size(), '\0');
  io_result read;
  asio::async_read_at(file, 0, asio::buffer(back), read.handler());
  FILE_TEST_WAIT_FOR(ioc, read);
  BOOST_TEST_REQUIRE(!read.ec, read.ec.message());
  BOOST_TEST(read.n == content.size());
  BOOST_TEST((back == content), "the data read back differs from the data written");
  BOOST_TEST((file_content(path() / "f") == content));
  file.close();
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, several_buffers_in_one_operation, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  random_access_file file(ioc, path() / "f", file_base::read_write | file_base::create);
  const std::string a(100, 'a'), b = random_bytes(5000, 2), c = "0123456";
  const std::array<asio::const_buffer, 3> out{asio::buffer(a), asio::buffer(b), asio::buffer(c)};
  io_result written;
  file.async_write_some_at(10, out, written.handler());
  FILE_TEST_WAIT_FOR(ioc, written);
  BOOST_TEST_REQUIRE(!written.ec, written.ec.message());
  BOOST_TEST(written.n == a.size() + b.size() + c.size());
  const std::string expected = std::string(10, '\0') + a + b + c;
  BOOST_TEST((file_content(path() / "f") == expected));

  // Read back into buffers of other sizes.
  std::string x(7, '-'), y(5000, '-'), z(100, '-');
  const std::array<asio::mutable_buffer, 3> in{asio::buffer(x), asio::buffer(y), asio::buffer(z)};
  io_result read;
  file.async_read_some_at(10, in, read.handler());
  FILE_TEST_WAIT_FOR(ioc, read);
  BOOST_TEST_REQUIRE(!read.ec, read.ec.message());
  BOOST_TEST(read.n == 5107u);
  BOOST_TEST((x + y + z == a + b + c));

  // More buffers than one request takes (20 > 16): the composed operations still move all.
  std::vector<std::string> parts;
  std::vector<asio::const_buffer> many;
  std::string joined;
  for (int i = 0; i < 20; ++i)
    parts.push_back(random_bytes(std::size_t(100 + i * 37), unsigned(10 + i)));
  for (const auto& part : parts) {
    many.push_back(asio::buffer(part));
    joined += part;
  }
  io_result all_written;
  asio::async_write_at(file, 0, many, all_written.handler());
  FILE_TEST_WAIT_FOR(ioc, all_written);
  BOOST_TEST_REQUIRE(!all_written.ec, all_written.ec.message());
  BOOST_TEST(all_written.n == joined.size());
  BOOST_TEST((file_content(path() / "f").substr(0, joined.size()) == joined));

  std::vector<std::string> back;
  std::vector<asio::mutable_buffer> many_in;
  for (const auto& part : parts)
    back.emplace_back(part.size(), '-');
  for (auto& part : back)
    many_in.push_back(asio::buffer(part));
  io_result some;
  file.async_read_some_at(0, many_in, some.handler());
  FILE_TEST_WAIT_FOR(ioc, some);
  BOOST_TEST_REQUIRE(!some.ec, some.ec.message());
  BOOST_TEST(some.n > 0u);
  BOOST_TEST(some.n <= joined.size());
  std::string got;
  for (const auto& part : back)
    got += part;
  BOOST_TEST((got.substr(0, some.n) == joined.substr(0, some.n)));
  io_result all_read;
  asio::async_read_at(file, 0, many_in, all_read.handler());
  FILE_TEST_WAIT_FOR(ioc, all_read);
  BOOST_TEST_REQUIRE(!all_read.ec, all_read.ec.message());
  BOOST_TEST(all_read.n == joined.size());
  got.clear();
  for (const auto& part : back)
    got += part;
  BOOST_TEST((got == joined));
}

BOOST_DATA_TEST_CASE_F(temp_dir, short_read_at_the_end_then_eof, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes(1000, 3);
  write_file(path() / "f", content);
  random_access_file file(ioc, path() / "f", file_base::read_only);

  std::string buffer(4096, '-');
  io_result tail;
  file.async_read_some_at(900, asio::buffer(buffer), tail.handler());
  FILE_TEST_WAIT_FOR(ioc, tail);
  BOOST_TEST(!tail.ec, tail.ec.message());
  BOOST_TEST(tail.n == 100u);
  BOOST_TEST((buffer.substr(0, 100) == content.substr(900)));

  for (std::uint64_t offset : {std::uint64_t(1000), std::uint64_t(5000), std::uint64_t(1) << 40}) {
    BOOST_TEST_CONTEXT("offset " << offset) {
      io_result past;
      file.async_read_some_at(offset, asio::buffer(buffer), past.handler());
      FILE_TEST_WAIT_FOR(ioc, past);
      BOOST_TEST(past.ec == eof, past.ec.message());
      BOOST_TEST(past.n == 0u);
    }
  }

  // The composed read gives what exists, then eof.
  io_result whole;
  asio::async_read_at(file, 0, asio::buffer(buffer), whole.handler());
  FILE_TEST_WAIT_FOR(ioc, whole);
  BOOST_TEST(whole.ec == eof, whole.ec.message());
  BOOST_TEST(whole.n == 1000u);
  BOOST_TEST((buffer.substr(0, 1000) == content));
}

BOOST_DATA_TEST_CASE_F(temp_dir, empty_buffers_complete_without_error, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "abc");
  random_access_file file(ioc, path() / "f", file_base::read_write);
  char c = 'x';
  for (std::uint64_t offset : {std::uint64_t(0), std::uint64_t(3), std::uint64_t(100)}) {
    BOOST_TEST_CONTEXT("offset " << offset) {
      io_result read, written;
      file.async_read_some_at(offset, asio::buffer(&c, 0), read.handler());
      file.async_write_some_at(offset, asio::buffer(&c, 0), written.handler());
      FILE_TEST_WAIT_FOR(ioc, read);
      FILE_TEST_WAIT_FOR(ioc, written);
      BOOST_TEST(!read.ec, read.ec.message());
      BOOST_TEST(read.n == 0u);
      BOOST_TEST(!written.ec, written.ec.message());
      BOOST_TEST(written.n == 0u);
    }
  }
  BOOST_TEST(c == 'x');
  BOOST_TEST(file.size() == 3u);
}

BOOST_DATA_TEST_CASE_F(temp_dir, sync_resize_and_allocate, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  random_access_file file(ioc, path() / "f", file_base::read_write | file_base::create);
  const std::string zs(100, 'z');
  io_result written;
  asio::async_write_at(file, 0, asio::buffer(zs), written.handler());
  FILE_TEST_WAIT_FOR(ioc, written);
  BOOST_TEST_REQUIRE(!written.ec);

  ec_result all, data_only;
  file.async_sync_all(all.handler());
  file.async_sync_data(data_only.handler());
  FILE_TEST_WAIT_FOR(ioc, all);
  FILE_TEST_WAIT_FOR(ioc, data_only);
  BOOST_TEST(!all.ec, all.ec.message());
  BOOST_TEST(!data_only.ec, data_only.ec.message());

  ec_result grow;
  file.async_resize(10000, grow.handler());
  FILE_TEST_WAIT_FOR(ioc, grow);
  BOOST_TEST_REQUIRE(!grow.ec, grow.ec.message());
  BOOST_TEST(file.size() == 10000u);
  BOOST_TEST((file_content(path() / "f") == std::string(100, 'z') + std::string(9900, '\0')));

  ec_result shrink;
  file.async_resize(10, shrink.handler());
  FILE_TEST_WAIT_FOR(ioc, shrink);
  BOOST_TEST_REQUIRE(!shrink.ec, shrink.ec.message());
  BOOST_TEST(file.size() == 10u);
  BOOST_TEST((file_content(path() / "f") == std::string(10, 'z')));

  ec_result allocated;
  file.async_allocate(0, 1 << 20, allocated.handler());
  FILE_TEST_WAIT_FOR(ioc, allocated);
  BOOST_TEST_REQUIRE(!allocated.ec, allocated.ec.message());
  BOOST_TEST(file.size() == std::uint64_t(1) << 20);
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat((path() / "f").c_str(), &st) == 0);
  BOOST_TEST(std::uint64_t(st.st_blocks) * 512 >= std::uint64_t(1) << 20, "the space is not reserved");
  BOOST_TEST((file_content(path() / "f").substr(0, 10) == std::string(10, 'z')));

  ec_result zero_length;
  file.async_allocate(0, 0, zero_length.handler());
  FILE_TEST_WAIT_FOR(ioc, zero_length);
  BOOST_TEST(zero_length.ec == sys_error(EINVAL), zero_length.ec.message());
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, open_errors, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "exists", "x");
  fs::create_directory(path() / "dir");
  sys::error_code ec;
  {
    random_access_file file(ioc);
    file.open(path() / "exists", file_base::read_write | file_base::create | file_base::exclusive, ec);
    BOOST_TEST(ec == sys_error(EEXIST), ec.message());
    BOOST_TEST(!file.is_open());
    file.open(path() / "new", file_base::read_write | file_base::exclusive, ec);
    BOOST_TEST(ec == sys_error(EINVAL), "exclusive without create: " << ec.message());
    BOOST_TEST(!fs::exists(path() / "new"));
    file.open(path() / "exists", file_base::read_only | file_base::read_write, ec);
    BOOST_TEST(ec == sys_error(EINVAL), "two access modes: " << ec.message());
    file.open(path() / "exists", file_base::create, ec);
    BOOST_TEST(ec == sys_error(EINVAL), "no access mode: " << ec.message());
    file.open(path() / "dir", file_base::read_only, ec);
    BOOST_TEST(ec == sys_error(EISDIR), "directory read-only: " << ec.message());
    file.open(path() / "dir", file_base::read_write, ec);
    BOOST_TEST(ec == sys_error(EISDIR), "directory read-write: " << ec.message());
    file.open(path() / "missing", file_base::read_only, ec);
    BOOST_TEST(ec == sys_error(ENOENT), ec.message());
    BOOST_TEST(!file.is_open());
    BOOST_CHECK_THROW(random_access_file(ioc, path() / "missing", file_base::read_only), sys::system_error);

    int dir_fd = ::open((path() / "dir").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    BOOST_TEST_REQUIRE(dir_fd >= 0);
    file.assign(dir_fd, ec);
    BOOST_TEST(ec == sys_error(EISDIR), "assign a directory: " << ec.message());
    BOOST_TEST(!file.is_open());
    BOOST_TEST(::fcntl(dir_fd, F_GETFD) >= 0, "the caller keeps the descriptor it gave");
    ::close(dir_fd);
    file.assign(-1, ec);
    BOOST_TEST(ec == asio::error::bad_descriptor, ec.message());
  }
  // EACCES from the file's own mode bits (a readable file beside it opens). Root bypasses them:
  // as root, the tree is given to nobody and the opens run as nobody in a forked child.
  write_file(path() / "secret", "s");
  write_file(path() / "public", "p");
  fs::permissions(path() / "secret", fs::perms::none);
  const auto open_as_caller = [kind = p.kind, dir = path()] {
    asio::io_context child_ioc;
    asio_fswatch::configure_file_service(child_ioc, {.backend = kind});
    random_access_file file(child_ioc);
    sys::error_code open_ec;
    file.open(dir / "public", file_base::read_only, open_ec);
    if (open_ec)
      throw std::runtime_error("open a readable file: " + open_ec.message());
    file.close();
    file.open(dir / "secret", file_base::read_only, open_ec);
    if (open_ec != sys_error(EACCES))
      throw std::runtime_error("open a file of mode 000: " + (open_ec ? open_ec.message() : "no error"));
  };
  if (::geteuid() != 0) {
    BOOST_CHECK_NO_THROW(open_as_caller());
    return;
  }
  for (const fs::path& owned : {path(), path() / "secret", path() / "public"})
    BOOST_TEST_REQUIRE(::chown(owned.c_str(), asio_fswatch::test::nobody_id, asio_fswatch::test::nobody_id) == 0,
                       owned << ": " << std::strerror(errno));
  asio_fswatch::test::run_as_nobody(open_as_caller);
}

BOOST_DATA_TEST_CASE_F(temp_dir, truncate_and_append, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "t", "some old content");
  {
    random_access_file file(ioc, path() / "t", file_base::read_write | file_base::truncate);
    BOOST_TEST(file.size() == 0u);
  }
  BOOST_TEST(fs::file_size(path() / "t") == 0u);

  write_file(path() / "a", "abc");
  random_access_file file(ioc, path() / "a", file_base::write_only | file_base::append);
  io_result first, second;
  file.async_write_some_at(0, asio::buffer("XYZ", 3), first.handler());
  FILE_TEST_WAIT_FOR(ioc, first);
  BOOST_TEST(!first.ec, first.ec.message());
  BOOST_TEST(first.n == 3u);
  file.async_write_some_at(1, asio::buffer("12", 2), second.handler());
  FILE_TEST_WAIT_FOR(ioc, second);
  BOOST_TEST(!second.ec, second.ec.message());
  BOOST_TEST(file_content(path() / "a") == "abcXYZ12");
}

BOOST_DATA_TEST_CASE_F(temp_dir, read_only_file_rejects_changes, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "0123456789");
  random_access_file file(ioc, path() / "f", file_base::read_only);
  io_result written;
  file.async_write_some_at(0, asio::buffer("x", 1), written.handler());
  FILE_TEST_WAIT_FOR(ioc, written);
  BOOST_TEST(written.ec == sys_error(EBADF), written.ec.message());
  BOOST_TEST(written.n == 0u);
  ec_result allocated, resized;
  file.async_allocate(0, 100, allocated.handler());
  file.async_resize(1, resized.handler());
  FILE_TEST_WAIT_FOR(ioc, allocated);
  FILE_TEST_WAIT_FOR(ioc, resized);
  BOOST_TEST(allocated.ec == sys_error(EBADF), allocated.ec.message());
  BOOST_TEST(resized.ec == sys_error(EINVAL), resized.ec.message());
  BOOST_TEST(file_content(path() / "f") == "0123456789");

  // And the other way round: a write-only file cannot be read.
  random_access_file out(ioc, path() / "f", file_base::write_only);
  char c;
  io_result read;
  out.async_read_some_at(0, asio::buffer(&c, 1), read.handler());
  FILE_TEST_WAIT_FOR(ioc, read);
  BOOST_TEST(read.ec == sys_error(EBADF), read.ec.message());
}

BOOST_DATA_TEST_CASE_F(temp_dir, closed_object_fails_every_operation_never_inline, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  random_access_file file(ioc);
  BOOST_TEST(!file.is_open());
  char c = 'x';
  int initiated = 0, inline_completions = 0, completions = 0;
  std::vector<sys::error_code> errors;
  auto bytes_handler = [&](sys::error_code ec, std::size_t n) {
    ++completions;
    if (completions > initiated)
      ++inline_completions;
    errors.push_back(ec);
    BOOST_TEST(n == 0u);
  };
  auto plain_handler = [&](sys::error_code ec) {
    ++completions;
    if (completions > initiated)
      ++inline_completions;
    errors.push_back(ec);
  };
  file.async_read_some_at(0, asio::buffer(&c, 1), bytes_handler);
  ++initiated;
  file.async_write_some_at(0, asio::buffer(&c, 1), bytes_handler);
  ++initiated;
  file.async_sync_all(plain_handler);
  ++initiated;
  file.async_sync_data(plain_handler);
  ++initiated;
  file.async_resize(10, plain_handler);
  ++initiated;
  file.async_allocate(0, 10, plain_handler);
  ++initiated;
  BOOST_TEST_REQUIRE(run_until(ioc, [&] { return completions == 6; }), "the handlers did not run");
  BOOST_TEST(inline_completions == 0, "a handler ran inside its initiating function");
  BOOST_TEST_REQUIRE(errors.size() == 6u);
  for (const auto& ec : errors)
    BOOST_TEST(ec == asio::error::bad_descriptor, ec.message());
  BOOST_TEST(c == 'x');

  sys::error_code ec;
  file.size(ec);
  BOOST_TEST(ec == asio::error::bad_descriptor);
  file.cancel(ec);
  BOOST_TEST(ec == asio::error::bad_descriptor);
  file.close(ec);
  BOOST_TEST(!ec, "close of a closed file: " << ec.message());
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, already_open_and_release, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "hello");
  random_access_file file(ioc, path() / "f", file_base::read_only);
  sys::error_code ec;
  file.open(path() / "f", file_base::read_only, ec);
  BOOST_TEST(ec == asio::error::already_open, ec.message());
  int other = ::open((path() / "f").c_str(), O_RDONLY | O_CLOEXEC);
  file.assign(other, ec);
  BOOST_TEST(ec == asio::error::already_open, ec.message());
  ::close(other);
  BOOST_TEST(file.is_open());

  const int fd = file.native_handle();
  int released = file.release();
  BOOST_TEST(released == fd);
  BOOST_TEST(!file.is_open());
  BOOST_TEST(file.native_handle() == -1);
  BOOST_TEST_REQUIRE(::fcntl(released, F_GETFD) >= 0, "release() closed the descriptor");
  char buffer[5];
  BOOST_TEST(::pread(released, buffer, 5, 0) == 5);
  BOOST_TEST(std::string(buffer, 5) == "hello");

  io_result after;
  file.async_read_some_at(0, asio::buffer(buffer), after.handler());
  FILE_TEST_WAIT_FOR(ioc, after);
  BOOST_TEST(after.ec == asio::error::bad_descriptor, after.ec.message());
  file.release(ec);
  BOOST_TEST(ec == asio::error::bad_descriptor, "release of a closed file: " << ec.message());

  // The released descriptor can be given back.
  file.assign(released);
  io_result again;
  file.async_read_some_at(1, asio::buffer(buffer, 4), again.handler());
  FILE_TEST_WAIT_FOR(ioc, again);
  BOOST_TEST(!again.ec, again.ec.message());
  BOOST_TEST(std::string(buffer, again.n) == "ello");
}

BOOST_DATA_TEST_CASE_F(temp_dir, move_construction_and_assignment, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "a", "aaaa");
  write_file(path() / "b", "bbbb");
  random_access_file first(ioc, path() / "a", file_base::read_only);
  random_access_file second(std::move(first));
  BOOST_TEST(!first.is_open());
  BOOST_TEST(second.is_open());
  char buffer[4];
  io_result r1;
  second.async_read_some_at(0, asio::buffer(buffer), r1.handler());
  FILE_TEST_WAIT_FOR(ioc, r1);
  BOOST_TEST(!r1.ec, r1.ec.message());
  BOOST_TEST(std::string(buffer, r1.n) == "aaaa");

  random_access_file third(ioc, path() / "b", file_base::read_only);
  const int b_fd = third.native_handle();
  third = std::move(second);
  BOOST_TEST(!second.is_open());
  BOOST_TEST(third.is_open());
  BOOST_TEST(::fcntl(b_fd, F_GETFD) == -1, "move assignment did not close the file it replaced");
  io_result r2;
  third.async_read_some_at(0, asio::buffer(buffer), r2.handler());
  FILE_TEST_WAIT_FOR(ioc, r2);
  BOOST_TEST(!r2.ec, r2.ec.message());
  BOOST_TEST(std::string(buffer, r2.n) == "aaaa");

  // The moved-from object is closed and usable again (as with Asio's own I/O objects, it keeps
  // its executor). Checked first: an operation started with an empty executor would crash.
  BOOST_TEST_REQUIRE(bool(first.get_executor()), "the moved-from file lost its executor");
  BOOST_TEST_REQUIRE(bool(second.get_executor()), "the moved-from (by assignment) file lost its executor");
  io_result r3;
  first.async_read_some_at(0, asio::buffer(buffer), r3.handler());
  FILE_TEST_WAIT_FOR(ioc, r3);
  BOOST_TEST(r3.ec == asio::error::bad_descriptor, r3.ec.message());
  first.open(path() / "b", file_base::read_only);
  io_result r4;
  first.async_read_some_at(0, asio::buffer(buffer), r4.handler());
  FILE_TEST_WAIT_FOR(ioc, r4);
  BOOST_TEST(std::string(buffer, r4.n) == "bbbb");

  // Converting move to another executor type.
  asio_fswatch::basic_random_access_file<asio::io_context::executor_type> typed(ioc, path() / "a",
                                                                               file_base::read_only);
  random_access_file converted(std::move(typed));
  BOOST_TEST(!typed.is_open());
  io_result r5;
  converted.async_read_some_at(2, asio::buffer(buffer), r5.handler());
  FILE_TEST_WAIT_FOR(ioc, r5);
  BOOST_TEST(std::string(buffer, r5.n) == "aa");
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_many_operations)

BOOST_DATA_TEST_CASE_F(temp_dir, thousands_of_reads_in_flight, backends, p) {
  constexpr std::size_t count = 2000, block = 4096;
  const std::string content = random_bytes(count * block, 4);
  write_file(path() / "f", content);
  for (unsigned ring_entries : {256u, 8u}) {
    BOOST_TEST_CONTEXT("ring_entries " << ring_entries) {
      asio::io_context ioc;
      file_service_options options;
      options.ring_entries = ring_entries;
      if (!use_backend(ioc, p.kind, options))
        return;
      random_access_file file(ioc, path() / "f", file_base::read_only);
      std::vector<std::string> buffers(count, std::string(block, '\0'));
      std::vector<io_result> results(count);
      // Read the blocks in a scrambled order.
      for (std::size_t k = 0; k < count; ++k) {
        std::size_t i = (k * 7919) % count;
        file.async_read_some_at(i * block, asio::buffer(buffers[i]), results[i].handler());
      }
      std::size_t completed = 0;
      BOOST_TEST_REQUIRE(run_until(ioc, [&] {
        completed = 0;
        for (const auto& r : results)
          completed += r.done;
        return completed == count;
      }), "only " << completed << " of " << count << " reads completed");
      std::size_t wrong = 0;
      for (std::size_t i = 0; i < count; ++i) {
        if (results[i].ec || results[i].n != block || buffers[i] != content.substr(i * block, block)) {
          if (wrong++ < 5)
            BOOST_TEST_MESSAGE("read " << i << ": " << results[i].ec.message() << ", " << results[i].n
                                       << " bytes");
        }
      }
      BOOST_TEST(wrong == 0u, wrong << " reads failed or read the wrong data");
      BOOST_TEST(no_work_left(ioc), "work left behind");
    }
  }
}

BOOST_DATA_TEST_CASE_F(temp_dir, two_threads_coroutines_each_with_its_own_file, backends, p) {
  asio::io_context ioc(2);
  if (!use_backend(ioc, p.kind))
    return;
  constexpr std::size_t count = 200, region = 16384;
  {
    random_access_file create(ioc, path() / "f", file_base::read_write | file_base::create);
  }
  std::vector<char> ok(count, 0);
  std::vector<std::string> failures(count);
  std::atomic<std::size_t> finished{0};
  for (std::size_t i = 0; i < count; ++i) {
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          random_access_file file(co_await asio::this_coro::executor, path() / "f", file_base::read_write);
          const std::string mine = random_bytes(region - i, unsigned(100 + i));
          std::size_t n = co_await asio::async_write_at(file, i * region, asio::buffer(mine), asio::use_awaitable);
          std::string back(mine.size(), '\0');
          std::size_t m = co_await asio::async_read_at(file, i * region, asio::buffer(back), asio::use_awaitable);
          ok[i] = n == mine.size() && m == mine.size() && back == mine;
        },
        [&, i](std::exception_ptr e) {
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& x) {
              failures[i] = x.what();
            }
          }
          ++finished;
        });
  }
  BOOST_TEST_REQUIRE(run_on_threads(ioc, 2), "the coroutines did not all finish within 30 s: "
                                                 << finished.load() << " of " << count);
  BOOST_TEST(finished.load() == count);
  std::size_t good = 0;
  for (std::size_t i = 0; i < count; ++i) {
    good += ok[i];
    if (!failures[i].empty())
      BOOST_TEST_MESSAGE("coroutine " << i << ": " << failures[i]);
  }
  BOOST_TEST(good == count);
}

BOOST_DATA_TEST_CASE_F(temp_dir, two_threads_callback_chains_sharing_a_file_on_a_strand, backends, p) {
  asio::io_context ioc(2);
  if (!use_backend(ioc, p.kind))
    return;
  constexpr std::size_t count = 200, region = 8192;
  auto strand = asio::make_strand(ioc);
  random_access_file file(strand, path() / "f", file_base::read_write | file_base::create);
  struct chain {
    std::string mine, back;
    bool ok = false;
  };
  std::vector<chain> chains(count);
  std::atomic<std::size_t> finished{0};
  asio::dispatch(strand, [&] {
    for (std::size_t i = 0; i < count; ++i) {
      chain& c = chains[i];
      c.mine = random_bytes(region - 3 * i, unsigned(500 + i));
      c.back.assign(c.mine.size(), '\0');
      asio::async_write_at(file, i * region, asio::buffer(c.mine), [&, i](sys::error_code ec, std::size_t n) {
        chain& c = chains[i];
        if (ec || n != c.mine.size()) {
          ++finished;
          return;
        }
        asio::async_read_at(file, i * region, asio::buffer(c.back), [&, i](sys::error_code ec, std::size_t n) {
          chain& c = chains[i];
          c.ok = strand.running_in_this_thread() && !ec && n == c.mine.size() && c.back == c.mine;
          ++finished;
        });
      });
    }
  });
  BOOST_TEST_REQUIRE(run_on_threads(ioc, 2), "the chains did not all finish within 30 s: " << finished.load());
  std::size_t good = 0;
  for (const auto& c : chains)
    good += c.ok;
  BOOST_TEST(good == count);
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_object_tokens)

// Each test uses async_read_some_at and async_sync_all of a random_access_file, and
// async_read_some of a stream_file on a regular file, with one kind of completion token.

BOOST_DATA_TEST_CASE_F(temp_dir, callback, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  digits_files f(ioc, path());
  BOOST_TEST(!f.stream.is_reactive());
  char a[4], b[4];
  io_result read, streamed;
  ec_result synced;
  f.file.async_read_some_at(3, asio::buffer(a), read.handler());
  f.file.async_sync_all(synced.handler());
  f.stream.async_read_some(asio::buffer(b), streamed.handler());
  FILE_TEST_WAIT_FOR(ioc, read);
  FILE_TEST_WAIT_FOR(ioc, synced);
  FILE_TEST_WAIT_FOR(ioc, streamed);
  BOOST_TEST(!read.ec);
  BOOST_TEST(std::string(a, read.n) == "3456");
  BOOST_TEST(!synced.ec, synced.ec.message());
  BOOST_TEST(!streamed.ec);
  BOOST_TEST(std::string(b, streamed.n) == "0123");
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, use_future_with_the_context_on_another_thread, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  digits_files f(ioc, path());
  char a[4], b[4], c[4];
  auto guard = asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  std::future<std::size_t> read = f.file.async_read_some_at(3, asio::buffer(a), asio::use_future);
  std::future<void> synced = f.file.async_sync_all(asio::use_future);
  std::future<std::size_t> streamed = f.stream.async_read_some(asio::buffer(b), asio::use_future);
  std::future<std::size_t> at_eof = f.file.async_read_some_at(10, asio::buffer(c), asio::use_future);
  bool ready = true;
  for (std::future_status s : {read.wait_for(30s), synced.wait_for(30s), streamed.wait_for(30s), at_eof.wait_for(30s)})
    ready = ready && s == std::future_status::ready;
  guard.reset();
  if (!ready)
    ioc.stop();
  runner.join();
  BOOST_TEST_REQUIRE(ready, "a use_future operation did not complete within 30 s");
  BOOST_TEST(read.get() == 4u);
  BOOST_TEST(std::string(a, 4) == "3456");
  BOOST_CHECK_NO_THROW(synced.get());
  BOOST_TEST(streamed.get() == 4u);
  BOOST_TEST(std::string(b, 4) == "0123");
  try {
    at_eof.get();
    BOOST_FAIL("no exception for a read at the end of the file");
  } catch (const sys::system_error& e) {
    BOOST_TEST(e.code() == eof, e.what());
  }
}

BOOST_DATA_TEST_CASE_F(temp_dir, coroutine_with_use_awaitable, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  digits_files f(ioc, path());
  std::string a, b;
  sys::error_code tuple_error, redirected;
  std::size_t tuple_bytes = 99;
  bool finished = false;
  std::exception_ptr failure;
  asio::co_spawn(
      ioc,
      [&, &file = f.file, &stream = f.stream]() -> asio::awaitable<void> {
        char buffer[4];
        std::size_t n = co_await file.async_read_some_at(3, asio::buffer(buffer), asio::use_awaitable);
        a.assign(buffer, n);
        co_await file.async_sync_all(asio::use_awaitable);
        n = co_await stream.async_read_some(asio::buffer(buffer), asio::use_awaitable);
        b.assign(buffer, n);
        std::tie(tuple_error, tuple_bytes) =
            co_await file.async_read_some_at(10, asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
        co_await stream.async_read_some(asio::buffer(buffer, 0), asio::redirect_error(asio::use_awaitable, redirected));
        stream.seek(0, file_base::seek_end);
        co_await stream.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, redirected));
        // An error without a token that catches it arrives as an exception.
        co_await file.async_read_some_at(100, asio::buffer(buffer), asio::use_awaitable);
      },
      [&](std::exception_ptr e) {
        failure = e;
        finished = true;
      });
  BOOST_TEST_REQUIRE(run_until(ioc, [&] { return finished; }), "the coroutine did not finish");
  BOOST_TEST(a == "3456");
  BOOST_TEST(b == "0123");
  BOOST_TEST(tuple_error == eof);
  BOOST_TEST(tuple_bytes == 0u);
  BOOST_TEST(redirected == eof);
  BOOST_TEST_REQUIRE(bool(failure), "the read at offset 100 did not throw");
  try {
    std::rethrow_exception(failure);
  } catch (const sys::system_error& e) {
    BOOST_TEST(e.code() == eof, e.what());
  }
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, deferred_starts_only_when_invoked, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  digits_files f(ioc, path());
  char a[4] = {'-', '-', '-', '-'}, b[4] = {'-', '-', '-', '-'};
  auto read = f.file.async_read_some_at(3, asio::buffer(a), asio::deferred);
  auto synced = f.file.async_sync_all(asio::deferred);
  auto streamed = f.stream.async_read_some(asio::buffer(b), asio::deferred);
  ioc.poll();
  ioc.restart();
  BOOST_TEST(std::string(a, 4) == "----", "the deferred read started before it was invoked");
  BOOST_TEST(std::string(b, 4) == "----");
  io_result r1, r3;
  ec_result r2;
  std::move(read)(r1.handler());
  std::move(synced)(r2.handler());
  std::move(streamed)(r3.handler());
  FILE_TEST_WAIT_FOR(ioc, r1);
  FILE_TEST_WAIT_FOR(ioc, r2);
  FILE_TEST_WAIT_FOR(ioc, r3);
  BOOST_TEST(!r1.ec);
  BOOST_TEST(std::string(a, r1.n) == "3456");
  BOOST_TEST(!r2.ec);
  BOOST_TEST(!r3.ec);
  BOOST_TEST(std::string(b, r3.n) == "0123");
}

BOOST_DATA_TEST_CASE_F(temp_dir, as_tuple_with_a_callback, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  digits_files f(ioc, path());
  char a[4], b[4], c[4];
  std::optional<std::tuple<sys::error_code, std::size_t>> r1, r3, r4;
  std::optional<std::tuple<sys::error_code>> r2;
  f.file.async_read_some_at(3, asio::buffer(a), asio::as_tuple([&](std::tuple<sys::error_code, std::size_t> t) { r1 = t; }));
  f.file.async_sync_all(asio::as_tuple([&](std::tuple<sys::error_code> t) { r2 = t; }));
  f.stream.async_read_some(asio::buffer(b), asio::as_tuple([&](std::tuple<sys::error_code, std::size_t> t) { r3 = t; }));
  f.file.async_read_some_at(10, asio::buffer(c), asio::as_tuple([&](std::tuple<sys::error_code, std::size_t> t) { r4 = t; }));
  BOOST_TEST_REQUIRE(run_until(ioc, [&] { return r1 && r2 && r3 && r4; }), "a handler did not run");
  BOOST_TEST(!std::get<0>(*r1));
  BOOST_TEST(std::string(a, std::get<1>(*r1)) == "3456");
  BOOST_TEST(!std::get<0>(*r2));
  BOOST_TEST(!std::get<0>(*r3));
  BOOST_TEST(std::string(b, std::get<1>(*r3)) == "0123");
  BOOST_TEST(std::get<0>(*r4) == eof);
  BOOST_TEST(std::get<1>(*r4) == 0u);
}

BOOST_DATA_TEST_CASE_F(temp_dir, redirect_error_with_a_callback, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  digits_files f(ioc, path());
  char a[4], b[4], c[4];
  sys::error_code e1 = aborted, e2 = aborted, e3 = aborted, e4;
  std::optional<std::size_t> n1, n3, n4;
  bool synced = false;
  f.file.async_read_some_at(3, asio::buffer(a), asio::redirect_error([&](std::size_t n) { n1 = n; }, e1));
  f.file.async_sync_all(asio::redirect_error([&] { synced = true; }, e2));
  f.stream.async_read_some(asio::buffer(b), asio::redirect_error([&](std::size_t n) { n3 = n; }, e3));
  f.file.async_read_some_at(10, asio::buffer(c), asio::redirect_error([&](std::size_t n) { n4 = n; }, e4));
  BOOST_TEST_REQUIRE(run_until(ioc, [&] { return n1 && synced && n3 && n4; }), "a handler did not run");
  BOOST_TEST(!e1);
  BOOST_TEST(std::string(a, *n1) == "3456");
  BOOST_TEST(!e2);
  BOOST_TEST(!e3);
  BOOST_TEST(std::string(b, *n3) == "0123");
  BOOST_TEST(e4 == eof);
  BOOST_TEST(*n4 == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_object_cancellation)

// io_uring only: a read of a FIFO really waits in the kernel (the pool would get ESPIPE from
// preadv on it).
BOOST_FIXTURE_TEST_CASE(io_uring_fifo_read_cancelled_by_its_slot, temp_dir) {
  for (asio::cancellation_type type : cancellation_types) {
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      FILE_TEST_CONTEXT(ioc, file_backend_kind::io_uring);
      const fs::path fifo = make_fifo_for(path(), type);
      fifo_release release(fifo);
      random_access_file file(ioc);
      assign_fifo(file, fifo);

      asio::cancellation_signal signal;
      std::array<char, 16> buffer;
      buffer.fill('-');
      io_result read;
      file.async_read_some_at(0, asio::buffer(buffer), asio::bind_cancellation_slot(signal.slot(), read.handler()));
      ioc.poll();
      BOOST_TEST_REQUIRE(!read.done, "the FIFO read completed with no data: " << read.ec.message());
      signal.emit(type);
      FILE_TEST_WAIT_FOR(ioc, read);
      BOOST_TEST(read.ec == aborted, read.ec.message());
      BOOST_TEST(read.n == 0u);

      // The cancelled read took nothing: the next one gets the data.
      BOOST_TEST_REQUIRE(::write(file.native_handle(), "hi", 2) == 2);
      io_result next;
      file.async_read_some_at(0, asio::buffer(buffer), next.handler());
      FILE_TEST_WAIT_FOR(ioc, next);
      BOOST_TEST(!next.ec, next.ec.message());
      BOOST_TEST(std::string(buffer.data(), next.n) == "hi");
      // A signal emitted after completion is harmless.
      signal.emit(type);
      ioc.restart();
      ioc.poll();
      file.close();
      BOOST_TEST(no_work_left(ioc), "work left behind");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(io_uring_fifo_read_aborted_by_cancel_close_and_destructor, temp_dir) {
  const std::pair<const char*, std::function<void(std::optional<random_access_file>&)>> interrupts[] = {
      {"cancel()", [](std::optional<random_access_file>& f) { f->cancel(); }},
      {"close()", [](std::optional<random_access_file>& f) { f->close(); }},
      {"destructor", [](std::optional<random_access_file>& f) { f.reset(); }},
  };
  int index = 0;
  for (const auto& [what, interrupt] : interrupts) {
    BOOST_TEST_CONTEXT(what) {
      FILE_TEST_CONTEXT(ioc, file_backend_kind::io_uring);
      const fs::path fifo = path() / ("fifo" + std::to_string(index++));
      make_fifo(fifo);
      fifo_release release(fifo);
      std::optional<random_access_file> file(std::in_place, ioc);
      assign_fifo(*file, fifo);
      std::array<char, 16> b1, b2;
      io_result r1, r2;
      file->async_read_some_at(0, asio::buffer(b1), r1.handler());
      file->async_read_some_at(0, asio::buffer(b2), r2.handler());
      ioc.poll();
      BOOST_TEST_REQUIRE(!r1.done);
      BOOST_TEST_REQUIRE(!r2.done);
      interrupt(file);
      FILE_TEST_WAIT_FOR(ioc, r1);
      FILE_TEST_WAIT_FOR(ioc, r2);
      BOOST_TEST(r1.ec == aborted, r1.ec.message());
      BOOST_TEST(r2.ec == aborted, r2.ec.message());
      file.reset();
      BOOST_TEST(open_descriptors_on(fifo) == 0, "the FIFO is still open");
      BOOST_TEST(no_work_left(ioc), "work left behind");
    }
  }
}

// Thread pool of one thread: async_read_file of a FIFO holds it in open(2) until a writer comes,
// so what is started after it waits in the pool's queue.
BOOST_FIXTURE_TEST_CASE(pool_queued_read_cancelled_by_its_slot_and_cancel, temp_dir) {
  write_file(path() / "regular", "regular content");
  for (asio::cancellation_type type : cancellation_types) {
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      FILE_TEST_CONTEXT(ioc, file_backend_kind::threads, pool_of_one());
      const fs::path fifo = make_fifo_for(path(), type);
      fifo_release release(fifo);
      value_result<std::string> blocker;
      asio_fswatch::async_read_file(ioc, fifo, blocker.handler());
      BOOST_TEST_REQUIRE(wait_blocked_in_fifo_open(), "the pool's thread did not block in open(2) of the FIFO");

      random_access_file file(ioc, path() / "regular", file_base::read_only);
      asio::cancellation_signal signal;
      // Larger than what the pool reads on the spot from the page cache (256 KiB), so that it
      // goes to the pool's queue.
      const std::string untouched(512 * 1024, '\x5a');
      std::string buffer = untouched;
      io_result read;
      file.async_read_some_at(0, asio::buffer(buffer), asio::bind_cancellation_slot(signal.slot(), read.handler()));
      ioc.poll();
      BOOST_TEST_REQUIRE(!read.done, "the queued read ran while the only thread was busy: "
                                         << read.ec.message() << ", " << read.n << " bytes; whole-file read "
                                         << (blocker.done ? blocker.ec.message() : "pending"));
      signal.emit(type);
      FILE_TEST_WAIT_FOR(ioc, read);
      BOOST_TEST(read.ec == aborted, read.ec.message());
      BOOST_TEST(read.n == 0u);
      BOOST_TEST((buffer == untouched), "the cancelled read wrote into its buffer");

      io_result second;
      file.async_read_some_at(0, asio::buffer(buffer), second.handler());
      ioc.poll();
      BOOST_TEST_REQUIRE(!second.done);
      file.cancel();
      FILE_TEST_WAIT_FOR(ioc, second);
      BOOST_TEST(second.ec == aborted, second.ec.message());
      BOOST_TEST((buffer == untouched));
      BOOST_TEST(!blocker.done);

      // Now let the blocked open go: the whole-file read gets what is written.
      int w = open_fifo_writer(fifo);
      BOOST_TEST_REQUIRE(w >= 0, "no reader opened the FIFO");
      BOOST_TEST(::write(w, "through the fifo", 16) == 16);
      ::close(w);
      FILE_TEST_WAIT_FOR(ioc, blocker);
      BOOST_TEST(!blocker.ec, blocker.ec.message());
      BOOST_TEST(blocker.value == "through the fifo");

      io_result third;
      file.async_read_some_at(0, asio::buffer(buffer), third.handler());
      FILE_TEST_WAIT_FOR(ioc, third);
      BOOST_TEST(!third.ec, third.ec.message());
      BOOST_TEST(buffer.substr(0, third.n) == "regular content");
      file.close();
      BOOST_TEST(no_work_left(ioc), "work left behind");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(pool_queued_operations_aborted_by_close_and_destructor, temp_dir) {
  write_file(path() / "regular", "regular content");
  for (bool destroy : {false, true}) {
    BOOST_TEST_CONTEXT((destroy ? "destructor" : "close()")) {
      FILE_TEST_CONTEXT(ioc, file_backend_kind::threads, pool_of_one());
      const fs::path fifo = path() / (destroy ? "fifo-d" : "fifo-c");
      make_fifo(fifo);
      fifo_release release(fifo);
      value_result<std::string> blocker;
      asio_fswatch::async_read_file(ioc, fifo, blocker.handler());
      BOOST_TEST_REQUIRE(wait_blocked_in_fifo_open(), "the pool's thread did not block in open(2) of the FIFO");
      std::optional<random_access_file> file(std::in_place, ioc, path() / "regular", file_base::read_write);
      const std::string untouched(512 * 1024, '\x5a'); // not read on the spot: see above
      std::string buffer = untouched;
      io_result read;
      ec_result synced;
      file->async_read_some_at(0, asio::buffer(buffer), read.handler());
      file->async_sync_all(synced.handler());
      ioc.poll();
      BOOST_TEST_REQUIRE(!read.done);
      if (destroy)
        file.reset();
      else
        file->close();
      FILE_TEST_WAIT_FOR(ioc, read);
      FILE_TEST_WAIT_FOR(ioc, synced);
      BOOST_TEST(read.ec == aborted, read.ec.message());
      BOOST_TEST(synced.ec == aborted, synced.ec.message());
      BOOST_TEST((buffer == untouched));
      BOOST_TEST(open_descriptors_on(path() / "regular") == 0, "the file is still open");
      release.release();
      FILE_TEST_WAIT_FOR(ioc, blocker);
    }
  }
}

BOOST_DATA_TEST_CASE_F(temp_dir, stream_file_pipe_read_cancelled, backends, p) {
  for (asio::cancellation_type type : cancellation_types) {
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      FILE_TEST_CONTEXT(ioc, p.kind);
      int fds[2];
      BOOST_TEST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
      stream_file reader(ioc, fds[0]);
      BOOST_TEST(reader.is_reactive());
      asio::cancellation_signal signal;
      std::array<char, 16> buffer;
      io_result read;
      reader.async_read_some(asio::buffer(buffer), asio::bind_cancellation_slot(signal.slot(), read.handler()));
      ioc.poll();
      BOOST_TEST_REQUIRE(!read.done);
      signal.emit(type);
      FILE_TEST_WAIT_FOR(ioc, read);
      BOOST_TEST(read.ec == aborted, read.ec.message());

      BOOST_TEST(::write(fds[1], "data", 4) == 4);
      io_result next;
      reader.async_read_some(asio::buffer(buffer), next.handler());
      FILE_TEST_WAIT_FOR(ioc, next);
      BOOST_TEST(!next.ec, next.ec.message());
      BOOST_TEST(std::string(buffer.data(), next.n) == "data");

      // cancel() too.
      io_result third;
      reader.async_read_some(asio::buffer(buffer), third.handler());
      ioc.restart();
      ioc.poll();
      BOOST_TEST_REQUIRE(!third.done);
      reader.cancel();
      FILE_TEST_WAIT_FOR(ioc, third);
      BOOST_TEST(third.ec == aborted, third.ec.message());
      ::close(fds[1]);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_stream)

BOOST_DATA_TEST_CASE_F(temp_dir, sequential_write_seek_and_read_to_eof, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes(300001, 5);
  stream_file file(ioc, path() / "f", file_base::read_write | file_base::create | file_base::truncate);
  BOOST_TEST(!file.is_reactive());
  BOOST_TEST(to_string(file.backend()) == to_string(p.kind));
  io_result first, second;
  asio::async_write(file, asio::buffer(content.data(), 1000), first.handler());
  FILE_TEST_WAIT_FOR(ioc, first);
  BOOST_TEST_REQUIRE(!first.ec, first.ec.message());
  asio::async_write(file, asio::buffer(content.data() + 1000, content.size() - 1000), second.handler());
  FILE_TEST_WAIT_FOR(ioc, second);
  BOOST_TEST_REQUIRE(!second.ec, second.ec.message());
  BOOST_TEST(first.n + second.n == content.size());
  BOOST_TEST(file.seek(0, file_base::seek_cur) == content.size());
  BOOST_TEST((file_content(path() / "f") == content));

  BOOST_TEST(file.seek(0, file_base::seek_set) == 0u);
  std::string back;
  io_result read;
  asio::async_read(file, asio::dynamic_buffer(back), read.handler());
  FILE_TEST_WAIT_FOR(ioc, read);
  BOOST_TEST(read.ec == eof, read.ec.message());
  BOOST_TEST(read.n == content.size());
  BOOST_TEST((back == content));

  BOOST_TEST(file.seek(-10, file_base::seek_end) == content.size() - 10);
  char tail[32];
  io_result last;
  file.async_read_some(asio::buffer(tail), last.handler());
  FILE_TEST_WAIT_FOR(ioc, last);
  BOOST_TEST(!last.ec);
  BOOST_TEST((std::string(tail, last.n) == content.substr(content.size() - 10)));
  sys::error_code ec;
  file.seek(-1, file_base::seek_set, ec);
  BOOST_TEST(ec == sys_error(EINVAL), ec.message());
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, read_until_on_a_file, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "lines", "first line\nsecond\nno newline at the end");
  stream_file file(ioc, path() / "lines", file_base::read_only);
  std::string text;
  io_result one, two, three;
  asio::async_read_until(file, asio::dynamic_buffer(text), '\n', one.handler());
  FILE_TEST_WAIT_FOR(ioc, one);
  BOOST_TEST_REQUIRE(!one.ec, one.ec.message());
  BOOST_TEST(text.substr(0, one.n) == "first line\n");
  text.erase(0, one.n);
  asio::async_read_until(file, asio::dynamic_buffer(text), '\n', two.handler());
  FILE_TEST_WAIT_FOR(ioc, two);
  BOOST_TEST_REQUIRE(!two.ec, two.ec.message());
  BOOST_TEST(text.substr(0, two.n) == "second\n");
  text.erase(0, two.n);
  asio::async_read_until(file, asio::dynamic_buffer(text), '\n', three.handler());
  FILE_TEST_WAIT_FOR(ioc, three);
  BOOST_TEST(three.ec == eof, three.ec.message());
  BOOST_TEST(text == "no newline at the end");
}

BOOST_DATA_TEST_CASE_F(temp_dir, pipe_through_the_reactor, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  stream_file reader(ioc), writer(ioc);
  reader.assign(fds[0]);
  writer.assign(fds[1]);
  BOOST_TEST(reader.is_reactive());
  BOOST_TEST(writer.is_reactive());
  // More than a pipe holds, so that both sides wait on the reactor.
  const std::string content = random_bytes(1 << 20, 6);
  std::string back(content.size(), '\0');
  io_result written, read;
  asio::async_write(writer, asio::buffer(content), written.handler());
  asio::async_read(reader, asio::buffer(back), read.handler());
  FILE_TEST_WAIT_FOR(ioc, written);
  FILE_TEST_WAIT_FOR(ioc, read);
  BOOST_TEST(!written.ec, written.ec.message());
  BOOST_TEST(!read.ec, read.ec.message());
  BOOST_TEST((back == content));

  sys::error_code ec;
  reader.seek(0, file_base::seek_set, ec);
  BOOST_TEST(ec == sys_error(ESPIPE), ec.message());
  writer.seek(0, file_base::seek_cur, ec);
  BOOST_TEST(ec == sys_error(ESPIPE), ec.message());

  // The write end closed: the reader sees eof.
  writer.close();
  char c;
  io_result end;
  reader.async_read_some(asio::buffer(&c, 1), end.handler());
  FILE_TEST_WAIT_FOR(ioc, end);
  BOOST_TEST(end.ec == eof, end.ec.message());
  BOOST_TEST(end.n == 0u);
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, pipe_gets_its_blocking_mode_back, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  // A duplicate shares the file status flags (O_NONBLOCK) and outlives close().
  const int watch = ::dup(fds[0]);
  BOOST_TEST_REQUIRE(watch >= 0);
  {
    stream_file reader(ioc, fds[0]);
    char c;
    io_result read;
    reader.async_read_some(asio::buffer(&c, 1), read.handler());
    ioc.poll();
    BOOST_TEST(is_non_blocking(watch), "the reactor should have the pipe non-blocking");
    reader.close();
    FILE_TEST_WAIT_FOR(ioc, read);
    BOOST_TEST(read.ec == aborted, read.ec.message());
    BOOST_TEST(!is_non_blocking(watch), "close() left the pipe non-blocking");
  }
  {
    const int again = ::dup(watch);
    stream_file reader(ioc, again);
    char c;
    io_result read;
    reader.async_read_some(asio::buffer(&c, 1), read.handler());
    ioc.restart();
    ioc.poll();
    BOOST_TEST(is_non_blocking(watch));
    int released = reader.release();
    BOOST_TEST(released == again);
    BOOST_TEST(!reader.is_open());
    FILE_TEST_WAIT_FOR(ioc, read);
    BOOST_TEST(read.ec == aborted, read.ec.message());
    BOOST_TEST(!is_non_blocking(released), "release() gave the pipe back non-blocking");
    BOOST_TEST(::fcntl(released, F_GETFD) >= 0);
    ::close(released);
  }
  {
    const int again = ::dup(watch);
    std::optional<stream_file> reader(std::in_place, ioc, again);
    char c;
    io_result read;
    reader->async_read_some(asio::buffer(&c, 1), read.handler());
    ioc.restart();
    ioc.poll();
    BOOST_TEST(is_non_blocking(watch));
    reader.reset();
    FILE_TEST_WAIT_FOR(ioc, read);
    BOOST_TEST(read.ec == aborted, read.ec.message());
    BOOST_TEST(!is_non_blocking(watch), "the destructor left the pipe non-blocking");
  }
  {
    // A descriptor given non-blocking stays so.
    const int again = ::dup(watch);
    ::fcntl(again, F_SETFL, ::fcntl(again, F_GETFL) | O_NONBLOCK);
    stream_file reader(ioc, again);
    int released = reader.release();
    BOOST_TEST(is_non_blocking(released), "release() made a non-blocking descriptor blocking");
    ::close(released);
  }
  ::close(watch);
  ::close(fds[1]);
}

BOOST_DATA_TEST_CASE_F(temp_dir, append_writes_at_the_end, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "abc");
  stream_file file(ioc, path() / "f", file_base::write_only | file_base::append);
  io_result first, second;
  asio::async_write(file, asio::buffer("XYZ", 3), first.handler());
  FILE_TEST_WAIT_FOR(ioc, first);
  BOOST_TEST(!first.ec, first.ec.message());
  file.seek(0, file_base::seek_set);
  asio::async_write(file, asio::buffer("12", 2), second.handler());
  FILE_TEST_WAIT_FOR(ioc, second);
  BOOST_TEST(!second.ec, second.ec.message());
  BOOST_TEST(file_content(path() / "f") == "abcXYZ12");
}

BOOST_DATA_TEST_CASE_F(temp_dir, open_errors_and_closed_object, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  fs::create_directory(path() / "dir");
  stream_file file(ioc);
  sys::error_code ec;
  file.open(path() / "dir", file_base::read_only, ec);
  BOOST_TEST(ec == sys_error(EISDIR), ec.message());
  file.open(path() / "missing", file_base::read_only, ec);
  BOOST_TEST(ec == sys_error(ENOENT), ec.message());
  BOOST_TEST(!file.is_open());
  char c;
  bool initiated = false, was_inline = false;
  io_result read;
  file.async_read_some(asio::buffer(&c, 1), [&](sys::error_code e, std::size_t n) {
    was_inline = !initiated;
    read.handler()(e, n);
  });
  initiated = true;
  FILE_TEST_WAIT_FOR(ioc, read);
  BOOST_TEST(!was_inline);
  BOOST_TEST(read.ec == asio::error::bad_descriptor, read.ec.message());
  file.seek(0, file_base::seek_set, ec);
  BOOST_TEST(ec == asio::error::bad_descriptor);
  write_file(path() / "f", "x");
  file.open(path() / "f", file_base::read_only);
  file.open(path() / "f", file_base::read_only, ec);
  BOOST_TEST(ec == asio::error::already_open);
}

BOOST_DATA_TEST_CASE_F(temp_dir, move_construction_and_assignment, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "a", "aaaa");
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  stream_file first(ioc, path() / "a", file_base::read_only);
  stream_file second(std::move(first));
  BOOST_TEST(!first.is_open());
  char buffer[4];
  io_result r1;
  asio::async_read(second, asio::buffer(buffer), r1.handler());
  FILE_TEST_WAIT_FOR(ioc, r1);
  BOOST_TEST(std::string(buffer, r1.n) == "aaaa");

  // A pipe moves with its reactor.
  stream_file pipe_end(ioc, fds[0]);
  stream_file moved_pipe(std::move(pipe_end));
  BOOST_TEST(moved_pipe.is_reactive());
  BOOST_TEST(!pipe_end.is_reactive());
  BOOST_TEST(::write(fds[1], "pipe", 4) == 4);
  io_result r2;
  asio::async_read(moved_pipe, asio::buffer(buffer), r2.handler());
  FILE_TEST_WAIT_FOR(ioc, r2);
  BOOST_TEST(!r2.ec, r2.ec.message());
  BOOST_TEST(std::string(buffer, r2.n) == "pipe");
  second = std::move(moved_pipe);
  BOOST_TEST(second.is_reactive());
  BOOST_TEST(::write(fds[1], "more", 4) == 4);
  io_result r3;
  asio::async_read(second, asio::buffer(buffer), r3.handler());
  FILE_TEST_WAIT_FOR(ioc, r3);
  BOOST_TEST(std::string(buffer, r3.n) == "more");
  ::close(fds[1]);

  // Converting move assignment, from a pipe end on a typed executor: the reactor comes along,
  // and the file assigned to (another pipe end, in the reactor too) is closed first, its
  // blocking mode put back (a dup of it shares the flags and outlives it).
  int more_fds[2], old_fds[2];
  BOOST_TEST_REQUIRE(::pipe2(more_fds, O_CLOEXEC) == 0);
  BOOST_TEST_REQUIRE(::pipe2(old_fds, O_CLOEXEC) == 0);
  asio_fswatch::basic_stream_file<asio::io_context::executor_type> typed_pipe(ioc, more_fds[0]);
  BOOST_TEST(typed_pipe.is_reactive());
  stream_file converted(ioc, old_fds[0]);
  BOOST_TEST_REQUIRE(converted.is_reactive());
  const int old_dup = ::fcntl(old_fds[0], F_DUPFD_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(old_dup >= 0);
  BOOST_TEST(::write(old_fds[1], "o", 1) == 1); // a read through the reactor makes it non-blocking
  io_result r_old;
  asio::async_read(converted, asio::buffer(buffer, 1), r_old.handler());
  FILE_TEST_WAIT_FOR(ioc, r_old);
  BOOST_TEST(!r_old.ec, r_old.ec.message());
  BOOST_TEST_REQUIRE((::fcntl(old_dup, F_GETFL) & O_NONBLOCK) != 0, "the reactor left the pipe end blocking");
  converted = std::move(typed_pipe);
  BOOST_TEST((::fcntl(old_dup, F_GETFL) & O_NONBLOCK) == 0, "the old pipe end's blocking mode is not back");
  BOOST_TEST((::fcntl(old_fds[0], F_GETFD) == -1 && errno == EBADF), "the old pipe end is not closed");
  ::close(old_dup);
  ::close(old_fds[1]);
  BOOST_TEST(converted.is_reactive());
  BOOST_TEST(!typed_pipe.is_open());
  BOOST_TEST(!typed_pipe.is_reactive());
  BOOST_TEST(::write(more_fds[1], "conv", 4) == 4);
  io_result r5;
  asio::async_read(converted, asio::buffer(buffer), r5.handler());
  FILE_TEST_WAIT_FOR(ioc, r5);
  BOOST_TEST(!r5.ec, r5.ec.message());
  BOOST_TEST(std::string(buffer, r5.n) == "conv");
  ::close(more_fds[1]);

  // The moved-from objects keep their executor and can be used again.
  BOOST_TEST_REQUIRE(bool(first.get_executor()), "the moved-from stream_file lost its executor");
  BOOST_TEST_REQUIRE(bool(moved_pipe.get_executor()), "the moved-from (by assignment) stream_file lost its executor");
  io_result r4;
  first.async_read_some(asio::buffer(buffer), r4.handler());
  FILE_TEST_WAIT_FOR(ioc, r4);
  BOOST_TEST(r4.ec == asio::error::bad_descriptor, r4.ec.message());
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_service_configuration)

BOOST_FIXTURE_TEST_CASE(environment_variable_chooses_the_backend, temp_dir) {
  write_file(path() / "f", "content");
  {
    scoped_env env("ASIO_FSWATCH_FILE_BACKEND", "threads");
    asio::io_context ioc;
    BOOST_TEST(to_string(asio_fswatch::file_backend(ioc)) == "threads");
    random_access_file file(ioc, path() / "f", file_base::read_only);
    char buffer[7];
    io_result read;
    file.async_read_some_at(0, asio::buffer(buffer), read.handler());
    FILE_TEST_WAIT_FOR(ioc, read);
    BOOST_TEST(std::string(buffer, read.n) == "content");
  }
  {
    scoped_env env("ASIO_FSWATCH_FILE_BACKEND", "io_uring");
    asio::io_context ioc;
    sys::error_code ec;
    file_backend_kind kind = asio_fswatch::file_backend(ioc, ec);
    if (ec == asio_fswatch::errc::io_uring_unavailable)
      asio_fswatch::test::skip_io_uring("part");
    else
      BOOST_TEST(to_string(kind) == "io_uring", ec.message());
  }
}

BOOST_DATA_TEST_CASE(explicit_backend_wins_over_the_environment_variable, backends, p) {
  for (const char* value : {"bogus", "threads", "io_uring"}) {
    BOOST_TEST_CONTEXT("ASIO_FSWATCH_FILE_BACKEND=" << value) {
      scoped_env env("ASIO_FSWATCH_FILE_BACKEND", value);
      FILE_TEST_CONTEXT(ioc, p.kind);
    }
  }
}

// iocp is Windows's: on Linux, asked for by the option or by the variable, it is unavailable,
// like io_uring on Windows, and said so by every operation.
BOOST_AUTO_TEST_CASE(the_windows_backend_is_unavailable_here) {
  const sys::error_code unavailable = asio_fswatch::errc::backend_unavailable;
  {
    asio::io_context ioc;
    asio_fswatch::configure_file_service(ioc, {.backend = asio_fswatch::file_backend_kind::iocp});
    sys::error_code ec;
    asio_fswatch::file_backend(ioc, ec);
    BOOST_TEST(ec == unavailable, ec.message());
  }
  {
    scoped_env env("ASIO_FSWATCH_FILE_BACKEND", "iocp");
    asio::io_context ioc;
    sys::error_code ec;
    asio_fswatch::file_backend(ioc, ec);
    BOOST_TEST(ec == unavailable, ec.message());
  }
}

BOOST_FIXTURE_TEST_CASE(bad_environment_variable_fails_every_operation, temp_dir) {
  write_file(path() / "f", "content");
  scoped_env env("ASIO_FSWATCH_FILE_BACKEND", "bogus");
  asio::io_context ioc;
  const sys::error_code invalid = asio_fswatch::errc::invalid_file_backend;
  sys::error_code ec;
  asio_fswatch::file_backend(ioc, ec);
  BOOST_TEST(ec == invalid, ec.message());
  BOOST_CHECK_THROW(asio_fswatch::file_backend(ioc), sys::system_error);

  random_access_file file(ioc, path() / "f", file_base::read_only);
  BOOST_CHECK_THROW(file.backend(), sys::system_error);
  stream_file stream(ioc, path() / "f", file_base::read_only);
  char buffer[8];
  bool initiated = false;
  int inline_completions = 0;
  io_result read, streamed;
  ec_result synced;
  value_result<std::string> whole;
  value_result<std::uint64_t> copied;
  file.async_read_some_at(0, asio::buffer(buffer), [&](sys::error_code e, std::size_t n) {
    inline_completions += !initiated;
    read.handler()(e, n);
  });
  file.async_sync_all(synced.handler());
  stream.async_read_some(asio::buffer(buffer), streamed.handler());
  asio_fswatch::async_read_file(ioc, path() / "f", [&](sys::error_code e, std::string s) {
    inline_completions += !initiated;
    whole.handler()(e, std::move(s));
  });
  asio_fswatch::async_copy_file(ioc, path() / "f", path() / "g", [&](sys::error_code e, std::uint64_t n) {
    inline_completions += !initiated;
    copied.handler()(e, n);
  });
  initiated = true;
  BOOST_TEST_REQUIRE(run_until(ioc, [&] {
    return read.done && synced.done && streamed.done && whole.done && copied.done;
  }), "a handler did not run");
  BOOST_TEST(inline_completions == 0);
  BOOST_TEST(read.ec == invalid, read.ec.message());
  BOOST_TEST(synced.ec == invalid, synced.ec.message());
  BOOST_TEST(streamed.ec == invalid, streamed.ec.message());
  BOOST_TEST(whole.ec == invalid, whole.ec.message());
  BOOST_TEST(whole.value.empty());
  BOOST_TEST(copied.ec == invalid, copied.ec.message());
  BOOST_TEST(!fs::exists(path() / "g"));
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE(configure_after_first_use, backends, p) {
  asio::io_context ioc;
  file_service_options options;
  options.ring_entries = 64;
  options.thread_pool_size = 2;
  if (!use_backend(ioc, p.kind, options))
    return;
  options.backend = p.kind;
  sys::error_code ec;
  asio_fswatch::configure_file_service(ioc, options, ec);
  BOOST_TEST(!ec, "the same options again: " << ec.message());
  file_service_options other = options;
  other.thread_pool_size = 3;
  asio_fswatch::configure_file_service(ioc, other, ec);
  BOOST_TEST(ec == asio::error::already_started, ec.message());
  other = options;
  other.backend = p.kind == file_backend_kind::threads ? file_backend_kind::io_uring : file_backend_kind::threads;
  asio_fswatch::configure_file_service(ioc, other, ec);
  BOOST_TEST(ec == asio::error::already_started, ec.message());
  BOOST_CHECK_THROW(asio_fswatch::configure_file_service(ioc, other), sys::system_error);
  BOOST_TEST(to_string(asio_fswatch::file_backend(ioc)) == to_string(p.kind));
}

BOOST_DATA_TEST_CASE(invalid_options, backends, p) {
  asio::io_context ioc;
  sys::error_code ec;
  {
    file_service_options options;
    options.backend = p.kind;
    options.thread_pool_size = 0;
    asio_fswatch::configure_file_service(ioc, options, ec);
    BOOST_TEST(ec == sys_error(EINVAL), "thread_pool_size 0: " << ec.message());
    BOOST_CHECK_THROW(asio_fswatch::configure_file_service(ioc, options), sys::system_error);
  }
  for (unsigned entries : {0u, 3u, 100u, 8192u}) {
    file_service_options options;
    options.backend = p.kind;
    options.ring_entries = entries;
    asio_fswatch::configure_file_service(ioc, options, ec);
    BOOST_TEST(ec == sys_error(EINVAL), "ring_entries " << entries << ": " << ec.message());
  }
  // Rejected options change nothing: valid ones are still taken.
  if (use_backend(ioc, p.kind))
    BOOST_TEST(to_string(asio_fswatch::file_backend(ioc)) == to_string(p.kind));
}

/// A handler that owns a share of `token` and, optionally, the file it reads; it records a call
/// and counts the live copies destroyed.
struct tracked_handler {
  std::shared_ptr<int> token;
  std::shared_ptr<void> owned;
  std::atomic<int>* calls;
  std::atomic<int>* destroyed;
  tracked_handler(std::shared_ptr<int> t, std::shared_ptr<void> o, std::atomic<int>* c, std::atomic<int>* d)
      : token(std::move(t)), owned(std::move(o)), calls(c), destroyed(d) {}
  tracked_handler(tracked_handler&&) noexcept = default;
  tracked_handler(const tracked_handler&) = delete;
  ~tracked_handler() {
    if (token)
      ++*destroyed;
  }
  void operator()(sys::error_code, std::size_t) { ++*calls; }
  void operator()(sys::error_code, std::string) { ++*calls; }
};

BOOST_FIXTURE_TEST_CASE(io_uring_context_destroyed_with_reads_in_the_kernel, temp_dir) {
  const fs::path fifo = path() / "fifo";
  make_fifo(fifo);
  auto token = std::make_shared<int>(0);
  std::atomic<int> calls{0}, destroyed{0};
  constexpr int count = 20; // ring_entries 8: some in the kernel, the others waiting
  std::vector<std::array<char, 16>> buffers(count);
  {
    asio::io_context ioc;
    file_service_options options;
    options.ring_entries = 8;
    if (!use_backend(ioc, file_backend_kind::io_uring, options))
      return;
    auto file = std::make_shared<random_access_file>(ioc);
    assign_fifo(*file, fifo);
    for (int i = 0; i < count; ++i)
      file->async_read_some_at(0, asio::buffer(buffers[std::size_t(i)]),
                               tracked_handler(token, file, &calls, &destroyed));
    ioc.poll();
    BOOST_TEST_REQUIRE(calls.load() == 0);
    file.reset(); // the handlers own the file now
  }
  BOOST_TEST(calls.load() == 0, "a handler was called by the destruction of its context");
  BOOST_TEST(destroyed.load() == count);
  BOOST_TEST(token.use_count() == 1, token.use_count() - 1 << " handlers leaked");
  BOOST_TEST(open_descriptors_on(fifo) == 0, "the FIFO descriptor leaked");
}

BOOST_FIXTURE_TEST_CASE(pool_context_destroyed_with_queued_operations, temp_dir) {
  const fs::path fifo = path() / "fifo";
  make_fifo(fifo);
  write_file(path() / "regular", "regular content");
  auto token = std::make_shared<int>(0);
  std::atomic<int> calls{0}, destroyed{0};
  constexpr int count = 20;
  // Larger than what the pool reads on the spot (256 KiB), so that the reads are queued.
  std::vector<std::string> buffers(count, std::string(512 * 1024, '\0'));
  bool released_in_time = false;
  {
    auto ioc = std::make_unique<asio::io_context>();
    if (!use_backend(*ioc, file_backend_kind::threads, pool_of_one()))
      return;
    // Holds the only thread in open(2) of the FIFO.
    asio_fswatch::async_read_file(*ioc, fifo, tracked_handler(token, nullptr, &calls, &destroyed));
    BOOST_TEST_REQUIRE(wait_blocked_in_fifo_open(), "the pool's thread did not block in open(2) of the FIFO");
    auto file = std::make_shared<random_access_file>(*ioc, path() / "regular", file_base::read_only);
    for (int i = 0; i < count; ++i)
      file->async_read_some_at(0, asio::buffer(buffers[std::size_t(i)]),
                               tracked_handler(token, file, &calls, &destroyed));
    ioc->poll();
    BOOST_TEST_REQUIRE(calls.load() == 0);
    file.reset();
    // Once the shutdown has dropped the queued operations, let the blocked open(2) go, so that
    // the pool's thread can be joined.
    std::thread helper([&] {
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (destroyed.load() < count && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      released_in_time = destroyed.load() >= count;
      int w = open_fifo_writer(fifo);
      if (w >= 0)
        ::close(w);
    });
    ioc.reset();
    helper.join();
  }
  BOOST_TEST(released_in_time, "the shutdown did not drop the queued operations before joining the thread");
  BOOST_TEST(calls.load() == 0, "a handler was called by the destruction of its context");
  BOOST_TEST(destroyed.load() == count + 1);
  BOOST_TEST(token.use_count() == 1, token.use_count() - 1 << " handlers leaked");
  BOOST_TEST(open_descriptors_on(path() / "regular") == 0, "the regular file's descriptor leaked");
  BOOST_TEST(open_descriptors_on(fifo) == 0,
             "the descriptor opened by async_read_file's open(2) leaked when the context was destroyed");
}

BOOST_AUTO_TEST_SUITE_END()
