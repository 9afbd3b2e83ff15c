// SPDX-License-Identifier: BSL-1.0
// Test support: whether the tests run under Wine, and which, as ntdll's wine_get_version says
// (Windows has no such export). The Windows tests run under Wine in the test command; the cases
// that meet a measured Wine defect say so at run time (monitor_portable_test.cpp).
#ifndef ASIO_FSWATCH_TEST_COMMON_WINE_HPP
#define ASIO_FSWATCH_TEST_COMMON_WINE_HPP

#include <optional>
#include <string>

#if defined(_WIN32)
#include <windows.h>
#endif

namespace asio_fswatch::test {

/// Wine's version ("8.0"), or nothing: on Windows itself, and on every other platform.
inline std::optional<std::string> wine_version() {
#if defined(_WIN32)
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (!ntdll)
    return std::nullopt;
  using version_function = const char*(__cdecl*)();
  auto get = reinterpret_cast<version_function>(reinterpret_cast<void (*)()>(::GetProcAddress(ntdll, "wine_get_version")));
  if (!get)
    return std::nullopt;
  return std::string(get());
#else
  return std::nullopt;
#endif
}

} // namespace asio_fswatch::test

#endif
