// SPDX-License-Identifier: BSL-1.0
// Test support: an fs_event in one expression, for expected event sequences and replay inputs.
#ifndef ASIO_FSWATCH_TEST_COMMON_MAKE_EVENT_HPP
#define ASIO_FSWATCH_TEST_COMMON_MAKE_EVENT_HPP

#include <asio_fswatch/fs_event.hpp>

#include <boost/system/error_code.hpp>

#include <filesystem>
#include <utility>

namespace asio_fswatch::test {

inline fs_event make_event(event_kind kind, std::filesystem::path path, entry_type type,
                           std::filesystem::path old_path = {},
                           boost::system::error_code error = {}) {
  fs_event e;
  e.kind = kind;
  e.path = std::move(path);
  e.old_path = std::move(old_path);
  e.type = type;
  e.error = error;
  return e;
}

} // namespace asio_fswatch::test

#endif
