// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: a file_op that carries a completion handler, and how the file I/O
// objects start one.
#ifndef ASIO_FSWATCH_DETAIL_ASYNC_FILE_OP_HPP
#define ASIO_FSWATCH_DETAIL_ASYNC_FILE_OP_HPP

#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/detail/file_op.hpp>
#include <asio_fswatch/detail/file_service.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#if defined(ASIO_FSWATCH_POSIX)
#include <sys/uio.h>
#endif

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace asio_fswatch::detail {

/// The error of a finished operation: cancelled_result is operation_aborted; a read of a non-empty
/// buffer that transferred nothing is eof, as with Asio's own files.
inline boost::system::error_code file_op_error(std::int64_t result, bool eof_on_zero) noexcept {
  if (result == cancelled_result)
    return boost::asio::error::operation_aborted;
  if (result < 0)
    return {int(-result), boost::system::system_category()};
  if (result == 0 && eof_on_zero)
    return boost::asio::error::eof;
  return {};
}

/// True when a handler bound to `ex` may run right here: `ex` is (an any_io_executor holding) an
/// io_context executor whose context this thread is running. That is what dispatch() would
/// decide, without wrapping the handler into a type-erased function first.
template <typename Executor>
bool may_run_inline(const Executor& ex) noexcept {
  using io_executor = boost::asio::io_context::executor_type;
  if constexpr (std::is_same_v<Executor, io_executor>) {
    return ex.running_in_this_thread();
  } else if constexpr (std::is_same_v<Executor, boost::asio::any_io_executor>) {
    const io_executor* io = ex.template target<io_executor>();
    return io && io->running_in_this_thread();
  } else {
    return false;
  }
}

/// Cancellation slot handler: finds the operation by id, so it is harmless after the operation
/// has ended (the slot is not cleared on completion, as with Asio's own operations).
class file_op_canceller {
public:
  file_op_canceller(file_service& service, std::uint64_t id) noexcept : service_(&service), id_(id) {}
  void operator()(boost::asio::cancellation_type_t type) const noexcept {
    using boost::asio::cancellation_type;
    if ((type & (cancellation_type::terminal | cancellation_type::partial | cancellation_type::total)) !=
        cancellation_type::none)
      service_->cancel(id_);
  }

private:
  file_service* service_;
  std::uint64_t id_;
};

/// Completion signature `void(error_code, std::size_t)` when `Bytes`, else `void(error_code)`.
template <typename Handler, typename IoExecutor, bool Bytes>
class async_file_op final : public file_op {
  using handler_executor = boost::asio::associated_executor_t<Handler, IoExecutor>;
  using allocator_type = typename std::allocator_traits<
      boost::asio::associated_allocator_t<Handler>>::template rebind_alloc<async_file_op>;

public:
  template <typename H>
  static async_file_op* create(H&& handler, const IoExecutor& io_ex) {
    allocator_type alloc(boost::asio::get_associated_allocator(handler));
    async_file_op* memory = std::allocator_traits<allocator_type>::allocate(alloc, 1);
    try {
      return ::new (static_cast<void*>(memory)) async_file_op(std::forward<H>(handler), io_ex);
    } catch (...) {
      std::allocator_traits<allocator_type>::deallocate(alloc, memory, 1);
      throw;
    }
  }

  /// Points the request at up to max_iov buffers of `buffers`; returns their total size.
  template <typename Buffers>
  std::size_t set_buffers(const Buffers& buffers) noexcept {
    std::size_t total = 0, count = 0;
    auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end && count < max_iov; ++it) {
      auto buffer = *it;
      iov_storage_[count].iov_base = const_cast<void*>(static_cast<const void*>(buffer.data()));
      iov_storage_[count].iov_len = buffer.size();
      total += buffer.size();
      ++count;
    }
    iov = iov_storage_;
    iov_count = std::uint8_t(count);
    return total;
  }

  /// A read that gets 0 bytes into a non-empty buffer completes with eof.
  bool eof_on_zero = false;

  void install_cancellation(file_service& service) {
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.template emplace<file_op_canceller>(service, id);
  }

private:
  template <typename H>
  async_file_op(H&& handler, const IoExecutor& io_ex)
      : file_op(&do_complete, &do_destroy), handler_(std::forward<H>(handler)),
        handler_work_(boost::asio::get_associated_executor(handler_, io_ex)) {
    // One count of outstanding work is enough when the handler runs on the I/O executor itself
    // (the usual case); otherwise the I/O executor's context is kept busy as well.
    if (!same_executor(handler_work_.get_executor(), io_ex))
      io_work_.emplace(io_ex);
  }

  template <typename A, typename B>
  static bool same_executor(const A& a, const B& b) noexcept {
    if constexpr (std::is_same_v<A, B>)
      return a == b;
    else
      return false;
  }

  static void do_complete(file_op* base, bool on_context_thread) {
    auto* self = static_cast<async_file_op*>(base);
    Handler handler(std::move(self->handler_));
    boost::asio::executor_work_guard<handler_executor> work(std::move(self->handler_work_));
    std::optional<boost::asio::executor_work_guard<IoExecutor>> io_work(std::move(self->io_work_));
    boost::system::error_code ec = file_op_error(self->result, self->eof_on_zero);
    std::size_t bytes = self->result > 0 ? std::size_t(self->result) : 0;
    self->free_memory(handler);

    if (!on_context_thread && io_work) {
      // The handler has an executor of its own (a strand; use_future's system_executor): go
      // through the I/O executor first, which then dispatches to the handler's executor, as
      // Asio's own operations do. Posting from a pool thread straight to a system_executor
      // would start Asio's system thread pool: threads the user never asked for.
      if constexpr (Bytes)
        boost::asio::post(io_work->get_executor(), boost::asio::append(std::move(handler), ec, bytes));
      else
        boost::asio::post(io_work->get_executor(), boost::asio::append(std::move(handler), ec));
      return;
    }
    auto ex = work.get_executor();
    if (on_context_thread && may_run_inline(ex)) {
      if constexpr (Bytes)
        std::move(handler)(ec, bytes);
      else
        std::move(handler)(ec);
      return;
    }
    if constexpr (Bytes) {
      if (on_context_thread)
        boost::asio::dispatch(ex, boost::asio::append(std::move(handler), ec, bytes));
      else
        boost::asio::post(ex, boost::asio::append(std::move(handler), ec, bytes));
    } else {
      if (on_context_thread)
        boost::asio::dispatch(ex, boost::asio::append(std::move(handler), ec));
      else
        boost::asio::post(ex, boost::asio::append(std::move(handler), ec));
    }
  }

  static void do_destroy(file_op* base) {
    auto* self = static_cast<async_file_op*>(base);
    Handler handler(std::move(self->handler_));
    self->free_memory(handler);
  }

  void free_memory(const Handler& handler) noexcept {
    if (handle)
      handle->release();
    allocator_type alloc(boost::asio::get_associated_allocator(handler));
    this->~async_file_op();
    std::allocator_traits<allocator_type>::deallocate(alloc, this, 1);
  }

  Handler handler_;
  boost::asio::executor_work_guard<handler_executor> handler_work_;
  std::optional<boost::asio::executor_work_guard<IoExecutor>> io_work_;
  native_buffer iov_storage_[max_iov];
};

/// Completes `handler` with `ec` (and 0 bytes when `Bytes`) through `io_ex`, never inline.
template <bool Bytes, typename Handler, typename IoExecutor>
void post_file_error(Handler&& handler, const IoExecutor& io_ex, const boost::system::error_code& ec) {
  if constexpr (Bytes)
    boost::asio::post(io_ex, boost::asio::append(std::forward<Handler>(handler), ec, std::size_t(0)));
  else
    boost::asio::post(io_ex, boost::asio::append(std::forward<Handler>(handler), ec));
}

/// Starts an operation on `handle`: `prepare(op)` fills the request. A closed object, or a
/// backend that cannot be used, completes the handler with the error instead.
template <bool Bytes, typename Handler, typename IoExecutor, typename Prepare>
void start_file_op(file_service& service, shared_fd* handle, const IoExecutor& io_ex,
                   Handler&& handler, Prepare&& prepare) {
  boost::system::error_code ec;
  if (!handle)
    ec = boost::asio::error::bad_descriptor;
  else
    service.backend(io_ex, ec);
  if (ec)
    return post_file_error<Bytes>(std::forward<Handler>(handler), io_ex, ec);

  using op_type = async_file_op<std::decay_t<Handler>, IoExecutor, Bytes>;
  op_type* op = op_type::create(std::forward<Handler>(handler), io_ex);
  handle->acquire();
  op->handle = handle;
  op->fd = handle->get();
  prepare(*op);
  if (service.try_read_now(*op))
    return op->complete(op, false); // posted: never inside the initiating function
  op->id = service.next_id();
  op->install_cancellation(service);
  service.start(op);
}

/// Starts a positional read or write of `buffers` at `offset` on `file`: on the file's
/// completion port when it has one (Windows, iocp: Asio's overlapped handle does the transfer,
/// with its per-operation cancellation; the handler keeps its own associated executor, else
/// `io_ex`), otherwise as a request to the file service. `with_eof`: a read of 0 bytes into a
/// non-empty buffer is eof.
template <typename Handler, typename IoExecutor, typename Buffers>
void start_transfer_at(file_handle& file, const IoExecutor& io_ex, Handler&& handler, file_opcode opcode,
                       std::uint64_t offset, const Buffers& buffers) {
#if defined(ASIO_FSWATCH_WINDOWS)
  if (file_handle::overlapped_handle* overlapped = file.overlapped()) {
    auto bound = boost::asio::bind_executor(boost::asio::get_associated_executor(handler, io_ex),
                                            std::forward<Handler>(handler));
    if constexpr (boost::asio::is_mutable_buffer_sequence<Buffers>::value) {
      if (opcode == file_opcode::read)
        return overlapped->async_read_some_at(offset, buffers, std::move(bound));
    }
    // All ones: FILE_WRITE_TO_END_OF_FILE, what append asks for.
    overlapped->async_write_some_at(file.appends() ? ~std::uint64_t(0) : offset, buffers, std::move(bound));
    return;
  }
#endif
  start_file_op<true>(file.service(), file.shared(), io_ex, std::forward<Handler>(handler), [&](auto& op) {
    op.opcode = opcode;
    op.offset = offset;
    const bool some = op.set_buffers(buffers) != 0;
    op.eof_on_zero = some && opcode == file_opcode::read;
    op.interruptible = !file.is_regular();
  });
}

#if defined(ASIO_FSWATCH_WINDOWS)
/// The handler of a stream transfer on the completion port. Before the user's handler runs, it
/// settles the file position the transfer reserved (a regular file: overlapped I/O keeps no
/// position) by what was transferred, or puts it at the end after an append, and says eof for a
/// read that found the pipe's other end closed (ERROR_BROKEN_PIPE, which Asio's handle passes
/// through). The user's handler keeps its associated executor, allocator and cancellation slot
/// (see the associator below).
template <typename Handler>
class stream_transfer_handler {
public:
  /// `reserved`: the bytes reserved at `at` (shared_fd::reserve); `appends`: a write at the end.
  template <typename H>
  stream_transfer_handler(H&& handler, shared_fd* file, bool keeps_position, bool is_read, bool appends,
                          std::uint64_t at, std::uint64_t reserved) noexcept
      : handler_(std::forward<H>(handler)), file_(file), at_(at), reserved_(reserved),
        keeps_position_(keeps_position), is_read_(is_read), appends_(appends) {
    file_->acquire();
  }
  stream_transfer_handler(stream_transfer_handler&& other) noexcept
      : handler_(std::move(other.handler_)), file_(std::exchange(other.file_, nullptr)), at_(other.at_),
        reserved_(other.reserved_), keeps_position_(other.keeps_position_), is_read_(other.is_read_),
        appends_(other.appends_) {}
  stream_transfer_handler(const stream_transfer_handler&) = delete;
  stream_transfer_handler& operator=(const stream_transfer_handler&) = delete;
  ~stream_transfer_handler() {
    if (file_)
      file_->release();
  }

  void operator()(boost::system::error_code ec, std::size_t bytes) {
    shared_fd* file = std::exchange(file_, nullptr);
    if (keeps_position_ && appends_)
      position_at_end(*file);
    else if (keeps_position_)
      file->settle(at_, reserved_, bytes);
    file->release();
    constexpr int broken_pipe = 109; // ERROR_BROKEN_PIPE
    if (is_read_ && ec.value() == broken_pipe && ec.category() == boost::system::system_category())
      ec = boost::asio::error::eof;
    std::move(handler_)(ec, bytes);
  }

  const Handler& handler() const noexcept { return handler_; }

private:
  Handler handler_;
  shared_fd* file_;
  std::uint64_t at_;
  std::uint64_t reserved_;
  bool keeps_position_;
  bool is_read_;
  bool appends_;
};
#endif

/// Starts a read or write of `buffers` at the file position of `file` (a stream_file that the
/// reactor does not serve). Windows: a HANDLE on the completion port transfers there, at the
/// position the object keeps for a regular file; any other goes to the thread pool, where a read
/// of a pipe or a console can be interrupted. POSIX: a request to the file service.
template <typename Handler, typename IoExecutor, typename Buffers>
void start_stream_transfer(file_handle& file, const IoExecutor& io_ex, Handler&& handler, file_opcode opcode,
                           const Buffers& buffers) {
#if defined(ASIO_FSWATCH_WINDOWS)
  if (file.overlapped()) {
    const bool regular = file.is_regular(); // a pipe has no position
    const bool is_read = opcode == file_opcode::read;
    const bool appends = !is_read && file.appends();
    const std::uint64_t reserved = regular && !appends ? boost::asio::buffer_size(buffers) : 0;
    const std::uint64_t at = regular && !appends ? file.shared()->reserve(reserved) : 0;
    stream_transfer_handler<std::decay_t<Handler>> wrapped(std::forward<Handler>(handler), file.shared(), regular,
                                                           is_read, appends, at, reserved);
    return start_transfer_at(file, io_ex, std::move(wrapped), opcode, at, buffers);
  }
#endif
  start_transfer_at(file, io_ex, std::forward<Handler>(handler), opcode, current_position, buffers);
}

} // namespace asio_fswatch::detail

#if defined(ASIO_FSWATCH_WINDOWS)
namespace boost::asio {

template <template <typename, typename> class Associator, typename Handler, typename DefaultCandidate>
struct associator<Associator, asio_fswatch::detail::stream_transfer_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type
  get(const asio_fswatch::detail::stream_transfer_handler<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.handler());
  }
  static auto get(const asio_fswatch::detail::stream_transfer_handler<Handler>& h,
                  const DefaultCandidate& candidate) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler(), candidate)) {
    return Associator<Handler, DefaultCandidate>::get(h.handler(), candidate);
  }
};

} // namespace boost::asio
#endif

#endif
