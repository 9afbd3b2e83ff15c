// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private (src/ only): the core behind basic_directory_monitor (monitor_impl) and
// its per-context service, the same on every platform: the OS edge (monitor_edge.hpp: inotify,
// ReadDirectoryChangesW) armed only while an operation waits, a timer for holds, identity checks
// and polls, the engine turning what the kernel says into events, and completions posted to the
// handler's executor. Its bodies: directory_monitor_impl.cpp (roots, reads, the kernel wait, the
// timer) and monitor_async_add.cpp (adds in slices).
#ifndef ASIO_FSWATCH_SRC_MONITOR_MONITOR_CORE_HPP
#define ASIO_FSWATCH_SRC_MONITOR_MONITOR_CORE_HPP

#include "monitor_edge.hpp"

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
#include <chrono>
#include <cstdint>
#include <memory>

namespace asio_fswatch::detail {

namespace asio = boost::asio;
namespace sys = boost::system;
using lock_guard = std::lock_guard<std::mutex>;

// Reads of the kernel's queue per wake-up, so that one busy tree cannot starve the loop.
inline constexpr int max_reads_per_wakeup = 16;
// How long one slice of an async_add's scan may run before the loop's other handlers have
// their turn (at least one directory is read).
inline constexpr auto add_slice = std::chrono::milliseconds(1);

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

  void add(const std::filesystem::path& path, const watch_options& options, sys::error_code& ec);

  void async_add(const std::filesystem::path& path, const watch_options& options, add_handler handler);

  void remove(const std::filesystem::path& path, sys::error_code& ec);

  std::vector<std::filesystem::path> roots() const;

  std::size_t queued_events() const {
    lock_guard lock(mutex_);
    return engine_ ? engine_->output_size() : 0;
  }

  monitor_stats stats() const;

  bool is_open() const noexcept {
    lock_guard lock(mutex_);
    return !closed_;
  }

  void cancel() {
    lock_guard lock(mutex_);
    cancel_pending();
    cancel_adds();
  }

  void close();

  void async_read_events(read_events_handler handler);

  void async_next(next_event_handler handler);

  /// The context is shutting down: destroy the pending handlers without calling them, once the
  /// lock is released (a handler may own the monitor: its destructor takes the lock).
  void shutdown();

private:
  static asio::any_completion_executor as_completion_executor(const asio::any_io_executor& ex);

  sys::error_code open_backend();

  void release_kernel_objects() {
    engine_.reset();
    edge_.close();
    timer_.cancel();
    timer_armed_ = false;
  }

  sys::error_code refuse_start() const;

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
  void progress();

  /// Under the lock: what time alone makes due: held moves past their hold, and a scan when
  /// the poll interval has passed.
  void run_due_work();

  void deliver();

  void complete(sys::error_code ec, std::vector<fs_event> events);

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
  void run_add_slice(std::uint64_t id);

  void resume_adds_after_moves();

  /// Under the lock: the add ends with `ec`; its handler runs once the lock is released (from
  /// the monitor's own completion) or is posted.
  void finish_add(std::uint64_t id, sys::error_code ec);

  /// Under the lock: the add is dropped with its partial root, and ends with operation_aborted.
  void abandon_add(std::uint64_t id);

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
  void arm();

  /// No user operation is pending: stop the kernel wait and the timer, so that the context's
  /// run() can return. No record is lost: records are only read under the lock.
  void disarm() {
    edge_.disarm();
    if (timer_armed_)
      timer_.cancel();
    timer_armed_ = false;
  }

  /// What an I/O completion of the edge brought (edge_sink).
  void on_edge_completion(const edge_work& work);

  void on_timer(sys::error_code);

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

} // namespace asio_fswatch::detail

#endif
