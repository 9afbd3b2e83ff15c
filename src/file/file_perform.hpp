// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private to src/file: what the thread pool needs from the platform, one
// definition in posix/ and one in win/.
#ifndef ASIO_FSWATCH_SRC_FILE_PERFORM_HPP
#define ASIO_FSWATCH_SRC_FILE_PERFORM_HPP

#include <asio_fswatch/detail/file_op.hpp>

#include <cstdint>
#include <functional>
#include <thread>

namespace asio_fswatch::detail {

/// Runs one request with the platform's blocking calls: >= 0 (bytes, or the new descriptor of
/// an open), or the negated error (errno, or GetLastError() on Windows).
std::int64_t perform(const file_op& op) noexcept;

/// A pool thread running `run`: it takes no signal (POSIX), so that signals keep going to the
/// application's own threads. Throws std::system_error when no thread can be started.
std::thread start_pool_thread(std::function<void()> run);

/// The result of a request that no pool thread could run.
std::int64_t no_thread_result() noexcept;

/// The calling pool thread, as interrupt_blocking_call() names it: on Windows a handle to it,
/// which forget_pool_thread() closes when the thread ends; on POSIX 0 (no request there can wait
/// for ever: pipes and ttys go to the reactor, never to the pool).
std::uintptr_t current_pool_thread() noexcept;
void forget_pool_thread(std::uintptr_t thread) noexcept;

/// Makes the synchronous I/O call that `thread` is blocked in return (Windows:
/// CancelSynchronousIo, the call then fails with ERROR_OPERATION_ABORTED); nothing when it is in
/// none, and nothing on POSIX.
void interrupt_blocking_call(std::uintptr_t thread) noexcept;

} // namespace asio_fswatch::detail

#endif
