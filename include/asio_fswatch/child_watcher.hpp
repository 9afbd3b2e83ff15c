// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: child_watcher, a basic_child_watcher on boost::asio::any_io_executor.
#ifndef ASIO_FSWATCH_CHILD_WATCHER_HPP
#define ASIO_FSWATCH_CHILD_WATCHER_HPP

#include <asio_fswatch/basic_child_watcher.hpp>

namespace asio_fswatch {
/// basic_child_watcher on boost::asio::any_io_executor.
using child_watcher = basic_child_watcher<>;
} // namespace asio_fswatch

#endif
