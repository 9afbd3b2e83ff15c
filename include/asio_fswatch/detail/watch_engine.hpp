// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's state machine (sans-io). It turns what the
// kernel says (inotify records; the change records of a recursive watch such as
// ReadDirectoryChangesW; for the poll backend, successive scans) into fs_events, keeping its own
// picture of every watched tree. All kernel access goes through a `filesystem`, so unit tests
// drive it with an in-memory fake and the records it makes. The engine's jobs are split over
// src/monitor/watch_engine*.cpp, one file each; see the first lines of watch_engine.cpp.
#ifndef ASIO_FSWATCH_DETAIL_WATCH_ENGINE_HPP
#define ASIO_FSWATCH_DETAIL_WATCH_ENGINE_HPP

#include <asio_fswatch/detail/change_record.hpp>
#include <asio_fswatch/detail/entry_tree.hpp>
#include <asio_fswatch/detail/event_queue.hpp>
#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/detail/inotify_parser.hpp>
#include <asio_fswatch/detail/watch_engine_state.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>
#include <asio_fswatch/monitor_stats.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace asio_fswatch::detail {

/// The time, as the engine needs it: a steady clock for holds, and the wall clock (nanoseconds
/// since the epoch) to compare with file timestamps after an overflow.
struct time_sample {
  std::chrono::steady_clock::time_point steady{};
  std::int64_t wall_ns = 0;

  static time_sample now();
};

/// Counters, for tests and benchmarks.
struct engine_counters {
  std::uint64_t records = 0;
  std::uint64_t events = 0;
  std::uint64_t duplicates_suppressed = 0; ///< `created` not repeated for an entry a scan found
  std::uint64_t coalesced = 0;             ///< `modified`/`attributes` merged into a queued twin
  std::uint64_t overflows = 0;             ///< losses by the kernel (inotify: one for all roots)
  std::uint64_t overflow_events = 0;       ///< `overflow` events: one per root a loss touched
  std::uint64_t renames_paired = 0;
  std::uint64_t moves_expired = 0;          ///< lone "moved from" reported as `removed`
  std::uint64_t exchanges_paired = 0;       ///< two moves recognised as one `exchanged`
  std::uint64_t records_behind_picture = 0; ///< a departure of an earlier entry of a name,
                                            ///< where a scan met a later one of the other kind
  std::uint64_t watches = 0;                ///< directories watched now
};

/// How the engine learns of changes, and so which entry point the monitor feeds.
enum class watch_policy : std::uint8_t {
  per_directory,  ///< inotify: a watch on every directory; on_inotify_bytes
  recursive_root, ///< one watch per root that sees the whole tree (ReadDirectoryChangesW);
                  ///< on_changes, with the records of its decoder (rdcw_parser.hpp)
  polling,        ///< no watch: poll compares successive scans
};

class watch_engine {
public:
  watch_engine(filesystem& fs, watch_policy policy, const monitor_options& options);
  ~watch_engine();
  watch_engine(const watch_engine&) = delete;
  watch_engine& operator=(const watch_engine&) = delete;

  watch_policy policy() const noexcept { return policy_; }

  /// Adds a root (absolute, lexically normal path). Scans it and, for inotify, watches every
  /// directory; on error nothing of the root stays.
  boost::system::error_code add_root(const std::string& path, const watch_options& options,
                                     const time_sample& now);
  /// An add whose scan runs in slices, for an event loop that must not stall (async_add): the
  /// checks of add_root and the root's own watch now, the scan by continue_add. Meanwhile the
  /// root is watched, its records are handled as usual, and its events are held back; they
  /// follow what is queued when the add completes. `id` names the add.
  boost::system::error_code begin_add(const std::string& path, const watch_options& options,
                                      const time_sample& now, std::uint64_t& id);
  enum class add_step {
    more,        ///< call again
    after_moves, ///< only directories between the halves of a move are left: call again once
                 ///< on_timer or a read has run (next_deadline says when a hold ends)
    done,        ///< completed (the root watched, its events queued), or failed with `ec`
  };
  /// Scans on until `deadline` (at least one directory). An add that failed, was removed
  /// (operation_aborted) or whose directory went (errc::root_removed) leaves nothing behind.
  add_step continue_add(std::uint64_t id, std::chrono::steady_clock::time_point deadline,
                        const time_sample& now, boost::system::error_code& ec);
  /// Drops an add that has not completed, with everything of its root.
  void abandon_add(std::uint64_t id);
  /// Stops watching a root (one being added too: its add ends with operation_aborted).
  boost::system::error_code remove_root(const std::string& path);
  std::vector<std::string> root_paths() const;
  /// The picture of the directory root at `path`: nullptr for a path that is no root, or a
  /// file root. Snapshots (snapshot_scan.hpp) take it once add_root returned.
  entry_tree* picture_of(const std::string& path) const noexcept;
  bool has_roots() const noexcept { return !roots_.empty(); }

  /// inotify: the bytes of one read. A truncated record at the end is kept for the next call.
  void on_inotify_bytes(std::string_view bytes, const time_sample& now);
  /// recursive_root: the changes one read of `watch` (a root's) brought, in their order.
  void on_changes(int watch, const std::vector<change_record>& changes, const time_sample& now);
  /// recursive_root: the watch `watch` ended with `error` (its directory deleted, its share
  /// gone). A root whose directory is gone ends (or follows its symlink); one that is still
  /// there gets an `error` event with `error`, a new watch and a rescan; if that watch fails too
  /// before any read of it completed, the root ends (the root_removed mark, and no `removed`:
  /// the directory is there).
  void on_watch_error(int watch, boost::system::error_code error, const time_sample& now);
  /// Resolves moves held longer than monitor_options::rename_hold.
  void on_timer(const time_sample& now);
  /// Settling (monitor_options::settle): makes the held batch ready for the reader when it is
  /// due (see event_queue::settle_step). Call after each step that may have queued events.
  void settle_step(std::chrono::steady_clock::time_point now) { queue_.settle_step(now); }
  bool settling() const noexcept { return queue_.settling(); }
  /// When on_timer (or settle_step) should be called next, if anything is held.
  std::optional<std::chrono::steady_clock::time_point> next_deadline() const;
  /// When on_timer should be called to check that each root's path still names the directory
  /// watched (inotify; none without roots). Apart from next_deadline, which says what is held.
  std::optional<std::chrono::steady_clock::time_point> next_identity_check() const;

  /// poll: scans every root and reports the differences from the previous scan.
  void poll(const time_sample& now);

  /// Events ready for the user, oldest first. An event of kind `error` whose error is
  /// errc::root_removed marks the end of a root: the monitor turns it into an operation error.
  bool has_output() const noexcept { return !queue_.empty(); }
  std::size_t output_size() const noexcept { return queue_.size(); }
  const fs_event& front() const { return queue_.front(); }
  fs_event pop() { return queue_.pop(); }

  engine_counters counters() const noexcept;
  /// For monitor_stats: all but events_delivered, which the monitor counts.
  monitor_stats stats() const noexcept;
  /// Entries known in all trees (roots included), and the bytes they take.
  std::size_t entries() const noexcept;
  std::size_t memory_bytes() const noexcept;

  /// Checks the engine's own picture (for tests, between entry points): each tree's structure,
  /// watches and nodes naming each other both ways, each held move's node detached (in limbo)
  /// and each detached node held. The first
  /// problem found, or "".
  std::string check() const;

private:
  using root_state = engine::root_state;
  using watch_ref = engine::watch_ref;
  using held_move = engine::held_move;
  using arrival = engine::arrival;
  using deferred_record = engine::deferred_record;
  using scan_mode = engine::scan_mode;
  using pending_look = engine::pending_look;
  using scan_step = engine::scan_step;

  // Roots, and adding them (watch_engine_add.cpp).
  root_state* find_root(const std::string& path) const;
  /// add_root's checks, and the root's own watch: the root, not in roots_ yet.
  boost::system::error_code prepare_root(const std::string& path, const watch_options& options,
                                         std::unique_ptr<root_state>& out);
  scan_mode add_scan_mode(const watch_options& options) const noexcept;
  /// The root's scan is complete: its times start.
  void root_added(root_state& root);
  root_state* root_being_added(std::uint64_t id) const noexcept;
  /// Whether a directory of `root`'s add waits for the records of its move (see stale).
  bool awaits_records(const root_state& root) const;
  /// Whether the add has waited long enough for those records (see add_in_progress).
  bool stop_waiting(root_state& root);
  /// Changes to a root being added were lost: its scan starts again, nothing reported.
  void restart_add(root_state& root);
  /// Where `root`'s events go: the reader's queue, or the add's until it completes.
  event_queue& output_of(const root_state& root) noexcept;
  /// The watch a root's directory takes: inotify's, or a recursive one, for the whole tree
  /// unless the root is a file or not recursive.
  watch_kind root_watch_kind(const root_state& root) const noexcept;
  boost::system::error_code check_overlap(const std::string& path) const;
  void drop_root(root_state& root, bool remove_watches);
  /// The root's directory is gone: its last events (held moves, its removal), then end_root.
  void root_gone(root_state& root);
  /// The root's end for the reader (the root_removed mark, which the monitor turns into the
  /// operation's error), and the root dropped.
  void end_root(root_state& root);

  /// The entry went away between the event and the look at it, or its path went stale above it.
  static bool is_vanished(const boost::system::error_code& ec);

  // Scanning.
  boost::system::error_code scan(root_state& root, entry_tree& tree, node_id start,
                                 const std::string& start_path, scan_mode mode);
  /// Reads the directories of `to_read` (each scan_pending), and those they hold, until none is
  /// left or, with a `deadline`, that has passed (the rest stays in `to_read`).
  boost::system::error_code scan_steps(root_state& root, entry_tree& tree, node_id start,
                                       std::vector<scan_step>& to_read, const scan_mode& mode,
                                       const std::chrono::steady_clock::time_point* deadline);
  /// Appends what directory `node` holds; with `watch`, watches it first in the same step
  /// (see filesystem::watch_and_list), or, when it is watched, checks that its path still
  /// names it: `another_directory` is set, and nothing read, when another directory is there.
  boost::system::error_code read_directory(root_state& root, entry_tree& tree, node_id node,
                                           const std::string& path, bool watch,
                                           std::vector<listed_entry>& entries,
                                           bool& another_directory);
  void watch_and_scan(root_state& root, node_id node, const std::string& path);
  /// Watches `node` (unless it is) and scans it, reporting what it holds as created; with
  /// `verify`, a known child directory that is not the one its path names is replaced.
  boost::system::error_code watch_then_scan(root_state& root, node_id node, const std::string& path,
                                            bool verify = false);
  void retry_unwatched();
  /// Removes (with their events) the children of `dir` the listing does not hold, or holds as
  /// another type of entry.
  void drop_unlisted(root_state& root, node_id dir, const std::vector<listed_entry>& entries);
  /// Whether the filters let dir/name into the picture: a file root's one name, not excluded,
  /// not ignored by ignore files.
  bool accepts(const root_state& root, const entry_tree& tree, node_id parent, std::string_view name,
               bool is_directory) const;
  boost::system::error_code watch_directory(root_state& root, entry_tree& tree, node_id node,
                                            const std::string& path, watch_kind kind);
  /// Gives `node` the watch just added at `path` (the same directory may hold it under another
  /// node: the watch follows the directory); errc::already_watched for a loop of bind mounts.
  boost::system::error_code adopt_watch(root_state& root, entry_tree& tree, node_id node,
                                        const std::string& path, int watch);
  /// Whether `holder` (an ancestor of the node at `path` in the picture) is still the same
  /// directory as `path` on disk, as through a bind mount, rather than a stale picture.
  bool still_there(const entry_tree& tree, node_id holder, const std::string& path);
  /// Drops every record of `watch` read and not yet handled (the watch moved to a new node).
  void drop_records_read_of(int watch);
  /// Drops, as they are read, the records of `watch` queued until now (records_before_marker_).
  void drop_records_unread_of(int watch);
  /// Whether `record` is one of those; the marker's own record ends them.
  bool drop_if_before_marker(const inotify_record& record);
  /// The picture placed directories as the disk has them now, ahead of records still to come:
  /// until `marker` (or one queued now, when -1) is read, a watched directory that a rename
  /// moves is looked at again where it lands (picture_ahead_marker_).
  void picture_may_be_ahead(int marker = -1);
  /// Queues the marker after the looks of this entry point that watched directories new to the
  /// picture (new_watches_), when there were any.
  void mark_new_watches();
  /// Whether a look added `watch` for a directory new to the picture, and the records queued
  /// before that look may still be to come (new_watches_).
  bool is_new_watch(int watch) const;
  void forget_watches(root_state& root, entry_tree& tree, node_id node, bool remove_from_kernel);
  void report_problem(root_state& root, const std::string& path, entry_type type,
                      boost::system::error_code ec);
  /// Watches the directories the watch limit kept unwatched, while the limit allows.
  void retry_blocked_by_watch_limit();
  /// The same, when this monitor gave watches back or the retry delay has passed.
  void retry_blocked_if_due();
  /// The node at `path`, found by name below `node` (whose path is `node_path`).
  static node_id find_below(const entry_tree& tree, node_id node, std::string_view node_path,
                            std::string_view path);

  // inotify records.
  void handle_record(const inotify_record& record);
  void handle_named(root_state& root, node_id dir, std::uint32_t mask, std::uint32_t cookie,
                    std::string_view name);
  void handle_self(root_state& root, node_id dir, std::uint32_t mask);
  /// Whether `name` in `dir` names nothing now (a look at the file system).
  bool name_is_gone(root_state& root, node_id dir, std::string_view name);
  void entry_appeared(root_state& root, node_id dir, std::string_view name, bool is_directory);
  /// entry_appeared once the type is known: `status_error` is the look's, if it failed.
  void entry_appeared_as(root_state& root, node_id dir, std::string_view name, entry_type type,
                         boost::system::error_code status_error);
  void entry_removed(root_state& root, node_id node);
  void park_move(root_state& root, node_id node, std::uint32_t cookie, bool directory_in_record);
  bool finish_move(root_state& root, node_id dir, std::string_view name, std::uint32_t cookie);
  /// After a non-directory moved: its type where it went, corrected (removed + created) if the
  /// lstat at its creation met a later entry of its old name. The lstat's error.
  boost::system::error_code check_moved_type(root_state& root, node_id node, const std::string& path,
                                             entry_type reported);
  /// The type to report for a non-directory moved to `path`: its own, or, when that is unknown
  /// (it had left its name before its creation was handled), what an lstat finds there now.
  entry_type type_to_report(root_state& root, node_id node, const std::string& path);
  void expire_move(std::size_t index);
  void expire_moves_under(root_state& root, node_id node);
  void expire_moves_from(root_state& root, node_id dir, std::string_view name);
  /// `node`, a directory, had its attributes changed: retries the directories at or below it
  /// that an `error` event named.
  void retry_problem_directories(root_state& root, node_id node);
  /// Whether `node` is in limbo: detached from its tree between the halves of a move, or under
  /// an entry that is.
  bool in_limbo(const root_state& root, node_id node) const;
  /// Before `root`'s picture is replaced or dropped: expires every move held for it, and forgets
  /// the last rename into it (each names nodes of that picture).
  void release_moves_of(root_state& root);
  /// Like entry_tree::path, but an entry in limbo is named where it was.
  std::string entry_path(const root_state& root, node_id node) const;
  /// Handles the records deferred while their directory was in limbo, as a read is (within a
  /// read, next, before the rest of it).
  void replay_deferred();
  /// Parses and handles the records of `bytes`. `more_may_follow`: a read, after which another
  /// comes; the records from a move that may be the first half of an exchange whose second half
  /// is not read yet are then kept for the next read (or on_timer). Returns what the parse saw.
  inotify_parse_result handle_records(std::string_view bytes, bool more_may_follow);
  /// Handles the records in records_, as one read (see handle_records), then empties it.
  void handle_record_sequence(bool more_may_follow);
  /// Handles records_ from next_record_ on (see handle_records).
  void handle_remaining_records();

  // Change records of a recursive watch (watch_engine_changes.cpp).
  /// The roots whose watch is `watch`.
  std::vector<root_state*> roots_of_watch(int watch) const;
  void apply_change(root_state& root, const change_record& change);
  /// The directory node that holds the last part of `relative`, with that part in `name`; or
  /// no_node when the picture has no directory there. A directory on the way that the picture
  /// lacks but the disk has (its record lost, or not read yet) is brought in as it appears,
  /// with what it holds: the change itself is then part of what that reports.
  node_id change_parent(root_state& root, std::string_view relative, std::string_view& name);
  /// An entry appeared at dir/name (`type` when the record said it). `replaces`: moved there,
  /// over whatever the name held; otherwise an entry the picture has there already is one a
  /// scan met first.
  void change_created(root_state& root, node_id dir, std::string_view name, entry_type type,
                      bool replaces);
  void change_renamed(root_state& root, const change_record& change);
  /// One root's watch lost changes: reported, and the root rescanned and compared.
  void overflow_of(root_state& root);

  // Ignore files (watch_engine_ignore.cpp).
  /// Whether the ignore files above dir/name (in the tree and above it) ignore it. `relative`:
  /// its path relative to the root, or empty; built here when a pattern needs it.
  bool ignored_by_files(const root_state& root, const entry_tree& tree, node_id parent,
                        std::string_view name, std::string& relative, bool is_directory) const;
  /// Reads the ignore files that `entries` (the listing of `node`, at `path`) hold into the
  /// node's patterns. A directory with children whose patterns changed is refiltered after
  /// the batch.
  void load_ignore_rules(root_state& root, entry_tree& tree, node_id node, const std::string& path,
                         const std::vector<listed_entry>& entries);
  /// The patterns of the ignore files in the directory at `path`: those `listing` holds, or
  /// every one there is when it is null. Files that cannot be read are `error` events.
  ignore_rules read_ignore_rules(root_state& root, const std::string& path,
                                 const std::vector<listed_entry>* listing);
  /// What applies from above the tree `directory` (the root's directory): a repository's
  /// .git/info/exclude, the ignore files between its top and the root.
  void read_above_rules(root_state& root, const std::string& directory);
  /// The repository's .git/info/exclude as a look finds it now (none: not there).
  std::optional<entry_status> info_exclude_status(const root_state& root);
  /// Whether it changed since it was read (then info_exclude_changed is set).
  bool info_exclude_changed_on_disk(root_state& root);
  /// A record named dir/name: the change of an ignore file is applied after the batch.
  void note_ignore_record(root_state& root, node_id dir, std::string_view name);
  /// The same for a recursive watch's record, by its path relative to the root.
  void note_ignore_change(root_state& root, std::string_view relative);
  /// Directory `node` moved from `old_parent` (no_node: not known): refiltered after the batch
  /// when other patterns may apply to what it holds where it is now.
  void note_directory_moved(root_state& root, node_id node, node_id old_parent);
  /// Applies the changes noted (to_refilter, info_exclude_changed).
  void apply_ignore_changes(root_state& root);
  /// Removes (with their events) the entries below `node` that the filters keep out now, and
  /// lists every directory below it again, reporting what they let in.
  void refilter(root_state& root, node_id node);

  // Exchanges, renameat2(RENAME_EXCHANGE) (watch_engine_exchange.cpp): the kernel reports one
  // as two moves in a row, the second the reverse of the first with another cookie.
  /// Whether records_[index], a "moved to", may be the first half of an exchange whose second
  /// half is not among the records read so far.
  bool awaits_second_half(std::size_t index);
  /// Whether records_[index] is a "moved from" of a noted arrival's name whose "moved to" is
  /// not among the records read so far: where it goes tells whether it is an exchange's second
  /// half (see goes_back_to_origin).
  bool awaits_destination(std::size_t index) const;
  /// `move` went to dir/name over `target`: when the records right after it are the second half
  /// of an exchange, takes them out of records_ and returns true, with whether the record says
  /// that the target is a directory.
  bool take_second_half(root_state& root, const held_move& move, node_id dir,
                        std::string_view name, node_id target, bool& target_is_directory);
  /// Puts `move`'s entry and `target` in each other's place, with the `exchanged` event.
  void finish_exchange(root_state& root, const held_move& move, node_id target,
                       bool target_is_directory);
  bool watch_names(int watch, const root_state& root, node_id node) const;
  /// Whether the directory at `path` is the one watched as `watch` (the kernel gives the same
  /// id for the same directory); a watch that asking added for another directory is removed.
  bool path_names_watched(const std::string& path, int watch);
  /// The watch of the directory at `path`, where it is one of the picture's; other_directory
  /// where it is another (the watch just added for it is removed again), no_directory where
  /// `path` names none.
  static constexpr int no_directory = -1;
  static constexpr int other_directory = -2;
  int watch_at(const std::string& path);
  /// Removes `watch`, just added, unless the picture has it (a directory it does not have is
  /// not ours to keep; foreign_watch_removed_ tells which): whether it was removed.
  bool give_back_if_foreign(int watch);
  /// The node of `root` that `watch` is the watch of, or no_node.
  node_id watched_node(int watch, const root_state& root) const;
  /// lstat of `path`, for whether it names an entry (the error, or none).
  boost::system::error_code look_up(const std::string& path);
  /// Whether dir/name names an entry on disk now. When it does not and the path of `dir` (a
  /// watched directory) no longer names it, the disk cannot tell: true, and the name is looked
  /// at again once the picture has the directory where it is (verify_names).
  bool name_on_disk(root_state& root, node_id dir, std::string_view name);
  /// check_moved_type for a non-directory that moved to `path`. When that names nothing because
  /// its directory (watched) moved before its records were read, the entry is looked at again
  /// once the picture has the directory where it is (verify_names); otherwise its removal
  /// follows.
  void check_type_where_moved(root_state& root, node_id node, const std::string& path,
                              entry_type reported);
  /// Whether `path`, the picture's path of the watched directory `dir`, names it on disk.
  bool directory_path_is_current(const root_state& root, node_id dir, const std::string& path);
  /// Whether the watched directory `dir` can be looked at again: not any more (gone, or
  /// unwatched: a scan lists it when it is watched again), later (its records are still to
  /// come: in limbo, or its path names another directory), or now. Sets `path` to its path in
  /// the picture unless never.
  enum class look_again { never, later, now };
  look_again when_to_look_again(root_state& root, node_id dir, std::string& path);
  /// Whether `dir`'s path holds the directory of another node (watched as `there`) whose path
  /// holds `dir`'s: then the two are swapped in the picture and for the reader (`exchanged`).
  bool uncross(root_state& root, node_id dir, int there);
  /// The IN_IGNORED of a watch a look removed: the look's node is overdue (pending_looks_).
  void look_is_due(int watch);
  /// Whether `dir`, looked at again at `path`, was found elsewhere by a look whose news have
  /// all been read since. Then what the path holds replaces it, and true.
  bool replace_if_overdue(root_state& root, node_id dir, const std::string& path);
  void forget_pending_looks(root_state& root);
  /// Looks again at the names name_on_disk could not tell: one the directory does not hold is
  /// reported removed.
  void verify_names(root_state& root);
  /// Lists again the directories of contents_to_verify whose path names them now, reporting
  /// what the picture of each lacks or has wrong (removed, created).
  void verify_contents(root_state& root);
  /// Whether `known`, a child in the picture of the directory at `dir_path`, is a watched
  /// directory other than the one its path names on disk.
  bool is_other_directory(root_state& root, node_id known, const std::string& dir_path);
  /// Notes that a "moved to" with `cookie` put an entry at dir/name (see arrival).
  void note_arrival(root_state& root, node_id dir, std::string_view name, std::uint32_t cookie,
                    bool is_directory, bool name_was_taken, int origin_watch = -1,
                    std::string_view origin_name = {});
  /// Whether the "moved to" paired with the "moved from" of `cookie` just handled, when it is
  /// among the records read, goes back where the noted arrival came from (or nothing says).
  bool goes_back_to_origin(const arrival& noted, std::uint32_t cookie) const;
  /// The "moved to" of `cookie` among records_ from `from` on, or nullptr.
  const inotify_record* find_moved_to(std::uint32_t cookie, std::size_t from) const;
  /// Forgets the noted arrival unless `record` may come between it and its "moved from".
  void forget_arrival_unless_between(const inotify_record& record);
  /// Forgets the noted arrival when it was into `root` (whose picture is going away).
  void forget_arrival_into(const root_state& root) noexcept;
  /// A "moved from" of dir/name, whose entry in the picture is `child`, which just arrived
  /// there: whether it is the second half of an exchange with an entry the picture did not have
  /// there (see arrival), and so names that one, not `child`. The disk tells: after the swap,
  /// `child` is still there.
  bool moved_from_names_another(root_state& root, node_id dir, node_id child, std::string_view name,
                                std::uint32_t cookie, bool is_directory);
  /// What the first record from index `from` on about `name` in `watch`'s directory says of
  /// the name just before it: taken (the entry there changes or leaves), or free (one is
  /// created there). An entry moved there says free only when `move_in_says_free` (the caller
  /// knows that the name was free before the pair it decides, so an entry moved there again
  /// is the likely reading): rename(2) replaces an existing non-directory, so in itself it says
  /// nothing. Nothing when no such record has been read yet.
  std::optional<bool> records_say_taken(std::size_t from, int watch, std::string_view name,
                                        bool move_in_says_free) const;
  /// records_say_taken for `name` in `dir`, while records are being read and `dir` is watched.
  std::optional<bool> records_say_name_taken(const root_state& root, std::size_t from, node_id dir,
                                             std::string_view name, bool move_in_says_free) const;
  /// Whether `name` in `dir` is taken, as the records read after index `from` say, or else as
  /// the disk says (name_on_disk). The records come first: the disk is looked at later, and
  /// may meet a later entry of the name, or none, when the changes go on.
  bool name_taken(root_state& root, std::size_t from, node_id dir, std::string_view name,
                  bool move_in_says_free);
  /// Whether the picture shows the swap of `move`'s directory and the directory `target`
  /// already: a scan read ahead of the exchange's records (asks the kernel which watch the
  /// directory at the old path has).
  bool swap_already_seen(root_state& root, const held_move& move, node_id target,
                         bool target_is_directory);
  void overflow();
  /// Changes to `root` were lost since `consistent_since_ns` (wall time of the last read that
  /// lost nothing): `overflow` is reported, and the root rescanned and compared (reconcile).
  void rescan_after_loss(root_state& root, std::int64_t consistent_since_ns);
  /// The rescan's marker of the last overflow is read: the directories the records before it
  /// touched are listed again (verify_contents), which gives back what a gap they ended in hid.
  void end_of_overflow_gap();
  /// Rescans `root` and reports how the disk differs from the picture (changed_since_ns: files
  /// with a time not older are `modified`; -1: compare times). A root that is there but cannot
  /// be read keeps its picture and watches; see root_state::rescan_due_since.
  void reconcile(root_state& root, std::int64_t changed_since_ns);
  /// A rescan that could not read the root is tried again (its IN_ATTRIB, the identity check).
  void retry_rescan(root_state& root);
  /// Every root's path still names the directory watched (a look each second, inotify only).
  void check_root_identities();
  /// `root`'s directory left its path, or the path names another directory now: a symlink root
  /// follows its new target (reported as the differences), any other root ends.
  void reexamine_root(root_state& root);

  // Diff of two scans of one root (poll, reconciliation).
  void diff(root_state& root, const entry_tree& before, const entry_tree& after,
            std::int64_t changed_since_ns);

  // Output.
  /// Queues the event for the reader unless the root's include patterns leave it out; whether
  /// it did.
  bool emit(root_state& root, event_kind kind, std::string path, entry_type type,
            std::string old_path = {}, entry_type old_type = entry_type::unknown);
  void emit_raw(const root_state& root, fs_event event);

  filesystem& fs_;
  watch_policy policy_;
  monitor_options options_;
  std::vector<std::unique_ptr<root_state>> roots_;
  std::unordered_multimap<int, watch_ref> watches_;
  std::vector<held_move> held_;
  // inotify's reading: records, markers and looks (watch_engine_state.hpp).
  engine::inotify_reading inotify_;
  static constexpr int gap_ends_with_this_read = -2; // see inotify_reading::overflow_marker
  event_queue queue_;
  std::int64_t last_consistent_wall_ns_ = 0;
  time_sample now_; // the time given to the entry point being run; what every step below reads
  // Retrying directories the watch limit kept unwatched: when (if any), how long the next wait
  // is, and how many watches this monitor had when the limit was last met.
  std::optional<std::chrono::steady_clock::time_point> limit_retry_at_;
  std::chrono::steady_clock::duration limit_retry_delay_ = std::chrono::seconds(1);
  std::uint64_t watches_at_limit_ = 0;
  // When the roots' identities are looked at next (inotify).
  std::optional<std::chrono::steady_clock::time_point> identity_check_at_;
  // Adds in slices: the last id given, and those whose root ended between two slices.
  std::uint64_t last_add_id_ = 0;
  std::unordered_map<std::uint64_t, boost::system::error_code> ended_adds_;
  engine_counters counters_;
  mutable std::vector<ignore_level> ignore_levels_; // ignored_by_files' scratch
};

} // namespace asio_fswatch::detail

#endif
