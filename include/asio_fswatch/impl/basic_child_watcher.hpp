// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the template bodies of basic_child_watcher (included by basic_child_watcher.hpp).
#ifndef ASIO_FSWATCH_IMPL_BASIC_CHILD_WATCHER_HPP
#define ASIO_FSWATCH_IMPL_BASIC_CHILD_WATCHER_HPP

#include <asio_fswatch/detail/asio_configuration.hpp>
#include <asio_fswatch/detail/child_wait.hpp>

#include <boost/asio/compose.hpp>

namespace asio_fswatch {

template <typename Executor>
basic_child_watcher<Executor>::basic_child_watcher(const executor_type& ex, const child_watcher_options& options)
    : executor_(ex), waits_(std::make_shared<detail::child_wait_set>()),
      choice_(detail::choose_child_backend(options.backend)) {
  detail::require_same_asio_configuration(detail::this_asio_configuration{});
}

template <typename Executor>
basic_child_watcher<Executor>::basic_child_watcher(basic_child_watcher&& other) noexcept
    : executor_(other.executor_), waits_(std::move(other.waits_)),
      choice_(other.choice_) {}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_child_watcher<Executor>::basic_child_watcher(basic_child_watcher<OtherExecutor>&& other)
    : executor_(other.executor_), waits_(std::move(other.waits_)),
      choice_(other.choice_) {}

template <typename Executor>
basic_child_watcher<Executor>& basic_child_watcher<Executor>::operator=(basic_child_watcher&& other) noexcept {
  if (this != &other)
    take(other);
  return *this;
}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_child_watcher<Executor>& basic_child_watcher<Executor>::operator=(basic_child_watcher<OtherExecutor>&& other) {
  take(other);
  return *this;
}

template <typename Executor>
basic_child_watcher<Executor>::~basic_child_watcher() {
  if (waits_)
    waits_->cancel_all();
}

template <typename Executor>
child_backend basic_child_watcher<Executor>::backend() const noexcept {
  return choice_.error ? child_backend::automatic : choice_.backend;
}

template <typename Executor>
void basic_child_watcher<Executor>::cancel() {
  if (waits_)
    waits_->cancel_all();
}

template <typename Executor>
template <typename WaitToken>
auto basic_child_watcher<Executor>::async_wait(pid_type pid, WaitToken&& token) {
  return start_wait(detail::child_target{pid, false, detail::no_process_handle}, detail::nothing_on_reap(),
                    std::forward<WaitToken>(token));
}

template <typename Executor>
template <typename WaitToken>
auto basic_child_watcher<Executor>::async_wait(process_handle_ref handle, WaitToken&& token) {
  return start_wait(detail::child_target{0, true, handle.handle}, detail::nothing_on_reap(),
                    std::forward<WaitToken>(token));
}

template <typename Executor>
template <typename Process, typename WaitToken, std::enable_if_t<detail::is_process_object<Process>::value, int>>
auto basic_child_watcher<Executor>::async_wait(Process& process, WaitToken&& token) {
  return start_wait(detail::process_target(process), detail::detach_on_reap<Process>{&process},
                    std::forward<WaitToken>(token));
}

template <typename Executor>
template <typename OnReaped, typename WaitToken>
auto basic_child_watcher<Executor>::start_wait(detail::child_target target, OnReaped on_reaped, WaitToken&& token) {
  if (!waits_) // moved from: its wait set is made here, so that the moves need not allocate
    waits_ = std::make_shared<detail::child_wait_set>();
  return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
      detail::child_wait_op<Executor, OnReaped>(executor_, waits_, choice_, target, std::move(on_reaped)), token,
      executor_);
}

template <typename Executor>
template <typename Other>
void basic_child_watcher<Executor>::take(Other& other) {
  if (waits_)
    waits_->cancel_all();
  executor_ = other.executor_;
  waits_ = std::move(other.waits_);
  choice_ = other.choice_;
}

} // namespace asio_fswatch

#endif
