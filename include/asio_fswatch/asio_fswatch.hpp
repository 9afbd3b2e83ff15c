// asio_fswatch: everything in one include.
#ifndef ASIO_FSWATCH_ASIO_FSWATCH_HPP
#define ASIO_FSWATCH_ASIO_FSWATCH_HPP

#include <asio_fswatch/basic_directory_monitor.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>
#include <asio_fswatch/version.hpp>

#endif
