// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine: its roots, its entry points' timers,
// the check of its own picture, and what it hands the event queue. The other jobs live beside
// it: scanning and watching (watch_engine_scan.cpp), inotify's records (watch_engine_inotify.cpp),
// moves and their holds (watch_engine_moves.cpp), swaps (watch_engine_exchange.cpp), overflow,
// polling and reconciliation (watch_engine_reconcile.cpp), and the change records of recursive
// watches such as ReadDirectoryChangesW (watch_engine_changes.cpp).
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <utility>

namespace asio_fswatch::detail {
namespace {

namespace sys = boost::system;

bool is_within(const std::string& path, const std::string& base) {
  if (path.size() < base.size() || path.compare(0, base.size(), base) != 0)
    return false;
  return path.size() == base.size() || base == "/" || path[base.size()] == '/';
}

} // namespace

time_sample time_sample::now() {
  time_sample t;
  t.steady = std::chrono::steady_clock::now();
  t.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return t;
}

watch_engine::watch_engine(filesystem& fs, watch_policy policy, const monitor_options& options)
    : fs_(fs), policy_(policy), options_(options),
      // Polling sees the tree only at each scan: a quiet period shorter than the interval would
      // end before any scan could see the tree quiet.
      queue_(options.settle.count() > 0
                 ? event_queue(policy == watch_policy::polling ? std::max(options.settle, options.poll_interval)
                                                                : options.settle,
                               options.settle_max)
                 : event_queue()) {}

watch_engine::~watch_engine() = default;

bool watch_engine::is_vanished(const sys::error_code& ec) {
  // The entry went away between the event and our look at it: its removal is reported by the
  // event that follows, so this is not a problem to report. Its path may also have gone stale
  // above it: a directory on the way replaced by a file (ENOTDIR) or by a symlink loop (ELOOP;
  // symlinks are never followed on purpose, and an entry that is now a symlink gives ELOOP to
  // O_NOFOLLOW); the records of that replacement follow too.
  return ec == sys::errc::no_such_file_or_directory || ec == sys::errc::not_a_directory ||
         ec == sys::errc::too_many_symbolic_link_levels;
}

std::size_t watch_engine::entries() const noexcept {
  std::size_t n = 0;
  for (const auto& root : roots_)
    n += root->tree.size();
  return n;
}

std::size_t watch_engine::memory_bytes() const noexcept {
  std::size_t bytes = watches_.size() * (sizeof(std::pair<int, watch_ref>) + 2 * sizeof(void*));
  for (const auto& root : roots_)
    bytes += root->tree.memory_bytes();
  return bytes;
}

std::vector<std::string> watch_engine::root_paths() const {
  std::vector<std::string> out;
  for (const auto& root : roots_)
    out.push_back(root->path);
  return out;
}

engine::root_state* watch_engine::find_root(const std::string& path) const {
  for (const auto& root : roots_)
    if (root->path == path)
      return root.get();
  return nullptr;
}

entry_tree* watch_engine::picture_of(const std::string& path) const noexcept {
  root_state* root = find_root(path);
  return root && !root->file_root ? &root->tree : nullptr;
}

sys::error_code watch_engine::check_overlap(const std::string& path) const {
  for (const auto& root : roots_)
    if (is_within(path, root->path) || is_within(root->path, path))
      return errc::already_watched;
  return {};
}

watch_kind watch_engine::root_watch_kind(const root_state& root) const noexcept {
  if (policy_ == watch_policy::per_directory)
    return watch_kind::root;
  return root.recursive() ? watch_kind::tree : watch_kind::single_directory;
}

sys::error_code watch_engine::remove_root(const std::string& path) {
  root_state* root = find_root(path);
  if (!root)
    return errc::not_watched;
  if (root->adding)
    ended_adds_[root->adding->id] = boost::asio::error::operation_aborted;
  drop_root(*root, true);
  return {};
}

void watch_engine::drop_root(root_state& root, bool remove_watches) {
  forget_arrival_into(root);
  held_.erase(std::remove_if(held_.begin(), held_.end(),
                             [&](const held_move& m) { return m.root == &root; }),
              held_.end());
  for (node_id detached : root.tree.detached())
    forget_watches(root, root.tree, detached, remove_watches);
  forget_watches(root, root.tree, root.tree.root(), remove_watches);
  forget_pending_looks(root);
  roots_.erase(std::find_if(roots_.begin(), roots_.end(),
                            [&](const auto& r) { return r.get() == &root; }));
}

void watch_engine::forget_pending_looks(root_state& root) {
  root.looks_overdue.clear();
  for (auto it = inotify_.pending_looks.begin(); it != inotify_.pending_looks.end();)
    it = it->second.root == &root ? inotify_.pending_looks.erase(it) : std::next(it);
}

void watch_engine::root_gone(root_state& root) {
  release_moves_of(root);
  if (root.file_root) {
    node_id file = root.tree.find(root.tree.root(), root.only_name);
    if (file != no_node)
      emit(root, event_kind::removed, root.path, root.tree[file].type);
  } else {
    emit_raw(root, fs_event{event_kind::removed, root.given_path, {}, entry_type::directory, {}});
  }
  end_root(root);
}

void watch_engine::end_root(root_state& root) {
  if (root.adding) {
    // Not added yet: its add fails, and the reader, who was told nothing of it, hears nothing.
    ended_adds_[root.adding->id] = errc::root_removed;
    drop_root(root, true);
    return;
  }
  emit_raw(root, fs_event{event_kind::error, root.given_path, {},
                    root.file_root ? entry_type::unknown : entry_type::directory, errc::root_removed});
  drop_root(root, true);
}

std::string watch_engine::check() const {
  for (const auto& root_ptr : roots_) {
    const root_state& root = *root_ptr;
    const entry_tree& tree = root.tree;
    if (std::string problem = tree.check(); !problem.empty())
      return root.path + ": " + problem;
    std::string problem;
    std::size_t watched = 0;
    auto check_watch = [&](node_id id, std::size_t) {
      int watch = tree[id].watch;
      if (watch < 0 || !problem.empty())
        return;
      ++watched;
      auto range = watches_.equal_range(watch);
      if (std::none_of(range.first, range.second, [&](const auto& entry) {
            return entry.second.root == &root && entry.second.node == id;
          }))
        problem = tree.path(id) + " has watch " + std::to_string(watch) + ", which does not name it";
    };
    tree.for_each_preorder(tree.root(), check_watch);
    for (node_id detached : tree.detached()) // a directory in limbo keeps its watches
      tree.for_each_preorder(detached, check_watch);
    if (!problem.empty())
      return root.path + ": " + problem;
    std::size_t refs = 0;
    for (const auto& [watch, ref] : watches_) {
      if (ref.root != &root)
        continue;
      ++refs;
      if (ref.node >= tree.node_slots() || !tree[ref.node].in_use)
        return root.path + ": watch " + std::to_string(watch) + " names a node not in use";
      if (tree[ref.node].watch != watch)
        return root.path + ": watch " + std::to_string(watch) + " names " + tree.path(ref.node) +
               ", which has watch " + std::to_string(tree[ref.node].watch);
    }
    if (refs != watched)
      return root.path + ": " + std::to_string(refs) + " watch references for " +
             std::to_string(watched) + " watched directories";
    for (node_id detached : tree.detached())
      if (std::none_of(held_.begin(), held_.end(),
                       [&](const held_move& m) { return m.root == &root && m.node == detached; }))
        return root.path + ": node " + std::to_string(detached) + " is detached, but no move holds it";
  }
  for (const held_move& m : held_) {
    const entry_tree& tree = m.root->tree;
    if (!tree[m.node].in_use || tree[m.node].parent != no_node)
      return "held move " + std::to_string(m.cookie) + ": its node is not detached";
    if (!tree[m.from_parent].in_use)
      return "held move " + std::to_string(m.cookie) + ": the directory it left is gone";
  }
  return {};
}

void watch_engine::on_timer(const time_sample& now) {
  now_ = now;
  if (!inotify_.undecided_records.empty()) {
    // No second half came in time (or a held move, perhaps the first half's, is due): the kept
    // records are handled as they are, before any hold expires.
    bool due = inotify_.undecided_deadline <= now.steady ||
               std::any_of(held_.begin(), held_.end(),
                           [&](const held_move& m) { return m.deadline <= now.steady; });
    if (due) {
      std::string records = std::move(inotify_.undecided_records);
      inotify_.undecided_records.clear();
      inotify_.undecided_records_due = true;
      handle_records(records, false);
      inotify_.undecided_records_due = false;
    }
  }
  for (std::size_t i = 0; i < held_.size();) {
    if (held_[i].deadline <= now.steady)
      expire_move(i);
    else
      ++i;
  }
  retry_unwatched();
  retry_blocked_if_due();
  if (identity_check_at_ && now.steady >= *identity_check_at_)
    check_root_identities();
  mark_new_watches();
}

std::optional<std::chrono::steady_clock::time_point> watch_engine::next_identity_check() const {
  if (roots_.empty())
    return std::nullopt;
  return identity_check_at_;
}

std::optional<std::chrono::steady_clock::time_point> watch_engine::next_deadline() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  if (!inotify_.undecided_records.empty())
    next = inotify_.undecided_deadline;
  for (const held_move& m : held_)
    if (!next || m.deadline < *next)
      next = m.deadline;
  if (auto settled = queue_.settle_due(); settled && (!next || *settled < *next))
    next = settled;
  if (limit_retry_at_ && (!next || *limit_retry_at_ < *next))
    next = limit_retry_at_;
  for (const auto& root : roots_)
    if (root->adding && root->adding->stop_waiting_at && (!next || *root->adding->stop_waiting_at < *next))
      next = root->adding->stop_waiting_at;
  return next;
}

bool watch_engine::emit(root_state& root, event_kind kind, std::string path, entry_type type,
                        std::string old_path, entry_type old_type) {
  if (!root.include.empty() &&
      !include_wants(root.include, kind, root.relative(path), type, root.relative(old_path), old_type))
    return false;
  event_queue& out = output_of(root);
  out.push_change(root.given_path, kind, std::move(path), type, std::move(old_path), old_type);
  out.stamp(now_.steady); // settling: the time of the change, for the quiet period
  return true;
}

void watch_engine::emit_raw(const root_state& root, fs_event event) {
  event.root = root.given_path;
  event_queue& out = output_of(root);
  out.push(std::move(event));
  out.stamp(now_.steady);
}

monitor_stats watch_engine::stats() const noexcept {
  monitor_stats out;
  out.roots = roots_.size();
  for (const auto& root : roots_) {
    out.directories += root->tree.directories();
    out.entries += root->tree.size();
  }
  out.kernel_watches = counters_.watches;
  out.memory_bytes = memory_bytes();
  out.events_queued = queue_.size();
  out.overflows = counters_.overflow_events;
  return out;
}

engine_counters watch_engine::counters() const noexcept {
  engine_counters counters = counters_;
  counters.events = queue_.events();
  counters.coalesced = queue_.coalesced();
  return counters;
}

} // namespace asio_fswatch::detail
