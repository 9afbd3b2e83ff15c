// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the error of the system call that just failed (errno on POSIX,
// GetLastError() on Windows) as an error_code of boost::system::system_category.
#ifndef ASIO_FSWATCH_DETAIL_SYSTEM_ERROR_HPP
#define ASIO_FSWATCH_DETAIL_SYSTEM_ERROR_HPP

#include <asio_fswatch/detail/config.hpp>

#include <boost/system/error_code.hpp>

#if defined(ASIO_FSWATCH_WINDOWS)
#include <boost/winapi/get_last_error.hpp>
#else
#include <cerrno>
#endif

namespace asio_fswatch::detail {

/// The calling thread's last system error: read at once, before anything else can change it.
inline boost::system::error_code last_system_error() noexcept {
#if defined(ASIO_FSWATCH_WINDOWS)
  return {int(boost::winapi::GetLastError()), boost::system::system_category()};
#else
  return {errno, boost::system::system_category()};
#endif
}

} // namespace asio_fswatch::detail

#endif
