// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: supervised_process, a basic_supervised_process on boost::asio::any_io_executor.
#ifndef ASIO_FSWATCH_SUPERVISED_PROCESS_HPP
#define ASIO_FSWATCH_SUPERVISED_PROCESS_HPP

#include <asio_fswatch/basic_supervised_process.hpp>

namespace asio_fswatch {
/// basic_supervised_process on boost::asio::any_io_executor.
using supervised_process = basic_supervised_process<>;
} // namespace asio_fswatch

#endif
