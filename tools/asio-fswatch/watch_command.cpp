// asio-fswatch watch: print the changes of directory trees, one line per event.
#include "commands.hpp"
#include "event_output.hpp"
#include "platform.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>

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
    "  --json              JSON lines: {\"kind\":\"created\",\"type\":\"file\",\"path\":\"/abs/a\"}\n"
    "  --no-recursive      watch only the directories themselves, not their subdirectories\n"
    "  --exclude GLOB      ignore matching paths (relative to the PATH); a matching directory\n"
    "                      is never watched. Repeatable. e.g. --exclude '**/.git/**'\n"
    "  --include GLOB      report only matching paths. Repeatable. e.g. --include '*.cpp'\n"
    "  --initial           report every entry already there as created, first\n"
    "  --backend B         auto (default), native (inotify on Linux, rdcw on Windows) or poll\n"
    "  --poll-interval MS  time between scans of the poll backend (default 500)\n"
    "  -h, --help          this text\n"
    "\n"
    "Event kinds: created removed modified attributes renamed exchanged overflow error.\n"
    "exchanged: two entries swapped places (renameat2 RENAME_EXCHANGE), 'old <-> new'.\n"
    "\n"
    "A reader that does not keep up never blocks the tool: up to 1 MiB of events waits to be\n"
    "written; beyond that, no more events are read until it drains (the kernel queues them, and\n"
    "an overflow is followed by a rescan that reports what changed). Standard output itself is\n"
    "never made non-blocking for the processes that share it (see doc/guide.md).\n"
    "\n"
    "Exit status: 0 after SIGINT or SIGTERM (Windows: Ctrl-C or Ctrl-Break), 1 when a path\n"
    "cannot be watched or every watched path went away, 2 on bad usage, 3 when standard output\n"
    "cannot be written (closed, full, or its reader went away; a message on standard error says\n"
    "why).\n";

struct watch_settings {
  bool json = false;
  watch_options options;
  monitor_options monitor;
  std::vector<std::string> paths;
};

// Returns an exit code when the command line is not usable.
std::optional<int> parse(const std::vector<std::string>& args, watch_settings& out) {
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
    } else if (arg == "--backend") {
      const std::string* name = value();
      const std::string native(to_string(backend::native));
      const std::string choices = "auto, native (" + native + ") or poll";
      if (!name)
        return usage_error("--backend needs one of " + choices, "watch");
      boost::system::error_code bad_name;
      out.monitor.backend = backend_from_name(*name == "auto" ? "automatic" : *name, bad_name);
      if (bad_name == errc::backend_unavailable)
        return usage_error("backend '" + *name + "' is not this platform's (" + choices + ")", "watch");
      if (bad_name)
        return usage_error("unknown backend '" + *name + "' (" + choices + ")", "watch");
    } else if (arg == "--poll-interval") {
      const std::string* text = value();
      unsigned long ms = 0;
      if (!text)
        return usage_error("--poll-interval needs a number of milliseconds", "watch");
      auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
      if (ec != std::errc() || end != text->data() + text->size() || ms == 0 || ms > 86'400'000)
        return usage_error("--poll-interval takes milliseconds from 1 to 86400000, not '" + *text + "'",
                           "watch");
      out.monitor.poll_interval = std::chrono::milliseconds(ms);
    } else if (arg == "--") {
      out.paths.insert(out.paths.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'", "watch");
    } else {
      out.paths.push_back(arg);
    }
  }
  if (out.paths.empty())
    return usage_error("no PATH to watch", "watch");
  return std::nullopt;
}

class watcher {
public:
  watcher(boost::asio::io_context& ioc, const watch_settings& settings)
      : settings_(settings), monitor_(ioc, settings.monitor), signals_(ioc),
        output_(
            ioc, [this](boost::system::error_code ec) { output_failed(ec); }, [this] { resume_reading(); }) {
    add_stop_signals(signals_);
  }

  int run(boost::asio::io_context& ioc) {
#if defined(SIGPIPE)
    // A write to a pipe whose reader has gone must come back as EPIPE, to be reported, rather
    // than kill the tool silently (systemd ignores SIGPIPE anyway: the same behaviour both ways).
    std::signal(SIGPIPE, SIG_IGN);
#endif
    if (boost::system::error_code ec = output_.open()) {
      std::cerr << "asio-fswatch: cannot write events to standard output: " << ec.message() << '\n';
      return exit_output_error;
    }
    if (!add_roots(monitor_, settings_.paths, settings_.options))
      return exit_watch_error;
    // Like inotifywait's "Watches established.": scripts wait for this line before changing
    // anything, since changes made before it may not be reported.
    diagnose("watching " + std::to_string(settings_.paths.size()) +
             (settings_.paths.size() == 1 ? " path" : " paths") + " with the " +
             std::string(to_string(monitor_.backend())) + " backend");
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec)
        finish();
    });
    read();
    ioc.run();
    // Not when standard error is the stalled pipe itself: the note would block there.
    if (status_ != exit_output_error && output_.queued() > 0 && !output_.shared_with_stderr())
      std::cerr << "asio-fswatch: " << output_.queued()
                << " bytes of events were not written: standard output was not taking them\n";
    return status_;
  }

private:
  void read() {
    monitor_.async_read_events([this](boost::system::error_code ec, std::vector<fs_event> events) {
      // After a signal the monitor is closed: a read that completes now has nothing more to
      // say (its events, if any, were read before the close and are printed below).
      if (ec && finishing_)
        return;
      if (ec == errc::root_removed) {
        diagnose("a watched path went away");
        if (monitor_.roots().empty())
          return stop(exit_watch_error);
        return read();
      }
      if (ec) {
        if (ec != boost::asio::error::operation_aborted) {
          diagnose(ec.message());
          stop(exit_watch_error);
        }
        return;
      }
      print(events);
      if (stopped_ || finishing_)
        return;
      // A reader that does not keep up: the queue stays bounded because no more events are
      // read until it has drained; meanwhile the kernel queues them (and, if its queue
      // overflows, the monitor's rescan reports what changed).
      if (output_.full())
        reading_paused_ = true;
      else
        read();
    });
  }

  void resume_reading() {
    if (reading_paused_ && !stopped_ && !finishing_) {
      reading_paused_ = false;
      read();
    }
  }

  void print(const std::vector<fs_event>& events) {
    line_.clear();
    for (const fs_event& event : events) {
      if (event.kind == event_kind::error) {
        std::string diagnostic;
        detail::append_human(diagnostic, event);
        diagnose(diagnostic);
        continue;
      }
      if (settings_.json)
        detail::append_json(line_, event);
      else
        detail::append_human(line_, event);
      line_ += '\n';
    }
    output_.write(line_);
  }

  /// A line for standard error. When standard error is the same pipe or terminal as standard
  /// output, it goes through the same queue, in order, so that it cannot block either.
  void diagnose(const std::string& message) {
    std::string line = "asio-fswatch: " + message + '\n';
    if (output_.shared_with_stderr())
      output_.write(line);
    else
      std::cerr << line << std::flush;
  }

  void output_failed(boost::system::error_code ec) {
    std::cerr << "asio-fswatch: cannot write events to standard output: " << ec.message() << '\n';
    stop(exit_output_error);
  }

  /// SIGINT or SIGTERM: no more events are read; what is queued is written if the reader takes
  /// it within a second (so that the last line is whole), then the tool ends. A second signal
  /// ends it at once.
  void finish() {
    if (stopped_ || finishing_)
      return;
    // Set before anything else: while draining, the queue's room must not start another read.
    finishing_ = true;
    monitor_.close();
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec)
        stop(exit_ok);
    });
    output_.drain(std::chrono::seconds(1), [this] { stop(exit_ok); });
  }

  void stop(int status) {
    if (stopped_)
      return;
    stopped_ = true;
    status_ = status;
    signals_.cancel();
    monitor_.close();
    output_.close();
  }

  const watch_settings& settings_;
  directory_monitor monitor_;
  boost::asio::signal_set signals_;
  event_output output_;
  std::string line_;
  bool reading_paused_ = false;
  bool finishing_ = false; // a signal came: no more reads, the queue drains
  bool stopped_ = false;
  int status_ = exit_ok;
};

} // namespace

int watch_command(const std::vector<std::string>& args, bool output_was_closed) {
  watch_settings settings;
  if (std::optional<int> done = parse(args, settings))
    return *done;
  if (output_was_closed) {
    std::cerr << "asio-fswatch: standard output is closed: nowhere to write events\n";
    return exit_output_error;
  }
  boost::asio::io_context ioc(1);
  watcher w(ioc, settings);
  return w.run(ioc);
}

} // namespace asio_fswatch::tool
