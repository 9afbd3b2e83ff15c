// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the monitor's queue of events for the reader (sans-io), with the
// things that shape what a reader sees: a root's include patterns, coalescing of repeated
// `modified` and `attributes` of one path while the first is still queued, and settling
// (monitor_options::settle): events held in a settle_batch until the trees are quiet.
#ifndef ASIO_FSWATCH_DETAIL_EVENT_QUEUE_HPP
#define ASIO_FSWATCH_DETAIL_EVENT_QUEUE_HPP

#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/detail/settle_batch.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

namespace asio_fswatch::detail {

/// Whether a root whose include patterns are `include` reports an event (paths relative to the
/// root). A directory's rename, exchange or removal is always wanted: it moves or takes away the
/// included entries inside it.
bool include_wants(const glob_set& include, event_kind kind, std::string_view relative_path,
                   entry_type type, std::string_view relative_old_path, entry_type old_type);

class event_queue {
public:
  event_queue() = default;
  /// A settling queue: events wait in a batch that settle_step() releases (see there).
  event_queue(std::chrono::milliseconds settle, std::chrono::milliseconds settle_max);

  /// Queues a change of the tree. A `modified` or `attributes` of a path whose last one is still
  /// queued, with nothing structural (created, removed, renamed, exchanged) queued since, adds
  /// nothing: the reader learns the same either way.
  void push_change(const std::filesystem::path& root, event_kind kind, std::string path, entry_type type,
                   std::string old_path = {}, entry_type old_type = entry_type::unknown);
  /// Queues an event as it is (overflow, error, a root's end), never coalesced.
  void push(fs_event event);

  /// Nothing is ready for the reader (events held by settling are not).
  bool empty() const noexcept { return events_.empty(); }
  /// Events queued, those held by settling included.
  std::size_t size() const noexcept { return events_.size() + (batch_ ? batch_->size() : 0); }
  const fs_event& front() const { return events_.front(); }
  fs_event pop();
  /// Queues `other`'s events after these, as they are (a root's, held back while it was added).
  void append(event_queue&& other);
  /// A point to truncate() back to: events queued after it merge with none before it.
  std::size_t checkpoint();
  /// Takes back the events queued after `checkpoint` (nothing of a failed add is reported).
  void truncate(std::size_t checkpoint);

  bool settling() const noexcept { return batch_.has_value(); }
  /// Settling: a file was written / closed after writing (see settle_batch).
  void note_write(const std::string& path) {
    if (batch_)
      batch_->note_write(path);
  }
  void note_closed(const std::string& path) {
    if (batch_)
      batch_->note_closed(path);
  }
  /// Settling: releases the held batch to the reader once the trees have been quiet for the
  /// settle time (and no file written in it is still open), or once it has been held for
  /// settle_max; returns when it will be due otherwise (nullopt: nothing held). Changes are
  /// timed as this is called: call it after each step that may have queued events.
  std::optional<std::chrono::steady_clock::time_point> settle_step(std::chrono::steady_clock::time_point now);
  /// Settling: the changes queued until now happened at `now` (the quiet period starts there).
  void stamp(std::chrono::steady_clock::time_point now) noexcept {
    if (!batch_)
      return;
    if (now > last_change_at_)
      last_change_at_ = now;
    if (!first_change_)
      first_change_ = now;
    changes_seen_ = changes_;
  }
  /// When settle_step() will release the held batch, as it last said.
  std::optional<std::chrono::steady_clock::time_point> settle_due() const noexcept { return settle_due_; }

  std::uint64_t events() const noexcept { return pushed_; } ///< made ready for the reader, ever
  std::uint64_t coalesced() const noexcept { ///< not queued: merged, or cancelled out by settling
    return coalesced_ + (batch_ ? batch_->merged() : 0);
  }

private:
  void forget_changes();

  std::deque<fs_event> events_;
  // path -> number (in pushed_) of the last queued `modified`/`attributes` for it, valid until a
  // structural event, an overflow or an error, or until the queue empties.
  std::unordered_map<std::string, std::uint64_t> last_change_;
  std::uint64_t pushed_ = 0;
  std::uint64_t popped_ = 0;
  std::uint64_t coalesced_ = 0;

  // Settling.
  std::optional<settle_batch> batch_;
  std::chrono::milliseconds settle_{0};
  std::chrono::milliseconds settle_max_{0};
  std::uint64_t changes_ = 0;      // events taken while settling (merged ones too)
  std::uint64_t changes_seen_ = 0; // by settle_step
  std::optional<std::chrono::steady_clock::time_point> first_change_; // of the held batch
  std::chrono::steady_clock::time_point last_change_at_{};
  std::optional<std::chrono::steady_clock::time_point> settle_due_;
};

} // namespace asio_fswatch::detail

#endif
