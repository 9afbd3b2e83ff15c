// asio_fswatch: how basic_supervised_process starts its command.
#ifndef ASIO_FSWATCH_PROCESS_OPTIONS_HPP
#define ASIO_FSWATCH_PROCESS_OPTIONS_HPP

#include <asio_fswatch/child_options.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace asio_fswatch {

/// What one of the child's standard streams is connected to.
enum class stdio_mode {
  inherit, ///< this process's stream
  null,    ///< /dev/null
  pipe,    ///< a pipe, whose other end the supervised process offers (stdin_pipe(), ...)
};

struct process_options {
  /// The child's working directory; empty: this process's.
  std::filesystem::path working_directory;
  /// Variables set in the child's environment, over this process's environment. A name given
  /// twice takes the last value.
  std::vector<std::pair<std::string, std::string>> environment;
  stdio_mode stdin_mode = stdio_mode::inherit;
  stdio_mode stdout_mode = stdio_mode::inherit;
  stdio_mode stderr_mode = stdio_mode::inherit;
  /// How the exit of the child is waited for.
  child_watcher_options watcher;
};

} // namespace asio_fswatch

#endif
