// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: random_access_file, a basic_random_access_file on boost::asio::any_io_executor.
#ifndef ASIO_FSWATCH_RANDOM_ACCESS_FILE_HPP
#define ASIO_FSWATCH_RANDOM_ACCESS_FILE_HPP

#include <asio_fswatch/basic_random_access_file.hpp>

namespace asio_fswatch {
/// basic_random_access_file on boost::asio::any_io_executor.
using random_access_file = basic_random_access_file<>;
} // namespace asio_fswatch

#endif
