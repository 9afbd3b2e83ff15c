// SPDX-License-Identifier: BSL-1.0
// child_bench on Windows: child_watcher (the process_handle backend: the process HANDLE in a
// windows::object_handle) against a plain CreateProcessW + WaitForMultipleObjects loop, the
// floor, and against Boost.Process v2's own async_wait, in the same run: how fast children are
// started and waited for, N at a time. The children are this program itself, started with
// `--exit-now`, which returns at once. Prints Markdown tables; never asserts on time. The exit
// status is not zero only when something went wrong: a child that did not exit 0, a failed wait.
//
// Run under Wine by the Windows test step (--quick); Wine is not Windows, so the figures carry
// no target, only "it runs and the figures are sane". bench/child_bench.cpp is the POSIX program.
#include <asio_fswatch/child_watcher.hpp>

#include "bench_support.hpp"
#include "child_run_outcome.hpp"

// Boost.Process v2 as users use it, header-only, on std::filesystem. Its 1.81 headers use
// boost::optional, boost::decay and boost::is_convertible without including them.
#define BOOST_PROCESS_USE_STD_FS 1
#include <boost/optional.hpp>
#include <boost/type_traits/decay.hpp>
#include <boost/type_traits/is_convertible.hpp>
#include <boost/process/v2/process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>


namespace {

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;
using asio_fswatch::child_watcher;
using asio_fswatch::exit_status;
using bench::with_thousands;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

struct command_line {
  bool quick = false;
  int repeat = 3;
  // Per run (--quick: 32). Under Wine 8, CreateProcessW fails with ERROR_INTERNAL_ERROR after
  // about 5,000 children of one process, whoever starts them: the default run stays well below.
  std::size_t children = 200;
  std::size_t in_flight = 16; // at most MAXIMUM_WAIT_OBJECTS, for the floor's one wait
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: child_bench [--quick] [--repeat N] [--children N] [--in-flight N]\n"
                    "  --quick         32 children, one run: checks that it runs, figures mean nothing\n"
                    "  --repeat N      run everything N times (default 3); the table shows medians\n"
                    "  --children N    children per run (default 200)\n"
                    "  --in-flight N   children running at once, 1 to 64 (default 16)\n");
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  std::size_t repeat = 3, children = 0, in_flight = cmd.in_flight;
  if (!bench::parse_options(argc, argv, {{"--repeat", &repeat}, {"--children", &children}, {"--in-flight", &in_flight}},
                            cmd.quick, usage))
    return std::nullopt;
  if (in_flight > MAXIMUM_WAIT_OBJECTS) {
    std::fprintf(stderr, "--in-flight: at most %d\n", MAXIMUM_WAIT_OBJECTS);
    return std::nullopt;
  }
  cmd.repeat = cmd.quick ? 1 : int(std::min<std::size_t>(repeat, 1000));
  cmd.children = children ? children : cmd.quick ? 32 : 200;
  cmd.in_flight = in_flight;
  return cmd;
}

/// Turns a hang (a lost wake-up) into a message and exit status 3: a thread of the benchmark's
/// own, armed for each run.
class watchdog {
public:
  watchdog() : thread_([this] { watch(); }) {}
  ~watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  void arm(std::string what, std::chrono::seconds limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    what_ = std::move(what);
    deadline_ = clock_type::now() + limit;
    changed_.notify_all();
  }
  void disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_.reset();
  }

private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      if (deadline_ && clock_type::now() >= *deadline_) {
        std::fprintf(stderr, "\nchild_bench: HANG: '%s' did not finish in time; giving up\n", what_.c_str());
        std::fflush(stderr);
        std::_Exit(3);
      }
      changed_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<clock_type::time_point> deadline_;
  std::string what_;
  bool stopping_ = false;
  std::thread thread_;
};

using run_outcome = bench::child_run_outcome;

std::wstring self_path() {
  std::wstring path(32768, L'\0');
  const DWORD n = ::GetModuleFileNameW(nullptr, path.data(), DWORD(path.size()));
  if (n == 0 || n >= path.size())
    throw std::runtime_error("GetModuleFileNameW failed");
  path.resize(n);
  return path;
}

/// This program again, as `--exit-now`, with CreateProcessW: the floor's spawn and ours. The
/// process HANDLE is the caller's to close.
/// CreateProcessW calls tried again after ERROR_INTERNAL_ERROR (see spawn_child).
std::atomic<unsigned> spawn_retries{0};

HANDLE spawn_child(const std::wstring& self) {
  std::wstring command = L"\"" + self + L"\" --exit-now";
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION info{};
  // Under Wine 8 on a loaded machine, CreateProcessW now and then fails with
  // ERROR_INTERNAL_ERROR (1359), for the floor as for ours (seen 2 times in 6 smoke runs while
  // another build ran). The call is tried again, up to 3 times; the report says how often.
  for (int attempt = 0;; ++attempt) {
    if (::CreateProcessW(self.c_str(), command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &startup, &info))
      break;
    const DWORD error = ::GetLastError();
    if (error != ERROR_INTERNAL_ERROR || attempt == 3)
      throw std::runtime_error("CreateProcessW failed: error " + std::to_string(error));
    ++spawn_retries;
    ::Sleep(50);
  }
  ::CloseHandle(info.hThread);
  return info.hProcess;
}

enum contender { floor_loop, ours_handle, ours_pid, bp2_own, bp2_ours, contender_count };

const char* const contender_names[contender_count] = {
    "CreateProcessW + WaitForMultipleObjects loop, one thread (the floor)",
    "CreateProcessW + child_watcher::async_wait(process_handle_ref)",
    "CreateProcessW + child_watcher::async_wait(pid) (opens the process by its id)",
    "Boost.Process v2: process (its launcher) + its own async_wait",
    "Boost.Process v2 process + child_watcher::async_wait(process)",
};

run_outcome run_floor(const std::wstring& self, std::size_t total, std::size_t depth) {
  run_outcome out;
  std::vector<HANDLE> running;
  const auto start = clock_type::now();
  for (; out.started < std::min(total, depth); ++out.started)
    running.push_back(spawn_child(self));
  while (!running.empty()) {
    const DWORD r = ::WaitForMultipleObjects(DWORD(running.size()), running.data(), FALSE, INFINITE);
    if (r >= WAIT_OBJECT_0 + running.size())
      throw std::runtime_error("WaitForMultipleObjects failed: error " + std::to_string(::GetLastError()));
    const std::size_t i = r - WAIT_OBJECT_0;
    DWORD code = 0;
    const bool got = ::GetExitCodeProcess(running[i], &code);
    ::CloseHandle(running[i]);
    if (got)
      out.record({}, exit_status::exited_with(int(code)));
    else
      out.record(error_code(int(::GetLastError()), boost::system::system_category()), exit_status());
    if (out.started < total) {
      running[i] = spawn_child(self);
      ++out.started;
    } else {
      running.erase(running.begin() + std::ptrdiff_t(i));
    }
  }
  out.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return out;
}

/// The asynchronous contenders: one chain of children per slot on one io_context, each child
/// started when the previous one of its slot was seen to end.
struct chains {
  contender who;
  asio::io_context& io;
  child_watcher& watcher;
  const std::wstring& self;
  std::size_t total;
  std::vector<std::optional<bp2::process>> processes; // per slot, for the Boost.Process v2 rows
  run_outcome out;

  void next(std::size_t slot) {
    if (out.started == total)
      return;
    ++out.started;
    auto on_end = [this, slot](const error_code& ec, auto status) {
      out.record(ec, status);
      next(slot);
    };
    if (who == ours_handle) {
      const HANDLE process = spawn_child(self);
      return watcher.async_wait(asio_fswatch::process_handle_ref{process},
                                [process, on_end](const error_code& ec, exit_status status) {
                                  ::CloseHandle(process); // the handle stays the caller's
                                  on_end(ec, status);
                                });
    }
    if (who == ours_pid) {
      const HANDLE process = spawn_child(self);
      const asio_fswatch::pid_type pid = ::GetProcessId(process);
      // Our handle keeps the pid from being reused before the watcher opens it.
      return watcher.async_wait(pid, [process, on_end](const error_code& ec, exit_status status) {
        ::CloseHandle(process);
        on_end(ec, status);
      });
    }
    bp2::process& process = processes[slot].emplace(io, self, std::vector<std::wstring>{L"--exit-now"});
    if (who == bp2_ours)
      watcher.async_wait(process, on_end);
    else
      process.async_wait(on_end);
  }
};

run_outcome run_contender(contender who, const std::wstring& self, const command_line& cmd) {
  if (who == floor_loop)
    return run_floor(self, cmd.children, cmd.in_flight);
  asio::io_context io;
  child_watcher watcher(io);
  chains c{who, io, watcher, self, cmd.children, std::vector<std::optional<bp2::process>>(cmd.in_flight), {}};
  const auto start = clock_type::now();
  for (std::size_t slot = 0; slot < cmd.in_flight; ++slot)
    c.next(slot);
  io.run();
  c.out.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return c.out;
}

int run(const command_line& cmd) {
  const std::wstring self = self_path();
  std::vector<std::vector<double>> seconds(contender_count);
  std::vector<std::string> failures;
  watchdog dog;
  const std::chrono::seconds limit(cmd.quick ? 120 : 600);
  auto accept = [&](const char* name, const run_outcome& out) {
    std::string problem;
    if (out.failed)
      problem = std::to_string(out.failed) + " failure(s), the first: " + out.first_failure;
    else if (out.done != out.started || out.started == 0)
      problem = with_thousands(out.done) + " of " + with_thousands(out.started) + " children seen to end";
    if (problem.empty())
      return true;
    failures.push_back(std::string(name) + ": " + problem);
    std::fprintf(stderr, "  %s: %s\n", name, problem.c_str());
    return false;
  };
  // Every contender once, not counted: the program in the cache, and what a first use sets up
  // for good (the system thread pool behind windows::object_handle, with its HANDLEs) set up
  // before the HANDLE count is taken.
  dog.arm("warm-up", limit);
  command_line warm_up = cmd;
  warm_up.children = 2 * cmd.in_flight;
  for (int k = 0; k < contender_count; ++k)
    accept("warm-up", run_contender(contender(k), self, warm_up));
  // What every run must leave behind: no HANDLE more than before it (a leaked process HANDLE
  // also keeps its process's object alive).
  auto handles = [] {
    DWORD count = 0;
    ::GetProcessHandleCount(::GetCurrentProcess(), &count);
    return count;
  };
  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    // Each repetition starts with another contender, so that none always runs first.
    for (int k = 0; k < contender_count; ++k) {
      const auto who = contender((k + repetition) % contender_count);
      dog.arm(contender_names[who], limit);
      const DWORD handles_before = handles();
      run_outcome out;
      try {
        out = run_contender(who, self, cmd);
      } catch (const std::exception& e) {
        out.fail(std::string("the run stopped: ") + e.what());
      }
      dog.disarm();
      if (const DWORD after = handles(); after > handles_before)
        out.fail(std::to_string(after - handles_before) + " HANDLE(s) left open by the run");
      std::fprintf(stderr, "  %-80s %.3f s\n", contender_names[who], out.seconds);
      if (accept(contender_names[who], out) && out.done == cmd.children)
        seconds[who].push_back(out.seconds);
    }
  }

  bench::print_heading("child_bench (Windows)", cmd.quick);
  std::printf("- throughput: %s children per run (this program, `--exit-now`), %zu in flight, one thread; the "
              "floor and the child_watcher rows start them with the same CreateProcessW call, Boost.Process "
              "v2 with its default launcher; every child must exit 0\n",
              with_thousands(cmd.children).c_str(), cmd.in_flight);
  std::printf("- no targets: under Wine the figures are Wine's process start-up more than anything; the "
              "table shows that every contender runs and how it compares with the floor in the same run\n");
  bench::print_build_line();
  const std::string runs = cmd.repeat > 1 ? " (median of " + std::to_string(cmd.repeat) + " runs)" : "";
  std::printf("\n### Start and wait for %s children, %zu in flight%s\n\n", with_thousands(cmd.children).c_str(),
              cmd.in_flight, runs.c_str());
  bench::print_floor_ratio_table(contender_names, seconds, cmd.repeat, "children/s", double(cmd.children), 0);
  if (spawn_retries > 0)
    std::printf("\nCreateProcessW failed with ERROR_INTERNAL_ERROR and was tried again %u time(s) "
                "(Wine, under load); the times include the retries.\n",
                spawn_retries.load());
  return bench::finish_report(-1, cmd.quick, failures); // no targets under Wine
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--exit-now")
    return 0;
  return bench::run_main("child_bench", argc, argv, parse_command_line, usage, run);
}
