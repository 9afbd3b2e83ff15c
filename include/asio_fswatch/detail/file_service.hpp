// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the file service of one execution context and the interface of its
// backends (io_uring, thread pool). The bodies live in src/file/file_service.cpp,
// src/file/linux/io_uring_backend.cpp and src/file/posix/thread_pool_backend.cpp.
#ifndef ASIO_FSWATCH_DETAIL_FILE_SERVICE_HPP
#define ASIO_FSWATCH_DETAIL_FILE_SERVICE_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/detail/file_op.hpp>
#include <asio_fswatch/file_service.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace asio_fswatch::detail {

/// What runs file_op requests. start() never calls `complete` before it returns.
class file_backend_base {
public:
  virtual ~file_backend_base() = default;
  virtual file_backend_kind kind() const noexcept = 0;
  virtual bool supports(file_opcode opcode) const noexcept = 0;
  virtual void start(file_op* op) = 0;
  /// Cancels the operation with this id when it is still pending here: one that has not started
  /// completes with cancelled_result; one in the kernel is asked to stop (io_uring). Returns whether
  /// the operation was found.
  virtual bool cancel(std::uint64_t id) noexcept = 0;
  /// Cancels every pending operation on `handle`.
  virtual void cancel_handle(const shared_fd* handle) noexcept = 0;
  /// Frees every pending operation without calling its handler, after the kernel and the
  /// threads are done with their buffers.
  virtual void shutdown() noexcept = 0;
};

/// A read of at most 256 KiB from a regular file, done now with preadv2(RWF_NOWAIT) when its
/// data is in the page cache (that never waits for the disk). True when `op` is done: its
/// result is set. False when it must wait (EAGAIN), or when the file system cannot do it (the
/// descriptor then stops trying).
ASIO_FSWATCH_DECL bool read_if_cached(file_op& op) noexcept;

/// The io_uring backend, or null with `ec` saying why it cannot be used.
ASIO_FSWATCH_DECL std::unique_ptr<file_backend_base> make_io_uring_backend(const boost::asio::any_io_executor& ex,
                                                         unsigned entries,
                                                         boost::system::error_code& ec);
ASIO_FSWATCH_DECL std::unique_ptr<file_backend_base> make_thread_pool_backend(std::size_t threads);

class ASIO_FSWATCH_DECL file_service final : public boost::asio::execution_context::service {
public:
  static boost::asio::execution_context::id id;

  explicit file_service(boost::asio::execution_context& context);
  ~file_service() override;

  void configure(const file_service_options& options, boost::system::error_code& ec);

  /// The backend, chosen on first call: the options, then ASIO_FSWATCH_FILE_BACKEND, then a
  /// probe of io_uring. A forced backend that cannot be used is an error, every time. `ex` (an
  /// executor of this context) is what the io_uring backend waits on its eventfd with.
  template <typename Executor>
  file_backend_kind backend(const Executor& ex, boost::system::error_code& ec) {
    if (chosen_.load(std::memory_order_acquire)) {
      ec = choice_error_;
      return kind_;
    }
    return choose(boost::asio::any_io_executor(ex), ec);
  }

  /// A fresh operation id (never 0).
  std::uint64_t next_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  /// Starts `op` (its id set) on the chosen backend, or on the pool for what io_uring cannot do
  /// on this kernel. The caller has checked backend() first.
  void start(file_op* op);
  void cancel(std::uint64_t id) noexcept;
  void cancel_handle(const shared_fd* handle) noexcept;

  /// With the thread pool, a small read of a regular file whose data is in the page cache is
  /// done on the spot with preadv2(RWF_NOWAIT), which never waits for the disk, instead of a
  /// round trip through a pool thread. True when `op` is done (its result set, to be completed
  /// through the executor); false when it has to go to the backend. (io_uring does the same
  /// inside io_uring_enter, for a whole batch at once, so it is not used there.)
  bool try_read_now(file_op& op) noexcept;

private:
  file_backend_kind choose(const boost::asio::any_io_executor& ex, boost::system::error_code& ec);
  void shutdown() override;
  file_backend_base* pool();
  /// The pool when it runs beside io_uring (for what the ring cannot do), else null.
  file_backend_base* helper_pool() noexcept;

  std::mutex mutex_;
  file_service_options options_;
  std::atomic<bool> chosen_{false};
  boost::system::error_code choice_error_;
  std::unique_ptr<file_backend_base> pool_;
  std::unique_ptr<file_backend_base> ring_;
  file_backend_base* main_ = nullptr;
  file_backend_kind kind_ = file_backend_kind::automatic; // what backend() says, once chosen
  std::atomic<std::uint64_t> next_id_{1};
};

} // namespace asio_fswatch::detail

#endif
