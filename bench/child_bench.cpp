// SPDX-License-Identifier: BSL-1.0
// child_bench: asio_fswatch::child_watcher (pidfd and sigchld backends) against a plain
// posix_spawn + waitpid loop, the floor, and against Boost.Process v2's own async_wait, on the
// same machine in the same run: how fast /bin/true children are spawned and waited for, 64 at a
// time, and the delay from a child's exit to its handler. Prints machine information and
// Markdown tables; never asserts on time. The exit status is not zero only when something went
// wrong: a child that did not exit 0, a failed wait, a child left behind.
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
#include <boost/process/v2/stdio.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


extern char** environ;

namespace {

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;
using asio_fswatch::child_backend;
using asio_fswatch::child_watcher;
using asio_fswatch::exit_status;
using bench::format;
using bench::format_number;
using bench::median;
using bench::median_of;
using bench::read_first_line;
using bench::throw_errno;
using bench::with_thousands;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

constexpr const char* true_path = "/bin/true";
constexpr const char* shell_path = "/bin/sh";
constexpr std::chrono::milliseconds pause_before_wake(1); // every latency sample, every contender

// ---------------------------------------------------------------------------------------------
// Command line

struct command_line {
  bool quick = false;
  int repeat = 3;
  std::size_t children = 2000; // per throughput run (--quick: 128)
  std::size_t in_flight = 64;
  std::size_t samples = 1000; // per latency run (--quick: 20)
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: child_bench [--quick] [--repeat N] [--children N] [--in-flight N] [--samples N]\n"
               "  --quick         128 children, 20 latency samples: checks that it runs, figures mean nothing\n"
               "  --repeat N      run everything N times (default 3); the tables show medians\n"
               "  --children N    /bin/true children per throughput run (default 2,000)\n"
               "  --in-flight N   children running at once (default 64)\n"
               "  --samples N     latency samples per contender and run (default 1,000)\n");
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  std::size_t repeat = 3, children = 0, in_flight = cmd.in_flight, samples = 0; // 0: as --quick says
  if (!bench::parse_options(argc, argv,
                            {{"--repeat", &repeat}, {"--children", &children}, {"--in-flight", &in_flight},
                             {"--samples", &samples}},
                            cmd.quick, usage))
    return std::nullopt;
  cmd.repeat = int(std::min<std::size_t>(repeat, 1000));
  cmd.children = children ? children : cmd.quick ? 128 : 2000;
  cmd.in_flight = in_flight;
  cmd.samples = samples ? samples : cmd.quick ? 20 : 1000;
  return cmd;
}

// ---------------------------------------------------------------------------------------------
// Process-wide state: the child to kill on SIGINT/SIGTERM/SIGHUP, and a watchdog that turns a
// hang (a lost wake-up) into a message. Nothing else to clean up: the /bin/true children end by
// themselves, the blocked ones when their pipe closes with this process.

std::atomic<pid_t> running_child{-1};
void nothing_to_clean_up() {}

const char* volatile watched_run = "";

void write_stderr(const char* text) {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

void on_alarm(int) { // async-signal-safe: write, strlen, _exit
  write_stderr("\nchild_bench: HANG: '");
  write_stderr(watched_run);
  write_stderr("' did not finish in time; giving up\n");
  ::_exit(3);
}

/// Arms the watchdog for one run; `what` must outlive it.
class watched {
public:
  watched(const char* what, unsigned seconds) {
    watched_run = what;
    ::alarm(seconds);
  }
  ~watched() { ::alarm(0); }
  watched(const watched&) = delete;
  watched& operator=(const watched&) = delete;
};

// ---------------------------------------------------------------------------------------------
// Children and their outcomes

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

using run_outcome = bench::child_run_outcome;

exit_status from_wait_status(int status) {
  return WIFEXITED(status) ? exit_status::exited_with(WEXITSTATUS(status))
                           : exit_status::killed_by(WTERMSIG(status), WCOREDUMP(status));
}

exit_status from_siginfo(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? exit_status::exited_with(info.si_status)
                                    : exit_status::killed_by(info.si_status, info.si_code == CLD_DUMPED);
}

/// posix_spawn of /bin/true, for the floor and for ours alike. The child gets the default signal
/// mask back (this thread blocks SIGINT and company for the signal thread).
pid_t spawn_true() {
  struct attributes {
    attributes() {
      posix_spawnattr_init(&value);
      sigset_t empty;
      sigemptyset(&empty);
      posix_spawnattr_setsigmask(&value, &empty);
      posix_spawnattr_setflags(&value, POSIX_SPAWN_SETSIGMASK);
    }
    posix_spawnattr_t value;
  };
  static attributes attr;
  static char* const argv[] = {const_cast<char*>(true_path), nullptr};
  pid_t pid = -1;
  if (int r = ::posix_spawn(&pid, true_path, nullptr, &attr.value, argv, environ); r != 0) {
    errno = r;
    throw_errno("posix_spawn", true_path);
  }
  return pid;
}

const std::vector<std::string> no_args;

/// What every run must leave behind: no child (all reaped, none running) and SIGCHLD's default
/// disposition (the sigchld backend's handler goes with its io_context). Empty when so.
std::string leftovers() {
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0)
    return info.si_pid ? "child " + std::to_string(info.si_pid) + " left unreaped" : "children left running";
  struct sigaction action {};
  if (::sigaction(SIGCHLD, nullptr, &action) == 0 && action.sa_handler != SIG_DFL)
    return "a SIGCHLD handler left installed";
  return {};
}

/// Empty when pidfd_open works here, else why not.
std::string pidfd_problem() {
  int fd = int(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (fd < 0)
    return std::string("pidfd_open: ") + std::strerror(errno);
  ::close(fd);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Throughput: spawn `children` children of /bin/true, `in_flight` at a time, and wait for each.

enum spawn_contender { spawn_floor, spawn_pidfd, spawn_sigchld, spawn_bp2, spawn_bp2_pidfd, spawn_count };

const char* const spawn_names[spawn_count] = {
    "posix_spawn + blocking waitpid(-1) loop, one thread (the floor)",
    "posix_spawn + child_watcher::async_wait(pid), pidfd backend",
    "posix_spawn + child_watcher::async_wait(pid), sigchld backend",
    "Boost.Process v2: process (its fork + exec) + its own async_wait",
    "Boost.Process v2 process + child_watcher::async_wait(process), pidfd backend",
};

/// Boost.Process v2 waits on a pidfd too.
bool needs_pidfd(spawn_contender who) { return who != spawn_floor && who != spawn_sigchld; }

run_outcome run_floor(std::size_t total, std::size_t depth) {
  run_outcome out;
  auto start = clock_type::now();
  for (; out.started < std::min(total, depth); ++out.started)
    spawn_true();
  while (out.done < out.started) {
    int status = 0;
    if (::waitpid(-1, &status, 0) < 0) {
      if (errno == EINTR)
        continue;
      throw_errno("waitpid");
    }
    out.record({}, from_wait_status(status));
    if (out.started < total) {
      spawn_true();
      ++out.started;
    }
  }
  out.seconds = seconds_since(start);
  return out;
}

struct chains;

/// The completion handler of the asynchronous contenders: records the child's end and starts the
/// next child in the same slot. A plain struct, as users write them.
struct on_child_end {
  chains* self;
  std::size_t slot;
  template <typename Status> // exit_status, or Boost.Process v2's int
  void operator()(const error_code& ec, Status status) const;
};

/// The asynchronous contenders: one chain of children per slot, on one io_context, until `total`
/// were started. Ours and the floor spawn with the same call; Boost.Process v2 with its own.
struct chains {
  spawn_contender who;
  asio::io_context& io;
  child_watcher& watcher;
  std::size_t total;
  std::vector<std::optional<bp2::process>> processes; // per slot, for the Boost.Process v2 rows
  run_outcome out;

  void next(std::size_t slot) {
    if (out.started == total)
      return;
    ++out.started;
    if (who == spawn_pidfd || who == spawn_sigchld)
      return watcher.async_wait(spawn_true(), on_child_end{this, slot});
    bp2::process& process = processes[slot].emplace(io, true_path, no_args); // the previous one is reaped
    if (who == spawn_bp2_pidfd)
      watcher.async_wait(process, on_child_end{this, slot});
    else
      process.async_wait(on_child_end{this, slot});
  }
};

template <typename Status>
void on_child_end::operator()(const error_code& ec, Status status) const {
  self->out.record(ec, status);
  self->next(slot);
}

run_outcome run_spawn(spawn_contender who, const command_line& cmd) {
  if (who == spawn_floor)
    return run_floor(cmd.children, cmd.in_flight);
  asio::io_context io;
  child_watcher watcher(io, {who == spawn_sigchld ? child_backend::sigchld : child_backend::pidfd});
  chains c{who, io, watcher, cmd.children, std::vector<std::optional<bp2::process>>(cmd.in_flight), {}};
  auto start = clock_type::now();
  for (std::size_t slot = 0; slot < cmd.in_flight; ++slot)
    c.next(slot);
  io.run();
  c.out.seconds = seconds_since(start);
  return c.out;
}

// ---------------------------------------------------------------------------------------------
// Latency: from the write that lets a blocked child exit to the moment its wait returns (floor)
// or its handler runs (ours, Boost.Process).

enum latency_contender { lat_floor, lat_pidfd, lat_sigchld, lat_asio_signal, lat_bp2_shell, lat_pidfd_shell, lat_count };

const char* const latency_names[lat_count] = {
    "fork()ed child: blocking waitid(P_PID) right after the write (the floor)",
    "fork()ed child: child_watcher::async_wait(pid), pidfd backend",
    "fork()ed child: child_watcher::async_wait(pid), sigchld backend",
    "fork()ed child: bare Asio signal_set on SIGCHLD, waitid(P_PID, WNOHANG) in its handler (no asio_fswatch)",
    "/bin/sh child of Boost.Process v2: its own async_wait",
    "/bin/sh child of Boost.Process v2: child_watcher::async_wait(process), pidfd backend",
};

bool needs_pidfd(latency_contender who) { return who != lat_floor && who != lat_sigchld && who != lat_asio_signal; }

/// A child that ends (exit 0) as soon as one byte comes on its pipe; `wake` is the write end.
struct blocked_child {
  pid_t pid = -1;
  int wake = -1;
};

/// A fork()ed child blocked in read(2). It closes its copy of the write end, so that it also ends
/// when this process dies.
blocked_child fork_blocked_child() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw_errno("pipe2");
  pid_t pid = ::fork();
  if (pid < 0)
    throw_errno("fork");
  if (pid == 0) {
    ::close(fds[1]);
    char byte;
    while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  ::close(fds[0]);
  return {pid, fds[1]};
}

/// `/bin/sh -c 'echo; read x'` spawned by Boost.Process v2 into `process`, stdin and stdout on
/// pipes: once its line has come, the shell is about to block in `read` (the pause before the
/// wake-up leaves it the time to get there). A newline ends the read, and the shell exits 0.
blocked_child spawn_blocked_shell(asio::io_context& io, std::optional<bp2::process>& process) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw_errno("pipe2");
  process.emplace(io, shell_path, std::vector<std::string>{"-c", "echo; read x"},
                  bp2::process_stdio{in[0], out[1], {}});
  ::close(in[0]);
  ::close(out[1]);
  char line;
  ssize_t n;
  while ((n = ::read(out[0], &line, 1)) < 0 && errno == EINTR) {
  }
  ::close(out[0]);
  if (n != 1)
    throw std::runtime_error("/bin/sh did not print its line");
  return {pid_t(process->id()), in[1]};
}

/// One sample: the child is started and its wait begun, then after the pause it is woken; the
/// time from the wake-up to the end of the wait, in µs. The child is reaped before it returns.
double latency_sample(latency_contender who, asio::io_context& io, child_watcher& watcher,
                      asio::signal_set* sigchld, run_outcome& out) {
  std::optional<clock_type::time_point> end;
  auto on_end = [&](const error_code& ec, auto status) {
    end = clock_type::now();
    out.record(ec, status);
  };
  std::optional<bp2::process> process;
  bool shell = who == lat_bp2_shell || who == lat_pidfd_shell;
  blocked_child child = shell ? spawn_blocked_shell(io, process) : fork_blocked_child();
  running_child.store(child.pid);
  ++out.started;
  if (who == lat_pidfd || who == lat_sigchld)
    watcher.async_wait(child.pid, on_end);
  else if (who == lat_pidfd_shell)
    watcher.async_wait(*process, on_end);
  else if (who == lat_bp2_shell)
    process->async_wait(on_end);
  // The reference for the sigchld backend: what Asio's own signal delivery costs. A SIGCHLD
  // counted from an earlier child just means one more look.
  std::function<void(error_code, int)> on_signal = [&](error_code ec, int) {
    siginfo_t info{};
    if (ec)
      on_end(ec, exit_status());
    else if (::waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
      on_end(error_code(), from_siginfo(info));
    else
      sigchld->async_wait(on_signal);
  };
  if (who == lat_asio_signal)
    sigchld->async_wait(on_signal);
  io.restart();
  std::this_thread::sleep_for(pause_before_wake);

  auto start = clock_type::now();
  const char byte = '\n';
  if (::write(child.wake, &byte, 1) != 1)
    throw_errno("write to the child's pipe");
  if (who == lat_floor) {
    siginfo_t info{};
    while (::waitid(P_PID, id_t(child.pid), &info, WEXITED) < 0)
      if (errno != EINTR)
        throw_errno("waitid");
    on_end(error_code(), from_siginfo(info));
  } else {
    io.run();
  }
  ::close(child.wake);
  running_child.store(-1);
  if (!end) {
    out.fail("io_context::run() returned without calling the handler");
    return 0;
  }
  return std::chrono::duration<double, std::micro>(*end - start).count();
}

/// Latency samples taken first in each run and not counted.
std::size_t warm_up_samples(const command_line& cmd) { return std::max<std::size_t>(2, cmd.samples / 50); }

struct latency_run {
  run_outcome out;
  double p50 = 0, p99 = 0;
};

latency_run run_latency(latency_contender who, const command_line& cmd) {
  asio::io_context io;
  child_watcher watcher(io, {who == lat_sigchld ? child_backend::sigchld : child_backend::pidfd});
  std::optional<asio::signal_set> sigchld;
  if (who == lat_asio_signal)
    sigchld.emplace(io, SIGCHLD);
  asio::signal_set* signals = sigchld ? &*sigchld : nullptr;
  latency_run r;
  for (std::size_t i = 0; i < warm_up_samples(cmd); ++i)
    latency_sample(who, io, watcher, signals, r.out);
  std::vector<double> us;
  auto start = clock_type::now();
  for (std::size_t i = 0; i < cmd.samples; ++i)
    us.push_back(latency_sample(who, io, watcher, signals, r.out));
  r.out.seconds = seconds_since(start);
  std::sort(us.begin(), us.end());
  r.p50 = bench::percentile(us, 50);
  r.p99 = bench::percentile(us, 99);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Results and tables

struct results {
  std::array<std::vector<double>, spawn_count> spawn_seconds;     // per run
  std::array<std::array<std::vector<double>, 2>, lat_count> lat_us; // [who][0: p50, 1: p99], per run
  std::string unavailable; // why the contenders that need pidfd_open have no figures
  std::vector<std::string> failures;
};

/// The figures of a run that did all its work and left nothing behind; else a failure.
bool accept(results& all, const char* name, const run_outcome& out, std::size_t expected) {
  std::string problem;
  if (out.failed)
    problem = std::to_string(out.failed) + " failure(s), the first: " + out.first_failure;
  else if (out.done != expected)
    problem = with_thousands(out.done) + " of " + with_thousands(expected) + " children seen to end";
  else
    problem = leftovers();
  if (problem.empty())
    return true;
  all.failures.push_back(std::string(name) + ": " + problem);
  std::fprintf(stderr, "  %s: %s\n", name, problem.c_str());
  return false;
}

std::string unavailable_note(const results& all, bool needs_pidfd) {
  return needs_pidfd && !all.unavailable.empty() ? " — unavailable: " + all.unavailable : "";
}

int print_tables(const results& all, const command_line& cmd) {
  std::string runs = cmd.repeat > 1 ? " (median of " + std::to_string(cmd.repeat) + " runs)" : "";
  std::string children = with_thousands(cmd.children), samples = with_thousands(cmd.samples);
  auto seconds = [&](int who) { return median_of(all.spawn_seconds[std::size_t(who)], cmd.repeat); };
  auto latency = [&](int who, int p) { return median_of(all.lat_us[std::size_t(who)][std::size_t(p)], cmd.repeat); };
  auto n_a = [](std::optional<double> v, auto text) { return v ? text(*v) : std::string("n/a"); };

  std::printf("### Every contender: spawn and wait for %s /bin/true children, %zu in flight%s\n\n",
              children.c_str(), cmd.in_flight, runs.c_str());
  std::printf("| contender | wall time | children/s | µs per child |\n|---|---:|---:|---:|\n");
  for (int c = 0; c < spawn_count; ++c) {
    std::optional<double> s = seconds(c);
    std::printf("| %s%s | %s | %s | %s |\n", spawn_names[c], unavailable_note(all, needs_pidfd(spawn_contender(c))).c_str(),
                n_a(s, [](double v) { return format(v, 3) + " s"; }).c_str(),
                n_a(s, [&](double v) { return format_number(double(cmd.children) / v, 0); }).c_str(),
                n_a(s, [&](double v) { return format_number(v * 1e6 / double(cmd.children)); }).c_str());
  }

  // The latency contenders have no table of their own: each is in a p50 row and a p99 row below.
  std::printf("\n### Against the floors and targets%s\n\n", runs.c_str());
  bench::print_target_table_heading(stdout, "floor / reference");
  int missed = 0;
  // `limit`: ours/floor at most this; `ahead`: below it.
  auto row = [&](const std::string& scenario, const std::string& metric, std::optional<double> floor,
                 std::optional<double> ours, std::optional<double> limit, bool ahead, const std::string& unit) {
    std::optional<double> ratio;
    if (floor && ours && *floor > 0)
      ratio = *ours / *floor;
    std::string target = "—";
    if (limit) {
      bool miss = !ratio || (ahead ? *ratio >= *limit : *ratio > *limit);
      missed += miss ? 1 : 0;
      target = (ahead ? "< " + format(*limit, 1) + "x (ahead of it)" : "<= " + format(*limit, 1) + "x floor") +
               bench::verdict(miss);
    }
    auto cell = [&](std::optional<double> v) {
      return n_a(v, [&](double x) { return format_number(x, unit == "s" ? 3 : -1) + " " + unit; });
    };
    bench::print_target_row(stdout, scenario, metric, cell(floor), cell(ours), ratio, target);
  };
  std::string spawning = "spawn and wait, " + children + " /bin/true, " + std::to_string(cmd.in_flight) + " in flight";
  row(spawning, "wall time: pidfd backend vs posix_spawn + waitpid(-1) loop (floor)", seconds(spawn_floor),
      seconds(spawn_pidfd), 1.1, false, "s");
  row(spawning, "wall time: sigchld backend vs posix_spawn + waitpid(-1) loop (floor)", seconds(spawn_floor),
      seconds(spawn_sigchld), 1.1, false, "s");
  row(spawning, "wall time: pidfd backend (posix_spawn) vs Boost.Process v2 as users use it (its spawn, its wait)",
      seconds(spawn_bp2), seconds(spawn_pidfd), 1.0, true, "s");
  row(spawning, "reference, the waiting alone: Boost.Process v2 spawn + child_watcher (pidfd) vs its own wait",
      seconds(spawn_bp2), seconds(spawn_bp2_pidfd), std::nullopt, false, "s");
  row(spawning, "reference, the spawning: Boost.Process v2 (fork + exec, its wait) vs the floor",
      seconds(spawn_floor), seconds(spawn_bp2), std::nullopt, false, "s");
  std::string exiting = "exit -> handler, fork()ed child (" + samples + " samples)";
  for (int c : {lat_pidfd, lat_sigchld})
    for (int p : {0, 1})
      row(exiting, std::string(p ? "p99" : "p50") + (c == lat_pidfd ? ": pidfd" : ": sigchld") +
              " backend vs blocking waitid (floor)",
          latency(lat_floor, p), latency(c, p), 1.1, false, "µs");
  for (int p : {0, 1})
    row(exiting, std::string(p ? "p99" : "p50") + ", reference: bare Asio signal_set on SIGCHLD (no asio_fswatch) vs "
                                                 "blocking waitid (floor)",
        latency(lat_floor, p), latency(lat_asio_signal, p), std::nullopt, false, "µs");
  for (int p : {0, 1})
    row("exit -> handler, /bin/sh child of Boost.Process v2 (" + samples + " samples)",
        std::string(p ? "p99" : "p50") + ", reference: child_watcher::async_wait(process), pidfd, vs "
                                         "Boost.Process v2's own async_wait",
        latency(lat_bp2_shell, p), latency(lat_pidfd_shell, p), std::nullopt, false, "µs");
  return missed;
}

// ---------------------------------------------------------------------------------------------

int run(const command_line& cmd) {
  std::string load_at_start = read_first_line("/proc/loadavg");
  results all;
  all.unavailable = pidfd_problem();
  const unsigned limit_s = cmd.quick ? 60 : 300;
  {
    watched dog("warm-up", limit_s); // /bin/true in the page cache, the first spawns paid for
    accept(all, "warm-up", run_floor(2 * cmd.in_flight, cmd.in_flight), 2 * cmd.in_flight);
  }
  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    if (cmd.repeat > 1)
      std::fprintf(stderr, "repetition %d of %d\n", repetition + 1, cmd.repeat);
    // Each repetition starts with another contender, so that none always runs first.
    for (int k = 0; k < spawn_count; ++k) {
      auto who = spawn_contender((k + repetition) % spawn_count);
      if (needs_pidfd(who) && !all.unavailable.empty())
        continue;
      watched dog(spawn_names[who], limit_s);
      run_outcome out = run_spawn(who, cmd);
      std::fprintf(stderr, "  %-78s %.3f s, %s children/s\n", spawn_names[who], out.seconds,
                   format_number(double(out.done) / out.seconds, 0).c_str());
      if (accept(all, spawn_names[who], out, cmd.children))
        all.spawn_seconds[who].push_back(out.seconds);
    }
    for (int k = 0; k < lat_count; ++k) {
      auto who = latency_contender((k + repetition) % lat_count);
      if (needs_pidfd(who) && !all.unavailable.empty())
        continue;
      watched dog(latency_names[who], limit_s);
      latency_run r = run_latency(who, cmd);
      std::fprintf(stderr, "  %-78s p50 %.1f µs, p99 %.1f µs\n", latency_names[who], r.p50, r.p99);
      if (accept(all, latency_names[who], r.out, cmd.samples + warm_up_samples(cmd))) {
        all.lat_us[who][0].push_back(r.p50);
        all.lat_us[who][1].push_back(r.p99);
      }
    }
  }

  bench::print_heading("child_bench", cmd.quick);
  std::printf("- load average at start: %s; at the end: %s\n", load_at_start.c_str(),
              read_first_line("/proc/loadavg").c_str());
  std::printf("- pidfd_open: %s\n", all.unavailable.empty() ? "available" : all.unavailable.c_str());
  std::printf("- throughput: %s children of %s per run, %zu in flight, one thread; the floor and ours spawn "
              "with the same posix_spawn call, Boost.Process v2 with its default launcher; every child "
              "must exit 0\n",
              with_thousands(cmd.children).c_str(), true_path, cmd.in_flight);
  std::printf("- latency: %s samples per contender and run (after %zu not counted); each child is started "
              "and its wait begun, then after a %lld ms pause one byte on its pipe lets it exit; the clock "
              "runs from that write to the end of the wait. fork()ed children block in read(2); the "
              "Boost.Process v2 rows use `%s -c 'echo; read x'`, woken once its line has come\n",
              with_thousands(cmd.samples).c_str(), warm_up_samples(cmd),
              static_cast<long long>(pause_before_wake.count()), shell_path);
  bench::print_build_line();
  std::printf("\n");
  int missed = print_tables(all, cmd);
  return bench::finish_report(missed, cmd.quick, all.failures);
}

} // namespace

int main(int argc, char** argv) {
  std::optional<command_line> cmd = parse_command_line(argc, argv);
  if (!cmd) {
    usage(stderr);
    return 2;
  }
  struct sigaction alarm_action {};
  alarm_action.sa_handler = on_alarm;
  ::sigaction(SIGALRM, &alarm_action, nullptr);
  bench::start_signal_thread("child_bench", running_child, nothing_to_clean_up);
  try {
    return run(*cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child_bench: %s\n", e.what());
    return 1;
  }
}
