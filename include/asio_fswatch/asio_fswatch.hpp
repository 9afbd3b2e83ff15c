// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: everything in one include.
#ifndef ASIO_FSWATCH_ASIO_FSWATCH_HPP
#define ASIO_FSWATCH_ASIO_FSWATCH_HPP

#include <asio_fswatch/basic_child_watcher.hpp>
#include <asio_fswatch/basic_directory_monitor.hpp>
#include <asio_fswatch/basic_random_access_file.hpp>
#include <asio_fswatch/basic_stream_file.hpp>
#include <asio_fswatch/basic_supervised_process.hpp>
#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/child_watcher.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/exit_status.hpp>
#include <asio_fswatch/file_base.hpp>
#include <asio_fswatch/file_operations.hpp>
#include <asio_fswatch/file_service.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>
#include <asio_fswatch/process_options.hpp>
#include <asio_fswatch/random_access_file.hpp>
#include <asio_fswatch/snapshot.hpp>
#include <asio_fswatch/stream_file.hpp>
#include <asio_fswatch/supervised_process.hpp>
#include <asio_fswatch/version.hpp>

/// Directory monitoring, asynchronous file I/O and child processes as Boost.Asio I/O objects:
/// basic_directory_monitor, basic_random_access_file and basic_stream_file, basic_child_watcher
/// and basic_supervised_process, with the composed operations async_read_file and
/// async_copy_file and the snapshot functions. Each header of include/asio_fswatch/ compiles on
/// its own; this one includes them all. What is in namespace asio_fswatch::detail is not the API.
namespace asio_fswatch {}

#endif
