// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/event_queue.hpp>
#include <asio_fswatch/detail/path_text.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {
namespace {

bool is_structural(event_kind kind) {
  return kind == event_kind::created || kind == event_kind::removed || kind == event_kind::renamed ||
         kind == event_kind::exchanged;
}

} // namespace

bool include_wants(const glob_set& include, event_kind kind, std::string_view relative_path,
                   entry_type type, std::string_view relative_old_path, entry_type old_type) {
  if (include.empty())
    return true;
  const bool is_directory = type == entry_type::directory;
  const bool moves = kind == event_kind::renamed || kind == event_kind::exchanged;
  const bool moves_a_directory =
      is_directory || (kind == event_kind::exchanged && old_type == entry_type::directory);
  return (moves_a_directory && (moves || kind == event_kind::removed)) ||
         include.matches(relative_path, is_directory) ||
         (kind == event_kind::renamed && include.matches(relative_old_path, is_directory)) ||
         (kind == event_kind::exchanged &&
          include.matches(relative_old_path, old_type == entry_type::directory));
}

event_queue::event_queue(std::chrono::milliseconds settle, std::chrono::milliseconds settle_max)
    : batch_(std::in_place), settle_(settle), settle_max_(std::max(settle, settle_max)) {}

void event_queue::push_change(const std::filesystem::path& root, event_kind kind, std::string path,
                              entry_type type, std::string old_path, entry_type old_type) {
  if (batch_) {
    ++changes_;
    batch_->push(root, kind, std::move(path), type, std::move(old_path), old_type);
    return;
  }
  if (kind == event_kind::modified || kind == event_kind::attributes) {
    auto it = last_change_.find(path);
    if (it != last_change_.end() && it->second >= popped_ && it->second - popped_ < events_.size() &&
        events_[it->second - popped_].kind == kind) {
      ++coalesced_;
      return;
    }
    last_change_[path] = pushed_;
  } else if (is_structural(kind)) {
    forget_changes();
  }
  fs_event event;
  event.kind = kind;
  event.path = path_from_text(std::move(path));
  event.old_path = path_from_text(std::move(old_path));
  event.type = type;
  event.old_type = old_type;
  event.root = root;
  push(std::move(event));
}

void event_queue::push(fs_event event) {
  if (batch_) {
    ++changes_;
    if (event.kind == event_kind::overflow || event.kind == event_kind::error) {
      batch_->push_barrier(std::move(event));
    } else {
      std::filesystem::path root = std::move(event.root);
      batch_->push(root, event.kind, generic_path_text(event.path), event.type,
                   event.old_path.empty() ? std::string() : generic_path_text(event.old_path), event.old_type);
    }
    return;
  }
  if (event.kind == event_kind::overflow || event.kind == event_kind::error)
    forget_changes();
  events_.push_back(std::move(event));
  ++pushed_;
}

fs_event event_queue::pop() {
  fs_event event = std::move(events_.front());
  events_.pop_front();
  ++popped_;
  if (events_.empty())
    forget_changes();
  return event;
}

void event_queue::append(event_queue&& other) {
  for (fs_event& event : other.events_)
    push(std::move(event));
  coalesced_ += other.coalesced_;
  other = event_queue{};
}

std::size_t event_queue::checkpoint() { return batch_ ? batch_->checkpoint() : events_.size(); }

std::optional<std::chrono::steady_clock::time_point>
event_queue::settle_step(std::chrono::steady_clock::time_point now) {
  if (!batch_)
    return std::nullopt;
  if (changes_ != changes_seen_) {
    changes_seen_ = changes_;
    last_change_at_ = now;
    if (!first_change_)
      first_change_ = now;
  }
  settle_due_.reset();
  if (batch_->empty() || !first_change_) {
    batch_->release_into(events_); // what it holds merged away: start afresh
    first_change_.reset();
    return std::nullopt;
  }
  const auto longest = *first_change_ + settle_max_;
  const auto due = batch_->writing() ? longest : std::min(last_change_at_ + settle_, longest);
  if (now < due) {
    settle_due_ = due;
    return due;
  }
  const std::size_t before = events_.size();
  batch_->release_into(events_);
  pushed_ += events_.size() - before;
  first_change_.reset();
  return std::nullopt;
}

void event_queue::truncate(std::size_t size) {
  if (batch_) {
    batch_->truncate(size);
    return;
  }
  while (events_.size() > size) {
    events_.pop_back();
    --pushed_;
  }
  forget_changes(); // the taken-back events may be what it points at
}

void event_queue::forget_changes() {
  if (last_change_.empty())
    return;
  // clear() touches every bucket, and a burst leaves many: start small again instead.
  if (last_change_.bucket_count() > 64)
    last_change_ = {};
  else
    last_change_.clear();
}

} // namespace asio_fswatch::detail
