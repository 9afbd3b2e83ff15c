// SPDX-License-Identifier: BSL-1.0
// Test support: which sanitizer the build runs under, for the few checks that must know.
#ifndef ASIO_FSWATCH_TEST_COMMON_SANITIZERS_HPP
#define ASIO_FSWATCH_TEST_COMMON_SANITIZERS_HPP

namespace asio_fswatch::test {

#if defined(__SANITIZE_THREAD__)
constexpr bool thread_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool thread_sanitizer = true;
#else
constexpr bool thread_sanitizer = false;
#endif
#else
constexpr bool thread_sanitizer = false;
#endif

} // namespace asio_fswatch::test

#endif
