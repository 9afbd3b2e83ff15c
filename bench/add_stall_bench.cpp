// SPDX-License-Identifier: BSL-1.0
// add_stall_bench: how long a program's event loop is held while a directory monitor adds a large
// tree. A 1 ms steady_timer runs on the same io_context as the monitor; the figure is the
// longest gap between two of its completions while the tree of about 220,000 entries is added,
// by add() (one call that scans the whole tree) and by async_add() (slices of about 1 ms). The
// floor is the same timer on the same io_context with nothing else to do, measured in the same
// run. Target (issue 15): no gap over 5 ms with async_add. See bench/README.md.
#include "bench_support.hpp"

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct sizes {
  std::size_t top_dirs = 200;
  std::size_t sub_dirs = 100;
  std::size_t files = 10;
  std::size_t repeat = 3;
  bool quick = false;

  std::size_t directories() const { return 1 + top_dirs + top_dirs * sub_dirs; }
  std::size_t entries() const { return directories() + top_dirs * sub_dirs * files; }
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: add_stall_bench [--quick] [--repeat N] [--top N] [--sub N] [--files N]\n"
                    "  the tree: TOP directories of SUB directories of FILES files each\n"
                    "  (default 200 x 100 x 10: 20,201 directories, 220,201 entries)\n");
}

void build_tree(const fs::path& root, const sizes& s) {
  // Names through snprintf: GCC 12 warns falsely (-Wrestrict) on "t" + std::to_string(t).
  char name[32];
  fs::create_directory(root);
  for (std::size_t t = 0; t < s.top_dirs; ++t) {
    std::snprintf(name, sizeof name, "t%zu", t);
    const fs::path top = root / name;
    fs::create_directory(top);
    for (std::size_t d = 0; d < s.sub_dirs; ++d) {
      std::snprintf(name, sizeof name, "s%zu", d);
      const fs::path sub = top / name;
      fs::create_directory(sub);
      for (std::size_t f = 0; f < s.files; ++f) {
        std::snprintf(name, sizeof name, "f%zu.txt", f);
        std::ofstream(sub / name) << "small file\n";
      }
    }
  }
}

enum class how { nothing, add, async_add };
const char* name_of(how h) {
  switch (h) {
  case how::nothing: return "timer alone (floor)";
  case how::add: return "add()";
  case how::async_add: return "async_add()";
  }
  return "";
}

struct run_result {
  double longest_gap_ms = 0;
  double p99_gap_ms = 0;
  double add_ms = 0; // from the call to the completion (add(): its return)
  std::size_t entries = 0;
};

// A 1 ms timer ticks on the loop; after its 20th tick the tree is added (or, for the floor,
// nothing is), and the timer goes on until 20 ticks after the add completed (the floor: 300).
run_result measure(const fs::path& root, how h) {
  asio::io_context ioc;
  asio_fswatch::directory_monitor monitor(ioc);
  asio::steady_timer timer(ioc);
  std::vector<double> gaps;
  clock_type::time_point last = clock_type::now();
  clock_type::time_point add_started{};
  clock_type::time_point add_done{};
  bool added = false;
  int ticks = 0;
  int ticks_after = 0;
  run_result out;
  std::function<void()> tick = [&] {
    timer.expires_after(1ms);
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec)
        return;
      const clock_type::time_point now = clock_type::now();
      if (ticks >= 20)
        gaps.push_back(std::chrono::duration<double, std::milli>(now - last).count());
      last = now;
      ++ticks;
      if (ticks == 20 && h != how::nothing) {
        add_started = clock_type::now();
        if (h == how::add) {
          monitor.add(root);
          add_done = clock_type::now();
          added = true;
        } else {
          monitor.async_add(root, [&](boost::system::error_code add_ec) {
            if (add_ec)
              throw boost::system::system_error(add_ec, "async_add");
            add_done = clock_type::now();
            added = true;
          });
        }
      }
      if (added || h == how::nothing)
        ++ticks_after;
      if (ticks_after < (h == how::nothing ? 300 : 20))
        tick();
    });
  };
  tick();
  ioc.run();
  std::sort(gaps.begin(), gaps.end());
  out.longest_gap_ms = gaps.empty() ? 0 : gaps.back();
  out.p99_gap_ms = bench::percentile(gaps, 99);
  out.add_ms = h == how::nothing ? 0 : std::chrono::duration<double, std::milli>(add_done - add_started).count();
  out.entries = monitor.stats().entries;
  return out;
}

} // namespace

int main(int argc, char** argv) {
  sizes s;
  if (!bench::parse_options(argc, argv,
                            {{"--repeat", &s.repeat}, {"--top", &s.top_dirs}, {"--sub", &s.sub_dirs},
                             {"--files", &s.files}},
                            s.quick, usage)) {
    usage(stderr);
    return 2;
  }
  if (s.quick) {
    s.top_dirs = 10;
    s.sub_dirs = 10;
    s.files = 10;
    s.repeat = 1;
  }
  std::vector<std::string> failures;
  const fs::path base = fs::path(bench::make_temp_dir(fs::temp_directory_path().string(), "asio_fswatch_add_stall"));
  const long watch_limit = bench::read_long("/proc/sys/fs/inotify/max_user_watches");
  const long needed = static_cast<long>(s.directories()) + 1000;
  const bool raise_limit = watch_limit >= 0 && watch_limit < needed && ::geteuid() == 0;
  if (raise_limit)
    bench::write_long("/proc/sys/fs/inotify/max_user_watches", needed * 2);
  try {
    bench::print_heading("add_stall_bench", s.quick);
    bench::print_build_line();
    const fs::path root = base / "tree";
    build_tree(root, s);
    std::printf("- tree: %s directories, %s entries; the page cache warm (one add() first, not counted)\n\n",
                bench::with_thousands(s.directories()).c_str(), bench::with_thousands(s.entries()).c_str());
    measure(root, how::add); // warms the cache
    std::vector<run_result> results[3];
    for (std::size_t r = 0; r < s.repeat; ++r) {
      // Alternating orders, so that neither is always first after the tree was last read.
      const how order[2][3] = {{how::nothing, how::add, how::async_add}, {how::async_add, how::add, how::nothing}};
      for (how h : order[r % 2]) {
        run_result got = measure(root, h);
        std::fprintf(stderr, "run %zu %s: longest gap %.2f ms, p99 %.2f ms, add %.1f ms, %zu entries\n", r + 1,
                     name_of(h), got.longest_gap_ms, got.p99_gap_ms, got.add_ms, got.entries);
        if (h != how::nothing && got.entries != s.entries())
          failures.push_back(std::string(name_of(h)) + " knows " + std::to_string(got.entries) + " entries, not " +
                             std::to_string(s.entries()));
        results[static_cast<int>(h)].push_back(got);
      }
    }
    auto med = [&](how h, double run_result::*field) {
      std::vector<double> v;
      for (const run_result& r : results[static_cast<int>(h)])
        v.push_back(r.*field);
      return bench::median(v);
    };
    std::printf("Medians of %zu runs (and the worst run's longest gap); a gap is the time between two\n"
                "completions of the 1 ms timer. The target is on the median.\n\n", s.repeat);
    std::printf("| on the loop | longest gap | longest gap, worst run | p99 gap | time to add | target |\n"
                "|---|---:|---:|---:|---:|---|\n");
    int missed = 0;
    for (how h : {how::nothing, how::add, how::async_add}) {
      const double longest = med(h, &run_result::longest_gap_ms);
      std::string target = "—";
      if (h == how::async_add) {
        const bool miss = longest > 5.0;
        missed += miss ? 1 : 0;
        target = std::string("longest gap ≤ 5 ms") + bench::verdict(miss);
      }
      double worst = 0;
      for (const run_result& r : results[static_cast<int>(h)])
        worst = std::max(worst, r.longest_gap_ms);
      std::printf("| %s | %s ms | %s ms | %s ms | %s | %s |\n", name_of(h), bench::format(longest, 2).c_str(),
                  bench::format(worst, 2).c_str(), bench::format(med(h, &run_result::p99_gap_ms), 2).c_str(),
                  h == how::nothing ? "—" : (bench::format(med(h, &run_result::add_ms), 1) + " ms").c_str(),
                  target.c_str());
    }
    const double sync_ms = med(how::add, &run_result::add_ms);
    if (sync_ms > 0)
      std::printf("\nasync_add takes %.2fx the time of add().\n", med(how::async_add, &run_result::add_ms) / sync_ms);
    if (raise_limit)
      bench::write_long("/proc/sys/fs/inotify/max_user_watches", watch_limit);
    std::error_code ignored;
    fs::remove_all(base, ignored);
    return bench::finish_report(missed, s.quick, failures);
  } catch (const std::exception& e) {
    if (raise_limit)
      bench::write_long("/proc/sys/fs/inotify/max_user_watches", watch_limit);
    std::error_code ignored;
    fs::remove_all(base, ignored);
    std::fprintf(stderr, "add_stall_bench: %s\n", e.what());
    return 1;
  }
}
