// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the kernel edge the watch engine scans and watches through. The real
// one (posix_filesystem) calls readdir, lstat and inotify; unit tests use an in-memory fake.
#ifndef ASIO_FSWATCH_DETAIL_FILESYSTEM_HPP
#define ASIO_FSWATCH_DETAIL_FILESYSTEM_HPP

#include <asio_fswatch/fs_event.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace asio_fswatch::detail {

/// What the poll backend compares between two scans.
struct entry_status {
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t size = 0;
  std::uint64_t inode = 0;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t links = 0;
  /// The mount the entry was reached through (statx's STATX_MNT_ID); on Windows, the volume's
  /// serial number. 0 when unknown.
  std::uint64_t mount_id = 0;
  /// Windows: the entry's FILE_ATTRIBUTE_* bits (read-only, hidden, ...); 0 on POSIX, where
  /// `mode` says it all.
  std::uint32_t attributes = 0;
};

struct listed_entry {
  std::string name;
  entry_type type = entry_type::unknown;
  std::uint64_t inode = 0;
};

/// What a watch request asks for. inotify watches one directory per watch: `root` and `subtree`.
/// A recursive interface (ReadDirectoryChangesW) watches a root's directory and, with `tree`,
/// everything below it; its records are decoded into change records (change_record.hpp).
enum class watch_kind : std::uint8_t {
  root,             ///< inotify: a root directory, the user's path, symlinks followed
  subtree,          ///< inotify: a directory found inside a root: symlinks not followed
  tree,             ///< recursive: a root directory and everything below it, symlinks followed
  single_directory, ///< recursive interface, one directory: a file root's, or a root watched
                    ///< without its subdirectories
};

class filesystem {
public:
  virtual ~filesystem() = default;

  /// Appends the entries of `directory` (without "." and ".."); the type comes from the
  /// directory entry where the file system gives it, from lstat otherwise (unknown if it is gone).
  /// Without `follow`, a `directory` that is now a symlink fails with ELOOP instead of listing
  /// where it points.
  virtual boost::system::error_code list(const std::string& directory,
                                         std::vector<listed_entry>& out, bool follow) = 0;

  /// lstat, or stat when `follow` is set.
  virtual boost::system::error_code status(const std::string& path, bool follow, entry_type& type,
                                           entry_status& status) = 0;

  /// Starts watching `directory`; returns a watch id >= 0. The same directory (inode) gives the
  /// same id. Errors: system errors, errc::watch_limit_reached.
  virtual int add_watch(const std::string& directory, watch_kind kind,
                        boost::system::error_code& ec) = 0;
  virtual void remove_watch(int watch) = 0;

  /// Watches `directory` and appends its entries, both of one directory: a rename between the
  /// two steps cannot give the watch of one directory and the entries of another (the real one
  /// opens the directory once, then watches and reads it through that descriptor). Errors are
  /// add_watch's and list's; a `root` is followed when it is a symlink, a `subtree` is not.
  /// Once the directory is watched, `on_watched` is told the watch id, before the directory is
  /// read: an error it returns ends the call with that error, unread. A directory that no longer is at `directory` once read
  /// gives no_such_file_or_directory, as if it had gone before the listing (its entries may
  /// be appended: they are its own, but the path names something else now).
  using watched_handler = std::function<boost::system::error_code(int watch)>;
  virtual boost::system::error_code watch_and_list(const std::string& directory, watch_kind kind,
                                                   std::vector<listed_entry>& out,
                                                   const watched_handler& on_watched) = 0;

  /// Reads the regular file at `path` (an ignore file) into `out`, not following a symlink
  /// (ELOOP, as git refuses one) and not blocking on a FIFO; a file of more than `max_bytes`
  /// gives file_too_large.
  virtual boost::system::error_code read_file(const std::string& path, std::size_t max_bytes,
                                              std::string& out) = 0;

  /// Queues a record after the records of every change made so far: the IN_IGNORED of a watch
  /// of its own, added and removed at once. Returns that watch's id, or -1 when it cannot.
  virtual int mark_queue() = 0;
};

/// The real one: readdir, lstat, and inotify on `inotify_fd` (-1 when polling), whose watches
/// ask for inotify_watch_mask and `extra_mask` (IN_CLOSE_WRITE, when the monitor settles).
std::unique_ptr<filesystem> make_posix_filesystem(int inotify_fd, std::uint32_t extra_mask = 0);

/// The real one of this platform, for scans that watch nothing (snapshots): it lists, reads
/// statuses and files, and never adds a watch.
std::unique_ptr<filesystem> make_scan_filesystem();

entry_type entry_type_from_mode(std::uint32_t mode) noexcept;

} // namespace asio_fswatch::detail

#endif
