// SPDX-License-Identifier: BSL-1.0
// The core of basic_directory_monitor (monitor_core.hpp): async_add, whose scan runs in slices of
// about a millisecond on the monitor's executor (watch_engine::begin_add, continue_add).
#include "monitor_core.hpp"
#include "root_text.hpp"

namespace asio_fswatch::detail {

void monitor_impl::async_add(const std::filesystem::path& path, const watch_options& options, add_handler handler) {
  lock_guard lock(mutex_);
  sys::error_code ec = closed_ ? sys::error_code(errc::monitor_closed) : sys::error_code();
  std::string normal;
  if (!ec)
    normal = root_text(path, ec);
  if (!ec && !engine_)
    ec = open_backend();
  std::uint64_t id = 0;
  if (!ec)
    ec = engine_->begin_add(normal, options, time_sample::now(), id);
  if (ec) {
    asio::post(executor_, asio::append(std::move(handler), ec));
    return;
  }
  auto op = std::make_unique<add_operation>(std::move(handler));
  op->work = asio::prefer(asio::get_associated_executor(op->handler, candidate_executor_),
                          asio::execution::outstanding_work.tracked);
  op->slot = asio::get_associated_cancellation_slot(op->handler);
  if (op->slot.is_connected()) {
    // Every type: the partial root goes, with everything of it; nothing of it was reported.
    op->slot.assign([weak = weak_from_this(), id](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none)
        return;
      if (auto self = weak.lock()) {
        lock_guard relock(self->mutex_);
        self->abandon_add(id);
      }
    });
  }
  adds_.emplace(id, std::move(op));
  post_add_slice(id);
  arm(); // records of the directories watched so far are handled between slices
}

void monitor_impl::run_add_slice(std::uint64_t id) {
  as_io_completion([&] {
    auto it = adds_.find(id);
    if (it == adds_.end() || !engine_)
      return; // cancelled or closed meanwhile: completed then
    sys::error_code ec;
    const auto deadline = std::chrono::steady_clock::now() + add_slice;
    switch (engine_->continue_add(id, deadline, time_sample::now(), ec)) {
    case watch_engine::add_step::more:
      post_add_slice(id);
      progress(); // what the slice's look at the kernel brought other roots, for a read
      return;
    case watch_engine::add_step::after_moves:
      progress(); // first: it would post this add's next slice at once
      it->second->after_moves = true; // the timer or a read resolves them (progress)
      return;
    case watch_engine::add_step::done:
      finish_add(id, ec);
      progress(); // its events, for a pending read
      return;
    }
  });
}

void monitor_impl::resume_adds_after_moves() {
  for (auto& [id, op] : adds_)
    if (op->after_moves) {
      op->after_moves = false;
      post_add_slice(id);
    }
}

void monitor_impl::finish_add(std::uint64_t id, sys::error_code ec) {
  auto it = adds_.find(id);
  if (it == adds_.end())
    return;
  std::unique_ptr<add_operation> op = std::move(it->second);
  adds_.erase(it);
  if (op->slot.is_connected())
    op->slot.clear();
  if (in_io_completion_)
    ready_adds_.push_back(finished_add{std::move(op->handler), ec});
  else
    asio::post(executor_, asio::append(std::move(op->handler), ec));
  if (adds_.empty() && pending_ == pending_kind::none)
    disarm(); // nothing waits any more: the context's run() may return
}

void monitor_impl::abandon_add(std::uint64_t id) {
  if (adds_.find(id) == adds_.end())
    return;
  if (engine_)
    engine_->abandon_add(id);
  finish_add(id, asio::error::operation_aborted);
}

void monitor_handle::async_add(const std::filesystem::path& path, const watch_options& options,
                               add_handler handler) {
  if (!impl_) {
    asio::post(executor_, asio::append(std::move(handler), sys::error_code(errc::monitor_closed)));
    return;
  }
  impl_->async_add(path, options, std::move(handler));
}

} // namespace asio_fswatch::detail
