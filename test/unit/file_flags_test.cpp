// SPDX-License-Identifier: BSL-1.0
// Unit tests of the sans-io parts of the file I/O: open flags to open(2) flags, and a finished
// request's result to the completion's error.
#include <asio_fswatch/detail/async_file_op.hpp>
#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/file_base.hpp>

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>

#include <cerrno>

using asio_fswatch::file_base;
using asio_fswatch::detail::file_op_error;
using asio_fswatch::detail::open_flags;

namespace {

int flags_of(file_base::flags flags) {
  boost::system::error_code ec;
  int result = open_flags(flags, ec);
  BOOST_TEST_REQUIRE(!ec, "flags " << unsigned(flags) << " refused: " << ec.message());
  BOOST_TEST((result & O_CLOEXEC) != 0, "O_CLOEXEC is always set");
  return result & ~O_CLOEXEC;
}

boost::system::error_code refusal_of(file_base::flags flags) {
  boost::system::error_code ec;
  int result = open_flags(flags, ec);
  BOOST_TEST(result == -1);
  return ec;
}

} // namespace

BOOST_AUTO_TEST_SUITE(file_flags)

BOOST_AUTO_TEST_CASE(access_modes) {
  BOOST_TEST(flags_of(file_base::read_only) == O_RDONLY);
  BOOST_TEST(flags_of(file_base::write_only) == O_WRONLY);
  BOOST_TEST(flags_of(file_base::read_write) == O_RDWR);
}

BOOST_AUTO_TEST_CASE(modifiers) {
  BOOST_TEST(flags_of(file_base::write_only | file_base::append) == (O_WRONLY | O_APPEND));
  BOOST_TEST(flags_of(file_base::read_write | file_base::create) == (O_RDWR | O_CREAT));
  BOOST_TEST(flags_of(file_base::write_only | file_base::create | file_base::exclusive) ==
             (O_WRONLY | O_CREAT | O_EXCL));
  BOOST_TEST(flags_of(file_base::read_write | file_base::truncate) == (O_RDWR | O_TRUNC));
  BOOST_TEST(flags_of(file_base::write_only | file_base::sync_all_on_write) == (O_WRONLY | O_SYNC));
  BOOST_TEST(flags_of(file_base::read_write | file_base::create | file_base::truncate | file_base::append) ==
             (O_RDWR | O_CREAT | O_TRUNC | O_APPEND));
}

BOOST_AUTO_TEST_CASE(contradictions_are_einval) {
  const boost::system::error_code einval(EINVAL, boost::system::system_category());
  BOOST_TEST(refusal_of(file_base::flags(0)) == einval, "no access mode");
  BOOST_TEST(refusal_of(file_base::create) == einval, "no access mode, only a modifier");
  BOOST_TEST(refusal_of(file_base::read_only | file_base::write_only) == einval, "two access modes");
  BOOST_TEST(refusal_of(file_base::read_only | file_base::read_write) == einval, "two access modes");
  BOOST_TEST(refusal_of(file_base::read_write | file_base::exclusive) == einval, "exclusive without create");
}

BOOST_AUTO_TEST_CASE(flag_operators) {
  file_base::flags f = file_base::read_write;
  f |= file_base::create;
  BOOST_TEST((f & file_base::create) == file_base::create);
  f &= ~file_base::create;
  BOOST_TEST(f == file_base::read_write);
}

BOOST_AUTO_TEST_CASE(result_to_error) {
  BOOST_TEST(!file_op_error(4096, true), "bytes read");
  BOOST_TEST(!file_op_error(0, false), "nothing to read into, or a write of nothing");
  BOOST_TEST(file_op_error(0, true) == boost::asio::error::eof, "0 bytes into a non-empty buffer");
  BOOST_TEST(file_op_error(-ECANCELED, true) == boost::asio::error::operation_aborted);
  BOOST_TEST(file_op_error(-ENOSPC, false) == boost::system::error_code(ENOSPC, boost::system::system_category()));
  BOOST_TEST(file_op_error(-EBADF, true) == boost::system::error_code(EBADF, boost::system::system_category()),
             "an error wins over eof");
}

BOOST_AUTO_TEST_SUITE_END()
