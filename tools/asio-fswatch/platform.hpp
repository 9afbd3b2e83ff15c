// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: what the commands need from the operating system, with one implementation per
// platform (platform_posix.cpp, platform_win.cpp). Text is the library's path text throughout:
// the kernel's bytes on POSIX, WTF-8 on Windows (see asio_fswatch/detail/path_text.hpp).
#ifndef ASIO_FSWATCH_TOOL_PLATFORM_HPP
#define ASIO_FSWATCH_TOOL_PLATFORM_HPP

#include <boost/asio/signal_set.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace asio_fswatch::tool {

/// The arguments after the program's name. On Windows they are read from the UTF-16 command
/// line, so that any name can be given (argv would be in the ANSI code page, which cannot spell
/// most of them).
std::vector<std::string> command_arguments(int argc, char** argv);

/// Called first. POSIX: opens /dev/null on each of descriptors 0, 1 and 2 that is closed (as in
/// `>&-`); otherwise the first descriptor the tool opens (epoll, inotify, a signal pipe) would
/// take that number, events would be written into it, and a command started by `run` would
/// inherit it. Windows: looks at the standard handles. Returns whether standard output was
/// closed (or absent).
bool reserve_standard_streams();

/// Adds the signals that end the tool: SIGINT and SIGTERM, and on Windows SIGBREAK too (the
/// CTRL_BREAK_EVENT with which a supervisor such as supervised_process::async_terminate asks).
void add_stop_signals(boost::asio::signal_set& signals);

/// "SIGINT", "SIGTERM", ... or "signal N".
std::string signal_name(int signal);

/// What tells one file from another on its volume: device and inode, or volume serial number
/// and file index.
struct file_identity {
  std::uint64_t volume = 0;
  std::uint64_t index = 0;
  friend bool operator==(const file_identity&, const file_identity&) = default;
};

/// The identity of standard output (1) or standard error (2) when it is a regular file.
std::optional<file_identity> standard_stream_file(int stream);

/// The name (last part) of that file, where the system tells it cheaply (Windows); empty
/// otherwise. A path with another name is not that file, unless it is a second hard link.
std::filesystem::path standard_stream_name(int stream);

/// Whether two names are the same name for the file system: equal on POSIX, equal ignoring case
/// on Windows.
bool same_name(const std::filesystem::path& a, const std::filesystem::path& b);

/// The identity of the regular file at `path` (a link is not followed), if it is one.
std::optional<file_identity> regular_file_identity(const std::filesystem::path& path);

/// The identity of the directory at `path` (links followed), if it is one.
std::optional<file_identity> directory_identity(const std::filesystem::path& path);

/// Makes a new directory "prefix-XXXXXX" under the system's temporary directory that only this
/// user may enter (POSIX: mkdtemp, mode 0700; Windows: a protected access list that grants this
/// user alone, inherited by what is made in it). Returns its path, or an empty path and why not
/// in `error`.
std::filesystem::path make_private_directory(const char* prefix, std::string& error);

/// Creates `path`, which must not exist yet (a link there is not followed), readable by this
/// user only, and writes `contents` into it. On any failure nothing is left behind.
void write_new_private_file(const std::filesystem::path& path, const std::string& contents, std::error_code& ec);

} // namespace asio_fswatch::tool

#endif
