// SPDX-License-Identifier: BSL-1.0
// asio-fswatch run: its help and the reading of its options.
#include "run_options.hpp"

#include "commands.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/glob.hpp>

#include <algorithm>
#include <iostream>
#include <iterator>
#include <utility>

namespace asio_fswatch::tool {

namespace {

const char* const run_help =
    "usage: asio-fswatch run [OPTIONS] -- COMMAND [ARGS...]\n"
    "\n"
    "Starts COMMAND, and whenever a watched file changes, stops it together with every process\n"
#if defined(_WIN32)
    "it started (its Job Object: CTRL_BREAK_EVENT, then the whole job ended after the grace\n"
    "period) and starts it again. Changes are debounced: a burst of changes gives one restart.\n"
#else
    "it started (its process group, and descendants that left it, daemons included: SIGNAL,\n"
    "then SIGKILL after the grace period) and starts it again. Changes are debounced: a burst\n"
    "of changes gives one restart.\n"
#endif
    "Changes that arrive during a restart give one more restart once it is done. One status\n"
    "line per restart goes to standard error.\n"
    "\n"
    "Options:\n"
    "  --watch PATH      watch PATH (a directory, recursively, or a file); repeatable;\n"
    "                    default: the current directory\n"
    "  --ext LIST        only changes to files with these extensions: --ext .cpp,.hpp\n"
    "                    (with --include, a change must match both)\n"
    "  --exclude GLOB    ignore matching paths (relative to the watched PATH); repeatable;\n"
    "                    e.g. --exclude '**/build/**'\n"
    "  --include GLOB    only changes to matching paths; repeatable; e.g. --include 'src/**'\n"
    "  --fs-events LIST  the kinds of change that count, comma-separated: created, removed,\n"
    "                    modified, renamed (and exchanged), attributes, or watchexec's create,\n"
    "                    remove, modify, rename, metadata. Default: all but attributes, so\n"
    "                    that a touch or a chmod alone starts nothing. An overflow always counts.\n"
    "                    Repeatable: the lists add up\n"
    "  --backend B       auto (default), native (inotify on Linux, rdcw on Windows) or poll\n"
    "  --poll-interval MS time between scans of the poll backend (default 500)\n"
    "  --ignore-file NAME also honour the files called NAME in every directory (gitignore's\n"
    "                    syntax); repeatable. .gitignore and .ignore are honoured by default,\n"
    "                    with .git/info/exclude and the .gitignore files above PATH in its\n"
    "                    repository\n"
    "  --no-ignore-files do not honour .gitignore and .ignore (--ignore-file names still are)\n"
    "  --no-default-ignores\n"
    "                    also restart on what is ignored by default: the directories .git,\n"
    "                    .hg and .svn, and editors' files *.swp, *.swx, *~, .#* and 4913\n"
    "  --debounce MS     quiet time after the last change before restarting (default 100)\n"
#if defined(_WIN32)
    "  --grace MS        time COMMAND has to end after CTRL_BREAK_EVENT before its job is\n"
    "                    ended (default 2000)\n"
#else
    "  --signal SIG      the signal that stops COMMAND: TERM (default), INT, HUP, QUIT, KILL,\n"
    "                    USR1, USR2, or a number\n"
    "  --grace MS        time COMMAND has to end after SIGNAL before SIGKILL (default 2000)\n"
#endif
    "  --on-busy-update MODE\n"
    "                    what a change does while COMMAND runs: restart (default: stop it and\n"
    "                    start it again), queue (let it finish, then start it once more, with\n"
    "                    every change made meanwhile), do-nothing (the change is dropped; a\n"
    "                    change once it has ended starts it)"
#if defined(_WIN32)
    "\n"
#else
    ", signal (send --busy-signal\n"
    "                    only, e.g. HUP for a reload; if that ends it, the next change\n"
    "                    starts it)\n"
    "  --busy-signal SIG the signal of --on-busy-update signal (default: --signal's)\n"
#endif
    "  --postpone        do not start COMMAND before the first change\n"
    "  --clear           clear the terminal before each start\n"
    "  --exit-on-success exit (0) as soon as COMMAND exits with status 0\n"
#if defined(_WIN32)
    "  --shell           run COMMAND's words as one command line of %COMSPEC% /d /c (cmd.exe):\n"
    "                    asio-fswatch run --shell -- \"make && app.exe\"\n"
#else
    "  --shell           run COMMAND's words, joined by spaces, as a command line of /bin/sh -c,\n"
    "                    with $0 the first changed path (entr -s):\n"
    "                    asio-fswatch run --shell -- 'make && ./app'\n"
#endif
    "  -h, --help        this text\n"
    "\n"
    "An argument of COMMAND that is exactly /_ (the first one only, as in entr) is replaced by\n"
    "the absolute path of the first change that caused the start; at a start without a change,\n"
    "by the first PATH watched. With --shell it becomes \"$0\" (POSIX; refused on Windows), so\n"
    "that the shell never reads a file's name as code.\n"
    "\n"
    "One status line per start on standard error says what changed: the first paths, how many\n"
    "more, and how many changes of each kind:\n"
    "  asio-fswatch: src/a.c, src/b.c, src/c.c and 2 more changed (6 changes: 5 modified,\n"
    "  1 created), restarting make\n"
    "\n"
    "COMMAND runs in its own process group (Windows: Job Object), with\n"
    "ASIO_FSWATCH_CHANGED_PATHS_FILE naming a file that holds the absolute paths whose changes\n"
    "caused the start, each followed by a NUL byte (UTF-8 on Windows; empty on the first start;\n"
    "readable by this user only, in a private directory; removed once COMMAND has ended), and\n"
    "ASIO_FSWATCH_CHANGED_COUNT set to the number of changes (events; a path changed\n"
    "twice counts twice). In a shell script:\n"
    "  xargs -0 -r ls -l < \"$ASIO_FSWATCH_CHANGED_PATHS_FILE\"\n"
    "  while IFS= read -r -d '' path; do ...; done < \"$ASIO_FSWATCH_CHANGED_PATHS_FILE\"\n"
    "\n"
    "A COMMAND that writes into a watched tree restarts itself for ever (each write is a\n"
    "change): --exclude what it writes, e.g. --exclude '*.o' --exclude 'build/' (what the\n"
    "project's .gitignore ignores, it already does). Writes to\n"
    "the files that are asio-fswatch's own standard output and error never restart it.\n"
    "\n"
#if defined(_WIN32)
    "On Ctrl-C or Ctrl-Break, COMMAND gets CTRL_BREAK_EVENT, then its job is ended after the\n"
    "grace period, and asio-fswatch exits with COMMAND's exit code; a second one ends the job\n"
    "at once.\n"
#else
    "On SIGINT (Ctrl-C) or SIGTERM, that signal goes to COMMAND's process group, then SIGKILL\n"
    "after the grace period, and asio-fswatch exits with COMMAND's status (128 + N when signal\n"
    "N ended it); a second one kills the group at once.\n"
#endif
    "Stopped while COMMAND is not running, it exits with the last COMMAND's status (127 when\n"
    "that one could not be started, 0 when none was). Exit status otherwise: 0 after\n"
    "--exit-on-success saw COMMAND succeed, 1 when watching fails (a PATH cannot be watched,\n"
    "every watched PATH went away, or the monitor reports an error), 2 on bad usage.\n";

/// What nobody wants a restart for: version control's directories, and the files editors write
/// beside the one being edited (vim's swap files and its write test "4913", backups "name~",
/// Emacs's lock files ".#name").
const char* const default_ignores[] = {"**/.git/**", "**/.hg/**", "**/.svn/**", "*.swp",
                                       "*.swx",      "*~",         ".#*",        "4913"};

#if defined(ASIO_FSWATCH_HAS_SIGNALS)
std::optional<int> parse_signal(std::string name) {
  if (auto number = parse_number(name, 64); number && *number > 0)
    return int(*number);
  if (name.rfind("SIG", 0) == 0)
    name.erase(0, 3);
  static const std::pair<const char*, int> names[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},
                                                      {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
                                                      {"USR2", SIGUSR2}};
  for (const auto& [n, sig] : names)
    if (name == n)
      return sig;
  return std::nullopt;
}
#endif

/// ".cpp" or "cpp" as an include pattern for that extension, with glob characters escaped.
std::string extension_pattern(std::string_view ext) {
  if (!ext.empty() && ext.front() == '.')
    ext.remove_prefix(1);
  std::string pattern = "*.";
  detail::append_glob_literal(pattern, ext);
  return pattern;
}

/// Adds the kinds of --fs-events LIST to `events` (which has the overflow already); a usage
/// error on an unknown name, or a list that names none.
std::optional<int> read_fs_events(const std::string& list, std::uint32_t& events) {
  static const std::pair<std::string_view, std::uint32_t> names[] = {
      {"created", kind_bit(event_kind::created)},
      {"create", kind_bit(event_kind::created)},
      {"removed", kind_bit(event_kind::removed)},
      {"remove", kind_bit(event_kind::removed)},
      {"modified", kind_bit(event_kind::modified)},
      {"modify", kind_bit(event_kind::modified)},
      {"renamed", kind_bit(event_kind::renamed) | kind_bit(event_kind::exchanged)},
      {"rename", kind_bit(event_kind::renamed) | kind_bit(event_kind::exchanged)},
      {"exchanged", kind_bit(event_kind::exchanged)},
      {"attributes", kind_bit(event_kind::attributes)},
      {"metadata", kind_bit(event_kind::attributes)},
  };
  std::string_view rest(list);
  while (!rest.empty()) {
    const std::string_view name = rest.substr(0, rest.find(','));
    rest.remove_prefix(std::min(rest.size(), name.size() + 1));
    if (name.empty())
      continue;
    const auto known = std::find_if(std::begin(names), std::end(names), [&](const auto& n) { return n.first == name; });
    if (known == std::end(names)) {
      const bool not_a_change = name == "access" || name == "open" || name == "close";
      // Appended piece by piece: GCC 12's -Wrestrict misreads "'" + std::string&& in Release builds.
      std::string message = not_a_change ? "--fs-events: '" : "--fs-events: unknown kind '";
      message += escaped(name);
      message += not_a_change ? "' is not a change: opening and reading files are not watched"
                              : "' (created, removed, modified, renamed, exchanged, attributes)";
      return usage_error(message, "run");
    }
    events |= known->second;
  }
  if (events == kind_bit(event_kind::overflow))
    return usage_error("--fs-events: '" + escaped(list) + "' names no kind of change", "run");
  return std::nullopt;
}

} // namespace

std::string escaped(std::string_view text) {
  std::string out;
  detail::append_human_path(out, text);
  return out;
}

std::optional<int> parse_run_options(const std::vector<std::string>& args, run_settings& out) {
  bool poll_interval_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (arg == "-h" || arg == "--help") {
      std::cout << run_help;
      return exit_ok;
    } else if (arg == "--watch") {
      const std::string* path = value();
      if (!path)
        return usage_error("--watch needs a path", "run");
      out.paths.push_back(*path);
    } else if (arg == "--ext") {
      const std::string* list = value();
      if (!list || list->empty())
        return usage_error("--ext needs a list of extensions, e.g. --ext .cpp,.hpp", "run");
      std::string_view rest(*list);
      while (!rest.empty()) {
        std::string_view ext = rest.substr(0, rest.find(','));
        rest.remove_prefix(std::min(rest.size(), ext.size() + 1));
        if (ext.empty() || ext == ".")
          return usage_error("--ext: empty extension in '" + *list + "'", "run");
        if (ext.find('/') != std::string_view::npos)
          return usage_error("--ext: an extension cannot hold '/', as in '" + *list + "'", "run");
        out.extensions.emplace_back(ext.front() == '.' ? ext.substr(1) : ext);
      }
    } else if (arg == "--exclude" || arg == "--include") {
      const std::string* glob = value();
      if (!glob)
        return usage_error(arg + " needs a glob pattern", "run");
      if (std::optional<int> bad = check_glob(arg, *glob, "run"))
        return bad;
      (arg == "--exclude" ? out.options.exclude : out.options.include).push_back(*glob);
    } else if (arg == "--fs-events") {
      const std::string* list = value();
      if (!list || list->empty())
        return usage_error("--fs-events needs a list of kinds, e.g. --fs-events created,removed,modified", "run");
      if (!out.fs_events_given) // the first list replaces the default; later ones add to it
        out.fs_events = kind_bit(event_kind::overflow);
      out.fs_events_given = true;
      if (std::optional<int> bad = read_fs_events(*list, out.fs_events))
        return bad;
    } else if (arg == "--backend") {
      if (std::optional<int> bad = take_backend(value(), out.monitor, "run"))
        return bad;
    } else if (arg == "--poll-interval") {
      const std::string* text = value();
      auto ms = text ? parse_number(*text, 86'400'000) : std::nullopt;
      if (!ms || *ms < 1)
        return usage_error("--poll-interval takes milliseconds from 1 to 86400000" +
                               (text ? ", not '" + escaped(*text) + "'" : std::string()),
                           "run");
      out.monitor.poll_interval = std::chrono::milliseconds(*ms);
      poll_interval_given = true;
    } else if (arg == "--shell") {
      out.shell = true;
    } else if (arg == "--debounce" || arg == "--grace") {
      const std::string* text = value();
      auto ms = text ? parse_number(*text, 3'600'000) : std::nullopt;
      if (!ms)
        return usage_error(arg + " takes milliseconds from 0 to 3600000" + (text ? ", not '" + *text + "'" : ""),
                           "run");
      (arg == "--debounce" ? out.debounce : out.grace) = std::chrono::milliseconds(*ms);
    } else if (arg == "--signal" || arg == "--busy-signal") {
#if !defined(ASIO_FSWATCH_HAS_SIGNALS)
      return usage_error(arg + ": Windows has no signals (COMMAND gets CTRL_BREAK_EVENT, then its job is ended)",
                         "run");
#else
      const std::string* name = value();
      auto sig = name ? parse_signal(*name) : std::nullopt;
      if (!sig)
        return usage_error(arg + " takes TERM, INT, HUP, QUIT, KILL, USR1, USR2 or a number from 1 to 64" +
                               (name ? ", not '" + *name + "'" : ""),
                           "run");
      (arg == "--signal" ? out.stop_signal : out.busy_signal) = *sig;
#endif
    } else if (arg == "--on-busy-update") {
      const std::string* mode = value();
      static const std::pair<const char*, busy_update> modes[] = {{"restart", busy_update::restart},
                                                                  {"queue", busy_update::queue},
                                                                  {"signal", busy_update::signal},
                                                                  {"do-nothing", busy_update::do_nothing}};
      const auto known = std::find_if(std::begin(modes), std::end(modes),
                                      [&](const auto& m) { return mode && *mode == m.first; });
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
      const char* const choices = "restart, queue, signal or do-nothing";
#else
      const char* const choices = "restart, queue or do-nothing";
#endif
      if (known == std::end(modes))
        return usage_error(std::string("--on-busy-update takes ") + choices +
                               (mode ? ", not '" + escaped(*mode) + "'" : std::string()),
                           "run");
#if !defined(ASIO_FSWATCH_HAS_SIGNALS)
      if (known->second == busy_update::signal)
        return usage_error("--on-busy-update signal: Windows has no signals to send to COMMAND", "run");
#endif
      out.on_busy = known->second;
    } else if (arg == "--postpone") {
      out.postpone = true;
    } else if (arg == "--clear") {
      out.clear = true;
    } else if (arg == "--exit-on-success") {
      out.exit_on_success = true;
    } else if (arg == "--no-default-ignores") {
      out.default_ignores = false;
    } else if (arg == "--no-ignore-files") {
      out.ignore_files = false;
    } else if (arg == "--ignore-file") {
      if (std::optional<int> bad = take_ignore_file(value(), out.options, "run"))
        return bad;
    } else if (arg == "--") {
      out.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'", "run");
    } else {
      out.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
  }
  if (out.command.empty())
    return usage_error("no COMMAND to run (asio-fswatch run [OPTIONS] -- COMMAND [ARGS...])", "run");
  if (std::optional<int> bad = check_poll_interval(poll_interval_given, out.monitor, "run"))
    return bad;
  if (out.paths.empty())
    out.paths.push_back(".");
#if defined(_WIN32)
  if (out.shell) {
    if (std::find(out.command.begin(), out.command.end(), "/_") != out.command.end())
      return usage_error("--shell with /_: cmd.exe would read a file's name as part of its command line "
                         "(& | < > %VAR%); without --shell, /_ is one argument",
                         "run");
    for (const std::string& word : out.command)
      if (word.find('"') != std::string::npos)
        return usage_error("--shell: '" + escaped(word) +
                               "' holds a '\"', which cmd.exe reads otherwise than the quoting of arguments: "
                               "give the quoted part as a word of its own",
                           "run");
  }
#endif
  // --ext alone is the monitor's include filter; with --include, which that filter takes, it is
  // checked apart, so that a change must match both (run_command.cpp).
  if (out.options.include.empty()) {
    for (const std::string& ext : out.extensions)
      out.options.include.push_back(extension_pattern(ext));
    out.extensions.clear();
  }
  if (out.default_ignores)
    out.options.exclude.insert(out.options.exclude.end(), std::begin(default_ignores), std::end(default_ignores));
  if (out.ignore_files) // first: the names given later take precedence in a directory
    out.options.ignore_files.insert(out.options.ignore_files.begin(), {".gitignore", ".ignore"});
  return std::nullopt;
}


} // namespace asio_fswatch::tool
