// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: how a child process ended.
#ifndef ASIO_FSWATCH_EXIT_STATUS_HPP
#define ASIO_FSWATCH_EXIT_STATUS_HPP

#include <asio_fswatch/detail/config.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>

namespace asio_fswatch {

/// How a process ended: it exited with a code; a signal killed it, perhaps dumping core (POSIX);
/// an unhandled exception ended it (Windows: the NTSTATUS code that the system gives as its exit
/// code, 0xC0000005 for an access violation, ...); or "no status", what a default-constructed
/// exit_status holds and what every operation passes beside an error. The endings are kept
/// apart: a child killed by SIGTERM is not "exit code 143", a crash on Windows is not "exit code
/// -1073741819", and no status is neither success nor any code, so code that ignores the
/// error_code does not take a failed wait for a success.
class ASIO_FSWATCH_DECL exit_status {
public:
  /// A normal exit with `code` (0 to 255 on POSIX; on Windows any 32-bit value, as an int).
  static constexpr exit_status exited_with(int code) noexcept { return exit_status(ending::exited, code, false); }
  /// Killed by `signal`.
  static constexpr exit_status killed_by(int signal, bool core_dumped = false) noexcept {
    return exit_status(ending::killed, signal, core_dumped);
  }

  /// Ended by an unhandled exception whose code (an NTSTATUS) the system gave as the exit code.
  static constexpr exit_status ended_by_exception(std::uint32_t code) noexcept {
    return exit_status(ending::exception, static_cast<int>(code), false);
  }
  /// A Windows exit code as an exit_status. An NTSTATUS of severity "error" (the top two bits
  /// set, the reserved bit 28 clear: 0xC0000000 to 0xCFFFFFFF, and 0xE0000000 to 0xEFFFFFFF for
  /// the codes programs raise) or one of the debugger's warnings 0x80000002 to 0x80000004
  /// (misaligned data, a breakpoint, a single step) is ended_by_exception; any other value,
  /// including small negative codes such as exit(-1)'s 0xFFFFFFFF, is exited_with. A program may
  /// exit with such a status itself (ExitProcess(0xC0000005)); it is then taken for a crash, as
  /// every Windows tool takes it.
  static constexpr exit_status from_windows_exit_code(std::uint32_t code) noexcept {
    const bool error_status = (code & 0xD0000000u) == 0xC0000000u;
    const bool debugger_warning = code >= 0x80000002u && code <= 0x80000004u;
    return error_status || debugger_warning ? ended_by_exception(code) : exited_with(static_cast<int>(code));
  }

  /// No status: the process has not been seen to end (the operation failed or was cancelled).
  constexpr exit_status() noexcept = default;

  /// The process ended (it exited, was killed or met an exception); false for no status.
  constexpr bool has_value() const noexcept { return ending_ != ending::none; }

  /// The process exited normally (exited_with); code() is its exit code.
  constexpr bool exited() const noexcept { return ending_ == ending::exited; }
  /// The exit code; -1 when the process was killed by a signal or ended by an exception, or for
  /// no status.
  constexpr int code() const noexcept { return exited() ? value_ : -1; }
  /// A signal killed the process (POSIX); signal() says which.
  constexpr bool killed() const noexcept { return ending_ == ending::killed; }
  /// The signal that killed the process; 0 when it exited, or for no status.
  constexpr int signal() const noexcept { return killed() ? value_ : 0; }
  /// A signal killed the process and it dumped core (POSIX); false for any other ending.
  constexpr bool core_dumped() const noexcept { return core_dumped_; }
  /// Ended by an unhandled exception (Windows).
  constexpr bool exception() const noexcept { return ending_ == ending::exception; }
  /// The exception's code, an NTSTATUS (0xC0000005, ...); 0 for any other ending. (Not named
  /// exception_code: Windows headers define that name as a macro.)
  constexpr std::uint32_t ntstatus() const noexcept {
    return exception() ? static_cast<std::uint32_t>(value_) : 0;
  }
  /// Exited with code 0 (false for no status).
  constexpr bool success() const noexcept { return exited() && value_ == 0; }

  /// "exited with code 3", "killed by signal 9 (SIGKILL)", "killed by signal 11 (SIGSEGV),
  /// core dumped", "ended by exception 0xC0000005 (access violation)", "no status".
  std::string to_string() const;

  /// What a shell reports as `$?`: the code, or 128 + the signal; for an exception, its code as
  /// cmd.exe's %ERRORLEVEL% shows it (a negative int); -1 for no status (which no shell
  /// reports: check has_value() before passing it to exit()).
  constexpr int shell_code() const noexcept {
    return killed() ? 128 + value_ : exception() ? value_ : code();
  }

  /// The same ending with the same code, signal (and core dump) or NTSTATUS; two "no status"
  /// values are equal.
  friend constexpr bool operator==(const exit_status& a, const exit_status& b) noexcept {
    return a.ending_ == b.ending_ && a.value_ == b.value_ && a.core_dumped_ == b.core_dumped_;
  }
  /// The negation of operator==.
  friend constexpr bool operator!=(const exit_status& a, const exit_status& b) noexcept { return !(a == b); }

private:
  enum class ending : unsigned char { none, exited, killed, exception };

  constexpr exit_status(ending how, int value, bool core_dumped) noexcept
      : ending_(how), core_dumped_(core_dumped), value_(value) {}

  ending ending_ = ending::none;
  bool core_dumped_ = false;
  int value_ = 0;
};

/// Writes to_string().
ASIO_FSWATCH_DECL std::ostream& operator<<(std::ostream& out, const exit_status& status);

} // namespace asio_fswatch

#endif
