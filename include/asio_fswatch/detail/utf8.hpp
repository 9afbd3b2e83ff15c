// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: UTF-8 encoding of one code point, shared by the JSON decoder (event_format) and
// the Windows path text (path_text, which also encodes lone surrogates, as WTF-8 does).
#ifndef ASIO_FSWATCH_DETAIL_UTF8_HPP
#define ASIO_FSWATCH_DETAIL_UTF8_HPP

#include <cstdint>
#include <string>

namespace asio_fswatch::detail {

/// The code point a UTF-16 surrogate pair stands for (`high` in d800..dbff, `low` in dc00..dfff).
constexpr std::uint32_t code_point_of_surrogates(std::uint32_t high, std::uint32_t low) noexcept {
  return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
}

/// Appends the 1 to 4 bytes of `code_point` (at most 0x10ffff). A surrogate code point is
/// encoded as any other, in three bytes: the caller decides whether it may occur.
inline void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    const char encoded[2] = {static_cast<char>(0xc0 | (code_point >> 6)),
                             static_cast<char>(0x80 | (code_point & 0x3f))};
    out.append(encoded, 2);
  } else if (code_point < 0x10000) {
    const char encoded[3] = {static_cast<char>(0xe0 | (code_point >> 12)),
                             static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)),
                             static_cast<char>(0x80 | (code_point & 0x3f))};
    out.append(encoded, 3);
  } else {
    const char encoded[4] = {static_cast<char>(0xf0 | (code_point >> 18)),
                             static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)),
                             static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)),
                             static_cast<char>(0x80 | (code_point & 0x3f))};
    out.append(encoded, 4);
  }
}

} // namespace asio_fswatch::detail

#endif
