// The core and the per-context service of basic_directory_monitor, the same on every platform:
// the OS edge (monitor_edge.hpp: inotify, ReadDirectoryChangesW) armed only while the user
// waits, a timer for holds, identity checks and polls, the engine turning what the kernel says
// into events, and completions posted to the handler's executor.
#include "monitor_edge.hpp"
#include "root_text.hpp"

#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/monitor_impl.hpp>
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <vector>

namespace asio_fswatch::detail {
namespace {

namespace asio = boost::asio;
namespace sys = boost::system;
using lock_guard = std::lock_guard<std::mutex>;

// Reads of the kernel's queue per wake-up, so that one busy tree cannot starve the loop.
constexpr int max_reads_per_wakeup = 16;
// How long one slice of an async_add's scan may run before the loop's other handlers have
// their turn (at least one directory is read).
constexpr auto add_slice = std::chrono::milliseconds(1);

} // namespace

/// Per execution context: knows every live monitor core, so that shutting the context down
/// destroys their pending handlers (without calling them), as Asio's own services do.
class monitor_service final : public asio::execution_context::service {
public:
  using key_type = monitor_service;
  static inline asio::execution_context::id id;

  explicit monitor_service(asio::execution_context& context) : service(context) {}

  void add(monitor_impl* impl) {
    lock_guard lock(mutex_);
    impls_.insert(impl);
  }
  void erase(monitor_impl* impl) {
    lock_guard lock(mutex_);
    impls_.erase(impl);
  }

private:
  void shutdown() override;

  std::mutex mutex_;
  std::unordered_set<monitor_impl*> impls_;
};

class monitor_impl : public std::enable_shared_from_this<monitor_impl> {
  enum class pending_kind { none, batch, single };

  /// A finished operation, ready to be handed to its handler. Only ever move-constructed (see
  /// batch_handler_ below).
  struct completion {
    pending_kind kind = pending_kind::none;
    std::optional<read_events_handler> batch;
    std::optional<next_event_handler> single;
    sys::error_code ec;
    std::vector<fs_event> events;

    /// From an initiating function, add(), cancel(): never run the handler here.
    void post(const asio::any_io_executor& io_executor) && {
      if (kind == pending_kind::batch)
        asio::post(io_executor, asio::append(std::move(*batch), ec, std::move(events)));
      else if (kind == pending_kind::single)
        asio::post(io_executor, asio::append(std::move(*single), ec, first_event()));
    }

    /// From the monitor's own I/O completion, outside its lock: the handler may run at once
    /// when the current thread already runs its associated executor.
    /// `candidate` is the I/O executor, already type-erased as a completion executor.
    void dispatch(const asio::any_completion_executor& candidate) && {
      if (kind == pending_kind::batch) {
        auto ex = asio::get_associated_executor(*batch, candidate);
        asio::dispatch(ex, asio::append(std::move(*batch), ec, std::move(events)));
      } else if (kind == pending_kind::single) {
        auto ex = asio::get_associated_executor(*single, candidate);
        asio::dispatch(ex, asio::append(std::move(*single), ec, first_event()));
      }
    }

    fs_event first_event() { return events.empty() ? fs_event{} : std::move(events.front()); }
  };

public:
  monitor_impl(const asio::any_io_executor& ex, const monitor_options& options)
      : executor_(ex), candidate_executor_(as_completion_executor(ex)), options_(options), timer_(ex),
        service_(&asio::use_service<monitor_service>(asio::query(ex, asio::execution::context))),
        edge_(ex, options) {
    mode_ = options.backend;
    if (mode_ == backend::automatic) {
      // As for the files and the children: the environment names a mechanism for the monitors
      // that leave the choice open (a test run forcing polling, for instance).
      if (const char* env = std::getenv("ASIO_FSWATCH_MONITOR_BACKEND"); env && *env) {
        mode_ = backend_from_name(env, choice_error_);
        if (choice_error_ == errc::invalid_monitor_backend)
          mode_ = backend::automatic;
      }
    }
    if (mode_ == backend::automatic) {
#if defined(ASIO_FSWATCH_LINUX) || defined(_WIN32)
      mode_ = backend::native;
#else
      mode_ = backend::poll;
#endif
    }
    service_->add(this);
  }

  ~monitor_impl() {
    service_->erase(this);
    release_kernel_objects();
  }

  backend active_backend() const noexcept { return mode_; }

  void add(const std::filesystem::path& path, const watch_options& options, sys::error_code& ec) {
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

  void async_add(const std::filesystem::path& path, const watch_options& options, add_handler handler) {
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

  void remove(const std::filesystem::path& path, sys::error_code& ec) {
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

  std::vector<std::filesystem::path> roots() const {
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

  std::size_t queued_events() const {
    lock_guard lock(mutex_);
    return engine_ ? engine_->output_size() : 0;
  }

  monitor_stats stats() const {
    lock_guard lock(mutex_);
    monitor_stats out;
    if (engine_) {
      out = engine_->stats();
      out.events_delivered = events_delivered_;
    }
    return out;
  }

  bool is_open() const noexcept {
    lock_guard lock(mutex_);
    return !closed_;
  }

  void cancel() {
    lock_guard lock(mutex_);
    cancel_pending();
    cancel_adds();
  }

  void close() {
    lock_guard lock(mutex_);
    closed_ = true;
    cancel_pending();
    cancel_adds();
    release_kernel_objects();
  }

  void async_read_events(read_events_handler handler) {
    lock_guard lock(mutex_);
    if (sys::error_code ec = refuse_start()) {
      asio::post(executor_, asio::append(std::move(handler), ec, std::vector<fs_event>{}));
      return;
    }
    batch_handler_.emplace(std::move(handler));
    start_pending(pending_kind::batch, *batch_handler_);
  }

  void async_next(next_event_handler handler) {
    lock_guard lock(mutex_);
    if (sys::error_code ec = refuse_start()) {
      asio::post(executor_, asio::append(std::move(handler), ec, fs_event{}));
      return;
    }
    next_handler_.emplace(std::move(handler));
    start_pending(pending_kind::single, *next_handler_);
  }

  /// The context is shutting down: destroy the pending handlers without calling them, once the
  /// lock is released (a handler may own the monitor: its destructor takes the lock).
  void shutdown() {
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

private:
  static asio::any_completion_executor as_completion_executor(const asio::any_io_executor& ex) {
    // The usual target fits in the small buffer of any executor: unwrapped, it needs no
    // shared target at all.
    if (const auto* target = ex.target<asio::io_context::executor_type>())
      return asio::any_completion_executor(*target);
    return asio::any_completion_executor(ex);
  }

  sys::error_code open_backend() {
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

  void release_kernel_objects() {
    engine_.reset();
    edge_.close();
    timer_.cancel();
  }

  sys::error_code refuse_start() const {
    if (closed_)
      return errc::monitor_closed;
    if (pending_ != pending_kind::none)
      return asio::error::already_started;
    return {};
  }

  template <typename Handler>
  void start_pending(pending_kind kind, Handler& handler) {
    pending_ = kind;
    handler_work_ = asio::prefer(asio::get_associated_executor(handler, candidate_executor_),
                                 asio::execution::outstanding_work.tracked);
    io_work_ = asio::prefer(executor_, asio::execution::outstanding_work.tracked);
    slot_ = asio::get_associated_cancellation_slot(handler);
    if (slot_.is_connected()) {
      // Every cancellation type is honoured: a cancelled read leaves no trace, as events
      // already read stay queued for the next one.
      std::weak_ptr<monitor_impl> weak = shared_from_this();
      slot_.assign([weak](asio::cancellation_type type) {
        if (type == asio::cancellation_type::none)
          return;
        if (auto self = weak.lock()) {
          lock_guard lock(self->mutex_);
          self->cancel_pending();
        }
      });
    }
    progress();
  }

  /// Under the lock: deliver what is queued, or make sure something will wake us.
  void progress() {
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

  /// Under the lock: what time alone makes due: held moves past their hold, and a scan when
  /// the poll interval has passed.
  void run_due_work() {
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
  }

  void deliver() {
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

  void complete(sys::error_code ec, std::vector<fs_event> events) {
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

  /// Runs `work` under the lock as the monitor's own I/O completion; a read it completes is
  /// dispatched once the lock is released.
  template <typename Work>
  void as_io_completion(Work&& work) {
    std::optional<completion> done;
    std::vector<finished_add> adds_done;
    {
      lock_guard lock(mutex_);
      in_io_completion_ = true;
      work();
      in_io_completion_ = false;
      if (ready_) {
        done.emplace(std::move(*ready_));
        ready_.reset();
      }
      adds_done.swap(ready_adds_);
    }
    for (finished_add& add : adds_done) {
      auto ex = asio::get_associated_executor(add.handler, candidate_executor_);
      asio::dispatch(ex, asio::append(std::move(add.handler), add.ec));
    }
    if (done)
      std::move(*done).dispatch(candidate_executor_);
  }

  // async_add -------------------------------------------------------------------------------

  void post_add_slice(std::uint64_t id) {
    asio::post(executor_, [weak = weak_from_this(), id] {
      if (auto self = weak.lock())
        self->run_add_slice(id);
    });
  }

  /// One slice of an add's scan, as the monitor's own I/O completion (a read it makes ready
  /// is dispatched, as is the add's own completion).
  void run_add_slice(std::uint64_t id) {
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

  void resume_adds_after_moves() {
    for (auto& [id, op] : adds_)
      if (op->after_moves) {
        op->after_moves = false;
        post_add_slice(id);
      }
  }

  /// Under the lock: the add ends with `ec`; its handler runs once the lock is released (from
  /// the monitor's own completion) or is posted.
  void finish_add(std::uint64_t id, sys::error_code ec) {
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

  /// Under the lock: the add is dropped with its partial root, and ends with operation_aborted.
  void abandon_add(std::uint64_t id) {
    if (adds_.find(id) == adds_.end())
      return;
    if (engine_)
      engine_->abandon_add(id);
    finish_add(id, asio::error::operation_aborted);
  }

  void cancel_adds() {
    while (!adds_.empty())
      abandon_add(adds_.begin()->first);
  }

  void cancel_pending() {
    if (pending_ != pending_kind::none)
      complete(asio::error::operation_aborted, {});
  }

  /// Nothing is queued: wait for the kernel (inotify) and for the next deadline (a held move,
  /// or the next poll).
  void arm() {
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

  /// No user operation is pending: stop the kernel wait and the timer, so that the context's
  /// run() can return. No record is lost: records are only read under the lock.
  void disarm() {
    edge_.disarm();
    if (timer_armed_)
      timer_.cancel();
  }

  /// What an I/O completion of the edge brought (edge_sink).
  void on_edge_completion(const edge_work& work) {
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

  void on_timer(sys::error_code) {
    as_io_completion([&] {
      timer_armed_ = false;
      if (!engine_)
        return;
      run_due_work();
      progress();
    });
  }

  mutable std::mutex mutex_;
  asio::any_io_executor executor_;
  // The candidate for a handler's associated executor, made once: a type-erased handler takes
  // it as an any_completion_executor, and converting executor_ on every operation would wrap it
  // in a new shared, reference-counted target each time (an allocation on the event path).
  asio::any_completion_executor candidate_executor_;
  monitor_options options_;
  backend mode_ = backend::native;
  asio::steady_timer timer_;
  monitor_service* service_;
  monitor_edge edge_;
  std::unique_ptr<watch_engine> engine_; // after edge_: destroyed before the filesystem it uses
  bool timer_armed_ = false;
  std::uint64_t events_delivered_ = 0; // since the engine was made: monitor_stats
  bool closed_ = false;
  std::chrono::steady_clock::time_point timer_deadline_{};
  std::chrono::steady_clock::time_point last_poll_{};

  pending_kind pending_ = pending_kind::none;
  // Held in optionals and only ever move-constructed: Boost 1.81's any_completion_handler
  // move-assignment recurses without end (it re-wraps `other` through its template constructor).
  std::optional<read_events_handler> batch_handler_;
  std::optional<next_event_handler> next_handler_;
  asio::any_completion_executor handler_work_;
  asio::any_io_executor io_work_;
  asio::cancellation_slot slot_;
  bool in_io_completion_ = false;
  sys::error_code choice_error_; // a bad ASIO_FSWATCH_MONITOR_BACKEND: every add() fails with it
  std::optional<completion> ready_;

  // Adds in slices (async_add), by the engine's id. The handler is only ever move-constructed
  // (see batch_handler_).
  struct add_operation {
    explicit add_operation(add_handler h) : handler(std::move(h)) {}
    add_handler handler;
    asio::any_completion_executor work; // the handler's executor has work while the add runs
    asio::cancellation_slot slot;
    bool after_moves = false; // waits for held moves to be resolved (timer, or a read)
  };
  struct finished_add {
    add_handler handler;
    sys::error_code ec;
  };
  std::map<std::uint64_t, std::unique_ptr<add_operation>> adds_;
  std::vector<finished_add> ready_adds_; // completed within an I/O completion, dispatched after it
};

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

void monitor_handle::async_add(const std::filesystem::path& path, const watch_options& options,
                               add_handler handler) {
  if (!impl_) {
    asio::post(executor_, asio::append(std::move(handler), sys::error_code(errc::monitor_closed)));
    return;
  }
  impl_->async_add(path, options, std::move(handler));
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
