// asio_fswatch: how a child process ended.
#ifndef ASIO_FSWATCH_EXIT_STATUS_HPP
#define ASIO_FSWATCH_EXIT_STATUS_HPP

#include <cstdint>
#include <iosfwd>
#include <string>

namespace asio_fswatch {

/// How a process ended: it exited with a code, or a signal killed it (perhaps dumping core).
/// The two are kept apart: a child killed by SIGTERM is not "exit code 143".
class exit_status {
public:
  /// A normal exit with `code` (0 to 255).
  static constexpr exit_status exited_with(int code) noexcept { return exit_status(false, code, false); }
  /// Killed by `signal`.
  static constexpr exit_status killed_by(int signal, bool core_dumped = false) noexcept {
    return exit_status(true, signal, core_dumped);
  }

  constexpr exit_status() noexcept = default; // exited with code 0

  constexpr bool exited() const noexcept { return !killed_; }
  /// The exit code; -1 when the process was killed by a signal.
  constexpr int code() const noexcept { return killed_ ? -1 : value_; }
  constexpr bool killed() const noexcept { return killed_; }
  /// The signal that killed the process; 0 when it exited.
  constexpr int signal() const noexcept { return killed_ ? value_ : 0; }
  constexpr bool core_dumped() const noexcept { return core_dumped_; }
  /// Exited with code 0.
  constexpr bool success() const noexcept { return !killed_ && value_ == 0; }

  /// "exited with code 3", "killed by signal 9 (SIGKILL)", "killed by signal 11 (SIGSEGV),
  /// core dumped".
  std::string to_string() const;

  /// What a shell reports as `$?`: the code, or 128 + the signal.
  constexpr int shell_code() const noexcept { return killed_ ? 128 + value_ : value_; }

  friend constexpr bool operator==(const exit_status& a, const exit_status& b) noexcept {
    return a.killed_ == b.killed_ && a.value_ == b.value_ && a.core_dumped_ == b.core_dumped_;
  }
  friend constexpr bool operator!=(const exit_status& a, const exit_status& b) noexcept { return !(a == b); }

private:
  constexpr exit_status(bool killed, int value, bool core_dumped) noexcept
      : killed_(killed), core_dumped_(core_dumped), value_(value) {}

  bool killed_ = false;
  bool core_dumped_ = false;
  int value_ = 0;
};

/// Writes to_string().
std::ostream& operator<<(std::ostream& out, const exit_status& status);

} // namespace asio_fswatch

#endif
