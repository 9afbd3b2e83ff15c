// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: basic_stream_file, sequential asynchronous I/O on a file or on any descriptor.
// The template bodies are in impl/basic_stream_file.hpp.
#ifndef ASIO_FSWATCH_BASIC_STREAM_FILE_HPP
#define ASIO_FSWATCH_BASIC_STREAM_FILE_HPP

#include <asio_fswatch/detail/file_object.hpp>
#include <asio_fswatch/detail/file_op.hpp>
#include <asio_fswatch/detail/stream_reactor.hpp>
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

/// A file read and written sequentially, from the file position, asynchronously.
///
/// POSIX: a regular file (or block device) goes through the context's file backend (io_uring or
/// the thread pool; epoll cannot wait on regular files). Any other descriptor (pipe, FIFO,
/// socket, tty, character device) is waited on by the reactor, like a posix::stream_descriptor;
/// while the object owns it, the descriptor is in non-blocking mode, and its original mode is put
/// back by close(), release() and the destructor.
///
/// Windows: a file opened by the object (backend iocp, the default), and any HANDLE opened for
/// overlapped I/O (a named pipe with FILE_FLAG_OVERLAPPED, say), is read and written on the
/// io_context's completion port; the object keeps the file position, which overlapped I/O does
/// not, and moves it by what each transfer moved. A HANDLE that cannot do overlapped I/O (an
/// anonymous pipe, a console, a file opened without the flag) goes through the bounded thread
/// pool; a read waiting there on a pipe or a console holds one of the pool's threads until data
/// comes, and is interrupted (CancelSynchronousIo) when it is cancelled or the file closed.
///
/// async_read_some and async_write_some make it an AsyncReadStream and AsyncWriteStream:
/// boost::asio::async_read, async_write and async_read_until work on it. As with any stream, at
/// most one read and one write may be outstanding at a time.
///
/// Thread safety: distinct objects: safe. Shared object: unsafe.
template <typename Executor = boost::asio::any_io_executor>
class basic_stream_file : public detail::file_object<basic_stream_file<Executor>, Executor> {
  using base = detail::file_object<basic_stream_file<Executor>, Executor>;

public:
  /// The type of the executor through which the file's operations complete by default.
  using executor_type = Executor;
  /// What native_handle() returns and assign() takes: a descriptor (POSIX) or a HANDLE (Windows).
  using native_handle_type = detail::native_file; // a descriptor (POSIX) or a HANDLE (Windows)
  /// The start of the messages of the exceptions that the synchronous operations throw:
  /// "asio_fswatch::stream_file::open: ...".
  static constexpr const char* object_name = "asio_fswatch::stream_file";

  /// The file type for another executor type.
  template <typename OtherExecutor>
  struct rebind_executor {
    /// basic_stream_file on `OtherExecutor`.
    using other = basic_stream_file<OtherExecutor>;
  };

  /// A closed file whose operations complete through `ex`.
  explicit basic_stream_file(const executor_type& ex);

  /// A closed file whose operations complete through `context.get_executor()`.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_stream_file(ExecutionContext& context)
      : basic_stream_file(executor_type(context.get_executor())) {}

  /// Opens `path` (synchronously, as open(2) does; a FIFO's open waits for the other end).
  basic_stream_file(const executor_type& ex, const char* path, file_base::flags open_flags);
  /// The same with the path as a std::string.
  basic_stream_file(const executor_type& ex, const std::string& path, file_base::flags open_flags);
  /// Opens `path` as the executor overload does, with `context.get_executor()` as the executor.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_stream_file(ExecutionContext& context, const char* path, file_base::flags open_flags)
      : basic_stream_file(executor_type(context.get_executor()), path, open_flags) {}
  /// The same with the path as a std::string.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_stream_file(ExecutionContext& context, const std::string& path, file_base::flags open_flags)
      : basic_stream_file(executor_type(context.get_executor()), path.c_str(), open_flags) {}

  /// Takes ownership of an open descriptor of any kind.
  basic_stream_file(const executor_type& ex, native_handle_type fd);
  /// The same with `context.get_executor()` as the executor.
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  basic_stream_file(ExecutionContext& context, native_handle_type fd)
      : basic_stream_file(executor_type(context.get_executor()), fd) {}

  /// Takes over `other`'s descriptor (with its place in the reactor) and pending operations.
  /// The executor is copied, not moved: as with Asio's objects, the moved-from file keeps its
  /// executor; it is closed, and can be opened (or assigned) and used again.
  basic_stream_file(basic_stream_file&& other) noexcept;
  /// Closes this file first, as close() does (its pending operations complete with
  /// operation_aborted, its descriptor is put back in its original blocking mode), then takes
  /// over `other`'s executor, descriptor and pending operations; `other` is left closed, as
  /// after a move construction.
  basic_stream_file& operator=(basic_stream_file&& other) noexcept;

  /// Converting move from a file with another executor type.
  template <typename OtherExecutor,
            std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_stream_file(basic_stream_file<OtherExecutor>&& other) noexcept;
  /// Converting move assignment: as the move assignment, from a file with another executor type.
  template <typename OtherExecutor,
            std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_stream_file& operator=(basic_stream_file<OtherExecutor>&& other) noexcept;

  basic_stream_file(const basic_stream_file&) = delete;
  basic_stream_file& operator=(const basic_stream_file&) = delete;

  /// Closes the file; pending operations complete with operation_aborted.
  ~basic_stream_file();

  /// True when the descriptor is waited on by the reactor (POSIX, not a regular file). Always
  /// false on Windows, which has no reactor for files.
  bool is_reactive() const noexcept;

  using base::assign;
  using base::cancel;
  using base::close;
  using base::open;
  using base::release;

  /// Opens `path`; a descriptor that is not a regular file goes to the reactor.
  void open(const char* path, file_base::flags open_flags, boost::system::error_code& ec);

  /// Takes ownership of an open descriptor or HANDLE. POSIX: pipes, FIFOs, ttys, sockets and
  /// character devices go to the reactor, regular files to the file backend. Windows: a HANDLE
  /// opened for overlapped I/O goes on the completion port (an error if it is already on
  /// another one), any other to the thread pool.
  void assign(native_handle_type fd, boost::system::error_code& ec);

  /// Cancels pending operations (operation_aborted), then closes the descriptor, in its
  /// original blocking mode.
  void close(boost::system::error_code& ec);

  /// Cancels pending operations and gives the descriptor up to the caller, in its original
  /// blocking mode.
  native_handle_type release(boost::system::error_code& ec);

  /// Completes every pending operation of this file with operation_aborted, except those the
  /// kernel has already finished; reports errors through `ec` (bad_descriptor when the file is
  /// not open) instead of throwing.
  void cancel(boost::system::error_code& ec);

  /// Moves the file position; returns the new one. Errors: ESPIPE (errc::invalid_seek on
  /// Windows) on a pipe, socket or tty, EINVAL for a position before the start, bad_descriptor.
  std::uint64_t seek(std::int64_t offset, file_base::seek_basis whence);
  /// The same, reporting errors through `ec` instead of throwing boost::system::system_error
  /// (and returning 0 on an error).
  std::uint64_t seek(std::int64_t offset, file_base::seek_basis whence, boost::system::error_code& ec);

  /// Reads into `buffers` from the file position, which advances; may read less than asked.
  /// At the end of the file (or when the write end of a pipe is closed) it completes with
  /// boost::asio::error::eof.
  ///
  /// Completion signature: `void(boost::system::error_code, std::size_t)`.
  /// Errors: eof; system errors of readv; bad_descriptor when not open; operation_aborted.
  /// Per-operation cancellation: terminal, partial and total (a read the kernel has already
  /// finished completes with its bytes).
  template <typename MutableBufferSequence,
            typename ReadToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// Writes `buffers` at the file position (at the end with `append`); may write less than
  /// given (use boost::asio::async_write for all of it).
  ///
  /// Completion signature: `void(boost::system::error_code, std::size_t)`.
  /// Errors: system errors of writev (EPIPE when a pipe has no reader, ENOSPC, ...);
  /// bad_descriptor; operation_aborted. Cancellation: as async_read_some.
  template <typename ConstBufferSequence,
            typename WriteToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_write_some(const ConstBufferSequence& buffers,
                        WriteToken&& token = boost::asio::default_completion_token_t<executor_type>());

private:
  template <typename>
  friend class basic_stream_file;

  // Reads and writes at the file position, or through the reactor: the same steps but for
  // the direction.
  template <detail::file_opcode Opcode>
  struct initiate_transfer {
    basic_stream_file* self;
    using executor_type = Executor;
    executor_type get_executor() const noexcept { return self->get_executor(); }
    template <typename Handler, typename Buffers>
    void operator()(Handler&& handler, const Buffers& buffers) const;
  };

  detail::stream_reactor<Executor> reactor_;
};

} // namespace asio_fswatch

#include <asio_fswatch/impl/basic_stream_file.hpp>

#endif
