// SPDX-License-Identifier: BSL-1.0
// bench_support.hpp: what the benchmark programs (monitor_bench, file_bench, file_bench_asio,
// child_bench) share: number formatting, medians and percentiles, numeric options, machine
// information, the signal thread, the pieces of the printed header and tables, and the read offsets both file
// programs draw.
//
// Plain C++ and POSIX only: no asio_fswatch and no Boost.Asio header, so that file_bench_asio,
// built with BOOST_ASIO_HAS_IO_URING and without asio_fswatch, can include it too. On Windows
// (child_bench_win, file_bench_win) the platform-neutral part only: statistics, formatting, the
// heading and the tables, the offsets.
#pragma once

#include <boost/version.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#if defined(_WIN32)
#include <windows.h>
#else
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>
#endif

namespace bench {

// ---------------------------------------------------------------------------------------------
// Errors, statistics, formatting

[[noreturn]] inline void throw_errno(const std::string& what, const std::string& path = {}) {
  int error = errno;
  throw std::system_error(error, std::generic_category(), path.empty() ? what : what + " " + path);
}

inline double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

inline std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

#if !defined(_WIN32)
/// The number on the first line of `path` (a /proc/sys setting); -1 when it cannot be read.
inline long read_long(const std::string& path) {
  std::string line = read_first_line(path);
  return line.empty() ? -1 : std::strtol(line.c_str(), nullptr, 10);
}

/// Writes `value` and a newline to `path` (a /proc/sys setting) in one write; false on failure.
inline bool write_long(const std::string& path, long value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  std::string text = std::to_string(value) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}
#endif

inline std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

inline std::string format(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

/// `v` with `decimals` decimals; a negative `decimals` chooses from the magnitude, 3 significant
/// digits or so (1.23, 12.3, 123). Whole numbers of 1,000 and more get thousands separators.
inline std::string format_number(double v, int decimals = -1) {
  double a = std::abs(v);
  if (decimals < 0)
    decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  if (decimals == 0 && a >= 1000)
    return with_thousands(static_cast<std::uint64_t>(v + 0.5));
  return format(v, decimals);
}

/// The median of a figure measured once per repetition; none (n/a in a table, rather than a
/// flattering median) when a run gave no figure.
inline std::optional<double> median_of(const std::vector<double>& values, int repeat) {
  if (values.empty() || int(values.size()) != repeat)
    return std::nullopt;
  return median(values);
}

/// `work` divided by the median of a time measured once per repetition (as median_of): a rate,
/// reads or children per second; none when a run gave no figure or the median is 0.
inline std::optional<double> median_rate(const std::vector<double>& times, int repeat, double work) {
  const std::optional<double> time = median_of(times, repeat);
  return time && *time > 0 ? std::optional<double>(work / *time) : std::nullopt;
}

/// Nearest-rank percentile `p` (0 to 100) of values sorted in ascending order; 0 when empty.
inline double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()) / 100.0));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// ---------------------------------------------------------------------------------------------
// Command lines

/// A numeric option of a benchmark: its name and where its value goes.
struct number_option {
  std::string_view name;
  std::size_t* value;
};

/// The positive numbers of a comma-separated list ("1,2,4"), each at most a billion; none when
/// the text is anything else (empty, an empty item, zero, a sign, a trailing character).
inline std::optional<std::vector<std::size_t>> parse_number_list(std::string_view text) {
  std::vector<std::size_t> values;
  while (true) {
    const std::size_t comma = (std::min)(text.find(','), text.size());
    const std::string item(text.substr(0, comma));
    char* end = nullptr;
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    errno = 0;
    const unsigned long long value = std::strtoull(item.c_str(), &end, 10);
    if (value == 0 || *end != '\0' || errno == ERANGE || value > 1000000000ULL) // a billion: no sweep goes so far
      return std::nullopt;
    values.push_back(std::size_t(value));
    if (comma == text.size())
      return values;
    text.remove_prefix(comma + 1);
  }
}

/// An option of a benchmark that takes a list of positive numbers ("1,2,4"): one number is a
/// list of one.
struct list_option {
  std::string_view name;
  std::vector<std::size_t>* values;
};

/// An option of a benchmark that takes any text (a path).
struct text_option {
  std::string_view name;
  std::string* value;
};

/// Reads `--quick`, `--help` (prints `usage` and exits 0), options that each take a positive
/// number, a list of them, or a text. False, with a message on stderr, on anything else.
inline bool parse_options(int argc, char** argv, const std::vector<number_option>& numbers,
                          const std::vector<list_option>& lists, const std::vector<text_option>& texts,
                          bool& quick, void (*usage)(std::FILE*)) {
  auto named = [](const auto& options, std::string_view arg) {
    return std::find_if(options.begin(), options.end(), [&](const auto& o) { return o.name == arg; });
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto number = named(numbers, arg);
    const auto list = named(lists, arg);
    const auto text = named(texts, arg);
    if (arg == "--quick") {
      quick = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      std::exit(0);
    }
    const bool known = number != numbers.end() || list != lists.end() || text != texts.end();
    if (!known || i + 1 == argc) {
      std::fprintf(stderr, "%s: '%s'\n", known ? "no value after" : "unknown argument", argv[i]);
      return false;
    }
    const std::string_view value = argv[++i];
    if (text != texts.end()) {
      *text->value = std::string(value);
    } else if (auto values = parse_number_list(value); !values || (number != numbers.end() && values->size() != 1)) {
      std::fprintf(stderr, "%s takes %s, not '%s'\n", argv[i - 1],
                   number != numbers.end() ? "a positive number" : "positive numbers separated by commas",
                   argv[i]);
      return false;
    } else if (number != numbers.end()) {
      *number->value = values->front();
    } else {
      *list->values = std::move(*values);
    }
  }
  return true;
}

/// As above, for a benchmark whose options are all numbers.
inline bool parse_options(int argc, char** argv, const std::vector<number_option>& numbers, bool& quick,
                          void (*usage)(std::FILE*)) {
  return parse_options(argc, argv, numbers, {}, {}, quick, usage);
}

// ---------------------------------------------------------------------------------------------
// Machine information

inline std::string cpu_model() {
#if defined(_WIN32)
  std::ifstream in("Z:\\proc\\cpuinfo");
#else
  std::ifstream in("/proc/cpuinfo");
#endif
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      std::size_t colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(colon + 2);
    }
  }
  return "unknown";
}

#if !defined(_WIN32)
inline std::string file_system_type(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0)
    return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
  case 0xEF53: return "ext2/3/4";
  case 0x01021994: return "tmpfs";
  case 0x58465342: return "xfs";
  case 0x9123683E: return "btrfs";
  case 0x794c7630: return "overlayfs";
  default: {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "0x%lx", static_cast<unsigned long>(st.f_type));
    return buffer;
  }
  }
}

// ---------------------------------------------------------------------------------------------
// Process-wide clean-up

/// A new directory `base`/`name`.XXXXXX (mkdtemp); the caller records it for its clean-up.
inline std::string make_temp_dir(const std::string& base, const std::string& name) {
  std::string pattern = base + "/" + name + ".XXXXXX";
  if (!::mkdtemp(pattern.data()))
    throw_errno("mkdtemp", pattern);
  return pattern;
}

inline sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (threads started later inherit the
/// mask) and takes them in a thread of their own, where cleaning up may allocate: it kills
/// `running_child` when there is one, calls `clean_up` and exits with 128 + the signal.
inline void start_signal_thread(const char* program, std::atomic<pid_t>& running_child, void (*clean_up)()) {
  sigset_t set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, program, &running_child, clean_up] {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0)
      return;
    std::fprintf(stderr, "\n%s: signal %d, cleaning up\n", program, signal_number);
    if (pid_t child = running_child.load(); child > 0)
      ::kill(child, SIGKILL);
    clean_up();
    std::_Exit(128 + signal_number);
  }).detach();
}
#endif

// ---------------------------------------------------------------------------------------------
// The printed header and tables

#ifndef ASIO_FSWATCH_BENCH_CONFIG
#define ASIO_FSWATCH_BENCH_CONFIG "unknown" // set by bench/CMakeLists.txt to the build's configuration
#endif

/// The machine, as lines "nproc: ..." and "kernel: ..." (on Windows, "system: ...").
inline std::vector<std::string> machine_lines() {
  std::vector<std::string> lines;
#if defined(_WIN32)
  // Under Wine, /proc/cpuinfo of the Linux host is readable through its Z: drive; ntdll says
  // which Wine it is.
  using wine_version_function = const char* (*)();
  const auto wine_version = reinterpret_cast<wine_version_function>(
      reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version")));
  lines.push_back("nproc: " + std::to_string(std::thread::hardware_concurrency()) + " (" + cpu_model() + ")");
  lines.push_back(std::string("system: Windows x64") + (wine_version ? ", under Wine " : "") +
                  (wine_version ? wine_version() : ""));
#else
  struct utsname u;
  ::uname(&u);
  lines.push_back("nproc: " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " (" + cpu_model() + ")");
  lines.push_back(std::string("kernel: ") + u.sysname + " " + u.release + " " + u.machine);
#endif
  return lines;
}

/// The build: configuration, compiler, Boost, and a warning when not optimised.
inline std::string build_line() {
  return std::string("build: ") + ASIO_FSWATCH_BENCH_CONFIG + ", " +
#if defined(__clang__)
         "clang " __clang_version__
#elif defined(__GNUC__)
         "gcc " __VERSION__
#else
         "unknown compiler"
#endif
         + ", Boost " + std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
         "." + std::to_string(BOOST_VERSION % 100) +
#if defined(__OPTIMIZE__)
         ""
#else
         " -- WARNING: not optimised, figures are meaningless"
#endif
      ;
}

/// "asio_fswatch PROGRAM", and what --quick means for the figures.
inline std::string heading_title(const char* program, bool quick) {
  return std::string("asio_fswatch ") + program + (quick ? " (--quick: tiny sizes, figures not meaningful)" : "");
}

/// The title, then the processors and the kernel.
inline void print_heading(const char* program, bool quick) {
  std::printf("## %s\n\n", heading_title(program, quick).c_str());
  for (const std::string& line : machine_lines())
    std::printf("- %s\n", line.c_str());
}

/// The build line.
inline void print_build_line() { std::printf("- %s\n", build_line().c_str()); }

/// What a sweep's CSV says of where it comes from: the program, the machine, the build, then
/// `more`.
inline std::vector<std::string> heading_lines(const char* program, bool quick, const std::vector<std::string>& more) {
  std::vector<std::string> lines{heading_title(program, quick)};
  for (const std::string& line : machine_lines())
    lines.push_back(line);
  lines.push_back(build_line());
  lines.insert(lines.end(), more.begin(), more.end());
  return lines;
}

/// The heading row of a table against the floor; `floor_title` names the floor's column.
inline void print_target_table_heading(std::FILE* out, const char* floor_title) {
  std::fprintf(out, "| scenario | metric | %s | asio_fswatch | ratio (ours/floor) | target |\n", floor_title);
  std::fprintf(out, "|---|---|---:|---:|---:|---|\n");
}

/// A row of that table; `target` is the target's text, and "—" when there is none.
inline void print_target_row(std::FILE* out, const std::string& scenario, const std::string& metric,
                             const std::string& floor_cell, const std::string& ours_cell,
                             std::optional<double> ratio, const std::string& target) {
  std::fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", scenario.c_str(), metric.c_str(), floor_cell.c_str(),
               ours_cell.c_str(), ratio ? (format(*ratio, 2) + "x").c_str() : "—", target.c_str());
}

/// A table without targets (the Windows benchmarks): each contender's median wall time, the rate
/// `work` / time with `rate_decimals` (as format_number), and its ratio to the first row's, the
/// floor's.
inline void print_floor_ratio_table(const char* const* names, const std::vector<std::vector<double>>& seconds,
                                    int repeat, const char* rate_title, double work, int rate_decimals = -1) {
  std::printf("| contender | wall time | %s | ratio to the floor |\n|---|---:|---:|---:|\n", rate_title);
  const std::optional<double> floor = median_of(seconds[0], repeat);
  for (std::size_t c = 0; c < seconds.size(); ++c) {
    const std::optional<double> s = median_of(seconds[c], repeat);
    const std::optional<double> rate = median_rate(seconds[c], repeat, work);
    std::printf("| %s | %s | %s | %s |\n", names[c], s ? (format(*s, 3) + " s").c_str() : "n/a",
                rate ? format_number(*rate, rate_decimals).c_str() : "n/a",
                s && floor && *floor > 0 ? (format(*s / *floor, 2) + "x").c_str() : "—");
  }
}

/// The figures of a sweep (one row per value of the swept parameter, one column per contender's
/// figure), printed as a Markdown table and written as CSV for scripts/plots.sh. A figure that a
/// run did not give is "n/a" in the table and NaN in the CSV, which gnuplot leaves out.
class sweep_table {
public:
  /// `columns`: the swept parameter's name, then each figure's name with its unit.
  explicit sweep_table(std::vector<std::string> columns) : columns_(std::move(columns)) {}

  void add_row(std::size_t parameter, const std::vector<std::optional<double>>& figures) {
    rows_.push_back({parameter, figures});
  }

  /// Prints the table on standard output and, when `csv_path` is not empty, writes it there
  /// with `comments` first, unless the sweep `failed`: a failed sweep leaves a plot's figures
  /// alone.
  void publish(const std::string& csv_path, bool failed, const std::vector<std::string>& comments) const {
    print_markdown(stdout);
    if (!csv_path.empty() && !failed)
      write_csv(csv_path, comments);
  }

private:
  void print_markdown(std::FILE* out) const {
    for (const std::string& column : columns_)
      std::fprintf(out, "| %s ", column.c_str());
    std::fprintf(out, "|\n|");
    for (std::size_t c = 0; c < columns_.size(); ++c)
      std::fprintf(out, "---:|");
    std::fprintf(out, "\n");
    for (const row& r : rows_) {
      std::fprintf(out, "| %s ", with_thousands(r.parameter).c_str());
      for (const std::optional<double>& figure : r.figures)
        std::fprintf(out, "| %s ", figure ? format_number(*figure).c_str() : "n/a");
      std::fprintf(out, "|\n");
    }
  }

  /// Writes `path`: `comments` as lines that begin with "# ", the column names, then the rows,
  /// full precision, no thousands separators. Throws when the file cannot be written.
  void write_csv(const std::string& path, const std::vector<std::string>& comments) const {
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (!out)
      throw_errno("cannot write", path);
    for (const std::string& comment : comments)
      std::fprintf(out, "# %s\n", comment.c_str());
    for (std::size_t c = 0; c < columns_.size(); ++c)
      std::fprintf(out, "%s\"%s\"", c ? "," : "", columns_[c].c_str());
    std::fprintf(out, "\n");
    for (const row& r : rows_) {
      std::fprintf(out, "%zu", r.parameter);
      for (const std::optional<double>& figure : r.figures)
        std::fprintf(out, ",%s", figure ? format(*figure, 6).c_str() : "NaN");
      std::fprintf(out, "\n");
    }
    const bool written = std::ferror(out) == 0;
    if (std::fclose(out) != 0 || !written)
      throw_errno("cannot write", path);
  }

  struct row {
    std::size_t parameter;
    std::vector<std::optional<double>> figures;
  };
  std::vector<std::string> columns_;
  std::vector<row> rows_;
};

/// What follows a target's text in its cell.
inline const char* verdict(bool missed) { return missed ? " — **MISSED**" : " — ok"; }

inline void print_missed_count(int missed, bool quick) {
  std::printf("\n%d row(s) miss their target.%s\n", missed,
              quick ? " (--quick: sizes too small for the figures to mean anything.)" : "");
}

/// A benchmark's main: the command line parsed (its usage and status 2 when it is not usable),
/// then the run, an exception becoming a message on standard error and status 1.
template <typename Parse, typename Usage, typename Run>
int run_main(const char* program, int argc, char** argv, Parse parse, Usage usage, Run run) {
  const auto cmd = parse(argc, argv);
  if (!cmd) {
    usage(stderr);
    return 2;
  }
  try {
    return run(*cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

/// The end of a report: the missed count (none for a report without targets: `missed` < 0), then
/// every failure as an ERROR line. Returns the program's exit status: 1 when something failed
/// (never because of a figure).
inline int finish_report(int missed, bool quick, const std::vector<std::string>& failures) {
  if (missed >= 0)
    print_missed_count(missed, quick);
  for (const std::string& failure : failures)
    std::printf("\nERROR: %s\n", failure.c_str());
  std::fflush(stdout);
  return failures.empty() ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// file_bench and file_bench_asio: the test file's blocks and the offsets read

constexpr std::size_t block_size = 4096;

/// Block offsets drawn from mt19937_64, whose output the standard fixes: file_bench and
/// file_bench_asio draw the same sequence from the same seed.
inline std::vector<std::uint64_t> make_offsets(std::uint64_t seed, std::size_t count, std::uint64_t blocks) {
  std::mt19937_64 random(seed);
  std::vector<std::uint64_t> offsets(count);
  for (std::uint64_t& offset : offsets)
    offset = (random() % blocks) * block_size;
  return offsets;
}

/// Every block of the test file begins with its own index: the index at the head of `block`.
inline std::uint64_t stored_index(const unsigned char* block) {
  std::uint64_t stored = 0;
  std::memcpy(&stored, block, sizeof stored);
  return stored;
}

} // namespace bench
