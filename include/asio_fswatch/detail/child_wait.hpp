// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the platform's child wait, chosen by an alias (as Boost.Process v2
// chooses its process handle): posix_child_wait_op (pidfd or SIGCHLD, chosen at run time) or
// win_child_wait_op (the process HANDLE).
#ifndef ASIO_FSWATCH_DETAIL_CHILD_WAIT_HPP
#define ASIO_FSWATCH_DETAIL_CHILD_WAIT_HPP

#include <asio_fswatch/detail/config.hpp>

#if defined(ASIO_FSWATCH_WINDOWS)
#include <asio_fswatch/detail/win_child_wait.hpp>
#else
#include <asio_fswatch/detail/posix_child_wait.hpp>
#endif

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_WINDOWS)
template <typename Executor, typename OnReaped = nothing_on_reap>
using child_wait_op = win_child_wait_op<Executor, OnReaped>;
#else
template <typename Executor, typename OnReaped = nothing_on_reap>
using child_wait_op = posix_child_wait_op<Executor, OnReaped>;
#endif

} // namespace asio_fswatch::detail

#endif
