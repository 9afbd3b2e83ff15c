// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: a wait for a process on Windows: its HANDLE in a
// boost::asio::windows::object_handle, then its exit code.
#ifndef ASIO_FSWATCH_DETAIL_WIN_CHILD_WAIT_HPP
#define ASIO_FSWATCH_DETAIL_WIN_CHILD_WAIT_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/detail/child_wait_common.hpp>
#include <asio_fswatch/detail/completion.hpp>

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/windows/basic_object_handle.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <utility>

namespace asio_fswatch::detail {

/// OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION) of `pid`; null with `ec` set
/// (errc::no_such_process when no process has that id, errc::invalid_argument for 0).
ASIO_FSWATCH_DECL native_process_handle open_process(pid_type pid, boost::system::error_code& ec) noexcept;

/// A duplicate of the caller's process handle `handle` with the same access; null with `ec` set.
ASIO_FSWATCH_DECL native_process_handle duplicate_process_handle(native_process_handle handle, boost::system::error_code& ec) noexcept;

/// Whether the process behind `handle` has ended: true with `status` set (from its exit code);
/// false when it still runs, or with `ec` set. See exit_status::from_windows_exit_code.
ASIO_FSWATCH_DECL bool process_ended(native_process_handle handle, exit_status& status, boost::system::error_code& ec) noexcept;

/// The composed operation behind basic_child_watcher::async_wait on Windows.
template <typename Executor, typename OnReaped = nothing_on_reap>
class win_child_wait_op {
public:
  win_child_wait_op(const Executor& ex, std::shared_ptr<child_wait_set> set, const child_backend_choice& choice,
                    child_target target, OnReaped on_reaped = OnReaped())
      : ex_(ex), set_(std::move(set)), choice_(choice), target_(target), on_reaped_(std::move(on_reaped)) {}

  template <typename Self>
  void operator()(Self& self) {
    // Ending the wait leaves the process as it was, so every kind of cancellation is fine.
    self.reset_cancellation_state(boost::asio::enable_total_cancellation());
    if (choice_.error)
      return complete_soon(ex_, self, choice_.error, exit_status());
    boost::system::error_code ec;
    native_process_handle handle =
        target_.by_handle ? duplicate_process_handle(target_.handle, ec) : open_process(target_.pid, ec);
    if (ec)
      return complete_soon(ex_, self, ec, exit_status());
    handle_ = std::make_unique<handle_entry>(ex_, handle, set_);
    // Ended already: said now, with no wait registered.
    exit_status status;
    if (process_ended(handle, status, ec) || ec) {
      handle_.reset();
      if (!ec)
        on_reaped_();
      return complete_soon(ex_, self, ec, status);
    }
    // Asio's object_handle has no per-operation cancellation: each wait has an object of its
    // own, and the slot cancels that object.
    boost::asio::cancellation_slot slot = self.get_cancellation_state().slot();
    if (slot.is_connected())
      slot.template emplace<canceller>(canceller{handle_.get()});
    handle_entry* entry = handle_.get();
    entry->object.async_wait(std::move(self));
  }

  /// The handle was signalled (the process ended), or the wait was cancelled.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec) {
    self.get_cancellation_state().slot().clear();
    exit_status status;
    if (!ec && !process_ended(handle_->object.native_handle(), status, ec) && !ec)
      ec = boost::asio::error::operation_aborted; // signalled but running: never, for a process
    std::unique_ptr<handle_entry> done = std::move(handle_);
    if (!ec)
      on_reaped_();
    self.complete(ec, status);
  }

private:
  using handle_entry = registered_wait<boost::asio::windows::basic_object_handle<Executor>>;

  struct canceller {
    handle_entry* entry;
    void operator()(boost::asio::cancellation_type_t) const { entry->cancel(); }
  };

  Executor ex_;
  std::shared_ptr<child_wait_set> set_;
  child_backend_choice choice_;
  child_target target_;
  OnReaped on_reaped_;
  std::unique_ptr<handle_entry> handle_;
};

/// What a wait on a process object is on: its handle (duplicated; the object keeps its own),
/// which names the process even after it ended, where a pid may already name another.
template <typename Process>
child_target process_target(Process& process) {
  return child_target{pid_type(process.id()), true, native_process_handle(process.native_handle())};
}

} // namespace asio_fswatch::detail

#endif
