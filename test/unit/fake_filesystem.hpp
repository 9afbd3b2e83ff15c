// SPDX-License-Identifier: BSL-1.0
// Test support: an in-memory asio_fswatch::detail::filesystem that also plays the kernel's
// inotify part. Every mutation (mkdir, write, remove, rename, chmod, ...) changes the tree and
// appends to a pending buffer the records inotify would queue for the directories that are
// watched at that moment, encoded with append_inotify_record; a test hands them to the engine:
//
//   fake.mkdir("/r/a");
//   engine.on_inotify_bytes(fake.take_records(), now);
//
// Watches follow inotify: one id per directory inode (watching it again gives the same id), ids
// never reused, IN_IGNORED queued when a watch goes (inotify_rm_watch or the directory's death).
// Failures can be injected: add_watch for a path, a watch limit (errc::watch_limit_reached), list
// and status for a path.
//
// It also plays ReadDirectoryChangesW: a watch of kind `tree` or `single_directory` is a
// recursive watch of one directory (fake_change_watches.hpp), which records each change below it
// as Windows lays FILE_NOTIFY_INFORMATION out (rdcw_parser.hpp's encoder); take_changes() hands
// them out per watch, one buffer each, as completed reads.
#ifndef ASIO_FSWATCH_TEST_UNIT_FAKE_FILESYSTEM_HPP
#define ASIO_FSWATCH_TEST_UNIT_FAKE_FILESYSTEM_HPP

#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/inotify_parser.hpp>
#include "unit/fake_change_watches.hpp"
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asio_fswatch::test {

class fake_filesystem final : public detail::filesystem {
public:
  struct entry {
    entry_type type = entry_type::file;
    detail::entry_status status;
    std::string target;  ///< a symlink's target (absolute)
    std::string content; ///< a file's, as write() left it
  };

  /// Order of the records of a watched directory's removal. The kernel queues IN_DELETE_SELF and
  /// IN_IGNORED on the directory's own watch when its inode goes, which is usually before the
  /// parent's IN_DELETE|IN_ISDIR, and after it when something else still holds the directory.
  enum class rmdir_order { self_first, parent_first };

  static constexpr std::uint32_t dir_mode = 0040000;
  static constexpr std::uint32_t file_mode = 0100000;
  static constexpr std::uint32_t link_mode = 0120000;

  fake_filesystem() {
    entry root;
    root.type = entry_type::directory;
    root.status = new_status(dir_mode | 0755, 2);
    entries_.emplace("/", root);
  }

  // ---------------------------------------------------------------------------------------------
  // The tree

  bool exists(const std::string& path) const { return entries_.count(path) != 0; }

  const entry& at(const std::string& path) const {
    auto it = entries_.find(path);
    if (it == entries_.end())
      throw std::logic_error("fake_filesystem: no entry " + path);
    return it->second;
  }

  /// Path -> type of `root` and everything under it (lstat semantics), the form of
  /// test/common/tree_replay.hpp. Empty when `root` does not exist.
  std::map<std::string, entry_type> snapshot(const std::string& root) const {
    std::map<std::string, entry_type> out;
    auto it = entries_.find(root);
    if (it == entries_.end())
      return out;
    out.emplace(root, it->second.type);
    for (const std::string& path : descendants(root))
      out.emplace(path, entries_.at(path).type);
    return out;
  }

  /// Timestamps given to changes: each change takes the clock, then the clock moves on by the
  /// tick (0 freezes it, for changes a poll must detect by something other than the time).
  void set_time(std::int64_t ns) { now_ns_ = ns; }
  std::int64_t time() const { return now_ns_; }
  void set_tick(std::int64_t ns) { tick_ns_ = ns; }

  void set_rmdir_order(rmdir_order order) { rmdir_order_ = order; }

  // ---------------------------------------------------------------------------------------------
  // Changes, with the records inotify would queue for them

  void mkdir(const std::string& path, std::uint32_t permissions = 0755) {
    make(path, entry_type::directory, dir_mode | permissions, {});
  }

  /// mkdir -p: every missing directory on the way, each with its own record.
  void mkdirs(const std::string& path) {
    std::string partial;
    std::size_t start = 1;
    while (start <= path.size()) {
      std::size_t slash = path.find('/', start);
      if (slash == std::string::npos)
        slash = path.size();
      partial = path.substr(0, slash);
      if (!exists(partial))
        mkdir(partial);
      start = slash + 1;
    }
  }

  /// An empty file (open with O_CREAT, no write): IN_CREATE.
  void create(const std::string& path, std::uint32_t permissions = 0644) {
    make(path, entry_type::file, file_mode | permissions, {});
  }

  /// Writes `content` (replacing the old content; creating the file first if needed): IN_CREATE
  /// for a new file, then IN_MODIFY.
  void write(const std::string& path, std::string_view content = "data") {
    if (!exists(path))
      create(path);
    entry& e = mutable_at(path);
    if (e.type != entry_type::file)
      throw std::logic_error("fake_filesystem: write to a non-file " + path);
    e.status.size = content.size();
    e.content.assign(content.data(), content.size());
    std::int64_t t = stamp();
    e.status.mtime_ns = e.status.ctime_ns = t;
    record_in_parent(path, detail::inotify_flag::modify, 0);
    changes_.record(detail::rdcw_action::modified, path, directory_path());
  }

  void symlink(const std::string& path, const std::string& target) {
    make(path, entry_type::symlink, link_mode | 0777, target);
  }

  /// An entry that is neither file, directory nor symlink (a FIFO).
  void mkfifo(const std::string& path) { make(path, entry_type::other, 0010000 | 0644, {}); }

  /// rm -r: children first (each with its records), then the entry itself.
  void remove(const std::string& path) {
    note("remove " + path);
    if (path == "/")
      throw std::logic_error("fake_filesystem: cannot remove /");
    const entry& e = at(path);
    if (e.type == entry_type::directory) {
      for (const std::string& child : children(path))
        remove(child);
      if (rmdir_order_ == rmdir_order::self_first)
        inode_gone(e.status.inode);
      record_in_parent(path, detail::inotify_flag::delete_entry | detail::inotify_flag::is_dir, 0);
      if (rmdir_order_ == rmdir_order::parent_first)
        inode_gone(e.status.inode);
    } else {
      record_in_parent(path, detail::inotify_flag::delete_entry, 0);
    }
    changes_.record(detail::rdcw_action::removed, path, directory_path());
    changes_.directory_gone(e.status.inode);
    entries_.erase(path);
    touch_directory(parent_of(path));
  }

  /// rename(2): `to` is replaced if it exists (a file by a non-directory, an empty directory by a
  /// directory). IN_MOVED_FROM and IN_MOVED_TO with one cookie, IN_MOVE_SELF on a watched moved
  /// directory, and the death of a replaced watched directory.
  void rename(const std::string& from, const std::string& to) {
    if (from == to)
      return;
    note("rename " + from + " -> " + to);
    const entry& source = at(from);
    const entry& new_parent = at(parent_of(to));
    if (new_parent.type != entry_type::directory)
      throw std::logic_error("fake_filesystem: rename into a non-directory " + to);
    if (source.type == entry_type::directory && is_within(to, from))
      throw std::logic_error("fake_filesystem: rename of " + from + " into itself");
    bool is_directory = source.type == entry_type::directory;
    std::optional<std::uint64_t> replaced_inode;
    if (exists(to)) {
      const entry& target = at(to);
      bool target_is_directory = target.type == entry_type::directory;
      if (is_directory != target_is_directory)
        throw std::logic_error("fake_filesystem: rename between a directory and a non-directory");
      if (target_is_directory && !children(to).empty())
        throw std::logic_error("fake_filesystem: rename over a non-empty directory " + to);
      if (target_is_directory)
        replaced_inode = target.status.inode;
      changes_.record(detail::rdcw_action::removed, to, directory_path());
      entries_.erase(to);
    }
    std::uint32_t cookie = next_cookie_++;
    std::uint32_t dir_bit = is_directory ? detail::inotify_flag::is_dir : 0;
    std::uint64_t moved_inode = source.status.inode;
    record_in_parent(from, detail::inotify_flag::moved_from | dir_bit, cookie);
    // Move the entry and everything under it.
    std::vector<std::pair<std::string, entry>> moved;
    moved.emplace_back(to, entries_.at(from));
    for (const std::string& path : descendants(from))
      moved.emplace_back(to + path.substr(from.size()), entries_.at(path));
    for (const std::string& path : descendants(from))
      entries_.erase(path);
    entries_.erase(from);
    for (auto& [path, e] : moved)
      entries_.emplace(path, std::move(e));
    mutable_at(to).status.ctime_ns = stamp();
    record_in_parent(to, detail::inotify_flag::moved_to | dir_bit, cookie);
    changes_.record_move(from, to, directory_path());
    if (replaced_inode)
      changes_.directory_gone(*replaced_inode);
    if (std::optional<int> watch = watch_of_inode(moved_inode))
      append(*watch, detail::inotify_flag::move_self, 0, {});
    if (replaced_inode)
      inode_gone(*replaced_inode);
    touch_directory(parent_of(from));
    touch_directory(parent_of(to));
  }

  /// renameat2(RENAME_EXCHANGE): `a` and `b` swap places, each with what is under it. The
  /// kernel's records: the move of `a` to `b`, then the move of `b` to `a`, each with its own
  /// cookie and followed by IN_MOVE_SELF when the moved entry is a watched directory.
  void exchange(const std::string& a, const std::string& b) {
    note("exchange " + a + " <-> " + b);
    if (changes_.any())
      throw std::logic_error("fake_filesystem: Windows has no exchange of two entries");
    if (a == b || a == "/" || b == "/" || is_within(a, b) || is_within(b, a))
      throw std::logic_error("fake_filesystem: exchange of " + a + " and " + b);
    std::vector<std::pair<std::string, entry>> swapped;
    for (const auto& [from, to] : {std::pair(a, b), std::pair(b, a)}) {
      swapped.emplace_back(to, at(from));
      for (const std::string& path : descendants(from))
        swapped.emplace_back(to + path.substr(from.size()), entries_.at(path));
    }
    for (const std::string& path : {a, b}) {
      for (const std::string& inner : descendants(path))
        entries_.erase(inner);
      entries_.erase(path);
    }
    for (auto& [path, e] : swapped)
      entries_.emplace(path, std::move(e));
    for (const auto& [from, to] : {std::pair(a, b), std::pair(b, a)}) {
      entry& moved = mutable_at(to); // the entry that was at `from`
      moved.status.ctime_ns = stamp();
      std::uint32_t dir_bit = moved.type == entry_type::directory ? detail::inotify_flag::is_dir : 0;
      std::uint32_t cookie = next_cookie_++;
      record_in_parent(from, detail::inotify_flag::moved_from | dir_bit, cookie);
      record_in_parent(to, detail::inotify_flag::moved_to | dir_bit, cookie);
      if (std::optional<int> watch = watch_of_inode(moved.status.inode))
        append(*watch, detail::inotify_flag::move_self, 0, {});
    }
    touch_directory(parent_of(a));
    touch_directory(parent_of(b));
  }

  /// chmod: IN_ATTRIB for the parent's watch (by name), then for the entry's own watch.
  void chmod(const std::string& path, std::uint32_t permissions) {
    entry& e = mutable_at(path);
    e.status.mode = (e.status.mode & ~std::uint32_t(07777)) | (permissions & 07777);
    e.status.ctime_ns = stamp();
    attrib_records(path);
  }

  void chown(const std::string& path, std::uint32_t uid, std::uint32_t gid) {
    entry& e = mutable_at(path);
    e.status.uid = uid;
    e.status.gid = gid;
    e.status.ctime_ns = stamp();
    attrib_records(path);
  }

  /// touch on an existing entry: new times, IN_ATTRIB.
  void touch(const std::string& path) {
    entry& e = mutable_at(path);
    e.status.mtime_ns = e.status.ctime_ns = stamp();
    attrib_records(path);
  }

  /// Changes without any record: what happens while the kernel's queue overflows, or on a file
  /// system inotify cannot see (network, FUSE).
  template <typename F>
  void silently(F&& change) {
    std::string saved = std::move(records_);
    records_.clear();
    changes_.silent = true;
    std::forward<F>(change)();
    changes_.silent = false;
    records_ = std::move(saved);
  }

  // ---------------------------------------------------------------------------------------------
  // Records

  /// The records queued since the last call, oldest first.
  std::string take_records() { return std::exchange(records_, {}); }
  const std::string& pending_records() const { return records_; }
  /// Queues IN_Q_OVERFLOW (watch -1), as the kernel does when its queue is full; a recursive
  /// watch's next read completes with no bytes instead, what it had is lost.
  void queue_overflow() {
    append(-1, detail::inotify_flag::queue_overflow, 0, {});
    changes_.overflow();
  }

  /// Recursive watches: the buffer of each that has news (empty: it overflowed), by watch, and
  /// the watches that ended since the last call (their directory deleted).
  std::vector<std::pair<int, std::string>> take_changes() { return changes_.take(); }
  std::vector<int> take_ended_watches() { return changes_.take_ended(); }
  /// The recursive watch of the directory now at `path`, if any.
  std::optional<int> recursive_watch_of(const std::string& path) const {
    auto it = entries_.find(path);
    if (it == entries_.end())
      return std::nullopt;
    return changes_.recursive_watch_of(it->second.status.inode);
  }
  /// Cross-directory moves inside a recursive watch: a renamed pair (Wine), or removed and
  /// added (what Windows is said to report); the engine must replay both to the same tree.
  void set_moves_as_pairs(bool pairs) { changes_.moves_as_pairs = pairs; }
  /// Queues any record (for tests of odd kernel behaviour).
  void queue_record(int watch, std::uint32_t mask, std::uint32_t cookie, std::string_view name) {
    append(watch, mask, cookie, name);
  }

  // ---------------------------------------------------------------------------------------------
  // Watches and failures

  /// The watch of the directory now at `path`, if any.
  std::optional<int> watch_of(const std::string& path) const {
    auto it = entries_.find(path);
    if (it == entries_.end())
      return std::nullopt;
    return watch_of_inode(it->second.status.inode);
  }
  /// Live watches: id -> path of the directory now.
  std::map<int, std::string> active_watches() const {
    std::map<int, std::string> out;
    for (auto& [path, e] : entries_)
      if (std::optional<int> watch = watch_of_inode(e.status.inode))
        out.emplace(*watch, path);
    return out;
  }
  std::size_t active_watch_count() const { return watch_by_inode_.size() + changes_.size(); }
  /// Every remove_watch call, in order (ids that were no longer live included).
  const std::vector<int>& removed_watches() const { return removed_watches_; }
  /// Every successful add_watch: path and id, in order.
  const std::vector<std::pair<std::string, int>>& added_watches() const { return added_watches_; }

  void fail_watch(const std::string& path, boost::system::error_code ec) { watch_failures_[path] = ec; }
  void fail_list(const std::string& path, boost::system::error_code ec) { list_failures_[path] = ec; }
  void fail_status(const std::string& path, boost::system::error_code ec) {
    status_failures_[path] = ec;
  }
  /// At most `count` live watches; a new one beyond fails with errc::watch_limit_reached.
  void set_watch_limit(std::optional<std::size_t> count) { watch_limit_ = count; }
  void clear_failures() {
    watch_failures_.clear();
    list_failures_.clear();
    status_failures_.clear();
    watch_limit_.reset();
  }

  /// Called after each successful add_watch with the directory's path, once the watch is live:
  /// changes made here are seen by the new watch (the race between watching and scanning).
  std::function<void(const std::string&)> after_add_watch;
  /// Called when the engine is about to list or look at `path` (before the call reads the tree):
  /// changes made here happen while the engine scans, as other processes' changes do.
  std::function<void(const std::string&)> before_look;
  /// Called in the middle of each list: changes made here are seen by the rest of the listing
  /// only. Returns the position reached: names before it were read before the changes.
  std::function<std::string(const std::string&)> during_list;
  /// When set, told every change, list and new watch (for tracing a failing random test).
  std::function<void(const std::string&)> trace;
  /// When set, mark_queue fails, as when the watch limit is reached.
  bool refuse_markers = false;

  // ---------------------------------------------------------------------------------------------
  // detail::filesystem

  boost::system::error_code list(const std::string& directory,
                                 std::vector<detail::listed_entry>& out, bool follow) override {
    ++list_calls_;
    note("list " + directory);
    if (before_look)
      before_look(directory);
    if (auto it = list_failures_.find(directory); it != list_failures_.end())
      return it->second;
    std::string resolved;
    if (auto ec = open_directory(directory, follow, resolved))
      return ec;
    list_open(entries_.at(resolved).status.inode, resolved, directory, out);
    return {};
  }

  boost::system::error_code watch_and_list(const std::string& directory, detail::watch_kind kind,
                                           std::vector<detail::listed_entry>& out,
                                           const watched_handler& on_watched) override {
    // As the real one: the directory is opened (resolved) once, then watched and read through
    // the open descriptor, wherever it is by then.
    ++list_calls_;
    note("watch+list " + directory);
    if (before_look)
      before_look(directory);
    if (auto it = list_failures_.find(directory); it != list_failures_.end())
      return it->second;
    if (auto it = watch_failures_.find(directory); it != watch_failures_.end())
      return it->second;
    const bool follow = kind == detail::watch_kind::root;
    std::string resolved;
    if (auto ec = open_directory(directory, follow, resolved))
      return ec;
    const std::uint64_t inode = entries_.at(resolved).status.inode;
    boost::system::error_code ec;
    const int watch = watch_inode(inode, directory, ec);
    if (ec)
      return ec;
    if ((ec = on_watched(watch)))
      return ec;
    list_open(inode, resolved, directory, out);
    // Still at the path (the real one: fstat of the descriptor against a stat of the path)?
    std::string now_there;
    if (auto gone = resolve(directory, follow, now_there)) {
      note("  " + directory + " gone once it was read");
      return gone;
    }
    if (entries_.at(now_there).status.inode != inode) {
      note("  " + directory + " left while it was read");
      return make_errc(boost::system::errc::no_such_file_or_directory);
    }
    return {};
  }

  boost::system::error_code status(const std::string& path, bool follow, entry_type& type,
                                   detail::entry_status& status) override {
    if (before_look)
      before_look(path);
    if (auto it = status_failures_.find(path); it != status_failures_.end())
      return it->second;
    std::string resolved;
    if (auto ec = resolve(path, follow, resolved))
      return ec;
    const entry& e = entries_.at(resolved);
    type = e.type;
    status = e.status;
    status.mount_id = 1; // one mount: this file system has no bind mounts
    return {};
  }

  boost::system::error_code read_file(const std::string& path, std::size_t max_bytes,
                                      std::string& out) override {
    out.clear();
    ++read_file_calls_;
    if (auto it = status_failures_.find(path); it != status_failures_.end())
      return it->second;
    std::string resolved;
    if (auto ec = resolve(path, false, resolved))
      return ec;
    const entry& e = entries_.at(resolved);
    using boost::system::errc::make_error_code;
    namespace errc = boost::system::errc;
    if (e.type == entry_type::symlink)
      return make_error_code(errc::too_many_symbolic_link_levels);
    if (e.type == entry_type::directory)
      return make_error_code(errc::is_a_directory);
    if (e.type != entry_type::file)
      return make_error_code(errc::invalid_argument);
    if (e.content.size() > max_bytes)
      return make_error_code(errc::file_too_large);
    out = e.content;
    return {};
  }
  std::size_t read_file_calls() const noexcept { return read_file_calls_; }

  int add_watch(const std::string& directory, detail::watch_kind kind,
                boost::system::error_code& ec) override {
    ec.clear();
    if (auto it = watch_failures_.find(directory); it != watch_failures_.end()) {
      ec = it->second;
      return -1;
    }
    std::string resolved;
    // IN_DONT_FOLLOW for subtrees: a symlink is not followed, and IN_ONLYDIR then refuses it.
    if ((ec = resolve(directory, kind != detail::watch_kind::subtree, resolved)))
      return -1;
    const entry& e = entries_.at(resolved);
    if (e.type != entry_type::directory) {
      ec = make_errc(boost::system::errc::not_a_directory);
      return -1;
    }
    if (kind == detail::watch_kind::tree || kind == detail::watch_kind::single_directory) {
      const int watch = changes_.add(e.status.inode, kind == detail::watch_kind::tree, next_watch_);
      note("recursive watch " + directory + " = " + std::to_string(watch));
      return watch;
    }
    return watch_inode(e.status.inode, directory, ec);
  }

  int mark_queue() override {
    if (refuse_markers)
      return -1; // the watch limit reached, or a kernel older than 4.18
    // A watch of a directory of its own, added and removed at once: only its IN_IGNORED is seen.
    const int marker = next_watch_++;
    note("marker " + std::to_string(marker));
    append(marker, detail::inotify_flag::ignored, 0, {});
    return marker;
  }

  void remove_watch(int watch) override {
    removed_watches_.push_back(watch);
    if (changes_.remove(watch))
      return;
    auto it = inode_by_watch_.find(watch);
    if (it == inode_by_watch_.end())
      return; // EINVAL: gone already
    watch_by_inode_.erase(it->second);
    inode_by_watch_.erase(it);
    append(watch, detail::inotify_flag::ignored, 0, {}); // inotify_rm_watch queues IN_IGNORED
  }

  std::size_t list_calls() const { return list_calls_; }

  static std::string parent_of(const std::string& path) {
    std::size_t slash = path.find_last_of('/');
    return slash == 0 ? std::string("/") : path.substr(0, slash);
  }
  static std::string name_of(const std::string& path) {
    return path.substr(path.find_last_of('/') + 1);
  }

private:
  static boost::system::error_code make_errc(boost::system::errc::errc_t e) {
    return boost::system::errc::make_error_code(e);
  }

  static bool is_within(const std::string& path, const std::string& base) {
    if (base == "/")
      return true;
    return path.size() > base.size() && path.compare(0, base.size(), base) == 0 &&
           path[base.size()] == '/';
  }

  detail::entry_status new_status(std::uint32_t mode, std::uint32_t links) {
    detail::entry_status s;
    s.inode = next_inode_++;
    s.mode = mode;
    s.links = links;
    s.uid = 1000;
    s.gid = 1000;
    s.mtime_ns = s.ctime_ns = stamp();
    return s;
  }

  std::int64_t stamp() {
    std::int64_t t = now_ns_;
    now_ns_ += tick_ns_;
    return t;
  }

  entry& mutable_at(const std::string& path) {
    auto it = entries_.find(path);
    if (it == entries_.end())
      throw std::logic_error("fake_filesystem: no entry " + path);
    return it->second;
  }

  std::vector<std::string> descendants(const std::string& path) const {
    std::vector<std::string> out;
    std::string prefix = path == "/" ? path : path + '/';
    for (auto it = entries_.lower_bound(prefix);
         it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
      if (it->first != "/")
        out.push_back(it->first);
    return out;
  }

  void note(const std::string& what) const {
    if (trace)
      trace(what);
  }

  /// open(2) of a directory, O_NOFOLLOW unless `follow`: where it resolves to.
  boost::system::error_code open_directory(const std::string& directory, bool follow,
                                           std::string& resolved) const {
    if (auto ec = resolve(directory, follow, resolved))
      return ec;
    if (!follow && entries_.at(resolved).type == entry_type::symlink)
      return make_errc(boost::system::errc::too_many_symbolic_link_levels); // O_NOFOLLOW
    if (entries_.at(resolved).type != entry_type::directory)
      return make_errc(boost::system::errc::not_a_directory);
    return {};
  }

  /// The watch of directory `inode` (resolved from `directory`), added unless it has one.
  int watch_inode(std::uint64_t inode, const std::string& directory, boost::system::error_code& ec) {
    ec.clear();
    if (std::optional<int> existing = watch_of_inode(inode)) {
      note("watch " + directory + " = " + std::to_string(*existing) + " (had it)");
      return *existing;
    }
    if (watch_limit_ && watch_by_inode_.size() >= *watch_limit_) {
      ec = errc::watch_limit_reached;
      return -1;
    }
    int watch = next_watch_++;
    watch_by_inode_[inode] = watch;
    inode_by_watch_[watch] = inode;
    added_watches_.emplace_back(directory, watch);
    note("watch " + directory + " = " + std::to_string(watch));
    if (after_add_watch)
      after_add_watch(directory);
    return watch;
  }

  /// Reads the open directory `inode` (opened as `directory`, found at `was_at`) where it is
  /// now: nothing once it is removed.
  void list_open(std::uint64_t inode, const std::string& was_at, const std::string& directory,
                 std::vector<detail::listed_entry>& out) {
    std::map<std::string, detail::listed_entry> listing = list_now(path_of_directory(inode, was_at));
    if (during_list) {
      // readdir(3) is not atomic: what it returns comes in position order (here, name order),
      // partly from before changes made meanwhile and partly from after them.
      std::string position = during_list(directory);
      std::map<std::string, detail::listed_entry> rest =
          list_now(path_of_directory(inode, was_at));
      listing.erase(listing.lower_bound(position), listing.end());
      listing.insert(rest.lower_bound(position), rest.end());
    }
    for (auto& [name, item] : listing)
      out.push_back(std::move(item));
  }

  /// Where directory `inode` is now (`was_at` unless it moved); empty when it is removed.
  std::string path_of_directory(std::uint64_t inode, const std::string& was_at) const {
    if (auto it = entries_.find(was_at); it != entries_.end() && it->second.status.inode == inode &&
                                         it->second.type == entry_type::directory)
      return was_at;
    for (auto& [path, e] : entries_)
      if (e.status.inode == inode && e.type == entry_type::directory)
        return path;
    return {};
  }

  std::map<std::string, detail::listed_entry> list_now(const std::string& directory) const {
    std::map<std::string, detail::listed_entry> out;
    if (directory.empty())
      return out; // removed
    for (const std::string& child : children(directory)) {
      detail::listed_entry item;
      item.name = name_of(child);
      item.type = entries_.at(child).type;
      item.inode = entries_.at(child).status.inode;
      out.emplace(item.name, item);
    }
    return out;
  }

  std::vector<std::string> children(const std::string& path) const {
    std::vector<std::string> out;
    std::size_t skip = path == "/" ? 1 : path.size() + 1;
    for (const std::string& d : descendants(path))
      if (d.find('/', skip) == std::string::npos)
        out.push_back(d);
    return out;
  }

  /// Where the symlink at `link` points: its target, relative to the symlink's directory unless
  /// absolute, with "." and ".." resolved lexically (enough here: no symlink in the middle).
  static std::string target_path(const std::string& link, const std::string& target) {
    std::string joined = !target.empty() && target.front() == '/' ? target : parent_of(link) + '/' + target;
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= joined.size()) {
      std::size_t slash = joined.find('/', start);
      if (slash == std::string::npos)
        slash = joined.size();
      std::string part = joined.substr(start, slash - start);
      if (part == "..") {
        if (!parts.empty())
          parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      start = slash + 1;
    }
    std::string out;
    for (const std::string& part : parts)
      out += '/' + part;
    return out.empty() ? "/" : out;
  }

  boost::system::error_code resolve(const std::string& path, bool follow, std::string& out) const {
    std::string current = path;
    for (int hops = 0; hops < 8; ++hops) {
      auto it = entries_.find(current);
      if (it == entries_.end()) {
        // The kernel's path walk: a symlink on the way is followed (whatever `follow` says, which
        // is about the last component); a missing entry under a non-directory is ENOTDIR.
        bool through_symlink = false;
        for (std::string up = parent_of(current); !up.empty() && up != "/"; up = parent_of(up)) {
          auto p = entries_.find(up);
          if (p == entries_.end())
            continue;
          if (p->second.type == entry_type::symlink) {
            current = target_path(up, p->second.target) + current.substr(up.size());
            through_symlink = true;
            break;
          }
          return p->second.type == entry_type::directory
                     ? make_errc(boost::system::errc::no_such_file_or_directory)
                     : make_errc(boost::system::errc::not_a_directory);
        }
        if (through_symlink)
          continue;
        return make_errc(boost::system::errc::no_such_file_or_directory);
      }
      if (!follow || it->second.type != entry_type::symlink) {
        out = current;
        return {};
      }
      current = target_path(current, it->second.target);
    }
    return make_errc(boost::system::errc::too_many_symbolic_link_levels);
  }

  void make(const std::string& path, entry_type type, std::uint32_t mode, std::string target) {
    note("make " + std::string(to_string(type)) + ' ' + path);
    if (path.empty() || path.front() != '/' || (path.size() > 1 && path.back() == '/'))
      throw std::logic_error("fake_filesystem: not an absolute normal path: " + path);
    if (exists(path))
      throw std::logic_error("fake_filesystem: exists already: " + path);
    auto parent = entries_.find(parent_of(path));
    if (parent == entries_.end() || parent->second.type != entry_type::directory)
      throw std::logic_error("fake_filesystem: no parent directory for " + path);
    entry e;
    e.type = type;
    e.status = new_status(mode, type == entry_type::directory ? 2 : 1);
    e.target = std::move(target);
    entries_.emplace(path, std::move(e));
    touch_directory(parent_of(path));
    record_in_parent(path, detail::inotify_flag::create |
                               (type == entry_type::directory ? detail::inotify_flag::is_dir : 0), 0);
    changes_.record(detail::rdcw_action::added, path, directory_path());
  }

  // A directory's times change with its content (no record: that is not an IN_ATTRIB).
  void touch_directory(const std::string& path) {
    auto it = entries_.find(path);
    if (it != entries_.end())
      it->second.status.mtime_ns = it->second.status.ctime_ns = now_ns_;
  }

  void attrib_records(const std::string& path) {
    if (path != "/")
      changes_.record(detail::rdcw_action::modified, path, directory_path());
    const entry& e = at(path);
    std::uint32_t dir_bit = e.type == entry_type::directory ? detail::inotify_flag::is_dir : 0;
    if (path != "/")
      record_in_parent(path, detail::inotify_flag::attrib | dir_bit, 0);
    if (std::optional<int> watch = watch_of_inode(e.status.inode))
      append(*watch, detail::inotify_flag::attrib | dir_bit, 0, {});
  }

  std::optional<int> watch_of_inode(std::uint64_t inode) const {
    auto it = watch_by_inode_.find(inode);
    if (it == watch_by_inode_.end())
      return std::nullopt;
    return it->second;
  }

  // `path`'s parent directory, if watched, learns about `path` by name.
  void record_in_parent(const std::string& path, std::uint32_t mask, std::uint32_t cookie) {
    auto parent = entries_.find(parent_of(path));
    if (parent == entries_.end())
      return;
    if (std::optional<int> watch = watch_of_inode(parent->second.status.inode))
      append(*watch, mask, cookie, name_of(path));
  }

  // The inode of a directory is gone: its watch says so and ends.
  void inode_gone(std::uint64_t inode) {
    std::optional<int> watch = watch_of_inode(inode);
    if (!watch)
      return;
    append(*watch, detail::inotify_flag::delete_self, 0, {});
    append(*watch, detail::inotify_flag::ignored, 0, {});
    watch_by_inode_.erase(inode);
    inode_by_watch_.erase(*watch);
  }

  void append(int watch, std::uint32_t mask, std::uint32_t cookie, std::string_view name) {
    detail::append_inotify_record(records_, watch, mask, cookie, name);
  }

  /// Where directory `inode` is now, for the recursive watches.
  std::function<std::string(std::uint64_t)> directory_path() const {
    return [this](std::uint64_t inode) { return path_of_directory(inode, {}); };
  }

  std::map<std::string, entry> entries_;
  std::size_t read_file_calls_ = 0;
  fake_change_watches changes_;
  std::map<std::uint64_t, int> watch_by_inode_;
  std::map<int, std::uint64_t> inode_by_watch_;
  std::vector<int> removed_watches_;
  std::vector<std::pair<std::string, int>> added_watches_;
  std::map<std::string, boost::system::error_code> watch_failures_;
  std::map<std::string, boost::system::error_code> list_failures_;
  std::map<std::string, boost::system::error_code> status_failures_;
  std::optional<std::size_t> watch_limit_;
  std::string records_;
  std::int64_t now_ns_ = 1'000'000'000'000; // 1000 s after the epoch
  std::int64_t tick_ns_ = 1'000;
  int next_watch_ = 1;
  std::uint64_t next_inode_ = 2;
  std::uint32_t next_cookie_ = 1000;
  std::size_t list_calls_ = 0;
  rmdir_order rmdir_order_ = rmdir_order::self_first;
};

} // namespace asio_fswatch::test

#endif
