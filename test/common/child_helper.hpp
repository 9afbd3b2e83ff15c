// SPDX-License-Identifier: BSL-1.0
// Test support: the child_helper program (test/integration/child_helper.cpp), found next to the
// running test program, started with Boost.Process v2 on every platform.
#ifndef ASIO_FSWATCH_TEST_COMMON_CHILD_HELPER_HPP
#define ASIO_FSWATCH_TEST_COMMON_CHILD_HELPER_HPP

// Boost.Process v2 as a user would use it, header-only, on std::filesystem. Its 1.81 headers
// use boost::optional, boost::decay and boost::is_convertible without including them.
#define BOOST_PROCESS_USE_STD_FS 1
#include <boost/optional.hpp>
#include <boost/type_traits/decay.hpp>
#include <boost/type_traits/is_convertible.hpp>
#include <boost/process/v2/process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace asio_fswatch::test {

/// The directory of this test program.
inline std::filesystem::path test_program_directory() {
#if defined(_WIN32)
  wchar_t self[32768];
  const DWORD n = ::GetModuleFileNameW(nullptr, self, DWORD(std::size(self)));
  BOOST_TEST_REQUIRE((n > 0 && n < std::size(self)), "GetModuleFileNameW failed");
  return std::filesystem::path(std::wstring(self, n)).parent_path();
#else
  return std::filesystem::read_symlink("/proc/self/exe").parent_path();
#endif
}

#if defined(_WIN32)
inline constexpr const char* program_suffix = ".exe";
#else
inline constexpr const char* program_suffix = "";
#endif

/// child_helper's path: beside this test program.
inline std::filesystem::path child_helper_path() {
  return test_program_directory() / (std::string("child_helper") + program_suffix);
}

/// The asio-fswatch tool of the same build tree (tools/asio-fswatch/, beside test/).
inline std::filesystem::path tool_path() {
  return test_program_directory().parent_path() / "tools" / "asio-fswatch" /
         (std::string("asio-fswatch") + program_suffix);
}

/// child_helper started with `args` ("exit 3", "crash", "sleep").
inline boost::process::v2::process start_helper(boost::asio::io_context& io, std::vector<std::string> args) {
  return boost::process::v2::process(io, child_helper_path(), args);
}

/// Blocks until `process` has ended, without reaping it (POSIX: it stays a zombie).
inline void block_until_ended(boost::process::v2::process& process) {
#if defined(_WIN32)
  BOOST_TEST_REQUIRE(::WaitForSingleObject(process.native_handle(), INFINITE) == WAIT_OBJECT_0);
#else
  siginfo_t info{};
  BOOST_TEST_REQUIRE(::waitid(P_PID, id_t(process.id()), &info, WEXITED | WNOWAIT) == 0);
#endif
}

} // namespace asio_fswatch::test

#endif
