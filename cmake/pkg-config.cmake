# SPDX-License-Identifier: BSL-1.0
# asio_fswatch.pc, for builds without CMake: `pkg-config --cflags --libs asio_fswatch`. The
# prefix is found from the file's own place (${pcfiledir}), so that an installed tree can move
# (except under /usr).
# Included from the top CMakeLists.txt when the install rules are generated.
set(asio_fswatch_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "asio_fswatch.pc: CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR must be relative to the prefix")
endif()
# Under /usr (the Debian packages) the prefix is written as it is, as distributions do.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(ASIO_FSWATCH_PC_PREFIX /usr)
else()
  file(RELATIVE_PATH asio_fswatch_pc_to_prefix /${asio_fswatch_pc_dir} /)
  string(REGEX REPLACE "/$" "" asio_fswatch_pc_to_prefix "${asio_fswatch_pc_to_prefix}")
  set(ASIO_FSWATCH_PC_PREFIX "\${pcfiledir}/${asio_fswatch_pc_to_prefix}")
endif()

# Boost's headers, unless the compiler finds them anyway (they are in /usr/include on Debian).
set(ASIO_FSWATCH_PC_CFLAGS)
get_target_property(asio_fswatch_boost_dirs Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
foreach(dir IN LISTS asio_fswatch_boost_dirs)
  if(dir AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND NOT dir STREQUAL "/usr/include")
    string(APPEND ASIO_FSWATCH_PC_CFLAGS " -I${dir}")
  endif()
endforeach()
if(ASIO_FSWATCH_GENERIC_POSIX)
  string(APPEND ASIO_FSWATCH_PC_CFLAGS " -DASIO_FSWATCH_GENERIC_POSIX")
endif()

# liburing: only a static link needs it (the shared library records its own need). Through its
# own .pc when it has one (Debian's liburing-dev does), else by name.
set(ASIO_FSWATCH_PC_REQUIRES_PRIVATE)
set(ASIO_FSWATCH_PC_LIBS_PRIVATE)
if(asio_fswatch_with_liburing)
  find_file(ASIO_FSWATCH_LIBURING_PC liburing.pc PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/pkgconfig
            /usr/lib/pkgconfig /usr/share/pkgconfig NO_DEFAULT_PATH)
  if(ASIO_FSWATCH_LIBURING_PC)
    set(ASIO_FSWATCH_PC_REQUIRES_PRIVATE "Requires.private: liburing")
  else()
    set(ASIO_FSWATCH_PC_LIBS_PRIVATE "Libs.private: -luring")
  endif()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/asio_fswatch.pc.in ${PROJECT_BINARY_DIR}/asio_fswatch.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/asio_fswatch.pc DESTINATION ${asio_fswatch_pc_dir} COMPONENT dev)
