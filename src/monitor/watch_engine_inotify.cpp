// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, decoding inotify's records: which
// watched directory each names, records held back while their directory is between the two
// halves of a move, and the marker records that tell when what a look saw has all been read.
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {

namespace sys = boost::system;

void watch_engine::on_inotify_bytes(std::string_view bytes, const time_sample& now) {
  std::string joined;
  if (!inotify_.undecided_records.empty() || !inotify_.partial_record.empty()) {
    joined = std::move(inotify_.undecided_records);
    joined += inotify_.partial_record;
    joined.append(bytes);
    bytes = joined;
  }
  const bool was_undecided = !inotify_.undecided_records.empty();
  const auto undecided_since = inotify_.undecided_deadline;
  inotify_.undecided_records.clear();
  inotify_.partial_record.clear();
  now_ = now;
  std::uint64_t overflows_before = counters_.overflows;
  inotify_parse_result parsed = handle_records(bytes, true);
  if (was_undecided && !inotify_.undecided_records.empty()) // still undecided: the first deadline holds
    inotify_.undecided_deadline = std::min(inotify_.undecided_deadline, undecided_since);
  if (parsed.malformed) {
    // Cannot come from the kernel; if it ever does, what followed is lost: rebuild from disk.
    overflow();
  } else if (parsed.consumed < bytes.size()) {
    inotify_.partial_record.assign(bytes.substr(parsed.consumed));
  }
  // Only news can change what a look again finds: the IN_IGNORED of a watch that a look added
  // and removed again must not start the next look.
  if (std::exchange(inotify_.had_news, false))
    retry_unwatched();
  retry_blocked_if_due();
  mark_new_watches();
  if (counters_.overflows == overflows_before)
    last_consistent_wall_ns_ = now.wall_ns;
}

inotify_parse_result watch_engine::handle_records(std::string_view bytes, bool more_may_follow) {
  inotify_.records.clear();
  inotify_parse_result parsed = parse_inotify_records(bytes, inotify_.records);
  handle_record_sequence(more_may_follow);
  return parsed;
}

void watch_engine::handle_record_sequence(bool more_may_follow) {
  inotify_.reading = true;
  inotify_.more_may_follow = more_may_follow;
  inotify_.next_record = 0;
  handle_remaining_records();
  inotify_.reading = false;
  inotify_.records.clear();
  inotify_.replayed_names.clear();
  if (inotify_.overflow_marker == gap_ends_with_this_read)
    end_of_overflow_gap();
}

void watch_engine::handle_remaining_records() {
  while (inotify_.next_record < inotify_.records.size()) {
    if (inotify_.more_may_follow && (awaits_second_half(inotify_.next_record) || awaits_destination(inotify_.next_record))) {
      for (std::size_t i = inotify_.next_record; i < inotify_.records.size(); ++i)
        append_inotify_record(inotify_.undecided_records, inotify_.records[i].watch, inotify_.records[i].mask,
                              inotify_.records[i].cookie, inotify_.records[i].name);
      inotify_.undecided_deadline = now_.steady + options_.rename_hold;
      inotify_.next_record = inotify_.records.size();
      break;
    }
    // A copy: handling it may insert records after it (replay_deferred).
    const inotify_record record = inotify_.records[inotify_.next_record++];
    handle_record(record);
  }
}

void watch_engine::handle_record(const inotify_record& record) {
  ++counters_.records;
  if (inotify_.last_arrival)
    forget_arrival_unless_between(record);
  if (record.mask & inotify_flag::queue_overflow) {
    overflow();
    return;
  }
  if (inotify_.picture_ahead_marker >= 0 && record.watch == inotify_.picture_ahead_marker &&
      (record.mask & inotify_flag::ignored) != 0)
    inotify_.picture_ahead_marker = -1; // the records from here on were queued after the look
  if (inotify_.overflow_marker >= 0 && record.watch == inotify_.overflow_marker &&
      (record.mask & inotify_flag::ignored) != 0)
    end_of_overflow_gap();
  if (!inotify_.new_watches.empty() && (record.mask & inotify_flag::ignored) != 0) {
    // The markers are read in the order they were queued.
    auto ended = std::find_if(inotify_.new_watches.begin(), inotify_.new_watches.end(),
                              [&](const auto& batch) { return batch.first == record.watch; });
    if (ended != inotify_.new_watches.end())
      inotify_.new_watches.erase(inotify_.new_watches.begin(), std::next(ended));
  }
  if (!inotify_.records_before_marker.empty() && drop_if_before_marker(record))
    return;
  auto range = watches_.equal_range(record.watch);
  if (range.first == range.second) {
    // A watch we removed: its last records and IN_IGNORED are still in the queue. The IN_IGNORED
    // of one that a look again added and removed says that the look's news have all been read.
    if ((record.mask & inotify_flag::ignored) != 0 && !inotify_.pending_looks.empty())
      look_is_due(record.watch);
    return;
  }
  inotify_.had_news = true;
  // Handling may drop roots and watches: work on a copy of the references. More than one only
  // for file roots sharing their parent directory.
  std::vector<watch_ref> refs;
  watch_ref single{};
  std::size_t count = 0;
  for (auto it = range.first; it != range.second; ++it, ++count) {
    if (count == 0) {
      single = it->second;
    } else {
      if (count == 1)
        refs.push_back(single);
      refs.push_back(it->second);
    }
  }
  const watch_ref* first = count == 1 ? &single : refs.data();
  const watch_ref* last = first + count;
  if (inotify_.overflow_marker != -1) {
    for (const watch_ref* ref = first; ref != last; ++ref) {
      ref->root->touched_after_overflow.insert(ref->node);
      if (record.name.empty() && ref->root->tree[ref->node].parent != no_node)
        ref->root->touched_after_overflow.insert(ref->root->tree[ref->node].parent);
    }
  }
  if (!held_.empty()) {
    for (const watch_ref* ref = first; ref != last; ++ref) {
      if (in_limbo(*ref->root, ref->node)) {
        // The directory is between the two halves of a move: its path is unknown until the
        // "moved to" comes or the hold expires.
        inotify_.deferred.push_back({record.watch, record.mask, record.cookie, std::string(record.name)});
        return;
      }
    }
  }
  for (const watch_ref* ref_ptr = first; ref_ptr != last; ++ref_ptr) {
    const watch_ref& ref = *ref_ptr;
    root_state& root = *ref.root;
    if (record.mask & inotify_flag::ignored) {
      if (ref.node == root.tree.root()) {
        root_gone(root);
      } else {
        // The directory is gone; its record in the parent usually follows. Until then the node
        // is looked at again where the picture has it: a picture that was wrong about which
        // directory that was (records of a swap the disk could not confirm) learns what the
        // path holds instead.
        root.tree[ref.node].watch = -1;
        root.stale.insert(ref.node);
        auto again = watches_.equal_range(record.watch);
        for (auto it = again.first; it != again.second; ++it) {
          if (it->second.root == &root && it->second.node == ref.node) {
            watches_.erase(it);
            --counters_.watches;
            break;
          }
        }
      }
      continue;
    }
    if (record.name.empty())
      handle_self(root, ref.node, record.mask);
    else
      handle_named(root, ref.node, record.mask, record.cookie, record.name);
  }
}

void watch_engine::handle_self(root_state& root, node_id dir, std::uint32_t mask) {
  // A subdirectory's own records repeat what its parent's watch reports by name; only the
  // root's matter.
  if (dir != root.tree.root())
    return;
  if (mask & (inotify_flag::delete_self | inotify_flag::move_self | inotify_flag::unmount)) {
    reexamine_root(root);
    return;
  }
  if ((mask & inotify_flag::attrib) && !root.file_root) {
    emit(root, event_kind::attributes, root.path, entry_type::directory);
    if (root.rescan_due_since)
      retry_rescan(root);
    else if (!root.problems_reported.empty())
      retry_problem_directories(root, root.tree.root());
  }
}

void watch_engine::handle_named(root_state& root, node_id dir, std::uint32_t mask,
                                std::uint32_t cookie, std::string_view name) {
  entry_tree& tree = root.tree;
  bool is_directory = (mask & inotify_flag::is_dir) != 0;
  if (root.ignoring())
    note_ignore_record(root, dir, name); // ignored itself or not, it is read
  if (!accepts(root, tree, dir, name, is_directory)) {
    if (mask & inotify_flag::moved_to) {
      // Renamed to an ignored name: for the watched tree, the entry left.
      for (std::size_t i = 0; i < held_.size(); ++i)
        if (held_[i].cookie == cookie && cookie != 0) {
          expire_move(i);
          break;
        }
    }
    return;
  }
  node_id child = tree.find(dir, name);
  if (mask & inotify_flag::create) {
    if (child != no_node) {
      if (is_directory == (tree[child].type == entry_type::directory)) {
        ++counters_.duplicates_suppressed; // a scan of a new directory found it first
        return;
      }
      entry_removed(root, child);
    }
    entry_appeared(root, dir, name, is_directory);
  } else if (mask & (inotify_flag::delete_entry | inotify_flag::moved_from)) {
    if (child == no_node)
      return;
    // An entry of the other kind left: the picture has a later entry of the name, met by a scan
    // that read ahead of this record (the directory's records read before the scan took its
    // watch are dropped, not those still in the queue). The one that left is not in it.
    if (is_directory != (tree[child].type == entry_type::directory)) {
      ++counters_.records_behind_picture;
      return;
    }
    if (mask & inotify_flag::delete_entry)
      entry_removed(root, child);
    else if (!moved_from_names_another(root, dir, child, name, cookie, is_directory))
      park_move(root, child, cookie, is_directory);
  } else if (mask & inotify_flag::moved_to) {
    if (!finish_move(root, dir, name, cookie)) {
      node_id existing = tree.find(dir, name);
      if (existing != no_node)
        entry_removed(root, existing);
      entry_appeared(root, dir, name, is_directory);
      if (existing != no_node) // the first half of an exchange, perhaps
        note_arrival(root, dir, name, cookie, is_directory, true);
    }
  } else if (mask & (inotify_flag::modify | inotify_flag::attrib)) {
    if (child == no_node) {
      if (tree[dir].scan_pending)
        return; // not listed yet (an add's root, in slices): its listing, to come, meets it
      // The entry's creation was never seen, or this is a write or a change of attributes
      // through a descriptor of a file whose name already left: the kernel names an unlinked
      // file in its old directory still, after its IN_DELETE. Reported, as what it is now, only
      // if the name is there.
      if (!is_directory && name_is_gone(root, dir, name)) {
        ++counters_.records_behind_picture;
        return;
      }
      entry_appeared(root, dir, name, is_directory);
      return;
    }
    event_kind kind = (mask & inotify_flag::modify) ? event_kind::modified : event_kind::attributes;
    std::string path = tree.path(child);
    const bool held_until_closed = kind == event_kind::modified && queue_.settling() &&
                                   tree[child].type != entry_type::directory && !root.adding;
    if (emit(root, kind, held_until_closed ? path : std::move(path), tree[child].type) && held_until_closed)
      queue_.note_write(path); // until its IN_CLOSE_WRITE (settling watches for it)
    if (kind == event_kind::attributes && !root.problems_reported.empty())
      retry_problem_directories(root, child);
  } else if (mask & inotify_flag::close_write) {
    if (child != no_node)
      queue_.note_closed(tree.path(child));
  }
}

bool watch_engine::name_is_gone(root_state& root, node_id dir, std::string_view name) {
  entry_type type = entry_type::unknown;
  entry_status status;
  return is_vanished(fs_.status(join_path(root.tree.path(dir), name), false, type, status));
}

void watch_engine::replay_deferred() {
  if (inotify_.deferred.empty())
    return;
  std::vector<deferred_record> held_back;
  held_back.swap(inotify_.deferred);
  // They are handled as a read is, so that an exchange among them is told from two renames;
  // their names are kept until the read ends.
  std::vector<inotify_record> sequence;
  sequence.reserve(held_back.size());
  for (deferred_record& d : held_back) {
    inotify_.replayed_names.push_back(std::move(d.name));
    sequence.push_back(inotify_record{d.watch, d.mask, d.cookie, inotify_.replayed_names.back()});
  }
  if (inotify_.reading) {
    // Within a read: they were queued before the rest of it (which comes after the record that
    // freed them), so they come next, once the record being handled is done.
    inotify_.records.insert(inotify_.records.begin() + static_cast<std::ptrdiff_t>(inotify_.next_record), sequence.begin(),
                    sequence.end());
    return;
  }
  // From a timer or a scan: a read of their own.
  inotify_.records = std::move(sequence);
  handle_record_sequence(false);
}

void watch_engine::drop_records_read_of(int watch) {
  // Every record of the watch read so far describes the directory's past: the scan that follows
  // the watch sees what they did. Handled later, they would land on the node the directory has
  // now, after it was listed. They are held back (while its old node was between the halves of
  // a move), still to come in this read (replayed ones among them), or kept undecided for the
  // next read.
  const auto of_watch = [watch](const auto& r) { return r.watch == watch; };
  inotify_.deferred.erase(std::remove_if(inotify_.deferred.begin(), inotify_.deferred.end(), of_watch), inotify_.deferred.end());
  if (inotify_.reading) {
    const auto rest = inotify_.records.begin() + static_cast<std::ptrdiff_t>(inotify_.next_record);
    inotify_.records.erase(std::remove_if(rest, inotify_.records.end(), of_watch), inotify_.records.end());
  }
  if (!inotify_.undecided_records.empty()) {
    std::vector<inotify_record> kept;
    parse_inotify_records(inotify_.undecided_records, kept);
    std::string rest;
    for (const inotify_record& r : kept)
      if (r.watch != watch)
        append_inotify_record(rest, r.watch, r.mask, r.cookie, r.name);
    inotify_.undecided_records = std::move(rest);
  }
}

void watch_engine::drop_records_unread_of(int watch) {
  // The records of the watch still in the kernel's queue describe the directory's past as well:
  // they come before a marker queued now, before the directory is read.
  const int marker = fs_.mark_queue();
  if (marker >= 0)
    inotify_.records_before_marker[watch] = marker;
  picture_may_be_ahead(marker); // the watch moved: the scan met the directory where it is now
}

bool watch_engine::drop_if_before_marker(const inotify_record& record) {
  if ((record.mask & inotify_flag::ignored) != 0) {
    for (auto it = inotify_.records_before_marker.begin(); it != inotify_.records_before_marker.end();)
      it = it->second == record.watch ? inotify_.records_before_marker.erase(it) : std::next(it);
  }
  return inotify_.records_before_marker.count(record.watch) != 0;
}

void watch_engine::picture_may_be_ahead(int marker) {
  if (marker < 0)
    marker = fs_.mark_queue();
  if (marker >= 0)
    inotify_.picture_ahead_marker = marker; // the last one queued is read last
}

void watch_engine::mark_new_watches() {
  // One marker for every look of the entry point: the records queued before it include all
  // those queued before any of them.
  if (inotify_.new_watches.empty() || inotify_.new_watches.back().first >= 0)
    return;
  const int marker = fs_.mark_queue();
  if (marker >= 0)
    inotify_.new_watches.back().first = marker;
  else
    inotify_.new_watches.pop_back(); // nothing would end the window
}

bool watch_engine::is_new_watch(int watch) const {
  return std::any_of(inotify_.new_watches.begin(), inotify_.new_watches.end(),
                     [watch](const auto& batch) { return batch.second.count(watch) != 0; });
}

} // namespace asio_fswatch::detail
