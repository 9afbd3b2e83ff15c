// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: a root given to the directory monitor, as the engine's path text.
#include "root_text.hpp"

#include <asio_fswatch/detail/path_text.hpp>

#include <system_error>

namespace asio_fswatch::detail {

namespace sys = boost::system;

std::string root_text(const std::filesystem::path& path, sys::error_code& ec) {
  if (path.empty()) {
    ec = sys::errc::make_error_code(sys::errc::no_such_file_or_directory);
    return {};
  }
  std::error_code std_ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, std_ec);
  if (std_ec) {
    ec = sys::error_code(std_ec.value(), sys::system_category());
    return {};
  }
#if defined(_WIN32)
  std::wstring native = absolute.lexically_normal().native();
  if (native.rfind(L"\\\\?\\UNC\\", 0) == 0)
    native = L"\\\\" + native.substr(8);
  else if (native.rfind(L"\\\\?\\", 0) == 0)
    native = native.substr(4);
  std::string out = generic_path_text(std::filesystem::path(native));
  // A drive's root keeps its '/': "C:" alone names that drive's current directory.
  const std::size_t keep = out.size() == 3 && out[1] == ':' ? 3 : 1;
#else
  std::string out = absolute.lexically_normal().native();
  const std::size_t keep = 1;
#endif
  while (out.size() > keep && out.back() == '/')
    out.pop_back();
  ec.clear();
  return out;
}

} // namespace asio_fswatch::detail
