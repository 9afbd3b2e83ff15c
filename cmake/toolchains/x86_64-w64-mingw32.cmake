# SPDX-License-Identifier: BSL-1.0
# Cross build for 64-bit Windows with MinGW-w64 (Debian: g++-mingw-w64-x86-64-posix), tested under
# Wine. Used by the `windows` preset; scripts/test-windows.sh runs its tests.
#
# The "-posix" compiler is the one with std::thread (the "-win32" variant has none). Programs are
# linked statically, so that Wine needs no MinGW DLL next to them (without it Wine cannot find
# libwinpthread-1.dll, and with WINEDEBUG=-all the program exits 53 without a word).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(asio_fswatch_mingw_prefix x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${asio_fswatch_mingw_prefix}-gcc-posix)
set(CMAKE_CXX_COMPILER ${asio_fswatch_mingw_prefix}-g++-posix)
set(CMAKE_RC_COMPILER ${asio_fswatch_mingw_prefix}-windres)

# Libraries and headers from the MinGW-w64 tree only, never the host's /usr/include.
set(CMAKE_FIND_ROOT_PATH /usr/${asio_fswatch_mingw_prefix})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Boost is header-only for what the Windows build uses (Asio, System, Process v2, Boost.Test's
# included runner). Debian's Boost CMake package describes the host's libraries, so the build takes
# the headers alone from here (see ASIO_FSWATCH_BOOST_HEADERS in the top CMakeLists.txt).
set(ASIO_FSWATCH_BOOST_HEADERS /usr/include/boost CACHE PATH
    "The boost/ header directory to use for a cross build (headers only)")

# ctest runs the programs through Wine, by way of scripts/wine-run.sh: a process that outlives
# its test (a child left running, a Wine service woken up) cannot hold ctest's pipe open, and
# one of ours fails the test by name.
find_program(ASIO_FSWATCH_WINE wine)
if(ASIO_FSWATCH_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/../../scripts/wine-run.sh ${ASIO_FSWATCH_WINE})
endif()
