// SPDX-License-Identifier: BSL-1.0
// Test support for the file I/O tests: the backend a test case runs on, running a context until
// a condition holds (bounded), checking that no work is left behind, file contents, and FIFOs
// that never leave a thread blocked when a test ends early.
#ifndef ASIO_FSWATCH_TEST_COMMON_FILE_SUPPORT_HPP
#define ASIO_FSWATCH_TEST_COMMON_FILE_SUPPORT_HPP

#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/file_service.hpp>

#include <common/linux_only.hpp>
#include <common/skip.hpp>

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <utility>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/// Runs `ioc` until `result.done` holds, at most 30 s; fails (and ends) the test case otherwise.
#define FILE_TEST_WAIT_FOR(ioc, result)                                                            \
  BOOST_TEST_REQUIRE(::asio_fswatch::test::run_until((ioc), [&] { return (result).done; }),        \
                     #result " did not complete within 30 s")

/// The set-up of a file test case: declares the io_context `ioc` and configures its file service
/// with use_backend(ioc, kind[, options]). When io_uring is asked for and cannot be used on this
/// machine, returns from the test case (the variant is skipped, not failed).
#define FILE_TEST_CONTEXT(ioc, ...)                                                                \
  ::boost::asio::io_context ioc;                                                                   \
  if (!::asio_fswatch::test::use_backend((ioc), __VA_ARGS__))                                      \
  return

namespace asio_fswatch::test {

/// The backend a data test case runs on (printable, so that Boost.Test can name the sample).
struct backend_param {
  file_backend_kind kind;
};
inline std::ostream& operator<<(std::ostream& os, const backend_param& p) {
  return os << to_string(p.kind);
}
/// io_uring and the pool; the generic POSIX build has the pool only.
inline std::vector<backend_param> both_backends() {
#if defined(ASIO_FSWATCH_LINUX)
  return {{file_backend_kind::io_uring}, {file_backend_kind::threads}};
#else
  return {{file_backend_kind::threads}};
#endif
}

/// Says that the io_uring `part` of a case is not tested: io_uring cannot be used on this machine
/// (kind `machine`), or the build has none (the generic POSIX configuration: kind `platform`).
inline void skip_io_uring(const char* part) {
  if constexpr (has_linux_mechanisms)
    skip("io_uring", std::string("io_uring cannot be used on this machine: the io_uring ") + part + " is not tested");
  else
    skip("io_uring", std::string("the generic POSIX build has no io_uring: the io_uring ") + part + " is not tested",
         skip_kind::platform);
}

/// Configures `ioc`'s file service for `kind` (with `options` otherwise) and checks that the
/// backend is that one. False, with a message, when io_uring is asked for and cannot be used on
/// this machine: the caller returns (the variant is skipped, not failed).
[[nodiscard]] inline bool use_backend(boost::asio::io_context& ioc, file_backend_kind kind,
                                      file_service_options options = {}) {
  options.backend = kind;
  configure_file_service(ioc, options);
  boost::system::error_code ec;
  file_backend_kind got = file_backend(ioc, ec);
  if (kind == file_backend_kind::io_uring && ec == errc::io_uring_unavailable) {
    skip_io_uring("variant");
    return false;
  }
  BOOST_TEST_REQUIRE(!ec, "file_backend: " << ec.message());
  BOOST_TEST_REQUIRE(to_string(got) == to_string(kind));
  return true;
}

/// Runs `ioc` on this thread until `done()` holds, at most `limit`. Returns done().
inline bool run_until(boost::asio::io_context& ioc, const std::function<bool()>& done,
                      std::chrono::seconds limit = std::chrono::seconds(30)) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    ioc.run_one_for(std::chrono::milliseconds(100));
    if (ioc.stopped()) {
      // No work at the moment: a pool thread may still post some.
      ioc.restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return done();
}

/// Whether run() returns by itself (no work left behind) within `limit`; if not, stops it.
inline bool no_work_left(boost::asio::io_context& ioc, std::chrono::seconds limit = std::chrono::seconds(30)) {
  ioc.restart();
  std::future<void> done = std::async(std::launch::async, [&] { ioc.run(); });
  if (done.wait_for(limit) == std::future_status::ready)
    return true;
  ioc.stop();
  done.wait();
  return false;
}

/// Runs `ioc` on `threads` threads until run() returns by itself; false (after stopping it)
/// when it has not within `limit`.
inline bool run_on_threads(boost::asio::io_context& ioc, int threads,
                           std::chrono::seconds limit = std::chrono::seconds(30)) {
  ioc.restart();
  std::vector<std::future<void>> runners;
  for (int i = 0; i < threads; ++i)
    runners.push_back(std::async(std::launch::async, [&] { ioc.run(); }));
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool returned = true;
  for (auto& r : runners)
    if (r.wait_until(deadline) != std::future_status::ready)
      returned = false;
  if (!returned)
    ioc.stop();
  for (auto& r : runners)
    r.wait();
  return returned;
}

inline boost::system::error_code sys_error(int value) {
  return {value, boost::system::system_category()};
}

/// `n` pseudo-random bytes, the same for the same seed.
inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 4) {
    std::uint32_t v = gen();
    for (std::size_t k = 0; k < 4 && i + k < n; ++k)
      s[i + k] = char((v >> (8 * k)) & 0xff);
  }
  return s;
}

inline void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), std::streamsize(content.size()));
  out.close();
  BOOST_TEST_REQUIRE(out.good(), "cannot write " << path);
}

inline std::string file_content(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(in.good(), "cannot read " << path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void make_fifo(const std::filesystem::path& path) {
  BOOST_TEST_REQUIRE(::mkfifo(path.c_str(), 0600) == 0, "mkfifo " << path << ": " << std::strerror(errno));
}

/// Opens the FIFO `path` for writing once a reader has it open (polling, never blocking):
/// the descriptor, in blocking mode, or -1 when no reader came within `limit`.
inline int open_fifo_writer(const std::filesystem::path& path,
                            std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      return fd;
    }
    if (errno != ENXIO || std::chrono::steady_clock::now() >= deadline)
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/// Waits until a thread of this process (a pool thread, an io_uring worker) is blocked in
/// open(2) of a FIFO, waiting for the other end (its wchan is wait_for_partner). False when
/// none is within `limit`.
inline bool wait_blocked_in_fifo_open(std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
      std::ifstream in(task.path() / "wchan");
      std::string wchan;
      std::getline(in, wchan);
      if (wchan == "wait_for_partner")
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

/// On destruction, lets go anyone blocked on the FIFO `path` (an open(2) waiting for the other
/// end, a read waiting for data): opens and closes both ends without blocking. Declare it after
/// the io_context, so that it runs first and the context's shutdown never waits for ever.
class fifo_release {
public:
  explicit fifo_release(std::filesystem::path path) : path_(std::move(path)) {}
  fifo_release(const fifo_release&) = delete;
  fifo_release& operator=(const fifo_release&) = delete;
  ~fifo_release() { release(); }
  void release() const noexcept {
    int r = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int w = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (w >= 0) {
      // A byte for a reader that holds the FIFO open for writing itself (O_RDWR).
      [[maybe_unused]] ssize_t n = ::write(w, "", 1);
      ::close(w);
    }
    if (r >= 0)
      ::close(r);
  }

private:
  std::filesystem::path path_;
};

/// How one operation completed; handler() records it.
struct io_result {
  bool done = false;
  boost::system::error_code ec;
  std::size_t n = 0;
  auto handler() {
    return [this](boost::system::error_code e, std::size_t bytes) {
      ec = e;
      n = bytes;
      done = true;
    };
  }
};
struct ec_result {
  bool done = false;
  boost::system::error_code ec;
  auto handler() {
    return [this](boost::system::error_code e) {
      ec = e;
      done = true;
    };
  }
};
template <typename T>
struct value_result {
  bool done = false;
  boost::system::error_code ec;
  T value{};
  auto handler() {
    return [this](boost::system::error_code e, T v) {
      ec = e;
      value = std::move(v);
      done = true;
    };
  }
};

/// The descriptors of this process open on `path` (from /proc/self/fd).
inline int open_descriptors_on(const std::filesystem::path& path) {
  int count = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    std::filesystem::path target = std::filesystem::read_symlink(entry.path(), link_ec);
    if (!link_ec && target == path)
      ++count;
  }
  return count;
}

inline const boost::asio::cancellation_type cancellation_types[] = {
    boost::asio::cancellation_type::terminal, boost::asio::cancellation_type::partial,
    boost::asio::cancellation_type::total};

inline const char* name(boost::asio::cancellation_type type) {
  switch (type) {
  case boost::asio::cancellation_type::terminal: return "terminal";
  case boost::asio::cancellation_type::partial: return "partial";
  case boost::asio::cancellation_type::total: return "total";
  default: return "other";
  }
}

/// A new FIFO in `dir` for a test of the cancellation type `type`: `dir`/fifo-TYPE.
inline std::filesystem::path make_fifo_for(const std::filesystem::path& dir, boost::asio::cancellation_type type) {
  std::filesystem::path fifo = dir / (std::string("fifo-") + name(type));
  make_fifo(fifo);
  return fifo;
}

} // namespace asio_fswatch::test

#endif
