// SPDX-License-Identifier: BSL-1.0
// A supervised child's tree on Windows: its Job Object. Everything the child starts joins the
// job, so the job's process list is the tree; TerminateJobObject ends it, and closing the job
// (kill on close) ends whatever is left.
#include <asio_fswatch/detail/process_tree.hpp>
#include <asio_fswatch/detail/spawn.hpp>
#include <asio_fswatch/detail/system_error.hpp>
#include <asio_fswatch/process_options.hpp>

#include <windows.h>

#include <chrono>
#include <thread>

namespace asio_fswatch::detail {
namespace {

/// What TerminateJobObject makes every process of the job exit with.
constexpr UINT terminated_code = 1;

/// How many processes run in `job`, and whether one of them is not `leader`.
bool others_in_job(HANDLE job, DWORD leader) noexcept {
  struct {
    JOBOBJECT_BASIC_PROCESS_ID_LIST list;
    ULONG_PTR more[255];
  } ids{};
  if (!::QueryInformationJobObject(job, JobObjectBasicProcessIdList, &ids, sizeof ids, nullptr) &&
      ::GetLastError() != ERROR_MORE_DATA)
    return false;
  if (ids.list.NumberOfAssignedProcesses > ids.list.NumberOfProcessIdsInList)
    return true; // more than the buffer holds: more than the leader
  for (DWORD i = 0; i < ids.list.NumberOfProcessIdsInList; ++i)
    if (ids.list.ProcessIdList[i] != leader)
      return true;
  return false;
}

/// Waits (at most `limit`) until no process is left in `job`.
void wait_until_empty(HANDLE job, std::chrono::milliseconds limit) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (others_in_job(job, 0) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

} // namespace

void close_tree(process_tree& tree) noexcept {
  if (tree.process != no_process_handle)
    ::CloseHandle(tree.process);
  if (tree.job)
    ::CloseHandle(tree.job); // kill on close, unless let_tree_run() cleared it
  tree.process = no_process_handle;
  tree.job = nullptr;
}

std::string new_tree_mark() { return {}; }

void signal_descendants(process_tree&, int) noexcept {}

bool tree_alive(process_tree& tree) noexcept { return tree.job && others_in_job(tree.job, tree.leader); }

void reap_tree_zombies(process_tree&) noexcept {}

void kill_tree(process_tree& tree) noexcept {
  if (!tree.job)
    return;
  ::TerminateJobObject(tree.job, terminated_code);
  wait_until_empty(tree.job, std::chrono::seconds(10));
}

void let_tree_run(process_tree& tree) noexcept {
  if (!tree.job)
    return;
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{}; // no limit: closing the job ends nothing
  if (!::SetInformationJobObject(tree.job, JobObjectExtendedLimitInformation, &limits, sizeof limits))
    tree.job = nullptr; // kill on close is still set: the HANDLE is left open, so the tree lives on
}

void signal_group(process_tree& tree, int signal, boost::system::error_code& ec) noexcept {
  ec.clear();
  if (signal == forced_stop) {
    if (tree.job && !::TerminateJobObject(tree.job, terminated_code))
      ec = last_system_error();
    return;
  }
  if (signal == polite_stop) {
    // Reaches the child's console process group when it shares this process's console; without
    // one (a service, a GUI program, Wine's tests) nothing is sent: the grace period then ends
    // with TerminateJobObject.
    ::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, tree.leader);
    return;
  }
  ec = make_error_code(boost::system::errc::invalid_argument);
}

void kill_and_reap(process_tree& tree) noexcept {
  if (tree.job)
    ::TerminateJobObject(tree.job, terminated_code);
  if (tree.process != no_process_handle)
    ::WaitForSingleObject(tree.process, 30000);
}

} // namespace asio_fswatch::detail

namespace asio_fswatch {

void make_child_subreaper(boost::system::error_code& ec) noexcept {
  ec = make_error_code(boost::system::errc::operation_not_supported); // a Linux notion
}

} // namespace asio_fswatch
