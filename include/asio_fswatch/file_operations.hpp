// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: composed file operations: read a whole file, copy a file.
#ifndef ASIO_FSWATCH_FILE_OPERATIONS_HPP
#define ASIO_FSWATCH_FILE_OPERATIONS_HPP

#include <asio_fswatch/detail/asio_configuration.hpp>
#include <asio_fswatch/file_service.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>

namespace asio_fswatch {
namespace detail {

using read_file_signature = void(boost::system::error_code, std::string);
using copy_file_signature = void(boost::system::error_code, std::uint64_t);

ASIO_FSWATCH_DECL void start_read_file(const boost::asio::any_io_executor& ex, const std::filesystem::path& path,
                     boost::asio::any_completion_handler<read_file_signature> handler);
ASIO_FSWATCH_DECL void start_copy_file(const boost::asio::any_io_executor& ex, const std::filesystem::path& from,
                     const std::filesystem::path& to,
                     boost::asio::any_completion_handler<copy_file_signature> handler);

template <typename Executor>
struct initiate_read_file {
  Executor ex;
  using executor_type = Executor;
  executor_type get_executor() const noexcept { return ex; }
  template <typename Handler>
  void operator()(Handler&& handler, const std::filesystem::path& path) const {
    detail::require_same_asio_configuration(detail::this_asio_configuration{});
    start_read_file(boost::asio::any_io_executor(ex), path,
                    boost::asio::any_completion_handler<read_file_signature>(std::forward<Handler>(handler)));
  }
};

template <typename Executor>
struct initiate_copy_file {
  Executor ex;
  using executor_type = Executor;
  executor_type get_executor() const noexcept { return ex; }
  template <typename Handler>
  void operator()(Handler&& handler, const std::filesystem::path& from, const std::filesystem::path& to) const {
    detail::require_same_asio_configuration(detail::this_asio_configuration{});
    start_copy_file(boost::asio::any_io_executor(ex), from, to,
                    boost::asio::any_completion_handler<copy_file_signature>(std::forward<Handler>(handler)));
  }
};

} // namespace detail

/// Reads the whole of `path` into a string, on `ex`'s file backend: open, size, then as few reads
/// as the size allows, until the end of the file (so files whose size says 0, such as those of
/// /proc, and files that grow meanwhile, are read whole). FIFOs are read until their writers
/// close them.
///
/// Completion signature: `void(boost::system::error_code, std::string)`.
/// Errors: those of open(2) (ENOENT, EACCES, ELOOP, ...), EISDIR for a directory, read errors,
/// errc::io_uring_unavailable or invalid_file_backend (see file_service.hpp), operation_aborted.
/// Per-operation cancellation: terminal, partial and total; nothing is delivered when cancelled.
template <typename Executor,
          typename ReadToken = boost::asio::default_completion_token_t<Executor>,
          std::enable_if_t<boost::asio::execution::is_executor<Executor>::value, int> = 0>
auto async_read_file(const Executor& ex, const std::filesystem::path& path,
                     ReadToken&& token = boost::asio::default_completion_token_t<Executor>()) {
  return boost::asio::async_initiate<ReadToken, detail::read_file_signature>(
      detail::initiate_read_file<Executor>{ex}, token, path);
}

/// Copies the regular file `from` to `to` (created or truncated), on `ex`'s file backend, and
/// gives `to` the permission bits of `from`. The data moves inside the kernel
/// (copy_file_range, on a pool thread: reflinks on file systems that share extents) in large
/// requests; where the kernel cannot do that (another file system type, EXDEV on old kernels),
/// several 1 MiB reads and writes stay in flight at once.
///
/// Completion signature: `void(boost::system::error_code, std::uint64_t bytes)`.
/// Errors: those of open(2) for either path; EISDIR when `from` is a directory; EINVAL when
/// `from` is not a regular file, or when both paths name the same file (nothing is truncated);
/// read and write errors (ENOSPC, ...); operation_aborted. On an error `to` is left as far as it
/// got.
/// Per-operation cancellation: terminal and partial (the destination may hold part of the data).
template <typename Executor,
          typename CopyToken = boost::asio::default_completion_token_t<Executor>,
          std::enable_if_t<boost::asio::execution::is_executor<Executor>::value, int> = 0>
auto async_copy_file(const Executor& ex, const std::filesystem::path& from, const std::filesystem::path& to,
                     CopyToken&& token = boost::asio::default_completion_token_t<Executor>()) {
  return boost::asio::async_initiate<CopyToken, detail::copy_file_signature>(
      detail::initiate_copy_file<Executor>{ex}, token, from, to);
}

/// The same, for an execution context with get_executor() (io_context, thread_pool).
template <typename ExecutionContext,
          typename ReadToken = boost::asio::default_completion_token_t<typename ExecutionContext::executor_type>,
          std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>, int> = 0>
auto async_read_file(ExecutionContext& context, const std::filesystem::path& path,
                     ReadToken&& token = boost::asio::default_completion_token_t<
                         typename ExecutionContext::executor_type>()) {
  return async_read_file(context.get_executor(), path, std::forward<ReadToken>(token));
}
/// The same, for an execution context with get_executor() (io_context, thread_pool).
template <typename ExecutionContext,
          typename CopyToken = boost::asio::default_completion_token_t<typename ExecutionContext::executor_type>,
          std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>, int> = 0>
auto async_copy_file(ExecutionContext& context, const std::filesystem::path& from,
                     const std::filesystem::path& to,
                     CopyToken&& token = boost::asio::default_completion_token_t<
                         typename ExecutionContext::executor_type>()) {
  return async_copy_file(context.get_executor(), from, to, std::forward<CopyToken>(token));
}

} // namespace asio_fswatch

#endif
