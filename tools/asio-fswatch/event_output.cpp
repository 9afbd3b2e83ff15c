// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: standard output for `watch`, written without ever blocking the event loop. The
// queue is here; how standard output takes bytes is in event_output_posix.cpp and
// event_output_win.cpp.
#include "event_output.hpp"

#include <boost/asio/error.hpp>

#include <utility>

namespace asio_fswatch::tool {

event_output::event_output(boost::asio::io_context& ioc, std::function<void(boost::system::error_code)> on_error,
                           std::function<void()> on_room)
    : ioc_(ioc), drain_deadline_(ioc), on_error_(std::move(on_error)), on_room_(std::move(on_room)) {}

event_output::~event_output() { close(); }

void event_output::write(std::string_view bytes) {
  if (failed_ || bytes.empty() || !platform_) // not open, or closed
    return;
  queue_.append(bytes);
  flush();
  if (full())
    owes_room_ = true;
}

void event_output::flush() {
  while (platform_ && !failed_ && !waiting_for_room_ && queued() > 0) {
    boost::system::error_code ec;
    const std::size_t taken = write_some(std::string_view(queue_).substr(written_), ec);
    if (ec)
      return fail(ec);
    if (taken == 0) {
      waiting_for_room_ = true; // resume() comes
      break;
    }
    written_ += taken;
  }
  // Drop what is written once it is most of the buffer, so the queue does not grow for ever
  // and the bytes moved stay few. (A write in flight holds its own copy.)
  if (written_ == queue_.size()) {
    queue_.clear();
    written_ = 0;
  } else if (written_ > queue_.size() / 2) {
    queue_.erase(0, written_);
    written_ = 0;
  }
  if (owes_room_ && !failed_ && queued() <= queue_limit / 2) {
    owes_room_ = false;
    on_room_();
  }
  if (on_drained_ && (queued() == 0 || failed_))
    drain_deadline_.cancel();
}

void event_output::resume(boost::system::error_code ec, std::size_t taken) {
  waiting_for_room_ = false;
  // Closed meanwhile: a wait that had completed before close() could cancel it still comes.
  if (ec == boost::asio::error::operation_aborted || failed_ || !platform_)
    return;
  if (ec)
    return fail(ec);
  written_ += taken;
  flush();
}

void event_output::drain(std::chrono::milliseconds patience, std::function<void()> done) {
  if (queued() == 0 || failed_ || !platform_)
    return done();
  on_drained_ = std::move(done);
  drain_deadline_.expires_after(patience);
  drain_deadline_.async_wait([this](boost::system::error_code) {
    std::function<void()> done_now = std::move(on_drained_);
    on_drained_ = nullptr;
    done_now();
  });
  flush();
}

void event_output::fail(boost::system::error_code ec) {
  failed_ = true;
  on_error_(ec);
}

void event_output::close() {
  drain_deadline_.cancel();
  close_platform();
}

} // namespace asio_fswatch::tool
