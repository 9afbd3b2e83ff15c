// SPDX-License-Identifier: BSL-1.0
// Composed file operations (async_read_file, async_copy_file): small state machines over the
// file service's requests. Each request's completion comes back here, on the context's thread
// (io_uring) or posted to the executor (thread pool); the job's own mutex orders them when the
// executor runs on several threads.
#include "file_native.hpp"

#include <asio_fswatch/detail/completion.hpp>
#include <asio_fswatch/detail/file_op.hpp>
#include <asio_fswatch/detail/file_service.hpp>
#include <asio_fswatch/file_base.hpp>
#include <asio_fswatch/file_operations.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#if defined(ASIO_FSWATCH_POSIX)
#include <sys/uio.h>
#endif

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace asio_fswatch::detail {
namespace {

using boost::asio::cancellation_type;
using boost::system::error_code;

constexpr std::uint64_t max_read_request = std::uint64_t(1) << 30; // below Linux's 2 GiB cap
constexpr std::uint64_t copy_range_request = std::uint64_t(64) << 20;
constexpr std::size_t copy_buffer_size = std::size_t(1) << 20;
constexpr std::size_t copy_buffers = 4;

error_code system_error(std::int64_t value) { return {int(value), boost::system::system_category()}; }

/// Base of the composed operations: issues requests and gets their completions back.
class file_job : public std::enable_shared_from_this<file_job> {
public:
  explicit file_job(boost::asio::any_io_executor ex)
      : ex_(std::move(ex)), work_(ex_),
        service_(&boost::asio::use_service<file_service>(boost::asio::query(ex_, boost::asio::execution::context))) {}
  virtual ~file_job() {
    for (shared_fd* fd : fds_)
      if (fd)
        fd->release();
  }

protected:
  /// One request of the job. `tag` says what it was for.
  struct step final : file_op {
    // Until a backend sets it, the result says "did not run": a step dropped at shutdown
    // before it ran has no descriptor to close.
    step() : file_op(&on_complete, &on_destroy) { result = cancelled_result; }
    step(const step&) = delete;
    step& operator=(const step&) = delete;
    /// Whatever the way it ends (handled, dropped at shutdown, or its posted completion
    /// destroyed unrun), a step gives back its share of the descriptor, and a descriptor it
    /// opened that the job did not take is closed.
    ~step() {
      if (handle)
        handle->release();
      if (opcode == file_opcode::open && result >= 0)
        close_opened(opened_file(result));
    }
    std::shared_ptr<file_job> job;
    int tag = 0;
    native_buffer buffer{};
    native_stat stat{};
    /// A stat request: what it found.
    file_stat described() const noexcept { return describe(stat); }

    static void on_complete(file_op* base, bool on_context_thread) {
      std::unique_ptr<step> self(static_cast<step*>(base));
      if (on_context_thread) {
        std::shared_ptr<file_job> job = self->job;
        job->finished(std::move(self));
        return;
      }
      boost::asio::any_io_executor ex = self->job->ex_;
      boost::asio::post(ex, [self = std::move(self)]() mutable {
        std::shared_ptr<file_job> job = self->job;
        job->finished(std::move(self));
      });
    }
    static void on_destroy(file_op* base) { delete static_cast<step*>(base); }
  };

  /// Chooses the backend; false (after failing the job) when it cannot be used.
  bool begin() {
    error_code ec;
    service_->backend(ex_, ec);
    if (ec) {
      fail_now(ec);
      return false;
    }
    install_cancellation();
    return true;
  }

  std::unique_ptr<step> make_step(int tag, file_opcode opcode) {
    auto s = std::make_unique<step>();
    s->job = shared_from_this();
    s->tag = tag;
    s->opcode = opcode;
    return s;
  }

  /// Starts `s` on descriptor slot `fd_index` (or none when negative). Mutex held.
  void issue(std::unique_ptr<step> s, int fd_index = -1) {
    if (fd_index >= 0) {
      shared_fd* fd = fds_[std::size_t(fd_index)];
      fd->acquire();
      s->handle = fd;
      s->fd = fd->get();
    }
    s->id = service_->next_id();
    in_flight_.push_back(s->id);
    service_->start(s.release());
  }

  /// Takes the descriptor an open step returned; returns its slot.
  int keep_fd(step& opened) {
    fds_.push_back(shared_fd::adopt(opened_file(opened.result)));
    opened.result = cancelled_result; // the job owns it now: the step must not close it
    return int(fds_.size() - 1);
  }
  native_file fd(int index) const { return fds_[std::size_t(index)]->get(); }

  /// A request ended. Mutex not held.
  void finished(std::unique_ptr<step> s) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (s->handle) {
      s->handle->release();
      s->handle = nullptr;
    }
    in_flight_.erase(std::find(in_flight_.begin(), in_flight_.end(), s->id));
    bool recovered = s->result < 0 && !error_ && !cancelled_ && recover(*s);
    if (s->result < 0 && !error_ && !recovered)
      error_ = s->result == cancelled_result ? error_code(boost::asio::error::operation_aborted)
                                       : system_error(-s->result);
    if (!error_ && cancelled_)
      error_ = boost::asio::error::operation_aborted;
    if (!error_ && !recovered)
      advance(*s);
    if (error_ && !done_) {
      // Stop what is still running, then report once it has all ended.
      for (std::uint64_t id : in_flight_)
        service_->cancel(id);
    }
    if ((error_ || finished_) && in_flight_.empty() && !done_) {
      done_ = true;
      lock.unlock();
      complete();
      work_.reset();
    }
  }

  /// Moves the job on after a successful request. Mutex held. Sets error_ or finished_.
  virtual void advance(step& s) = 0;
  /// A request failed: true when the job goes on another way (it has issued what it needs).
  virtual bool recover(const step&) { return false; }
  /// Delivers the result (error_ or the value). Mutex not held; called once.
  virtual void complete() = 0;
  /// Fails before any request was issued (never inline: posted).
  virtual void fail_now(const error_code& ec) = 0;
  virtual boost::asio::cancellation_slot slot() = 0;
  virtual cancellation_type supported_cancellation() const noexcept = 0;

  void install_cancellation() {
    boost::asio::cancellation_slot s = slot();
    if (!s.is_connected())
      return;
    std::weak_ptr<file_job> weak = weak_from_this();
    cancellation_type supported = supported_cancellation();
    s.assign([weak, supported](cancellation_type type) {
      if ((type & supported) == cancellation_type::none)
        return;
      if (std::shared_ptr<file_job> job = weak.lock())
        job->cancel();
    });
  }

  void cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (done_)
      return;
    cancelled_ = true;
    for (std::uint64_t id : in_flight_)
      service_->cancel(id);
  }

  boost::asio::any_io_executor ex_;
  // The context has work while the job runs, also when its requests are on pool threads.
  boost::asio::executor_work_guard<boost::asio::any_io_executor> work_;
  file_service* service_;
  std::mutex mutex_;
  std::vector<shared_fd*> fds_;
  std::vector<std::uint64_t> in_flight_;
  error_code error_;
  bool finished_ = false;
  bool cancelled_ = false;
  bool done_ = false;
  std::filesystem::path path_storage_[2]; // requests point at these
};

template <typename Signature>
class handler_holder {
public:
  explicit handler_holder(boost::asio::any_completion_handler<Signature> handler) : handler_(std::move(handler)) {}

  boost::asio::cancellation_slot slot() { return boost::asio::get_associated_cancellation_slot(*handler_); }

  /// Calls the handler through its executor (dispatch: the job's completions already run on the
  /// I/O executor, so a coroutine resumes without another trip through the scheduler).
  template <typename... Args>
  void dispatch(const boost::asio::any_io_executor& ex, Args&&... args) {
    auto handler = std::move(*handler_);
    handler_.reset();
    boost::asio::dispatch(ex, boost::asio::append(std::move(handler), std::forward<Args>(args)...));
  }
  /// Completes without running the handler inside the initiating call (detail::post_soon: the
  /// handler's immediate executor where Boost has them, else posted).
  template <typename... Args>
  void post(const boost::asio::any_io_executor& ex, Args&&... args) {
    auto handler = std::move(*handler_);
    handler_.reset();
    post_soon(ex, boost::asio::append(std::move(handler), std::forward<Args>(args)...));
  }

private:
  // In an optional: Boost 1.81's any_completion_handler move-assignment recurses for ever.
  std::optional<boost::asio::any_completion_handler<Signature>> handler_;
};

// ---------------------------------------------------------------------------------------------
// async_read_file

class read_file_job final : public file_job {
public:
  read_file_job(boost::asio::any_io_executor ex, const std::filesystem::path& path,
                boost::asio::any_completion_handler<read_file_signature> handler)
      : file_job(std::move(ex)), handler_(std::move(handler)) {
    path_storage_[0] = path;
  }

  void start() {
    if (!begin())
      return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto s = make_step(open_step, file_opcode::open);
    s->path = path_storage_[0].c_str();
    s->flags = file_base::read_only;
    issue(std::move(s));
  }

private:
  enum { open_step, stat_step, read_step };

  void advance(step& s) override {
    switch (s.tag) {
    case open_step: {
      fd_ = keep_fd(s);
      auto next = make_step(stat_step, file_opcode::stat);
      next->stat_buffer = &next->stat;
      issue(std::move(next), fd_);
      break;
    }
    case stat_step: {
      const file_stat file = s.described();
      if (file.type == file_stat::kind::directory) {
        error_ = portable_error(boost::system::errc::is_a_directory);
        return;
      }
      seekable_ = file.type == file_stat::kind::regular || file.type == file_stat::kind::block_device;
      // One byte more than the size says, so that a file read whole is seen to end with a read
      // of 0 bytes rather than a second, growing round.
      data_.resize(std::size_t(std::max<std::uint64_t>(file.size + 1, 4096)));
      read_more();
      break;
    }
    case read_step:
      if (s.result == 0) {
        data_.resize(filled_);
        finished_ = true;
        return;
      }
      filled_ += std::size_t(s.result);
      read_more();
      break;
    }
  }

  void read_more() {
    if (filled_ == data_.size())
      data_.resize(data_.size() * 2);
    auto s = make_step(read_step, file_opcode::read);
    s->buffer.iov_base = data_.data() + filled_;
    s->buffer.iov_len = std::size_t(std::min<std::uint64_t>(data_.size() - filled_, max_read_request));
    s->iov = &s->buffer;
    s->iov_count = 1;
    s->offset = seekable_ ? filled_ : current_position;
    s->interruptible = !seekable_; // a FIFO or a pipe may wait for ever
    issue(std::move(s), fd_);
  }

  void complete() override {
    if (error_)
      handler_.dispatch(ex_, error_, std::string());
    else
      handler_.dispatch(ex_, error_code(), std::move(data_));
  }
  void fail_now(const error_code& ec) override { handler_.post(ex_, ec, std::string()); }
  boost::asio::cancellation_slot slot() override { return handler_.slot(); }
  cancellation_type supported_cancellation() const noexcept override {
    return cancellation_type::terminal | cancellation_type::partial | cancellation_type::total;
  }

  handler_holder<read_file_signature> handler_;
  int fd_ = -1;
  bool seekable_ = true;
  std::string data_;
  std::size_t filled_ = 0;
};

// ---------------------------------------------------------------------------------------------
// async_copy_file

class copy_file_job final : public file_job {
public:
  copy_file_job(boost::asio::any_io_executor ex, const std::filesystem::path& from,
                const std::filesystem::path& to, boost::asio::any_completion_handler<copy_file_signature> handler)
      : file_job(std::move(ex)), handler_(std::move(handler)) {
    path_storage_[0] = from;
    path_storage_[1] = to;
  }

  void start() {
    if (!begin())
      return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto s = make_step(open_source, file_opcode::open);
    s->path = path_storage_[0].c_str();
    s->flags = file_base::read_only;
    issue(std::move(s));
  }

private:
  enum { open_source, stat_source, open_target, stat_target, truncate_target, copy_range, read_block, write_block };

  struct block {
    std::vector<char> data;
    std::uint64_t offset = 0;
    std::size_t length = 0;  // bytes read into data
    std::size_t written = 0; // of them, written
  };

  void advance(step& s) override {
    switch (s.tag) {
    case open_source: {
      source_ = keep_fd(s);
      auto next = make_step(stat_source, file_opcode::stat);
      next->stat_buffer = &next->stat;
      issue(std::move(next), source_);
      break;
    }
    case stat_source: {
      source_stat_ = s.described();
      if (source_stat_.type == file_stat::kind::directory) {
        error_ = portable_error(boost::system::errc::is_a_directory);
        return;
      }
      if (source_stat_.type != file_stat::kind::regular) {
        error_ = portable_error(boost::system::errc::invalid_argument);
        return;
      }
      // Not truncated yet: `to` may be `from` under another name, which must not be emptied.
      auto next = make_step(open_target, file_opcode::open);
      next->path = path_storage_[1].c_str();
      next->flags = file_base::write_only | file_base::create;
      next->mode = source_stat_.permissions;
      issue(std::move(next));
      break;
    }
    case open_target: {
      target_ = keep_fd(s);
      auto next = make_step(stat_target, file_opcode::stat);
      next->stat_buffer = &next->stat;
      issue(std::move(next), target_);
      break;
    }
    case stat_target: {
      const file_stat target = s.described();
      if (target.same_file(source_stat_)) {
        error_ = portable_error(boost::system::errc::invalid_argument);
        return;
      }
      if (target.type == file_stat::kind::directory) {
        error_ = portable_error(boost::system::errc::is_a_directory);
        return;
      }
      if (target.size == 0) {
        // Nothing to cut (the usual case: a new file). Truncating anyway costs dearly on ext4,
        // where a file truncated to 0 has its dirty pages written back at close().
        start_copying();
        break;
      }
      auto next = make_step(truncate_target, file_opcode::resize);
      next->offset = 0;
      issue(std::move(next), target_);
      break;
    }
    case truncate_target:
      start_copying();
      break;
    case copy_range:
      if (s.result == 0) {
        finish();
        return;
      }
      copied_ += std::uint64_t(s.result);
      issue_copy_range();
      break;
    case read_block:
    case write_block:
      on_block(s);
      break;
    }
  }

  /// In the kernel where it can (copy_file_range), else by reads and writes.
  void start_copying() {
    if constexpr (has_copy_range)
      issue_copy_range();
    else
      start_blocks();
  }

  void issue_copy_range() {
    auto s = make_step(copy_range, file_opcode::copy_range);
    s->offset = copied_;
    s->offset2 = copied_;
    s->length = copy_range_request;
    s->fd2 = fd(target_);
    // Both descriptors stay open: the job holds them until it completes.
    issue(std::move(s), source_);
  }

  /// copy_file_range failed: EXDEV (different file systems before Linux 5.19 and on some
  /// file systems), EINVAL/EOPNOTSUPP (a file system without it), ENOSYS: fall back to reads and
  /// writes, from where it stopped.
  static bool copy_range_unsupported(std::int64_t result) noexcept {
#if defined(ASIO_FSWATCH_POSIX)
    return result == -EXDEV || result == -EINVAL || result == -EOPNOTSUPP || result == -ENOSYS;
#else
    (void)result;
    return false; // never issued
#endif
  }

  void start_blocks() {
    read_offset_ = copied_;
    blocks_.resize(copy_buffers);
    for (block& b : blocks_) {
      b.data.resize(copy_buffer_size);
      issue_read(b);
    }
  }

  void issue_read(block& b) {
    if (source_done_)
      return;
    b.offset = read_offset_;
    read_offset_ += copy_buffer_size;
    b.length = b.written = 0;
    auto s = make_step(read_block, file_opcode::read);
    s->buffer.iov_base = b.data.data();
    s->buffer.iov_len = b.data.size();
    s->iov = &s->buffer;
    s->iov_count = 1;
    s->offset = b.offset;
    s->length = std::size_t(&b - blocks_.data()); // which block
    issue(std::move(s), source_);
  }

  void issue_write(block& b) {
    auto s = make_step(write_block, file_opcode::write);
    s->buffer.iov_base = b.data.data() + b.written;
    s->buffer.iov_len = b.length - b.written;
    s->iov = &s->buffer;
    s->iov_count = 1;
    s->offset = b.offset + b.written;
    s->length = std::size_t(&b - blocks_.data());
    issue(std::move(s), target_);
  }

  void on_block(step& s) {
    block& b = blocks_[std::size_t(s.length)];
    if (s.tag == read_block) {
      b.length = std::size_t(s.result);
      // A regular file reads short only at its end: blocks further on will read nothing.
      if (b.length < b.data.size())
        source_done_ = true;
      if (b.length > 0)
        issue_write(b);
    } else {
      b.written += std::size_t(s.result);
      copied_ += std::uint64_t(s.result);
      if (b.written < b.length)
        issue_write(b);
      else
        issue_read(b);
    }
    if (in_flight_.empty() && source_done_)
      finish();
  }

  void finish() {
    // Creation applied the umask, and an existing target kept its own bits (or attributes).
    error_ = copy_permissions(fd(target_), source_stat_);
    if (!error_)
      finished_ = true;
  }

  bool recover(const step& s) override {
    if (s.tag != copy_range || !copy_range_unsupported(s.result) || !blocks_.empty())
      return false;
    start_blocks();
    return true;
  }

  void complete() override { handler_.dispatch(ex_, error_, copied_); }
  void fail_now(const error_code& ec) override { handler_.post(ex_, ec, std::uint64_t(0)); }
  boost::asio::cancellation_slot slot() override { return handler_.slot(); }
  cancellation_type supported_cancellation() const noexcept override {
    return cancellation_type::terminal | cancellation_type::partial;
  }

  handler_holder<copy_file_signature> handler_;
  int source_ = -1, target_ = -1;
  file_stat source_stat_;
  std::uint64_t copied_ = 0;
  std::uint64_t read_offset_ = 0;
  bool source_done_ = false;
  std::vector<block> blocks_;

};

} // namespace

void start_read_file(const boost::asio::any_io_executor& ex, const std::filesystem::path& path,
                     boost::asio::any_completion_handler<read_file_signature> handler) {
  auto job = std::make_shared<read_file_job>(ex, path, std::move(handler));
  job->start();
}

void start_copy_file(const boost::asio::any_io_executor& ex, const std::filesystem::path& from,
                     const std::filesystem::path& to,
                     boost::asio::any_completion_handler<copy_file_signature> handler) {
  auto job = std::make_shared<copy_file_job>(ex, from, to, std::move(handler));
  job->start();
}

} // namespace asio_fswatch::detail
