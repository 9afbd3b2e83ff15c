// SPDX-License-Identifier: BSL-1.0
// The io_uring file backend. One ring per execution context; its eventfd is read through a
// posix::stream_descriptor, so completions are reaped on the context's own threads and no thread
// is started. Handlers of operations that complete together run in one batch, and the
// operations they start are submitted together at the end of it (one io_uring_enter).
#include "../file_op_queue.hpp"

#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/detail/file_service.hpp>
#include <asio_fswatch/error.hpp>

#if defined(ASIO_FSWATCH_HAS_IO_URING)

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <fcntl.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

namespace asio_fswatch::detail {
namespace {

/// open(2)'s flags for an open request's file_base::flags (the composed operations give only
/// valid sets; an invalid one becomes -1, which openat refuses with EINVAL).
int open_flags_of(int flags) noexcept {
  boost::system::error_code ignored;
  return open_flags(file_base::flags(flags), ignored);
}

constexpr std::uint8_t ftruncate_opcode = 55; // IORING_OP_FTRUNCATE, Linux 6.9; not in liburing 2.3
// Per wake-up, at most this many rounds and this many handlers, before the reaper yields to the
// context's other work: a chain of reads one at a time gets many rounds (fewer wake-ups), a
// wide batch gets few.
constexpr int max_reap_rounds = 64;
constexpr std::size_t max_handlers_per_wake = 1024;
constexpr unsigned max_reads_on_the_spot = 2; // see on_wake

class io_uring_backend;
thread_local io_uring_backend* reaping_backend = nullptr; // set while this thread runs a batch

class io_uring_backend final : public file_backend_base {
public:
  io_uring_backend() = default;
  io_uring_backend(const io_uring_backend&) = delete;
  io_uring_backend& operator=(const io_uring_backend&) = delete;
  ~io_uring_backend() override { shutdown(); }

  bool open(const boost::asio::any_io_executor& ex, unsigned entries, boost::system::error_code& ec) {
    io_uring_params params{};
    int r = io_uring_queue_init_params(entries, &ring_, &params);
    if (r < 0) {
      ec = errc::io_uring_unavailable;
      return false;
    }
    ring_open_ = true;
    const unsigned needed_features = IORING_FEAT_NODROP | IORING_FEAT_RW_CUR_POS;
    if ((params.features & needed_features) != needed_features) {
      ec = errc::io_uring_unavailable;
      return false;
    }
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    if (!probe) {
      ec = errc::io_uring_unavailable;
      return false;
    }
    bool complete = true;
    for (int opcode : {IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
                       IORING_OP_FALLOCATE, IORING_OP_OPENAT, IORING_OP_STATX,
                       IORING_OP_ASYNC_CANCEL})
      complete = complete && io_uring_opcode_supported(probe, opcode);
    has_ftruncate_ = probe->last_op >= ftruncate_opcode && io_uring_opcode_supported(probe, ftruncate_opcode);
    io_uring_free_probe(probe);
    if (!complete) {
      ec = errc::io_uring_unavailable;
      return false;
    }
    int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
      ec.assign(errno, boost::system::system_category());
      return false;
    }
    eventfd_.emplace(ex);
    eventfd_->assign(efd, ec);
    if (ec) {
      ::close(efd);
      return false;
    }
    if (int e = io_uring_register_eventfd(&ring_, efd); e < 0) {
      ec = errc::io_uring_unavailable;
      return false;
    }
    // Completions beyond the CQ size stay buffered in the kernel (NODROP), but keeping below it
    // avoids that slow path; a little room is left for cancellation requests.
    limit_ = params.cq_entries > 64 ? params.cq_entries - 32 : params.cq_entries / 2;
    return true;
  }

  file_backend_kind kind() const noexcept override { return file_backend_kind::io_uring; }

  bool supports(file_opcode opcode) const noexcept override {
    if (opcode == file_opcode::copy_range)
      return false;
    if (opcode == file_opcode::resize)
      return has_ftruncate_;
    return true;
  }

  void start(file_op* op) override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopped_) {
      lock.unlock();
      op->result = cancelled_result;
      op->complete(op, false);
      return;
    }
    if (reaping_backend == this) {
      // Started by a handler of the batch this thread is running: the batch decides, at the
      // end of the round, how it goes (see on_wake).
      started_in_batch_.push(op);
      return;
    }
    enqueue(op);
    submit();
    arm();
  }

  bool cancel(std::uint64_t id) noexcept override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopped_)
      return false;
    file_op_queue* queue = &waiting_;
    file_op* op = waiting_.find(id);
    if (!op) {
      queue = &started_in_batch_;
      op = started_in_batch_.find(id);
    }
    if (op) {
      queue->unlink(op);
      lock.unlock();
      op->result = cancelled_result;
      op->complete(op, false);
      return true;
    }
    if ((op = in_kernel_.find(id))) {
      request_cancel(op);
      submit();
      return true;
    }
    return false;
  }

  void cancel_handle(const shared_fd* handle) noexcept override {
    file_op_queue cancelled;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_)
        return;
      auto on_handle = [handle](const file_op* op) { return op->handle == handle; };
      waiting_.move_if(cancelled, on_handle);
      started_in_batch_.move_if(cancelled, on_handle);
      for (file_op* op = in_kernel_.front(); op; op = op->next)
        if (op->handle == handle)
          request_cancel(op);
      submit();
    }
    while (file_op* op = cancelled.pop()) {
      op->result = cancelled_result;
      op->complete(op, false);
    }
  }

  void shutdown() noexcept override {
    file_op_queue dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_ || !ring_open_) {
        stopped_ = true;
        eventfd_.reset();
        close_ring();
        return;
      }
      stopped_ = true;
      dropped.splice(waiting_);
      dropped.splice(started_in_batch_);
      for (file_op* op = in_kernel_.front(); op; op = op->next)
        request_cancel(op);
      submit();
    }
    while (file_op* op = dropped.pop())
      op->destroy(op);
    // The kernel may still write into the operations' buffers: wait for every completion.
    while (!in_kernel_.empty() || cancels_in_kernel_ > 0) {
      io_uring_cqe* cqe = nullptr;
      int r = io_uring_wait_cqe(&ring_, &cqe);
      if (r == -EINTR)
        continue;
      if (r < 0)
        break;
      auto* op = static_cast<file_op*>(io_uring_cqe_get_data(cqe));
      int res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      if (op) {
        in_kernel_.unlink(op);
        op->result = res; // an open that finished gives its descriptor to be closed
        op->destroy(op);
      } else if (cancels_in_kernel_ > 0) {
        --cancels_in_kernel_;
      }
    }
    eventfd_.reset();
    close_ring();
  }

private:
  void close_ring() noexcept {
    if (ring_open_) {
      io_uring_queue_exit(&ring_);
      ring_open_ = false;
    }
  }

  unsigned in_flight() const noexcept { return in_kernel_count_ + cancels_in_kernel_; }

  /// Puts `op` in the ring, or at the back of the waiting queue when there is no room (or when
  /// others wait already: the order is kept). Mutex held.
  void enqueue(file_op* op) noexcept {
    if (!waiting_.empty() || !prepare(op))
      waiting_.push(op);
  }

  void enqueue_all(file_op_queue& ops) noexcept {
    while (file_op* op = ops.pop())
      enqueue(op);
  }

  /// Puts `op` in the submission queue; false when there is no room (in the ring or below the
  /// completion-queue limit). Called with the mutex held.
  bool prepare(file_op* op) noexcept {
    if (in_flight() >= limit_)
      return false;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
      submit();
      sqe = io_uring_get_sqe(&ring_);
      if (!sqe)
        return false;
    }
    const std::uint64_t offset = op->offset == current_position ? ~std::uint64_t(0) : op->offset;
    // A single-buffer request carries a 32-bit length; Linux moves at most this much per call
    // anyway, and the caller sees a short transfer.
    constexpr std::size_t max_transfer = 0x7ffff000;
    const unsigned single_length =
        op->iov_count == 1 ? unsigned(std::min<std::size_t>(op->iov[0].iov_len, max_transfer)) : 0;
    switch (op->opcode) {
    case file_opcode::read:
      if (op->iov_count == 1)
        io_uring_prep_read(sqe, op->fd, op->iov[0].iov_base, single_length, offset);
      else
        io_uring_prep_readv(sqe, op->fd, op->iov, op->iov_count, offset);
      break;
    case file_opcode::write:
      if (op->iov_count == 1)
        io_uring_prep_write(sqe, op->fd, op->iov[0].iov_base, single_length, offset);
      else
        io_uring_prep_writev(sqe, op->fd, op->iov, op->iov_count, offset);
      break;
    case file_opcode::sync_all: io_uring_prep_fsync(sqe, op->fd, 0); break;
    case file_opcode::sync_data: io_uring_prep_fsync(sqe, op->fd, IORING_FSYNC_DATASYNC); break;
    case file_opcode::resize:
      io_uring_prep_rw(ftruncate_opcode, sqe, op->fd, nullptr, 0, op->offset);
      break;
    case file_opcode::allocate:
      io_uring_prep_fallocate(sqe, op->fd, 0, off_t(op->offset), off_t(op->length));
      break;
    case file_opcode::open:
      io_uring_prep_openat(sqe, AT_FDCWD, op->path, open_flags_of(op->flags), mode_t(op->mode));
      // Straight to a kernel worker: io_uring's first, non-blocking try opens with O_NONBLOCK,
      // and a FIFO opened that way does not wait for its writer as open(2) does (whether that
      // try is made depends on the dentry cache, so the behaviour would even vary).
      io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
      break;
    case file_opcode::stat:
      io_uring_prep_statx(sqe, op->fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS,
                          static_cast<struct ::statx*>(op->stat_buffer));
      break;
    case file_opcode::copy_range: io_uring_prep_nop(sqe); break; // routed to the pool, never here
    }
    io_uring_sqe_set_data(sqe, op);
    in_kernel_.push(op);
    ++in_kernel_count_;
    return true;
  }

  /// Asks the kernel to stop `op`; it then completes with -ECANCELED, or with its result when it
  /// had already finished. Called with the mutex held.
  void request_cancel(file_op* op) noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
      submit();
      sqe = io_uring_get_sqe(&ring_);
      if (!sqe)
        return; // the ring is saturated: the operation ends by itself
    }
    io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(op), 0);
    io_uring_sqe_set_data(sqe, nullptr);
    ++cancels_in_kernel_;
    op->cancel_requested = true;
  }

  /// Hands prepared entries to the kernel. Called with the mutex held.
  void submit() noexcept {
    if (io_uring_sq_ready(&ring_) == 0)
      return;
    int r;
    do
      r = io_uring_submit(&ring_);
    while (r == -EINTR);
    // -EAGAIN / -EBUSY: the kernel is short of memory or has completions to flush; the entries
    // stay in the ring and go with the next submission, which the next reap makes.
  }

  /// Waits for the eventfd when operations are in the kernel and nobody waits yet. Called with
  /// the mutex held.
  void arm() {
    if (armed_ || stopped_ || in_flight() == 0)
      return;
    armed_ = true;
    eventfd_->async_read_some(boost::asio::buffer(&eventfd_value_, sizeof eventfd_value_),
                              [this](const boost::system::error_code& ec, std::size_t) { on_wake(ec); });
  }

  /// A request stopped in a blocking wait (an open(2) of a FIFO, in a kernel worker) by our
  /// cancellation can come back with EINTR, or with one of the kernel's internal restart codes
  /// (ERESTARTSYS 512 to ERESTART_RESTARTBLOCK 516), which no caller should see.
  static std::int64_t result_of(const file_op& op, int res) noexcept {
    const bool restart_code = res <= -512 && res >= -516;
    if (restart_code || (res == -EINTR && op.cancel_requested))
      return cancelled_result;
    return res;
  }

  /// Moves finished operations to `done` and waiting ones into the ring. Mutex held.
  void reap(file_op_queue& done) noexcept {
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0, seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      auto* op = static_cast<file_op*>(io_uring_cqe_get_data(cqe));
      if (!op) {
        if (cancels_in_kernel_ > 0)
          --cancels_in_kernel_;
        continue;
      }
      op->result = result_of(*op, cqe->res);
      in_kernel_.unlink(op);
      --in_kernel_count_;
      done.push(op);
    }
    io_uring_cq_advance(&ring_, seen);
    while (file_op* op = waiting_.pop()) {
      if (!prepare(op)) {
        waiting_.push_front(op); // keeps the order
        break;
      }
    }
  }

  void on_wake(const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted)
      return;
    // The eventfd is off while the batches run: completions of the operations started by the
    // handlers are picked up by the next round, without a wake-up of their own.
    io_uring_cq_eventfd_toggle(&ring_, false);
    reaping_backend = this;
    std::size_t handlers = 0;
    for (int round = 0; round < max_reap_rounds; ++round) {
      file_op_queue done, on_the_spot;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_)
          break;
        // A round whose handlers started one or two reads (a chain of reads, one at a time)
        // tries them with preadv2(RWF_NOWAIT) first: a page-cached read is then done without
        // the ring, and its handler runs in the next round. More than that go to the ring
        // together, in one submission.
        if (started_in_batch_.holds_at_most(max_reads_on_the_spot))
          on_the_spot.splice(started_in_batch_);
        else
          enqueue_all(started_in_batch_);
      }
      file_op_queue to_ring;
      while (file_op* op = on_the_spot.pop())
        (read_if_cached(*op) ? done : to_ring).push(op);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        enqueue_all(to_ring);
        // What the last batch of handlers started goes in first: a page-cached read often
        // completes inside the submission, and is then reaped in this same round.
        submit();
        reap(done);
      }
      if (done.empty())
        break;
      while (file_op* op = done.pop()) {
        op->complete(op, true);
        ++handlers;
      }
      if (handlers >= max_handlers_per_wake)
        break;
    }
    reaping_backend = nullptr;
    io_uring_cq_eventfd_toggle(&ring_, true);

    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
    if (stopped_)
      return;
    enqueue_all(started_in_batch_);
    submit();
    // Completions that arrived while the eventfd was off signalled nothing: make sure the next
    // wait sees them.
    if (io_uring_cq_ready(&ring_) > 0)
      ::eventfd_write(eventfd_->native_handle(), 1);
    arm();
  }

  io_uring ring_{};
  bool ring_open_ = false;
  bool has_ftruncate_ = false;
  std::optional<boost::asio::posix::stream_descriptor> eventfd_;
  std::uint64_t eventfd_value_ = 0;

  std::mutex mutex_;
  bool stopped_ = false;
  bool armed_ = false;
  unsigned limit_ = 0;
  unsigned in_kernel_count_ = 0;
  unsigned cancels_in_kernel_ = 0;
  file_op_queue in_kernel_;
  file_op_queue waiting_;
  file_op_queue started_in_batch_; // by handlers of the running batch, not yet placed
};

/// The executor the eventfd is read with: the context's own executor when `ex` is (a strand of)
/// an io_context or thread_pool executor, so that reaping is not serialised with a strand's
/// other work; otherwise `ex` itself.
boost::asio::any_io_executor context_executor(const boost::asio::any_io_executor& ex) {
  using io_executor = boost::asio::io_context::executor_type;
  using pool_executor = boost::asio::thread_pool::executor_type;
  if (auto* e = ex.target<io_executor>())
    return *e;
  if (auto* s = ex.target<boost::asio::strand<io_executor>>())
    return s->get_inner_executor();
  if (auto* e = ex.target<pool_executor>())
    return *e;
  if (auto* s = ex.target<boost::asio::strand<pool_executor>>())
    return s->get_inner_executor();
  return ex;
}

} // namespace

std::unique_ptr<file_backend_base> make_io_uring_backend(const boost::asio::any_io_executor& ex,
                                                         unsigned entries,
                                                         boost::system::error_code& ec) {
  auto backend = std::make_unique<io_uring_backend>();
  if (!backend->open(context_executor(ex), entries, ec))
    return nullptr;
  return backend;
}

} // namespace asio_fswatch::detail

#else

namespace asio_fswatch::detail {

std::unique_ptr<file_backend_base> make_io_uring_backend(const boost::asio::any_io_executor&, unsigned,
                                                         boost::system::error_code& ec) {
  ec = errc::io_uring_unavailable;
  return nullptr;
}

} // namespace asio_fswatch::detail

#endif
