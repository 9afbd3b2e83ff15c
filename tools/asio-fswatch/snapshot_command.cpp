// SPDX-License-Identifier: BSL-1.0
// asio-fswatch snapshot / since: save the picture of a tree, and print the events since one
// (snapshot.hpp), for scripts and build tools that were not running while files changed.
#include "commands.hpp"
#include "event_output.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/snapshot_io.hpp>
#include <asio_fswatch/snapshot.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace asio_fswatch::tool {

namespace {

/// since: the events were printed, and some of them are errors (part of DIR unreadable).
constexpr int exit_partly_unreadable = 4;

const char* const snapshot_help =
    "usage: asio-fswatch snapshot [OPTIONS] DIR FILE\n"
    "\n"
    "Saves to FILE the picture of the tree at DIR (each entry's type, identity, size, times,\n"
    "mode, owner; nothing is hashed), for 'asio-fswatch since' to compare with later. FILE is\n"
    "replaced whole (written beside it, then renamed).\n"
    "\n"
    "Options:\n"
    "  --exclude GLOB      leave out matching paths (repeatable; as for 'watch')\n"
    "  --ignore-file NAME  honour the patterns of every file so named (repeatable: .gitignore)\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 saved; 1 DIR cannot be scanned or FILE written; 2 usage.\n";

const char* const since_help =
    "usage: asio-fswatch since [OPTIONS] FILE DIR\n"
    "\n"
    "Prints the events that turn the picture saved in FILE (by 'asio-fswatch snapshot') into the\n"
    "tree at DIR now: removals (deepest first), then creations (parents first), then changes. A\n"
    "move is a removal and a creation. Give the options the snapshot was saved with.\n"
    "\n"
    "Options:\n"
    "  --json              JSON lines, as 'watch --json' writes them\n"
    "  -0, --null          each changed path, raw, ended by NUL (the only safe form for any name)\n"
    "  --update            and replace FILE by the picture the events lead to (one scan: the\n"
    "                      next 'since --update' starts exactly where these events end)\n"
    "  --exclude GLOB      leave out matching paths (repeatable)\n"
    "  --ignore-file NAME  honour the patterns of every file so named (repeatable)\n"
    "  -h, --help          this help\n"
    "\n"
    "A directory or file that cannot be read now is an error event (with -0: on standard\n"
    "error); what FILE held of it is kept, and nothing else is said of it.\n"
    "\n"
    "Exit status: 0 printed (nothing when nothing changed); 4 printed, but part of DIR could not\n"
    "be read (error events); 1 FILE is missing, not a snapshot, damaged or of another version,\n"
    "or DIR cannot be scanned (say why, print nothing, leave FILE: a build tool then does a full\n"
    "build); 2 usage; 3 standard output failed (FILE is not updated).\n";

struct snapshot_settings {
  watch_options options;
  bool json = false;
  bool null_separated = false;
  bool update = false;
  std::vector<std::string> operands;
};

// Returns an exit code when the command line is not usable or asked for help.
std::optional<int> parse(const std::vector<std::string>& args, const char* command, snapshot_settings& out) {
  const bool since = std::string_view(command) == "since";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (arg == "-h" || arg == "--help") {
      std::cout << (since ? since_help : snapshot_help);
      return exit_ok;
    } else if (arg == "--exclude") {
      const std::string* glob = value();
      if (!glob)
        return usage_error(arg + " needs a glob pattern", command);
      if (std::optional<int> bad = check_glob(arg, *glob, command))
        return bad;
      out.options.exclude.push_back(*glob);
    } else if (arg == "--ignore-file") {
      if (std::optional<int> bad = take_ignore_file(value(), out.options, command))
        return bad;
    } else if (since && arg == "--json") {
      out.json = true;
    } else if (since && (arg == "-0" || arg == "--null")) {
      out.null_separated = true;
    } else if (since && arg == "--update") {
      out.update = true;
    } else if (arg == "--") {
      out.operands.insert(out.operands.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'", command);
    } else {
      out.operands.push_back(arg);
    }
  }
  if (out.operands.size() != 2)
    return usage_error(since ? "give the snapshot FILE, then the DIR" : "give the DIR, then the snapshot FILE", command);
  if (out.json && out.null_separated)
    return usage_error("--json cannot be given with -0", command);
  return std::nullopt;
}

// "asio-fswatch: COMMAND: what PATH: why", the path escaped as in the event lines.
int failure(const char* command, const char* what, const std::string& path, const boost::system::error_code& ec) {
  std::string message = std::string("asio-fswatch: ") + command + ": " + what + " ";
  detail::append_human_path(message, path);
  std::cerr << message << ": " << ec.message() << '\n';
  return exit_watch_error;
}

// Writes `text` to standard output (through event_output, as `watch` does: a console on
// Windows gets every name right) and waits until it is written.
int print(const std::string& text) {
  boost::asio::io_context ioc;
  boost::system::error_code write_error;
  event_output out(ioc, [&](boost::system::error_code ec) { write_error = ec; }, [] {});
  if (const boost::system::error_code ec = out.open()) {
    std::cerr << "asio-fswatch: since: standard output: " << ec.message() << '\n';
    return exit_output_error;
  }
  out.write(text);
  out.drain(std::chrono::hours(24 * 365), [] {});
  ioc.run();
  out.close();
  if (write_error) {
    std::cerr << "asio-fswatch: since: standard output: " << write_error.message() << '\n';
    return exit_output_error;
  }
  return exit_ok;
}

} // namespace

int snapshot_command(const std::vector<std::string>& args) {
  snapshot_settings settings;
  if (std::optional<int> done = parse(args, "snapshot", settings))
    return *done;
  const std::string& dir = settings.operands[0];
  const std::string& file = settings.operands[1];
  boost::system::error_code ec;
  write_snapshot(detail::path_from_text(dir), detail::path_from_text(file), settings.options, ec);
  if (ec)
    return failure("snapshot", "cannot save the picture of", dir + " to " + file, ec);
  return exit_ok;
}

int since_command(const std::vector<std::string>& args) {
  snapshot_settings settings;
  if (std::optional<int> done = parse(args, "since", settings))
    return *done;
  const std::string& file = settings.operands[0];
  const std::string& dir = settings.operands[1];
  // One scan gives both the events and, with --update, the new picture (a second scan would
  // miss what changed between the two), saved only once the events are printed.
  const std::filesystem::path file_path = detail::path_from_text(file);
  boost::system::error_code ec;
  const detail::snapshot_comparison comparison =
      detail::compare_with_snapshot(file_path, detail::path_from_text(dir), settings.options, ec);
  if (ec)
    return failure("since", "no events since", file + " for " + dir, ec);
  const std::vector<fs_event>& events = comparison.events;
  bool unreadable = false;

  std::string text;
  for (const fs_event& event : events) {
    unreadable = unreadable || event.kind == event_kind::error;
    if (settings.null_separated) {
      if (event.kind == event_kind::error) {
        std::string message = "asio-fswatch: since: ";
        detail::append_human(message, event);
        std::cerr << message << '\n';
        continue;
      }
      text += detail::path_text(event.path);
      text.push_back('\0');
      continue;
    }
    if (settings.json)
      detail::append_json(text, event);
    else
      detail::append_human(text, event);
    text.push_back('\n');
  }
  if (const int status = print(text); status != exit_ok)
    return status; // not saved: the next run gives these events again
  if (settings.update) {
    if ((ec = detail::save_snapshot(file_path, comparison.now, comparison.scanned_ns)))
      return failure("since", "cannot save the picture of", dir + " to " + file, ec);
  }
  return unreadable ? exit_partly_unreadable : exit_ok;
}

} // namespace asio_fswatch::tool
