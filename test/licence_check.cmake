# SPDX-License-Identifier: BSL-1.0
# The licence is where a packager and a reader look for it: LICENSE_1_0.txt at the root is the
# Boost Software License's standard text, byte for byte, and every source, build and script file
# names it in an SPDX line, first (second after a #! line).
# cmake -DSOURCE=<source dir> -P licence_check.cmake
cmake_minimum_required(VERSION 3.20)
file(SHA256 "${SOURCE}/LICENSE_1_0.txt" licence_hash)
# The standard LICENSE_1_0.txt, as Boost ships it.
if(NOT licence_hash STREQUAL "c9bff75738922193e67fa726fa225535870d2aa1059f91452c411736284ad566")
  message(FATAL_ERROR "LICENSE_1_0.txt is not the Boost Software License 1.0's standard text (sha256 ${licence_hash})")
endif()
file(GLOB_RECURSE candidates RELATIVE "${SOURCE}" LIST_DIRECTORIES false
     "${SOURCE}/*.cpp" "${SOURCE}/*.hpp" "${SOURCE}/*.h" "${SOURCE}/*.sh" "${SOURCE}/*.bash"
     "${SOURCE}/*.cmake" "${SOURCE}/*.in" "${SOURCE}/*.1" "${SOURCE}/*.py" "${SOURCE}/*.gp" "${SOURCE}/CMakeLists.txt"
     "${SOURCE}/.ci/run")
set(checked 0)
set(missing)
foreach(file IN LISTS candidates)
  # Build trees (build/, an IDE's cmake-build-*/, any directory CMake configured) and the
  # fuzzers' inputs (data, not source) are not the project's files.
  if(file MATCHES "^(build|cmake-build-[^/]*|\\.git|fuzz/corpus|fuzz/regressions)/")
    continue()
  endif()
  string(REGEX MATCH "^[^/]+" top "${file}")
  if(EXISTS "${SOURCE}/${top}/CMakeCache.txt")
    continue()
  endif()
  file(STRINGS "${SOURCE}/${file}" head LIMIT_COUNT 2)
  list(LENGTH head lines)
  set(first "")
  if(lines GREATER 0)
    list(GET head 0 first)
  endif()
  if(first MATCHES "^#!" AND lines GREATER 1)
    list(GET head 1 first)
  endif()
  if(NOT first MATCHES "^(//|#|\\.\\\\\") SPDX-License-Identifier: BSL-1\\.0$")
    list(APPEND missing "${file}")
  endif()
  math(EXPR checked "${checked} + 1")
endforeach()
if(checked LESS 100)
  message(FATAL_ERROR "only ${checked} files found under ${SOURCE}: is SOURCE the project's root?")
endif()
if(missing)
  list(JOIN missing "\n  " missing_text)
  message(FATAL_ERROR "files without the SPDX line 'SPDX-License-Identifier: BSL-1.0' first:\n  ${missing_text}")
endif()
message(STATUS "LICENSE_1_0.txt is the standard text; ${checked} files carry the SPDX line")
