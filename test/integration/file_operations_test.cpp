// SPDX-License-Identifier: BSL-1.0
// Integration tests of the composed file operations async_read_file and async_copy_file on both
// file backends: contents, errors, every completion token, cancellation (terminal, partial,
// total) and the destruction of a context while one is running.
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>

#include <common/file_support.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace data = boost::unit_test::data;
namespace fs = std::filesystem;
namespace sys = boost::system;
using namespace std::chrono_literals;

using asio_fswatch::async_copy_file;
using asio_fswatch::async_read_file;
using asio_fswatch::file_backend_kind;
using asio_fswatch::file_service_options;
using namespace asio_fswatch::test; // the test support in common/

const sys::error_code aborted = asio::error::operation_aborted;

using read_result = value_result<std::string>;
using copy_result = value_result<std::uint64_t>;

const auto backends = data::make(both_backends());

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0, "stat " << path << ": " << std::strerror(errno));
  return st.st_mode & 07777;
}

/// A directory under /dev/shm (another file system than the temporary directory, normally),
/// removed with its content at the end.
class shm_dir {
public:
  shm_dir() {
    static std::atomic<unsigned> counter{0};
    path_ = fs::path("/dev/shm") /
            ("asio_fswatch_test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::error_code ec;
    if (!fs::create_directory(path_, ec))
      path_.clear();
  }
  ~shm_dir() {
    std::error_code ignored;
    if (!path_.empty())
      fs::remove_all(path_, ignored);
  }
  shm_dir(const shm_dir&) = delete;
  shm_dir& operator=(const shm_dir&) = delete;
  const fs::path& path() const noexcept { return path_; }

private:
  fs::path path_;
};

/// Writes `content` into the FIFO `path` from its own thread once a reader has it open, then
/// closes it; gives up (and reports it) after 30 s.
class fifo_writer {
public:
  fifo_writer(fs::path path, std::string content)
      : thread_([this, path = std::move(path), content = std::move(content)] { run(path, content); }) {}
  ~fifo_writer() { join(); }
  fifo_writer(const fifo_writer&) = delete;
  fifo_writer& operator=(const fifo_writer&) = delete;
  void join() {
    if (thread_.joinable())
      thread_.join();
  }
  /// Empty when everything was written.
  const std::string& failure() const noexcept { return failure_; }

private:
  void run(const fs::path& path, const std::string& content) {
    int fd = open_fifo_writer(path);
    if (fd < 0) {
      failure_ = "no reader opened the FIFO";
      return;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::size_t done = 0;
    while (done < content.size() && std::chrono::steady_clock::now() < deadline) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n > 0) {
        done += std::size_t(n);
      } else if (n < 0 && errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 100);
      } else {
        failure_ = std::string("write: ") + std::strerror(errno);
        break;
      }
    }
    if (done < content.size() && failure_.empty())
      failure_ = "the reader stopped reading";
    ::close(fd);
  }

  std::string failure_;
  std::thread thread_;
};

/// Lets a composed operation blocked in open(2) of `fifo` end: with io_uring the cancellation
/// reaches the kernel, so it only waits; with the pool the open(2) runs to its end, so a writer
/// opens the FIFO first.
bool finish_after_cancel(asio::io_context& ioc, file_backend_kind kind, const fs::path& fifo,
                         const std::function<bool()>& done) {
  if (kind == file_backend_kind::threads) {
    int w = open_fifo_writer(fifo);
    if (w >= 0)
      ::close(w);
  }
  bool finished = run_until(ioc, done);
  if (!finished) {
    fifo_release(fifo).release();
    run_until(ioc, done);
  }
  return finished;
}

/// A handler that owns a share of `token`; it counts calls and the live copies destroyed.
struct tracked_read_handler {
  std::shared_ptr<int> token;
  std::atomic<int>* calls;
  std::atomic<int>* destroyed;
  tracked_read_handler(std::shared_ptr<int> t, std::atomic<int>* c, std::atomic<int>* d)
      : token(std::move(t)), calls(c), destroyed(d) {}
  tracked_read_handler(tracked_read_handler&&) noexcept = default;
  tracked_read_handler(const tracked_read_handler&) = delete;
  ~tracked_read_handler() {
    if (token)
      ++*destroyed;
  }
  void operator()(sys::error_code, std::string) { ++*calls; }
};

/// Runs `ioc` until the read of "file content" from `dir`/f and its copy to `dir`/g, started
/// with callbacks `r` and `c`, complete, and checks both.
void check_read_and_copy(asio::io_context& ioc, read_result& r, copy_result& c, const fs::path& dir) {
  FILE_TEST_WAIT_FOR(ioc, r);
  FILE_TEST_WAIT_FOR(ioc, c);
  BOOST_TEST(!r.ec);
  BOOST_TEST(r.value == "file content");
  BOOST_TEST(!c.ec);
  BOOST_TEST(c.value == 12u);
  BOOST_TEST(file_content(dir / "g") == "file content");
}

/// After a cancelled async_read_file of `fifo`: it ended with operation_aborted, gave nothing,
/// closed the FIFO and left no work behind.
void check_read_aborted(asio::io_context& ioc, const read_result& r, const fs::path& fifo) {
  BOOST_TEST(r.ec == aborted, r.ec.message());
  BOOST_TEST(r.value.empty());
  BOOST_TEST(open_descriptors_on(fifo) == 0, "the FIFO was left open");
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

int bytes_in_pipe(int fd) {
  int n = -1;
  ::ioctl(fd, FIONREAD, &n);
  return n;
}

} // namespace

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_read_file)

BOOST_DATA_TEST_CASE_F(temp_dir, regular_file_read_whole, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes(3 << 20, 7);
  write_file(path() / "f", content);
  read_result r;
  async_read_file(ioc, path() / "f", r.handler());
  FILE_TEST_WAIT_FOR(ioc, r);
  BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
  BOOST_TEST(r.value.size() == content.size());
  BOOST_TEST((r.value == content), "the data read differs from the file");

  // Sizes around the first read's boundaries.
  for (std::size_t size : {std::size_t(1), std::size_t(4095), std::size_t(4096), std::size_t(4097), std::size_t(65537)}) {
    BOOST_TEST_CONTEXT("size " << size) {
      const std::string small = random_bytes(size, unsigned(size));
      write_file(path() / "small", small);
      read_result s;
      async_read_file(ioc.get_executor(), path() / "small", s.handler());
      FILE_TEST_WAIT_FOR(ioc, s);
      BOOST_TEST(!s.ec, s.ec.message());
      BOOST_TEST((s.value == small));
    }
  }
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, empty_file_gives_an_empty_string, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "empty", "");
  read_result r;
  r.value = "not empty";
  async_read_file(ioc, path() / "empty", r.handler());
  FILE_TEST_WAIT_FOR(ioc, r);
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.value.empty());
}

BOOST_DATA_TEST_CASE(proc_file_whose_size_says_zero, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  read_result r;
  async_read_file(ioc, "/proc/self/status", r.handler());
  FILE_TEST_WAIT_FOR(ioc, r);
  BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
  BOOST_TEST(!r.value.empty());
  BOOST_TEST(r.value.find("Name:") != std::string::npos);
  BOOST_TEST(r.value.find("VmRSS:") != std::string::npos, "the end of /proc/self/status is missing");
}

BOOST_DATA_TEST_CASE_F(temp_dir, errors, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  fs::create_directory(path() / "dir");
  read_result dir, missing, below_a_file;
  write_file(path() / "file", "x");
  async_read_file(ioc, path() / "dir", dir.handler());
  async_read_file(ioc, path() / "missing", missing.handler());
  async_read_file(ioc, path() / "file" / "below", below_a_file.handler());
  FILE_TEST_WAIT_FOR(ioc, dir);
  FILE_TEST_WAIT_FOR(ioc, missing);
  FILE_TEST_WAIT_FOR(ioc, below_a_file);
  BOOST_TEST(dir.ec == sys_error(EISDIR), dir.ec.message());
  BOOST_TEST(dir.value.empty());
  BOOST_TEST(missing.ec == sys_error(ENOENT), missing.ec.message());
  BOOST_TEST(below_a_file.ec == sys_error(ENOTDIR), below_a_file.ec.message());
  BOOST_TEST(open_descriptors_on(path() / "dir") == 0, "the directory was left open");
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, fifo_read_until_its_writer_closes, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const fs::path fifo = path() / "fifo";
  make_fifo(fifo);
  fifo_release release(fifo);
  // More than a pipe holds, so that it takes several reads.
  const std::string content = random_bytes(300000, 8);
  read_result r;
  async_read_file(ioc, fifo, r.handler());
  fifo_writer writer(fifo, content);
  const bool done = run_until(ioc, [&] { return r.done; });
  writer.join();
  BOOST_TEST_REQUIRE(done, "async_read_file of the FIFO did not complete");
  BOOST_TEST(writer.failure().empty(), writer.failure());
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.value.size() == content.size());
  BOOST_TEST((r.value == content));
  BOOST_TEST(open_descriptors_on(fifo) == 0, "the FIFO was left open");
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_copy_file)

BOOST_DATA_TEST_CASE_F(temp_dir, random_content_copied_exactly, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes((5 << 20) + 777, 9);
  write_file(path() / "from", content);
  copy_result r;
  async_copy_file(ioc, path() / "from", path() / "to", r.handler());
  FILE_TEST_WAIT_FOR(ioc, r);
  BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
  BOOST_TEST(r.value == content.size());
  BOOST_TEST((file_content(path() / "to") == content), "the copy differs from the source");
  BOOST_TEST((file_content(path() / "from") == content), "the source changed");
  BOOST_TEST(open_descriptors_on(path() / "from") == 0);
  BOOST_TEST(open_descriptors_on(path() / "to") == 0);
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, permission_bits_and_truncation, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes(10000, 10);
  write_file(path() / "from", content);
  BOOST_TEST_REQUIRE(::chmod((path() / "from").c_str(), 0640) == 0);

  // A new destination.
  copy_result fresh;
  async_copy_file(ioc, path() / "from", path() / "new", fresh.handler());
  FILE_TEST_WAIT_FOR(ioc, fresh);
  BOOST_TEST_REQUIRE(!fresh.ec, fresh.ec.message());
  BOOST_TEST(mode_of(path() / "new") == 0640u);

  // An existing, longer destination with other bits.
  write_file(path() / "old", random_bytes(50000, 11));
  BOOST_TEST_REQUIRE(::chmod((path() / "old").c_str(), 0600) == 0);
  copy_result over;
  async_copy_file(ioc, path() / "from", path() / "old", over.handler());
  FILE_TEST_WAIT_FOR(ioc, over);
  BOOST_TEST_REQUIRE(!over.ec, over.ec.message());
  BOOST_TEST(over.value == content.size());
  BOOST_TEST(mode_of(path() / "old") == 0640u);
  BOOST_TEST(fs::file_size(path() / "old") == content.size(), "the longer destination was not truncated");
  BOOST_TEST((file_content(path() / "old") == content));

  // Unusual bits survive too.
  BOOST_TEST_REQUIRE(::chmod((path() / "from").c_str(), 0751) == 0);
  copy_result exec;
  async_copy_file(ioc, path() / "from", path() / "old", exec.handler());
  FILE_TEST_WAIT_FOR(ioc, exec);
  BOOST_TEST_REQUIRE(!exec.ec, exec.ec.message());
  BOOST_TEST(mode_of(path() / "old") == 0751u);
}

BOOST_DATA_TEST_CASE_F(temp_dir, copy_onto_itself_is_refused, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes(20000, 12);
  write_file(path() / "from", content);
  fs::create_hard_link(path() / "from", path() / "link");
  copy_result same, linked, dotted;
  async_copy_file(ioc, path() / "from", path() / "from", same.handler());
  FILE_TEST_WAIT_FOR(ioc, same);
  BOOST_TEST(same.ec == sys_error(EINVAL), same.ec.message());
  BOOST_TEST((file_content(path() / "from") == content), "copying a file onto itself changed it");
  async_copy_file(ioc, path() / "from", path() / "link", linked.handler());
  FILE_TEST_WAIT_FOR(ioc, linked);
  BOOST_TEST(linked.ec == sys_error(EINVAL), linked.ec.message());
  BOOST_TEST((file_content(path() / "from") == content), "copying a file onto a hard link of it changed it");
  fs::create_directory(path() / "sub");
  async_copy_file(ioc, path() / "from", path() / "sub" / ".." / "from", dotted.handler());
  FILE_TEST_WAIT_FOR(ioc, dotted);
  BOOST_TEST(dotted.ec == sys_error(EINVAL), dotted.ec.message());
  BOOST_TEST((file_content(path() / "from") == content));
  BOOST_TEST(open_descriptors_on(path() / "from") == 0);
}

BOOST_DATA_TEST_CASE_F(temp_dir, errors, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  fs::create_directory(path() / "dir");
  write_file(path() / "from", "content");
  copy_result dir, missing, no_parent, device, into_dir;
  async_copy_file(ioc, path() / "dir", path() / "to1", dir.handler());
  async_copy_file(ioc, path() / "missing", path() / "to2", missing.handler());
  async_copy_file(ioc, path() / "from", path() / "nowhere" / "to3", no_parent.handler());
  async_copy_file(ioc, "/dev/null", path() / "to4", device.handler());
  async_copy_file(ioc, path() / "from", path() / "dir", into_dir.handler());
  FILE_TEST_WAIT_FOR(ioc, dir);
  FILE_TEST_WAIT_FOR(ioc, missing);
  FILE_TEST_WAIT_FOR(ioc, no_parent);
  FILE_TEST_WAIT_FOR(ioc, device);
  FILE_TEST_WAIT_FOR(ioc, into_dir);
  BOOST_TEST(dir.ec == sys_error(EISDIR), dir.ec.message());
  BOOST_TEST(missing.ec == sys_error(ENOENT), missing.ec.message());
  BOOST_TEST(no_parent.ec == sys_error(ENOENT), no_parent.ec.message());
  BOOST_TEST(device.ec == sys_error(EINVAL), "a character device: " << device.ec.message());
  BOOST_TEST(into_dir.ec == sys_error(EISDIR), "a directory as destination: " << into_dir.ec.message());
  BOOST_TEST(!fs::exists(path() / "to1"));
  BOOST_TEST(!fs::exists(path() / "to2"));
  BOOST_TEST(!fs::exists(path() / "to4"));
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, empty_file, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "from", "");
  write_file(path() / "old", "previous content");
  copy_result fresh, over;
  async_copy_file(ioc, path() / "from", path() / "to", fresh.handler());
  async_copy_file(ioc, path() / "from", path() / "old", over.handler());
  FILE_TEST_WAIT_FOR(ioc, fresh);
  FILE_TEST_WAIT_FOR(ioc, over);
  BOOST_TEST(!fresh.ec, fresh.ec.message());
  BOOST_TEST(fresh.value == 0u);
  BOOST_TEST_REQUIRE(fs::exists(path() / "to"));
  BOOST_TEST(fs::file_size(path() / "to") == 0u);
  BOOST_TEST(!over.ec, over.ec.message());
  BOOST_TEST(fs::file_size(path() / "old") == 0u);
}

BOOST_DATA_TEST_CASE_F(temp_dir, across_file_systems, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  shm_dir other;
  struct stat here {}, there {};
  if (other.path().empty() || ::stat(path().c_str(), &here) != 0 || ::stat(other.path().c_str(), &there) != 0 ||
      here.st_dev == there.st_dev) {
    asio_fswatch::test::skip("second_file_system", "no /dev/shm on another file system than " + path().string());
    return;
  }
  const std::string content = random_bytes((5 << 20) + 4321, 13);
  write_file(path() / "from", content);
  BOOST_TEST_REQUIRE(::chmod((path() / "from").c_str(), 0604) == 0);
  copy_result out, back;
  async_copy_file(ioc, path() / "from", other.path() / "to", out.handler());
  FILE_TEST_WAIT_FOR(ioc, out);
  BOOST_TEST_REQUIRE(!out.ec, out.ec.message());
  BOOST_TEST(out.value == content.size());
  BOOST_TEST((file_content(other.path() / "to") == content));
  BOOST_TEST(mode_of(other.path() / "to") == 0604u);
  // And back, over a longer file.
  write_file(path() / "longer", random_bytes(content.size() + 100000, 14));
  async_copy_file(ioc, other.path() / "to", path() / "longer", back.handler());
  FILE_TEST_WAIT_FOR(ioc, back);
  BOOST_TEST_REQUIRE(!back.ec, back.ec.message());
  BOOST_TEST(back.value == content.size());
  BOOST_TEST((file_content(path() / "longer") == content));
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_operation_tokens)

// Each test runs async_read_file and async_copy_file with one kind of completion token.

BOOST_DATA_TEST_CASE_F(temp_dir, callback, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "file content");
  read_result r;
  copy_result c;
  async_read_file(ioc, path() / "f", r.handler());
  async_copy_file(ioc, path() / "f", path() / "g", c.handler());
  check_read_and_copy(ioc, r, c, path());
}

BOOST_DATA_TEST_CASE_F(temp_dir, use_future_with_the_context_on_another_thread, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "file content");
  auto guard = asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  std::future<std::string> r = async_read_file(ioc, path() / "f", asio::use_future);
  std::future<std::uint64_t> c = async_copy_file(ioc, path() / "f", path() / "g", asio::use_future);
  std::future<std::string> missing = async_read_file(ioc, path() / "missing", asio::use_future);
  std::future<std::uint64_t> missing_copy = async_copy_file(ioc, path() / "missing", path() / "h", asio::use_future);
  bool ready = true;
  for (std::future_status s : {r.wait_for(30s), c.wait_for(30s), missing.wait_for(30s), missing_copy.wait_for(30s)})
    ready = ready && s == std::future_status::ready;
  guard.reset();
  if (!ready)
    ioc.stop();
  runner.join();
  BOOST_TEST_REQUIRE(ready, "a use_future operation did not complete within 30 s");
  BOOST_TEST(r.get() == "file content");
  BOOST_TEST(c.get() == 12u);
  BOOST_TEST(file_content(path() / "g") == "file content");
  try {
    missing.get();
    BOOST_FAIL("no exception for a missing file");
  } catch (const sys::system_error& e) {
    BOOST_TEST(e.code() == sys_error(ENOENT), e.what());
  }
  try {
    missing_copy.get();
    BOOST_FAIL("no exception for a missing source");
  } catch (const sys::system_error& e) {
    BOOST_TEST(e.code() == sys_error(ENOENT), e.what());
  }
}

BOOST_DATA_TEST_CASE_F(temp_dir, coroutine_with_use_awaitable, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "file content");
  std::string read;
  std::uint64_t copied = 0;
  sys::error_code tuple_error, redirected;
  std::string tuple_value = "x";
  bool finished = false;
  std::exception_ptr failure;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        read = co_await async_read_file(ioc, path() / "f", asio::use_awaitable);
        copied = co_await async_copy_file(ioc, path() / "f", path() / "g", asio::use_awaitable);
        std::tie(tuple_error, tuple_value) =
            co_await async_read_file(ioc, path() / "missing", asio::as_tuple(asio::use_awaitable));
        co_await async_copy_file(ioc, path() / "missing", path() / "h",
                                 asio::redirect_error(asio::use_awaitable, redirected));
        co_await async_read_file(ioc, path(), asio::use_awaitable); // throws EISDIR
      },
      [&](std::exception_ptr e) {
        failure = e;
        finished = true;
      });
  BOOST_TEST_REQUIRE(run_until(ioc, [&] { return finished; }), "the coroutine did not finish");
  BOOST_TEST(read == "file content");
  BOOST_TEST(copied == 12u);
  BOOST_TEST(tuple_error == sys_error(ENOENT));
  BOOST_TEST(tuple_value.empty());
  BOOST_TEST(redirected == sys_error(ENOENT));
  BOOST_TEST_REQUIRE(bool(failure), "reading a directory did not throw");
  try {
    std::rethrow_exception(failure);
  } catch (const sys::system_error& e) {
    BOOST_TEST(e.code() == sys_error(EISDIR), e.what());
  }
  BOOST_TEST(no_work_left(ioc), "work left behind");
}

BOOST_DATA_TEST_CASE_F(temp_dir, deferred_starts_only_when_invoked, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "file content");
  auto read = async_read_file(ioc, path() / "f", asio::deferred);
  auto copy = async_copy_file(ioc, path() / "f", path() / "g", asio::deferred);
  ioc.poll();
  ioc.restart();
  BOOST_TEST(!fs::exists(path() / "g"), "the deferred copy started before it was invoked");
  read_result r;
  copy_result c;
  std::move(read)(r.handler());
  std::move(copy)(c.handler());
  check_read_and_copy(ioc, r, c, path());
}

BOOST_DATA_TEST_CASE_F(temp_dir, as_tuple_with_a_callback, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "file content");
  std::optional<std::tuple<sys::error_code, std::string>> r, missing;
  std::optional<std::tuple<sys::error_code, std::uint64_t>> c;
  async_read_file(ioc, path() / "f", asio::as_tuple([&](std::tuple<sys::error_code, std::string> t) { r = t; }));
  async_read_file(ioc, path() / "missing",
                  asio::as_tuple([&](std::tuple<sys::error_code, std::string> t) { missing = t; }));
  async_copy_file(ioc, path() / "f", path() / "g",
                  asio::as_tuple([&](std::tuple<sys::error_code, std::uint64_t> t) { c = t; }));
  BOOST_TEST_REQUIRE(run_until(ioc, [&] { return r && missing && c; }), "a handler did not run");
  BOOST_TEST(!std::get<0>(*r));
  BOOST_TEST(std::get<1>(*r) == "file content");
  BOOST_TEST(std::get<0>(*missing) == sys_error(ENOENT));
  BOOST_TEST(!std::get<0>(*c));
  BOOST_TEST(std::get<1>(*c) == 12u);
}

BOOST_DATA_TEST_CASE_F(temp_dir, redirect_error_with_a_callback, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  write_file(path() / "f", "file content");
  sys::error_code e1 = aborted, e2 = aborted, e3;
  std::optional<std::string> r, missing;
  std::optional<std::uint64_t> c;
  async_read_file(ioc, path() / "f", asio::redirect_error([&](std::string s) { r = s; }, e1));
  async_copy_file(ioc, path() / "f", path() / "g", asio::redirect_error([&](std::uint64_t n) { c = n; }, e2));
  async_read_file(ioc, path() / "missing", asio::redirect_error([&](std::string s) { missing = s; }, e3));
  BOOST_TEST_REQUIRE(run_until(ioc, [&] { return r && c && missing; }), "a handler did not run");
  BOOST_TEST(!e1);
  BOOST_TEST(*r == "file content");
  BOOST_TEST(!e2);
  BOOST_TEST(*c == 12u);
  BOOST_TEST(e3 == sys_error(ENOENT));
  BOOST_TEST(missing->empty());
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================
BOOST_AUTO_TEST_SUITE(file_operation_cancellation)

// The open(2) of a FIFO waits for a writer: with io_uring it waits in the kernel and the
// cancellation stops it; the pool's thread cannot be stopped, so there the operation ends with
// operation_aborted once the open returns.
BOOST_DATA_TEST_CASE_F(temp_dir, read_file_blocked_in_open_of_a_fifo, backends, p) {
  for (asio::cancellation_type type : cancellation_types) {
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      FILE_TEST_CONTEXT(ioc, p.kind);
      const fs::path fifo = make_fifo_for(path(), type);
      fifo_release release(fifo);
      asio::cancellation_signal signal;
      read_result r;
      async_read_file(ioc, fifo, asio::bind_cancellation_slot(signal.slot(), r.handler()));
      if (p.kind == file_backend_kind::threads) // the pool thread must be in open(2) before the cancellation
        BOOST_TEST_REQUIRE(wait_blocked_in_fifo_open(), "the pool thread did not block in open(2) of the FIFO");
      ioc.poll();
      BOOST_TEST_REQUIRE(!r.done, "async_read_file of a FIFO without writer completed: " << r.ec.message());
      signal.emit(type);
      BOOST_TEST_REQUIRE(finish_after_cancel(ioc, p.kind, fifo, [&] { return r.done; }),
                         "the cancelled async_read_file did not complete within 30 s");
      check_read_aborted(ioc, r, fifo);
    }
  }
}

// The same with the read itself blocked: the writer is open and has written part of the data.
BOOST_DATA_TEST_CASE_F(temp_dir, read_file_blocked_in_a_read_of_a_fifo, backends, p) {
  for (asio::cancellation_type type : cancellation_types) {
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      FILE_TEST_CONTEXT(ioc, p.kind);
      const fs::path fifo = make_fifo_for(path(), type);
      fifo_release release(fifo);
      asio::cancellation_signal signal;
      read_result r;
      async_read_file(ioc, fifo, asio::bind_cancellation_slot(signal.slot(), r.handler()));
      int w = open_fifo_writer(fifo);
      BOOST_TEST_REQUIRE(w >= 0, "async_read_file did not open the FIFO");
      BOOST_TEST_REQUIRE(::write(w, "part", 4) == 4);
      BOOST_TEST_REQUIRE(run_until(ioc, [&] { return r.done || bytes_in_pipe(w) == 0; }),
                         "async_read_file did not read from the FIFO");
      BOOST_TEST_REQUIRE(!r.done, r.ec.message());
      signal.emit(type);
      if (p.kind == file_backend_kind::threads)
        ::close(std::exchange(w, -1)); // the pool's readv returns only then
      const bool done = run_until(ioc, [&] { return r.done; });
      if (w >= 0)
        ::close(w);
      BOOST_TEST_REQUIRE(done, "the cancelled async_read_file did not complete within 30 s");
      check_read_aborted(ioc, r, fifo);
    }
  }
}

BOOST_DATA_TEST_CASE_F(temp_dir, copy_file_ignores_total_cancellation, backends, p) {
  FILE_TEST_CONTEXT(ioc, p.kind);
  const std::string content = random_bytes(16 << 20, 15);
  write_file(path() / "from", content);
  asio::cancellation_signal signal;
  copy_result r;
  async_copy_file(ioc, path() / "from", path() / "to", asio::bind_cancellation_slot(signal.slot(), r.handler()));
  signal.emit(asio::cancellation_type::total);
  ioc.poll();
  signal.emit(asio::cancellation_type::total);
  FILE_TEST_WAIT_FOR(ioc, r);
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.value == content.size());
  BOOST_TEST((file_content(path() / "to") == content));
}

BOOST_DATA_TEST_CASE_F(temp_dir, copy_file_terminal_and_partial_cancellation, backends, p) {
  const std::string content = random_bytes(32 << 20, 16);
  write_file(path() / "from", content);
  for (asio::cancellation_type type : {asio::cancellation_type::terminal, asio::cancellation_type::partial}) {
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      FILE_TEST_CONTEXT(ioc, p.kind);
      const fs::path to = path() / (std::string("to-") + name(type));
      asio::cancellation_signal signal;
      copy_result r;
      async_copy_file(ioc, path() / "from", to, asio::bind_cancellation_slot(signal.slot(), r.handler()));
      signal.emit(type);
      FILE_TEST_WAIT_FOR(ioc, r);
      if (r.ec == aborted) {
        BOOST_TEST_MESSAGE("aborted after " << r.value << " bytes");
      } else {
        BOOST_TEST_MESSAGE("the copy had already finished");
        BOOST_TEST(!r.ec, r.ec.message());
        BOOST_TEST(r.value == content.size());
        BOOST_TEST((file_content(to) == content));
      }
      BOOST_TEST(open_descriptors_on(to) == 0);
      BOOST_TEST(open_descriptors_on(path() / "from") == 0);
      BOOST_TEST(no_work_left(ioc), "work left behind");
    }
  }
}

// A source FIFO holds the copy in open(2) until a writer comes: terminal and partial end it
// with operation_aborted; total is not supported, so the copy goes on and fails on the FIFO
// (not a regular file).
BOOST_DATA_TEST_CASE_F(temp_dir, copy_file_blocked_in_open_of_a_fifo_source, backends, p) {
  for (asio::cancellation_type type : cancellation_types) {
    BOOST_TEST_CONTEXT("cancellation type " << name(type)) {
      FILE_TEST_CONTEXT(ioc, p.kind);
      const fs::path fifo = make_fifo_for(path(), type);
      const fs::path to = path() / (std::string("to-") + name(type));
      fifo_release release(fifo);
      asio::cancellation_signal signal;
      copy_result r;
      async_copy_file(ioc, fifo, to, asio::bind_cancellation_slot(signal.slot(), r.handler()));
      if (p.kind == file_backend_kind::threads) // the pool thread must be in open(2) before the cancellation
        BOOST_TEST_REQUIRE(wait_blocked_in_fifo_open(), "the pool thread did not block in open(2) of the FIFO");
      ioc.poll();
      BOOST_TEST_REQUIRE(!r.done, r.ec.message());
      signal.emit(type);
      if (type == asio::cancellation_type::total) {
        int w = open_fifo_writer(fifo);
        BOOST_TEST(w >= 0, "the copy did not keep waiting in open(2) after a total cancellation");
        if (w >= 0)
          ::close(w);
        FILE_TEST_WAIT_FOR(ioc, r);
        BOOST_TEST(r.ec == sys_error(EINVAL), r.ec.message());
      } else {
        BOOST_TEST_REQUIRE(finish_after_cancel(ioc, p.kind, fifo, [&] { return r.done; }),
                           "the cancelled copy did not complete within 30 s");
        BOOST_TEST(r.ec == aborted, r.ec.message());
      }
      BOOST_TEST(!fs::exists(to));
      BOOST_TEST(open_descriptors_on(fifo) == 0, "the FIFO was left open");
      BOOST_TEST(no_work_left(ioc), "work left behind");
    }
  }
}

// The context is destroyed while async_read_file waits for more data from a FIFO: its handler
// is destroyed, not called, and nothing stays open.
BOOST_DATA_TEST_CASE_F(temp_dir, context_destroyed_while_read_file_runs, backends, p) {
  const fs::path fifo = path() / "fifo";
  make_fifo(fifo);
  fifo_release release(fifo);
  auto token = std::make_shared<int>(0);
  std::atomic<int> calls{0}, destroyed{0};
  int w = -1;
  {
    FILE_TEST_CONTEXT(ioc, p.kind);
    async_read_file(ioc, fifo, tracked_read_handler(token, &calls, &destroyed));
    w = open_fifo_writer(fifo);
    BOOST_TEST_REQUIRE(w >= 0, "async_read_file did not open the FIFO");
    BOOST_TEST_REQUIRE(::write(w, "part", 4) == 4);
    BOOST_TEST_REQUIRE(run_until(ioc, [&] { return calls.load() > 0 || bytes_in_pipe(w) == 0; }),
                       "async_read_file did not read from the FIFO");
    BOOST_TEST_REQUIRE(calls.load() == 0);
    if (p.kind == file_backend_kind::threads)
      ::close(std::exchange(w, -1)); // lets the pool's blocking readv return, so that its thread can be joined
  }
  if (w >= 0)
    ::close(w);
  BOOST_TEST(calls.load() == 0, "the handler was called by the destruction of the context");
  BOOST_TEST(destroyed.load() == 1, "the handler was not destroyed");
  BOOST_TEST(token.use_count() == 1);
  BOOST_TEST(open_descriptors_on(fifo) == 0, "the FIFO descriptor of the destroyed operation leaked");
}

BOOST_AUTO_TEST_SUITE_END()
