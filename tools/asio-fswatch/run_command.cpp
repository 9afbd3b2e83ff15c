// SPDX-License-Identifier: BSL-1.0
// asio-fswatch run: start a command, and restart it (its whole process group) whenever a
// watched file changes.
#include "changed_paths_file.hpp"
#include "commands.hpp"
#include "given_paths.hpp"
#include "platform.hpp"
#include "run_options.hpp"

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/directory_monitor.hpp>
#include <asio_fswatch/error.hpp>
#include <asio_fswatch/supervised_process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

namespace asio_fswatch::tool {
namespace {

constexpr std::size_t kinds_counted = static_cast<std::size_t>(event_kind::error) + 1;

/// `path` relative to the current directory when it is inside it, escaped, for status lines.
std::string display(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (!ec) {
    std::filesystem::path relative = path.lexically_relative(cwd);
    if (!relative.empty() && *relative.begin() != "..")
      return escaped(detail::path_text(relative));
  }
  return escaped(detail::path_text(path));
}

/// The regular files that are this process's standard output and error (`2> run.log`): a
/// command inherits them, and their writes inside a watched tree must not restart it.
class own_output_files {
public:
  own_output_files() {
    for (int stream : {1, 2})
      if (std::optional<file_identity> file = standard_stream_file(stream))
        files_.push_back({*file, standard_stream_name(stream)});
  }

  /// True when `path` is one of them now, by identity: on POSIX a rename or a second link too.
  /// Where the system tells their names (Windows), only a path of that name is looked at: an
  /// open, however short, can make a delete on a file system without POSIX semantics wait.
  bool holds(const std::filesystem::path& path) const {
    std::optional<file_identity> identity;
    for (const output_file& file : files_) {
      if (!file.name.empty() && !same_name(path.filename(), file.name))
        continue;
      if (!identity && !(identity = regular_file_identity(path)))
        return false;
      if (*identity == file.identity)
        return true;
    }
    return false;
  }

private:
  struct output_file {
    file_identity identity;
    std::filesystem::path name; // empty: not known
  };
  std::vector<output_file> files_;
};

/// The changes that lead to one start.
struct change_batch {
  std::filesystem::path first;
  std::size_t count = 0;
  std::vector<std::string> paths; // each once, in order
  std::set<std::string> seen;
  std::array<std::size_t, kinds_counted> by_kind{}; // how many of each event_kind
};

class runner {
public:
  runner(boost::asio::io_context& ioc, const run_settings& settings)
      : settings_(settings), command_name_(escaped(settings.command.front())), monitor_(ioc, settings.monitor),
        process_(ioc),
        debounce_(ioc), signals_(ioc) {
    add_stop_signals(signals_);
  }

  int run(boost::asio::io_context& ioc) {
    if (!add_roots(monitor_, settings_.paths, settings_.options))
      return exit_watch_error;
    // Orphans of COMMAND's tree (a daemon that left its group and its parent) come to us, not
    // to init, so that the process tree stops them on restart and on exit.
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
    boost::system::error_code subreaper_ec;
    make_child_subreaper(subreaper_ec);
    if (subreaper_ec)
      say("cannot become a child subreaper (" + subreaper_ec.message() + "): orphaned daemons may survive");
#endif
    wait_for_signal();
    read();
    if (settings_.postpone)
      say("waiting for a change to start " + command_name_);
    else
      start(take_changes());
    ioc.run();
    return status_;
  }

private:
  enum class phase { idle, running, stopping, leaving };

  void read() {
    monitor_.async_read_events([this](boost::system::error_code ec, std::vector<fs_event> events) {
      if (ec == boost::asio::error::operation_aborted || phase_ == phase::leaving)
        return;
      if (ec == errc::root_removed) {
        say("a watched path went away");
        if (monitor_.roots().empty())
          return leave_with(exit_watch_error);
      } else if (ec) {
        say(ec.message());
        return leave_with(exit_watch_error);
      }
      bool changed = false;
      for (const fs_event& event : events) {
        if (event.kind == event_kind::error) {
          say(escaped(detail::path_text(event.path)) + ": " + event.error.message());
          continue;
        }
        if ((settings_.fs_events & kind_bit(event.kind)) == 0 || !has_extension(event) || is_own_write(event))
          continue;
        changed = true;
        note_change(event);
      }
      if (changed)
        on_change();
      read();
    });
  }

  /// --ext given with --include: the path must end with one of the extensions too (an overflow
  /// is of the whole tree: it always counts).
  bool has_extension(const fs_event& event) const {
    if (settings_.extensions.empty() || event.kind == event_kind::overflow)
      return true;
    const std::string name = detail::path_text(event.path.filename());
    return std::any_of(settings_.extensions.begin(), settings_.extensions.end(), [&](const std::string& ext) {
      return name.size() > ext.size() + 1 && name.compare(name.size() - ext.size(), ext.size(), ext) == 0 &&
             name[name.size() - ext.size() - 1] == '.';
    });
  }

  /// A change made by `run` itself: a list of changed paths, or a status line into its own
  /// standard error (which COMMAND shares).
  bool is_own_write(const fs_event& event) const {
    if (event.kind == event_kind::overflow)
      return false;
    if (paths_file_.holds(event.path))
      return true;
    // A removed path cannot be looked at; a renamed one is looked at where it went.
    return event.kind != event_kind::removed && own_outputs_.holds(event.path);
  }

  void note_change(const fs_event& event) {
    if (changes_.first.empty())
      changes_.first = event.path;
    ++changes_.count;
    ++changes_.by_kind[static_cast<std::size_t>(event.kind)];
    const std::string text = detail::path_text(event.path);
    if (changes_.seen.insert(text).second)
      changes_.paths.push_back(text);
  }

  /// The changes noted so far, for a start; later ones go to the next start.
  change_batch take_changes() { return std::exchange(changes_, change_batch()); }

  /// Adds `later` to `into`.
  static void merge(change_batch& into, change_batch later) {
    if (into.first.empty())
      into.first = std::move(later.first);
    into.count += later.count;
    for (std::size_t k = 0; k < kinds_counted; ++k)
      into.by_kind[k] += later.by_kind[k];
    for (std::string& path : later.paths)
      if (into.seen.insert(path).second)
        into.paths.push_back(std::move(path));
  }

  /// A change: (re)start the quiet period, unless a restart is under way (the change then
  /// waits for it to end, and causes one more restart).
  void on_change() {
    if (phase_ == phase::stopping)
      return;
    debounce_.expires_after(settings_.debounce);
    debounce_.async_wait([this](boost::system::error_code ec) {
      // No change left: a wait that had already expired when it was renewed, whose changes an
      // earlier restart took.
      if (!ec && phase_ != phase::leaving && phase_ != phase::stopping && changes_.count > 0)
        on_settled();
    });
  }

  /// The changes are quiet: what they do depends on whether COMMAND runs (--on-busy-update).
  void on_settled() {
    // running(): COMMAND may have ended with its end not handled yet; then it is not busy.
    if (phase_ == phase::running && process_.running()) {
      switch (settings_.on_busy) {
      case busy_update::restart:
        break;
      case busy_update::queue:
        if (!queued_)
          say(describe(changes_) + ", " + command_name_ + " runs once more when it ends");
        queued_ = true; // the changes stay noted: start() takes them all once COMMAND has ended
        return;
      case busy_update::do_nothing:
        say(describe(take_changes()) + " while " + command_name_ + " runs: nothing done");
        return;
      case busy_update::signal:
        send_signal(take_changes());
        return;
      }
    }
    restart();
  }

  /// "a.txt changed (modified)", or "a.txt, b/c.txt, d.h and 2 more changed (7 changes: 6
  /// modified, 1 created)": the first three paths, and the count of each kind, most first.
  static std::string describe(const change_batch& changes) {
    constexpr std::size_t shown = 3;
    std::string out;
    for (std::size_t i = 0; i < changes.paths.size() && i < shown; ++i) {
      if (i > 0)
        out += i + 1 == changes.paths.size() ? " and " : ", ";
      out += display(detail::path_from_text(changes.paths[i]));
    }
    if (changes.paths.size() > shown)
      out += " and " + std::to_string(changes.paths.size() - shown) + " more";
    std::vector<std::pair<std::size_t, event_kind>> kinds;
    for (std::size_t k = 0; k < kinds_counted; ++k)
      if (changes.by_kind[k] > 0)
        kinds.emplace_back(changes.by_kind[k], static_cast<event_kind>(k));
    std::stable_sort(kinds.begin(), kinds.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    out += " changed (";
    if (changes.count > 1)
      out += std::to_string(changes.count) + " changes: ";
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      if (i > 0)
        out += ", ";
      if (changes.count > 1)
        out += std::to_string(kinds[i].first) + ' ';
      out += to_string(kinds[i].second);
    }
    return out + ')';
  }

  void send_signal([[maybe_unused]] const change_batch& changes) {
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
    const int sig = settings_.busy_signal != 0 ? settings_.busy_signal : settings_.stop_signal;
    say(describe(changes) + ", sending " + signal_name(sig) + " to " + command_name_);
    boost::system::error_code ec;
    process_.signal(sig, ec);
    if (ec)
      say("cannot signal " + command_name_ + ": " + ec.message());
#endif
  }

  void restart() {
    if (phase_ != phase::running && process_.id() == no_child)
      return start(take_changes(), false); // nothing started yet: nothing left behind to stop
    phase_ = phase::stopping;
    // The restart is for the changes seen so far; those that come while the command stops are
    // kept for one more restart.
    terminate(settings_.grace, [this, changes = take_changes()](boost::system::error_code ec, exit_status) {
      if (phase_ == phase::leaving)
        return; // a signal came meanwhile: wait_for_signal() owns the end
      if (ec && ec != errc::no_child)
        say("cannot stop " + command_name_ + ": " + ec.message());
      phase_ = phase::idle;
      start(changes, true);
    });
  }

  /// Starts COMMAND for `changes`; `again`: a run was stopped for them (the status line says
  /// "restarting" then, "starting" otherwise).
  void start(change_batch changes, bool again = false) {
    // Outside restart mode, changes noted while the last run was stopped happened before this
    // start: they go with it (in restart mode they give one more restart, as they always did).
    if (settings_.on_busy != busy_update::restart)
      merge(changes, take_changes());
    std::size_t count = changes.count;
    queued_ = false;
    process_options options;
    std::error_code list_error;
    std::filesystem::path list = paths_file_.write(changes.paths, list_error);
    if (list_error)
      say("cannot write the list of changed paths: " +
          (paths_file_.directory_error().empty() ? list_error.message() : paths_file_.directory_error()) +
          "; ASIO_FSWATCH_CHANGED_PATHS_FILE is empty");
    // Empty when there is no list: reading from "" fails loudly, unlike an absent variable.
    options.environment = {{"ASIO_FSWATCH_CHANGED_PATHS_FILE", detail::path_text(list)},
                           {"ASIO_FSWATCH_CHANGED_COUNT", std::to_string(count)}};
    options.stop_descendants = true;

    if (settings_.clear) {
      std::fputs("\x1b[H\x1b[2J\x1b[3J", stdout);
      std::fflush(stdout);
    }
    if (changes.first.empty())
      say("starting " + command_name_);
    else
      say(describe(changes) + (again ? ", restarting " : ", starting ") + command_name_);
    const std::vector<std::string> line = command_line(changes);
    const std::vector<std::string> args(line.begin() + 1, line.end());
    boost::system::error_code ec;
    process_.start(line.front(), args, options, ec);
    if (ec) {
      say("cannot start " + command_name_ + ": " + ec.message() + "; waiting for a change");
      paths_file_.remove();
      phase_ = phase::idle;
      last_status_ = 127; // as a shell says of a command it cannot run
    } else {
      phase_ = phase::running;
      process_.async_wait([this](boost::system::error_code ec, exit_status status) {
        if (ec || phase_ != phase::running)
          return; // stopped by us: the terminate handler goes on
        paths_file_.remove();
        phase_ = phase::idle;
        last_status_ = status.shell_code();
        if (queued_) { // --on-busy-update queue: the changes made while it ran (before
                       // --exit-on-success: that success was of what they changed since)
          say(command_name_ + " " + status.to_string() + "; starting it for the changes made meanwhile");
          return restart();
        }
        if (settings_.exit_on_success && status.success()) {
          say(command_name_ + " succeeded, exiting");
          return leave_with(exit_ok);
        }
        say(command_name_ + " " + status.to_string() + "; waiting for a change");
      });
    }
    // Changes during the restart: one more restart.
    if (changes_.count > 0)
      on_change();
  }

  /// The program and arguments of one start: entr's /_ (the first argument that is exactly
  /// that) becomes the first changed path, or at a start without a change the first PATH;
  /// with --shell, the words are one command line of the shell.
  std::vector<std::string> command_line(const change_batch& changes) const {
    std::error_code ignored;
    const std::filesystem::path first =
        changes.first.empty() ? normal_root(detail::path_from_text(settings_.paths.front()), ignored) : changes.first;
    std::vector<std::string> words = settings_.command;
    const auto placeholder = std::find(words.begin(), words.end(), "/_");
    // With --shell, "$0" (the path, given to sh as $0): a name is never read as shell code.
    // (Windows refuses /_ with --shell: run_options.cpp.)
    if (placeholder != words.end())
      *placeholder = settings_.shell ? "\"$0\"" : detail::path_text(first);
    if (!settings_.shell)
      return words;
#if defined(_WIN32)
    // cmd.exe reads its own command line: the words go as they are, each quoted by the
    // process layer only when it holds a space or a quote.
    const char* comspec = std::getenv("COMSPEC");
    std::vector<std::string> line{comspec && *comspec ? comspec : "cmd.exe", "/d", "/c"};
    line.insert(line.end(), words.begin(), words.end());
    return line;
#else
    std::string joined;
    for (const std::string& word : words)
      joined += (joined.empty() ? "" : " ") + word;
    return {"/bin/sh", "-c", joined, detail::path_text(first)}; // $0: as entr -s gives it
#endif
  }

  void wait_for_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec)
        return;
      if (phase_ == phase::leaving) {
        // A second Ctrl-C: do not wait for the grace period.
        say(signal_name(sig) + " received again, killing " + command_name_);
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
        boost::system::error_code ignored;
        process_.signal(SIGKILL, ignored);
#else
        process_.async_terminate(std::chrono::milliseconds(0), [](boost::system::error_code, exit_status) {});
#endif
        return wait_for_signal();
      }
      wait_for_signal();
      bool had_child = phase_ == phase::running || phase_ == phase::stopping;
      phase_ = phase::leaving;
      debounce_.cancel();
      monitor_.close();
      if (!had_child)
        return leave_with(last_status_);
      say(signal_name(sig) + " received, stopping " + command_name_);
      auto leave = [this](boost::system::error_code ec, exit_status status) {
        leave_with(ec ? last_status_ : status.shell_code());
      };
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
      process_.async_terminate(sig, settings_.grace, leave);
#else
      process_.async_terminate(settings_.grace, leave);
#endif
    });
  }

  void leave_with(int status) {
    phase_ = phase::leaving;
    status_ = status;
    signals_.cancel();
    debounce_.cancel();
    monitor_.close();
    if (process_.id() != no_child) // running, or ended with something left behind
      terminate(settings_.grace, [](boost::system::error_code, exit_status) {});
  }

  /// Stops COMMAND's tree: the stop signal (Windows: CTRL_BREAK_EVENT), then after `grace` the
  /// kill.
  template <typename Handler>
  void terminate(std::chrono::milliseconds grace, Handler handler) {
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
    process_.async_terminate(settings_.stop_signal, grace, std::move(handler));
#else
    process_.async_terminate(grace, std::move(handler));
#endif
  }

  /// What id() is without a child (see basic_supervised_process::id).
  static constexpr auto no_child = static_cast<decltype(std::declval<supervised_process>().id())>(-1);

  void say(const std::string& line) { std::cerr << "asio-fswatch: " << line << std::endl; }

  const run_settings& settings_;
  const std::string command_name_; // escaped for status lines
  const own_output_files own_outputs_;
  changed_paths_file paths_file_;
  directory_monitor monitor_;
  supervised_process process_;
  boost::asio::steady_timer debounce_;
  boost::asio::signal_set signals_;
  phase phase_ = phase::idle;
  change_batch changes_; // noted since the last start (or since the restart began)
  bool queued_ = false;   // --on-busy-update queue: settled changes wait for COMMAND to end
  int last_status_ = 0;
  int status_ = exit_ok;
};

} // namespace

int run_command(const std::vector<std::string>& args) {
  run_settings settings;
  if (std::optional<int> done = parse_run_options(args, settings))
    return *done;
  boost::asio::io_context ioc(1);
  runner r(ioc, settings);
  return r.run(ioc);
}

} // namespace asio_fswatch::tool
