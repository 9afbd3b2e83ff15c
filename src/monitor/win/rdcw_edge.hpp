// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private (src/ only): the Windows edge of a directory monitor. Each root's
// directory is opened for overlapped I/O and put on the io_context's completion port (an
// overlapped handle: no thread of ours); ReadDirectoryChangesW, or ReadDirectoryChangesExW
// where the system has it, reads what changed below it. Reads are pending only while a user
// operation waits (see monitor_edge.hpp): between reads the system keeps what changes in the
// handle's own buffer, and says when that overflowed. A completion's records are decoded by
// rdcw_parser and applied by the engine (watch_policy::recursive_root).
#ifndef ASIO_FSWATCH_SRC_MONITOR_WIN_RDCW_EDGE_HPP
#define ASIO_FSWATCH_SRC_MONITOR_WIN_RDCW_EDGE_HPP

#include "../edge_sink.hpp"

#include <asio_fswatch/detail/filesystem.hpp>
#include <asio_fswatch/detail/rdcw_parser.hpp>
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/windows/basic_overlapped_handle.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace asio_fswatch::detail {

class rdcw_edge {
public:
  rdcw_edge(const boost::asio::any_io_executor& executor, const monitor_options& options);
  ~rdcw_edge();
  rdcw_edge(const rdcw_edge&) = delete;
  rdcw_edge& operator=(const rdcw_edge&) = delete;

  boost::system::error_code open(backend& mode, bool automatic, edge_sink sink);
  filesystem& files() noexcept { return *filesystem_; }
  watch_policy policy() const noexcept { return policy_; }
  void arm();
  void disarm();
  /// Nothing to take: a read's completion brings everything it read.
  bool take_queued(watch_engine&, int, boost::system::error_code&) { return true; }
  void close();

  /// For the file system (win_filesystem.cpp): opens a watch of `directory` (engine path text)
  /// and everything below it when `recursive`; its id, or -1 with `ec`.
  int open_watch(const std::string& directory, bool recursive, boost::system::error_code& ec);
  void close_watch(int id);
  /// Whether the directory at `directory`, watched here, is deleted and only waits for the
  /// watch's handle to close (Windows deletes an open directory when its last handle goes; until
  /// then, opening it fails with ERROR_ACCESS_DENIED).
  bool delete_pending(const std::string& directory) const;

private:
  // Asio's overlapped handle, whose destructor is protected: a HANDLE on the completion port.
  class directory_handle : public boost::asio::windows::basic_overlapped_handle<boost::asio::any_io_executor> {
  public:
    using basic_overlapped_handle::basic_overlapped_handle;
    ~directory_handle() = default;
  };

  struct watch {
    watch(int watch_id, const std::string& where, bool recursive_watch, const boost::asio::any_io_executor& executor)
        : id(watch_id), directory(where), recursive(recursive_watch), handle(executor) {}
    int id;
    std::string directory;
    bool recursive;
    directory_handle handle;
    // DWORD-aligned, as ReadDirectoryChangesW requires. Owned here, and the watch by the
    // pending read's handler: a read cancelled or closed still owns its buffer until it
    // completes.
    std::vector<std::uint32_t> buffer;
    rdcw_format format = rdcw_format::basic; // the edge's, unless the file system refused it
    bool reading = false;
    bool closed = false;
    bool failed = false; // ended with an error: the engine was told, no read again
  };

  /// Starts a read of `w`; the error when the system refuses it at once (the read is then not
  /// pending, and no handler runs).
  boost::system::error_code start_read(const std::shared_ptr<watch>& w);
  /// Under the monitor's lock: what a read of `w` completed with, to the engine.
  void completed(watch_engine& engine, watch& w, boost::system::error_code ec, std::size_t bytes);

  boost::asio::any_io_executor executor_;
  std::size_t buffer_bytes_;
  watch_policy policy_ = watch_policy::recursive_root;
  std::unique_ptr<filesystem> filesystem_;
  edge_sink sink_;
  bool armed_ = false;
  std::map<int, std::shared_ptr<watch>> watches_;
  int next_id_ = 1;
  rdcw_format format_ = rdcw_format::basic;
  std::vector<change_record> changes_; // reused for each completion
};

/// The Windows file system the engine scans through, its watches those of `edge`.
std::unique_ptr<filesystem> make_win_filesystem(rdcw_edge* edge);

/// GetLastError() as an error code of the system category.
boost::system::error_code last_win32_error();

/// `text` (engine path text: WTF-8, '/') as a path for the wide Win32 calls: '\' between parts
/// and the long-path prefix (\\?\C:\..., \\?\UNC\server\share\...), so that no length limit
/// and no name the shell would alter (a trailing dot or space) stands in the way.
std::wstring win_long_path(const std::string& text);

} // namespace asio_fswatch::detail

#endif
