// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, adding a root: at once (add_root, the
// whole scan in one call), or in slices (begin_add, continue_add) between which the records of
// the directories already watched are handled as usual, so that an event loop is never held
// for long. The root's events are held back until its add completes: nothing of an add that
// fails is reported.
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/error.hpp>

#include <utility>

namespace asio_fswatch::detail {

namespace sys = boost::system;

sys::error_code watch_engine::prepare_root(const std::string& path, const watch_options& options,
                                           std::unique_ptr<root_state>& out) {
  if (sys::error_code ec = check_overlap(path))
    return ec;
  auto root = std::make_unique<root_state>();
  root->path = path;
  root->given_path = path_from_text(path);
#if defined(_WIN32)
  root->given_path.make_preferred(); // '\' as the reader gets it: once here, not per event
#endif
  root->options = options;
  sys::error_code ec;
  for (const std::string& pattern : options.exclude) {
    root->exclude.add(pattern, ec);
    if (ec)
      return ec;
  }
  root->exclude_matches_paths = root->exclude.matches_paths();
  for (const std::string& pattern : options.include) {
    root->include.add(pattern, ec);
    if (ec)
      return ec;
  }

  entry_type type = entry_type::unknown;
  entry_status status;
  if ((ec = fs_.status(path, true, type, status)))
    return ec;
  std::string directory = path;
  if (type != entry_type::directory) {
    directory = std::string(parent_path(path));
    root->only_name = path.substr(path.find_last_of('/') + 1);
    root->file_root = true;
    if ((ec = fs_.status(directory, true, type, status)))
      return ec;
    if (type != entry_type::directory)
      return sys::errc::make_error_code(sys::errc::not_a_directory);
  }
  root->tree = entry_tree(directory, entry_type::directory, policy_ == watch_policy::polling);
  if (root->ignoring())
    read_above_rules(*root, directory);
  root->watched_inode = status.inode;
  root->watched_mount = status.mount_id;
  if (policy_ != watch_policy::polling) {
    if ((ec = watch_directory(*root, root->tree, root->tree.root(), directory, root_watch_kind(*root))))
      return ec;
  }
  out = std::move(root);
  return {};
}

engine::scan_mode watch_engine::add_scan_mode(const watch_options& options) const noexcept {
  scan_mode mode;
  mode.watch = policy_ == watch_policy::per_directory;
  mode.stat = policy_ == watch_policy::polling;
  mode.report_created = options.initial_listing;
  mode.fail_fast = true;
  return mode;
}

void watch_engine::root_added(root_state& root) {
  if (last_consistent_wall_ns_ == 0)
    last_consistent_wall_ns_ = now_.wall_ns;
  root.consistent_since_ns = now_.wall_ns;
  if (policy_ != watch_policy::polling && !identity_check_at_)
    identity_check_at_ = now_.steady + std::chrono::seconds(1);
}

sys::error_code watch_engine::add_root(const std::string& path, const watch_options& options,
                                       const time_sample& now) {
  now_ = now;
  // The startup scan's watches are not noted (inotify_.new_watches): a marker would queue a record
  // ahead of the first read of every monitor, and noting costs a set insertion per directory of
  // the whole tree. No record is handled before the scan ends, so renames during the scan that
  // it saw already are the one case this leaves to the records.
  struct not_noting {
    bool& flag;
    explicit not_noting(bool& f) : flag(f) { flag = false; }
    ~not_noting() { flag = true; }
  } startup_scan{inotify_.note_new_watches};
  std::unique_ptr<root_state> root;
  if (sys::error_code ec = prepare_root(path, options, root))
    return ec;
  const std::size_t output_before = queue_.checkpoint();
  const node_id top = root->tree.root();
  if (sys::error_code ec = scan(*root, root->tree, top, root->tree[top].name, add_scan_mode(options))) {
    forget_watches(*root, root->tree, top, true);
    queue_.truncate(output_before); // nothing of a failed add is reported
    return ec;
  }
  root_added(*root);
  roots_.push_back(std::move(root));
  return {};
}

sys::error_code watch_engine::begin_add(const std::string& path, const watch_options& options,
                                        const time_sample& now, std::uint64_t& id) {
  now_ = now;
  std::unique_ptr<root_state> root;
  if (sys::error_code ec = prepare_root(path, options, root))
    return ec;
  root->adding = std::make_unique<engine::add_in_progress>();
  engine::add_in_progress& add = *root->adding;
  add.id = id = ++last_add_id_;
  add.mode = add_scan_mode(options);
  add.mode.resumable = true;
  const node_id top = root->tree.root();
  root->tree[top].scan_pending = true;
  add.to_read.push_back({top, root->tree[top].name});
  roots_.push_back(std::move(root));
  mark_new_watches();
  if (policy_ != watch_policy::polling && !identity_check_at_)
    identity_check_at_ = now.steady + std::chrono::seconds(1); // a retargeted root restarts its scan
  return {};
}

engine::root_state* watch_engine::root_being_added(std::uint64_t id) const noexcept {
  for (const auto& root : roots_)
    if (root->adding && root->adding->id == id)
      return root.get();
  return nullptr;
}

watch_engine::add_step watch_engine::continue_add(std::uint64_t id,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  const time_sample& now, sys::error_code& ec) {
  now_ = now;
  ec = {};
  root_state* root = root_being_added(id);
  if (!root) {
    // Ended between two slices: removed, or its directory gone.
    auto ended = ended_adds_.find(id);
    ec = ended != ended_adds_.end() ? ended->second : sys::error_code(boost::asio::error::operation_aborted);
    if (ended != ended_adds_.end())
      ended_adds_.erase(ended);
    return add_step::done;
  }
  engine::add_in_progress& add = *root->adding;
  // The directories met between the halves of a move have their turn again: a move resolved
  // since (paired, or expired) placed them, or took them away.
  for (node_id node : std::exchange(add.after_moves, {}))
    add.to_read.push_back({node, {}});
  ec = scan_steps(*root, root->tree, root->tree.root(), add.to_read, add.mode, &deadline);
  mark_new_watches();
  if ((root = root_being_added(id)) == nullptr)
    return continue_add(id, deadline, now, ec); // ended by what the scan replayed
  if (ec) {
    drop_root(*root, true); // with the events it held back
    return add_step::done;
  }
  if (!root->adding->to_read.empty()) {
    root->adding->stop_waiting_at.reset();
    return add_step::more;
  }
  if (!root->adding->after_moves.empty())
    return add_step::after_moves;
  if (awaits_records(*root) && !stop_waiting(*root))
    return add_step::after_moves;
  // Complete: what the root reported during the add follows what was queued before.
  std::unique_ptr<engine::add_in_progress> done = std::move(root->adding);
  queue_.append(std::move(done->events));
  root_added(*root);
  return add_step::done;
}

bool watch_engine::awaits_records(const root_state& root) const {
  // A directory of the add whose path was stale when its turn came: the records of its move,
  // to come, place it (retry_unwatched gives it back to the add).
  for (node_id node : root.stale)
    if (root.tree[node].in_use && root.tree[node].scan_pending)
      return true;
  return false;
}

bool watch_engine::stop_waiting(root_state& root) {
  // No record may ever come: a symlink on the way retargeted, say, which no watch sees. After
  // a second (when the roots' identities have been checked) the add waits no longer: those
  // directories are scanned after the batch, as add() scans one whose path went stale, and
  // what they hold is reported created.
  engine::add_in_progress& add = *root.adding;
  if (!add.stop_waiting_at) {
    add.stop_waiting_at = now_.steady + std::chrono::seconds(1);
    return false;
  }
  if (now_.steady < *add.stop_waiting_at)
    return false;
  for (node_id node : root.stale)
    root.tree[node].scan_pending = false;
  return true;
}

void watch_engine::abandon_add(std::uint64_t id) {
  ended_adds_.erase(id);
  if (root_state* root = root_being_added(id))
    drop_root(*root, true);
}

void watch_engine::restart_add(root_state& root) {
  // Records of the root were lost, or its directory is another one now, before its add
  // completed: the reader has no picture of it yet, so nothing is reported; the scan starts
  // again from the root, whose watch stays.
  release_moves_of(root);
  forget_pending_looks(root);
  root.stale.clear();
  root.names_to_verify.clear();
  root.contents_to_verify.clear();
  root.touched_after_overflow.clear();
  root.problems_reported.clear();
  root.blocked_by_watch_limit.clear();
  root.rescan_due_since.reset();
  entry_tree& tree = root.tree;
  const node_id top = tree.root();
  forget_watches(root, tree, top, true);
  while (tree[top].first_child != no_node)
    tree.erase(tree[top].first_child);
  engine::add_in_progress& add = *root.adding;
  add.events = event_queue{};
  add.to_read.clear();
  add.after_moves.clear();
  // The root's own watch is taken again: its path may name another directory now (a symlink
  // root retargeted), whose identity the checks compare with from here on.
  const std::string directory = tree[top].name;
  entry_type type = entry_type::unknown;
  entry_status status;
  sys::error_code ec = fs_.status(directory, true, type, status);
  if (!ec && type != entry_type::directory)
    ec = sys::errc::make_error_code(sys::errc::not_a_directory);
  if (!ec && policy_ != watch_policy::polling)
    ec = watch_directory(root, tree, top, directory, root_watch_kind(root));
  if (ec) {
    ended_adds_[add.id] = is_vanished(ec) ? sys::error_code(errc::root_removed) : ec;
    drop_root(root, true);
    return;
  }
  root.watched_inode = status.inode;
  root.watched_mount = status.mount_id;
  tree[top].scan_pending = true;
  add.to_read.push_back({top, directory});
}

event_queue& watch_engine::output_of(const root_state& root) noexcept {
  return root.adding ? root.adding->events : queue_;
}

} // namespace asio_fswatch::detail
