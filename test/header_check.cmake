# Every public header compiles on its own (included twice: its include guard works).
# On Windows, the headers whose objects exist there so far (all but the monitor's and the
# umbrella header's).
if(WIN32)
  set(asio_fswatch_public_headers
    asio_fswatch/basic_child_watcher.hpp asio_fswatch/child_options.hpp asio_fswatch/child_watcher.hpp
    asio_fswatch/error.hpp asio_fswatch/exit_status.hpp asio_fswatch/fs_event.hpp
    asio_fswatch/monitor_options.hpp asio_fswatch/version.hpp asio_fswatch/file_base.hpp
    asio_fswatch/file_service.hpp asio_fswatch/basic_random_access_file.hpp
    asio_fswatch/random_access_file.hpp asio_fswatch/basic_stream_file.hpp asio_fswatch/stream_file.hpp
    asio_fswatch/file_operations.hpp asio_fswatch/process_options.hpp
    asio_fswatch/basic_supervised_process.hpp asio_fswatch/supervised_process.hpp)
else()
  file(GLOB asio_fswatch_public_headers RELATIVE ${PROJECT_SOURCE_DIR}/include
       ${PROJECT_SOURCE_DIR}/include/asio_fswatch/*.hpp)
endif()
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

