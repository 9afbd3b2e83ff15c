# SPDX-License-Identifier: BSL-1.0
# The Debian packages, built by CPack from the install components (scripts/package.sh):
#   asio-fswatch          the tool, its man page asio-fswatch(1) and its bash completion;
#   libasio-fswatch0.1    the shared library libasio_fswatch.so.0.1 (the SONAME's version);
#   libasio-fswatch-dev   the headers, the static library, the link libasio_fswatch.so, the CMake
#                         package and asio_fswatch.pc.
# Each carries the licence as /usr/share/doc/<package>/copyright (Debian's place for it) and says
# BSL-1.0 there; dependencies: the libraries the binaries load (dpkg-shlibdeps), and for the
# -dev package what building against it needs. Included from the top CMakeLists.txt on Linux
# when the install rules are generated.
set(asio_fswatch_deb_components tool runtime dev)
set(CPACK_PACKAGE_CONTACT "asio_fswatch maintainers <maintainers@asio-fswatch.invalid>")
set(asio_fswatch_deb_names asio-fswatch libasio-fswatch${ASIO_FSWATCH_SOVERSION} libasio-fswatch-dev)

# The copyright file, in Debian's machine-readable format, with the licence's full text.
file(READ ${PROJECT_SOURCE_DIR}/LICENSE_1_0.txt asio_fswatch_licence_text)
string(REGEX REPLACE "\n\n" "\n.\n" asio_fswatch_licence_text "${asio_fswatch_licence_text}")
string(REGEX REPLACE "\n([^\n])" "\n \\1" asio_fswatch_licence_text " ${asio_fswatch_licence_text}")
string(REGEX REPLACE "\n$" "" asio_fswatch_licence_text "${asio_fswatch_licence_text}")
set(asio_fswatch_copyright ${PROJECT_BINARY_DIR}/debian/copyright)
file(WRITE ${asio_fswatch_copyright}
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: asio_fswatch
Source: asio_fswatch ${PROJECT_VERSION}

Files: *
Copyright: the asio_fswatch authors
License: BSL-1.0

License: BSL-1.0
${asio_fswatch_licence_text}
")
# The Debian changelog each package must carry, compressed (gzip -n: no name or time inside).
string(TIMESTAMP asio_fswatch_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${PROJECT_BINARY_DIR}/debian/changelog.Debian
"asio-fswatch (${PROJECT_VERSION}-1) unstable; urgency=medium

  * asio_fswatch ${PROJECT_VERSION}, packaged by CPack (cmake/packaging.cmake).

 -- ${CPACK_PACKAGE_CONTACT}  ${asio_fswatch_changelog_date}
")
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/debian/changelog.Debian.gz
  COMMAND gzip -9 -n -c ${PROJECT_BINARY_DIR}/debian/changelog.Debian > ${PROJECT_BINARY_DIR}/debian/changelog.Debian.gz
  DEPENDS ${PROJECT_BINARY_DIR}/debian/changelog.Debian VERBATIM)
add_custom_target(asio_fswatch_debian_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/debian/changelog.Debian.gz)
foreach(component name IN ZIP_LISTS asio_fswatch_deb_components asio_fswatch_deb_names)
  install(FILES ${asio_fswatch_copyright} ${PROJECT_BINARY_DIR}/debian/changelog.Debian.gz
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${name} COMPONENT ${component})
endforeach()

set(CPACK_PACKAGE_NAME asio-fswatch)
set(CPACK_PACKAGE_VENDOR "the asio_fswatch authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's description says its own summary in its first line; a package-wide summary
# would be put before it.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE_1_0.txt)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL ${asio_fswatch_deb_components})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_TOOL_PACKAGE_NAME asio-fswatch)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_TOOL_DESCRIPTION
"watch directory trees and rerun commands when files change
asio-fswatch watch prints the changes of whole directory trees as they happen, losslessly
(new directories scanned, renames paired, overflows reconciled), in inotifywait's formats or
as JSON; asio-fswatch run restarts a command with every process it started when its sources
change, as entr -r and watchexec do; snapshot and since tell what changed while nothing
was watching. Built on the asio_fswatch library.")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libasio-fswatch${ASIO_FSWATCH_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON) # the shared library's shlibs file, and the ldconfig trigger
# Programs built against 0.1.x depend on this version or a later one of the same SONAME.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
"Boost.Asio I/O objects: directory monitor, files and child processes
asio_fswatch adds to any Boost.Asio io_context a recursive, lossless directory monitor
(inotify), asynchronous files (io_uring or a thread pool) and child processes (pidfd or
SIGCHLD), as Asio I/O objects that take every completion token. This package holds the
shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libasio-fswatch-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
string(REGEX MATCH "^[0-9]+\\.[0-9]+" asio_fswatch_boost_series "${Boost_VERSION}")
set(asio_fswatch_dev_depends "libasio-fswatch${ASIO_FSWATCH_SOVERSION} (= ${PROJECT_VERSION}-1), libboost${asio_fswatch_boost_series}-dev")
if(asio_fswatch_with_liburing)
  string(APPEND asio_fswatch_dev_depends ", liburing-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${asio_fswatch_dev_depends}")
set(CPACK_COMPONENT_DEV_DESCRIPTION
"Boost.Asio directory monitor, files and child processes (development)
asio_fswatch adds to any Boost.Asio io_context a recursive, lossless directory monitor
(inotify), asynchronous files (io_uring or a thread pool) and child processes (pidfd or
SIGCHLD), as Asio I/O objects that take every completion token. This package holds the
headers, the static library, the CMake package (find_package(asio_fswatch)) and the
pkg-config file (asio_fswatch.pc).")
include(CPack)
