// SPDX-License-Identifier: BSL-1.0
// The merging rules of a settle period: see settle_batch.hpp. Each rule takes events away only
// when the batch's index shows that nothing kept depends on them; where it cannot tell, the
// events are kept as they came (less merged, never wrong).
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/settle_batch.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {
namespace {

// Events looked at when a directory's creation is cancelled or moved: past this, it is kept.
constexpr std::size_t max_look = 1 << 16;

std::string prefix_of(const std::string& path) { return path == "/" ? path : path + '/'; }

bool is_below(std::string_view path, std::string_view prefix) {
  return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0;
}

const std::string& key_of(const std::string& key) { return key; }
template <typename Value>
const std::string& key_of(const std::pair<const std::string, Value>& entry) {
  return entry.first;
}

/// The entries of `keys` (a std::set or std::map of paths) strictly below `path`: contiguous
/// in their order, from "path/" on.
template <typename Ordered>
auto range_below(Ordered& keys, const std::string& path) {
  const std::string prefix = prefix_of(path);
  auto first = keys.lower_bound(prefix);
  auto last = first;
  while (last != keys.end() && is_below(key_of(*last), prefix))
    ++last;
  return std::pair(first, last);
}

bool same_type(entry_type a, entry_type b) {
  if (a == b)
    return true;
  // `unknown` is some non-directory whose type could not be read in time.
  return (a == entry_type::unknown && b != entry_type::directory) ||
         (b == entry_type::unknown && a != entry_type::directory);
}

// Whether an entry of type `b` that took the place of one of type `a` is, for the reader, the
// same entry changed ("replaced"): the same type, known, and not a directory (a new directory
// is empty; the old one's content went). `unknown` could be anything but a directory.
bool replaceable(entry_type a, entry_type b) {
  return a == b && a != entry_type::unknown && a != entry_type::directory;
}

} // namespace

std::ptrdiff_t settle_batch::append(event_kind kind, std::string path, entry_type type,
                                    std::string old_path, entry_type old_type) {
  slots_.push_back(slot{kind, type, old_type, true, std::move(path), std::move(old_path), root_, {}});
  ++live_;
  return static_cast<std::ptrdiff_t>(slots_.size()) - 1;
}

void settle_batch::kill(std::ptrdiff_t index) {
  if (!is_live(index))
    return;
  at(index).live = false;
  --live_;
  ++merged_;
}

settle_batch::path_state* settle_batch::find(const std::string& path) {
  auto it = paths_.find(path);
  return it == paths_.end() ? nullptr : &it->second;
}

void settle_batch::forget_below(const std::string& path) {
  auto [first, last] = range_below(paths_, path);
  paths_.erase(first, last);
}

bool settle_batch::events_inside(std::ptrdiff_t from, const std::string& path,
                                 std::vector<std::ptrdiff_t>& out) const {
  const std::string prefix = prefix_of(path);
  if (slots_.size() - static_cast<std::size_t>(from) > max_look)
    return false;
  for (std::size_t i = static_cast<std::size_t>(from) + 1; i < slots_.size(); ++i) {
    const slot& s = slots_[i];
    if (!s.live || s.kind == event_kind::overflow || s.kind == event_kind::error)
      continue;
    const bool inside = is_below(s.path, prefix);
    const bool moves = s.kind == event_kind::renamed || s.kind == event_kind::exchanged;
    if (moves && inside != is_below(s.old_path, prefix))
      return false; // across the directory's edge: what is outside depends on it
    if (inside)
      out.push_back(static_cast<std::ptrdiff_t>(i));
  }
  return true;
}

void settle_batch::push(const std::filesystem::path& root, event_kind kind, std::string path,
                        entry_type type, std::string old_path, entry_type old_type) {
  if (kind == event_kind::overflow || kind == event_kind::error) {
    fs_event event;
    event.kind = kind;
    event.path = path_from_text(std::move(path));
    event.type = type;
    event.root = root;
    push_barrier(std::move(event));
    return;
  }
  root_ = 0;
  while (root_ < roots_.size() && roots_[root_] != root)
    ++root_;
  if (root_ == roots_.size())
    roots_.push_back(root);
  switch (kind) {
  case event_kind::modified:
  case event_kind::attributes: on_content(kind, std::move(path), type); break;
  case event_kind::created: on_created(std::move(path), type); break;
  case event_kind::removed: on_removed(std::move(path), type); break;
  case event_kind::renamed: on_renamed(std::move(old_path), std::move(path), type); break;
  case event_kind::exchanged: on_exchanged(std::move(path), type, std::move(old_path), old_type); break;
  default: break;
  }
}

void settle_batch::push_barrier(fs_event event) {
  paths_.clear(); // what the kernel dropped may have changed any path
  if (event.kind == event_kind::overflow)
    writers_.clear(); // a close may have been dropped: do not wait for it
  slots_.push_back(slot{event.kind, event.type, entry_type::unknown, true, {}, {}, 0, std::move(event)});
  ++live_;
}

void settle_batch::note_write(const std::string& path) {
  if (writers_.find(path) == writers_.end())
    writers_.insert(path);
}

void settle_batch::note_closed(const std::string& path) { writers_.erase(path); }

void settle_batch::on_content(event_kind kind, std::string path, entry_type type) {
  path_state& state = paths_[path];
  if (is_live(state.structural) && at(state.structural).kind == event_kind::created) {
    ++merged_; // a new entry: the reader reads it whole
    return;
  }
  std::ptrdiff_t& last = kind == event_kind::modified ? state.modified : state.attributes;
  if (is_live(last)) {
    ++merged_;
    return;
  }
  last = append(kind, std::move(path), type, {}, entry_type::unknown);
}

void settle_batch::on_created(std::string path, entry_type type) {
  path_state& state = paths_[path];
  if (is_live(state.structural) && type != entry_type::directory) {
    slot& before = at(state.structural);
    if (before.kind == event_kind::removed && before.path == path && replaceable(before.type, type)) {
      // Removed and created again, as the same type: for the reader, its content changed.
      kill(state.structural);
      ++merged_; // the creation, taken as a modification
      state.structural = -1;
      state.attributes = -1;
      state.modified = append(event_kind::modified, std::move(path), type, {}, entry_type::unknown);
      return;
    }
  }
  set_structural(state, append(event_kind::created, std::move(path), type, {}, entry_type::unknown));
}

bool settle_batch::cancel_arrival(std::ptrdiff_t index, const std::string& path, bool is_directory) {
  std::vector<std::ptrdiff_t> inside;
  if (is_directory && !events_inside(index, path, inside))
    return false;
  for (std::ptrdiff_t i : inside)
    kill(i);
  if (is_directory)
    forget_below(path);
  return true;
}

void settle_batch::on_removed(std::string path, entry_type type) {
  const bool is_directory = type == entry_type::directory;
  writers_.erase(path); // no IN_CLOSE_WRITE comes for a file unlinked (IN_EXCL_UNLINK)
  if (is_directory) {
    auto [first, last] = range_below(writers_, path);
    writers_.erase(first, last);
  }
  if (path_state* state = find(path); state && is_live(state->structural)) {
    const std::ptrdiff_t arrival = state->structural;
    slot& before = at(arrival);
    if (before.kind == event_kind::created && before.path == path && same_type(before.type, type) &&
        cancel_arrival(arrival, path, is_directory)) {
      // Created and removed within the batch: nothing happened.
      kill(state->modified);
      kill(state->attributes);
      kill(arrival);
      ++merged_; // the removal
      paths_.erase(path);
      return;
    }
    if (before.kind == event_kind::renamed && before.path == path && same_type(before.type, type) &&
        !is_live(state->modified) && !is_live(state->attributes)) {
      path_state* origin = find(before.old_path);
      // After the move, the old path may have been created again, as the same type, and
      // nothing else came there in between (the index knows it: previous).
      const bool recreated = origin && is_live(origin->structural) && origin->previous == arrival &&
                             at(origin->structural).kind == event_kind::created &&
                             replaceable(before.type, at(origin->structural).type);
      if (origin && (origin->structural == arrival || recreated) && cancel_arrival(arrival, path, is_directory)) {
        // Moved here, then removed: removed where it was. The removal takes the rename's place,
        // before anything that later came to the old path; a creation there since is then a
        // modification (an editor that keeps a backup: rename f f~, write f, remove f~).
        ++merged_;
        paths_.erase(path);
        if (recreated) {
          kill(arrival);
          at(origin->structural).kind = event_kind::modified;
          origin->modified = origin->structural;
          origin->structural = -1;
          origin->attributes = -1;
          return;
        }
        before.kind = event_kind::removed;
        before.path = std::move(before.old_path);
        before.old_path.clear();
        origin->modified = origin->attributes = -1;
        return;
      }
    }
  }
  if (path_state* state = find(path)) {
    kill(state->modified); // a change of content or attributes of an entry that then went
    kill(state->attributes);
  }
  if (is_directory) {
    auto [first, last] = range_below(paths_, path);
    for (auto it = first; it != last; ++it) {
      kill(it->second.modified);
      kill(it->second.attributes);
    }
    paths_.erase(first, last);
  }
  path_state& state = paths_[path];
  set_structural(state, append(event_kind::removed, std::move(path), type, {}, entry_type::unknown));
}

void settle_batch::on_renamed(std::string old_path, std::string path, entry_type type) {
  const bool is_directory = type == entry_type::directory;
  if (auto w = writers_.find(old_path); w != writers_.end()) {
    writers_.erase(w); // still open for writing, under its new name
    writers_.insert(path);
  }
  if (is_directory)
    move_writers(old_path, path);
  if (path_state* from = find(old_path); from && is_live(from->structural)) {
    const std::ptrdiff_t arrival = from->structural;
    slot& before = at(arrival);
    std::vector<std::ptrdiff_t> inside;
    if (before.kind == event_kind::created && before.path == old_path && same_type(before.type, type) &&
        (!is_directory || (events_inside(arrival, old_path, inside) && inside.empty()))) {
      // Created, then moved: created where it ended (written at a temporary name and renamed
      // into place); over a removed entry of its type, a modification (an atomic save).
      kill(arrival);
      ++merged_; // the rename
      paths_.erase(old_path);
      on_created(std::move(path), type);
      return;
    }
    if (before.kind == event_kind::renamed && before.path == old_path && same_type(before.type, type) &&
        !is_live(from->modified) && !is_live(from->attributes)) {
      path_state* origin = find(before.old_path);
      inside.clear();
      if (origin && origin->structural == arrival && (!is_directory || events_inside(arrival, old_path, inside)) &&
          inside.empty()) {
        // Moved twice: once, from where it was to where it is (or not at all).
        std::string first = std::move(before.old_path);
        kill(arrival);
        ++merged_;
        paths_.erase(old_path);
        if (first == path) {
          paths_.erase(first);
          return;
        }
        on_renamed_plain(std::move(first), std::move(path), type);
        return;
      }
    }
  }
  on_renamed_plain(std::move(old_path), std::move(path), type);
}

void settle_batch::move_writers(const std::string& from, const std::string& to) {
  auto [first, last] = range_below(writers_, from);
  const std::string from_prefix = prefix_of(from);
  const std::string to_prefix = prefix_of(to);
  std::vector<std::string> moved;
  for (auto it = first; it != last; ++it)
    moved.push_back(to_prefix + it->substr(from_prefix.size()));
  writers_.erase(first, last);
  writers_.insert(moved.begin(), moved.end());
}

void settle_batch::on_renamed_plain(std::string old_path, std::string path, entry_type type) {
  if (type == entry_type::directory) {
    forget_below(old_path);
    forget_below(path);
  }
  const std::ptrdiff_t index = append(event_kind::renamed, path, type, old_path, entry_type::unknown);
  set_structural(paths_[old_path], index);
  set_structural(paths_[path], index);
}

void settle_batch::on_exchanged(std::string path, entry_type type, std::string old_path, entry_type old_type) {
  auto a = writers_.find(path);
  auto b = writers_.find(old_path);
  const bool path_writing = a != writers_.end();
  const bool old_writing = b != writers_.end();
  if (path_writing != old_writing) {
    writers_.erase(path_writing ? path : old_path);
    writers_.insert(path_writing ? old_path : path);
  }
  if (type == entry_type::directory || old_type == entry_type::directory) {
    // The two subtrees swap: through a name below neither.
    const std::string parked = "\n";
    move_writers(path, parked);
    move_writers(old_path, path);
    move_writers(parked, old_path);
  }
  if (type == entry_type::directory)
    forget_below(old_path);
  if (old_type == entry_type::directory)
    forget_below(path);
  const std::ptrdiff_t index = append(event_kind::exchanged, path, type, old_path, old_type);
  for (const std::string* p : {&path, &old_path}) {
    set_structural(paths_[*p], index);
  }
}

void settle_batch::truncate(std::size_t checkpoint) {
  while (slots_.size() > checkpoint) {
    if (slots_.back().live)
      --live_;
    slots_.pop_back();
  }
  paths_.clear();
}

void settle_batch::release_into(std::deque<fs_event>& out) {
  for (slot& s : slots_) {
    if (!s.live)
      continue;
    if (s.kind == event_kind::overflow || s.kind == event_kind::error) {
      out.push_back(std::move(s.barrier));
      continue;
    }
    fs_event event;
    event.kind = s.kind;
    event.path = path_from_text(std::move(s.path));
    event.old_path = path_from_text(std::move(s.old_path));
    event.type = s.type;
    event.old_type = s.old_type;
    event.root = roots_[s.root];
    out.push_back(std::move(event));
  }
  slots_.clear();
  paths_ = {};
  writers_.clear();
  roots_.clear();
  live_ = 0;
}

} // namespace asio_fswatch::detail
