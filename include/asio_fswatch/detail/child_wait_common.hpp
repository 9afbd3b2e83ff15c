// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: what every platform's child wait shares: the choice of mechanism, the
// target of a wait, the set of a watcher's pending waits (which cancel() and the destructor
// reach) and the process objects a watcher accepts.
#ifndef ASIO_FSWATCH_DETAIL_CHILD_WAIT_COMMON_HPP
#define ASIO_FSWATCH_DETAIL_CHILD_WAIT_COMMON_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/exit_status.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio_fswatch::detail {

/// The mechanism a watcher uses, decided when it is constructed.
struct child_backend_choice {
  child_backend backend = child_backend::automatic; // never automatic once chosen
  bool may_fall_back = false; // Linux, chosen automatically: a refused pidfd_open falls back to sigchld
  boost::system::error_code error; // every wait fails with it (invalid_child_backend, backend_unavailable)
};

/// The mechanism whose to_string() is `name` (ASIO_FSWATCH_CHILD_BACKEND's value), other than
/// automatic: true with `backend` set; false for any other text.
inline bool child_backend_named(std::string_view name, child_backend& backend) noexcept {
  for (child_backend b : {child_backend::pidfd, child_backend::sigchld, child_backend::process_handle}) {
    if (name == to_string(b)) {
      backend = b;
      return true;
    }
  }
  return false;
}

/// The mechanism asked for: `wanted`, or for automatic the one ASIO_FSWATCH_CHILD_BACKEND names
/// when it is set (automatic when it is not). A value naming none sets `choice.error`
/// (errc::invalid_child_backend) and gives false.
inline bool asked_child_backend(child_backend& wanted, child_backend_choice& choice) noexcept {
  if (wanted != child_backend::automatic)
    return true;
  const char* env = std::getenv("ASIO_FSWATCH_CHILD_BACKEND");
  if (env == nullptr || *env == '\0' || child_backend_named(env, wanted))
    return true;
  choice.error = errc::invalid_child_backend;
  return false;
}

/// `wanted`, or for automatic: ASIO_FSWATCH_CHILD_BACKEND, else the platform's best.
ASIO_FSWATCH_DECL child_backend_choice choose_child_backend(child_backend wanted) noexcept;

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

/// An I/O object that one wait holds (a pidfd's descriptor, a process handle's object_handle),
/// in its watcher's set, so that cancel() and the destructor reach it.
template <typename IoObject>
struct registered_wait final : child_wait_set::entry {
  template <typename Executor, typename Native>
  registered_wait(const Executor& ex, Native native, std::shared_ptr<child_wait_set> owner_set)
      : object(ex, native), set(std::move(owner_set)) {
    set->add(this);
  }
  ~registered_wait() { set->remove(this); }
  registered_wait(const registered_wait&) = delete;
  registered_wait& operator=(const registered_wait&) = delete;
  void cancel() noexcept override {
    boost::system::error_code ignored;
    object.cancel(ignored);
  }
  IoObject object;
  std::shared_ptr<child_wait_set> set;
};

/// What a wait is on: a pid, or a process handle the caller keeps.
struct child_target {
  pid_type pid = 0;
  bool by_handle = false;
  native_process_handle handle = no_process_handle; // borrowed, when by_handle
};

/// Called once the child was reaped by the wait; the default does nothing.
struct nothing_on_reap {
  void operator()() const noexcept {}
};

/// A process object the watcher can wait on (Boost.Process v2's basic_process): it has id() and
/// native_handle(), and detach(), which the watcher calls once the child ended and was reaped,
/// so that the object never signals or waits on a pid that may be reused.
template <typename T, typename = void>
struct is_process_object : std::false_type {};
template <typename T>
struct is_process_object<T, std::void_t<decltype(pid_type(std::declval<T&>().id())),
                                        decltype(std::declval<T&>().native_handle()),
                                        decltype(std::declval<T&>().detach())>> : std::true_type {};

template <typename Process>
struct detach_on_reap {
  Process* process;
  void operator()() const { process->detach(); }
};

} // namespace asio_fswatch::detail

#endif
