// SPDX-License-Identifier: BSL-1.0
// The asio-fswatch tool, run as a user runs it, on every platform (on Windows under Wine): the
// test starts `asio-fswatch watch` and `asio-fswatch run` as supervised processes with pipes,
// changes the tree from inside this process (Win32 calls on Windows), and reads what the tool
// writes. The Linux-only behaviour of the tool (signals, process groups, descriptors, hostile
// names) is tested by the shell tests of test/cli/.
#include <common/child_helper.hpp>
#include <common/child_support.hpp>
#include <common/make_event.hpp>
#include <common/process_alive.hpp>
#include <common/temp_dir.hpp>

#include <asio_fswatch/detail/event_format.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/supervised_process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio_fswatch::entry_type;
using asio_fswatch::fs_event;
using asio_fswatch::event_kind;
using asio_fswatch::process_options;
using asio_fswatch::stdio_mode;
using asio_fswatch::supervised_process;
using asio_fswatch::test::ends_soon;
using asio_fswatch::test::run_until;
using asio_fswatch::test::temp_dir;
using asio_fswatch::test::wait_result;
using boost::system::error_code;

namespace {

std::string text(const fs::path& path) { return asio_fswatch::detail::path_text(path); }

/// The line `watch --json ROOT` writes for this event.
std::string json_line(const fs::path& root, event_kind kind, const fs::path& path, entry_type type,
                      const fs::path& old_path = {}) {
  std::string line;
  fs_event event = asio_fswatch::test::make_event(kind, fs::path(path).make_preferred(), type,
                                                  fs::path(old_path).make_preferred());
  event.root = fs::path(root).make_preferred();
  asio_fswatch::detail::append_json(line, event);
  return line;
}

void write(const fs::path& path, const std::string& contents = "data") {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

/// Removes from `expected` the line that `line` reports. An entry gone before the monitor could
/// look at it has the type "unknown" (doc/guide.md): that matches any expected type.
void forget_expected(std::set<std::string>& expected, const std::string& line) {
  if (expected.erase(line) > 0)
    return;
  const std::string unknown = "\"type\":\"unknown\"";
  const std::size_t at = line.find(unknown);
  if (at == std::string::npos)
    return;
  for (const char* type : {"file", "directory", "symlink", "other"}) {
    std::string typed = line;
    typed.replace(at, unknown.size(), std::string("\"type\":\"") + type + '"');
    if (expected.erase(typed) > 0)
      return;
  }
}

/// One run of the tool, its standard output and error read through pipes.
class tool_process {
public:
  explicit tool_process(asio::io_context& io) : io_(io), process_(io) {}

  void start(const std::vector<std::string>& args,
             std::vector<std::pair<std::string, std::string>> environment = {}) {
    BOOST_TEST_REQUIRE(fs::exists(asio_fswatch::test::tool_path()), "the tool is not built beside the tests");
    process_options options;
    options.environment = std::move(environment);
    options.stdout_mode = stdio_mode::pipe;
    options.stderr_mode = stdio_mode::pipe;
    process_.start(text(asio_fswatch::test::tool_path()), args, options);
  }

  /// The next line of standard output, or "" with `ec` at its end.
  std::string output_line(error_code& ec) { return line(process_.stdout_pipe(), output_, ec, "a line of output"); }

  /// The next line of standard output if one comes within `patience`.
  std::optional<std::string> output_line_within(std::chrono::milliseconds patience) {
    bool done = false;
    error_code ec;
    asio::async_read_until(process_.stdout_pipe(), output_, '\n', [&](error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(20ms);
    }
    if (done)
      return ec ? std::nullopt : std::optional(take_line(output_));
    process_.stdout_pipe().cancel();
    run_until(io_, [&] { return done; }, "the cancelled read");
    return std::nullopt;
  }

  /// Lines of standard error until one holds `needle`; all of them, for the failure message.
  std::string error_until(const std::string& needle) {
    std::string all;
    for (;;) {
      error_code ec;
      std::string next = line(process_.stderr_pipe(), errors_, ec, "a line on standard error");
      BOOST_TEST_REQUIRE(!ec, "standard error ended (" << ec.message() << ") before '" << needle << "': " << all);
      all += next + '\n';
      if (next.find(needle) != std::string::npos)
        return all;
    }
  }

  /// Reads standard output until every line of `expected` has come (other lines may come too).
  /// Returns what came.
  std::vector<std::string> output_until(std::set<std::string> expected) {
    std::vector<std::string> lines;
    bool done = false;
    error_code ec;
    std::function<void()> read_next = [&] {
      asio::async_read_until(process_.stdout_pipe(), output_, '\n', [&](error_code e, std::size_t) {
        if ((ec = e))
          return void(done = true);
        lines.push_back(take_line(output_));
        forget_expected(expected, lines.back());
        if (expected.empty())
          return void(done = true);
        read_next();
      });
    };
    read_next();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(50ms);
    }
    if (!done || ec) {
      std::string report;
      for (const std::string& line : lines)
        report += "\n  came: " + line;
      for (const std::string& line : expected)
        report += "\n  missing: " + line;
      BOOST_TEST_REQUIRE(false, (done ? "standard output ended (" + ec.message() + ")" : "not within 30 s")
                                    << report);
    }
    return lines;
  }

  wait_result wait() {
    wait_result r;
    process_.async_wait(r.handler());
    run_until(io_, [&] { return r.done; }, "the tool's exit");
    return r;
  }

  wait_result terminate() {
    wait_result r;
    process_.async_terminate(2s, r.handler());
    run_until(io_, [&] { return r.done; }, "the tool's end");
    return r;
  }

  supervised_process& process() { return process_; }

private:
  template <typename Pipe>
  std::string line(Pipe& pipe, asio::streambuf& buffer, error_code& ec, const char* what) {
    bool done = false;
    asio::async_read_until(pipe, buffer, '\n', [&](error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    run_until(io_, [&] { return done; }, what);
    if (ec)
      return {};
    return take_line(buffer);
  }

  static std::string take_line(asio::streambuf& buffer) {
    std::istream in(&buffer);
    std::string out;
    std::getline(in, out);
    if (!out.empty() && out.back() == '\r')
      out.pop_back();
    return out;
  }

  asio::io_context& io_;
  supervised_process process_;
  asio::streambuf output_;
  asio::streambuf errors_;
};


/// How a tool ended by terminate() must have ended: on POSIX it takes SIGTERM as its end (watch:
/// 0; run: its command's status, ended by SIGTERM too); Windows under Wine delivers no
/// CTRL_BREAK_EVENT, so the job is ended there and the code says nothing.
void check_terminated(const wait_result& r, [[maybe_unused]] int posix_code) {
  BOOST_TEST(!r.ec, r.ec.message());
#if !defined(_WIN32)
  BOOST_TEST(r.status.exited(), r.status.to_string());
  BOOST_TEST(r.status.code() == posix_code, r.status.to_string());
#endif
}

/// "start COUNT PID PATHS" from child_helper report.
struct report {
  std::string count;
  unsigned long pid = 0;
  std::string paths;
};

report parse_report(const std::string& line) {
  BOOST_TEST_REQUIRE(line.rfind("start ", 0) == 0, "not a report: " << line);
  report r;
  const std::size_t count_end = line.find(' ', 6);
  BOOST_TEST_REQUIRE(count_end != std::string::npos, "not a report: " << line);
  r.count = line.substr(6, count_end - 6);
  const std::size_t pid_end = line.find(' ', count_end + 1);
  BOOST_TEST_REQUIRE(pid_end != std::string::npos, "not a report: " << line);
  r.pid = std::stoul(line.substr(count_end + 1, pid_end - count_end - 1));
  r.paths = line.substr(pid_end + 1);
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_portable)

BOOST_AUTO_TEST_CASE(watch_prints_each_change_as_a_json_line) {
  asio::io_context io;
  temp_dir tmp("asio_fswatch_cli");
  // Names that the ANSI code page of Windows cannot spell, in the argument and in the events:
  // the tool reads its arguments and writes its paths in Unicode.
  const fs::path dir = tmp / fs::path(u8"\u540d\u524d \u00e9t\u00e9");
  fs::create_directory(dir);
  tool_process tool(io);
  tool.start({"watch", "--json", text(dir)});
  // The poll backend (the generic POSIX build) sees a rename as a removal and a creation.
  const bool polling = tool.error_until("watching 1 path").find("the poll backend") != std::string::npos;

  // Changes in the watched directory itself, made after the tool said it watches, each once
  // the one before it was reported: an entry created and gone between two reads of a recursive
  // watch may rightly go unreported (the replay only asks for the tree as it is).
  std::vector<std::string> lines;
  const auto step = [&](auto change, std::set<std::string> expected) {
    change();
    std::vector<std::string> more = tool.output_until(std::move(expected));
    lines.insert(lines.end(), more.begin(), more.end());
  };
  step([&] { write(dir / "a.txt"); }, {json_line(dir, event_kind::created, dir / "a.txt", entry_type::file)});
  step([&] { fs::rename(dir / "a.txt", dir / "b.txt"); },
       polling ? std::set<std::string>{json_line(dir, event_kind::removed, dir / "a.txt", entry_type::file),
                                       json_line(dir, event_kind::created, dir / "b.txt", entry_type::file)}
               : std::set<std::string>{json_line(dir, event_kind::renamed, dir / "b.txt", entry_type::file, dir / "a.txt")});
  step([&] { fs::remove(dir / "b.txt"); }, {json_line(dir, event_kind::removed, dir / "b.txt", entry_type::file)});
  const fs::path unicode = dir / fs::path(u8"\u2713 \U0001F600");
  step(
      [&] {
        fs::create_directory(dir / "d");
        write(unicode);
      },
      {json_line(dir, event_kind::created, dir / "d", entry_type::directory),
       json_line(dir, event_kind::created, unicode, entry_type::file)});
  for (const std::string& line : lines)
    BOOST_TEST((line.rfind("{\"kind\":\"", 0) == 0 && line.back() == '}'), "not a JSON event line: " << line);
  check_terminated(tool.terminate(), 0);
}

BOOST_AUTO_TEST_CASE(watch_loses_nothing_while_its_reader_stalls) {
  // More events than the pipe and the tool's own queue (1 MiB) hold are made while nobody
  // reads: the tool fills the pipe (POSIX: non-blocking writes; Windows: its writer thread
  // blocked in WriteFile), then its queue, then stops reading events until the queue drains
  // (the kernel keeps them, or overflows and the rescan reports them). Every one must come
  // once the reader reads again. (That the tool still answers signals meanwhile is tested on
  // Linux by test/cli/output_cli_test.sh; Wine delivers no console control event.)
  asio::io_context io;
  temp_dir dir("asio_fswatch_cli");
  tool_process tool(io);
  tool.start({"watch", "--json", text(dir.path())});
  tool.error_until("watching 1 path");
  std::set<std::string> expected;
  const std::string padding(230, 'x'); // about 330 bytes a line: 4,000 lines are 1.3 MB
  for (int i = 0; i < 4000; ++i) {
    const fs::path file = dir / (std::to_string(i) + '-' + padding);
    write(file, "");
    expected.insert(json_line(dir.path(), event_kind::created, file, entry_type::file));
  }
  std::this_thread::sleep_for(500ms); // the tool meets the full pipe meanwhile
  tool.output_until(expected);
  BOOST_TEST(tool.process().running(), "the tool ended while its reader stalled");
  check_terminated(tool.terminate(), 0);
}

BOOST_AUTO_TEST_CASE(watch_exits_3_when_its_reader_goes_away) {
  asio::io_context io;
  temp_dir dir("asio_fswatch_cli");
  tool_process tool(io);
  tool.start({"watch", text(dir.path())});
  tool.error_until("watching 1 path");
  tool.process().stdout_pipe().close();
  write(dir / "a.txt");
  const std::string said = tool.error_until("cannot write events to standard output");
  const wait_result r = tool.wait();
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_TEST(r.status.exited(), r.status.to_string());
  BOOST_TEST(r.status.code() == 3, r.status.to_string() << "; standard error: " << said);
}

BOOST_AUTO_TEST_CASE(watch_refuses_what_it_cannot_watch) {
  asio::io_context io;
  temp_dir dir("asio_fswatch_cli");
  tool_process tool(io);
  tool.start({"watch", text(dir / "missing")});
  tool.error_until("cannot watch");
  const wait_result r = tool.wait();
  BOOST_TEST(r.status.code() == 1, r.status.to_string());

  tool_process usage(io);
  usage.start({"watch", "--backend", "nonsense", text(dir.path())});
  usage.error_until("unknown backend");
  BOOST_TEST(usage.wait().status.code() == 2);
}

BOOST_AUTO_TEST_CASE(run_restarts_its_command_with_the_changed_paths) {
  asio::io_context io;
  temp_dir dir("asio_fswatch_cli");
  write(dir / "source.txt", "one");
  tool_process tool(io);
  tool.start({"run", "--watch", text(dir.path()), "--debounce", "50", "--", text(asio_fswatch::test::child_helper_path()),
              "report"});
  error_code ec;
  const report first = parse_report(tool.output_line(ec));
  BOOST_TEST(first.count == "0");
  BOOST_TEST(first.paths.empty(), first.paths); // the list is there, and empty

  write(dir / "source.txt", "two");
  std::string line = tool.output_line(ec);
  BOOST_TEST_REQUIRE(!ec, ec.message());
  const report second = parse_report(line);
  BOOST_TEST(second.pid != first.pid);
  BOOST_TEST(second.paths == text(fs::path(dir / "source.txt").make_preferred()) + '|');
  BOOST_TEST(ends_soon(first.pid), "the first command was not stopped by the restart");

  // The tool's end ends its command too (POSIX: SIGTERM, which the tool passes on, and the
  // tool exits with the command's status; Windows: the tool's job ended, and the command's job
  // with it when its handle closes).
  check_terminated(tool.terminate(), 128 + 15);
  BOOST_TEST(ends_soon(second.pid), "the command outlived the tool");
}

// --shell (sh -c; Windows: cmd /d /c) runs COMMAND's words as one command line. On POSIX, entr's
// /_ is "$0" there: the first PATH at the first start, then the path that changed. Windows
// refuses /_ with --shell (cmd.exe would read a name as part of its line).
BOOST_AUTO_TEST_CASE(run_shell_line_with_the_changed_path) {
  asio::io_context io;
  temp_dir dir("asio_fswatch_cli");
  tool_process tool(io);
#if defined(_WIN32)
  const std::string last_word = "two";
#else
  const std::string last_word = "/_";
#endif
  tool.start({"run", "--watch", text(dir.path()), "--debounce", "50", "--shell", "--", "echo", "one", "&&", "echo",
              last_word});
  error_code ec;
  const auto next = [&] {
    std::string line = tool.output_line(ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
      line.pop_back();
    return line;
  };
  const auto expected = [&](const fs::path& path) {
    return last_word == "/_" ? text(fs::path(path).make_preferred()) : last_word;
  };
  BOOST_TEST(next() == "one");
  BOOST_TEST(next() == expected(dir.path()));
  write(dir / "source.txt");
  BOOST_TEST(next() == "one");
  BOOST_TEST(next() == expected(dir / "source.txt"));
  // The line has printed its last word, but its shell may not be reaped yet (the SIGCHLD build
  // reaps later): then the tool ends it with SIGTERM and exits with its status, 128 + 15, as it
  // does for any command still running. Both are right; which one comes is timing.
  const wait_result ended = tool.terminate();
  BOOST_TEST(!ended.ec, ended.ec.message());
#if !defined(_WIN32)
  BOOST_TEST((ended.status.exited() && (ended.status.code() == 0 || ended.status.code() == 128 + 15)),
             ended.status.to_string());
#endif
}

BOOST_AUTO_TEST_CASE(run_never_restarts_for_its_own_lists) {
  // The lists of changed paths are written inside the watched tree (the temporary directory is
  // there, named in another case on Windows, whose names ignore case): their writes must not
  // count as changes, or each start would cause the next.
  asio::io_context io;
  temp_dir dir("asio_fswatch_cli");
  fs::create_directory(dir / "tmp");
#if defined(_WIN32)
  const std::string temporary = text(dir / "TMP");
  std::vector<std::pair<std::string, std::string>> environment{{"TMP", temporary}, {"TEMP", temporary}};
#else
  std::vector<std::pair<std::string, std::string>> environment{{"TMPDIR", text(dir / "tmp")}};
#endif
  tool_process tool(io);
  tool.start({"run", "--watch", text(dir.path()), "--debounce", "50", "--", text(asio_fswatch::test::child_helper_path()),
              "report"},
             std::move(environment));
  error_code ec;
  const report first = parse_report(tool.output_line(ec));
  BOOST_TEST(first.paths.empty(), first.paths);
  std::optional<std::string> extra = tool.output_line_within(1500ms);
  BOOST_TEST(!extra, "a start without a change: " << extra.value_or(""));

  write(dir / "source.txt");
  const report second = parse_report(tool.output_line(ec));
  BOOST_TEST(second.paths == text(fs::path(dir / "source.txt").make_preferred()) + '|');
  extra = tool.output_line_within(1500ms);
  BOOST_TEST(!extra, "a start without a change: " << extra.value_or(""));
  check_terminated(tool.terminate(), 128 + 15);
}

BOOST_AUTO_TEST_SUITE_END()
