# SPDX-License-Identifier: BSL-1.0
# Installs the build into a fresh prefix (what an earlier install left is removed first), then
# checks that the detail headers no public header needs were not installed.
# cmake -DBUILD=<build dir> -DPREFIX=<prefix> -DPRIVATE_HEADERS="a.hpp;b.hpp" -P install_and_check.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${PREFIX}"
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${status}):\n${output}")
endif()
if(NOT EXISTS "${PREFIX}/include/asio_fswatch/asio_fswatch.hpp")
  message(FATAL_ERROR "the public headers were not installed")
endif()
foreach(header IN LISTS PRIVATE_HEADERS)
  if(EXISTS "${PREFIX}/include/asio_fswatch/detail/${header}")
    message(FATAL_ERROR "detail/${header} was installed, though no public header needs it")
  endif()
endforeach()
list(LENGTH PRIVATE_HEADERS count)
message(STATUS "installed; ${count} private detail headers left out")
