// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: a root given to the directory monitor, as the engine's path text.
#ifndef ASIO_FSWATCH_SRC_MONITOR_ROOT_TEXT_HPP
#define ASIO_FSWATCH_SRC_MONITOR_ROOT_TEXT_HPP

#include <boost/system/error_code.hpp>

#include <filesystem>
#include <string>

namespace asio_fswatch::detail {

/// `path` made absolute (against the current directory) and lexically normal, without a
/// trailing separator, in the engine's text: the bytes on POSIX; on Windows WTF-8 with '/'
/// between parts and without the long-path prefix (the edge adds it back for each call).
/// One root has one text, however it was spelled. ENOENT for an empty path.
std::string root_text(const std::filesystem::path& path, boost::system::error_code& ec);

} // namespace asio_fswatch::detail

#endif
