// SPDX-License-Identifier: BSL-1.0
// The library's side of the configuration check (detail/asio_configuration.hpp): this function
// exists for the Asio configuration this file is compiled with, which is the library's.
#include <asio_fswatch/detail/asio_configuration.hpp>

namespace asio_fswatch::detail {

void require_same_asio_configuration(this_asio_configuration) noexcept {}

} // namespace asio_fswatch::detail
