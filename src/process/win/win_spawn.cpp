// SPDX-License-Identifier: BSL-1.0
// Starting a supervised command on Windows through Boost.Process v2's launcher, with one
// initializer of ours: the child starts suspended and in a new console process group, gets its
// standard handles (and only those: PROC_THREAD_ATTRIBUTE_HANDLE_LIST, where the system has it)
// and an environment built here, joins a new Job Object (kill on close), and only then runs, so
// that everything it starts is in the job too.
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/spawn.hpp>
#include <asio_fswatch/detail/system_error.hpp>

// Boost.Process v2 (Boost 1.81), header-only, on std::filesystem. Its headers use
// boost::optional, boost::decay and boost::is_convertible without including them. In
// header-only mode (asio_fswatch/src.hpp) this file may follow the program's own includes.
#if !defined(BOOST_PROCESS_USE_STD_FS)
#if defined(BOOST_PROCESS_V2_DETAIL_CONFIG_HPP)
#error "asio_fswatch/src.hpp: include it before Boost.Process, or define BOOST_PROCESS_USE_STD_FS for the whole program"
#endif
#define BOOST_PROCESS_USE_STD_FS 1
#endif
#include <boost/optional.hpp>
#include <boost/type_traits/decay.hpp>
#include <boost/type_traits/is_convertible.hpp>
#include <boost/process/v2/process.hpp>

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cwctype>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace asio_fswatch::detail {
namespace {

namespace bp2 = boost::process::v2;

std::wstring widen(const std::string& text) { return path_from_text(text.c_str()).native(); }

bool same_name(const std::wstring& a, const std::wstring& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](wchar_t x, wchar_t y) {
           return std::towupper(x) == std::towupper(y); // environment names ignore case
         });
}

/// The child's environment block: this process's, with the options' variables set over it (a
/// name given twice takes the last value).
std::wstring environment_block(const std::vector<std::pair<std::string, std::string>>& overrides,
                               std::wstring& path_value) {
  std::vector<std::pair<std::wstring, std::wstring>> vars;
  if (wchar_t* env = ::GetEnvironmentStringsW()) {
    for (const wchar_t* e = env; *e; e += std::wcslen(e) + 1) {
      std::wstring entry(e);
      const std::size_t equals = entry.find(L'=', 1); // "=C:=C:\..." entries start with '='
      if (equals != std::wstring::npos)
        vars.emplace_back(entry.substr(0, equals), entry.substr(equals + 1));
    }
    ::FreeEnvironmentStringsW(env);
  }
  for (const auto& [name, value] : overrides) {
    const std::wstring wide_name = widen(name);
    vars.erase(std::remove_if(vars.begin(), vars.end(), [&](const auto& v) { return same_name(v.first, wide_name); }),
               vars.end());
    vars.emplace_back(wide_name, widen(value));
  }
  std::wstring block;
  for (const auto& [name, value] : vars) {
    if (same_name(name, L"PATH"))
      path_value = value;
    block += name + L'=' + value;
    block += L'\0';
  }
  block += L'\0';
  return block;
}

/// `program` itself when it names a directory part, else searched in `path` (the child's
/// PATH), as given and with ".exe". Empty when there is none.
std::filesystem::path find_program(const std::string& program, const std::wstring& path) {
  const std::filesystem::path given = path_from_text(program.c_str());
  if (given.has_parent_path())
    return given;
  std::wstring found(32768, L'\0');
  const DWORD n = ::SearchPathW(path.empty() ? nullptr : path.c_str(), given.c_str(), L".exe",
                                DWORD(found.size()), found.data(), nullptr);
  if (n == 0 || n >= found.size())
    return {};
  found.resize(n);
  return found;
}

/// One standard handle of the child, and this process's end of its pipe.
struct stream_plan {
  HANDLE child = nullptr;              // what the child gets (inheritable)
  bool close_child = false;            // opened here: closed once the child has started
  HANDLE parent = INVALID_HANDLE_VALUE; // this process's end of a pipe
};

std::atomic<unsigned> pipe_serial{0};

/// Part of a pipe's name that another process cannot guess.
std::wstring random_part() {
  static const unsigned long long seed = std::random_device{}() * 0x100000000ull + std::random_device{}();
  return std::to_wstring(seed);
}

bool plan_stream(stdio_mode mode, DWORD which, stream_plan& plan, boost::system::error_code& ec) {
  SECURITY_ATTRIBUTES inheritable{sizeof inheritable, nullptr, TRUE};
  const bool child_reads = which == STD_INPUT_HANDLE;
  if (mode == stdio_mode::inherit) {
    plan.child = ::GetStdHandle(which);
    if (plan.child && plan.child != INVALID_HANDLE_VALUE)
      ::SetHandleInformation(plan.child, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    return true;
  }
  if (mode == stdio_mode::null) {
    plan.child = ::CreateFileW(L"NUL", child_reads ? GENERIC_READ : GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                               &inheritable, OPEN_EXISTING, 0, nullptr);
    if (plan.child == INVALID_HANDLE_VALUE) {
      ec = last_system_error();
      return false;
    }
    plan.close_child = true;
    return true;
  }
  // A named pipe: overlapped on this side (for the completion port), synchronous on the child's.
  const std::wstring name = L"\\\\.\\pipe\\asio_fswatch-" + std::to_wstring(::GetCurrentProcessId()) + L"-" +
                            random_part() + L"-" + std::to_wstring(pipe_serial.fetch_add(1));
  plan.parent = ::CreateNamedPipeW(name.c_str(),
                                   (child_reads ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) | FILE_FLAG_OVERLAPPED |
                                       FILE_FLAG_FIRST_PIPE_INSTANCE,
                                   PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
                                   65536, 65536, 0, nullptr);
  if (plan.parent == INVALID_HANDLE_VALUE) {
    ec = last_system_error();
    return false;
  }
  plan.child = ::CreateFileW(name.c_str(), child_reads ? GENERIC_READ : GENERIC_WRITE, 0, &inheritable,
                             OPEN_EXISTING, 0, nullptr);
  if (plan.child == INVALID_HANDLE_VALUE) {
    ec = last_system_error();
    plan.child = nullptr;
    return false;
  }
  plan.close_child = true;
  return true;
}

/// Appends `arg` to a command line the way the C runtime's parser (and CommandLineToArgvW)
/// reads it back whole: quoted when it is empty or holds a blank or a quote, a quote escaped
/// with a backslash, and the backslashes before a quote, or before the closing quote, doubled.
/// (Boost.Process v2 1.81 does not double the backslashes before the closing quote: an argument
/// ending in a backslash came out with a quote instead.)
void append_argument(std::wstring& line, const std::wstring& arg) {
  if (!line.empty())
    line += L' ';
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    line += arg;
    return;
  }
  line += L'"';
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"')
      line.append(backslashes * 2 + 1, L'\\'); // each doubled, and one for the quote
    else
      line.append(backslashes, L'\\');
    backslashes = 0;
    line += c;
  }
  line.append(backslashes * 2, L'\\'); // before the closing quote
  line += L'"';
}

/// A batch file runs in cmd.exe, which parses the command line again by rules of its own: an
/// argument holding one of its special characters could run another command (the "BatBadBut"
/// class of bugs). Such arguments are refused for .bat and .cmd programs.
bool safe_for_cmd(const std::filesystem::path& program, const std::vector<std::string>& args) {
  std::wstring extension = program.extension().native();
  for (wchar_t& c : extension)
    c = wchar_t(std::towlower(c));
  if (extension != L".bat" && extension != L".cmd")
    return true;
  for (const std::string& a : args)
    if (a.find_first_of("\"&|<>^%!()\r\n") != std::string::npos)
      return false;
  return true;
}

/// The launcher's initializer (see the file comment).
struct job_start {
  HANDLE job;
  std::vector<HANDLE> handles; // the child's standard handles, each once
  HANDLE in, out, err;
  wchar_t* environment;
  const std::filesystem::path* directory;
  const std::wstring* command_line; // quoted here (append_argument), not by the launcher
  LPPROC_THREAD_ATTRIBUTE_LIST attributes = nullptr;
  boost::system::error_code failure; // of the job, after CreateProcessW

  bp2::error_code on_setup(bp2::windows::default_launcher& launcher, const bp2::filesystem::path&,
                           std::wstring& line) {
    line = *command_line;
    launcher.creation_flags |= CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP | CREATE_UNICODE_ENVIRONMENT;
    if (!::GetConsoleWindow())
      launcher.creation_flags |= CREATE_NO_WINDOW; // no console here: none flashes up for the child
    launcher.environment = environment;
    if (!directory->empty())
      launcher.current_directory = *directory;
    STARTUPINFOW& info = launcher.startup_info.StartupInfo;
    info.dwFlags |= STARTF_USESTDHANDLES;
    info.hStdInput = in;
    info.hStdOutput = out;
    info.hStdError = err;
    launcher.inherit_handles = !handles.empty();
    // Only these handles are inherited, where the system can say so: another thread's pipe
    // ends, inheritable for a moment, must not leak into this child (its reader would never see
    // the end of the pipe).
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    attributes = static_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(::HeapAlloc(::GetProcessHeap(), 0, size));
    if (attributes && ::InitializeProcThreadAttributeList(attributes, 1, 0, &size)) {
      if (!handles.empty() && ::UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles.data(),
                                                           handles.size() * sizeof(HANDLE), nullptr, nullptr))
        launcher.startup_info.lpAttributeList = attributes;
    }
    return {};
  }

  void on_success(bp2::windows::default_launcher& launcher, const bp2::filesystem::path&, std::wstring&) {
    const PROCESS_INFORMATION& started = launcher.process_information;
    if (!::AssignProcessToJobObject(job, started.hProcess)) {
      failure = last_system_error();
      ::TerminateProcess(started.hProcess, 1); // it never ran
      return;
    }
    if (::ResumeThread(started.hThread) == DWORD(-1)) {
      failure = last_system_error();
      ::TerminateJobObject(job, 1);
    }
  }

  ~job_start() {
    if (attributes) {
      ::DeleteProcThreadAttributeList(attributes);
      ::HeapFree(::GetProcessHeap(), 0, attributes);
    }
  }
};

HANDLE new_job(boost::system::error_code& ec) {
  HANDLE job = ::CreateJobObjectW(nullptr, nullptr);
  if (!job) {
    ec = last_system_error();
    return nullptr;
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!::SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
    ec = last_system_error();
    ::CloseHandle(job);
    return nullptr;
  }
  return job;
}

} // namespace

spawned_pipes spawn_group_leader(const boost::asio::any_io_executor& ex, const std::string& program,
                                 const std::vector<std::string>& args, const process_options& options,
                                 process_tree& tree, boost::system::error_code& ec) {
  ec.clear();
  spawned_pipes result;
  std::wstring path_value;
  std::wstring environment = environment_block(options.environment, path_value);
  const std::filesystem::path executable = find_program(program, path_value);
  if (executable.empty()) {
    ec = make_error_code(boost::system::errc::no_such_file_or_directory);
    return result;
  }
  if (!safe_for_cmd(executable, args)) {
    ec = make_error_code(boost::system::errc::invalid_argument);
    return result;
  }
  stream_plan in{}, out{}, err{};
  const bool planned = plan_stream(options.stdin_mode, STD_INPUT_HANDLE, in, ec) &&
                       plan_stream(options.stdout_mode, STD_OUTPUT_HANDLE, out, ec) &&
                       plan_stream(options.stderr_mode, STD_ERROR_HANDLE, err, ec);
  HANDLE job = planned ? new_job(ec) : nullptr;
  bool started = false;
  if (job) {
    std::wstring command_line;
    append_argument(command_line, executable.native());
    for (const std::string& a : args)
      append_argument(command_line, widen(a));
    job_start init{job, {}, in.child, out.child, err.child, environment.data(), &options.working_directory,
                   &command_line, nullptr, {}};
    for (HANDLE h : {in.child, out.child, err.child})
      if (h && h != INVALID_HANDLE_VALUE && std::find(init.handles.begin(), init.handles.end(), h) == init.handles.end())
        init.handles.push_back(h);
    bp2::windows::default_launcher launcher;
    bp2::process proc = launcher(ex, ec, executable, std::vector<std::wstring>{}, init);
    if (!ec && init.failure)
      ec = init.failure;
    if (!ec) {
      HANDLE self = ::GetCurrentProcess();
      HANDLE process = nullptr;
      if (::DuplicateHandle(self, proc.native_handle(), self, &process, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
        tree.leader = proc.id();
        tree.process = process;
        tree.job = job;
        started = true;
      } else {
        ec = last_system_error();
        ::TerminateJobObject(job, 1);
      }
    }
    proc.detach(); // the tree owns the process now (or it was ended above); never terminated here
    if (!started)
      ::CloseHandle(job); // kill on close: nothing of it survives
  }
  for (stream_plan* plan : {&in, &out, &err}) {
    if (plan->close_child && plan->child)
      ::CloseHandle(plan->child);
    if (plan->parent != INVALID_HANDLE_VALUE && !started)
      ::CloseHandle(plan->parent);
  }
  if (started) {
    result.stdin_end = in.parent;
    result.stdout_end = out.parent;
    result.stderr_end = err.parent;
  }
  return result;
}

void close_pipe_end(native_file end) noexcept { ::CloseHandle(end); }

} // namespace asio_fswatch::detail
