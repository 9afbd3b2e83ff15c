// SPDX-License-Identifier: BSL-1.0
// child_bench: asio_fswatch::child_watcher (pidfd and sigchld backends) against a plain
// posix_spawn + waitpid loop, the floor, and against Boost.Process v2's own async_wait, on the
// same machine in the same run: how fast /bin/true children are spawned and waited for, 64 at a
// time, and the delay from a child's exit to its handler. Prints machine information and
// Markdown tables; never asserts on time. The exit status is not zero only when something went
// wrong: a child that did not exit 0, a failed wait, a child left behind. `--in-flight N,N,...`
// sweeps the spawn-and-wait rate over how many children run at once, for the plot (`--csv FILE`
// writes the figures).
#include "child_latency.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace {

using namespace child_bench;

// ---------------------------------------------------------------------------------------------
// Command line

struct command_line {
  bool quick = false;
  int repeat = 3;
  std::size_t children = 2000; // per throughput run (--quick: 128)
  std::size_t in_flight = 64;
  std::size_t samples = 1000; // per latency run (--quick: 20)
  std::vector<std::size_t> sweep; // children in flight of each point; empty: not a sweep
  std::string csv;                // where the sweep's figures go
  std::size_t extra_descriptors = 0; // held open while measuring (close-on-exec)
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: child_bench [--quick] [--repeat N] [--children N] [--in-flight N[,N...]] [--samples N]\n"
               "                   [--csv FILE]\n"
               "  --quick         128 children, 20 latency samples: checks that it runs, figures mean nothing\n"
               "  --repeat N      run everything N times (default 3); the tables show medians\n"
               "  --children N    /bin/true children per throughput run (default 2,000)\n"
               "  --in-flight N   children running at once (default 64); a list sweeps the spawn-and-wait\n"
               "                  rate over it (no latency runs)\n"
               "  --samples N     latency samples per contender and run (default 1,000)\n"
               "  --csv FILE      write the sweep's figures to FILE as CSV (scripts/plots.sh); a sweep even\n"
               "                  of one --in-flight value\n"
               "  --extra-descriptors N\n"
               "                  hold N more descriptors open (close-on-exec) while measuring, as N\n"
               "                  pidfd waits do: what the descriptors a parent holds cost each spawn\n");
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  std::size_t repeat = 3, children = 0, samples = 0; // 0: as --quick says
  std::vector<std::size_t> in_flight{cmd.in_flight};
  if (!bench::parse_options(argc, argv,
                            {{"--repeat", &repeat},
                             {"--children", &children},
                             {"--samples", &samples},
                             {"--extra-descriptors", &cmd.extra_descriptors}},
                            {{"--in-flight", &in_flight}}, {{"--csv", &cmd.csv}}, cmd.quick, usage))
    return std::nullopt;
  cmd.repeat = int(std::min<std::size_t>(repeat, 1000));
  cmd.children = children ? children : cmd.quick ? 128 : 2000;
  cmd.in_flight = in_flight.front();
  if (in_flight.size() > 1 || !cmd.csv.empty())
    cmd.sweep = in_flight;
  cmd.samples = samples ? samples : cmd.quick ? 20 : 1000;
  return cmd;
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

/// One spawn-and-wait run of each contender, starting with another one in each repetition, so
/// that none always runs first.
void measure_spawns(results& all, const command_line& cmd, int repetition, unsigned limit_s) {
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
}

void warm_up(results& all, std::size_t in_flight, unsigned limit_s) {
  watched dog("warm-up", limit_s); // /bin/true in the page cache, the first spawns paid for
  accept(all, "warm-up", run_floor(2 * in_flight, in_flight), 2 * in_flight);
}

/// The sweep: the spawn-and-wait rate of every contender at each number of children in flight.
int run_sweep(command_line cmd) {
  results all;
  all.unavailable = pidfd_problem();
  const unsigned limit_s = cmd.quick ? 60 : 300;
  std::vector<std::string> columns{"children in flight"};
  for (const char* name : spawn_names)
    columns.push_back(std::string(name) + " (children/s)");
  bench::sweep_table sweep(columns);
  warm_up(all, *std::max_element(cmd.sweep.begin(), cmd.sweep.end()), limit_s);
  // One set of results per point. A repetition goes over every point, so that a drift of the
  // machine's speed spreads over all points instead of bending the line.
  std::vector<results> points(cmd.sweep.size());
  for (results& point : points)
    point.unavailable = all.unavailable;
  for (int repetition = 0; repetition < cmd.repeat; ++repetition)
    for (std::size_t point = 0; point < cmd.sweep.size(); ++point) {
      std::fprintf(stderr, "repetition %d of %d, %zu in flight\n", repetition + 1, cmd.repeat, cmd.sweep[point]);
      cmd.in_flight = cmd.sweep[point];
      measure_spawns(points[point], cmd, repetition, limit_s);
    }
  for (std::size_t point = 0; point < cmd.sweep.size(); ++point) {
    std::vector<std::optional<double>> rates;
    for (const std::vector<double>& seconds : points[point].spawn_seconds)
      rates.push_back(bench::median_rate(seconds, cmd.repeat, double(cmd.children)));
    sweep.add_row(cmd.sweep[point], rates);
    all.failures.insert(all.failures.end(), points[point].failures.begin(), points[point].failures.end());
  }
  bench::print_heading("child_bench", cmd.quick);
  std::printf("- pidfd_open: %s\n", all.unavailable.empty() ? "available" : all.unavailable.c_str());
  std::string what = with_thousands(cmd.children) + " children of " + true_path + " per run, one thread, median of " +
                     std::to_string(cmd.repeat) + " runs";
  if (cmd.extra_descriptors)
    what += ", " + with_thousands(cmd.extra_descriptors) + " more descriptors held open (close-on-exec)";
  std::printf("- sweep of the spawn-and-wait rate over the children in flight: %s\n", what.c_str());
  bench::print_build_line();
  std::printf("\n");
  sweep.publish(cmd.csv, !all.failures.empty(),
                bench::heading_lines("child_bench", cmd.quick, {"spawn and wait: " + what}));
  return bench::finish_report(-1, cmd.quick, all.failures);
}

int run(const command_line& cmd) {
  if (!cmd.sweep.empty())
    return run_sweep(cmd);
  std::string load_at_start = read_first_line("/proc/loadavg");
  results all;
  all.unavailable = pidfd_problem();
  const unsigned limit_s = cmd.quick ? 60 : 300;
  warm_up(all, cmd.in_flight, limit_s);
  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    if (cmd.repeat > 1)
      std::fprintf(stderr, "repetition %d of %d\n", repetition + 1, cmd.repeat);
    measure_spawns(all, cmd, repetition, limit_s);
    for (int k = 0; k < lat_count; ++k) {
      auto who = latency_contender((k + repetition) % lat_count);
      if (needs_pidfd(who) && !all.unavailable.empty())
        continue;
      watched dog(latency_names[who], limit_s);
      latency_run r = run_latency(who, cmd.samples);
      std::fprintf(stderr, "  %-78s p50 %.1f µs, p99 %.1f µs\n", latency_names[who], r.p50, r.p99);
      if (accept(all, latency_names[who], r.out, cmd.samples + warm_up_samples(cmd.samples))) {
        all.lat_us[who][0].push_back(r.p50);
        all.lat_us[who][1].push_back(r.p99);
      }
    }
  }

  bench::print_heading("child_bench", cmd.quick);
  std::printf("- load average at start: %s; at the end: %s\n", load_at_start.c_str(),
              read_first_line("/proc/loadavg").c_str());
  std::printf("- pidfd_open: %s\n", all.unavailable.empty() ? "available" : all.unavailable.c_str());
  if (cmd.extra_descriptors)
    std::printf("- %zu more descriptors held open (close-on-exec) while measuring\n", cmd.extra_descriptors);
  std::printf("- throughput: %s children of %s per run, %zu in flight, one thread; the floor and ours spawn "
              "with the same posix_spawn call, Boost.Process v2 with its default launcher; every child "
              "must exit 0\n",
              with_thousands(cmd.children).c_str(), true_path, cmd.in_flight);
  std::printf("- latency: %s samples per contender and run (after %zu not counted); each child is started "
              "and its wait begun, then after a %lld ms pause one byte on its pipe lets it exit; the clock "
              "runs from that write to the end of the wait. fork()ed children block in read(2); the "
              "Boost.Process v2 rows use `%s -c 'echo; read x'`, woken once its line has come\n",
              with_thousands(cmd.samples).c_str(), warm_up_samples(cmd.samples),
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
  std::vector<int> held; // --extra-descriptors: open until the program ends
  for (std::size_t i = 0; i < cmd->extra_descriptors; ++i) {
    held.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (held.back() < 0) {
      std::fprintf(stderr, "child_bench: --extra-descriptors: open: %s\n", std::strerror(errno));
      return 1;
    }
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
