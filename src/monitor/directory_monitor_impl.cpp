// SPDX-License-Identifier: BSL-1.0
// The core of basic_directory_monitor (monitor_core.hpp): its roots, its reads, the kernel wait
// and the timer; and the handle the I/O object holds. Adds in slices: monitor_async_add.cpp.
#include "monitor_core.hpp"
#include "root_text.hpp"

namespace asio_fswatch::detail {

void monitor_impl::add(const std::filesystem::path& path, const watch_options& options, sys::error_code& ec) {
  lock_guard lock(mutex_);
  if (closed_) {
    ec = errc::monitor_closed;
    return;
  }
  std::string normal = root_text(path, ec);
  if (ec)
    return;
  if (!engine_ && (ec = open_backend()))
    return;
  ec = engine_->add_root(normal, options, time_sample::now());
  if (!ec && pending_ != pending_kind::none)
    progress();
}

void monitor_impl::remove(const std::filesystem::path& path, sys::error_code& ec) {
  lock_guard lock(mutex_);
  std::string normal = root_text(path, ec);
  if (ec)
    return;
  if (!engine_) {
    ec = closed_ ? sys::error_code(errc::monitor_closed) : sys::error_code(errc::not_watched);
    return;
  }
  ec = engine_->remove_root(normal);
  if (!ec)
    progress(); // a read may be answered; an add of the root ends in its next slice
}

std::vector<std::filesystem::path> monitor_impl::roots() const {
  lock_guard lock(mutex_);
  std::vector<std::filesystem::path> out;
  if (engine_)
    for (std::string& p : engine_->root_paths()) {
      out.push_back(path_from_text(std::move(p)));
#if defined(_WIN32)
      out.back().make_preferred(); // as the events' paths and root
#endif
    }
  return out;
}

monitor_stats monitor_impl::stats() const {
  lock_guard lock(mutex_);
  monitor_stats out;
  if (engine_) {
    out = engine_->stats();
    out.events_delivered = events_delivered_;
  }
  return out;
}

void monitor_impl::close() {
  lock_guard lock(mutex_);
  closed_ = true;
  cancel_pending();
  cancel_adds();
  release_kernel_objects();
}

void monitor_impl::async_read_events(read_events_handler handler) {
  lock_guard lock(mutex_);
  if (sys::error_code ec = refuse_start()) {
    asio::post(executor_, asio::append(std::move(handler), ec, std::vector<fs_event>{}));
    return;
  }
  batch_handler_.emplace(std::move(handler));
  start_pending(pending_kind::batch, *batch_handler_);
}

void monitor_impl::async_next(next_event_handler handler) {
  lock_guard lock(mutex_);
  if (sys::error_code ec = refuse_start()) {
    asio::post(executor_, asio::append(std::move(handler), ec, fs_event{}));
    return;
  }
  next_handler_.emplace(std::move(handler));
  start_pending(pending_kind::single, *next_handler_);
}

void monitor_impl::shutdown() {
  std::optional<read_events_handler> batch;
  std::optional<next_event_handler> single;
  std::map<std::uint64_t, std::unique_ptr<add_operation>> adds;
  asio::any_completion_executor handler_work;
  {
    lock_guard lock(mutex_);
    if (slot_.is_connected())
      slot_.clear();
    if (batch_handler_)
      batch.emplace(std::move(*batch_handler_));
    if (next_handler_)
      single.emplace(std::move(*next_handler_));
    batch_handler_.reset();
    next_handler_.reset();
    handler_work = std::move(handler_work_);
    handler_work_ = {};
    io_work_ = {};
    pending_ = pending_kind::none;
    for (auto& [id, op] : adds_)
      if (op->slot.is_connected())
        op->slot.clear();
    adds.swap(adds_);
  }
}

asio::any_completion_executor monitor_impl::as_completion_executor(const asio::any_io_executor& ex) {
  // The usual target fits in the small buffer of any executor: unwrapped, it needs no
  // shared target at all.
  if (const auto* target = ex.target<asio::io_context::executor_type>())
    return asio::any_completion_executor(*target);
  return asio::any_completion_executor(ex);
}

sys::error_code monitor_impl::open_backend() {
  if (choice_error_)
    return choice_error_;
  const bool automatic = options_.backend == backend::automatic;
  edge_sink sink = [weak = weak_from_this()](edge_work work) {
    if (auto self = weak.lock())
      self->on_edge_completion(work);
  };
  if (sys::error_code ec = edge_.open(mode_, automatic, std::move(sink)))
    return ec;
  engine_ = std::make_unique<watch_engine>(edge_.files(), edge_.policy(), options_);
  last_poll_ = std::chrono::steady_clock::now();
  return {};
}

sys::error_code monitor_impl::refuse_start() const {
  if (closed_)
    return errc::monitor_closed;
  if (pending_ != pending_kind::none)
    return asio::error::already_started;
  return {};
}

void monitor_impl::progress() {
  resume_adds_after_moves();
  if (pending_ == pending_kind::none) {
    if (!adds_.empty())
      arm();
    return;
  }
  if (engine_ && !engine_->has_output())
    run_due_work();
  if (engine_ && engine_->has_output()) {
    deliver();
    return;
  }
  arm();
}

void monitor_impl::run_due_work() {
  time_sample now = time_sample::now();
  // A held move is due: the other half may be queued in the kernel already (the read that
  // took the first half raced the rename, and the reader was slow to come back). Take what
  // is queued first; what remains due after that has really gone unanswered.
  sys::error_code ignored; // the readiness wait reports a failing read
  if (auto due = engine_->next_deadline();
      due && *due <= now.steady && !edge_.take_queued(*engine_, max_reads_per_wakeup, ignored))
    return; // more is queued than one wake-up reads: the next wake-up takes the rest first
  engine_->on_timer(now);
  if (mode_ == backend::poll && now.steady >= last_poll_ + options_.poll_interval) {
    engine_->poll(now);
    last_poll_ = std::chrono::steady_clock::now();
  }
  if (engine_->settling())
    engine_->settle_step(std::chrono::steady_clock::now()); // the held batch, when due
}

void monitor_impl::deliver() {
  const fs_event& front = engine_->front();
  if (front.kind == event_kind::error && front.error == errc::root_removed) {
    engine_->pop();
    complete(errc::root_removed, {});
    return;
  }
  std::vector<fs_event> batch;
  std::size_t limit = pending_ == pending_kind::single ? 1 : std::max<std::size_t>(options_.max_batch, 1);
  while (batch.size() < limit && engine_->has_output()) {
    const fs_event& next = engine_->front();
    if (next.kind == event_kind::error && next.error == errc::root_removed)
      break;
    batch.push_back(engine_->pop());
    ++events_delivered_;
#if defined(_WIN32)
    // The engine's paths have '/' between their parts; a Windows reader expects '\'.
    batch.back().path.make_preferred();
    batch.back().old_path.make_preferred();
#endif
  }
  complete({}, std::move(batch));
}

void monitor_impl::complete(sys::error_code ec, std::vector<fs_event> events) {
  if (slot_.is_connected())
    slot_.clear();
  slot_ = {};
  completion done;
  done.kind = pending_;
  done.ec = ec;
  done.events = std::move(events);
  if (batch_handler_)
    done.batch.emplace(std::move(*batch_handler_));
  if (next_handler_)
    done.single.emplace(std::move(*next_handler_));
  pending_ = pending_kind::none;
  batch_handler_.reset();
  next_handler_.reset();
  handler_work_ = {};
  io_work_ = {};
  if (adds_.empty())
    disarm();
  if (in_io_completion_)
    ready_.emplace(std::move(done));
  else
    std::move(done).post(executor_);
}

void monitor_impl::arm() {
  if (!engine_)
    return;
  if (engine_->has_roots())
    edge_.arm();
  std::optional<std::chrono::steady_clock::time_point> deadline = engine_->next_deadline();
  if (auto check = engine_->next_identity_check(); check && (!deadline || *check < *deadline))
    deadline = check;
  if (mode_ == backend::poll && engine_->has_roots()) {
    auto next_poll = last_poll_ + options_.poll_interval;
    if (!deadline || next_poll < *deadline)
      deadline = next_poll;
  }
  if (deadline && (!timer_armed_ || *deadline < timer_deadline_)) {
    timer_armed_ = true;
    timer_deadline_ = *deadline;
    timer_.expires_at(*deadline);
    timer_.async_wait([self = shared_from_this()](sys::error_code ec) { self->on_timer(ec); });
  }
}

void monitor_impl::on_edge_completion(const edge_work& work) {
  as_io_completion([&] {
    if (!engine_)
      return;
    if (sys::error_code ec = work(*engine_)) {
      if (pending_ != pending_kind::none)
        complete(ec, {});
      return;
    }
    progress(); // re-arms if an operation is still (or newly) pending
  });
}

void monitor_impl::on_timer(sys::error_code ec) {
  // Aborted: arm() moved the deadline earlier (expires_at cancels the wait it replaces), or the
  // wait was stopped. The wait that replaced it is its own; running this one too re-armed the
  // timer at once, whose new wait cancelled this one's successor, and so on: a busy loop until
  // the deadline passed (met once settling moved deadlines earlier).
  if (ec == asio::error::operation_aborted)
    return;
  as_io_completion([&] {
    timer_armed_ = false;
    if (!engine_)
      return;
    run_due_work();
    progress();
  });
}

void monitor_service::shutdown() {
  std::unordered_set<monitor_impl*> impls;
  {
    lock_guard lock(mutex_);
    impls = impls_;
  }
  for (monitor_impl* impl : impls)
    impl->shutdown();
}

// ---------------------------------------------------------------------------------------------

monitor_handle::monitor_handle(const asio::any_io_executor& ex, const monitor_options& options)
    : executor_(ex), impl_(std::make_shared<monitor_impl>(ex, options)) {}

monitor_handle& monitor_handle::operator=(monitor_handle&& other) noexcept {
  if (this != &other) {
    if (impl_)
      impl_->close();
    impl_ = std::move(other.impl_);
    executor_ = other.executor_;
  }
  return *this;
}

monitor_handle::~monitor_handle() {
  if (impl_)
    impl_->close();
}

backend monitor_handle::active_backend() const noexcept {
  return impl_ ? impl_->active_backend() : backend::automatic;
}

void monitor_handle::add(const std::filesystem::path& path, const watch_options& options,
                         sys::error_code& ec) {
  if (!impl_) {
    ec = errc::monitor_closed;
    return;
  }
  impl_->add(path, options, ec);
}

void monitor_handle::remove(const std::filesystem::path& path, sys::error_code& ec) {
  if (!impl_) {
    ec = errc::monitor_closed;
    return;
  }
  impl_->remove(path, ec);
}

std::vector<std::filesystem::path> monitor_handle::roots() const {
  return impl_ ? impl_->roots() : std::vector<std::filesystem::path>{};
}

std::size_t monitor_handle::queued_events() const { return impl_ ? impl_->queued_events() : 0; }

monitor_stats monitor_handle::stats() const { return impl_ ? impl_->stats() : monitor_stats{}; }

void monitor_handle::cancel() {
  if (impl_)
    impl_->cancel();
}

void monitor_handle::close() {
  if (impl_)
    impl_->close();
}

bool monitor_handle::is_open() const noexcept { return impl_ && impl_->is_open(); }

void monitor_handle::async_read_events(read_events_handler handler) {
  if (!impl_) {
    asio::post(executor_, asio::append(std::move(handler), sys::error_code(errc::monitor_closed),
                                       std::vector<fs_event>{}));
    return;
  }
  impl_->async_read_events(std::move(handler));
}

void monitor_handle::async_next(next_event_handler handler) {
  if (!impl_) {
    asio::post(executor_,
               asio::append(std::move(handler), sys::error_code(errc::monitor_closed), fs_event{}));
    return;
  }
  impl_->async_next(std::move(handler));
}

} // namespace asio_fswatch::detail
