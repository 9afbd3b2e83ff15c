// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: basic_directory_monitor, an I/O object that reports changes in directory trees.
// The template bodies are in impl/basic_directory_monitor.hpp.
#ifndef ASIO_FSWATCH_BASIC_DIRECTORY_MONITOR_HPP
#define ASIO_FSWATCH_BASIC_DIRECTORY_MONITOR_HPP

#include <asio_fswatch/detail/monitor_impl.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>
#include <asio_fswatch/monitor_stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <filesystem>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio_fswatch {

/// Watches directory trees (and single files) and reports their changes as fs_event batches.
///
/// Backends: inotify on Linux (recursive, lossless: new directories are watched and then scanned,
/// renames are paired, queue overflows are reconciled against the monitor's own snapshot), or
/// polling (snapshot and diff on a timer). No thread is started.
///
/// Events are read from the kernel while a read operation is pending and queued in the monitor
/// between reads, in order; nothing is dropped when a read is cancelled.
///
/// Thread safety: distinct objects: safe. Shared object: member functions may be called from
/// several threads (the core serialises them), but, as with Asio's sockets, at most one read
/// operation may be outstanding at a time.
template <typename Executor = boost::asio::any_io_executor>
class basic_directory_monitor {
public:
  /// The type of the executor through which the monitor's operations complete by default.
  using executor_type = Executor;

  /// The monitor type for another executor type.
  template <typename OtherExecutor>
  struct rebind_executor {
    /// basic_directory_monitor on `OtherExecutor`.
    using other = basic_directory_monitor<OtherExecutor>;
  };

  /// Constructs a monitor whose operations complete through `ex`. Nothing is opened until the
  /// first add(), so the constructor does not fail on a system limit.
  explicit basic_directory_monitor(const executor_type& ex, const monitor_options& options = {});

  /// The same with `context.get_executor()` as the executor (an io_context, a thread_pool, ...).
  template <typename ExecutionContext,
            std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>,
                             int> = 0>
  explicit basic_directory_monitor(ExecutionContext& context, const monitor_options& options = {})
      : basic_directory_monitor(executor_type(context.get_executor()), options) {}

  /// Takes over `other`'s roots, queued events and pending operations. The executor is copied,
  /// not moved: as with Asio's objects, the moved-from monitor keeps its executor, and its
  /// operations complete with an error instead of crashing: it is closed (is_open() is false,
  /// backend() is `automatic`), add() fails with errc::monitor_closed and reads complete with it.
  basic_directory_monitor(basic_directory_monitor&& other) noexcept;
  /// Closes this monitor first, as close() does (a pending read completes with
  /// operation_aborted), then takes over `other`'s executor, roots, queued events and pending
  /// operations; `other` is left closed, as after a move construction.
  basic_directory_monitor& operator=(basic_directory_monitor&& other) noexcept;

  /// Converting move from a monitor with another executor type.
  template <typename OtherExecutor,
            std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_directory_monitor(basic_directory_monitor<OtherExecutor>&& other) noexcept;

  /// Converting move assignment from a monitor with another executor type: as the move
  /// assignment.
  template <typename OtherExecutor,
            std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int> = 0>
  basic_directory_monitor& operator=(basic_directory_monitor<OtherExecutor>&& other) noexcept;

  basic_directory_monitor(const basic_directory_monitor&) = delete;
  basic_directory_monitor& operator=(const basic_directory_monitor&) = delete;

  /// Closes the monitor: a pending read completes with boost::asio::error::operation_aborted.
  ~basic_directory_monitor() = default;

  /// The executor the monitor was constructed with (or took over by a move assignment).
  executor_type get_executor() noexcept { return executor_; }

  /// The backend in use: `inotify` or `poll` (`automatic` is resolved at construction: the
  /// options, then ASIO_FSWATCH_MONITOR_BACKEND, then the platform's best); `automatic` for a
  /// moved-from monitor, which is closed: every member may still be called (add() fails with
  /// errc::monitor_closed, reads complete with it). Every I/O object of the library names its
  /// mechanism with backend().
  asio_fswatch::backend backend() const noexcept;
  /// The former name of backend().
  [[deprecated("use backend()")]] asio_fswatch::backend active_backend() const noexcept;

  /// Starts watching `path` (a directory, or a single file). Nothing is reported for what the
  /// tree already holds unless `options.initial_listing` is set. Errors: ENOENT, EACCES and
  /// ENOTDIR as system errors; errc::watch_limit_reached (sysctl fs.inotify.max_user_watches) and
  /// errc::instance_limit_reached (fs.inotify.max_user_instances), after which nothing of this
  /// root stays watched; errc::already_watched when `path` is inside a root of this monitor;
  /// errc::invalid_pattern for a bad glob. A subdirectory that cannot be read is not an error of
  /// add(): it is reported as an event of kind `error` and the rest of the tree is watched.
  void add(const std::filesystem::path& path, const watch_options& options = {});
  /// The same, reporting errors through `ec` instead of throwing std::filesystem::filesystem_error
  /// (errc::monitor_closed once the monitor is closed).
  void add(const std::filesystem::path& path, const watch_options& options,
           boost::system::error_code& ec);
  /// The same with the default watch_options, reporting errors through `ec`.
  void add(const std::filesystem::path& path, boost::system::error_code& ec);

  /// Starts watching `path` as add() does, without holding the event loop: the tree is scanned
  /// in slices of about a millisecond on the monitor's executor, between which the loop's other
  /// handlers run and the records of the directories already watched are handled. Completes once
  /// every directory is scanned (and, with a native backend, watched). The root's events are held
  /// back until then and follow what was queued before: with `options.initial_listing`, each
  /// entry is reported created exactly once and the stream replays to the tree; without it, the
  /// events of the changes made during the scan to directories it had read already. A change
  /// inside a directory not read yet is seen by its listing, which comes later. Until it
  /// completes, the root is in roots() and add() of a path inside it fails with
  /// errc::already_watched.
  ///
  /// Completion signature: `void(boost::system::error_code)`.
  /// Errors: those of add() (a root gone before its first slice gives ENOENT);
  /// errc::root_removed when the root's directory goes during the scan; operation_aborted
  /// (cancelled, remove() of the root, cancel(), close(), destroyed); errc::monitor_closed after
  /// close(). Nothing of a root whose add failed stays watched, and none of its events is
  /// reported. Changes lost during the scan (an overflow) start it again, silently.
  /// Per-operation cancellation: terminal, partial and total; each removes the partial root.
  template <typename AddToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_add(const std::filesystem::path& path, const watch_options& options,
                 AddToken&& token = boost::asio::default_completion_token_t<executor_type>());
  /// async_add with the default watch_options.
  template <typename AddToken = boost::asio::default_completion_token_t<executor_type>,
            std::enable_if_t<!std::is_convertible_v<AddToken, const watch_options&>, int> = 0>
  auto async_add(const std::filesystem::path& path,
                 AddToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return async_add(path, watch_options{}, std::forward<AddToken>(token));
  }
  /// Stops watching a root given to add() (as given, or any spelling of the same absolute path).
  /// Events already queued stay queued. Error: errc::not_watched.
  void remove(const std::filesystem::path& path);
  /// The same, reporting errors through `ec` instead of throwing std::filesystem::filesystem_error
  /// (errc::monitor_closed once the monitor is closed).
  void remove(const std::filesystem::path& path, boost::system::error_code& ec);

  /// The roots being watched, absolute and lexically normal.
  std::vector<std::filesystem::path> roots() const;

  /// Events read from the kernel and not yet delivered.
  std::size_t queued_events() const;

  /// What the monitor holds (roots, directories, entries, kernel watches, memory, queued
  /// events) and has done (events delivered, overflows): see monitor_stats. Cheap: the counts
  /// are kept as the monitor goes, no tree is walked.
  monitor_stats stats() const;

  /// Completes a pending read and every async_add in progress with
  /// boost::asio::error::operation_aborted; the roots added stay watched, those being added go.
  void cancel();

  /// Stops watching everything and releases the kernel objects; a pending read completes with
  /// operation_aborted, later ones with errc::monitor_closed.
  void close();

  /// True from construction (nothing needs to be added) until close(); false after close() and
  /// for a moved-from monitor.
  bool is_open() const noexcept;

  /// Waits for changes and completes with every queued event (at most
  /// monitor_options::max_batch), in the order they happened; the batch is never empty.
  ///
  /// Completion signature: `void(boost::system::error_code, std::vector<fs_event>)`.
  /// Errors: operation_aborted (cancelled, closed, destroyed); errc::root_removed once for each
  /// watched root that went away, after its last events; errc::monitor_closed after close();
  /// boost::asio::error::already_started when another read is pending.
  /// Per-operation cancellation: terminal, partial and total; cancelling loses no event (events
  /// already read stay queued for the next read).
  template <typename ReadToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_read_events(ReadToken&& token = boost::asio::default_completion_token_t<executor_type>());

  /// Waits for one event. Same queue, errors and cancellation as async_read_events.
  ///
  /// Completion signature: `void(boost::system::error_code, fs_event)`.
  template <typename NextToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_next(NextToken&& token = boost::asio::default_completion_token_t<executor_type>());

private:
  template <typename>
  friend class basic_directory_monitor;

  static void throw_if(const boost::system::error_code& ec, const char* what,
                       const std::filesystem::path& path);

  struct initiate_read_events {
    basic_directory_monitor* self;
    using executor_type = Executor;
    executor_type get_executor() const noexcept { return self->get_executor(); }
    template <typename Handler>
    void operator()(Handler&& handler) const;
  };

  struct initiate_add {
    basic_directory_monitor* self;
    using executor_type = Executor;
    executor_type get_executor() const noexcept { return self->get_executor(); }
    template <typename Handler>
    void operator()(Handler&& handler, const std::filesystem::path& path,
                    const watch_options& options) const;
  };
  struct initiate_next {
    basic_directory_monitor* self;
    using executor_type = Executor;
    executor_type get_executor() const noexcept { return self->get_executor(); }
    template <typename Handler>
    void operator()(Handler&& handler) const;
  };

  Executor executor_;
  detail::monitor_handle core_;
};

} // namespace asio_fswatch

#include <asio_fswatch/impl/basic_directory_monitor.hpp>

#endif
