// SPDX-License-Identifier: BSL-1.0
// Test support: whether a process (by id) still runs, on every platform, and a bounded wait for
// its end. A zombie counts as ended: it is its parent's (or a subreaper's) to reap.
#ifndef ASIO_FSWATCH_TEST_COMMON_PROCESS_ALIVE_HPP
#define ASIO_FSWATCH_TEST_COMMON_PROCESS_ALIVE_HPP

#include <chrono>
#include <thread>

#if defined(_WIN32)
#include <windows.h>
#else
#include <common/process_list.hpp>
#endif

namespace asio_fswatch::test {

/// Whether the process `pid` is still running.
inline bool running(unsigned long pid) {
#if defined(_WIN32)
  HANDLE h = ::OpenProcess(SYNCHRONIZE, FALSE, DWORD(pid));
  if (!h)
    return false;
  const bool alive = ::WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  ::CloseHandle(h);
  return alive;
#else
  return process_list::alive(pid_t(pid));
#endif
}

/// Waits (30 s at most) until `pid` has ended; whether it has.
inline bool ends_soon(unsigned long pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (running(pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !running(pid);
}

} // namespace asio_fswatch::test

#endif
