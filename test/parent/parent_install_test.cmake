# SPDX-License-Identifier: BSL-1.0
# Configures, builds and installs test/parent (asio_fswatch through add_subdirectory, exported
# with the parent's own target), then builds and runs test/parent/user against the installed
# parent package.
#   cmake -DSOURCE=<asio_fswatch source> -DWORK=<scratch dir> [-DGENERATOR=Ninja] -P parent_install_test.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT GENERATOR)
  set(GENERATOR Ninja)
endif()
file(REMOVE_RECURSE "${WORK}")
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${output}")
  endif()
  message(STATUS "${what}: done")
endfunction()
# No build type: the library at -O0 without debug information, the quickest to compile.
step("configure the parent" "${CMAKE_COMMAND}" -S "${SOURCE}/test/parent" -B "${WORK}/parent" -G "${GENERATOR}"
     -DASIO_FSWATCH_SOURCE=${SOURCE} -DCMAKE_INSTALL_PREFIX=${WORK}/prefix)
step("build the parent" "${CMAKE_COMMAND}" --build "${WORK}/parent")
step("install the parent" "${CMAKE_COMMAND}" --install "${WORK}/parent")
step("configure the parent's user" "${CMAKE_COMMAND}" -S "${SOURCE}/test/parent/user" -B "${WORK}/user" -G "${GENERATOR}"
     -DCMAKE_PREFIX_PATH=${WORK}/prefix)
step("build the parent's user" "${CMAKE_COMMAND}" --build "${WORK}/user")
step("run the parent's user" "${WORK}/user/parent_user")
