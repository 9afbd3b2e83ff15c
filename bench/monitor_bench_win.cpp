// SPDX-License-Identifier: BSL-1.0
// monitor_bench on Windows: directory_monitor (native backend: ReadDirectoryChangesW on the
// io_context's completion port) against raw ReadDirectoryChangesW floors in the same run:
// startup (add() of a tree), burst (files created in the watched directory: time to the last
// `created`, names lost, overflows), latency (a new file to its event). Markdown tables; never
// asserts on time; exit status not zero only when something went wrong (add() or a read failing,
// the monitor losing a name: it promises to lose none). Run under Wine by the Windows test step
// (--quick); Wine is not Windows (its ReadDirectoryChangesW is the wineserver's, on the host's
// inotify): no targets, only "it runs and the figures are sane". Linux: bench/monitor_bench.cpp.
#include <asio_fswatch/directory_monitor.hpp>

#include "bench_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>


namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using bench::format_number;
using bench::with_thousands;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

constexpr std::size_t burst_limit = 2000; // under Wine each new entry of a directory costs more
constexpr std::chrono::seconds lost_after{30};      // a name not reported by then is lost
constexpr std::chrono::milliseconds sample_gap{10}; // latency: a pause before each sample

constexpr DWORD share_all = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
constexpr DWORD raw_filter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME |
                             FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_SIZE;
constexpr std::size_t raw_buffer_bytes = 64 * 1024; // as the monitor's default change_buffer

const asio_fswatch::monitor_options native_backend{.backend = asio_fswatch::backend::native};

constexpr std::wstring_view burst_prefix = L"burst-";
constexpr std::wstring_view latency_prefix = L"latency-";
constexpr std::wstring_view probe_prefix = L"probe-";

struct command_line {
  bool quick = false;
  int repeat = 3;
  std::size_t dirs = 200;   // startup tree: directories ...
  std::size_t files = 10;   // ... of this many files each
  std::size_t burst = 1000; // files created in one directory
  std::size_t samples = 50; // latency
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: monitor_bench [--quick] [--repeat N] [--dirs N] [--files N] [--burst N] [--samples N]\n"
                    "  --quick       a 20 x 5 tree, a burst of 100, 10 samples, one run: checks that it runs\n"
                    "  --repeat N    run startup and burst N times (default 3); the tables show medians\n"
                    "  --dirs N      startup: directories of the tree (default 200) ...\n"
                    "  --files N     ... of N files each (default 10)\n"
                    "  --burst N     files created in the watched directory, at most 2,000 (default 1,000)\n"
                    "  --samples N   latency samples (default 50)\n");
}

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cmd;
  std::size_t repeat = 3, dirs = 0, files = 0, burst = 0, samples = 0; // 0: as --quick says
  const std::vector<bench::number_option> numbers = {
      {"--repeat", &repeat}, {"--dirs", &dirs}, {"--files", &files}, {"--burst", &burst}, {"--samples", &samples}};
  if (!bench::parse_options(argc, argv, numbers, cmd.quick, usage))
    return std::nullopt;
  if (burst > burst_limit) {
    std::fprintf(stderr, "--burst: at most %zu (Wine slows down with every file of a directory)\n", burst_limit);
    return std::nullopt;
  }
  cmd.repeat = cmd.quick ? 1 : int(std::min<std::size_t>(repeat, 1000));
  cmd.dirs = dirs ? dirs : cmd.quick ? 20 : 200;
  cmd.files = files ? files : cmd.quick ? 5 : 10;
  cmd.burst = burst ? burst : cmd.quick ? 100 : 1000;
  cmd.samples = samples ? samples : cmd.quick ? 10 : 50;
  return cmd;
}

double ms_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string text_of(const fs::path& p) { // UTF-8
  const auto utf8 = p.u8string();
  return std::string(utf8.begin(), utf8.end());
}

std::string win32_message(const std::string& what, DWORD error) {
  return what + ": " + error_code(int(error), boost::system::system_category()).message();
}

[[noreturn]] void throw_win32(const std::string& what) {
  throw std::runtime_error(win32_message(what, ::GetLastError()));
}

struct handle_closer {
  void operator()(HANDLE h) const noexcept {
    if (h != INVALID_HANDLE_VALUE)
      ::CloseHandle(h);
  }
};
using unique_handle = std::unique_ptr<void, handle_closer>;

bool valid(const unique_handle& h) noexcept { return h && h.get() != INVALID_HANDLE_VALUE; }

/// Creates the file `path`, which must not exist, holding `content`: 0, or the Win32 error.
DWORD make_file(const fs::path& path, std::string_view content = {}) {
  const unique_handle file(
      ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr));
  DWORD written = 0;
  if (!valid(file) || (!content.empty() && !::WriteFile(file.get(), content.data(), DWORD(content.size()),
                                                        &written, nullptr)))
    return ::GetLastError();
  return 0;
}

void create_file(const fs::path& path, std::string_view content = {}) {
  if (const DWORD error = make_file(path, content))
    throw std::runtime_error(win32_message("creating " + text_of(path), error));
}

std::wstring numbered(std::wstring_view prefix, std::size_t n) { return std::wstring(prefix) + std::to_wstring(n); }

/// The number after `prefix` in a name `numbered` made; none for any other name.
std::optional<std::size_t> index_in(std::wstring_view name, std::wstring_view prefix) {
  if (!name.starts_with(prefix) || name.size() == prefix.size() || name.size() > prefix.size() + 9 ||
      name.find_first_not_of(L"0123456789", prefix.size()) != name.npos)
    return std::nullopt;
  return std::stoul(std::wstring(name.substr(prefix.size())));
}

/// What a burst or latency run of one side gave.
struct outcome {
  std::optional<double> ms{}; // burst: first create to the last name reported (of those reported)
  std::vector<double> us{};   // latency: each sample's, sorted
  std::size_t lost = 0, overflows = 0;
  std::string failure{};
};

// ---------------------------------------------------------------------------------------------
// The reader of burst and latency
enum side { floor_side, monitor_side, side_count };

/// A change below the watched directory, on the reader's thread: whether it is a new name
/// (`created`, FILE_ACTION_ADDED), and the name. True wakes the thread in wait_until().
using change_handler = std::function<bool(bool added, std::wstring_view name)>;

/// A thread of its own for either side, so that both are timed alike. The floor: synchronous
/// ReadDirectoryChangesW calls on the directory's tree, 64 KiB buffer, the plain filter. The
/// monitor: its io_context, reading with async_read_events again and again, as users read.
class change_reader {
public:
  change_reader(side who, const fs::path& root, change_handler on_change)
      : root_(root), on_change_(std::move(on_change)), wake_(::CreateEventW(nullptr, FALSE, FALSE, nullptr)) {
    if (!valid(wake_))
      throw_win32("CreateEventW");
    if (who == monitor_side) {
      monitor_.emplace(io_.emplace(), native_backend);
      error_code ec;
      monitor_->add(root_, ec); // its first read starts before it returns: nothing made after is lost
      if (ec)
        throw std::runtime_error("add() failed: " + ec.message());
      read_monitor();
      thread_ = std::thread([this] { io_->run(); finish(); });
      return;
    }
    directory_.reset(::CreateFileW(root.c_str(), FILE_LIST_DIRECTORY, share_all, nullptr, OPEN_EXISTING,
                                   FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!valid(directory_))
      throw_win32("opening " + text_of(root));
    thread_ = std::thread([this] { read_raw(); });
    // Wine records a handle's changes only from its first read on, and a synchronous read
    // cannot say when it is pending: probe files until the thread reports one.
    const auto deadline = clock_type::now() + std::chrono::seconds(10);
    for (std::size_t probe = 0; !armed_ && !ended_ && clock_type::now() < deadline; ++probe) {
      make_file(root_ / numbered(probe_prefix, probe));
      wait_until(std::min(deadline, clock_type::now() + std::chrono::milliseconds(100)));
    }
    if (!armed_) {
      stop();
      throw std::runtime_error(failure_.empty() ? "the raw loop reported no probe file in 10 s" : failure_);
    }
  }
  ~change_reader() { stop(); } // not copyable: it holds a thread

  /// Waits until the handler asks for it, the reading thread ends, or `deadline`.
  void wait_until(clock_type::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now()).count();
    if (left > 0)
      ::WaitForSingleObject(wake_.get(), DWORD(left));
  }
  bool ended() const noexcept { return ended_; }

  /// Ends the reading thread; its overflows, and why a read failed (empty if none did).
  outcome stop() {
    if (thread_.joinable()) {
      stopping_ = true;
      if (monitor_)
        asio::post(*io_, [this] { monitor_->cancel(); });
      // A synchronous read returns only with a change (CancelSynchronousIo aside, which Wine
      // need not have): one more file, until the thread is gone.
      for (std::size_t wake_file = 0; !monitor_ && !ended_; ++wake_file) {
        if (wake_file == 100) {
          std::fprintf(stderr, "\nmonitor_bench: HANG: the raw ReadDirectoryChangesW loop does not end\n");
          std::_Exit(3);
        }
        make_file(root_ / numbered(L"wake-", wake_file)); // a failure ends as the hang above
        wait_until(clock_type::now() + std::chrono::milliseconds(100));
      }
      thread_.join();
    }
    return outcome{.overflows = overflows_, .failure = failure_};
  }

private:
  void read_monitor() {
    monitor_->async_read_events([this](const error_code& ec, std::vector<fs_event> events) {
      if (ec) {
        failure_ = stopping_ ? "" : "async_read_events failed: " + ec.message();
        return;
      }
      bool wanted = false;
      for (const fs_event& event : events) {
        overflows_ += event.kind == event_kind::overflow;
        wanted |= on_change_(event.kind == event_kind::created, event.path.filename().native());
      }
      if (wanted)
        ::SetEvent(wake_.get());
      if (!stopping_)
        read_monitor();
    });
  }

  void read_raw() {
    constexpr std::size_t header_bytes = offsetof(FILE_NOTIFY_INFORMATION, FileName);
    std::vector<DWORD> buffer(raw_buffer_bytes / 4); // DWORD-aligned, as the call requires
    while (!stopping_) {
      DWORD bytes = 0;
      const DWORD error = ::ReadDirectoryChangesW(directory_.get(), buffer.data(), DWORD(raw_buffer_bytes), TRUE,
                                                  raw_filter, &bytes, nullptr, nullptr) ? 0 : ::GetLastError();
      if (error && error != ERROR_NOTIFY_ENUM_DIR) {
        failure_ = stopping_ ? "" : win32_message("ReadDirectoryChangesW", error);
        break;
      }
      bytes = error ? 0 : bytes;
      overflows_ += bytes == 0; // more changed than the system's buffer for the handle held
      const auto* data = reinterpret_cast<const unsigned char*>(buffer.data());
      const std::size_t size = std::min<std::size_t>(bytes, raw_buffer_bytes);
      bool wanted = false;
      for (std::size_t offset = 0; offset + header_bytes <= size;) {
        // NextEntryOffset, Action, FileNameLength; copied out: Wine's records need not be aligned.
        DWORD header[3];
        std::memcpy(header, data + offset, sizeof header);
        std::wstring name(std::min<std::size_t>(header[2], size - offset - header_bytes) / 2, L'\0');
        std::memcpy(name.data(), data + offset + header_bytes, name.size() * sizeof(wchar_t));
        if (index_in(name, probe_prefix))
          wanted = armed_ = true;
        else
          wanted |= on_change_(header[1] == FILE_ACTION_ADDED, name);
        if (header[0] == 0)
          break;
        offset += header[0];
      }
      if (wanted)
        ::SetEvent(wake_.get());
    }
    finish();
  }

  void finish() {
    ended_ = true;
    ::SetEvent(wake_.get());
  }

  fs::path root_;
  change_handler on_change_;
  unique_handle wake_, directory_;
  std::optional<asio::io_context> io_;
  std::optional<asio_fswatch::directory_monitor> monitor_;
  std::atomic<bool> armed_{false}, stopping_{false}, ended_{false};
  std::size_t overflows_ = 0; // these two: the reading thread's until stop()
  std::string failure_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// Scenario 1: startup
/// The entries below `directory`, listed as the monitor lists them.
std::size_t walk(const std::wstring& directory) {
  WIN32_FIND_DATAW found;
  const HANDLE search = ::FindFirstFileExW((directory + L"\\*").c_str(), FindExInfoBasic, &found,
                                           FindExSearchNameMatch, nullptr, FIND_FIRST_EX_LARGE_FETCH);
  if (search == INVALID_HANDLE_VALUE)
    throw_win32("FindFirstFileExW " + text_of(directory));
  std::size_t entries = 0;
  do {
    const std::wstring_view name(found.cFileName);
    if (name == L"." || name == L"..")
      continue;
    ++entries;
    if ((found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !(found.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
      entries += walk(directory + L"\\" + std::wstring(name));
  } while (::FindNextFileW(search, &found));
  ::FindClose(search);
  return entries;
}

/// The floor: the root opened as a watcher opens it and one read issued (changes are recorded
/// from then on), then the tree walked; the read is cancelled after the clock stops.
double startup_floor(const fs::path& root, std::size_t expected) {
  std::vector<DWORD> buffer(raw_buffer_bytes / 4);
  const unique_handle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  OVERLAPPED overlapped{};
  overlapped.hEvent = event.get();
  const auto start = clock_type::now();
  const unique_handle directory(::CreateFileW(root.c_str(), FILE_LIST_DIRECTORY, share_all, nullptr, OPEN_EXISTING,
                                              FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr));
  if (!valid(directory))
    throw_win32("CreateFileW " + text_of(root));
  if (!::ReadDirectoryChangesW(directory.get(), buffer.data(), DWORD(raw_buffer_bytes), TRUE, raw_filter, nullptr,
                               &overlapped, nullptr))
    throw_win32("ReadDirectoryChangesW " + text_of(root));
  const std::size_t entries = walk(root.native());
  const auto end = clock_type::now();
  ::CancelIoEx(directory.get(), &overlapped);
  DWORD bytes = 0;
  ::GetOverlappedResult(directory.get(), &overlapped, &bytes, TRUE); // the buffer is ours again
  if (entries != expected)
    throw std::runtime_error("the walk found " + with_thousands(entries) + " entries, not " + with_thousands(expected));
  return ms_between(start, end);
}

/// add() of a new monitor (destroyed after the clock stops).
double startup_monitor(const fs::path& root) {
  asio::io_context io;
  asio_fswatch::directory_monitor monitor(io, native_backend);
  error_code ec;
  const auto start = clock_type::now();
  monitor.add(root, ec);
  const auto end = clock_type::now();
  if (ec)
    throw std::runtime_error("add() failed: " + ec.message());
  return ms_between(start, end);
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: burst. This thread writes; the reader notes when each name first comes.
outcome run_burst(side who, const fs::path& root, std::size_t count) {
  fs::create_directory(root);
  std::vector<char> seen(count, 0); // the reading thread's until stop()
  std::atomic<std::size_t> reported{0};
  clock_type::time_point last{};
  change_reader reader(who, root, [&](bool added, std::wstring_view name) {
    const std::optional<std::size_t> index = index_in(name, burst_prefix);
    if (!added || !index || *index >= count || seen[*index])
      return false;
    seen[*index] = 1;
    last = clock_type::now();
    return reported.fetch_add(1) + 1 == count;
  });
  const auto first = clock_type::now();
  for (std::size_t i = 0; i < count; ++i)
    create_file(root / numbered(burst_prefix, i));
  const auto give_up = clock_type::now() + lost_after;
  while (reported < count && !reader.ended() && clock_type::now() < give_up)
    reader.wait_until(give_up);
  outcome out = reader.stop();
  out.lost = count - reported;
  if (reported > 0)
    out.ms = ms_between(first, last);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scenario 3: latency. This thread makes each file and sleeps until the reader, at the first
// change naming it, wakes it.
outcome run_latency(side who, const fs::path& root, std::size_t samples) {
  fs::create_directory(root);
  std::atomic<long> expected{-1};
  change_reader reader(who, root, [&](bool, std::wstring_view name) {
    const std::optional<std::size_t> index = index_in(name, latency_prefix);
    long named = index ? long(*index) : -2;
    return index && expected.compare_exchange_strong(named, -1);
  });
  std::vector<double> us;
  for (std::size_t i = 0; i < samples && !reader.ended(); ++i) {
    std::this_thread::sleep_for(sample_gap);
    expected = long(i);
    const auto written = clock_type::now();
    create_file(root / numbered(latency_prefix, i), "sample");
    const auto give_up = clock_type::now() + lost_after;
    while (expected == long(i) && !reader.ended() && clock_type::now() < give_up)
      reader.wait_until(give_up);
    if (expected.exchange(-1) != long(i))
      us.push_back(1000 * ms_between(written, clock_type::now()));
  }
  outcome out = reader.stop();
  out.lost = samples - us.size(); // with those not taken: the reader ended
  std::sort(us.begin(), us.end());
  out.us = std::move(us);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The run and the report
const char* const startup_names[side_count] = {
    "CreateFileW + one ReadDirectoryChangesW + FindFirstFileExW walk (the floor)",
    "directory_monitor::add, native backend, a new monitor each run",
};
const char* const read_names[side_count] = {
    "synchronous ReadDirectoryChangesW loop in a thread, 64 KiB buffer (the floor)",
    "directory_monitor::async_read_events, native backend, io_context on a thread",
};

std::string cell(std::optional<double> value, const char* unit) {
  return value ? format_number(*value) + " " + unit : "n/a";
}

std::string ratio_cell(std::optional<double> ours, std::optional<double> floor) {
  return ours && floor && *floor > 0 ? bench::format(*ours / *floor, 2) + "x" : "—";
}

/// Per side: each counted run's time, the last run's latency samples, the worst run's figures.
struct figures {
  std::vector<double> ms[side_count], us[side_count];
  std::size_t lost[side_count] = {}, overflows[side_count] = {};
};

/// Runs both sides of a scenario, `warm_up` times uncounted and then `runs` times, each time
/// starting with another side. Failures, and a name the monitor lost, go to `failures`.
template <typename RunSide>
figures measure(const char* scenario, const char* const* names, int warm_up, int runs, RunSide run_side,
                std::vector<std::string>& failures) {
  figures f;
  for (int repetition = -warm_up; repetition < runs; ++repetition) {
    for (int k = 0; k < side_count; ++k) {
      const auto who = side((k + repetition + warm_up) % side_count);
      outcome out;
      try {
        out = run_side(who, repetition);
      } catch (const std::exception& e) {
        out.failure = e.what();
      }
      if (who == monitor_side && out.lost > 0 && out.failure.empty()) // it promises to lose none
        out.failure = with_thousands(out.lost) + " name(s) never reported";
      const std::string figure = out.us.empty() ? cell(out.ms, "ms") : "median " + cell(bench::median(out.us), "us");
      std::fprintf(stderr, "  %-8s %-80s %s, %zu lost, %zu overflow(s)\n", scenario, names[who], figure.c_str(),
                   out.lost, out.overflows);
      if (const std::string failure = std::string(scenario) + ", " + names[who] + ": " + out.failure;
          !out.failure.empty() && std::find(failures.begin(), failures.end(), failure) == failures.end())
        failures.push_back(failure);
      if (repetition < 0)
        continue;
      if (out.ms)
        f.ms[who].push_back(*out.ms);
      f.us[who] = std::move(out.us);
      f.lost[who] = std::max(f.lost[who], out.lost);
      f.overflows[who] = std::max(f.overflows[who], out.overflows);
    }
  }
  return f;
}

int run(const command_line& cmd) {
  fs::path dir;
  for (std::random_device entropy; dir.empty() || !fs::create_directory(dir);) // a name of our own
    dir = fs::temp_directory_path() / ("asio_fswatch-monitor_bench-" + std::to_string(::GetCurrentProcessId()) +
                                       "-" + std::to_string(entropy()));
  struct remove_at_end {
    fs::path dir;
    ~remove_at_end() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};
  std::vector<std::string> failures;

  // Startup; a first run of each side, not counted, brings the tree into the cache.
  const fs::path tree = dir / "tree";
  const std::size_t entries = cmd.dirs * (cmd.files + 1);
  for (std::size_t d = 0; d < cmd.dirs; ++d) {
    fs::create_directories(tree / ("d" + std::to_string(d)));
    for (std::size_t f = 0; f < cmd.files; ++f)
      create_file(tree / ("d" + std::to_string(d)) / ("f" + std::to_string(f)));
  }
  const figures startup = measure(
      "startup", startup_names, 1, cmd.repeat,
      [&](side who, int) {
        return outcome{.ms = who == floor_side ? startup_floor(tree, entries) : startup_monitor(tree)};
      },
      failures);
  // Burst, each run in a directory of its own; latency, once.
  const figures burst = measure(
      "burst", read_names, 0, cmd.repeat,
      [&](side who, int repetition) {
        return run_burst(who, dir / ("burst-" + std::to_string(repetition) + "-" + std::to_string(who)), cmd.burst);
      },
      failures);
  const figures latency = measure(
      "latency", read_names, 0, 1,
      [&](side who, int) { return run_latency(who, dir / ("latency-" + std::to_string(who)), cmd.samples); },
      failures);

  bench::print_heading("monitor_bench (Windows)", cmd.quick);
  // Through void(*)(), which any function pointer type may be cast to and from.
  const auto wine = reinterpret_cast<const char* (*)()>(
      reinterpret_cast<void (*)()>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version")));
  if (wine)
    std::printf("- no targets: this runs under Wine %s, and Wine is not Windows (its ReadDirectoryChangesW is the "
                "wineserver's, on the host's inotify); the tables show that every contender runs and how it "
                "compares with the floor measured in the same run\n", wine());
  else
    std::printf("- no targets: the tables show how every contender compares with the floor measured in the same run\n");
  std::printf("- startup tree: %s directories x %s files; burst: %s empty files created in the watched directory "
              "by the main thread; latency: %s samples, a new file each, %lld ms apart; both readers run on a "
              "thread of their own and wake the main thread\n",
              with_thousands(cmd.dirs).c_str(), with_thousands(cmd.files).c_str(), with_thousands(cmd.burst).c_str(),
              with_thousands(cmd.samples).c_str(), static_cast<long long>(sample_gap.count()));
  bench::print_build_line();
  const std::string runs = cmd.repeat > 1 ? " (median of " + std::to_string(cmd.repeat) + " runs" : "";

  std::printf("\n### Startup: add() of a tree of %s entries%s\n\n", with_thousands(entries).c_str(),
              runs.empty() ? "" : (runs + ")").c_str());
  std::printf("| contender | time | ratio to the floor |\n|---|---:|---:|\n");
  for (int who = 0; who < side_count; ++who) {
    const std::optional<double> ms = bench::median_of(startup.ms[who], cmd.repeat);
    std::printf("| %s | %s | %s |\n", startup_names[who], cell(ms, "ms").c_str(),
                ratio_cell(ms, bench::median_of(startup.ms[floor_side], cmd.repeat)).c_str());
  }

  std::printf("\n### Burst: %s files created in the watched directory%s\n\n", with_thousands(cmd.burst).c_str(),
              runs.empty() ? "" : (runs + "; lost and overflows: the worst run)").c_str());
  std::printf("| contender | first create to last `created` | events/s | lost | overflows | ratio to the floor |\n"
              "|---|---:|---:|---:|---:|---:|\n");
  for (int who = 0; who < side_count; ++who) {
    const std::optional<double> ms = bench::median_of(burst.ms[who], cmd.repeat);
    const double reported = double(cmd.burst - burst.lost[who]);
    std::printf("| %s | %s | %s | %s | %s | %s |\n", read_names[who], cell(ms, "ms").c_str(),
                ms && *ms > 0 ? format_number(1000 * reported / *ms, 0).c_str() : "n/a",
                with_thousands(burst.lost[who]).c_str(), with_thousands(burst.overflows[who]).c_str(),
                ratio_cell(ms, bench::median_of(burst.ms[floor_side], cmd.repeat)).c_str());
  }

  std::printf("\n### Latency: a new file to its first event, %s samples\n\n", with_thousands(cmd.samples).c_str());
  std::printf("| contender | median | p90 | lost | ratio of medians to the floor |\n|---|---:|---:|---:|---:|\n");
  auto latency_at = [&](int who, double p) -> std::optional<double> {
    const std::vector<double>& us = latency.us[who];
    return us.empty() ? std::nullopt : std::optional(p == 50 ? bench::median(us) : bench::percentile(us, p));
  };
  for (int who = 0; who < side_count; ++who)
    std::printf("| %s | %s | %s | %s | %s |\n", read_names[who], cell(latency_at(who, 50), "µs").c_str(),
                cell(latency_at(who, 90), "µs").c_str(), with_thousands(latency.lost[who]).c_str(),
                ratio_cell(latency_at(who, 50), latency_at(floor_side, 50)).c_str());
  return bench::finish_report(-1, cmd.quick, failures); // no targets under Wine
}

} // namespace

int main(int argc, char** argv) {
  return bench::run_main("monitor_bench", argc, argv, parse_command_line, usage, run);
}
