// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: directory_monitor, basic_directory_monitor on the default executor.
#ifndef ASIO_FSWATCH_DIRECTORY_MONITOR_HPP
#define ASIO_FSWATCH_DIRECTORY_MONITOR_HPP

#include <asio_fswatch/basic_directory_monitor.hpp>

namespace asio_fswatch {
/// basic_directory_monitor on boost::asio::any_io_executor.
using directory_monitor = basic_directory_monitor<>;
} // namespace asio_fswatch

#endif
