// SPDX-License-Identifier: BSL-1.0
// asio-fswatch run: its options, read from the command line.
#ifndef ASIO_FSWATCH_TOOL_RUN_OPTIONS_HPP
#define ASIO_FSWATCH_TOOL_RUN_OPTIONS_HPP

#include <asio_fswatch/detail/config.hpp>
#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asio_fswatch::tool {

/// What a change does while COMMAND runs (--on-busy-update, as watchexec has it).
enum class busy_update { restart, queue, signal, do_nothing };

/// The bit of `kind` in run_settings::fs_events.
constexpr std::uint32_t kind_bit(event_kind kind) noexcept { return 1u << static_cast<unsigned>(kind); }

/// What restarts COMMAND by default: every change but one of attributes alone (a `touch` of a
/// file, a chmod), which --fs-events can add. An overflow always does.
inline constexpr std::uint32_t default_fs_events = kind_bit(event_kind::created) | kind_bit(event_kind::removed) |
                                                   kind_bit(event_kind::modified) | kind_bit(event_kind::renamed) |
                                                   kind_bit(event_kind::exchanged) | kind_bit(event_kind::overflow);

struct run_settings {
  std::vector<std::string> paths;
  watch_options options;
  monitor_options monitor;                     // --backend, --poll-interval
  std::uint32_t fs_events = default_fs_events; // --fs-events: the kinds that count as changes
  bool fs_events_given = false;
  std::vector<std::string> extensions; // --ext with --include: checked apart ("cpp"), both must match
  std::chrono::milliseconds debounce{100};
  std::chrono::milliseconds grace{2000};
#if defined(ASIO_FSWATCH_HAS_SIGNALS)
  int stop_signal = SIGTERM;
  int busy_signal = 0; // --on-busy-update signal: --busy-signal, else stop_signal
#endif
  busy_update on_busy = busy_update::restart;
  bool postpone = false;
  bool clear = false;
  bool exit_on_success = false;
  bool default_ignores = true;
  bool ignore_files = true; // .gitignore and .ignore honoured (--no-ignore-files: not)
  bool shell = false;       // --shell: COMMAND's words are a command line for sh -c (cmd /c)
  std::vector<std::string> command;
};

/// Reads `args` into `out`. Returns an exit code when the command line is not usable or asked
/// for help (printed).
std::optional<int> parse_run_options(const std::vector<std::string>& args, run_settings& out);

/// `text` (a name or a path) as status lines show it: escaped as `watch` escapes paths, so that
/// a name cannot add a line, or reach the terminal as an escape sequence.
std::string escaped(std::string_view text);

} // namespace asio_fswatch::tool

#endif
