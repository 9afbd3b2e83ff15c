// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the events of one settle period (monitor_options::settle), merged per
// path as they arrive so that the batch the reader gets at the end says what changed, not every
// step of it (sans-io). What it promises: replaying the merged batch on the tree as it was when
// the batch began gives the tree the unmerged events give, and every entry the unmerged events
// say was written (created or modified) or had its attributes changed is still said to be so,
// at the path it ends at. The rules, each applied only where nothing else in the batch depends
// on the events it takes away:
//  - created + modified/attributes = created; modified + modified = modified (same for
//    attributes); modified/attributes + removed = removed;
//  - created + removed = nothing (for a directory, with everything that happened inside it);
//  - removed + created of a non-directory of the same type = modified ("replaced");
//  - created + renamed = created at the new path; renamed + renamed = one rename (none when it
//    ends where it began); renamed + removed = removed at the old path.
// So an editor's atomic save (write a temporary file, rename it over the original) is one
// `modified`, and `npm install`'s files are one `created` each.
#ifndef ASIO_FSWATCH_DETAIL_SETTLE_BATCH_HPP
#define ASIO_FSWATCH_DETAIL_SETTLE_BATCH_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/fs_event.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::detail {

class ASIO_FSWATCH_DECL settle_batch {
public:
  /// Takes one event of the tree (paths absolute, '/' between their parts). `overflow` and
  /// `error` are kept as they are, and nothing before them merges with anything after.
  void push(const std::filesystem::path& root, event_kind kind, std::string path, entry_type type,
            std::string old_path = {}, entry_type old_type = entry_type::unknown);
  /// Takes an event as it is (overflow, error, a root's end): a barrier for merging.
  void push_barrier(fs_event event);

  /// A file was written (inotify IN_MODIFY) / closed after writing (IN_CLOSE_WRITE): while a
  /// file written in this batch is still open, the batch is not settled (writing() is true).
  void note_write(const std::string& path);
  void note_closed(const std::string& path);
  bool writing() const noexcept { return !writers_.empty(); }

  bool empty() const noexcept { return live_ == 0; }
  std::size_t size() const noexcept { return live_; }
  /// Events taken and not kept (merged into another, or cancelled out), ever.
  std::uint64_t merged() const noexcept { return merged_; }

  /// A point to truncate() back to: events taken after it merge with none before it.
  std::size_t checkpoint() {
    paths_.clear();
    return slots_.size();
  }
  /// Takes back the events taken since `checkpoint` (those merged away included).
  void truncate(std::size_t checkpoint);

  /// Moves the batch's events, in order, to the end of `out` and starts a new batch. Files
  /// still open for writing are forgotten: a write after this is noted again.
  void release_into(std::deque<fs_event>& out);

private:
  struct slot {
    event_kind kind;
    entry_type type;
    entry_type old_type;
    bool live;
    std::string path;
    std::string old_path;
    std::uint32_t root;  // in roots_
    fs_event barrier;    // overflow and error events only
  };
  // What the batch says about a path, as slot numbers (-1: nothing that may merge).
  struct path_state {
    std::ptrdiff_t structural = -1; // the last created/removed/renamed/exchanged naming it
    std::ptrdiff_t previous = -1;   // the one before it (-1: none, or forgotten)
    std::ptrdiff_t modified = -1;
    std::ptrdiff_t attributes = -1;
  };

  std::ptrdiff_t append(event_kind kind, std::string path, entry_type type, std::string old_path,
                        entry_type old_type);
  bool is_live(std::ptrdiff_t index) const noexcept {
    return index >= 0 && slots_[static_cast<std::size_t>(index)].live;
  }
  slot& at(std::ptrdiff_t index) { return slots_[static_cast<std::size_t>(index)]; }
  static void set_structural(path_state& state, std::ptrdiff_t index) {
    state.previous = state.structural;
    state.structural = index;
    state.modified = state.attributes = -1;
  }
  /// Files open for writing below `from` are now below `to` (a directory renamed).
  void move_writers(const std::string& from, const std::string& to);
  void kill(std::ptrdiff_t index);
  path_state* find(const std::string& path);
  /// Forgets what the batch says about the paths strictly below `path`.
  void forget_below(const std::string& path);
  /// The live events after `from` that name a path strictly below `path`; false when one of
  /// them also names a path outside it (a move across its edge), or there are too many to look at.
  bool events_inside(std::ptrdiff_t from, const std::string& path, std::vector<std::ptrdiff_t>& out) const;

  void on_content(event_kind kind, std::string path, entry_type type);
  void on_created(std::string path, entry_type type);
  void on_removed(std::string path, entry_type type);
  void on_renamed(std::string old_path, std::string path, entry_type type);
  void on_renamed_plain(std::string old_path, std::string path, entry_type type);
  void on_exchanged(std::string path, entry_type type, std::string old_path, entry_type old_type);
  /// The entry that was created at `index` (or arrived by the rename at `index`) leaves: the
  /// creation and what happened inside it go. False when something else depends on them.
  bool cancel_arrival(std::ptrdiff_t index, const std::string& path, bool is_directory);

  std::vector<slot> slots_;
  std::map<std::string, path_state, std::less<>> paths_;
  std::set<std::string, std::less<>> writers_;
  std::vector<std::filesystem::path> roots_; // the roots of the batch's events (a few)
  std::uint32_t root_ = 0;                   // of the event being pushed
  std::size_t live_ = 0;
  std::uint64_t merged_ = 0;
};

} // namespace asio_fswatch::detail

#endif
