// SPDX-License-Identifier: BSL-1.0
// asio-fswatch watch: print the changes of directory trees, one line per event.
#include "commands.hpp"
#include "event_output.hpp"
#include "given_paths.hpp"
#include "watch_settings.hpp"
#include "platform.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/inotifywait_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <optional>

namespace asio_fswatch::tool {
namespace {

class watcher {
public:
  watcher(boost::asio::io_context& ioc, const watch_settings& settings)
      : settings_(settings), monitor_(ioc, settings.monitor), signals_(ioc), timeout_(ioc),
        output_(
            ioc, [this](boost::system::error_code ec) { output_failed(ec); }, [this] { resume_reading(); }) {
    add_stop_signals(signals_);
    if (settings_.format) {
      style_.format = *settings_.format;
      style_.wanted = settings_.events;
      style_.terminator = settings_.terminator;
      style_.csv = settings_.csv;
      if (!settings_.regex.empty())
        style_.shows = [this](std::string_view path) { return shows(path); };
    }
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
    for (const std::string& path : settings_.paths) {
      watch_options options = settings_.options;
      for (const std::string& excluded : settings_.excluded)
        for (std::string& glob : exclusion_globs(path, excluded))
          options.exclude.push_back(std::move(glob));
      if (!add_roots(monitor_, {path}, options))
        return exit_watch_error;
    }
    for (const std::string& path : settings_.paths)
      given_.add(path);
    // Like inotifywait's "Watches established.": scripts wait for this line before changing
    // anything, since changes made before it may not be reported.
    if (!settings_.quiet)
      diagnose("watching " + std::to_string(settings_.paths.size()) +
               (settings_.paths.size() == 1 ? " path" : " paths") + " with the " +
               std::string(to_string(monitor_.backend())) + " backend. Watches established.");
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec)
        finish(exit_ok);
    });
    arm_timeout();
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
      if (print(events)) {
        if (settings_.one_shot)
          return finish(exit_ok);
        arm_timeout();
      }
      if (stopped_ || finishing_)
        return;
      // A reader that does not keep up: the queue stays bounded because no more events are
      // read until it has drained; meanwhile the kernel queues them (and, if its queue
      // overflows, the monitor's rescan reports what changed).
      if (output_.full()) {
        reading_paused_ = true;
        timeout_.cancel(); // the events wait for the reader, not the other way round
      } else {
        read();
      }
    });
  }

  void resume_reading() {
    if (reading_paused_ && !stopped_ && !finishing_) {
      reading_paused_ = false;
      arm_timeout();
      read();
    }
  }

  /// Writes the events (errors to standard error); whether any was printed.
  bool print(const std::vector<fs_event>& events) {
    line_.clear();
    bool any = false;
    std::string time_text;
    if (settings_.format && settings_.format->find("%T") != std::string::npos)
      time_text = now_as(settings_.timefmt);
    // inotifywait's forms of the paths, printed by --format and searched by its expressions.
    const bool as_given = settings_.format || !settings_.regex.empty();
    for (const fs_event& event : events) {
      if (event.kind == event_kind::error) {
        std::string diagnostic;
        detail::append_human(diagnostic, event);
        diagnose(diagnostic);
        continue;
      }
      // --one-shot (inotifywait without -m): one record, the first.
      const std::size_t most = settings_.one_shot ? 1 : 4;
      bool printed = false;
      const fs_event spelled = as_given ? given_.respelled(event) : fs_event{};
      if (settings_.format) {
        style_.time_text = time_text;
        printed = detail::append_inotifywait(line_, spelled, style_, most) > 0;
      } else if ((!settings_.events_given || selected(event)) && (!as_given || shown(spelled))) {
        if (settings_.json)
          detail::append_json(line_, event);
        else
          detail::append_human(line_, event);
        line_ += '\n';
        printed = true;
      }
      any = any || printed;
      if (settings_.one_shot && printed)
        break;
    }
    if (!settings_.silent)
      output_.write(line_);
    return any;
  }

  /// Whether the regular expressions show the path (--exclude-regex and the like). One that
  /// cannot be searched in it shows it, once with a note.
  bool shows(std::string_view path) {
    std::string problem;
    const bool shown = settings_.regex.shows(path, problem);
    if (!problem.empty() && !regex_problem_noted_) {
      regex_problem_noted_ = true;
      diagnose("a regular expression could not be searched for in a path, which is printed: " + problem);
    }
    return shown;
  }

  /// Whether the regular expressions show an event (the human and JSON formats; its paths
  /// spelled as inotifywait spells them): when they show one of its paths (a rename into the
  /// paths shown is shown).
  bool shown(const fs_event& event) {
    if (shows(detail::path_text(event.path)))
      return true;
    return (event.kind == event_kind::renamed || event.kind == event_kind::exchanged) &&
           shows(detail::path_text(event.old_path));
  }

  /// Whether -e selects the event (the human and JSON formats: by its kind).
  bool selected(const fs_event& event) const {
    if ((settings_.events & detail::iw_close_write) != 0 && event.type == entry_type::file &&
        (event.kind == event_kind::created || event.kind == event_kind::modified))
      return true; // written and closed: the monitor settles
    std::string ignored;
    return (detail::inotifywait_events_named(to_string(event.kind), ignored) & settings_.events) != 0;
  }

  static std::string now_as(const std::string& timefmt) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
#if defined(_WIN32)
    localtime_s(&local, &now);
#else
    localtime_r(&now, &local);
#endif
    char text[256];
    const std::size_t n = std::strftime(text, sizeof text, timefmt.c_str(), &local);
    return std::string(text, n);
  }

  /// -t: the tool ends with status 2 when no event comes for that long.
  void arm_timeout() {
    if (!settings_.timeout || stopped_ || finishing_)
      return;
    timeout_.expires_after(*settings_.timeout);
    timeout_.async_wait([this](boost::system::error_code ec) {
      if (!ec)
        finish(exit_usage);
    });
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

  /// SIGINT or SIGTERM (or --one-shot's event, -t's expiry): no more events are read; what is
  /// queued is written if the reader takes it within a second (so that the last line is whole),
  /// then the tool ends with `status`. A second signal ends it at once.
  void finish(int status) {
    if (stopped_ || finishing_)
      return;
    // Set before anything else: while draining, the queue's room must not start another read.
    finishing_ = true;
    timeout_.cancel();
    monitor_.close();
    signals_.async_wait([this, status](boost::system::error_code ec, int) {
      if (!ec)
        stop(status);
    });
    output_.drain(std::chrono::seconds(1), [this, status] { stop(status); });
  }

  void stop(int status) {
    if (stopped_)
      return;
    stopped_ = true;
    status_ = status;
    signals_.cancel();
    timeout_.cancel();
    monitor_.close();
    output_.close();
  }

  const watch_settings& settings_;
  directory_monitor monitor_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer timeout_;
  event_output output_;
  std::string line_;
  detail::inotifywait_style style_; // --format, -c: views of settings_
  given_paths given_;
  bool regex_problem_noted_ = false;
  bool reading_paused_ = false;
  bool finishing_ = false; // a signal came: no more reads, the queue drains
  bool stopped_ = false;
  int status_ = exit_ok;
};

} // namespace

int watch_command(const std::vector<std::string>& args, bool output_was_closed) {
  watch_settings settings;
  if (std::optional<int> done = parse_watch_settings(args, settings))
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
