// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: standard output for `watch`, written without ever blocking the event loop.
#ifndef ASIO_FSWATCH_TOOL_EVENT_OUTPUT_HPP
#define ASIO_FSWATCH_TOOL_EVENT_OUTPUT_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asio_fswatch::tool {

/// A queue in front of standard output. write() hands it what it takes at once; the rest waits
/// in the queue, and is written when there is room. So a reader that stops reading never blocks
/// the io_context: signals and events are still handled.
///
/// The queue is bounded by its user: once `full()`, stop producing until `on_room` is called.
/// The first write that fails calls `on_error` once; nothing is written after it.
///
/// POSIX: descriptor 1 is made non-blocking without changing it for the processes that share it:
///  - a socket: send(MSG_DONTWAIT | MSG_NOSIGNAL), a per-call flag; the descriptor is untouched;
///  - a pipe, FIFO or character device (a terminal): reopened through /proc/self/fd/1 with
///    O_NONBLOCK, a new open file description of the same object, private to this process;
///    when that is refused (no /proc, or the object's permissions), O_NONBLOCK is set on
///    descriptor 1 itself, and its flags are restored by close() and the destructor;
///  - a regular file or block device: plain writes (they never wait for a reader).
/// The reactor says when there is room.
///
/// Windows: a pipe inherited as standard output is synchronous, and cannot be written
/// asynchronously nor without waiting: one thread of the tool's own writes it, a chunk at a
/// time, and tells the io_context when a chunk is written. When the tool ends with a write that
/// a stalled reader never takes, that write is cancelled (CancelSynchronousIo) and the thread is
/// left to the process's exit. A console is written with WriteConsoleW on the io_context's
/// thread (UTF-8 converted, so that any name shows whatever the console's code page; a console
/// paused by a selection holds the tool until it is released); a file or the NUL device with
/// plain writes. Standard error is the same pipe when CompareObjectHandles says so.
class event_output {
public:
  /// Queued bytes at which full() becomes true; on_room is called when the queue has drained
  /// to half of it.
  static constexpr std::size_t queue_limit = std::size_t(1) << 20;

  event_output(boost::asio::io_context& ioc, std::function<void(boost::system::error_code)> on_error,
               std::function<void()> on_room);
  ~event_output();
  event_output(const event_output&) = delete;
  event_output& operator=(const event_output&) = delete;

  /// Looks at standard output and chooses how to write it (see above). Fails when it is
  /// closed.
  boost::system::error_code open();

  /// True when standard error is the same pipe, socket or terminal as standard output (`2>&1`):
  /// diagnostics written there directly could block, so they should go through write().
  bool shared_with_stderr() const noexcept { return shared_with_stderr_; }

  /// Queues `bytes` and writes as much as standard output takes now.
  void write(std::string_view bytes);

  std::size_t queued() const noexcept { return queue_.size() - written_; }
  bool full() const noexcept { return queued() >= queue_limit; }

  /// Writes what is queued for at most `patience`, then calls `done` (at once when nothing is
  /// queued, or when a write fails). For an orderly exit: a reader that reads gets every line
  /// whole; one that stopped reading costs `patience`, and may be left a cut last line.
  void drain(std::chrono::milliseconds patience, std::function<void()> done);

  /// Stops waiting for room (what is still queued stays unwritten) and gives standard output
  /// back its flags. Idempotent.
  void close();

private:
  struct platform; // the operating system's part: event_output_posix.cpp, event_output_win.cpp
  struct platform_deleter {
    void operator()(platform* p) const noexcept;
  };

  void flush();
  /// Writes the front of the queue: the bytes taken now (> 0), or 0 when resume() will be
  /// called later (no room yet, or the bytes went to the writer thread), or an error.
  std::size_t write_some(std::string_view bytes, boost::system::error_code& ec);
  /// The room that write_some waited for has come, with `taken` bytes written meanwhile.
  void resume(boost::system::error_code ec, std::size_t taken);
  void fail(boost::system::error_code ec);
  void close_platform() noexcept;

  boost::asio::io_context& ioc_;
  boost::asio::steady_timer drain_deadline_;
  std::function<void()> on_drained_; // set while drain() waits
  std::function<void(boost::system::error_code)> on_error_;
  std::function<void()> on_room_;
  std::unique_ptr<platform, platform_deleter> platform_;
  bool waiting_for_room_ = false;
  bool owes_room_ = false; // write() left the queue full: on_room_ is owed once it drains
  bool failed_ = false;
  bool shared_with_stderr_ = false;
  std::string queue_;
  std::size_t written_ = 0; // bytes at the front of queue_ already written
};

} // namespace asio_fswatch::tool

#endif
