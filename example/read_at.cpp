// SPDX-License-Identifier: BSL-1.0
// Positional file I/O from ordinary blocking code: the io_context runs on its own thread, and
// the main thread starts reads and writes on an asio_fswatch::random_access_file with
// boost::asio::use_future, several at once, and waits for them.
//
// The file is a table of fixed-size records. The main thread writes them all concurrently with
// boost::asio::async_write_at, then reads records back out of order, with async_read_at (all of
// a record), async_read_some_at (whatever one request gives) and a scattered read into two
// buffers, and checks every byte. A read past the end must fail with eof.
#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/random_access_file.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_at.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write_at.hpp>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio_fswatch::random_access_file;

namespace {

constexpr std::size_t record_size = 64;
constexpr std::size_t record_count = 4096; // 256 KiB

class temporary_directory {
public:
  temporary_directory() {
    std::string pattern = "/tmp/asio_fswatch-read_at-XXXXXX";
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

/// Record `i`: 64 bytes of text that say which record they are, ending in a newline.
std::string make_record(std::size_t i) {
  char text[40];
  int n = std::snprintf(text, sizeof text, "record %06zu checksum %08zx ", i, i * 2654435761u % 0xffffffffu);
  std::string record(text, std::size_t(n));
  record.resize(record_size - 1, '.');
  return record + '\n';
}

std::uint64_t offset_of(std::size_t i) { return std::uint64_t(i) * record_size; }

} // namespace

int main() {
  try {
    temporary_directory dir;
    const std::string path = (dir.path() / "records.dat").native();

    std::vector<std::string> records;
    for (std::size_t i = 0; i < record_count; ++i)
      records.push_back(make_record(i));
    // The buffers of the reads. Like everything an operation points at, they must outlive it:
    // they are declared before the thread, which is joined only once every operation has ended.
    const std::array<std::size_t, 6> picks{4095, 0, 1234, 17, 2048, 3000};
    std::vector<std::string> whole(picks.size(), std::string(record_size, '\0'));
    std::string some(3 * record_size, '\0');
    std::string head(10, '\0'), rest(record_size - 10, '\0');
    std::string beyond(record_size, '\0');

    asio::io_context ioc;
    random_access_file file(ioc, path, random_access_file::read_write | random_access_file::create);
    auto work = asio::make_work_guard(ioc);
    std::thread loop([&] { ioc.run(); });

    std::size_t checked = 0;
    std::vector<std::string> problems;
    try {
      std::cout << "file backend: " << asio_fswatch::to_string(file.backend()) << '\n';

      // Write every record at its own offset, all requests in flight at once.
      std::vector<std::future<std::size_t>> writes;
      for (std::size_t i = 0; i < record_count; ++i)
        writes.push_back(asio::async_write_at(file, offset_of(i), asio::buffer(records[i]), asio::use_future));
      for (auto& w : writes)
        if (w.get() != record_size) // get() throws boost::system::system_error on failure
          problems.push_back("short write");

      auto expect = [&](const std::string& what, const std::string& got, const std::string& wanted) {
        ++checked;
        if (got != wanted)
          problems.push_back(what + ": got \"" + got + "\"");
      };

      // Whole records, out of order, with async_read_at: it loops until the buffer is full.
      std::vector<std::future<std::size_t>> reads;
      for (std::size_t k = 0; k < picks.size(); ++k)
        reads.push_back(asio::async_read_at(file, offset_of(picks[k]), asio::buffer(whole[k]), asio::use_future));

      // One request with async_read_some_at: a regular file gives all that was asked, but the
      // operation may give less, so the count matters.
      std::future<std::size_t> some_read =
          file.async_read_some_at(offset_of(100), asio::buffer(some), asio::use_future);

      // A scattered read: one request fills two buffers (up to 16 per request).
      std::array<asio::mutable_buffer, 2> scatter{asio::buffer(head), asio::buffer(rest)};
      std::future<std::size_t> scattered = file.async_read_some_at(offset_of(42), scatter, asio::use_future);

      // Past the end of the file: eof, 0 bytes.
      std::future<std::size_t> past_end =
          file.async_read_some_at(offset_of(record_count), asio::buffer(beyond), asio::use_future);

      for (std::size_t k = 0; k < picks.size(); ++k) {
        reads[k].get();
        expect("record " + std::to_string(picks[k]), whole[k], records[picks[k]]);
      }
      std::size_t n = some_read.get();
      if (n == 0)
        problems.push_back("async_read_some_at read nothing");
      expect("records 100-102", some.substr(0, n), (records[100] + records[101] + records[102]).substr(0, n));
      n = scattered.get();
      expect("record 42 in two buffers", (head + rest).substr(0, n), records[42].substr(0, n));
      try {
        past_end.get();
        problems.push_back("a read past the end did not fail");
      } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::eof)
          problems.push_back(std::string("a read past the end failed with ") + e.what());
        ++checked;
      }
      if (file.size() != record_count * record_size)
        problems.push_back("the file has " + std::to_string(file.size()) + " bytes");
    } catch (const std::exception& e) {
      problems.push_back(e.what());
      boost::system::error_code ignored;
      file.cancel(ignored); // whatever is still pending ends soon, with operation_aborted
    }

    work.reset();
    loop.join(); // returns once every operation has completed

    for (const std::string& p : problems)
      std::cerr << "read_at: " << p << '\n';
    std::cout << record_count << " records written, " << checked << " reads checked, "
              << (problems.empty() ? "all bytes as expected" : "FAILED") << '\n';
    return problems.empty() ? EXIT_SUCCESS : EXIT_FAILURE;
  } catch (const std::exception& e) {
    std::cerr << "read_at: " << e.what() << '\n';
    return EXIT_FAILURE;
  }
}
