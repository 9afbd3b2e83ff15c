// SPDX-License-Identifier: BSL-1.0
// The thread-pool file backend: a bounded set of threads doing the blocking system calls (the
// platform's, in posix/ and win/: file_perform.hpp). The threads start on demand and take no
// signal. A request that has not started can be cancelled; one that is running runs to its end,
// unless it is interruptible (a read of a pipe or a console on Windows, which may wait for ever):
// its blocking call is then interrupted.
#include "file_op_queue.hpp"
#include "file_perform.hpp"

#include <asio_fswatch/detail/file_service.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
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
        const interruption pending = interrupt(*w);
        lock.unlock();
        pending.finish();
        return true;
      }
    return false;
  }

  void cancel_handle(const shared_fd* handle) noexcept override {
    file_op_queue cancelled;
    std::vector<interruption> pending;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.move_if(cancelled, [handle](const file_op* op) { return op->handle == handle; });
      for (worker* w : running_)
        if (w->op->handle == handle)
          pending.push_back(interrupt(*w));
    }
    for (const interruption& i : pending)
      i.finish();
    while (file_op* op = cancelled.pop()) {
      op->result = cancelled_result;
      op->complete(op, false);
    }
  }

  void shutdown() noexcept override {
    file_op_queue dropped;
    std::vector<std::thread> threads;
    std::vector<std::unique_ptr<worker>> workers;
    std::vector<interruption> pending;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
      dropped.splice(queue_);
      threads.swap(threads_);
      workers.swap(workers_);
      for (worker* w : running_)
        pending.push_back(interrupt(*w)); // else joining would wait for a pipe's writer
    }
    wake_.notify_all();
    for (const interruption& i : pending)
      i.finish();
    while (file_op* op = dropped.pop())
      op->destroy(op);
    for (std::thread& t : threads)
      if (t.joinable())
        t.join();
    for (const std::unique_ptr<worker>& w : workers)
      forget_pool_thread(w->thread.load()); // after the join: nobody interrupts it any more
  }

private:
  /// A pool thread; the pool owns it (its address stays valid until shutdown() has joined it).
  struct worker {
    file_op* op = nullptr;                 // the request it runs (mutex)
    std::atomic<std::uintptr_t> thread{0}; // as interrupt_blocking_call() names it; 0: cannot
    std::atomic<std::uint64_t> serial{0};  // counts its requests
    std::atomic<bool> in_perform{false};   // cleared (without the mutex) as soon as perform() returns
  };

  /// An interruption to carry out once the mutex is released: `w` while it still runs request
  /// number `serial`.
  struct interruption {
    worker* w = nullptr;
    std::uint64_t serial = 0;

    /// Interrupts the blocking call again and again until it has returned, because the first
    /// may land just before the call starts (perform() tests stop_requested between its calls,
    /// so it starts no other); for at most a second, in case the system cannot interrupt it. A
    /// worker that has moved on to another request meanwhile is left alone (an interruption
    /// that still hits it is undone there: perform() retries a call aborted without a stop
    /// request).
    void finish() const noexcept {
      if (!w)
        return;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      for (int attempt = 0; w->serial.load(std::memory_order_acquire) == serial &&
                            w->in_perform.load(std::memory_order_acquire) &&
                            std::chrono::steady_clock::now() < deadline;
           ++attempt) {
        interrupt_blocking_call(w->thread.load(std::memory_order_relaxed));
        if (attempt < 16)
          std::this_thread::yield();
        else
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  };

  /// Asks `w`'s request to stop when it may block for ever. Mutex held; the caller runs the
  /// returned interruption after releasing it.
  static interruption interrupt(worker& w) noexcept {
    const std::uintptr_t thread = w.thread.load(std::memory_order_relaxed);
    if (!w.op->interruptible || thread == 0)
      return {}; // 0: the platform cannot interrupt (POSIX, where nothing on the pool waits for ever)
    w.op->stop_requested.store(true, std::memory_order_release);
    return {&w, w.serial.load(std::memory_order_relaxed)};
  }

  void spawn() {
    workers_.push_back(std::make_unique<worker>());
    worker* w = workers_.back().get();
    try {
      threads_.push_back(start_pool_thread([this, w] { run(*w); }));
    } catch (...) {
      workers_.pop_back();
      throw;
    }
  }

  void run(worker& me) {
    me.thread.store(current_pool_thread(), std::memory_order_relaxed);
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      --idle_;
      if (stopped_)
        return;
      file_op* op = queue_.pop();
      me.op = op;
      me.serial.fetch_add(1, std::memory_order_relaxed);
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
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  file_op_queue queue_;
  std::vector<worker*> running_;
  std::vector<std::unique_ptr<worker>> workers_; // one per thread, in the order of threads_
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
