// A small program for the children tests, on every platform: what it does is chosen by argv.
//   child_helper exit N     exits with N (on Windows any 32-bit value, 0x... accepted)
//   child_helper crash      writes through a null pointer (SIGSEGV on POSIX, without a core
//                           dump; exception 0xC0000005 on Windows)
//   child_helper sleep      sleeps for 10 minutes: tests end it long before
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/resource.h>
#endif

int main(int argc, char** argv) {
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
  std::fprintf(stderr, "usage: child_helper exit N | crash | sleep\n");
  return 2;
}
