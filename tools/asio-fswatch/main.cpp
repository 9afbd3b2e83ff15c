// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: a lossless, fast inotifywait built on asio_fswatch.
#include "commands.hpp"
#include "path_regex.hpp"
#include "platform.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/version.hpp>

#include <algorithm>
#include <charconv>
#include <iostream>

namespace {

const char* const help_text =
    "usage: asio-fswatch COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  watch   print the changes of directory trees as they happen (like inotifywait -m -r)\n"
    "  run     run a command, and restart it (with everything it started) when files change\n"
    "  snapshot save the picture of a tree to a file (for since)\n"
    "  since   print the events since a snapshot (and, with --update, move it on)\n"
#if !defined(_WIN32)
    "  demo    make changes in a temporary tree and show the events as they arrive, copy\n"
    "          files concurrently with async_copy_file, and restart a command with run\n"
#endif
    "\n"
    "Run 'asio-fswatch COMMAND --help' for a command's options.\n"
    "  --version   print the version\n";

} // namespace

int main(int argc, char** argv) {
  using namespace asio_fswatch::tool;
  const bool output_was_closed = reserve_standard_streams();
  std::vector<std::string> args = command_arguments(argc, argv);
  if (args.empty())
    return usage_error("missing command", nullptr);
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << help_text;
    return exit_ok;
  }
  if (command == "--version") {
    std::cout << "asio-fswatch " << ASIO_FSWATCH_VERSION_MAJOR << '.' << ASIO_FSWATCH_VERSION_MINOR
              << '.' << ASIO_FSWATCH_VERSION_PATCH << '\n';
    return exit_ok;
  }
  try {
    if (command == "watch")
      return watch_command(args, output_was_closed);
    if (command == "run")
      return run_command(args);
    if (command == "snapshot")
      return snapshot_command(args);
    if (command == "since")
      return since_command(args);
    if (command == "demo")
#if defined(_WIN32)
      return usage_error("the demo is not built on Windows: it drives POSIX commands (chmod, symlinks, sh)",
                         nullptr);
#else
      return demo_command(args);
#endif
  } catch (const std::exception& e) {
    std::cerr << "asio-fswatch: " << e.what() << '\n';
    return exit_watch_error;
  }
  return usage_error("unknown command '" + command + "'", nullptr);
}

namespace asio_fswatch::tool {

bool add_roots(directory_monitor& monitor, const std::vector<std::string>& paths, const watch_options& options) {
  for (const std::string& path : paths) {
    boost::system::error_code ec;
    monitor.add(detail::path_from_text(path), options, ec);
    if (ec) {
      // Escaped as in the event lines: a newline in a name must not split the message.
      std::string message = "asio-fswatch: cannot watch ";
      asio_fswatch::detail::append_human_path(message, path);
      std::cerr << message << ": " << ec.message() << '\n';
      return false;
    }
  }
  return true;
}

int usage_error(const std::string& message, const char* command) {
  std::cerr << "asio-fswatch: " << message << '\n';
  if (command)
    std::cerr << "Try 'asio-fswatch " << command << " --help'.\n";
  else
    std::cerr << "Try 'asio-fswatch --help'.\n";
  return exit_usage;
}

std::optional<unsigned long> parse_number(const std::string& text, unsigned long max) {
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max)
    return std::nullopt;
  return value;
}

void append_pattern(std::string& message, std::string_view pattern) {
  if (std::all_of(pattern.begin(), pattern.end(), [](char c) { return c >= ' ' && c <= '~'; }))
    message += pattern;
  else
    asio_fswatch::detail::append_human_path(message, pattern);
}

std::optional<int> check_glob(const std::string& option, const std::string& pattern, const char* command) {
  boost::system::error_code ec;
  asio_fswatch::detail::glob_pattern::compile(pattern, ec);
  if (std::string why; !ec && looks_like_a_regex(pattern, why)) {
    // inotifywait's --exclude takes a regular expression: a script passing one must not be
    // read as a glob that silently matches nothing.
    std::string message = option + " takes a glob, and '";
    append_pattern(message, pattern);
    message += "' looks like a regular expression (" + why + "). ";
    if (std::string_view(command) == "watch")
      message += "inotifywait's regular expressions go to " + option + "-regex (or " + option + "i). ";
    message += "A glob says those characters in brackets: [^] [$] [|] [.]";
    return usage_error(message, command);
  }
  if (!ec)
    return std::nullopt;
  // Escaped: the pattern is the user's, and may hold a newline or an escape sequence.
  std::string message = option + ": invalid glob pattern '";
  asio_fswatch::detail::append_human_path(message, pattern);
  message += "' (the syntax is in the section 'Glob syntax' of doc/guide.md)";
  return usage_error(message, command);
}

std::optional<int> take_backend(const std::string* name, monitor_options& monitor, const char* command) {
  const std::string native(to_string(backend::native));
  const std::string choices = "auto, native (" + native + ") or poll";
  if (!name)
    return usage_error("--backend needs one of " + choices, command);
  boost::system::error_code bad_name;
  monitor.backend = backend_from_name(*name == "auto" ? "automatic" : *name, bad_name);
  if (bad_name == errc::backend_unavailable)
    return usage_error("backend '" + *name + "' is not this platform's (" + choices + ")", command);
  if (bad_name)
    return usage_error("unknown backend '" + *name + "' (" + choices + ")", command);
  return std::nullopt;
}

std::optional<int> check_poll_interval(bool given, const monitor_options& monitor, const char* command) {
  if (given && monitor.backend == backend::native)
    return usage_error("--poll-interval is the poll backend's: with the native backend it would do nothing", command);
  return std::nullopt;
}

std::optional<int> take_ignore_file(const std::string* name, watch_options& options, const char* command) {
  if (!name)
    return usage_error("--ignore-file needs a file name, e.g. --ignore-file .gitignore", command);
  if (!name->empty() && *name != "." && *name != ".." && name->find('/') == std::string::npos &&
      name->find('\\') == std::string::npos && name->find('\0') == std::string::npos) {
    options.ignore_files.push_back(*name);
    return std::nullopt;
  }
  std::string message = "--ignore-file takes the name of a file, such as .gitignore (it is read in every "
                        "directory), not '";
  asio_fswatch::detail::append_human_path(message, *name);
  return usage_error(message + "'", command);
}

} // namespace asio_fswatch::tool
