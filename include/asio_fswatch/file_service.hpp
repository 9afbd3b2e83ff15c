// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the per-context file service: which backend runs file operations, and how to
// choose one.
#ifndef ASIO_FSWATCH_FILE_SERVICE_HPP
#define ASIO_FSWATCH_FILE_SERVICE_HPP

#include <asio_fswatch/detail/config.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace asio_fswatch::detail {
class file_service;
}

namespace asio_fswatch {

/// What runs the file operations of one execution context.
enum class file_backend_kind : std::uint8_t {
  automatic, ///< Linux: io_uring when the kernel allows it, else the thread pool (decided at run
             ///< time); Windows: iocp
  io_uring,  ///< a ring whose completions are read on the context's own threads: no thread (Linux)
  threads,   ///< a bounded pool of threads doing blocking system calls
  iocp,      ///< Windows: reads and writes overlapped on the context's I/O completion port, no
             ///< thread; the calls that block (flushes, resize, allocate) on the thread pool
};

/// "automatic", "io_uring", "threads" or "iocp".
ASIO_FSWATCH_DECL std::string_view to_string(file_backend_kind kind) noexcept;

/// Settings of the file service of one execution context. The environment variable
/// `ASIO_FSWATCH_FILE_BACKEND=io_uring|threads` forces a backend when `backend` is `automatic`.
struct file_service_options {
  /// What runs the operations (see file_backend_kind). A backend that cannot be used shows at
  /// the first operation: errc::io_uring_unavailable for io_uring (on Windows too), and
  /// errc::backend_unavailable for iocp elsewhere than on Windows.
  file_backend_kind backend = file_backend_kind::automatic;
  /// Most threads the pool starts (at least 1). They start on demand, when the pool backend is in
  /// use, or for the few operations io_uring cannot do on this kernel (see doc/guide.md, "Files").
  std::size_t thread_pool_size = 4;
  /// Submission queue entries of the io_uring ring (a power of two, 1 to 4096). More operations
  /// than that can be in flight: the extra ones wait in the service, they never fail.
  unsigned ring_entries = 256;
};

/// Sets the options of `context`'s file service. Call it before the first file operation of the
/// context; once a backend has been chosen, different options fail with
/// boost::asio::error::already_started. EINVAL for a thread_pool_size of 0 or a ring_entries
/// that is not a power of two up to 4096. Nothing is probed here: a forced io_uring that cannot
/// be used shows at the first operation (and in file_backend() and the objects' backend()) as errc::io_uring_unavailable.
ASIO_FSWATCH_DECL void configure_file_service(boost::asio::execution_context& context,
                            const file_service_options& options);
/// The same, reporting errors through `ec` instead of throwing.
ASIO_FSWATCH_DECL void configure_file_service(boost::asio::execution_context& context,
                            const file_service_options& options, boost::system::error_code& ec);

/// The backend that runs the file operations of `ex`'s execution context, chosen now when it was
/// not yet: io_uring or threads on Linux, iocp or threads on Windows, never automatic. Errors: errc::io_uring_unavailable when
/// io_uring was forced and cannot be used, errc::invalid_file_backend for a bad
/// ASIO_FSWATCH_FILE_BACKEND.
template <typename Executor,
          std::enable_if_t<boost::asio::execution::is_executor<Executor>::value, int> = 0>
file_backend_kind file_backend(const Executor& ex, boost::system::error_code& ec) {
  return boost::asio::use_service<detail::file_service>(
             boost::asio::query(ex, boost::asio::execution::context))
      .backend(ex, ec);
}
template <typename Executor,
          std::enable_if_t<boost::asio::execution::is_executor<Executor>::value, int> = 0>
/// The same; throws boost::system::system_error.
file_backend_kind file_backend(const Executor& ex) {
  boost::system::error_code ec;
  file_backend_kind kind = file_backend(ex, ec);
  if (ec)
    boost::throw_exception(boost::system::system_error(ec, "asio_fswatch::file_backend"));
  return kind;
}

/// The same for an execution context with get_executor() (io_context, thread_pool).
template <typename ExecutionContext,
          std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>, int> = 0>
file_backend_kind file_backend(ExecutionContext& context, boost::system::error_code& ec) {
  return file_backend(context.get_executor(), ec);
}
template <typename ExecutionContext,
          std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>, int> = 0>
/// The same; throws boost::system::system_error.
file_backend_kind file_backend(ExecutionContext& context) {
  return file_backend(context.get_executor());
}

} // namespace asio_fswatch

#include <asio_fswatch/detail/file_service.hpp>

#endif
