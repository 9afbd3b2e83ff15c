// SPDX-License-Identifier: BSL-1.0
// A small program for the children tests, on every platform: what it does is chosen by argv.
//   child_helper exit N     exits with N (on Windows any 32-bit value, 0x... accepted)
//   child_helper crash      writes through a null pointer (SIGSEGV on POSIX, without a core
//                           dump; exception 0xC0000005 on Windows)
//   child_helper sleep      sleeps for 10 minutes: tests end it long before
//   child_helper print T    writes T and a newline to stdout, exits with 0
//   child_helper echo       copies stdin to stdout, line by line, until the end of stdin,
//                           exits with 0
//   child_helper grandchild starts `child_helper sleep`, writes its pid and a newline to
//                           stdout, then sleeps for 10 minutes
//   child_helper report     as a command of `asio-fswatch run`: writes "start COUNT PID PATHS"
//                           and a newline to stdout, where COUNT is ASIO_FSWATCH_CHANGED_COUNT
//                           and PATHS the list in ASIO_FSWATCH_CHANGED_PATHS_FILE with '|' for
//                           each NUL ("(no list)" without the variable, "(unreadable)" when
//                           the file cannot be read); then sleeps for 10 minutes
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace {

/// Starts this program with "sleep"; its pid, or 0.
unsigned long start_sleeper(const char* self) {
#if defined(_WIN32)
  (void)self;
  wchar_t path[32768];
  const DWORD n = ::GetModuleFileNameW(nullptr, path, DWORD(sizeof path / sizeof path[0]));
  if (n == 0)
    return 0;
  std::wstring command = L"\"" + std::wstring(path, n) + L"\" sleep";
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION started{};
  if (!::CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &startup, &started))
    return 0;
  ::CloseHandle(started.hThread);
  ::CloseHandle(started.hProcess);
  return started.dwProcessId;
#else
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(self, self, "sleep", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid > 0 ? static_cast<unsigned long>(pid) : 0;
#endif
}

unsigned long own_pid() {
#if defined(_WIN32)
  return ::GetCurrentProcessId();
#else
  return static_cast<unsigned long>(::getpid());
#endif
}

/// What `asio-fswatch run` tells its command, on one line.
std::string report() {
  const char* count = std::getenv("ASIO_FSWATCH_CHANGED_COUNT");
  std::string line = "start " + std::string(count ? count : "?") + ' ' + std::to_string(own_pid()) + ' ';
#if defined(_WIN32)
  const wchar_t* file = ::_wgetenv(L"ASIO_FSWATCH_CHANGED_PATHS_FILE");
#else
  const char* file = std::getenv("ASIO_FSWATCH_CHANGED_PATHS_FILE");
#endif
  if (!file)
    return line + "(no list)";
  std::ifstream in(std::filesystem::path(file), std::ios::binary);
  if (!in)
    return line + "(unreadable)";
  std::string paths((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : paths)
    if (c == '\0')
      c = '|';
  return line + paths;
}

} // namespace

int main(int argc, char** argv) {
#if defined(_WIN32)
  // Bytes as they are: no "\r\n" for "\n" (the tests compare what comes through the pipes).
  ::_setmode(::_fileno(stdin), _O_BINARY);
  ::_setmode(::_fileno(stdout), _O_BINARY);
#endif
  if (argc == 3 && std::strcmp(argv[1], "exit") == 0) {
    const unsigned long code = std::strtoul(argv[2], nullptr, 0);
#if defined(_WIN32)
    ::ExitProcess(static_cast<UINT>(code));
#else
    std::exit(static_cast<int>(code));
#endif
  }
  if (argc == 2 && std::strcmp(argv[1], "crash") == 0) {
#if !defined(_WIN32)
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
#endif
    volatile int* nowhere = nullptr;
    *nowhere = 1;
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "sleep") == 0) {
    std::this_thread::sleep_for(std::chrono::minutes(10));
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "print") == 0) {
    std::printf("%s\n", argv[2]);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "echo") == 0) {
    int c;
    while ((c = std::getchar()) != EOF) {
      std::putchar(c);
      if (c == '\n')
        std::fflush(stdout); // a line is passed on at once, also into a pipe
    }
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "grandchild") == 0) {
    std::printf("%lu\n", start_sleeper(argv[0]));
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::minutes(10));
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "report") == 0) {
    std::printf("%s\n", report().c_str());
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::minutes(10));
    return 0;
  }
  std::fprintf(stderr, "usage: child_helper exit N | crash | sleep | print T | echo | grandchild | report\n");
  return 2;
}
