# SPDX-License-Identifier: BSL-1.0
# A program compiled with other Asio macros than the library must fail to link, naming the
# configuration check, instead of crashing (BOOST_ASIO_ENABLE_HANDLER_TRACKING) or hanging
# (BOOST_ASIO_DISABLE_EPOLL) at run time. The same command without the macro must link, so that
# the failures are the check's.
#   cmake -DCXX=<compiler> -DSOURCE=<consumer.cpp> -DINCLUDE=<include dir> -DLIBRARY=<libasio_fswatch.a>
#         "-DLIBS=-luring;-pthread" -DWORK=<dir> -P config_mismatch.cmake
cmake_minimum_required(VERSION 3.20)
file(MAKE_DIRECTORY "${WORK}")
function(link_with macro expect_failure expect_text)
  set(flags)
  if(macro)
    set(flags "-D${macro}")
  endif()
  execute_process(COMMAND "${CXX}" -std=c++17 ${flags} -I "${INCLUDE}" "${SOURCE}" -o "${WORK}/consumer" "${LIBRARY}" ${LIBS}
                  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(expect_failure)
    if(status EQUAL 0)
      message(FATAL_ERROR "a program built with -D${macro} linked against the library built without it")
    endif()
    if(NOT output MATCHES "require_same_asio_configuration" OR NOT output MATCHES "${expect_text}")
      message(FATAL_ERROR "-D${macro}: the link failed, but not on the configuration check (${expect_text}):\n${output}")
    endif()
    string(REGEX MATCH "undefined reference to [^\n]*" line "${output}")
    message(STATUS "-D${macro}: refused at link time: ${line}")
  elseif(NOT status EQUAL 0)
    message(FATAL_ERROR "the consumer does not link even with the library's own configuration:\n${output}")
  endif()
endfunction()
link_with("" FALSE "")
link_with(BOOST_ASIO_ENABLE_HANDLER_TRACKING TRUE "handler_tracking_on")
link_with(BOOST_ASIO_DISABLE_EPOLL TRUE "reactor_select")
