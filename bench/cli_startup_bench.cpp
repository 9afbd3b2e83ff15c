// SPDX-License-Identifier: BSL-1.0
// cli_startup_bench: how long `asio-fswatch watch DIR` takes to be ready on a large tree, against
// `inotifywait -m -r DIR` on the same tree in the same run, with a warm cache. Ready is the line
// both print on standard error once every watch is set ("Watches established."): the time from
// before fork() to that line, then each is stopped (SIGTERM) and reaped, which gives its CPU
// time and peak memory. Two trees: 4,000 directories with 100,000 files (where watchers list
// many files), and 100,000 directories with none (where setting watches is the work).
// Linux only; needs inotifywait (Debian's inotify-tools). Medians of --repeat runs (default 7),
// in alternating order. `--dirs N,N,...` sweeps trees of N directories instead, for the plots of
// startup and memory against tree size (`--csv FILE` writes the figures). See bench/README.md.
#include "bench_support.hpp"
#include "bench_tree.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(ASIO_FSWATCH_BENCH_TOOL_PATH)
#error "ASIO_FSWATCH_BENCH_TOOL_PATH names the asio-fswatch program (bench/CMakeLists.txt)"
#endif

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

/// One start of a watcher, until it was ready.
struct startup {
  double ready_ms = 0;
  double cpu_ms = 0;    // user + system, until stopped just after ready
  double max_rss_mb = 0; // peak resident memory
};

/// Starts `argv`, waits for `ready_text` on its standard error (at most `limit`), stops and reaps
/// it. Throws when it ends or stays silent first.
startup start_until_ready(const std::vector<std::string>& argv, const std::string& ready_text,
                          std::chrono::seconds limit) {
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0)
    bench::throw_errno("pipe2");
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = clock_type::now();
  const pid_t pid = ::fork();
  if (pid < 0)
    bench::throw_errno("fork");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(err[1], 2);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(err[1]);
  std::string said;
  bool ready = false;
  const auto deadline = start + limit;
  while (!ready && clock_type::now() < deadline) {
    pollfd p{err[0], POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (::poll(&p, 1, int(std::max<long long>(1, left.count()))) <= 0)
      continue;
    char buffer[4096];
    const ssize_t n = ::read(err[0], buffer, sizeof buffer);
    if (n <= 0)
      break; // it ended
    said.append(buffer, std::size_t(n));
    ready = said.find(ready_text) != std::string::npos;
  }
  startup out;
  out.ready_ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  ::kill(pid, SIGTERM);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  ::close(err[0]);
  if (!ready)
    throw std::runtime_error(argv[0] + " was not ready (it said: " + said.substr(0, 300) + ")");
  out.cpu_ms = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
               double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  out.max_rss_mb = double(usage.ru_maxrss) / 1024.0;
  return out;
}

struct tree_case {
  std::string name;
  int directories;
  int files;
};

struct settings {
  bool quick = false;
  std::size_t repeat = 7;
  std::vector<std::size_t> sweep; // --dirs: directory counts; empty: the two standard trees
  std::string csv;                // --csv: where the sweep's figures go
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: cli_startup_bench [--quick] [--repeat N] [--dirs N,N,... [--csv FILE]]\n"
                    "  --quick        tiny trees, one run: checks that it runs, figures mean nothing\n"
                    "  --repeat N     runs per side and tree (default 7; --quick: 1)\n"
                    "  --dirs LIST    sweep: one tree of N directories (no files) for each N of the list\n"
                    "  --csv FILE     with --dirs: write the sweep's figures to FILE as CSV (scripts/plots.sh)\n");
}

std::optional<settings> parse(int argc, char** argv) {
  settings s;
  std::size_t repeat = 0; // 0: as --quick says
  if (!bench::parse_options(argc, argv, {{"--repeat", &repeat}}, {{"--dirs", &s.sweep}}, {{"--csv", &s.csv}},
                            s.quick, usage))
    return std::nullopt;
  if (!s.csv.empty() && s.sweep.empty()) {
    std::fprintf(stderr, "--csv writes a sweep's figures: it needs --dirs\n");
    return std::nullopt;
  }
  s.repeat = repeat ? repeat : s.quick ? 1 : 7;
  return s;
}

/// The cases measured: the sweep's trees, or the two standard ones.
std::vector<tree_case> cases_of(const settings& s) {
  if (s.sweep.empty())
    return s.quick ? std::vector<tree_case>{{"40 directories, 1,000 files", 40, 1000}, {"1,000 directories", 1000, 0}}
                   : std::vector<tree_case>{{"4,000 directories, 100,000 files", 4000, 100000},
                                            {"100,000 directories", 100000, 0}};
  std::vector<tree_case> cases;
  for (std::size_t n : s.sweep)
    cases.push_back({bench::with_thousands(n) + " directories", int(std::min<std::size_t>(n, 10000000)), 0});
  return cases;
}

bool has_inotifywait() {
  return std::system("command -v inotifywait >/dev/null 2>&1") == 0; // NOLINT(cert-env33-c): a bench
}

} // namespace

int main(int argc, char** argv) {
  return bench::run_main(
      "cli_startup_bench", argc, argv, parse, usage,
      [](const settings& s) {
        bench::print_heading("cli_startup_bench", s.quick);
        bench::print_build_line();
        if (!has_inotifywait()) {
          std::printf("\nskipped: inotifywait (Debian's inotify-tools) is not installed: there is nothing to "
                      "measure against.\n");
          return 0;
        }
        const std::vector<tree_case> cases = cases_of(s);
        int largest = 0;
        for (const tree_case& t : cases)
          largest = std::max(largest, t.directories);
        const long watch_limit = bench::read_long("/proc/sys/fs/inotify/max_user_watches");
        const long needed = 2L * (largest + largest / 64 + 10);
        const bool raise_limit = watch_limit >= 0 && watch_limit < needed && ::geteuid() == 0;
        if (watch_limit >= 0 && watch_limit < needed && !raise_limit) {
          std::printf("\nskipped: fs.inotify.max_user_watches is %ld, below the %ld the trees need, and only root "
                      "can raise it.\n",
                      watch_limit, needed);
          return 0;
        }
        if (raise_limit)
          bench::write_long("/proc/sys/fs/inotify/max_user_watches", needed);
        const fs::path base = bench::make_temp_dir(fs::temp_directory_path().string(), "asio_fswatch_cli_startup");
        std::vector<std::string> failures;
        int missed = 0;
        bench::sweep_table sweep({"directories", "inotifywait: ready (ms)", "asio-fswatch: ready (ms)",
                                  "inotifywait: CPU (ms)", "asio-fswatch: CPU (ms)",
                                  "inotifywait: peak RSS (MiB)", "asio-fswatch: peak RSS (MiB)"});
        try {
          std::printf("- the tool: %s\n- %s; %zu runs per side, alternating, after one warm-up run each\n\n",
                      ASIO_FSWATCH_BENCH_TOOL_PATH, "ready: the line \"Watches established.\" on standard error",
                      s.repeat);
          bench::print_target_table_heading(stdout, "inotifywait -m -r");
          for (std::size_t c = 0; c < cases.size(); ++c) {
            const tree_case& t = cases[c];
            const fs::path root = base / ("tree" + std::to_string(c));
            bench::make_tree(root, t.directories, t.files);
            const std::vector<std::string> ours{ASIO_FSWATCH_BENCH_TOOL_PATH, "watch", root.string()};
            const std::vector<std::string> theirs{"inotifywait", "-m", "-r", root.string()};
            const std::string ready = "Watches established.";
            const auto limit = std::chrono::seconds(120);
            start_until_ready(theirs, ready, limit); // warm-ups: the page cache, and each program
            start_until_ready(ours, ready, limit);
            std::vector<startup> runs[2]; // 0: inotifywait, 1: ours
            for (std::size_t r = 0; r < s.repeat; ++r) {
              const int first = int(r % 2);
              runs[first].push_back(start_until_ready(first == 0 ? theirs : ours, ready, limit));
              runs[1 - first].push_back(start_until_ready(first == 0 ? ours : theirs, ready, limit));
            }
            const auto med = [&](int side, double startup::*field) {
              std::vector<double> v;
              for (const startup& one : runs[side])
                v.push_back(one.*field);
              return bench::median(v);
            };
            const double floor_ms = med(0, &startup::ready_ms), ours_ms = med(1, &startup::ready_ms);
            const bool miss = ours_ms > floor_ms;
            missed += miss ? 1 : 0;
            bench::print_target_row(stdout, t.name, "time to ready", bench::format(floor_ms, 1) + " ms",
                                    bench::format(ours_ms, 1) + " ms", ours_ms / floor_ms,
                                    std::string("≤ 1.0x") + bench::verdict(miss));
            bench::print_target_row(stdout, t.name, "CPU (user + system)",
                                    bench::format(med(0, &startup::cpu_ms), 1) + " ms",
                                    bench::format(med(1, &startup::cpu_ms), 1) + " ms",
                                    med(1, &startup::cpu_ms) / med(0, &startup::cpu_ms), "—");
            bench::print_target_row(stdout, t.name, "peak memory (RSS)",
                                    bench::format(med(0, &startup::max_rss_mb), 1) + " MiB",
                                    bench::format(med(1, &startup::max_rss_mb), 1) + " MiB",
                                    med(1, &startup::max_rss_mb) / med(0, &startup::max_rss_mb), "—");
            std::fflush(stdout);
            sweep.add_row(std::size_t(t.directories),
                          {floor_ms, ours_ms, med(0, &startup::cpu_ms), med(1, &startup::cpu_ms),
                           med(0, &startup::max_rss_mb), med(1, &startup::max_rss_mb)});
            std::error_code ignored;
            fs::remove_all(root, ignored);
          }
        } catch (const std::exception& e) {
          failures.push_back(e.what());
        }
        if (raise_limit)
          bench::write_long("/proc/sys/fs/inotify/max_user_watches", watch_limit);
        std::error_code ignored;
        fs::remove_all(base, ignored);
        if (!s.sweep.empty()) {
          std::printf("\n### The sweep: time to ready, CPU and peak memory against tree size (medians)\n\n");
          sweep.publish(s.csv, !failures.empty(),
                        bench::heading_lines("cli_startup_bench", s.quick,
                                             {"medians of " + std::to_string(s.repeat) +
                                              " runs per side and tree, alternating"}));
        }
        return bench::finish_report(missed, s.quick, failures);
      });
}
