// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: a value read from bytes that need not be aligned for it, as the kernel's
// records are laid out in a buffer of ours (inotify) or by the system (ReadDirectoryChangesW).
#ifndef ASIO_FSWATCH_DETAIL_BYTE_LOAD_HPP
#define ASIO_FSWATCH_DETAIL_BYTE_LOAD_HPP

#include <cstring>
#include <type_traits>

namespace asio_fswatch::detail {

/// The T whose bytes start at p, copied (never through a cast: p may be misaligned for T).
template <typename T>
T load_unaligned(const char* p) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

} // namespace asio_fswatch::detail

#endif
