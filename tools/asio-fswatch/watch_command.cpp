// asio-fswatch watch: print the changes of directory trees, one line per event.
#include "commands.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
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
    "  --backend B         auto (default), inotify or poll\n"
    "  --poll-interval MS  time between scans of the poll backend (default 500)\n"
    "  -h, --help          this text\n"
    "\n"
    "Event kinds: created removed modified attributes renamed overflow.\n"
    "Exit status: 0 after SIGINT or SIGTERM, 1 when a path cannot be watched or every watched\n"
    "path went away, 2 on bad usage.\n";

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
      if (!name)
        return usage_error("--backend needs one of auto, inotify, poll", "watch");
      if (*name == "auto")
        out.monitor.backend = backend::automatic;
      else if (*name == "inotify")
        out.monitor.backend = backend::inotify;
      else if (*name == "poll")
        out.monitor.backend = backend::poll;
      else
        return usage_error("unknown backend '" + *name + "' (auto, inotify or poll)", "watch");
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
      : settings_(settings), monitor_(ioc, settings.monitor), signals_(ioc, SIGINT, SIGTERM) {}

  int run(boost::asio::io_context& ioc) {
    if (!add_roots(monitor_, settings_.paths, settings_.options))
      return exit_watch_error;
    // Like inotifywait's "Watches established.": scripts wait for this line before changing
    // anything, since changes made before it may not be reported.
    std::cerr << "asio-fswatch: watching " << settings_.paths.size()
              << (settings_.paths.size() == 1 ? " path" : " paths") << " with the "
              << to_string(monitor_.active_backend()) << " backend\n";
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec)
        stop(exit_ok);
    });
    read();
    ioc.run();
    return status_;
  }

private:
  void read() {
    monitor_.async_read_events([this](boost::system::error_code ec, std::vector<fs_event> events) {
      if (ec == errc::root_removed) {
        std::cerr << "asio-fswatch: a watched path went away\n";
        if (monitor_.roots().empty())
          return stop(exit_watch_error);
        return read();
      }
      if (ec) {
        if (ec != boost::asio::error::operation_aborted) {
          std::cerr << "asio-fswatch: " << ec.message() << '\n';
          stop(exit_watch_error);
        }
        return;
      }
      print(events);
      read();
    });
  }

  void print(const std::vector<fs_event>& events) {
    line_.clear();
    for (const fs_event& event : events) {
      if (event.kind == event_kind::error) {
        std::string diagnostic = "asio-fswatch: ";
        detail::append_human(diagnostic, event);
        std::cerr << diagnostic << '\n';
        continue;
      }
      if (settings_.json)
        detail::append_json(line_, event);
      else
        detail::append_human(line_, event);
      line_ += '\n';
    }
    if (!line_.empty()) {
      std::fwrite(line_.data(), 1, line_.size(), stdout);
      std::fflush(stdout);
    }
  }

  void stop(int status) {
    status_ = status;
    signals_.cancel();
    monitor_.close();
  }

  const watch_settings& settings_;
  directory_monitor monitor_;
  boost::asio::signal_set signals_;
  std::string line_;
  int status_ = exit_ok;
};

} // namespace

int watch_command(const std::vector<std::string>& args) {
  watch_settings settings;
  if (std::optional<int> done = parse(args, settings))
    return *done;
  boost::asio::io_context ioc(1);
  watcher w(ioc, settings);
  return w.run(ioc);
}

} // namespace asio_fswatch::tool
