// SPDX-License-Identifier: BSL-1.0
// io_uring forbidden at run time, as Docker's and containerd's default seccomp profiles do:
// io_uring_setup fails with EPERM (or ENOSYS). The file service must fall back to the thread
// pool, without an exception, and a forced io_uring must fail with a clear error. Each case
// runs in a forked child, because a seccomp filter cannot be removed.
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/random_access_file.hpp>

#include <common/linux_only.hpp>
#include <common/seccomp.hpp>
#include <common/temp_dir.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/syscall.h>

#include <cerrno>
#include <fstream>
#include <functional>
#include <string>

namespace {

int in_child_without_io_uring(int error, const std::function<bool()>& body) {
  return asio_fswatch::test::in_child_refusing(__NR_io_uring_setup, error, body);
}

} // namespace

BOOST_AUTO_TEST_SUITE(file_io_uring_forbidden,
                        *asio_fswatch::test::linux_only("io_uring") *
                            boost::unit_test::precondition(asio_fswatch::test::scenario_may_run_in_a_fork))

BOOST_AUTO_TEST_CASE(automatic_falls_back_to_the_pool) {
  asio_fswatch::test::temp_dir dir;
  std::string path = (dir.path() / "data").string();
  std::ofstream(path) << "hello from the pool";
  for (int error : {EPERM, ENOSYS, EINVAL}) {
    int status = in_child_without_io_uring(error, [&] {
      boost::asio::io_context io;
      if (asio_fswatch::file_backend(io) != asio_fswatch::file_backend_kind::threads)
        return false;
      std::string text;
      boost::system::error_code result = boost::asio::error::would_block;
      asio_fswatch::async_read_file(io, path, [&](boost::system::error_code ec, std::string data) {
        result = ec;
        text = std::move(data);
      });
      io.run();
      return !result && text == "hello from the pool";
    });
    BOOST_TEST(status == 0, "io_uring_setup failing with errno " << error << ": child exit status " << status
                                                                 << " (1: wrong backend or result, 2: seccomp "
                                                                    "unavailable, 3: exception)");
  }
}

BOOST_AUTO_TEST_CASE(forced_io_uring_reports_a_clear_error) {
  asio_fswatch::test::temp_dir dir;
  std::string path = (dir.path() / "data").string();
  std::ofstream(path) << "x";
  int status = in_child_without_io_uring(EPERM, [&] {
    boost::asio::io_context io;
    asio_fswatch::configure_file_service(io, {.backend = asio_fswatch::file_backend_kind::io_uring});
    boost::system::error_code ec;
    asio_fswatch::file_backend(io, ec);
    if (ec != asio_fswatch::errc::io_uring_unavailable)
      return false;
    asio_fswatch::random_access_file file(io, path, asio_fswatch::file_base::read_only);
    char byte = 0;
    boost::system::error_code read_ec;
    bool ran = false;
    file.async_read_some_at(0, boost::asio::buffer(&byte, 1), [&](boost::system::error_code e, std::size_t) {
      read_ec = e;
      ran = true;
    });
    if (ran)
      return false; // never inside the initiating call
    io.run();
    return ran && read_ec == asio_fswatch::errc::io_uring_unavailable;
  });
  BOOST_TEST(status == 0, "child exit status " << status);
}

BOOST_AUTO_TEST_SUITE_END()
