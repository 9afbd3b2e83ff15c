// The thread-pool file backend: a bounded set of threads doing the blocking system calls. The
// threads start on demand and block every signal; a request that has not started can be
// cancelled, one that is running runs to its end.
#include "../file_op_queue.hpp"

#include <asio_fswatch/detail/file_service.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace asio_fswatch::detail {
namespace {

std::int64_t negative_errno() noexcept { return -std::int64_t(errno); }

/// Runs one request with blocking system calls; EINTR is retried.
std::int64_t perform(const file_op& op) noexcept {
  long r = 0;
  do {
    switch (op.opcode) {
    case file_opcode::read:
      r = op.offset == current_position ? ::readv(op.fd, op.iov, op.iov_count)
                                        : ::preadv(op.fd, op.iov, op.iov_count, off_t(op.offset));
      break;
    case file_opcode::write:
      r = op.offset == current_position ? ::writev(op.fd, op.iov, op.iov_count)
                                        : ::pwritev(op.fd, op.iov, op.iov_count, off_t(op.offset));
      break;
    case file_opcode::sync_all: r = ::fsync(op.fd); break;
    case file_opcode::sync_data: r = ::fdatasync(op.fd); break;
    case file_opcode::resize: r = ::ftruncate(op.fd, off_t(op.offset)); break;
    case file_opcode::allocate: r = ::fallocate(op.fd, 0, off_t(op.offset), off_t(op.length)); break;
    case file_opcode::open: r = ::openat(AT_FDCWD, op.path, op.flags, mode_t(op.mode)); break;
    case file_opcode::stat:
      r = ::statx(op.fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, op.stat_buffer);
      break;
    case file_opcode::copy_range: {
      loff_t in = loff_t(op.offset), out = loff_t(op.offset2);
      r = ::copy_file_range(op.fd, &in, op.fd2, &out, std::size_t(op.length), 0);
      break;
    }
    }
    // A positional transfer on a pipe, FIFO or tty: io_uring ignores the offset of a
    // descriptor that has none, and so does the pool, so that both backends behave alike.
    if (r < 0 && errno == ESPIPE && op.offset != current_position &&
        (op.opcode == file_opcode::read || op.opcode == file_opcode::write))
      r = op.opcode == file_opcode::read ? ::readv(op.fd, op.iov, op.iov_count)
                                         : ::writev(op.fd, op.iov, op.iov_count);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? negative_errno() : std::int64_t(r);
}

class thread_pool_backend final : public file_backend_base {
public:
  explicit thread_pool_backend(std::size_t max_threads) : max_threads_(max_threads) {}
  ~thread_pool_backend() override { shutdown(); }

  file_backend_kind kind() const noexcept override { return file_backend_kind::threads; }
  bool supports(file_opcode) const noexcept override { return true; }

  void start(file_op* op) override {
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push(op);
    if (idle_ == 0 && threads_.size() < max_threads_) {
      try {
        spawn();
        return;
      } catch (...) {
        if (threads_.empty()) {
          // No thread can run it: fail the request rather than leave it queued for ever.
          queue_.unlink(op);
          lock.unlock();
          op->result = -EAGAIN;
          op->complete(op, false);
          return;
        }
      }
    }
    wake_.notify_one();
  }

  bool cancel(std::uint64_t id) noexcept override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (file_op* op = queue_.find(id)) {
      queue_.unlink(op);
      lock.unlock();
      op->result = -ECANCELED;
      op->complete(op, false);
      return true;
    }
    for (const file_op* op : running_)
      if (op->id == id)
        return true;
    return false;
  }

  void cancel_handle(const shared_fd* handle) noexcept override {
    file_op_queue cancelled;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.move_if(cancelled, [handle](const file_op* op) { return op->handle == handle; });
    }
    while (file_op* op = cancelled.pop()) {
      op->result = -ECANCELED;
      op->complete(op, false);
    }
  }

  void shutdown() noexcept override {
    file_op_queue dropped;
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
      dropped.splice(queue_);
      threads.swap(threads_);
    }
    wake_.notify_all();
    while (file_op* op = dropped.pop())
      op->destroy(op);
    for (std::thread& t : threads)
      if (t.joinable())
        t.join();
  }

private:
  void spawn() {
    // The thread starts with every signal blocked, so that signals keep going to the
    // application's own threads.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    try {
      threads_.emplace_back([this] { run(); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    pthread_setname_np(threads_.back().native_handle(), "asio_fswatch io");
  }

  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      --idle_;
      if (stopped_)
        return;
      file_op* op = queue_.pop();
      running_.push_back(op);
      lock.unlock();

      op->result = perform(*op);

      lock.lock();
      for (auto it = running_.begin(); it != running_.end(); ++it) {
        if (*it == op) {
          *it = running_.back();
          running_.pop_back();
          break;
        }
      }
      bool stopped = stopped_;
      lock.unlock();
      if (stopped)
        op->destroy(op);
      else
        op->complete(op, false);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  file_op_queue queue_;
  std::vector<file_op*> running_;
  std::vector<std::thread> threads_;
  std::size_t max_threads_;
  std::size_t idle_ = 0;
  bool stopped_ = false;
};

} // namespace

std::unique_ptr<file_backend_base> make_thread_pool_backend(std::size_t threads) {
  return std::make_unique<thread_pool_backend>(threads < 1 ? 1 : threads);
}

} // namespace asio_fswatch::detail
