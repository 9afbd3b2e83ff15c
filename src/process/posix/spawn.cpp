// SPDX-License-Identifier: BSL-1.0
// Starting a supervised command through Boost.Process v2's default launcher, with two
// initializers of ours: the new process group (and a clean signal state) in the child, and the
// environment prepared in the parent.
#include <asio_fswatch/detail/spawn.hpp>

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
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern char** environ;

namespace asio_fswatch::detail {
namespace {

namespace bp2 = boost::process::v2;

/// In the child, before exec: a group of its own, no blocked signal, SIGPIPE as by default (a
/// parent that ignores SIGPIPE must not pass that on). Only async-signal-safe calls.
struct new_process_group {
  template <typename Launcher>
  bp2::error_code on_exec_setup(Launcher&, const bp2::filesystem::path&, const char* const*) {
    if (::setpgid(0, 0) != 0)
      return {errno, bp2::system_category()};
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    return {};
  }

  /// In the child, when a setup step or exec failed (the error is already written to the
  /// launcher's pipe): end with _exit. The launcher would call exit(), which runs the parent's
  /// atexit handlers and static destructors in the copy, and writes out the parent's pending
  /// stdio buffers a second time.
  /// Variadic because Boost 1.81 detects this hook with one signature (an extra leading
  /// error_code) and calls it with another.
  template <typename... Args>
  void on_exec_error(Args&&...) {
    ::_exit(127);
  }
};

/// The child's environment: this process's, with the options' variables set over it. Built in
/// the parent (no allocation after fork).
class environment_block {
public:
  explicit environment_block(const std::vector<std::pair<std::string, std::string>>& overrides) {
    for (char** e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      std::string_view name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& o : overrides)
        replaced = replaced || o.first == name;
      if (!replaced)
        strings_.emplace_back(entry);
    }
    for (std::size_t i = 0; i < overrides.size(); ++i) {
      bool later = false; // a name given twice takes the last value
      for (std::size_t j = i + 1; j < overrides.size(); ++j)
        later = later || overrides[j].first == overrides[i].first;
      if (!later)
        strings_.push_back(overrides[i].first + '=' + overrides[i].second);
    }
    for (const std::string& s : strings_)
      pointers_.push_back(s.c_str());
    pointers_.push_back(nullptr);
  }
  const char* const* get() const noexcept { return pointers_.data(); }

private:
  std::vector<std::string> strings_;
  std::vector<const char*> pointers_;
};

struct use_environment {
  const environment_block* block;
  template <typename Launcher>
  bp2::error_code on_setup(Launcher& launcher, const bp2::filesystem::path&, const char* const*) {
    launcher.env = block->get();
    return {};
  }
};

/// `program` itself when it has a slash, else the first executable regular file of that name
/// in `path` (a PATH value; as execvp searches). Empty when there is none.
std::string find_program(const std::string& program, const char* path) {
  if (program.find('/') != std::string::npos)
    return program;
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (;;) {
    std::size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + '/' + program;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos)
      return {};
    dirs.remove_prefix(colon + 1);
  }
}

/// One standard stream of the child: the fd it gets, and this process's end of its pipe.
struct stream_plan {
  int child_fd;
  int parent_fd = -1;
  int child_end = -1; // to close in this process once the child has started
};

bool plan_stream(stdio_mode mode, int target, stream_plan& plan, int& null_fd, boost::system::error_code& ec) {
  plan.child_fd = target;
  if (mode == stdio_mode::inherit)
    return true;
  if (mode == stdio_mode::null) {
    if (null_fd < 0)
      null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) {
      ec.assign(errno, boost::system::system_category());
      return false;
    }
    plan.child_fd = null_fd;
    return true;
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    ec.assign(errno, boost::system::system_category());
    return false;
  }
  bool child_reads = target == STDIN_FILENO;
  plan.child_fd = plan.child_end = child_reads ? p[0] : p[1];
  plan.parent_fd = child_reads ? p[1] : p[0];
  return true;
}

} // namespace

spawned_pipes spawn_group_leader(const boost::asio::any_io_executor& ex, const std::string& program,
                                 const std::vector<std::string>& args, const process_options& options,
                                 process_tree& tree, boost::system::error_code& ec) {
  ec.clear();
  spawned_pipes result;
  tree.leader = -1;
  // The PATH the child will have: the options' when they set one.
  const char* path = std::getenv("PATH");
  for (const auto& [name, value] : options.environment)
    if (name == "PATH")
      path = value.c_str();
  std::string executable = find_program(program, path);
  if (executable.empty()) {
    ec.assign(ENOENT, boost::system::system_category());
    return result;
  }
  int null_fd = -1;
  stream_plan in{}, out{}, err{};
  bool planned = plan_stream(options.stdin_mode, STDIN_FILENO, in, null_fd, ec) &&
                 plan_stream(options.stdout_mode, STDOUT_FILENO, out, null_fd, ec) &&
                 plan_stream(options.stderr_mode, STDERR_FILENO, err, null_fd, ec);
  if (planned) {
    environment_block env(options.environment);
    bp2::process_stdio stdio{in.child_fd, out.child_fd, err.child_fd};
    bp2::default_process_launcher launcher;
    bp2::process proc = options.working_directory.empty()
        ? launcher(ex, ec, executable, args, stdio, use_environment{&env}, new_process_group{})
        : launcher(ex, ec, executable, args, stdio, use_environment{&env}, new_process_group{},
                   bp2::process_start_dir(options.working_directory));
    if (ec && launcher.pid > 0) {
      // The child was forked, then its chdir or exec failed: it is ending (see on_exec_error),
      // and the launcher does not reap it. Reaped here, or it would stay a zombie. The SIGKILL
      // only matters if the launcher failed for another reason with the child running (it is
      // our unreaped child, so the pid cannot belong to anybody else).
      ::kill(launcher.pid, SIGKILL);
      while (::waitpid(launcher.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (!ec) {
      tree.leader = proc.id();
      // The watcher waits on it from now on; Boost.Process must forget it, or its destructor
      // would kill it.
      proc.detach();
    }
  }
  for (stream_plan* plan : {&in, &out, &err}) {
    if (plan->child_end >= 0)
      ::close(plan->child_end);
    if (plan->parent_fd >= 0 && tree.leader < 0)
      ::close(plan->parent_fd);
  }
  if (null_fd >= 0)
    ::close(null_fd);
  if (tree.leader >= 0) {
    result.stdin_end = in.parent_fd;
    result.stdout_end = out.parent_fd;
    result.stderr_end = err.parent_fd;
  }
  return result;
}

void signal_group(process_tree& tree, int signal, boost::system::error_code& ec) noexcept {
  ec.clear();
  if (::kill(-tree.leader, signal) != 0 && errno != ESRCH)
    ec.assign(errno, boost::system::system_category());
}

void kill_and_reap(process_tree& tree) noexcept {
  const pid_t pid = tree.leader;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL); // in case it left its group
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

void close_pipe_end(native_file end) noexcept { ::close(end); }

} // namespace asio_fswatch::detail
