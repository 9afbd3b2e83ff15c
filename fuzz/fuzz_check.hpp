// SPDX-License-Identifier: BSL-1.0
// asio_fswatch fuzzing: how a fuzz target reports a broken property. The message and the bytes
// involved go to stderr, then the process stops on a trap, which libFuzzer records as a crash
// (with the input saved) and which the corpus replay reports as a failed input.
#ifndef ASIO_FSWATCH_FUZZ_FUZZ_CHECK_HPP
#define ASIO_FSWATCH_FUZZ_FUZZ_CHECK_HPP

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace asio_fswatch::fuzz {

/// `bytes` with everything outside printable ASCII, and the backslash, written as `\xHH`.
inline std::string printable(std::string_view bytes) {
  constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(digits[byte >> 4]);
      out.push_back(digits[byte & 0x0f]);
    }
  }
  return out;
}

/// Reports a broken property; `context` is any number of labelled byte strings.
[[noreturn]] inline void fail(const char* property,
                              std::initializer_list<std::pair<const char*, std::string_view>> context = {}) {
  std::fprintf(stderr, "\n*** property violated: %s\n", property);
  for (const auto& [label, bytes] : context)
    std::fprintf(stderr, "    %s (%zu bytes): \"%s\"\n", label, bytes.size(), printable(bytes).c_str());
  std::fflush(stderr);
#if defined(__GNUC__)
  __builtin_trap();
#else
  std::abort();
#endif
}

inline void require(bool holds, const char* property,
                    std::initializer_list<std::pair<const char*, std::string_view>> context = {}) {
  if (!holds)
    fail(property, context);
}

} // namespace asio_fswatch::fuzz

#endif
