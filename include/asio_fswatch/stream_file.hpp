// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: stream_file, a basic_stream_file on boost::asio::any_io_executor.
#ifndef ASIO_FSWATCH_STREAM_FILE_HPP
#define ASIO_FSWATCH_STREAM_FILE_HPP

#include <asio_fswatch/basic_stream_file.hpp>

namespace asio_fswatch {
/// basic_stream_file on boost::asio::any_io_executor.
using stream_file = basic_stream_file<>;
} // namespace asio_fswatch

#endif
