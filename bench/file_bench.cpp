// SPDX-License-Identifier: BSL-1.0
// file_bench: asio_fswatch's file I/O against its floors, on the same machine in the same run:
// random 4 KiB reads of a page-cached file (io_uring backend, thread-pool backend, Boost.Asio's
// own random_access_file on io_uring, a plain pread loop) and a whole-file copy
// (async_copy_file against cp). Prints machine information and Markdown tables; never asserts
// on time. Scenarios, sizes and how each figure is taken: bench/README.md.
#include <asio_fswatch/file_operations.hpp>

#include "file_read_contenders.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ASIO_FSWATCH_BENCH_ASIO_PATH
#define ASIO_FSWATCH_BENCH_ASIO_PATH ""
#endif

namespace {

using namespace file_bench;

constexpr std::size_t deep = 64;         // operations in flight for the deep runs
constexpr std::size_t max_depth = 4096;  // of a sweep: the raw loop's ring holds them all

// ---------------------------------------------------------------------------------------------
// Command line

struct command_line {
  bool quick = false;
  int repeat = 1;
  std::string dir;                 // empty: /var/tmp or /tmp, whichever is not a tmpfs
  std::uint64_t size_mib = 1024;
  std::size_t reads_shallow = 200000; // depth 1
  std::size_t reads_deep = 1000000;   // depth 64
  std::string asio_bench = ASIO_FSWATCH_BENCH_ASIO_PATH;
  std::vector<std::size_t> depths; // --depths: a sweep of the reads over these queue depths
  std::string csv;                 // --csv: where the sweep's figures go
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: file_bench [--quick] [--repeat N] [--dir DIR] [--size-mib N] [--reads N]\n"
               "                  [--reads-deep N] [--asio-bench PATH] [--depths N,N,... [--csv FILE]]\n"
               "  --quick           16 MiB file, 2,000 / 10,000 reads: a smoke run of a few seconds\n"
               "  --repeat N        run everything N times; the tables show medians\n"
               "  --dir DIR         where the test file and the copy go (default: a new directory\n"
               "                    under /var/tmp, else /tmp, on a file system that is not tmpfs)\n"
               "  --size-mib N      size of the test file (default 1024)\n"
               "  --reads N         reads per depth-1 run (default 200,000)\n"
               "  --reads-deep N    reads per depth-64 run (default 1,000,000)\n"
               "  --asio-bench PATH the file_bench_asio program (default: the one built with this)\n"
               "  --depths LIST     sweep: the reads (--reads N each) at each queue depth of the list\n"
               "                    (\"1,2,4\"), every contender; no copy\n"
               "  --csv FILE        with --depths: write the sweep's figures to FILE as CSV (scripts/plots.sh)\n");
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  bool size_given = false, reads_given = false, deep_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto number = [&](std::uint64_t minimum) -> std::optional<std::uint64_t> {
      if (i + 1 >= argc)
        return std::nullopt;
      char* end = nullptr;
      unsigned long long v = std::strtoull(argv[++i], &end, 10);
      if (!end || *end != '\0' || v < minimum)
        return std::nullopt;
      return v;
    };
    if (arg == "--quick") {
      cmd.quick = true;
    } else if (arg == "--repeat") {
      auto v = number(1);
      if (!v)
        return std::nullopt;
      cmd.repeat = int(std::min<std::uint64_t>(*v, 1000));
    } else if (arg == "--dir" && i + 1 < argc) {
      cmd.dir = argv[++i];
    } else if (arg == "--size-mib") {
      auto v = number(1);
      if (!v)
        return std::nullopt;
      cmd.size_mib = *v;
      size_given = true;
    } else if (arg == "--reads") {
      auto v = number(1);
      if (!v)
        return std::nullopt;
      cmd.reads_shallow = std::size_t(*v);
      reads_given = true;
    } else if (arg == "--reads-deep") {
      auto v = number(deep);
      if (!v)
        return std::nullopt;
      cmd.reads_deep = std::size_t(*v);
      deep_given = true;
    } else if (arg == "--asio-bench" && i + 1 < argc) {
      cmd.asio_bench = argv[++i];
    } else if (arg == "--depths" && i + 1 < argc) {
      auto list = bench::parse_number_list(argv[++i]);
      if (!list || *std::max_element(list->begin(), list->end()) > max_depth) {
        std::fprintf(stderr, "--depths takes numbers from 1 to %zu separated by commas, not '%s'\n", max_depth,
                     argv[i]);
        return std::nullopt;
      }
      cmd.depths = *list;
    } else if (arg == "--csv" && i + 1 < argc) {
      cmd.csv = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown or incomplete argument '%s'\n", argv[i]);
      return std::nullopt;
    }
  }
  if (!cmd.csv.empty() && cmd.depths.empty()) {
    std::fprintf(stderr, "--csv writes a sweep's figures: it needs --depths\n");
    return std::nullopt;
  }
  if (cmd.quick) {
    if (!size_given)
      cmd.size_mib = 16;
    if (!reads_given)
      cmd.reads_shallow = 2000;
    if (!deep_given)
      cmd.reads_deep = 10000;
  }
  return cmd;
}

// ---------------------------------------------------------------------------------------------
// Results

struct results {
  // [contender][0: depth 1, 1: depth 64]: µs per read of each repetition.
  std::array<std::array<std::vector<double>, 2>, contender_count> us_per_read;
  std::array<std::string, contender_count> unavailable; // why a contender has no figures
  std::vector<double> copy_ours_s, copy_cp_s;
  std::vector<double> copy_ours_handler_s; // from the call to the completion handler
  std::string copy_backend;
  std::size_t read_errors = 0, read_mismatches = 0;
  std::vector<std::string> failures; // wrong data, failed reads or copies: the exit status says so
};

/// One timed run of `who` at `depth` (after its warm-up), watched by `dog`: its µs per read,
/// logged. None when the contender cannot run here (the first time, `all.unavailable` says why)
/// or when a read failed or read wrong data (then a failure is recorded: no figure from a run
/// that did not do its work).
std::optional<double> measure_reads(results& all, contender who, int fd, const std::string& source,
                                    const command_line& cmd, std::size_t depth, const std::vector<std::uint64_t>& warm,
                                    const std::vector<std::uint64_t>& offsets, watchdog& dog,
                                    std::chrono::seconds limit) {
  const std::string label = contender_names[who];
  const std::string at_depth = ", depth " + std::to_string(depth);
  std::string why;
  dog.arm(label + at_depth, limit);
  const std::optional<read_result> r = run_contender(who, fd, source, cmd.asio_bench, depth, warm, offsets, why);
  dog.disarm();
  if (!r) {
    if (all.unavailable[who].empty())
      std::fprintf(stderr, "  %s: unavailable: %s\n", label.c_str(), why.c_str());
    all.unavailable[who] = why;
    return std::nullopt;
  }
  const double us = r->reads ? r->seconds * 1e6 / double(r->reads) : 0;
  std::fprintf(stderr, "  %-66s depth %3zu: %9s reads in %.3f s: %.3f µs per read, %s reads/s\n", label.c_str(),
               depth, with_thousands(r->reads).c_str(), r->seconds, us,
               with_thousands(std::uint64_t(double(r->reads) / r->seconds)).c_str());
  if (r->errors || r->mismatches) {
    all.failures.push_back(label + at_depth + ": " + std::to_string(r->errors) + " failed reads, " +
                           std::to_string(r->mismatches) + " reads with the wrong data");
    return std::nullopt;
  }
  return us;
}

std::string read_cell(std::optional<double> us) {
  if (!us)
    return "n/a";
  return format_number(*us) + " µs (" + with_thousands(std::uint64_t(1e6 / *us + 0.5)) + "/s)";
}

std::string copy_cell(std::optional<double> seconds, std::uint64_t bytes) {
  if (!seconds)
    return "n/a";
  double mib_s = double(bytes) / double(1 << 20) / *seconds;
  return format(*seconds, 3) + " s (" + with_thousands(std::uint64_t(mib_s + 0.5)) + " MiB/s)";
}

int print_tables(const results& all, const command_line& cmd, std::uint64_t file_size) {
  auto reads_median = [&](contender who, int d) { return median_of(all.us_per_read[who][std::size_t(d)], cmd.repeat); };
  std::string runs = cmd.repeat > 1 ? " (median of " + std::to_string(cmd.repeat) + " runs)" : "";

  std::printf("### Every contender: random 4 KiB reads%s\n\n", runs.c_str());
  std::printf("| contender | depth 1: µs per read | depth 1: reads/s | depth 64: µs per read | depth 64: reads/s |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  for (int c = 0; c < contender_count; ++c) {
    std::string cells[2][2];
    for (int d = 0; d < 2; ++d) {
      std::optional<double> us = reads_median(contender(c), d);
      cells[d][0] = us ? format_number(*us) : "n/a";
      cells[d][1] = us ? with_thousands(std::uint64_t(1e6 / *us + 0.5)) : "n/a";
    }
    std::string name = contender_names[c];
    if (c == pread_loop)
      name += "; its depth-64 column is the same loop (one read at a time: it has no depth)";
    if (!all.unavailable[std::size_t(c)].empty())
      name += " — unavailable: " + all.unavailable[std::size_t(c)];
    std::printf("| %s | %s | %s | %s | %s |\n", name.c_str(), cells[0][0].c_str(), cells[0][1].c_str(),
                cells[1][0].c_str(), cells[1][1].c_str());
  }

  std::printf("\n### Against the floors and targets%s\n\n", runs.c_str());
  bench::print_target_table_heading(stdout, "floor / reference");
  int missed = 0;
  auto row = [&](const std::string& scenario, const std::string& metric, std::optional<double> floor,
                 std::optional<double> ours, std::optional<double> limit, const std::string& target_text,
                 const std::string& floor_cell, const std::string& ours_cell) {
    std::optional<double> ratio;
    if (floor && ours && *floor > 0)
      ratio = *ours / *floor;
    std::string target = "—";
    if (limit) {
      bool miss = !ratio || *ratio > *limit;
      missed += miss ? 1 : 0;
      target = target_text + bench::verdict(miss);
    }
    bench::print_target_row(stdout, scenario, metric, floor_cell, ours_cell, ratio, target);
  };
  auto read_row = [&](int d, const std::string& metric, contender floor_side, contender ours_side,
                      std::optional<double> limit, const std::string& target_text) {
    std::optional<double> f = reads_median(floor_side, d), o = reads_median(ours_side, d);
    row(d == 0 ? "random 4 KiB read, depth 1" : "random 4 KiB read, depth 64", metric, f, o, limit, target_text,
        read_cell(f), read_cell(o));
  };
  read_row(0, "time per read: io_uring backend vs pread loop (floor)", pread_loop, ours_uring, 1.3,
           "<= 1.3x floor");
  read_row(0, "time per read: raw io_uring loop (no Asio) vs pread loop: io_uring's own cost", pread_loop,
           raw_uring, std::nullopt, "");
  read_row(0, "time per read: io_uring backend vs raw io_uring loop", raw_uring, ours_uring, std::nullopt, "");
  read_row(0, "time per read: io_uring backend vs Asio random_access_file (io_uring)", asio_uring, ours_uring, 1.0,
           "<= 1.0x (at least as fast as Asio)");
  read_row(0, "time per read: thread-pool backend vs pread loop (floor)", pread_loop, ours_threads, std::nullopt,
           "");
  read_row(1, "time per read: io_uring backend vs Asio random_access_file (io_uring), 64 in flight each",
           asio_uring, ours_uring, 1.0, "<= 1.0x (at least as fast as Asio)");
  read_row(1, "time per read: io_uring backend vs raw io_uring loop, 64 in flight each", raw_uring, ours_uring,
           std::nullopt, "");
  read_row(1, "time per read: io_uring backend, 64 in flight, vs pread loop (one at a time: no depth)",
           pread_loop, ours_uring, std::nullopt, "");
  read_row(1, "time per read: thread-pool backend, 64 in flight, vs pread loop (no depth)", pread_loop,
           ours_threads, std::nullopt, "");
  read_row(1, "time per read: thread-pool backend vs Asio (io_uring), 64 in flight each", asio_uring,
           ours_threads, std::nullopt, "");

  std::size_t copies = std::size_t(2 * cmd.repeat); // per side
  std::optional<double> cp_s = median_of(all.copy_cp_s, int(copies));
  std::optional<double> ours_s = median_of(all.copy_ours_s, int(copies));
  std::string mib = with_thousands(file_size >> 20);
  std::string each = copies > 1 ? " (median of " + std::to_string(copies) + " copies each, alternating)" : "";
  row("copy a " + mib + " MiB page-cached file",
      "wall time: async_copy_file (" + all.copy_backend + ") until io_context::run() returns, vs `cp SRC DST` "
      "until it exits (floor)" + each,
      cp_s, ours_s, 1.1, "<= 1.1x floor", copy_cell(cp_s, file_size), copy_cell(ours_s, file_size));
  std::optional<double> handler_s = median_of(all.copy_ours_handler_s, int(copies));
  row("copy a " + mib + " MiB page-cached file",
      "async_copy_file: time until its completion handler runs (the job closes its descriptors after)" + each,
      cp_s, handler_s, std::nullopt, "", copy_cell(cp_s, file_size), copy_cell(handler_s, file_size));
  return missed;
}

// ---------------------------------------------------------------------------------------------

/// The test file, written, synced and read once, in a new directory.
struct test_file {
  std::string root;
  std::string source;
  std::uint64_t size = 0;
  std::uint64_t blocks = 0;
  double resident = 0; // the share of its pages in the page cache
};

test_file prepare_test_file(const command_line& cmd, watchdog& dog) {
  test_file t;
  t.root = make_temp_root(cmd.dir.empty() ? default_base_dir() : cmd.dir);
  t.source = t.root + "/source.bin";
  t.size = cmd.size_mib << 20;
  t.blocks = t.size / block_size;
  std::fprintf(stderr, "creating %s (%s MiB)...\n", t.source.c_str(), with_thousands(cmd.size_mib).c_str());
  auto start = clock_type::now();
  dog.arm("creating the test file", std::chrono::seconds(600));
  create_test_file(t.source, t.size);
  std::fprintf(stderr, "  written and fdatasync'ed in %.1f s\n", seconds_since(start));
  std::uint64_t got = read_whole_file(t.source);
  if (got != t.size)
    throw std::runtime_error("the test file reads back " + with_thousands(got) + " bytes");
  t.resident = resident_share(t.source);
  dog.disarm();
  std::fprintf(stderr, "  read once fully; %.1f%% of its pages are in the page cache\n", t.resident * 100);
  return t;
}

/// The header's lines on the machine's state and the test file.
void print_test_file_lines(const test_file& t, const command_line& cmd, const std::string& load_at_start) {
  std::printf("- load average at start: %s; at the end: %s\n", load_at_start.c_str(),
              read_first_line("/proc/loadavg").c_str());
  std::printf("- directory: %s (%s)\n", t.root.c_str(), bench::file_system_type(t.root).c_str());
  std::printf("- test file: %s MiB written, fdatasync'ed and read once fully before measuring; "
              "%.1f%% of its pages in the page cache (mincore)%s\n",
              with_thousands(cmd.size_mib).c_str(), t.resident * 100,
              t.resident < 0.999 ? " -- WARNING: not all cached, reads may hit the disk" : "");
}

/// The sweep (--depths): the reads per second of every contender at each queue depth, over the
/// same offsets, medians of --repeat runs; no copy.
int run_depth_sweep(const command_line& cmd) {
  watchdog dog;
  const std::chrono::seconds run_limit(cmd.quick ? 60 : 300);
  const std::string load_at_start = read_first_line("/proc/loadavg");
  const test_file file = prepare_test_file(cmd, dog);
  const std::vector<std::uint64_t> offsets = make_offsets(offsets_seed, cmd.reads_shallow, file.blocks);
  const std::vector<std::uint64_t> warm = make_offsets(offsets_seed + 1, warmup_reads(cmd.reads_shallow), file.blocks);
  std::vector<std::string> columns{"queue depth"};
  for (const char* name : contender_names)
    columns.push_back(std::string(name) + " (reads/s)");
  bench::sweep_table sweep(columns);
  results all;
  const int fd = ::open(file.source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw_errno("open", file.source);
  // [point][contender]: µs per read of each repetition. A repetition goes over every depth, so
  // that a drift of the machine's speed spreads over all points instead of bending the line.
  std::vector<std::array<std::vector<double>, contender_count>> us(cmd.depths.size());
  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    if (cmd.repeat > 1)
      std::fprintf(stderr, "repetition %d of %d\n", repetition + 1, cmd.repeat);
    for (std::size_t point = 0; point < cmd.depths.size(); ++point)
      for (int k = 0; k < contender_count; ++k) { // each repetition starts with another contender
        const contender who = contender((k + repetition) % contender_count);
        if (std::optional<double> one =
                measure_reads(all, who, fd, file.source, cmd, cmd.depths[point], warm, offsets, dog, run_limit))
          us[point][who].push_back(*one);
      }
  }
  for (std::size_t point = 0; point < cmd.depths.size(); ++point) {
    std::vector<std::optional<double>> rates;
    for (const std::vector<double>& runs : us[point])
      rates.push_back(bench::median_rate(runs, cmd.repeat, 1e6)); // µs per read: reads per second
    sweep.add_row(cmd.depths[point], rates);
  }
  ::close(fd);
  bench::print_heading("file_bench", cmd.quick);
  print_test_file_lines(file, cmd, load_at_start);
  const std::string what = with_thousands(cmd.reads_shallow) + " random 4 KiB reads per run (after " +
                           with_thousands(warm.size()) + " not counted), median of " + std::to_string(cmd.repeat) +
                           " runs; the pread loop has no depth: one read at a time in every row";
  std::printf("- sweep of the queue depth: %s\n", what.c_str());
  bench::print_build_line();
  std::printf("\n");
  sweep.publish(cmd.csv, !all.failures.empty(),
                bench::heading_lines("file_bench", cmd.quick,
                                     {"queue depth sweep: " + what,
                                      "test file: " + with_thousands(cmd.size_mib) + " MiB, " +
                                          format(file.resident * 100, 1) + "% in the page cache, on " +
                                          bench::file_system_type(file.root)}));
  for (int c = 0; c < contender_count; ++c)
    if (!all.unavailable[std::size_t(c)].empty())
      std::printf("\n%s: unavailable: %s\n", contender_names[c], all.unavailable[std::size_t(c)].c_str());
  return bench::finish_report(-1, cmd.quick, all.failures);
}

int run(const command_line& cmd) {
  if (!cmd.depths.empty())
    return run_depth_sweep(cmd);
  watchdog dog;
  const std::chrono::seconds run_limit(cmd.quick ? 60 : 300);
  std::string load_at_start = read_first_line("/proc/loadavg");
  const test_file file = prepare_test_file(cmd, dog);
  const std::string& root = file.root;
  const std::string& source = file.source;
  const std::string copy = root + "/copy.bin";
  const std::uint64_t file_size = file.size;
  const std::uint64_t blocks = file.blocks;

  const std::vector<std::uint64_t> offsets_shallow = make_offsets(offsets_seed, cmd.reads_shallow, blocks);
  const std::vector<std::uint64_t> offsets_deep = make_offsets(offsets_seed, cmd.reads_deep, blocks);
  const std::size_t warm_shallow = warmup_reads(cmd.reads_shallow), warm_deep = warmup_reads(cmd.reads_deep);
  const std::vector<std::uint64_t> warm_offsets_shallow = make_offsets(offsets_seed + 1, warm_shallow, blocks);
  const std::vector<std::uint64_t> warm_offsets_deep = make_offsets(offsets_seed + 1, warm_deep, blocks);

  results all;
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw_errno("open", source);

  for (int repetition = 0; repetition < cmd.repeat; ++repetition) {
    if (cmd.repeat > 1)
      std::fprintf(stderr, "repetition %d of %d\n", repetition + 1, cmd.repeat);
    // Each repetition starts with another contender, so that none always runs first.
    for (int k = 0; k < contender_count; ++k) {
      contender who = contender((k + repetition) % contender_count);
      for (int d = 0; d < 2; ++d) {
        std::size_t depth = d == 0 ? 1 : deep;
        const auto& offsets = d == 0 ? offsets_shallow : offsets_deep;
        const auto& warm = d == 0 ? warm_offsets_shallow : warm_offsets_deep;
        if (std::optional<double> us = measure_reads(all, who, fd, source, cmd, depth, warm, offsets, dog, run_limit))
          all.us_per_read[who][std::size_t(d)].push_back(*us);
      }
    }

    // The copy: two of each per repetition, in the order ABBA (BAAB in the next repetition).
    for (int k = 0; k < 4; ++k) {
      bool ours_turn = ((k == 0 || k == 3) ? 0 : 1) ^ (repetition % 2);
      if (::unlink(copy.c_str()) != 0 && errno != ENOENT)
        throw_errno("unlink", copy);
      dog.arm(ours_turn ? "async_copy_file" : "cp", run_limit);
      double seconds = 0, handler_seconds = 0;
      std::string problem;
      if (ours_turn) {
        asio::io_context io;
        error_code ec;
        all.copy_backend = std::string(asio_fswatch::to_string(asio_fswatch::file_backend(io, ec))) + " backend";
        if (ec)
          throw std::runtime_error("no file backend for the copy: " + ec.message());
        std::uint64_t copied = 0;
        bool called = false;
        clock_type::time_point handler_time;
        struct copy_handler {
          error_code* ec;
          std::uint64_t* bytes;
          bool* called;
          clock_type::time_point* when;
          void operator()(const error_code& e, std::uint64_t n) const {
            *when = clock_type::now();
            *ec = e;
            *bytes = n;
            *called = true;
          }
        };
        auto t0 = clock_type::now();
        asio_fswatch::async_copy_file(io, source, copy, copy_handler{&ec, &copied, &called, &handler_time});
        io.run();
        seconds = seconds_since(t0);
        if (called)
          handler_seconds = std::chrono::duration<double>(handler_time - t0).count();
        if (!called)
          problem = "async_copy_file: io_context::run() returned without calling the handler";
        else if (ec)
          problem = "async_copy_file failed: " + ec.message();
        else if (copied != file_size)
          problem = "async_copy_file reported " + with_thousands(copied) + " bytes";
      } else {
        auto t0 = clock_type::now();
        int status = spawn_and_wait({"/bin/cp", source, copy}, nullptr);
        seconds = seconds_since(t0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
          problem = "cp failed, status " + std::to_string(status);
      }
      dog.disarm();
      if (problem.empty())
        problem = check_copy(copy, file_size);
      const char* who = ours_turn ? "async_copy_file" : "cp";
      if (!problem.empty()) {
        all.failures.push_back(std::string(who) + ": " + problem);
        std::fprintf(stderr, "  copy with %s: %s\n", who, problem.c_str());
        continue;
      }
      std::fprintf(stderr, "  copy with %-16s %.3f s, %.0f MiB/s", who, seconds,
                   double(file_size) / double(1 << 20) / seconds);
      if (ours_turn)
        std::fprintf(stderr, " (completion handler called after %.3f s)", handler_seconds);
      std::fprintf(stderr, "\n");
      (ours_turn ? all.copy_ours_s : all.copy_cp_s).push_back(seconds);
      if (ours_turn)
        all.copy_ours_handler_s.push_back(handler_seconds);
    }
    ::unlink(copy.c_str());
  }
  ::close(fd);

  // The header, then the tables.
  bench::print_heading("file_bench", cmd.quick);
  print_test_file_lines(file, cmd, load_at_start);
  std::printf("- reads: %s at depth 1, %s at depth 64, 4 KiB each at 4 KiB-aligned offsets from "
              "mt19937_64(%llu), the same sequence for every contender, each run after a warm-up of "
              "%s / %s reads; every read's data is checked\n",
              with_thousands(cmd.reads_shallow).c_str(), with_thousands(cmd.reads_deep).c_str(),
              static_cast<unsigned long long>(offsets_seed), with_thousands(warm_shallow).c_str(),
              with_thousands(warm_deep).c_str());
  std::printf("- copy: %s; destination removed before each copy\n",
              command_output_first_line("/bin/cp --version").c_str());
  bench::print_build_line();
  std::printf("\n");
  int missed = print_tables(all, cmd, file_size);
  return bench::finish_report(missed, cmd.quick, all.failures);
}

} // namespace

int main(int argc, char** argv) {
  std::optional<command_line> cmd = parse_command_line(argc, argv);
  if (!cmd) {
    usage(stderr);
    return 2;
  }
  bench::start_signal_thread("file_bench", running_child, clean_up_everything);
  int status = 1;
  try {
    status = run(*cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "file_bench: %s\n", e.what());
  }
  clean_up_everything();
  return status;
}
