// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the one place where a std::filesystem::path becomes the library's path text and
// back. The sans-io core (the watch engine, the tree, the formats) keeps paths as byte strings: on
// POSIX they are the kernel's bytes, untouched; on Windows, whose paths are UTF-16, they are WTF-8.
#ifndef ASIO_FSWATCH_DETAIL_PATH_TEXT_HPP
#define ASIO_FSWATCH_DETAIL_PATH_TEXT_HPP

#include <asio_fswatch/detail/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

namespace asio_fswatch::detail {

#if defined(_WIN32)
// Windows names are UTF-16 that need not be valid: a lone surrogate is a legal name. The text is
// WTF-8 (UTF-8 that also encodes lone surrogates, as three bytes), so that every name has one text
// and comes back from it unchanged; the standard library's conversions would throw on such a name.

/// The path in WTF-8, with the separators it has.
inline std::string path_text(const std::filesystem::path& path) {
  const std::wstring& units = path.native();
  std::string out;
  out.reserve(units.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t code_point = static_cast<std::uint16_t>(units[i]);
    if (code_point >= 0xd800 && code_point <= 0xdbff && i + 1 < units.size()) {
      const std::uint32_t low = static_cast<std::uint16_t>(units[i + 1]);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code_point = code_point_of_surrogates(code_point, low);
        ++i;
      }
    }
    append_utf8(out, code_point); // a lone surrogate too: WTF-8
  }
  return out;
}

/// The path named by WTF-8 text. A byte that starts no well-formed sequence cannot be part of a
/// Windows name: it becomes U+FFFD.
inline std::filesystem::path path_from_text(const std::string& text) {
  std::wstring units;
  units.reserve(text.size());
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const auto continues = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xc0) == 0x80; };
  for (std::size_t i = 0; i < text.size();) {
    const std::uint8_t lead = byte(i);
    std::uint32_t code_point = 0xfffd;
    std::size_t length = 1;
    if (lead < 0x80) {
      code_point = lead;
    } else if (lead >= 0xc2 && lead < 0xe0 && continues(i + 1)) {
      code_point = ((lead & 0x1fu) << 6) | (byte(i + 1) & 0x3fu);
      length = 2;
    } else if (lead >= 0xe0 && lead < 0xf0 && continues(i + 1) && continues(i + 2)) {
      code_point = ((lead & 0x0fu) << 12) | ((byte(i + 1) & 0x3fu) << 6) | (byte(i + 2) & 0x3fu);
      length = 3;
      if (code_point < 0x800) { code_point = 0xfffd; length = 1; } // overlong
    } else if (lead >= 0xf0 && lead < 0xf5 && continues(i + 1) && continues(i + 2) && continues(i + 3)) {
      code_point = ((lead & 0x07u) << 18) | ((byte(i + 1) & 0x3fu) << 12) | ((byte(i + 2) & 0x3fu) << 6) |
                   (byte(i + 3) & 0x3fu);
      length = 4;
      if (code_point < 0x10000 || code_point > 0x10ffff) { code_point = 0xfffd; length = 1; }
    }
    if (code_point >= 0x10000) {
      units.push_back(static_cast<wchar_t>(0xd800 + ((code_point - 0x10000) >> 10)));
      units.push_back(static_cast<wchar_t>(0xdc00 + ((code_point - 0x10000) & 0x3ff)));
    } else {
      units.push_back(static_cast<wchar_t>(code_point));
    }
    i += length;
  }
  return std::filesystem::path(std::move(units));
}

/// The path's WTF-8 text, with '/' between its parts.
inline std::string generic_path_text(const std::filesystem::path& path) {
  std::string text = path_text(path);
  for (char& c : text)
    if (c == '\\')
      c = '/';
  return text;
}

/// `path` as the wide Win32 calls take it past MAX_PATH: backslashes, and the long-path prefix
/// on a drive-absolute or UNC path. A path already in the long form, a device path (`\\.\`) and
/// a relative one are left as they are (the prefix turns off the parsing a relative path needs).
inline std::wstring long_path_for_win32(std::wstring path) {
  for (wchar_t& c : path)
    if (c == L'/')
      c = L'\\';
  if (path.rfind(L"\\\\?\\", 0) == 0 || path.rfind(L"\\\\.\\", 0) == 0)
    return path;
  if (path.rfind(L"\\\\", 0) == 0)
    return L"\\\\?\\UNC\\" + path.substr(2);
  if (path.size() >= 3 && path[1] == L':' && path[2] == L'\\')
    return L"\\\\?\\" + path;
  return path;
}
#else
/// The path's bytes, as the kernel has them: no copy, and no byte is lost or altered.
inline const std::string& path_text(const std::filesystem::path& path) noexcept { return path.native(); }

/// The path's bytes; POSIX paths have no other separator than '/'.
inline const std::string& generic_path_text(const std::filesystem::path& path) noexcept { return path.native(); }

/// The path named by these bytes (moved in, not copied).
inline std::filesystem::path path_from_text(std::string text) { return std::filesystem::path(std::move(text)); }
#endif

} // namespace asio_fswatch::detail

#endif
