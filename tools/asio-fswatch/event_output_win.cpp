// SPDX-License-Identifier: BSL-1.0
// asio-fswatch: how standard output takes the events on Windows (see event_output.hpp).
#include "event_output.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <windows.h>

namespace asio_fswatch::tool {
namespace {

boost::system::error_code last_error() {
  return {static_cast<int>(::GetLastError()), boost::system::system_category()};
}

/// The writer thread's side: one chunk at a time, handed over under the mutex. It outlives the
/// event_output when a write never completes (a reader that stopped reading at the exit).
struct pipe_writer {
  explicit pipe_writer(HANDLE output, boost::asio::io_context& ioc) : output(output), executor(ioc.get_executor()) {}

  std::mutex mutex;
  std::condition_variable wake;
  std::string chunk;     // being written; the thread's own copy
  bool has_chunk = false;
  bool stopping = false; // set by close(): no more writes, nothing more posted
  const HANDLE output;
  boost::asio::io_context::executor_type executor;

  static DWORD WINAPI run(void* argument) {
    auto self = std::unique_ptr<std::shared_ptr<pipe_writer>>(static_cast<std::shared_ptr<pipe_writer>*>(argument));
    pipe_writer& w = **self;
    std::unique_lock lock(w.mutex);
    for (;;) {
      w.wake.wait(lock, [&] { return w.has_chunk || w.stopping; });
      if (w.stopping)
        return 0;
      lock.unlock();
      DWORD taken = 0;
      boost::system::error_code ec;
      if (!::WriteFile(w.output, w.chunk.data(), static_cast<DWORD>(w.chunk.size()), &taken, nullptr))
        ec = last_error();
      else if (taken == 0)
        ec = boost::system::error_code(ERROR_WRITE_FAULT, boost::system::system_category());
      lock.lock();
      w.has_chunk = false;
      if (w.stopping)
        return 0;
      // Under the mutex: close() cannot come between the check and the post, so the io_context
      // is still there to take it.
      boost::asio::post(w.executor, [owner = *self, ec, taken] { owner->done(ec, taken); });
    }
  }

  // On the io_context's thread.
  std::function<void(boost::system::error_code, std::size_t)> on_done;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> busy;
  void done(boost::system::error_code ec, std::size_t taken) {
    busy.reset();
    if (on_done)
      on_done(ec, taken);
  }
};

/// Whether `error_output` is the same pipe as `output` (`2>&1`, which duplicates the handle):
/// CompareObjectHandles (Windows 10) says whether two handles are one file object.
bool same_pipe(HANDLE output, HANDLE error_output) {
  if (error_output == output)
    return true;
  if (!error_output || error_output == INVALID_HANDLE_VALUE || ::GetFileType(error_output) != FILE_TYPE_PIPE)
    return false;
  using compare_function = BOOL(WINAPI*)(HANDLE, HANDLE);
  HMODULE kernelbase = ::GetModuleHandleW(L"kernelbase.dll");
  const auto compare = kernelbase ? reinterpret_cast<compare_function>(reinterpret_cast<void (*)()>(
                                        ::GetProcAddress(kernelbase, "CompareObjectHandles")))
                                  : nullptr;
  return compare && compare(output, error_output);
}

/// Chunks handed to the thread: large enough that a fast reader costs few round trips, small
/// enough that the copy is cheap.
constexpr std::size_t chunk_limit = 64 * 1024;

} // namespace

struct event_output::platform {
  enum class method { plain_write, console, thread };
  HANDLE output = INVALID_HANDLE_VALUE;
  method how = method::plain_write;
  std::shared_ptr<pipe_writer> writer;
  HANDLE thread = nullptr;
  std::wstring wide; // reused by the console's writes
};

void event_output::platform_deleter::operator()(platform* p) const noexcept { delete p; }

boost::system::error_code event_output::open() {
  HANDLE output = ::GetStdHandle(STD_OUTPUT_HANDLE);
  if (output == nullptr || output == INVALID_HANDLE_VALUE)
    return boost::system::error_code(ERROR_INVALID_HANDLE, boost::system::system_category());
  ::SetLastError(NO_ERROR);
  const DWORD type = ::GetFileType(output);
  if (type == FILE_TYPE_UNKNOWN && ::GetLastError() != NO_ERROR)
    return last_error();
  auto out = std::make_unique<platform>();
  out->output = output;
  DWORD console_mode = 0;
  if (type == FILE_TYPE_CHAR && ::GetConsoleMode(output, &console_mode)) {
    out->how = platform::method::console;
  } else if (type == FILE_TYPE_PIPE) {
    out->how = platform::method::thread;
    out->writer = std::make_shared<pipe_writer>(output, ioc_);
    out->writer->on_done = [this](boost::system::error_code ec, std::size_t taken) { resume(ec, taken); };
    auto* argument = new std::shared_ptr<pipe_writer>(out->writer);
    out->thread = ::CreateThread(nullptr, 64 * 1024, &pipe_writer::run, argument, 0, nullptr);
    if (!out->thread) {
      const boost::system::error_code ec = last_error();
      delete argument;
      return ec;
    }
    shared_with_stderr_ = same_pipe(output, ::GetStdHandle(STD_ERROR_HANDLE));
  }
  platform_.reset(out.release());
  return {};
}

std::size_t event_output::write_some(std::string_view bytes, boost::system::error_code& ec) {
  platform& out = *platform_;
  switch (out.how) {
  case platform::method::thread: {
    pipe_writer& w = *out.writer;
    {
      std::lock_guard lock(w.mutex);
      w.chunk.assign(bytes.substr(0, chunk_limit));
      w.has_chunk = true;
    }
    w.busy.emplace(w.executor); // run() does not return while the thread writes
    w.wake.notify_one();
    return 0; // done() calls resume()
  }
  case platform::method::console: {
    // The queue holds whole lines, so `bytes` ends on a whole character.
    const int units = ::MultiByteToWideChar(CP_UTF8, 0, bytes.data(), static_cast<int>(bytes.size()), nullptr, 0);
    out.wide.resize(static_cast<std::size_t>(units));
    ::MultiByteToWideChar(CP_UTF8, 0, bytes.data(), static_cast<int>(bytes.size()), out.wide.data(), units);
    std::size_t done = 0;
    while (done < out.wide.size()) {
      DWORD written = 0;
      DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(out.wide.size() - done, 16 * 1024));
      if (done + chunk < out.wide.size() && out.wide[done + chunk - 1] >= 0xd800 && out.wide[done + chunk - 1] <= 0xdbff)
        --chunk; // a surrogate pair stays whole
      if (!::WriteConsoleW(out.output, out.wide.data() + done, chunk, &written, nullptr) || written == 0) {
        ec = last_error();
        return 0;
      }
      done += written;
    }
    return bytes.size();
  }
  case platform::method::plain_write:
    break;
  }
  DWORD written = 0;
  const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size(), std::size_t(1) << 30));
  if (!::WriteFile(out.output, bytes.data(), chunk, &written, nullptr))
    ec = last_error();
  else if (written == 0)
    ec = boost::system::error_code(ERROR_WRITE_FAULT, boost::system::system_category());
  return written;
}

void event_output::close_platform() noexcept {
  if (!platform_)
    return;
  platform& out = *platform_;
  if (out.writer) {
    pipe_writer& w = *out.writer;
    bool writing = false;
    {
      std::lock_guard lock(w.mutex);
      w.stopping = true;
      writing = w.has_chunk;
    }
    w.wake.notify_one();
    w.on_done = nullptr;
    w.busy.reset();
    // A write that a stalled reader never takes is cancelled, again until the thread is out: it
    // may not have entered WriteFile at the first try. Where the system cannot cancel it, the
    // thread stays blocked until the process exits (after at most a second here).
    for (int attempt = 0; writing && attempt < 100 && ::WaitForSingleObject(out.thread, 0) == WAIT_TIMEOUT;
         ++attempt) {
      ::CancelSynchronousIo(out.thread);
      ::WaitForSingleObject(out.thread, 10);
    }
  }
  if (out.thread)
    ::CloseHandle(out.thread); // the thread ends by itself
  platform_.reset();
}

} // namespace asio_fswatch::tool
