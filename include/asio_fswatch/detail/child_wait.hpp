// asio_fswatch, private: one wait for a child process (pidfd in the reactor), and the set of a
// watcher's pending waits, which cancel() and the destructor reach.
#ifndef ASIO_FSWATCH_DETAIL_CHILD_WAIT_HPP
#define ASIO_FSWATCH_DETAIL_CHILD_WAIT_HPP

#include <asio_fswatch/exit_status.hpp>

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/posix/basic_stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <sys/types.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace asio_fswatch::detail {

/// pidfd_open(pid, 0): a descriptor, or -1 with errno set.
int open_pidfd(pid_t pid) noexcept;

/// Whether the child behind `pidfd` has ended, without reaping it: 1 ended, 0 still running,
/// or an error (ECHILD: not a child of this process).
int child_state(int pidfd, boost::system::error_code& ec) noexcept;

/// Reaps the child behind `pidfd` when it has ended: true with `status` set; false when it has
/// not ended yet, or with `ec` set.
bool reap_child(int pidfd, exit_status& status, boost::system::error_code& ec) noexcept;

class child_wait_set {
public:
  struct entry {
    virtual void cancel() noexcept = 0;

  protected:
    ~entry() = default;
  };

  void add(entry* e) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back(e);
  }
  void remove(entry* e) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
  }
  void cancel_all() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    for (entry* e : entries_)
      e->cancel();
  }

private:
  std::mutex mutex_;
  std::vector<entry*> entries_;
};

/// The composed operation behind basic_child_watcher::async_wait.
template <typename Executor>
class child_wait_op {
public:
  child_wait_op(const Executor& ex, std::shared_ptr<child_wait_set> set, pid_t pid)
      : ex_(ex), set_(std::move(set)), pid_(pid) {}

  /// Start, or (after the post of an early error) finish.
  template <typename Self>
  void operator()(Self& self) {
    if (step_ == step::posted)
      return self.complete(early_, exit_status());
    // Ending the wait leaves the child as it was, so every kind of cancellation is fine.
    self.reset_cancellation_state(boost::asio::enable_total_cancellation());
    if (pid_ <= 0) {
      early_.assign(EINVAL, boost::system::system_category());
      return post_early(self);
    }
    int fd = open_pidfd(pid_);
    if (fd < 0) {
      early_.assign(errno, boost::system::system_category());
      return post_early(self);
    }
    state_ = std::make_unique<state>(ex_, fd, set_);
    // Not our child (or reaped already): say so now, not when that process ends.
    child_state(fd, early_);
    if (early_) {
      state_.reset();
      return post_early(self);
    }
    wait(self);
  }

  /// The pidfd is readable (the child ended), or the wait was cancelled.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec) {
    exit_status status;
    if (!ec && !reap_child(state_->descriptor.native_handle(), status, ec) && !ec)
      return wait(self); // woken early: wait again
    state_.reset();
    self.complete(ec, status);
  }

private:
  enum class step { start, posted, waiting };

  struct state final : child_wait_set::entry {
    state(const Executor& ex, int fd, std::shared_ptr<child_wait_set> owner_set)
        : descriptor(ex, fd), set(std::move(owner_set)) {
      set->add(this);
    }
    ~state() { set->remove(this); }
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    void cancel() noexcept override {
      boost::system::error_code ignored;
      descriptor.cancel(ignored);
    }
    boost::asio::posix::basic_stream_descriptor<Executor> descriptor;
    std::shared_ptr<child_wait_set> set;
  };

  template <typename Self>
  void wait(Self& self) {
    step_ = step::waiting;
    state_->descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read, std::move(self));
  }

  template <typename Self>
  void post_early(Self& self) {
    step_ = step::posted;
    boost::asio::post(ex_, std::move(self)); // never complete inside the initiating call
  }

  Executor ex_;
  std::shared_ptr<child_wait_set> set_;
  pid_t pid_;
  step step_ = step::start;
  boost::system::error_code early_;
  std::unique_ptr<state> state_;
};

} // namespace asio_fswatch::detail

#endif
