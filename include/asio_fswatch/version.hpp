// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: version of the headers.
#ifndef ASIO_FSWATCH_VERSION_HPP
#define ASIO_FSWATCH_VERSION_HPP

#define ASIO_FSWATCH_VERSION_MAJOR 0
#define ASIO_FSWATCH_VERSION_MINOR 1
#define ASIO_FSWATCH_VERSION_PATCH 0
/// major * 10000 + minor * 100 + patch
#define ASIO_FSWATCH_VERSION 100

#endif
