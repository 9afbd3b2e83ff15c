// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: what the platform is, as the library's own macros, and the native types
// that public headers name through aliases (a process id, a process handle). Only this header
// and detail/ and src/ test the compiler's platform macros.
#ifndef ASIO_FSWATCH_DETAIL_CONFIG_HPP
#define ASIO_FSWATCH_DETAIL_CONFIG_HPP

#if defined(_WIN32)
#define ASIO_FSWATCH_WINDOWS 1
#else
#define ASIO_FSWATCH_POSIX 1
/// Feature macro for public headers: members that take a signal number exist.
#define ASIO_FSWATCH_HAS_SIGNALS 1
/// Linux's own mechanisms (inotify, pidfd, statx, copy_file_range, fallocate, preadv2), unless
/// the build asks for the generic POSIX configuration (CMake option ASIO_FSWATCH_GENERIC_POSIX):
/// the poll monitor, the thread-pool files and the SIGCHLD children, which is what the BSDs and
/// macOS get. The library and its users see the same value: the option is a public definition.
#if defined(__linux__) && !defined(ASIO_FSWATCH_GENERIC_POSIX)
#define ASIO_FSWATCH_LINUX 1
#endif
#endif

/// Marks a class or function that the compiled library defines and its users call: the library
/// is compiled with hidden visibility, so that its shared form exports these and nothing else (no
/// instantiation of Boost's or the standard library's templates). Nothing on Windows, where only
/// the static library is built.
#if defined(ASIO_FSWATCH_WINDOWS)
#define ASIO_FSWATCH_DECL
#elif defined(__GNUC__) || defined(__clang__)
#define ASIO_FSWATCH_DECL __attribute__((visibility("default")))
#else
#define ASIO_FSWATCH_DECL
#endif

#include <cstdint>

namespace asio_fswatch::detail {

#if defined(ASIO_FSWATCH_WINDOWS)
using native_pid = unsigned long; // DWORD, as Boost.Process v2's pid_type
using native_process_handle = void*; // HANDLE
inline constexpr native_process_handle no_process_handle = nullptr;
using native_file = void*; // a file HANDLE
inline const native_file invalid_native_file = reinterpret_cast<native_file>(~std::uintptr_t(0)); // INVALID_HANDLE_VALUE
#else
using native_pid = int; // pid_t, as Boost.Process v2's pid_type
using native_process_handle = int; // a pidfd
inline constexpr native_process_handle no_process_handle = -1;
using native_file = int; // a file descriptor
inline constexpr native_file invalid_native_file = -1;
#endif

} // namespace asio_fswatch::detail

#endif
