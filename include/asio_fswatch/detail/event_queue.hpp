// asio_fswatch, private: the monitor's queue of events for the reader (sans-io), with the two
// things that shape what a reader sees: a root's include patterns, and coalescing of repeated
// `modified` and `attributes` of one path while the first is still queued.
#ifndef ASIO_FSWATCH_DETAIL_EVENT_QUEUE_HPP
#define ASIO_FSWATCH_DETAIL_EVENT_QUEUE_HPP

#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
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
  /// Queues a change of the tree. A `modified` or `attributes` of a path whose last one is still
  /// queued, with nothing structural (created, removed, renamed, exchanged) queued since, adds
  /// nothing: the reader learns the same either way.
  void push_change(const std::filesystem::path& root, event_kind kind, std::string path, entry_type type,
                   std::string old_path = {}, entry_type old_type = entry_type::unknown);
  /// Queues an event as it is (overflow, error, a root's end), never coalesced.
  void push(fs_event event);

  bool empty() const noexcept { return events_.empty(); }
  std::size_t size() const noexcept { return events_.size(); }
  const fs_event& front() const { return events_.front(); }
  fs_event pop();
  /// Queues `other`'s events after these, as they are (a root's, held back while it was added).
  void append(event_queue&& other);
  /// Takes back the events queued after the first `size` (nothing of a failed add is reported).
  void truncate(std::size_t size);

  std::uint64_t events() const noexcept { return pushed_; }     ///< queued, ever
  std::uint64_t coalesced() const noexcept { return coalesced_; } ///< not queued, merged

private:
  void forget_changes();

  std::deque<fs_event> events_;
  // path -> number (in pushed_) of the last queued `modified`/`attributes` for it, valid until a
  // structural event, an overflow or an error, or until the queue empties.
  std::unordered_map<std::string, std::uint64_t> last_change_;
  std::uint64_t pushed_ = 0;
  std::uint64_t popped_ = 0;
  std::uint64_t coalesced_ = 0;
};

} // namespace asio_fswatch::detail

#endif
