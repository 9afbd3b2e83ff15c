# SPDX-License-Identifier: BSL-1.0
# Every public header compiles on its own (included twice: its include guard works), on every
# platform.
file(GLOB asio_fswatch_public_headers RELATIVE ${PROJECT_SOURCE_DIR}/include
     ${PROJECT_SOURCE_DIR}/include/asio_fswatch/*.hpp)
set(header_check_sources)
foreach(header IN LISTS asio_fswatch_public_headers)
  string(MAKE_C_IDENTIFIER ${header} id)
  set(source ${CMAKE_CURRENT_BINARY_DIR}/header_check/${id}.cpp)
  file(WRITE ${source}.in "#include <${header}>\n#include <${header}>\n")
  configure_file(${source}.in ${source} COPYONLY)
  list(APPEND header_check_sources ${source})
endforeach()
# In C++17 (what the library asks of its users), with the warnings a strict parent project may
# turn into errors: a warning here fails the build.
add_library(header_check OBJECT ${header_check_sources})
target_link_libraries(header_check PRIVATE asio_fswatch)
target_compile_features(header_check PRIVATE cxx_std_17)
set_target_properties(header_check PROPERTIES CXX_EXTENSIONS OFF)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(header_check PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror)
else()
  target_compile_options(header_check PRIVATE ${asio_fswatch_warnings})
endif()

