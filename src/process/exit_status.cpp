// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/exit_status.hpp>

#include <csignal>
#include <cstdio>
#include <ostream>

namespace asio_fswatch {
namespace {

/// The usual name of `signal` ("SIGKILL"), from the signals this system defines; null for one
/// without a name here.
const char* signal_name(int signal) noexcept {
  struct named {
    int number;
    const char* name;
  };
  static const named names[] = {
#define ASIO_FSWATCH_SIGNAL(name) {name, #name},
      ASIO_FSWATCH_SIGNAL(SIGABRT) ASIO_FSWATCH_SIGNAL(SIGFPE) ASIO_FSWATCH_SIGNAL(SIGILL)
      ASIO_FSWATCH_SIGNAL(SIGINT) ASIO_FSWATCH_SIGNAL(SIGSEGV) ASIO_FSWATCH_SIGNAL(SIGTERM)
#if defined(SIGKILL)
      ASIO_FSWATCH_SIGNAL(SIGHUP) ASIO_FSWATCH_SIGNAL(SIGQUIT) ASIO_FSWATCH_SIGNAL(SIGTRAP)
      ASIO_FSWATCH_SIGNAL(SIGBUS) ASIO_FSWATCH_SIGNAL(SIGKILL) ASIO_FSWATCH_SIGNAL(SIGUSR1)
      ASIO_FSWATCH_SIGNAL(SIGUSR2) ASIO_FSWATCH_SIGNAL(SIGPIPE) ASIO_FSWATCH_SIGNAL(SIGALRM)
      ASIO_FSWATCH_SIGNAL(SIGCHLD) ASIO_FSWATCH_SIGNAL(SIGCONT) ASIO_FSWATCH_SIGNAL(SIGSTOP)
      ASIO_FSWATCH_SIGNAL(SIGTSTP) ASIO_FSWATCH_SIGNAL(SIGTTIN) ASIO_FSWATCH_SIGNAL(SIGTTOU)
      ASIO_FSWATCH_SIGNAL(SIGURG) ASIO_FSWATCH_SIGNAL(SIGXCPU) ASIO_FSWATCH_SIGNAL(SIGXFSZ)
      ASIO_FSWATCH_SIGNAL(SIGVTALRM) ASIO_FSWATCH_SIGNAL(SIGPROF) ASIO_FSWATCH_SIGNAL(SIGSYS)
#endif
#if defined(SIGWINCH)
      ASIO_FSWATCH_SIGNAL(SIGWINCH)
#endif
#if defined(SIGIO)
      ASIO_FSWATCH_SIGNAL(SIGIO)
#endif
#if defined(SIGPWR)
      ASIO_FSWATCH_SIGNAL(SIGPWR)
#endif
#if defined(SIGSTKFLT)
      ASIO_FSWATCH_SIGNAL(SIGSTKFLT)
#endif
#undef ASIO_FSWATCH_SIGNAL
  };
  for (const named& n : names)
    if (n.number == signal)
      return n.name;
  return nullptr;
}

/// What the exceptions that end programs most often are called.
const char* exception_name(std::uint32_t code) noexcept {
  switch (code) {
  case 0x80000002u: return "misaligned data";
  case 0x80000003u: return "breakpoint";
  case 0x80000004u: return "single step";
  case 0xC0000005u: return "access violation";
  case 0xC0000006u: return "in-page error";
  case 0xC0000017u: return "out of memory";
  case 0xC000001Du: return "illegal instruction";
  case 0xC000008Eu: return "floating-point division by zero";
  case 0xC0000094u: return "integer division by zero";
  case 0xC0000095u: return "integer overflow";
  case 0xC0000096u: return "privileged instruction";
  case 0xC00000FDu: return "stack overflow";
  case 0xC0000135u: return "DLL not found";
  case 0xC0000139u: return "entry point not found";
  case 0xC0000142u: return "DLL initialization failed";
  case 0xC000013Au: return "Ctrl+C";
  case 0xC0000374u: return "heap corruption";
  case 0xC0000409u: return "stack buffer overrun or fail-fast";
  case 0xC0000417u: return "invalid parameter to the C runtime";
  default: return nullptr;
  }
}

} // namespace

std::string exit_status::to_string() const {
  if (!has_value())
    return "no status";
  if (exited())
    return "exited with code " + std::to_string(value_);
  if (exception()) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(ntstatus()));
    std::string text = std::string("ended by exception ") + hex;
    if (const char* name = exception_name(ntstatus()))
      text += std::string(" (") + name + ")";
    return text;
  }
  std::string text = "killed by signal " + std::to_string(value_);
  if (const char* name = signal_name(value_))
    text += std::string(" (") + name + ")";
  if (core_dumped_)
    text += ", core dumped";
  return text;
}

std::ostream& operator<<(std::ostream& out, const exit_status& status) { return out << status.to_string(); }

std::ostream& operator<<(std::ostream& out, child_backend backend) {
  return out << to_string(backend);
}

} // namespace asio_fswatch
