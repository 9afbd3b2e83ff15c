// SPDX-License-Identifier: BSL-1.0
// asio-fswatch watch: its help and the reading of its options.
#include "watch_settings.hpp"

#include "commands.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/directory_monitor.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>

namespace asio_fswatch::tool {
namespace {

const char* const watch_help =
    "usage: asio-fswatch watch [OPTIONS] PATH...\n"
    "\n"
    "Prints every change under each PATH (a directory, watched recursively, or a file) as it\n"
    "happens, until interrupted. Nothing but events goes to standard output, one per line,\n"
    "flushed per batch; diagnostics go to standard error.\n"
    "\n"
    "Options:\n"
    "  --json              JSON lines: {\"kind\":\"created\",\"type\":\"file\",\"path\":\"/abs/a\",\n"
    "                      \"root\":\"/abs\"} (root: the PATH the event is under)\n"
    "  --no-recursive      watch only the directories themselves, not their subdirectories\n"
    "  --exclude GLOB      ignore matching paths (relative to the PATH); a matching directory\n"
    "                      is never watched. Repeatable. e.g. --exclude '**/.git/**'\n"
    "  --include GLOB      report only matching paths. Repeatable. e.g. --include '*.cpp'\n"
    "  --ignore-file NAME  honour the files called NAME in every directory, with gitignore's\n"
    "                      syntax (and, for .gitignore, .git/info/exclude and the files above\n"
    "                      the PATH in its repository): what they ignore is never watched, and\n"
    "                      editing them shows or hides entries at once. Repeatable.\n"
    "                      e.g. --ignore-file .gitignore --ignore-file .ignore\n"
    "  --initial           report every entry already there as created, first\n"
    "  --backend B         auto (default), native (inotify on Linux, rdcw on Windows) or poll\n"
    "  --poll-interval MS  time between scans of the poll backend (default 500)\n"
    "  --settle MS         hold events until the trees have been quiet for MS, then print them\n"
    "                      merged per path: a file written in many chunks is one 'modified',\n"
    "                      created then removed is nothing, an atomic save is one 'modified'.\n"
    "                      With inotify, also until every file written is closed again\n"
    "  --settle-max MS     the longest events are held while changes go on (default 2000)\n"
    "  -h, --help          this text\n"
    "\n"
    "inotifywait's options, so that its scripts run unchanged:\n"
    "  -m, --monitor       keep watching (the default: without -m too, unlike inotifywait)\n"
    "  -r, --recursive     watch whole trees (the default too). Bundles (-mrq), -ecreate, -t5\n"
    "                      and --format=FMT are read as inotifywait's getopt reads them\n"
    "  --one-shot          exit after the first event (inotifywait without -m)\n"
    "  -e, --event LIST    report only these events, comma-separated: inotifywait's names\n"
    "                      (create delete delete_self modify attrib moved_from moved_to move\n"
    "                      close_write) or ours (created removed modified attributes renamed\n"
    "                      overflow). Repeatable. close_write: a file written and closed,\n"
    "                      once per settle period (--settle, default 50 with it), and a file\n"
    "                      saved by renaming another over it. open, access and close are refused\n"
    "  --format FMT        one line per inotify event: %w the directory (with its '/'), %f the\n"
    "                      name, %e the event names (CREATE,ISDIR), %Xe the same separated by\n"
    "                      X, %T the time (--timefmt), %0 a NUL, %n a newline, %% a '%'.\n"
    "                      Paths are absolute. A rename is two lines,\n"
    "                      MOVED_FROM then MOVED_TO. Paths are written raw, as inotifywait does\n"
    "  --timefmt FMT       strftime(3) format of %T (default %H:%M:%S)\n"
    "  -c, --csv           one CSV record per inotify event: directory,events,name, a field\n"
    "                      quoted (\"\" for a quote) when it holds a quote, a comma or a line\n"
    "                      break or begins or ends with a space; not with --format\n"
    "  -0, --null          end each --format record with NUL, not newline: the only safe form\n"
    "                      for any name (default format with it: %w%f)\n"
    "  --no-newline        nothing after each --format record (use %n or %0 in it)\n"
    "  -q, --quiet         no 'watching' line on standard error; twice (-qq): no events either\n"
    "  -t, --timeout S     exit with status 2 when no event came for S seconds (0: never)\n"
    "  --fromfile FILE     read PATHs from FILE, one per line ('-': standard input)\n"
    "  @PATH               do not watch PATH (a file or a directory) below a watched PATH,\n"
    "                      nor report it; also in --fromfile's lines\n"
    "  --exclude-regex RE  inotifywait's --exclude: print nothing about a path in which the\n"
    "                      POSIX extended regular expression RE is found (the path as %w%f\n"
    "                      spells it, from the PATH as given; a directory is still watched).\n"
    "                      Repeatable\n"
    "  --include-regex RE  inotifywait's --include: print only paths in which RE is found\n"
    "  --excludei RE, --includei RE  the same, ignoring case\n"
    "                      (--exclude and --include take globs: a pattern that can only be a\n"
    "                      regular expression, such as '\\.swp$', is refused there)\n"
    "\n"
    "Event kinds: created removed modified attributes renamed exchanged overflow error.\n"
    "exchanged: two entries swapped places (renameat2 RENAME_EXCHANGE), 'old <-> new'.\n"
    "\n"
    "A reader that does not keep up never blocks the tool: up to 1 MiB of events waits to be\n"
    "written; beyond that, no more events are read until it drains (the kernel queues them, and\n"
    "an overflow is followed by a rescan that reports what changed). Standard output itself is\n"
    "never made non-blocking for the processes that share it (see doc/guide.md).\n"
    "\n"
    "Exit status: 0 after SIGINT or SIGTERM (Windows: Ctrl-C or Ctrl-Break) or after the\n"
    "first event with --one-shot, 1 when a path cannot be watched or every watched path went\n"
    "away, 2 on bad usage or when -t expired (as inotifywait), 3 when standard output\n"
    "cannot be written (closed, full, or its reader went away; a message on standard error says\n"
    "why).\n";

void take_path(const std::string& arg, watch_settings& out) {
  if (arg.size() > 1 && arg[0] == '@')
    out.excluded.push_back(arg.substr(1));
  else
    out.paths.push_back(arg);
}

/// PATHs (and @PATHs) from `name` ("-": standard input), one per line; false, with a message,
/// when it cannot be read.
bool read_paths_from(const std::string& name, watch_settings& settings) {
  std::ifstream file;
  if (name != "-") {
    file.open(name, std::ios::binary);
    if (!file) {
      std::cerr << "asio-fswatch: cannot read --fromfile '" << name << "'\n";
      return false;
    }
  }
  std::istream& in = name == "-" ? std::cin : file;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      take_path(line, settings);
  }
  return true;
}

/// inotifywait's getopt spellings as separate arguments: bundled flags (-mrq, -qq), a value
/// attached to a short option (-ecreate, -t5) or given after '=' (--format=%w%f). What follows
/// "--" is left as it is.
std::vector<std::string> split_options(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (arg.size() > 2 && arg[0] == '-' && arg[1] == '-' && arg.find('=') != std::string::npos) {
      out.push_back(arg.substr(0, arg.find('=')));
      out.push_back(arg.substr(arg.find('=') + 1));
    } else if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' && (arg[1] == 'e' || arg[1] == 't')) {
      out.push_back(arg.substr(0, 2));
      out.push_back(arg.substr(2));
    } else if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' &&
               arg.find_first_not_of("mrq0c", 1) == std::string::npos) {
      for (std::size_t c = 1; c < arg.size(); ++c)
        out.push_back(std::string("-") + arg[c]);
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

// Returns an exit code when the command line is not usable.
} // namespace

std::optional<int> parse_watch_settings(const std::vector<std::string>& given, watch_settings& out) {
  const std::vector<std::string> args = split_options(given);
  bool poll_interval_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (arg == "-h" || arg == "--help") {
      std::cout << watch_help;
      return exit_ok;
    } else if (arg == "--json") {
      out.json = true;
    } else if (arg == "--no-recursive") {
      out.options.recursive = false;
    } else if (arg == "--initial") {
      out.options.initial_listing = true;
    } else if (arg == "--exclude" || arg == "--include") {
      const std::string* glob = value();
      if (!glob)
        return usage_error(arg + " needs a glob pattern", "watch");
      if (std::optional<int> bad = check_glob(arg, *glob, "watch"))
        return bad;
      (arg == "--exclude" ? out.options.exclude : out.options.include).push_back(*glob);
    } else if (arg == "--exclude-regex" || arg == "--include-regex" || arg == "--excludei" ||
               arg == "--includei") {
      const std::string* pattern = value();
      if (!pattern)
        return usage_error(arg + " needs a regular expression", "watch");
      std::string problem;
      if (!out.regex.add(*pattern, arg.find("exclude") != std::string::npos, arg.back() == 'i', problem)) {
        std::string message = arg + ": invalid regular expression '";
        append_pattern(message, *pattern);
        return usage_error(message + "': " + problem, "watch");
      }
    } else if (arg == "--ignore-file") {
      if (std::optional<int> bad = take_ignore_file(value(), out.options, "watch"))
        return bad;
    } else if (arg == "--backend") {
      if (std::optional<int> bad = take_backend(value(), out.monitor, "watch"))
        return bad;
    } else if (arg == "--poll-interval" || arg == "--settle" || arg == "--settle-max") {
      const std::string* text = value();
      const unsigned long least = arg == "--settle" ? 0 : 1;
      auto ms = text ? parse_number(*text, 86'400'000) : std::nullopt;
      if (!ms || *ms < least)
        return usage_error(arg + " takes milliseconds from " + std::to_string(least) + " to 86400000" +
                               (text ? ", not '" + *text + "'" : ""),
                           "watch");
      (arg == "--poll-interval" ? out.monitor.poll_interval
       : arg == "--settle"      ? out.monitor.settle
                                : out.monitor.settle_max) = std::chrono::milliseconds(*ms);
      if (arg == "--settle")
        out.settle_given = true;
      poll_interval_given = poll_interval_given || arg == "--poll-interval";
    } else if (arg == "-m" || arg == "--monitor" || arg == "-r" || arg == "--recursive") {
      // inotifywait's: what this tool does anyway.
    } else if (arg == "--one-shot") {
      out.one_shot = true;
    } else if (arg == "-q" || arg == "--quiet") {
      // Twice (-qq), as inotifywait: not even the events.
      out.silent = out.quiet;
      out.quiet = true;
    } else if (arg == "-0" || arg == "--null") {
      out.terminator = std::string(1, '\0');
      out.null_given = true;
    } else if (arg == "-c" || arg == "--csv") {
      out.csv = true;
    } else if (arg == "--no-newline") {
      out.terminator.clear();
    } else if (arg == "-e" || arg == "--event") {
      const std::string* list = value();
      if (!list || list->empty())
        return usage_error(arg + " needs a comma-separated list of events", "watch");
      if (!out.events_given)
        out.events = 0;
      out.events_given = true;
      for (std::size_t start = 0; start <= list->size();) {
        const std::size_t comma = std::min(list->find(',', start), list->size());
        const std::string name = list->substr(start, comma - start);
        start = comma + 1;
        if (name.empty())
          continue; // "create,,delete", "create,": as inotifywait
        std::string why;
        const std::uint32_t bits = detail::inotifywait_events_named(name, why);
        if (bits == 0)
          return usage_error(arg + ": " + why, "watch");
        out.events |= bits;
      }
    } else if (arg == "--format" || arg == "--timefmt") {
      const std::string* text = value();
      if (!text)
        return usage_error(arg + " needs a format", "watch");
      std::string problem;
      if (arg == "--format" && !detail::check_inotifywait_format(*text, problem))
        return usage_error("--format: " + problem, "watch");
      if (arg == "--format")
        out.format = *text;
      else
        out.timefmt = *text;
    } else if (arg == "-t" || arg == "--timeout") {
      const std::string* text = value();
      if (!text)
        return usage_error(arg + " needs a number of seconds", "watch");
      auto seconds = parse_number(*text, 31'536'000);
      if (!seconds)
        return usage_error(arg + " takes seconds from 0 (no timeout) to 31536000, not '" + *text + "'", "watch");
      if (*seconds > 0)
        out.timeout = std::chrono::seconds(*seconds);
    } else if (arg == "--fromfile") {
      const std::string* name = value();
      if (!name)
        return usage_error("--fromfile needs a file name", "watch");
      if (!read_paths_from(*name, out))
        return exit_usage;
    } else if (arg == "--") {
      out.paths.insert(out.paths.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'", "watch");
    } else {
      take_path(arg, out);
    }
  }
  if (out.paths.empty())
    return usage_error("no PATH to watch", "watch");
  if (std::optional<int> bad = check_poll_interval(poll_interval_given, out.monitor, "watch"))
    return bad;
  if (out.json && (out.format || out.null_given || out.csv))
    return usage_error("--json cannot be given with --format, -c or -0", "watch");
  if (out.csv && out.format)
    return usage_error("-c and --format cannot both be given", "watch"); // as inotifywait
  if (out.terminator.empty() && (!out.format || out.csv))
    return usage_error("--no-newline needs --format (records would run together)", "watch");
  if (out.csv)
    out.format = std::string(detail::inotifywait_csv_format);
  if (out.null_given && !out.format)
    out.format = "%w%f";
  if ((out.events & detail::iw_close_write) != 0) {
    // "Written and closed" is what a settling monitor delivers (inotify: after IN_CLOSE_WRITE).
    if (!out.settle_given)
      out.monitor.settle = std::chrono::milliseconds(50);
    else if (out.monitor.settle.count() == 0)
      return usage_error("-e close_write needs settling: --settle 0 turns it off", "watch");
  }
  return std::nullopt;
}

} // namespace asio_fswatch::tool
