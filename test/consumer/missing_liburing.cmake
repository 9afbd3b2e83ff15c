# SPDX-License-Identifier: BSL-1.0
# find_package(asio_fswatch) where liburing cannot be found, for a library built with io_uring:
# configuring the consumer must fail in find_package, with the message that names liburing,
# not later at the link. The libraries are looked for under a root that holds none (Boost's
# package is still found: only find_library is confined).
#   cmake -DCONSUMER=<test/consumer> -DPREFIX=<installed prefix> -DWORK=<dir> -P missing_liburing.cmake
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER}" -B "${WORK}" -DCMAKE_PREFIX_PATH=${PREFIX}
                        -DCMAKE_FIND_ROOT_PATH=${WORK}/no-libraries -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(status EQUAL 0)
  message(FATAL_ERROR "the consumer configured although liburing could not be found:\n${output}")
endif()
if(NOT output MATCHES "its static library needs liburing" OR NOT output MATCHES "liburing-dev")
  message(FATAL_ERROR "configuring failed, but not with the liburing message:\n${output}")
endif()
message(STATUS "find_package(asio_fswatch) refused: liburing is missing, and the message says so")
