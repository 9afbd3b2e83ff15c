// SPDX-License-Identifier: BSL-1.0
// Copy thirty files at once with C++20 coroutines and asio_fswatch::async_copy_file, then read
// every source and its copy back with async_read_file and compare them byte for byte.
//
// Ten large files (8 MiB) and twenty small ones (a few KiB) are made in a fresh temporary
// directory. One coroutine per file copies and checks; all of them run on one io_context
// thread. The program prints the file backend (io_uring or threads; set
// ASIO_FSWATCH_FILE_BACKEND=threads to try the pool) and exits 0 only when every copy is exact.
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t large_files = 10;
constexpr std::size_t large_size = std::size_t(8) << 20;
constexpr std::size_t small_files = 20;

/// A directory of our own under /tmp, removed with everything in it at the end.
class temporary_directory {
public:
  temporary_directory() {
    std::string pattern = "/tmp/asio_fswatch-async_copy-XXXXXX";
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

struct copy_job {
  fs::path from;
  fs::path to;
  std::size_t size = 0;
};

struct totals {
  std::size_t files_ok = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> problems;
};

void write_random_file(const fs::path& path, std::size_t size, std::mt19937_64& random) {
  std::vector<std::uint64_t> words((size + 7) / 8);
  for (std::uint64_t& word : words)
    word = random();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(words.data()), std::streamsize(size));
  if (!out)
    throw std::runtime_error("cannot write " + path.native());
}

unsigned permission_bits(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return ~0u;
  return st.st_mode & 07777;
}

/// Copies one file, then reads the source and the copy at the same time and compares them.
asio::awaitable<void> copy_and_check(copy_job job, totals& sums) {
  auto ex = co_await asio::this_coro::executor;
  const std::uint64_t copied =
      co_await asio_fswatch::async_copy_file(ex, job.from, job.to, asio::use_awaitable);

  auto [original, copy] = co_await (asio_fswatch::async_read_file(ex, job.from, asio::use_awaitable) &&
                                    asio_fswatch::async_read_file(ex, job.to, asio::use_awaitable));
  std::string name = job.from.filename().native();
  if (copied != job.size)
    sums.problems.push_back(name + ": copied " + std::to_string(copied) + " bytes, expected " +
                            std::to_string(job.size));
  else if (original.size() != job.size || original != copy)
    sums.problems.push_back(name + ": the copy differs from the original");
  else if (permission_bits(job.from) != permission_bits(job.to))
    sums.problems.push_back(name + ": permission bits not copied");
  else {
    ++sums.files_ok;
    sums.bytes += copied;
  }
}

} // namespace

int main() {
  try {
    temporary_directory dir;
    fs::create_directory(dir.path() / "source");
    fs::create_directory(dir.path() / "copy");

    std::mt19937_64 random(20240611);
    std::vector<copy_job> jobs;
    for (std::size_t i = 0; i < large_files + small_files; ++i) {
      const bool large = i < large_files;
      std::string name = (large ? "large-" : "small-") + std::to_string(i) + ".bin";
      copy_job job{dir.path() / "source" / name, dir.path() / "copy" / name,
                   large ? large_size : 1024 + std::size_t(random() % 8192)};
      write_random_file(job.from, job.size, random);
      // A few sources get unusual permission bits: async_copy_file gives them to the copy.
      if (i % 7 == 3)
        fs::permissions(job.from, fs::perms::owner_read | fs::perms::owner_write);
      jobs.push_back(job);
    }

    asio::io_context ioc(1);
    std::cout << "file backend: " << asio_fswatch::to_string(asio_fswatch::file_backend(ioc)) << '\n';

    totals sums;
    std::size_t failed = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const copy_job& job : jobs)
      asio::co_spawn(ioc, copy_and_check(job, sums), [&, name = job.from.filename()](std::exception_ptr e) {
        if (!e)
          return;
        ++failed;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& error) { // system_error from a failed operation
          std::cerr << name.native() << ": " << error.what() << '\n';
        }
      });
    ioc.run();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    for (const std::string& problem : sums.problems)
      std::cerr << problem << '\n';
    const double mib = double(sums.bytes) / double(1 << 20);
    std::cout << "copied and verified " << sums.files_ok << " of " << jobs.size() << " files, " << mib
              << " MiB, in " << elapsed.count() << " s (copy and both reads)\n";
    if (failed != 0 || !sums.problems.empty() || sums.files_ok != jobs.size()) {
      std::cerr << "async_copy: FAILED\n";
      return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    std::cerr << "async_copy: " << e.what() << '\n';
    return EXIT_FAILURE;
  }
}
