// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: one file operation as the backends see it (a plain struct, no template),
// and the descriptor it works on, shared by the I/O object and its pending operations.
#ifndef ASIO_FSWATCH_DETAIL_FILE_OP_HPP
#define ASIO_FSWATCH_DETAIL_FILE_OP_HPP

#include <asio_fswatch/detail/config.hpp>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>

#if defined(ASIO_FSWATCH_POSIX)
struct iovec;
#endif

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_POSIX)
using native_buffer = ::iovec; // what preadv/pwritev and io_uring take
#else
/// One buffer of a transfer, named as POSIX's iovec (ReadFile and WriteFile take one at a time).
struct native_buffer {
  void* iov_base;
  std::size_t iov_len;
};
#endif

/// A character of a native path (std::filesystem::path::value_type).
#if defined(ASIO_FSWATCH_WINDOWS)
using path_char = wchar_t;
#else
using path_char = char;
#endif

/// The result that says an operation was cancelled before it ran (or the kernel stopped it).
#if defined(ASIO_FSWATCH_POSIX)
inline constexpr std::int64_t cancelled_result = -ECANCELED; // as io_uring reports it
#else
inline constexpr std::int64_t cancelled_result = -995; // -ERROR_OPERATION_ABORTED
#endif

/// A descriptor owned by an I/O object and by each of its pending operations. close() on the
/// object drops the object's share; the descriptor is closed when the last operation ends, so a
/// thread-pool request that is already running never sees its descriptor number reused.
class ASIO_FSWATCH_DECL shared_fd {
public:
  static shared_fd* adopt(native_file fd); // throws std::bad_alloc
  native_file get() const noexcept { return fd_; }
  void acquire() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  /// Drops one share. The last one closes the descriptor (unless detached) and returns close's
  /// result (0 or -errno); otherwise returns 0.
  int release() noexcept;
  /// The descriptor is given back to the user: the last release will not close it.
  void detach() noexcept { detached_.store(true, std::memory_order_relaxed); }

  /// A regular file (or block device), whose page-cached data preadv2(RWF_NOWAIT) can read
  /// without waiting; cleared when the file system says it cannot.
  bool nowait_reads() const noexcept { return nowait_reads_.load(std::memory_order_relaxed); }
  void set_nowait_reads(bool on) noexcept { nowait_reads_.store(on, std::memory_order_relaxed); }
  /// Opened with file_base::append on a system that does not append for it (Windows: each
  /// write then goes to the end of the file explicitly).
  bool append() const noexcept { return append_; }
  void set_append(bool on) noexcept { append_ = on; }
  /// Windows, a file on the completion port read as a stream: the file position, which
  /// overlapped I/O does not keep (reads and writes name their offset). Advanced by what each
  /// transfer moved, when it completes.
  std::uint64_t position() const noexcept { return position_.load(std::memory_order_relaxed); }
  void set_position(std::uint64_t at) noexcept { position_.store(at, std::memory_order_relaxed); }
  /// A transfer of up to `bytes` starts: it takes [position, position + bytes), so that a read
  /// and a write in flight together (a stream allows one of each) never share a range. Returns
  /// where it starts.
  std::uint64_t reserve(std::uint64_t bytes) noexcept { return position_.fetch_add(bytes, std::memory_order_relaxed); }
  /// The transfer that reserved `reserved` bytes at `at` moved `used`: the position comes back
  /// to its end, unless another transfer has reserved after it meanwhile (then a short transfer
  /// leaves a gap, as two overlapping requests on one position cannot both be exact).
  void settle(std::uint64_t at, std::uint64_t reserved, std::uint64_t used) noexcept {
    std::uint64_t expected = at + reserved;
    position_.compare_exchange_strong(expected, at + used, std::memory_order_relaxed);
  }

private:
  explicit shared_fd(native_file fd) noexcept : fd_(fd) {}
  std::atomic<unsigned> refs_{1};
  std::atomic<bool> detached_{false};
  std::atomic<bool> nowait_reads_{false};
  bool append_ = false; // set once, before any operation
  std::atomic<std::uint64_t> position_{0};
  native_file fd_;
};

enum class file_opcode : std::uint8_t {
  read,       // preadv at `offset`, or at the file position when offset == current_position
  write,      // pwritev, same
  sync_all,   // fsync
  sync_data,  // fdatasync
  resize,     // ftruncate to `offset`
  allocate,   // fallocate(mode 0) `length` bytes at `offset`
  open,       // open `path` with file_base::flags `flags` (and `mode`, POSIX): result is the new descriptor
  stat,       // the platform's stat of the descriptor into `stat_buffer` (src/file/file_native.hpp)
  copy_range, // copy_file_range `length` bytes from (fd, offset) to (fd2, offset2)
};

inline constexpr std::uint64_t current_position = ~std::uint64_t(0);
inline constexpr std::size_t max_iov = 16; // more buffers than that: the first 16 are used

/// One request. The creator fills the request part and the two functions; a backend fills
/// `result` and calls `complete` exactly once, or `destroy` at shutdown.
struct file_op {
  /// The backend is done with the operation. `on_context_thread` is true when the call is made
  /// on a thread running the ring's execution context (io_uring), false on a pool thread or
  /// from a cancellation.
  using complete_fn = void (*)(file_op* op, bool on_context_thread);
  /// Shutdown: free the operation without calling its handler.
  using destroy_fn = void (*)(file_op* op);

  file_op(complete_fn on_complete, destroy_fn on_destroy) noexcept
      : complete(on_complete), destroy(on_destroy) {}

  // The request.
  file_opcode opcode = file_opcode::read;
  std::uint8_t iov_count = 0;
  native_file fd = invalid_native_file;
  native_file fd2 = invalid_native_file;
  int flags = 0;     // open: file_base::flags
  unsigned mode = 0; // open: permission bits of a file it creates (POSIX)
  std::uint64_t offset = 0;
  std::uint64_t offset2 = 0;
  std::uint64_t length = 0;
  const native_buffer* iov = nullptr;
  const path_char* path = nullptr;
  void* stat_buffer = nullptr; // a native_stat (src/file/file_native.hpp)
  shared_fd* handle = nullptr; // acquired while the operation is pending, or null

  /// >= 0: bytes transferred, or the new descriptor (open); < 0: -errno (cancelled_result: cancelled).
  std::int64_t result = 0;

  complete_fn complete;
  destroy_fn destroy;

  // Backend bookkeeping.
  std::uint64_t id = 0; // unique per service, set by start(); cancellation finds the op by it
  file_op* prev = nullptr;
  file_op* next = nullptr;
  bool cancel_requested = false; // io_uring: a cancel request for it went to the kernel
  /// The pool: the request may block for as long as its peer wants (a read of a pipe or a
  /// console on Windows), so cancelling it interrupts the blocking call that runs it.
  bool interruptible = false;
  /// Set when such a request is cancelled while it runs: the platform's perform() stops between
  /// two blocking calls.
  std::atomic<bool> stop_requested{false};
};

} // namespace asio_fswatch::detail

#endif
