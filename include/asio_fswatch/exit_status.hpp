// asio_fswatch: how a child process ended.
#ifndef ASIO_FSWATCH_EXIT_STATUS_HPP
#define ASIO_FSWATCH_EXIT_STATUS_HPP

#include <cstdint>
#include <iosfwd>
#include <string>

namespace asio_fswatch {

/// How a process ended: it exited with a code, or a signal killed it (perhaps dumping core); or
/// "no status", what a default-constructed exit_status holds and what every operation passes
/// beside an error. The endings are kept apart: a child killed by SIGTERM is not "exit code
/// 143", and no status is neither success nor any code, so code that ignores the error_code
/// does not take a failed wait for a success.
class exit_status {
public:
  /// A normal exit with `code` (0 to 255).
  static constexpr exit_status exited_with(int code) noexcept { return exit_status(ending::exited, code, false); }
  /// Killed by `signal`.
  static constexpr exit_status killed_by(int signal, bool core_dumped = false) noexcept {
    return exit_status(ending::killed, signal, core_dumped);
  }

  /// No status: the process has not been seen to end (the operation failed or was cancelled).
  constexpr exit_status() noexcept = default;

  /// The process ended (it exited or was killed); false for no status.
  constexpr bool has_value() const noexcept { return ending_ != ending::none; }

  constexpr bool exited() const noexcept { return ending_ == ending::exited; }
  /// The exit code; -1 when the process was killed by a signal, or for no status.
  constexpr int code() const noexcept { return exited() ? value_ : -1; }
  constexpr bool killed() const noexcept { return ending_ == ending::killed; }
  /// The signal that killed the process; 0 when it exited, or for no status.
  constexpr int signal() const noexcept { return killed() ? value_ : 0; }
  constexpr bool core_dumped() const noexcept { return core_dumped_; }
  /// Exited with code 0 (false for no status).
  constexpr bool success() const noexcept { return exited() && value_ == 0; }

  /// "exited with code 3", "killed by signal 9 (SIGKILL)", "killed by signal 11 (SIGSEGV),
  /// core dumped", "no status".
  std::string to_string() const;

  /// What a shell reports as `$?`: the code, or 128 + the signal; -1 for no status (which no
  /// shell reports: check has_value() before passing it to exit()).
  constexpr int shell_code() const noexcept { return killed() ? 128 + value_ : code(); }

  friend constexpr bool operator==(const exit_status& a, const exit_status& b) noexcept {
    return a.ending_ == b.ending_ && a.value_ == b.value_ && a.core_dumped_ == b.core_dumped_;
  }
  friend constexpr bool operator!=(const exit_status& a, const exit_status& b) noexcept { return !(a == b); }

private:
  enum class ending : unsigned char { none, exited, killed };

  constexpr exit_status(ending how, int value, bool core_dumped) noexcept
      : ending_(how), core_dumped_(core_dumped), value_(value) {}

  ending ending_ = ending::none;
  bool core_dumped_ = false;
  int value_ = 0;
};

/// Writes to_string().
std::ostream& operator<<(std::ostream& out, const exit_status& status);

} // namespace asio_fswatch

#endif
