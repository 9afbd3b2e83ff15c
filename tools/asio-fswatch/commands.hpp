// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: the subcommands.
#ifndef ASIO_FSWATCH_TOOL_COMMANDS_HPP
#define ASIO_FSWATCH_TOOL_COMMANDS_HPP

#include <asio_fswatch/directory_monitor.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::tool {

/// Exit codes shared by every command.
enum exit_code : int { exit_ok = 0, exit_watch_error = 1, exit_usage = 2, exit_output_error = 3 };

/// `output_was_closed`: descriptor 1 was closed when the tool started (see main.cpp).
int watch_command(const std::vector<std::string>& args, bool output_was_closed);
int demo_command(const std::vector<std::string>& args);
int run_command(const std::vector<std::string>& args);
/// snapshot: saves a tree's picture; since: prints the events since one (snapshot.hpp).
int snapshot_command(const std::vector<std::string>& args);
int since_command(const std::vector<std::string>& args);

/// The demo's third part: `run` restarting a command after an edit. True when all went as expected.
bool run_demo();

/// Adds every path to `monitor` with `options`. On the first that cannot be watched: prints
/// "asio-fswatch: cannot watch PATH: why" to stderr and returns false.
bool add_roots(directory_monitor& monitor, const std::vector<std::string>& paths, const watch_options& options);

/// Prints "asio-fswatch: <message>" and a hint to stderr; returns exit_usage.
int usage_error(const std::string& message, const char* command);

/// A whole number from 0 to `max` (milliseconds, seconds, a signal's number), or nullopt.
std::optional<unsigned long> parse_number(const std::string& text, unsigned long max);

/// Appends a pattern as a message shows it: as typed when it is printable ASCII (so that a
/// regular expression's '\\' reads as the user wrote it), else escaped as event lines escape
/// paths (a newline or an escape sequence cannot reach the terminal).
void append_pattern(std::string& message, std::string_view pattern);

/// Checks `pattern`, given to `option` (--exclude, --include) of `command`, before anything is
/// watched. On a malformed one, or one that can only be meant as a regular expression
/// (inotifywait's --exclude): a usage error naming the pattern, and exit_usage.
std::optional<int> check_glob(const std::string& option, const std::string& pattern, const char* command);

/// Takes the value of --backend of `command` (null when it had none) into `monitor`: auto,
/// native (or its name: inotify, rdcw) or poll. Otherwise a usage error, and exit_usage.
std::optional<int> take_backend(const std::string* name, monitor_options& monitor, const char* command);

/// A usage error when --poll-interval was `given` with the native backend chosen (it would do
/// nothing there).
std::optional<int> check_poll_interval(bool given, const monitor_options& monitor, const char* command);

/// Takes the value of --ignore-file of `command` (null when it had none) into `options`: a
/// file's name (".gitignore"), not a path. Otherwise a usage error, and exit_usage.
std::optional<int> take_ignore_file(const std::string* name, watch_options& options, const char* command);

} // namespace asio_fswatch::tool

#endif
