// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: basic_random_access_file, positional asynchronous file I/O on io_uring or a
// thread pool. The template bodies are in impl/basic_random_access_file.hpp.
#ifndef ASIO_FSWATCH_BASIC_RANDOM_ACCESS_FILE_HPP
#define ASIO_FSWATCH_BASIC_RANDOM_ACCESS_FILE_HPP

#include <asio_fswatch/detail/file_object.hpp>
#include <asio_fswatch/detail/file_op.hpp>
#include <asio_fswatch/file_base.hpp>
#include <asio_fswatch/file_service.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace asio_fswatch {

/// A file read and written at explicit offsets, asynchronously, on the execution context's file
/// backend: io_uring when the kernel allows it (completions run on the context's own threads, no
/// thread is started), or a bounded thread pool (see file_service.hpp).
///
/// async_read_some_at and async_write_some_at make it an AsyncRandomAccessReadDevice and
/// AsyncRandomAccessWriteDevice, so boost::asio::async_read_at and async_write_at work on it.
/// Any number of operations may be outstanding at once; there is no ordering between them.
///
/// On Windows (backend iocp, the default there) reads and writes are overlapped on the
/// io_context's completion port, and what blocks (flushes, resize, allocate) runs on the pool;
/// `append` writes at the end whatever the offset. See doc/guide.md.
///
/// Thread safety: distinct objects: safe. Shared object: unsafe, as with Asio's own files.
template <typename Executor = boost::asio::any_io_executor>
class basic_random_access_file
    : public detail::file_object<basic_random_access_file<Executor>, Executor> {
  using base = detail::file_object<basic_random_access_file<Executor>, Executor>;

public:
  /// The type of the executor through which the file's operations complete by default.
  using executor_type = Executor;
  /// What native_handle() returns and assign() takes: a descriptor (POSIX) or a HANDLE (Windows).
  using native_handle_type = detail::native_file; // a descriptor (POSIX) or a HANDLE (Windows)
  /// The start of the messages of the exceptions that the synchronous operations throw:
  /// "asio_fswatch::random_access_file::open: ...".
  static constexpr const char* object_name = "asio_fswatch::random_access_file";

  /// The file type for another executor type.
  template <typename OtherExecutor>
  struct rebind_executor {
    /// basic_random_access_file on `OtherExecutor`.
    using other = basic_random_access_file<OtherExecutor>;
  };

  /// A closed file whose operations complete through `ex`.
  explicit basic_random_access_file(const executor_type& ex);

  /// A closed file whose operations complete through `context.get_executor()`.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_random_access_file(ExecutionContext& context)
      : basic_random_access_file(executor_type(context.get_executor())) {}

  /// Opens `path` (synchronously, as open(2) does). Throws boost::system::system_error.
  basic_random_access_file(const executor_type& ex, const char* path, file_base::flags open_flags);
  /// The same with the path as a std::string.
  basic_random_access_file(const executor_type& ex, const std::string& path, file_base::flags open_flags);
  /// Opens `path` as the executor overload does, with `context.get_executor()` as the executor.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_random_access_file(ExecutionContext& context, const char* path, file_base::flags open_flags)
      : basic_random_access_file(executor_type(context.get_executor()), path, open_flags) {}
  /// The same with the path as a std::string.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_random_access_file(ExecutionContext& context, const std::string& path, file_base::flags open_flags)
      : basic_random_access_file(executor_type(context.get_executor()), path.c_str(), open_flags) {}

  /// Takes ownership of an open descriptor.
  basic_random_access_file(const executor_type& ex, native_handle_type fd);
  /// The same with `context.get_executor()` as the executor.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_random_access_file(ExecutionContext& context, native_handle_type fd)
      : basic_random_access_file(executor_type(context.get_executor()), fd) {}

  /// Takes over `other`'s descriptor and pending operations. The executor is copied, not moved:
  /// as with Asio's objects, the moved-from file keeps its executor; it is closed, and can be
  /// opened (or assigned) and used again.
  basic_random_access_file(basic_random_access_file&&) noexcept = default;
  /// Closes this file first, as close() does (its pending operations complete with
  /// operation_aborted, or with their result when the kernel had already finished them), then
  /// takes over `other`'s executor, descriptor and pending operations; `other` is left closed,
  /// as after a move construction.
  basic_random_access_file& operator=(basic_random_access_file&&) noexcept = default;

  /// Converting move from a file with another executor type.
  template <typename OtherExecutor,
            std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_random_access_file(basic_random_access_file<OtherExecutor>&& other) noexcept;
  /// Converting move assignment from a file with another executor type: as the move assignment.
  template <typename OtherExecutor,
            std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_random_access_file& operator=(basic_random_access_file<OtherExecutor>&& other) noexcept;

  basic_random_access_file(const basic_random_access_file&) = delete;
  basic_random_access_file& operator=(const basic_random_access_file&) = delete;

  /// Closes the file: pending operations complete with operation_aborted (or with their result
  /// when the kernel had already finished them).
  ~basic_random_access_file() = default;

  /// Reads into `buffers` at `offset`; may read less than asked. Reading at or past the end of
  /// the file completes with boost::asio::error::eof (and 0 bytes).
  ///
  /// Completion signature: `void(boost::system::error_code, std::size_t)`.
  /// Errors: eof; system errors of preadv (EBADF, EISDIR for a directory, EINVAL, EIO, ...);
  /// bad_descriptor when the file is not open; operation_aborted when cancelled.
  /// Per-operation cancellation: terminal, partial and total. A read the kernel has already
  /// finished completes with its bytes; otherwise nothing was read.
  template <typename MutableBufferSequence,
            typename ReadToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_read_some_at(std::uint64_t offset, const MutableBufferSequence& buffers,
                          ReadToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// Writes `buffers` at `offset`; may write less than given (use boost::asio::async_write_at for
  /// all of it). With `append`, Linux writes at the end of the file whatever the offset.
  ///
  /// Completion signature: `void(boost::system::error_code, std::size_t)`.
  /// Errors: system errors of pwritev (ENOSPC, EFBIG, EBADF for a file opened read-only, ...);
  /// bad_descriptor; operation_aborted. Cancellation: as async_read_some_at.
  template <typename ConstBufferSequence,
            typename WriteToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_write_some_at(std::uint64_t offset, const ConstBufferSequence& buffers,
                           WriteToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// fsync: data and metadata reach stable storage.
  ///
  /// Completion signature: `void(boost::system::error_code)`.
  /// Errors: EIO, ENOSPC, EROFS, EINVAL (a descriptor that cannot be synced), bad_descriptor,
  /// operation_aborted. Per-operation cancellation: terminal, partial and total; a sync the
  /// kernel has started runs to its end.
  template <typename SyncToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_sync_all(SyncToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// fdatasync: the data, and the metadata needed to read it back, reach stable storage.
  /// Completion signature, errors and cancellation: as async_sync_all.
  template <typename SyncToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_sync_data(SyncToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// ftruncate: sets the file's size to `n` bytes (extending with zeros).
  /// Completion signature: `void(boost::system::error_code)`.
  /// Errors: EINVAL (not a regular file, or opened read-only), EFBIG, EPERM, bad_descriptor,
  /// operation_aborted. Cancellation: as async_sync_all.
  template <typename ResizeToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_resize(std::uint64_t n,
                    ResizeToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// fallocate (mode 0): reserves disk space for `length` bytes at `offset`, extending the file
  /// when the range ends past it. Other POSIX systems (the generic POSIX configuration):
  /// posix_fallocate, which the C library may emulate by writing; Windows: see doc/guide.md.
  /// Completion signature: `void(boost::system::error_code)`.
  /// Errors: EOPNOTSUPP on a file system without fallocate (Linux), ENOSPC, EBADF (opened read-only),
  /// EINVAL (length 0), bad_descriptor, operation_aborted. Cancellation: as async_sync_all.
  template <typename AllocateToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_allocate(std::uint64_t offset, std::uint64_t length,
                      AllocateToken&& token = boost::asio::default_completion_token_t<executor_type>());

private:
  template <typename>
  friend class basic_random_access_file;

  // Reads and writes at an offset: the same request but for its opcode.
  struct initiate_transfer_at {
    basic_random_access_file* self;
    using executor_type = Executor;
    executor_type get_executor() const noexcept { return self->get_executor(); }
    template <typename Handler, typename Buffers>
    void operator()(Handler&& handler, detail::file_opcode opcode, std::uint64_t offset,
                    const Buffers& buffers) const;
  };

  struct initiate_simple {
    basic_random_access_file* self;
    using executor_type = Executor;
    executor_type get_executor() const noexcept { return self->get_executor(); }
    template <typename Handler>
    void operator()(Handler&& handler, detail::file_opcode opcode, std::uint64_t offset,
                    std::uint64_t length) const;
  };
};

} // namespace asio_fswatch

#include <asio_fswatch/impl/basic_random_access_file.hpp>

#endif
