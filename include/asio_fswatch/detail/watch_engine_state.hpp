// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the state that watch_engine's jobs share, apart from the class: each
// root's picture and bookkeeping, the held moves and arrivals of rename pairing, and inotify's
// reading (records, markers, looks). Split out of watch_engine.hpp so that the engine's class
// is its interface and its steps.
#ifndef ASIO_FSWATCH_DETAIL_WATCH_ENGINE_STATE_HPP
#define ASIO_FSWATCH_DETAIL_WATCH_ENGINE_STATE_HPP

#include <asio_fswatch/detail/entry_tree.hpp>
#include <asio_fswatch/detail/event_queue.hpp>
#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/detail/ignore_rules.hpp>
#include <asio_fswatch/detail/inotify_parser.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace asio_fswatch::detail::engine {

struct scan_mode {
  bool watch = false;          // add inotify watches to directories
  bool stat = false;           // fill entry_status
  bool report_created = false; // emit `created` for every entry inserted
  bool fail_fast = false;      // an unreadable start or the watch limit fails the scan (add)
  bool verify = false;         // a known child directory must be the one its path names
  bool resumable = false;      // an add in slices: records are handled between them, so a
                               // directory's path is taken from the picture when its turn comes
};

// A directory a scan listed and is still to read.
struct scan_step {
  node_id node;
  std::string path;
};

// An add whose scan runs in slices (watch_engine::begin_add): what is left of the scan, and the
// root's events, held back until it completes (nothing of a failed add is reported).
struct add_in_progress {
  std::uint64_t id = 0;
  scan_mode mode;
  std::vector<scan_step> to_read;   // their nodes are scan_pending
  std::vector<node_id> after_moves; // met between a move's halves: read once it is resolved
  event_queue events;
  // Only directories whose path was stale are left (see watch_engine::awaits_records): when
  // their records have not placed them by then, they are scanned as add() scans such a one.
  std::optional<std::chrono::steady_clock::time_point> stop_waiting_at;
};

struct root_state {
  std::string path;        // the user's root: a directory, or a file
  std::filesystem::path given_path; // `path` as its events' `root`
  entry_tree tree;         // rooted at the watched directory (the parent of a file root)
  watch_options options;
  glob_set exclude;
  glob_set include;
  bool exclude_matches_paths = false; // an exclude pattern that names a path, not a name
  // Ignore files (watch_options::ignore_files): what applies from above the tree (the ignore
  // files of the directories between a repository's top and the root, and its
  // .git/info/exclude), deepest first, each with its prefix in paths relative to that top;
  // `above_prefix` is the root's path from the top, with its '/' ("" at the top, or outside
  // any repository). The levels' rules point into `above_rules`.
  std::vector<ignore_rules> above_rules;
  std::vector<ignore_level> above_levels;
  std::string above_prefix;
  bool above_paths_matter = false; // one of those patterns matches paths, not names
  // The repository's .git/info directory when it lies in the tree: its `exclude` is read again
  // when a record names it.
  std::string info_directory;
  bool info_exclude_changed = false;
  // What its `exclude` was when read (none: not there): compared each second, since the
  // directory may be kept out of the tree (an exclude of `.git/`) and give no record.
  std::optional<entry_status> info_exclude_seen;
  // Directories whose filters are to be applied again after this batch: their ignore files
  // changed (false: read them again, and refilter if they say something else), or they moved
  // where other patterns apply (true: refilter).
  std::unordered_map<node_id, bool> to_refilter;
  std::string only_name;   // a file root: the one name of tree's root directory that is watched
  bool file_root = false;
  std::unordered_set<std::string> problems_reported;
  // What the root's directory path named when it was watched (following a symlink): inode
  // and mount id. A path that names another directory now, or none, is looked at again.
  std::uint64_t watched_inode = 0;
  std::uint64_t watched_mount = 0;
  // Directories that could not be watched because the watch limit was reached (each also in
  // problems_reported), a directory before what it holds: retried when watches are given back.
  std::set<std::string> blocked_by_watch_limit;
  // Directories whose path was already stale when they were to be watched or scanned (renamed
  // before their records were processed): retried after each batch of records.
  std::unordered_set<node_id> stale;
  // Names (directory node, name) the picture kept on a look at the disk that met a stale path:
  // the directory had moved before its records were read. Looked at again after each batch,
  // once the directory's path names it (see name_on_disk).
  std::vector<std::pair<node_id, std::string>> names_to_verify;
  // Watched directories whose picture of what they hold may have come from another directory
  // (a scan that met one of two directories swapped before their records were read): listed
  // again after each batch, once their path names them (verify_contents).
  std::unordered_set<node_id> contents_to_verify;
  // Directories that records read between an overflow record and the rescan's marker touched:
  // listed again once the marker is read (see end_of_overflow_gap).
  std::unordered_set<node_id> touched_after_overflow;
  // An overflow's rescan that could not read the root (there, but unreadable): the time its
  // `modified` look back goes to, until a rescan succeeds (retry_rescan).
  std::optional<std::int64_t> rescan_due_since;
  // Watched directories (with the path looked at) that a look found elsewhere, and for which
  // every record of what happened before that look has been handled since (see
  // pending_looks_): no record is still to come that would move them in the picture.
  std::unordered_map<node_id, std::string> looks_overdue;
  // recursive_root: the wall time of the last read that lost nothing, which an overflow's
  // rescan looks back to (each root's watch overflows on its own).
  std::int64_t consistent_since_ns = 0;
  // recursive_root: the root's watch failed and was renewed, and no read has completed since:
  // another failure then ends the root instead of renewing it again (on_watch_error).
  bool watch_renewed = false;
  // While the root is being added in slices (begin_add): the rest of its scan, its events.
  std::unique_ptr<add_in_progress> adding;

  bool recursive() const noexcept { return options.recursive && !file_root; }
  bool ignoring() const noexcept { return !options.ignore_files.empty() && !file_root; }

  std::string_view relative(std::string_view absolute) const noexcept {
    const std::string& base = tree[tree.root()].name;
    if (absolute.size() <= base.size())
      return {};
    absolute.remove_prefix(base.size());
    if (!absolute.empty() && absolute.front() == '/')
      absolute.remove_prefix(1);
    return absolute;
  }
};
struct watch_ref {
  root_state* root;
  node_id node;
};
struct held_move {
  root_state* root;
  node_id node;        // detached from the tree (in limbo) until the move is paired or expires
  node_id from_parent; // where it was: its path is computed when it is reported, so that a
  std::string name;    // rename or removal of a directory above it in the meantime is seen
  entry_type type;
  std::uint32_t cookie;
  std::chrono::steady_clock::time_point deadline;
  bool directory_in_record; // what the "moved from" said: the picture's type may come from a
                            // scan that met a later entry of the name
  int watch;                // the node's watch when it left: a scan that meets the directory
                            // elsewhere before the records are read takes it to another node
};
// A "moved to" that put an entry at a name: when a "moved from" of the same name follows
// (another cookie, no record of the two directories between), it may be the second half of
// an exchange with an entry the picture did not have there: one it replaced (the first
// "moved from" came from where nothing is watched), or one it did not know yet (a scan still
// to come).
struct arrival {
  root_state* root;
  node_id dir;
  std::string name;
  std::uint32_t cookie;
  node_id node;    // the entry that came in
  bool directory;  // what the "moved to" said: the picture's type may come from an lstat that
                   // met a later entry of the name (unknown)
  // Whether the picture had an entry under the name when this one came (replaced, or the
  // other side of a swap): if not, the name was free, and an entry moved there later is
  // taken for one coming to a free name again (records_say_taken).
  bool name_was_taken = false;
  // Where the entry came from, when the records said (a rename within the picture): the
  // second half of an exchange goes back there. -1: not known.
  int origin_watch = -1;
  std::string origin_name;
  /// Whether the "moved to" `to` goes back where the entry came from.
  bool is_back_to_origin(const inotify_record& to) const {
    return to.watch == origin_watch && to.name == origin_name;
  }
};
struct deferred_record {
  int watch;
  std::uint32_t mask;
  std::uint32_t cookie;
  std::string name;
};
// Looks again that met another directory at a node's path (see inotify_reading::pending_looks).
struct pending_look {
  root_state* root;
  node_id node;
  std::string path;
};

/// inotify's reading: the records of a read and those kept for later, the markers queued
/// behind them, and the looks again waiting for a record.
struct inotify_reading {
  std::vector<deferred_record> deferred;
  std::optional<arrival> last_arrival;
  std::string partial_record;
  std::vector<inotify_record> records;
  // While records are handled (a read, or deferred records replayed, see replay_deferred): the
  // index in records of the next record, what may follow a move.
  bool reading = false;
  bool more_may_follow = false; // handle_records' argument
  std::deque<std::string> replayed_names; // the names of replayed records, until the read ends
  std::size_t next_record = 0;
  // Records that may start an exchange, the rest of their read after them, kept for the next
  // read until `undecided_deadline`.
  std::string undecided_records;
  std::chrono::steady_clock::time_point undecided_deadline{};
  // While those records are handled once their deadline passed: they waited the rename hold
  // already, so a move among them that is still unpaired expires with the others that are due.
  bool undecided_records_due = false;
  // Whether a record of the read being handled was about a watch of the picture: a read of only
  // others (the IN_IGNORED of a watch the engine removed) brings nothing to look again for.
  bool had_news = false;
  // Looks again that met another directory at a node's path, by the watch they added for it and
  // removed at once (the kernel queues its IN_IGNORED then, after the records of every change
  // made before the look): once that record is read, the node's look is overdue.
  std::unordered_map<int, pending_look> pending_looks;
  // Watches that moved to a new node before every record of their past was read: watch -> the
  // marker (fs_.mark_queue) after those records. Until it is read, their records are dropped.
  std::unordered_map<int, int> records_before_marker;
  // A marker (fs_.mark_queue) queued when the picture last took where directories are from the
  // disk rather than from the records, until it is read (-1: none): see picture_may_be_ahead.
  int picture_ahead_marker = -1;
  // The marker the rescan of the last overflow queued, until it is read (-1: none). The records
  // before it may end in a gap the kernel left without saying so: every record it dropped while
  // its overflow record was still queued is older than the rescan, whose picture already has
  // their outcome, and the records read before the gap, handled after the rescan, may undo it.
  // gap_ends_with_this_read: no marker could be queued (see overflow).
  int overflow_marker = -1;
  // Watches looks added for directories new to the picture, by the marker queued after them
  // (mark_new_watches), until it is read; those of the entry point still running under -1. A
  // look met whatever held the path then, perhaps a later entry of the name: until the marker
  // is read, a rename of such a directory may be one the look saw already, and the directory
  // is looked at again where it lands. Usually one or two markers are unread.
  std::vector<std::pair<int, std::unordered_set<int>>> new_watches;
  bool note_new_watches = true; // not during the startup scan (add_root)
  int foreign_watch_removed = -1; // the last watch watch_at added for another directory
};

} // namespace asio_fswatch::detail::engine

#endif
