// SPDX-License-Identifier: BSL-1.0
// asio-fswatch watch: its options, read from the command line (inotifywait's among them).
#ifndef ASIO_FSWATCH_TOOL_WATCH_SETTINGS_HPP
#define ASIO_FSWATCH_TOOL_WATCH_SETTINGS_HPP

#include "path_regex.hpp"

#include <asio_fswatch/detail/inotifywait_format.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asio_fswatch::tool {

struct watch_settings {
  bool json = false;
  watch_options options;
  monitor_options monitor;
  std::vector<std::string> paths;
  // inotifywait's options.
  std::optional<std::string> format; // --format, or %w%f for -0 alone, or -c's
  bool csv = false;                  // -c
  std::string timefmt = "%H:%M:%S";
  std::string terminator = "\n"; // -0: a NUL; --no-newline: none
  bool quiet = false;
  bool silent = false; // -qq: not even the events
  bool null_given = false;
  bool one_shot = false;
  std::uint32_t events = detail::iw_all; // -e
  bool events_given = false;
  std::optional<std::chrono::seconds> timeout;
  bool settle_given = false;
  path_regex_filter regex; // --exclude-regex, --include-regex, --excludei, --includei
  std::vector<std::string> excluded; // inotifywait's @PATH: neither watched nor reported
};

/// Reads `args` into `out`. Returns an exit code when the command line is not usable or asked
/// for help (printed).
std::optional<int> parse_watch_settings(const std::vector<std::string>& args, watch_settings& out);

} // namespace asio_fswatch::tool

#endif
