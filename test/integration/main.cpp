// SPDX-License-Identifier: BSL-1.0
#define BOOST_TEST_MODULE asio_fswatch integration tests
#if defined(ASIO_FSWATCH_TEST_RUNNER_INCLUDED)
#include <boost/test/included/unit_test.hpp> // the whole runner, from headers (cross builds)
#else
#include <boost/test/unit_test.hpp>
#endif
#include <boost/test/tree/traverse.hpp>
#include <boost/test/tree/visitor.hpp>
#include <boost/make_shared.hpp>

#include <common/sanitizers.hpp>

#if defined(_WIN32)
#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/object_handle.hpp>
#include <windows.h>
#if defined(__MINGW32__) && __has_include(<pthread.h>)
#include <pthread.h>
#include <signal.h>
#endif
#else
#include <dirent.h>
#include <unistd.h>
#endif

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <future>
#include <string>
#include <thread>

// Descriptor and thread hygiene: every test case must leave the process with the descriptors
// (numbers and what they point at) and the number of threads it found, so a leak is reported
// against the case that caused it, even when that case's own checks all pass. On Windows: the
// number of handles the process holds.
namespace {

#if defined(_WIN32)

/// The handles the process holds, by value (Wine's GetProcessHandleCount says 0): the values
/// that name something are looked at (handles are small multiples of 4, given out lowest first; the first
/// 1024 are looked at, several times what these tests hold: each look is a call to the kernel,
/// or to wineserver, and 4096 of them took 0.4 s per look under Wine).
std::set<ULONG_PTR> open_handles() {
  std::set<ULONG_PTR> handles;
  for (ULONG_PTR value = 4; value < 4 * 1024; value += 4) {
    DWORD flags = 0;
    if (::GetHandleInformation(reinterpret_cast<HANDLE>(value), &flags))
      handles.insert(value);
  }
  return handles;
}

/// What a handle is, for the report of a leak: the object's type (from ntdll's NtQueryObject,
/// looked up at run time: MinGW's import library for it is not needed then) and, for a file or
/// a directory, its path.
std::string describe_handle(ULONG_PTR value) {
  const HANDLE handle = reinterpret_cast<HANDLE>(value);
  std::ostringstream text;
  text << "handle 0x" << std::hex << value << std::dec;
  using query_object = LONG(WINAPI*)(HANDLE, int, void*, ULONG, ULONG*);
  const auto query = reinterpret_cast<query_object>(
      reinterpret_cast<void (*)()>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQueryObject")));
  alignas(8) unsigned char buffer[1024];
  constexpr int object_type_information = 2; // begins with the type's UNICODE_STRING name
  if (query != nullptr && query(handle, object_type_information, buffer, sizeof buffer, nullptr) >= 0) {
    struct counted_name {
      USHORT bytes;
      USHORT capacity;
      const wchar_t* text;
    };
    const auto* name = reinterpret_cast<const counted_name*>(buffer);
    text << " (";
    for (USHORT i = 0; i < name->bytes / 2; ++i)
      text << (name->text[i] < 128 ? static_cast<char>(name->text[i]) : '?');
    text << ')';
  }
  wchar_t path[1024];
  const DWORD length = ::GetFinalPathNameByHandleW(handle, path, 1024, FILE_NAME_NORMALIZED);
  if (length > 0 && length < 1024) {
    text << ' ';
    for (DWORD i = 0; i < length; ++i)
      text << (path[i] < 128 ? static_cast<char>(path[i]) : '?');
  }
  return text.str();
}

class hygiene_check final : public boost::unit_test::test_unit_fixture {
public:
  void setup() override { before_ = open_handles(); }

  void teardown() override {
    // The system's thread pool (behind Asio's object_handle waits) lets its threads and their
    // handles go a moment after the last wait (Wine: about 5 s of idling): give it up to 10 s.
    // Only growth is a leak; the handles not there before are named in its report.
    std::set<ULONG_PTR> after = open_handles();
    const ULONGLONG deadline = ::GetTickCount64() + 10000;
    while (after.size() > before_.size() && ::GetTickCount64() < deadline) {
      ::Sleep(10);
      after = open_handles();
    }
    if (after.size() <= before_.size())
      return;
    std::ostringstream problems;
    for (const ULONG_PTR value : after)
      if (before_.count(value) == 0)
        problems << "\n  " << describe_handle(value) << " is new";
    BOOST_ERROR("handle hygiene: " << after.size() - before_.size() << " more handles after the case ("
                                   << after.size() << ", " << before_.size() << " before):" << problems.str());
  }

private:
  std::set<ULONG_PTR> before_;
};

#if defined(__MINGW32__) && __has_include(<pthread.h>)
/// winpthreads (behind MinGW's std::thread, and Asio's threads there) gives a mutex an event the
/// first time a thread waits for it, and never frees that of a static mutex of its own. Its
/// registry of threads has one: when one thread's end meets another's join, the event appears
/// then, at whichever case that happens in (seen under Wine: an auto-reset Event, at a random
/// case's io_context shutdown). pthread_kill(self, 0) takes that lock too: two threads asking it
/// over and over meet there within moments. Rounds until the count grows, at most 40 of 50 ms.
void allocate_the_thread_registrys_event() {
  const std::size_t before = open_handles().size();
  for (int round = 0; round < 40 && open_handles().size() <= before; ++round) {
    std::atomic<bool> stop{false};
    auto ask = [&stop] {
      const pthread_t self = ::pthread_self();
      while (!stop.load(std::memory_order_relaxed))
        ::pthread_kill(self, 0);
    };
    std::thread first(ask);
    std::thread second(ask);
    ::Sleep(50);
    stop = true;
    first.join();
    second.join();
  }
}
#else
void allocate_the_thread_registrys_event() {}
#endif

/// What the runtime allocates once and keeps is allocated before the first case, so that it is
/// not taken for that case's leak: the first object_handle wait completed to a context run on
/// another thread leaves three handles for good under Wine, the first std::future one (measured;
/// later ones leave none).
void allocate_what_the_runtime_keeps() {
  allocate_the_thread_registrys_event();
  std::promise<int> promise;
  std::future<int> future = promise.get_future();
  std::thread([&] { promise.set_value(1); }).join();
  future.get();
  boost::asio::io_context io;
  HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  boost::asio::windows::object_handle object(io, event);
  object.async_wait([](boost::system::error_code) {});
  ::SetEvent(event);
  std::thread runner([&] { io.run(); });
  runner.join();
}

#else

using asio_fswatch::test::thread_sanitizer;

std::map<int, std::string> open_descriptors() {
  std::map<int, std::string> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr)
    return fds;
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.')
      continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == own)
      continue;
    char target[512];
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    fds[fd] = n >= 0 ? std::string(target, static_cast<std::size_t>(n)) : "?";
  }
  ::closedir(dir);
  return fds;
}

// The names of the process's threads (from /proc/self/task/N/comm), one per thread.
std::multiset<std::string> thread_names() {
  std::multiset<std::string> names;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr)
    return names;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.')
      continue;
    std::ifstream comm(std::string("/proc/self/task/") + entry->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    names.insert(name.empty() ? "?" : name);
  }
  ::closedir(dir);
  return names;
}

class hygiene_check final : public boost::unit_test::test_unit_fixture {
public:
  void setup() override {
    before_ = open_descriptors();
    threads_before_ = thread_names();
  }

  void teardown() override {
    const std::map<int, std::string> after = open_descriptors();
    std::ostringstream problems;
    for (const auto& [fd, target] : after) {
      auto it = before_.find(fd);
      if (it == before_.end())
        problems << "\n  descriptor " << fd << " (" << target << ") was left open";
      else if (it->second != target)
        problems << "\n  descriptor " << fd << " now points at " << target << ", was " << it->second;
    }
    for (const auto& [fd, target] : before_)
      if (after.count(fd) == 0)
        problems << "\n  descriptor " << fd << " (" << target << ") was closed by the test";
    // A joined thread leaves /proc a moment after join() returns: give it that moment.
    // ThreadSanitizer's runtime starts a background thread of its own when it needs one: the
    // thread check is left to the other builds there.
    std::multiset<std::string> threads = thread_sanitizer ? threads_before_ : thread_names();
    for (int i = 0; i < 200 && threads.size() > threads_before_.size(); ++i) {
      ::usleep(10'000);
      threads = thread_names();
    }
    if (threads != threads_before_) {
      problems << "\n  " << threads.size() << " threads after the case (";
      for (const std::string& name : threads)
        problems << ' ' << name;
      problems << " ), " << threads_before_.size() << " before";
    }
    const std::string text = problems.str();
    if (!text.empty())
      BOOST_ERROR("descriptor and thread hygiene:" << text);
  }

private:
  std::map<int, std::string> before_;
  std::multiset<std::string> threads_before_;
};

#endif

// Gives every test case the check, as a fixture of its own: its teardown runs after the case
// (and the case's own fixture) in the case's context, so a failure is the case's failure.
struct install_hygiene_check : boost::unit_test::test_tree_visitor {
  boost::unit_test::test_unit_fixture_ptr check = boost::make_shared<hygiene_check>();

  install_hygiene_check() {
#if defined(_WIN32)
    allocate_what_the_runtime_keeps();
#endif
    boost::unit_test::traverse_test_tree(boost::unit_test::framework::master_test_suite(), *this);
  }

  void visit(const boost::unit_test::test_case& tc) override {
    boost::unit_test::framework::get<boost::unit_test::test_case>(tc.p_id).p_fixtures->push_back(check);
  }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(install_hygiene_check);
