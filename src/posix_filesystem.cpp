// The real filesystem edge: readdir, lstat, inotify_add_watch.
#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/error.hpp>

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/inotify.h>
#endif

namespace asio_fswatch::detail {
namespace {

namespace sys = boost::system;

sys::error_code last_error() { return {errno, sys::system_category()}; }

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

#if defined(__linux__) && defined(STATX_MNT_ID)
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
  explicit posix_filesystem(int inotify_fd) : inotify_fd_(inotify_fd) {}

  sys::error_code list(const std::string& directory, std::vector<listed_entry>& out,
                       bool follow) override {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
      return last_error();
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
      sys::error_code ec = last_error();
      ::close(fd);
      return ec;
    }
    errno = 0;
    while (const dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
        continue;
      listed_entry item;
      item.name = name;
      item.inode = entry->d_ino;
      item.type = type_from_dirent(entry->d_type);
      if (item.type == entry_type::unknown) {
        // Some file systems (XFS without ftype, many FUSE ones) do not fill d_type.
        struct stat st;
        if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          item.type = entry_type_from_mode(st.st_mode);
      }
      out.push_back(std::move(item));
      errno = 0;
    }
    sys::error_code ec = errno ? last_error() : sys::error_code();
    ::closedir(dir);
    return ec;
  }

  sys::error_code status(const std::string& path, bool follow, entry_type& type,
                         entry_status& status) override {
#if defined(__linux__) && defined(STATX_MNT_ID)
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
        return last_error();
      statx_works_ = false; // a kernel before 4.11, or a filter: lstat from now on
    }
#endif
    struct stat st;
    int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0)
      return last_error();
    type = entry_type_from_mode(st.st_mode);
    fill_status(st, status);
    return {};
  }

  int add_watch(const std::string& directory, watch_kind kind, sys::error_code& ec) override {
#if defined(__linux__)
    std::uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                         IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;
    if (kind == watch_kind::subtree)
      mask |= IN_DONT_FOLLOW;
    int watch = ::inotify_add_watch(inotify_fd_, directory.c_str(), mask);
    if (watch < 0) {
      ec = errno == ENOSPC ? sys::error_code(errc::watch_limit_reached) : last_error();
      return -1;
    }
    ec.clear();
    return watch;
#else
    (void)directory;
    (void)kind;
    ec = errc::backend_unavailable;
    return -1;
#endif
  }

  void remove_watch(int watch) override {
#if defined(__linux__)
    ::inotify_rm_watch(inotify_fd_, watch); // EINVAL when the kernel dropped it first: fine
#else
    (void)watch;
#endif
  }

private:
  int inotify_fd_;
  bool statx_works_ = true;
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

std::unique_ptr<filesystem> make_posix_filesystem(int inotify_fd) {
  return std::make_unique<posix_filesystem>(inotify_fd);
}

} // namespace asio_fswatch::detail
