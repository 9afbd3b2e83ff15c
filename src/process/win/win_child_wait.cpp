// SPDX-License-Identifier: BSL-1.0
// The system calls behind a wait for a process on Windows: OpenProcess, DuplicateHandle,
// WaitForSingleObject (a look, never a block) and GetExitCodeProcess; and the choice of
// mechanism.
#include <asio_fswatch/detail/system_error.hpp>
#include <asio_fswatch/detail/win_child_wait.hpp>
#include <asio_fswatch/error.hpp>

#include <windows.h>


namespace asio_fswatch::detail {

child_backend_choice choose_child_backend(child_backend wanted) noexcept {
  child_backend_choice choice;
  if (!asked_child_backend(wanted, choice))
    return choice;
  if (wanted == child_backend::pidfd || wanted == child_backend::sigchld) {
    choice.error = errc::backend_unavailable; // POSIX only
    return choice;
  }
  choice.backend = child_backend::process_handle;
  return choice;
}

native_process_handle open_process(pid_type pid, boost::system::error_code& ec) noexcept {
  ec.clear();
  if (pid == 0) {
    ec = make_error_code(boost::system::errc::invalid_argument);
    return nullptr;
  }
  HANDLE handle = ::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, DWORD(pid));
  if (handle == nullptr) {
    // OpenProcess says "invalid parameter" for an id that names no process.
    if (::GetLastError() == ERROR_INVALID_PARAMETER)
      ec = make_error_code(boost::system::errc::no_such_process);
    else
      ec = last_system_error();
  }
  return handle;
}

native_process_handle duplicate_process_handle(native_process_handle handle, boost::system::error_code& ec) noexcept {
  ec.clear();
  HANDLE copy = nullptr;
  HANDLE self = ::GetCurrentProcess();
  if (!::DuplicateHandle(self, handle, self, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    ec = last_system_error();
    return nullptr;
  }
  return copy;
}

bool process_ended(native_process_handle handle, exit_status& status, boost::system::error_code& ec) noexcept {
  ec.clear();
  switch (::WaitForSingleObject(handle, 0)) {
  case WAIT_OBJECT_0: break;
  case WAIT_TIMEOUT: return false;
  default:
    ec = last_system_error();
    return false;
  }
  DWORD code = 0;
  if (!::GetExitCodeProcess(handle, &code)) {
    ec = last_system_error();
    return false;
  }
  status = exit_status::from_windows_exit_code(std::uint32_t(code));
  return true;
}

} // namespace asio_fswatch::detail
