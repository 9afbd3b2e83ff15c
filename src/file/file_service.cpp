// SPDX-License-Identifier: BSL-1.0
// The file service of an execution context: chooses the backend once and routes operations.
#include <asio_fswatch/detail/file_service.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace asio_fswatch {

std::string_view to_string(file_backend_kind kind) noexcept {
  switch (kind) {
  case file_backend_kind::automatic: return "automatic";
  case file_backend_kind::io_uring: return "io_uring";
  case file_backend_kind::threads: return "threads";
  case file_backend_kind::iocp: return "iocp";
  }
  return "unknown";
}

void configure_file_service(boost::asio::execution_context& context,
                            const file_service_options& options, boost::system::error_code& ec) {
  boost::asio::use_service<detail::file_service>(context).configure(options, ec);
}

void configure_file_service(boost::asio::execution_context& context,
                            const file_service_options& options) {
  boost::system::error_code ec;
  configure_file_service(context, options, ec);
  if (ec)
    boost::throw_exception(boost::system::system_error(ec, "asio_fswatch::configure_file_service"));
}


namespace detail {

boost::asio::execution_context::id file_service::id;

file_service::file_service(boost::asio::execution_context& context)
    : boost::asio::execution_context::service(context) {}

file_service::~file_service() = default;

namespace {

bool valid(const file_service_options& options) noexcept {
  unsigned n = options.ring_entries;
  return options.thread_pool_size >= 1 && n >= 1 && n <= 4096 && (n & (n - 1)) == 0;
}

bool same(const file_service_options& a, const file_service_options& b) noexcept {
  return a.backend == b.backend && a.thread_pool_size == b.thread_pool_size &&
         a.ring_entries == b.ring_entries;
}

} // namespace

void file_service::configure(const file_service_options& options, boost::system::error_code& ec) {
  ec.clear();
  if (!valid(options)) {
#if defined(ASIO_FSWATCH_WINDOWS)
    ec.assign(87, boost::system::system_category()); // ERROR_INVALID_PARAMETER
#else
    ec.assign(EINVAL, boost::system::system_category());
#endif
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (chosen_.load(std::memory_order_relaxed)) {
    if (!same(options, options_))
      ec = boost::asio::error::already_started;
    return;
  }
  options_ = options;
}

file_backend_kind file_service::choose(const boost::asio::any_io_executor& ex,
                                       boost::system::error_code& ec) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!chosen_.load(std::memory_order_relaxed)) {
      file_backend_kind wanted = options_.backend;
      if (wanted == file_backend_kind::automatic) {
        if (const char* env = std::getenv("ASIO_FSWATCH_FILE_BACKEND"); env && *env) {
          std::string_view value(env);
          if (value == "io_uring")
            wanted = file_backend_kind::io_uring;
          else if (value == "threads")
            wanted = file_backend_kind::threads;
          else if (value == "iocp")
            wanted = file_backend_kind::iocp;
          else
            choice_error_ = errc::invalid_file_backend;
        }
      }
#if defined(ASIO_FSWATCH_WINDOWS)
      // The completion port is the context's own: the file objects issue overlapped reads and
      // writes there themselves; the service runs what blocks on its pool.
      (void)ex;
      if (wanted == file_backend_kind::io_uring)
        choice_error_ = errc::io_uring_unavailable; // a Linux interface
      else if (!choice_error_)
        kind_ = wanted == file_backend_kind::threads ? file_backend_kind::threads : file_backend_kind::iocp;
#else
      if (wanted == file_backend_kind::iocp)
        choice_error_ = errc::backend_unavailable; // a Windows interface
      if (!choice_error_ && wanted != file_backend_kind::threads) {
        boost::system::error_code why;
        ring_ = make_io_uring_backend(ex, options_.ring_entries, why);
        if (!ring_ && wanted == file_backend_kind::io_uring)
          choice_error_ = why;
      }
#endif
      if (!choice_error_) {
        if (ring_) {
          main_ = ring_.get();
        } else {
          pool_ = make_thread_pool_backend(options_.thread_pool_size);
          main_ = pool_.get();
        }
        if (kind_ == file_backend_kind::automatic)
          kind_ = main_->kind();
      }
      chosen_.store(true, std::memory_order_release);
    }
  }
  ec = choice_error_;
  return kind_;
}

file_backend_base* file_service::pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pool_)
    pool_ = make_thread_pool_backend(options_.thread_pool_size);
  return pool_.get();
}

void file_service::start(file_op* op) {
  if (main_->supports(op->opcode))
    main_->start(op);
  else
    pool()->start(op);
}

file_backend_base* file_service::helper_pool() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return pool_.get() != main_ ? pool_.get() : nullptr;
}

void file_service::cancel(std::uint64_t id) noexcept {
  if (main_ && main_->cancel(id))
    return;
  if (file_backend_base* helper = helper_pool())
    helper->cancel(id);
}

void file_service::cancel_handle(const shared_fd* handle) noexcept {
  if (main_)
    main_->cancel_handle(handle);
  if (file_backend_base* helper = helper_pool())
    helper->cancel_handle(handle);
}

bool file_service::try_read_now(file_op& op) noexcept {
  return main_->kind() == file_backend_kind::threads && read_if_cached(op);
}

void file_service::shutdown() {
  if (ring_)
    ring_->shutdown();
  if (pool_)
    pool_->shutdown();
}

} // namespace detail
} // namespace asio_fswatch
