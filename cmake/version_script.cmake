# SPDX-License-Identifier: BSL-1.0
# Writes the linker version script of the shared library: what libasio_fswatch.so exports.
#   cmake -DNM=<nm> -DOBJECT_LIST=<file holding a;b;...> -DOUTPUT=<file> -P version_script.cmake
# Exported: asio_fswatch's own symbols (those the headers mark ASIO_FSWATCH_DECL: everything else
# of ours is compiled hidden), and the objects that must be one per process, which the compiler
# marks unique (STB_GNU_UNIQUE: a template's static data member, an inline function's static):
# Asio's per-thread call stacks, its signal state, its error categories' instances, the tables
# any_executor compares. Asio makes them visible on purpose: a program and the library must share
# them, else an error code from the library does not compare equal to boost::asio::error::eof in
# the program, and a signal_set of the program and the library's SIGCHLD wait on one io_context
# take each other's signals (test consumer_shared_singletons). Everything else of Boost's and the
# standard library's, which both sides compile for themselves, stays local.
file(READ "${OBJECT_LIST}" OBJECTS)
set(unique)
foreach(object IN LISTS OBJECTS)
  execute_process(COMMAND "${NM}" -P --defined-only "${object}" OUTPUT_VARIABLE listing RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${object}")
  endif()
  string(REGEX MATCHALL "(^|\n)[^ \n]+ u " lines "${listing}")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^\n?([^ ]+) u $" "\\1" name "${line}")
    list(APPEND unique "${name}")
  endforeach()
endforeach()
list(REMOVE_DUPLICATES unique)
list(SORT unique)
set(text "{\n  global:\n")
# Functions, members, vtables, typeinfo, guard variables and thunks of namespace asio_fswatch.
foreach(prefix IN ITEMS _ZN12asio_fswatch _ZNK12asio_fswatch _ZTVN12asio_fswatch _ZTIN12asio_fswatch
                        _ZTSN12asio_fswatch _ZGVN12asio_fswatch _ZThn*_N12asio_fswatch _ZThn*_NK12asio_fswatch)
  string(APPEND text "    ${prefix}*;\n")
endforeach()
foreach(name IN LISTS unique)
  string(APPEND text "    ${name};\n")
endforeach()
string(APPEND text "  local: *;\n};\n")
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "${text}" @ONLY) # rewritten only when it changes
