// The thread-pool file backend: a bounded set of threads doing the blocking system calls (the
// platform's, in posix/ and win/: file_perform.hpp). The threads start on demand and take no
// signal; a request that has not started can be cancelled, one that is running runs to its end.
#include "file_op_queue.hpp"
#include "file_perform.hpp"

#include <asio_fswatch/detail/file_service.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace asio_fswatch::detail {
namespace {

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
          op->result = no_thread_result();
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
      op->result = cancelled_result;
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
      op->result = cancelled_result;
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
  void spawn() { threads_.push_back(start_pool_thread([this] { run(); })); }

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
