// The thread-pool file backend: a bounded set of threads doing the blocking system calls (the
// platform's, in posix/ and win/: file_perform.hpp). The threads start on demand and take no
// signal. A request that has not started can be cancelled; one that is running runs to its end,
// unless it is interruptible (a read of a pipe or a console on Windows, which may wait for ever):
// its blocking call is then interrupted.
#include "file_op_queue.hpp"
#include "file_perform.hpp"

#include <asio_fswatch/detail/file_service.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
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
    for (worker* w : running_)
      if (w->op->id == id) {
        interrupt(*w);
        return true;
      }
    return false;
  }

  void cancel_handle(const shared_fd* handle) noexcept override {
    file_op_queue cancelled;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.move_if(cancelled, [handle](const file_op* op) { return op->handle == handle; });
      for (worker* w : running_)
        if (w->op->handle == handle)
          interrupt(*w);
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
      for (worker* w : running_)
        interrupt(*w); // else joining would wait for a pipe's writer
    }
    wake_.notify_all();
    while (file_op* op = dropped.pop())
      op->destroy(op);
    for (std::thread& t : threads)
      if (t.joinable())
        t.join();
  }

private:
  /// A pool thread running a request.
  struct worker {
    explicit worker(std::uintptr_t self) noexcept : thread(self) {}
    file_op* op = nullptr;
    std::uintptr_t thread;               // as interrupt_blocking_call() names it
    std::atomic<bool> in_perform{false}; // cleared (without the mutex) as soon as perform() returns
  };

  /// Stops `w`'s request when it may block for ever. The interruption is repeated until the call
  /// has returned, because it may land just before the blocking call starts (perform() tests
  /// stop_requested between its calls, so it does not start another one); bounded, so that a
  /// call the system cannot interrupt delays the canceller by a few milliseconds at most. Mutex
  /// held: `w` and its request stay alive.
  static void interrupt(worker& w) noexcept {
    if (!w.op->interruptible || w.thread == 0)
      return; // 0: the platform cannot interrupt (POSIX, where nothing on the pool waits for ever)
    w.op->stop_requested.store(true, std::memory_order_release);
    for (int attempt = 0; attempt < 2000 && w.in_perform.load(std::memory_order_acquire); ++attempt) {
      interrupt_blocking_call(w.thread);
      std::this_thread::yield();
    }
  }

  void spawn() { threads_.push_back(start_pool_thread([this] { run(); })); }

  void run() {
    worker me(current_pool_thread());
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      --idle_;
      if (stopped_)
        break;
      file_op* op = queue_.pop();
      me.op = op;
      me.in_perform.store(true, std::memory_order_relaxed);
      running_.push_back(&me);
      lock.unlock();

      op->result = perform(*op);
      me.in_perform.store(false, std::memory_order_release);

      lock.lock();
      for (worker*& w : running_)
        if (w == &me) {
          w = running_.back();
          running_.pop_back();
          break;
        }
      bool stopped = stopped_;
      lock.unlock();
      if (stopped)
        op->destroy(op);
      else
        op->complete(op, false);
      lock.lock();
    }
    lock.unlock();
    forget_pool_thread(me.thread);
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  file_op_queue queue_;
  std::vector<worker*> running_; // each on its thread's stack
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
