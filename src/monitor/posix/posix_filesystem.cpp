// SPDX-License-Identifier: BSL-1.0
// The real filesystem edge: readdir, lstat, inotify_add_watch.
#include <asio_fswatch/detail/system_error.hpp>
#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/inotify_parser.hpp>
#include <asio_fswatch/error.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(ASIO_FSWATCH_LINUX)
#include <sys/inotify.h>
#include <sys/syscall.h>
#endif

namespace asio_fswatch::detail {
namespace {

namespace sys = boost::system;


/// Calls `read_some(buffer, size)` (a read(2)-like call) until it returns 0 or fails (EINTR is
/// retried), handing each chunk to `use(bytes)`, which may stop the reading with an error.
template <typename ReadSome, typename Use>
sys::error_code read_chunks(char* buffer, std::size_t size, ReadSome read_some, Use use) {
  for (;;) {
    const ::ssize_t got = read_some(buffer, size);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return last_system_error();
    if (got == 0)
      return {};
    if (sys::error_code ec = use(static_cast<std::size_t>(got)))
      return ec;
  }
}

entry_type type_from_dirent(unsigned char d_type) {
  switch (d_type) {
  case DT_REG: return entry_type::file;
  case DT_DIR: return entry_type::directory;
  case DT_LNK: return entry_type::symlink;
  case DT_UNKNOWN: return entry_type::unknown;
  default: return entry_type::other;
  }
}

void fill_status(const struct stat& st, entry_status& out) {
  out.mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  out.ctime_ns = std::int64_t(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.inode = st.st_ino;
  out.mode = st.st_mode;
  out.uid = st.st_uid;
  out.gid = st.st_gid;
  out.links = static_cast<std::uint32_t>(st.st_nlink);
  out.mount_id = 0;
}

#if defined(ASIO_FSWATCH_LINUX) && defined(STATX_MNT_ID)
void fill_status(const struct ::statx& stx, entry_status& out) {
  out.mtime_ns = std::int64_t(stx.stx_mtime.tv_sec) * 1'000'000'000 + stx.stx_mtime.tv_nsec;
  out.ctime_ns = std::int64_t(stx.stx_ctime.tv_sec) * 1'000'000'000 + stx.stx_ctime.tv_nsec;
  out.size = stx.stx_size;
  out.inode = stx.stx_ino;
  out.mode = stx.stx_mode;
  out.uid = stx.stx_uid;
  out.gid = stx.stx_gid;
  out.links = stx.stx_nlink;
  out.mount_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
}
#endif

class posix_filesystem final : public filesystem {
public:
  posix_filesystem(int inotify_fd, std::uint32_t extra_mask) : inotify_fd_(inotify_fd), extra_mask_(extra_mask) {}

  sys::error_code list(const std::string& directory, std::vector<listed_entry>& out,
                       bool follow) override {
    int fd = open_directory(directory, follow);
    if (fd < 0)
      return last_system_error();
    sys::error_code ec = list_entries(fd, out);
    ::close(fd);
    return ec;
  }

  sys::error_code watch_and_list(const std::string& directory, watch_kind kind,
                                 std::vector<listed_entry>& out,
                                 const watched_handler& on_watched) override {
    const bool follow = kind == watch_kind::root;
    int fd = open_directory(directory, follow);
    if (fd < 0)
      return last_system_error();
    sys::error_code ec;
    const int added = add_watch_of_open(fd, directory, kind, ec);
    if (ec) {
      ::close(fd);
      return ec;
    }
    if ((ec = on_watched(added))) {
      ::close(fd);
      return ec;
    }
    struct stat read_one;
    if (::fstat(fd, &read_one) != 0 || (ec = list_entries(fd, out))) {
      if (!ec)
        ec = last_system_error();
      ::close(fd);
      return ec;
    }
    ::close(fd);
    // Still where it was opened? A rename of it (or above it) while it was read leaves the
    // picture with a path that names another entry now, or none. The device counts: two
    // subvolumes' roots, or two copies of one file system image, share inode numbers (which is
    // why the listing's "." cannot stand in for the fstat).
    struct stat now_there;
    if ((follow ? ::stat(directory.c_str(), &now_there) : ::lstat(directory.c_str(), &now_there)) != 0)
      return last_system_error();
    if (now_there.st_ino != read_one.st_ino || now_there.st_dev != read_one.st_dev)
      return sys::errc::make_error_code(sys::errc::no_such_file_or_directory);
    return {};
  }

  sys::error_code status(const std::string& path, bool follow, entry_type& type,
                         entry_status& status) override {
#if defined(ASIO_FSWATCH_LINUX) && defined(STATX_MNT_ID)
    // statx, for the mount id as well (Linux 5.8): one syscall, as lstat is.
    if (statx_works_) {
      struct ::statx stx;
      if (::statx(AT_FDCWD, path.c_str(), follow ? 0 : AT_SYMLINK_NOFOLLOW,
                  STATX_BASIC_STATS | STATX_MNT_ID, &stx) == 0) {
        type = entry_type_from_mode(stx.stx_mode);
        fill_status(stx, status);
        return {};
      }
      if (errno != ENOSYS)
        return last_system_error();
      statx_works_ = false; // a kernel before 4.11, or a filter: lstat from now on
    }
#endif
    struct stat st;
    int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0)
      return last_system_error();
    type = entry_type_from_mode(st.st_mode);
    fill_status(st, status);
    return {};
  }

  sys::error_code read_file(const std::string& path, std::size_t max_bytes, std::string& out) override {
    out.clear();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
      return last_system_error();
    sys::error_code ec;
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      ec = last_system_error();
    } else if (!S_ISREG(st.st_mode)) {
      ec = sys::errc::make_error_code(S_ISDIR(st.st_mode) ? sys::errc::is_a_directory
                                                          : sys::errc::invalid_argument);
    } else {
      char buffer[16384];
      ec = read_chunks(
          buffer, sizeof buffer, [fd](char* into, std::size_t size) { return ::read(fd, into, size); },
          [&](std::size_t got) {
            if (out.size() + got > max_bytes)
              return sys::errc::make_error_code(sys::errc::file_too_large);
            out.append(buffer, got);
            return sys::error_code();
          });
    }
    ::close(fd);
    if (ec)
      out.clear();
    return ec;
  }

  int add_watch(const std::string& directory, watch_kind kind, sys::error_code& ec) override {
    if (kind == watch_kind::tree || kind == watch_kind::single_directory) {
      ec = sys::errc::make_error_code(sys::errc::operation_not_supported); // inotify's are per directory
      return -1;
    }
    return add_watch_at(directory.c_str(), kind == watch_kind::subtree, ec);
  }

  int mark_queue() override {
#if defined(ASIO_FSWATCH_LINUX) && defined(IN_MASK_CREATE)
    // A directory no monitor watches (IN_MASK_CREATE refuses one that this instance does, and
    // kernels before 4.18 refuse the flag: no marker then).
    int marker = ::inotify_add_watch(inotify_fd_, "/proc/self", IN_ONLYDIR | IN_DELETE_SELF | IN_MASK_CREATE);
    if (marker < 0)
      return -1;
    ::inotify_rm_watch(inotify_fd_, marker);
    return marker;
#else
    return -1;
#endif
  }

  void remove_watch(int watch) override {
#if defined(ASIO_FSWATCH_LINUX)
    ::inotify_rm_watch(inotify_fd_, watch); // EINVAL when the kernel dropped it first: fine
#else
    (void)watch;
#endif
  }

private:
  static int open_directory(const std::string& directory, bool follow) {
    return ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  }

  int add_watch_of_open(int fd, const std::string& directory, watch_kind kind, sys::error_code& ec) {
    // The descriptor's own entry in /proc names the directory that was opened, wherever it is
    // now: followed (it is a link to the open file, never a user's symlink), it watches exactly
    // what the listing reads. Without /proc, the path is looked up a second time.
    if (const char* own_fds = own_fd_directory()) {
      char own[64];
      std::snprintf(own, sizeof own, "%s/%d", own_fds, fd);
      int watch = add_watch_at(own, false, ec);
      if (ec != sys::errc::no_such_file_or_directory)
        return watch;
      proc_pid_.clear(); // /proc went away: looked for again next time
    }
    return add_watch_at(directory.c_str(), kind == watch_kind::subtree, ec);
  }

  const char* own_fd_directory() {
    // "/proc/<pid>/fd", with the pid that this /proc gives the process (it may be mounted from
    // another pid namespace): looked up once (again while there is no /proc). Cheaper to
    // resolve than /proc/self/fd, whose "self" is a link made anew on each lookup. Not looked
    // up again after a fork: a child cannot use a monitor made before it (the inotify instance
    // is the parent's too; see doc/guide.md), and a getpid() per directory watched was a
    // hundredth of the startup (bench/cli_startup_bench).
    if (proc_pid_.empty()) {
      char target[32] = {};
      const ::ssize_t length = ::readlink("/proc/self", target, sizeof target - 1);
      proc_pid_ = length > 0 ? "/proc/" + std::string(target, static_cast<std::size_t>(length)) + "/fd" : std::string();
    }
    return proc_pid_.empty() ? nullptr : proc_pid_.c_str();
  }

  int add_watch_at(const char* path, bool dont_follow, sys::error_code& ec) {
#if defined(ASIO_FSWATCH_LINUX)
    static_assert(inotify_watch_mask == (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                                         IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK),
                  "the mask spelled out in inotify_parser.hpp is Linux's");
    std::uint32_t mask = inotify_watch_mask | extra_mask_;
    if (dont_follow)
      mask |= IN_DONT_FOLLOW;
    // IN_MASK_ADD: the mask is always the same, but adding to a directory already watched must
    // not replace it. Linux replaces by clearing the mark's mask and then setting it again, and
    // an event raised in between is dropped: a look that re-adds a watch (to learn which
    // directory a path names) lost records of changes racing it, a file's creation among them
    // (test/integration/inotify_assumption_test.cpp measures the kernel).
    mask |= IN_MASK_ADD;
    int watch = ::inotify_add_watch(inotify_fd_, path, mask);
    if (watch < 0) {
      ec = errno == ENOSPC ? sys::error_code(errc::watch_limit_reached) : last_system_error();
      return -1;
    }
    ec.clear();
    return watch;
#else
    (void)path;
    (void)dont_follow;
    ec = errc::backend_unavailable;
    return -1;
#endif
  }

  /// One entry of a listing, "." and ".." aside.
  static void take_entry(int fd, const char* name, ino_t inode, unsigned char dirent_type,
                         std::vector<listed_entry>& out) {
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
      return;
    listed_entry item;
    item.name = name;
    item.inode = inode;
    item.type = type_from_dirent(dirent_type);
    if (item.type == entry_type::unknown) {
      // Some file systems (XFS without ftype, many FUSE ones) do not fill d_type.
      struct stat st;
      if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        item.type = entry_type_from_mode(st.st_mode);
    }
    out.push_back(std::move(item));
  }

#if defined(ASIO_FSWATCH_LINUX)
  // getdents64 on the descriptor itself, into a buffer kept for every listing: fdopendir would
  // fstat it once more and allocate a buffer per directory. On a tree of 100,000 directories
  // that was a twentieth of the startup (bench/cli_startup_bench). The buffer is this object's
  // (one engine uses it at a time), not the stack's: the monitor may run on a coroutine's small
  // stack.
  /// Appends the entries of the open directory `fd` to `out`.
  sys::error_code list_entries(int fd, std::vector<listed_entry>& out) {
    constexpr std::size_t buffer_bytes = 32768;
    if (!listing_buffer_)
      listing_buffer_ = std::make_unique<std::uint64_t[]>(buffer_bytes / sizeof(std::uint64_t));
    char* const buffer = reinterpret_cast<char*>(listing_buffer_.get());
    const auto getdents = [fd](char* into, std::size_t size) {
      return static_cast<::ssize_t>(::syscall(SYS_getdents64, fd, into, size));
    };
    return read_chunks(buffer, buffer_bytes, getdents, [&](std::size_t got) {
      for (std::size_t at = 0; at < got;) {
        // The kernel's record (linux_dirent64; glibc names it struct dirent64 from 2.30 only):
        // u64 inode, s64 offset, u16 length, u8 type, then the name and its NUL.
        const char* const record = buffer + at;
        std::uint64_t inode = 0;
        unsigned short length = 0;
        std::memcpy(&inode, record, sizeof inode);
        std::memcpy(&length, record + 16, sizeof length);
        take_entry(fd, record + 19, static_cast<ino_t>(inode), static_cast<unsigned char>(record[18]), out);
        if (length == 0)
          break; // never from a kernel; no endless loop on one either
        at += length;
      }
      return sys::error_code();
    });
  }
#else
  static sys::error_code list_entries(int fd, std::vector<listed_entry>& out) {
    const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0); // closedir closes it; the caller closes fd
    DIR* dir = own < 0 ? nullptr : ::fdopendir(own);
    if (!dir) {
      sys::error_code ec = last_system_error();
      if (own >= 0)
        ::close(own);
      return ec;
    }
    errno = 0;
    while (const dirent* entry = ::readdir(dir)) {
      take_entry(fd, entry->d_name, entry->d_ino, entry->d_type, out);
      errno = 0;
    }
    sys::error_code ec = errno ? last_system_error() : sys::error_code();
    ::closedir(dir);
    return ec;
  }
#endif

  int inotify_fd_;
  std::uint32_t extra_mask_;
  bool statx_works_ = true;
  std::string proc_pid_; // "/proc/<pid>/fd", or empty (not looked up yet, or no /proc)
#if defined(ASIO_FSWATCH_LINUX)
  std::unique_ptr<std::uint64_t[]> listing_buffer_; // list_entries', made at the first listing
#endif
};

} // namespace

entry_type entry_type_from_mode(std::uint32_t mode) noexcept {
  switch (mode & S_IFMT) {
  case S_IFREG: return entry_type::file;
  case S_IFDIR: return entry_type::directory;
  case S_IFLNK: return entry_type::symlink;
  default: return entry_type::other;
  }
}

std::unique_ptr<filesystem> make_posix_filesystem(int inotify_fd, std::uint32_t extra_mask) {
  return std::make_unique<posix_filesystem>(inotify_fd, extra_mask);
}

std::unique_ptr<filesystem> make_scan_filesystem() { return make_posix_filesystem(-1); }

} // namespace asio_fswatch::detail
