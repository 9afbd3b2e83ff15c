// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: open flags and seek origins shared by the file I/O objects, named as in
// boost::asio::file_base.
#ifndef ASIO_FSWATCH_FILE_BASE_HPP
#define ASIO_FSWATCH_FILE_BASE_HPP

namespace asio_fswatch {

/// The open flags and seek origins of the file I/O objects, which derive from it (so
/// `random_access_file::read_write` names a flag), named as in boost::asio::file_base. Not
/// meant to be used on its own: its destructor is protected.
class file_base {
public:
  /// How a file is opened. Combine with `|`: `read_write | create | truncate`.
  enum flags : unsigned {
    read_only = 1,          ///< open for reading
    write_only = 2,         ///< open for writing
    read_write = 4,         ///< open for reading and writing
    append = 8,             ///< every write goes to the end of the file
    create = 16,            ///< create the file when it does not exist (permission bits 0666 & ~umask)
    exclusive = 32,         ///< with `create`: fail with EEXIST when the file exists
    truncate = 64,          ///< cut the file to zero length
    sync_all_on_write = 128 ///< each write returns once data and metadata are on stable storage (O_SYNC)
  };

  /// Where a seek offset is counted from.
  enum seek_basis { seek_set = 0, seek_cur = 1, seek_end = 2 };

protected:
  ~file_base() = default;
};

/// The union of two sets of open flags.
constexpr file_base::flags operator|(file_base::flags a, file_base::flags b) noexcept {
  return file_base::flags(unsigned(a) | unsigned(b));
}
/// The flags set in both.
constexpr file_base::flags operator&(file_base::flags a, file_base::flags b) noexcept {
  return file_base::flags(unsigned(a) & unsigned(b));
}
/// Every flag but those of `a`.
constexpr file_base::flags operator~(file_base::flags a) noexcept {
  return file_base::flags(~unsigned(a));
}
/// Adds the flags of `b` to `a`.
inline file_base::flags& operator|=(file_base::flags& a, file_base::flags b) noexcept {
  return a = a | b;
}
/// Keeps in `a` only the flags also in `b`.
inline file_base::flags& operator&=(file_base::flags& a, file_base::flags b) noexcept {
  return a = a & b;
}

} // namespace asio_fswatch

#endif
