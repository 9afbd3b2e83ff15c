// SPDX-License-Identifier: BSL-1.0
// The one translation unit of the header-only consumer that compiles the library, with the
// program's Asio macros (test/CMakeLists.txt: handler tracking on, epoll off).
#include <asio_fswatch/src.hpp>
