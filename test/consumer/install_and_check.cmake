# SPDX-License-Identifier: BSL-1.0
# Installs the build into a fresh prefix (what an earlier install left is removed first), then
# checks what was installed: the public headers; header-only mode's src.hpp and every file it
# includes; and that no public header includes, directly or through others, a detail header
# that only the sources use (PRIVATE_HEADERS).
# cmake -DBUILD=<build dir> -DPREFIX=<prefix> -DPRIVATE_HEADERS="a.hpp;b.hpp" -P install_and_check.cmake
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${PREFIX}"
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${status}):\n${output}")
endif()
set(include_dir "${PREFIX}/include")
if(NOT EXISTS "${include_dir}/asio_fswatch/asio_fswatch.hpp")
  message(FATAL_ERROR "the public headers were not installed")
endif()

# Header-only mode: src.hpp, and each source it names.
file(STRINGS "${include_dir}/asio_fswatch/src.hpp" sources REGEX "^#include <asio_fswatch/src/")
list(LENGTH sources source_count)
if(source_count LESS 20)
  message(FATAL_ERROR "the installed src.hpp names ${source_count} sources")
endif()
foreach(line IN LISTS sources)
  string(REGEX REPLACE "^#include <([^>]+)>.*" "\\1" source "${line}")
  if(NOT EXISTS "${include_dir}/${source}")
    message(FATAL_ERROR "src.hpp includes ${source}, which was not installed")
  endif()
endforeach()

# The public headers' closure of asio_fswatch includes holds no private header.
file(GLOB pending RELATIVE "${include_dir}" "${include_dir}/asio_fswatch/*.hpp")
list(REMOVE_ITEM pending asio_fswatch/src.hpp)
set(seen)
while(pending)
  list(POP_FRONT pending header)
  if(header IN_LIST seen)
    continue()
  endif()
  list(APPEND seen "${header}")
  get_filename_component(name "${header}" NAME)
  if(header MATCHES "^asio_fswatch/detail/" AND name IN_LIST PRIVATE_HEADERS)
    message(FATAL_ERROR "a public header includes ${header}, which only the sources should need")
  endif()
  file(STRINGS "${include_dir}/${header}" includes REGEX "^#include <asio_fswatch/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^#include <([^>]+)>.*" "\\1" included "${line}")
    list(APPEND pending "${included}")
  endforeach()
endwhile()
list(LENGTH seen header_count)
message(STATUS "installed; src.hpp names ${source_count} sources; ${header_count} headers reached from the public ones, none private")
