// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: what random_access_file and stream_file share: the executor, the
// descriptor and the synchronous operations, in their throwing and error_code forms.
#ifndef ASIO_FSWATCH_DETAIL_FILE_OBJECT_HPP
#define ASIO_FSWATCH_DETAIL_FILE_OBJECT_HPP

#include <asio_fswatch/detail/asio_configuration.hpp>
#include <asio_fswatch/detail/file_handle.hpp>
#include <asio_fswatch/file_base.hpp>
#include <asio_fswatch/file_service.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace asio_fswatch::detail {

/// `Derived` may hide open/assign/close/release/cancel to add its own steps; it names itself in
/// error messages through `Derived::object_name`.
template <typename Derived, typename Executor>
class file_object : public file_base {
public:
  using executor_type = Executor;
  using native_handle_type = native_file; // a descriptor (POSIX) or a HANDLE (Windows)

  executor_type get_executor() noexcept { return executor_; }

  /// The backend running this file's operations (io_uring or threads), chosen on first use for
  /// the whole execution context (file_service_options, then ASIO_FSWATCH_FILE_BACKEND, then a
  /// probe of io_uring). Errors: errc::io_uring_unavailable when io_uring was forced and cannot
  /// be used, errc::invalid_file_backend for a bad ASIO_FSWATCH_FILE_BACKEND.
  file_backend_kind backend() {
    boost::system::error_code ec;
    file_backend_kind kind = handle_.service().backend(executor_, ec);
    throw_if(ec, "backend");
    return kind;
  }
  /// The former name of backend().
  [[deprecated("use backend()")]] file_backend_kind file_backend() { return backend(); }

  bool is_open() const noexcept { return handle_.is_open(); }
  native_handle_type native_handle() noexcept { return handle_.native_handle(); }

  /// Cancels pending operations, then closes. A request already running on a pool thread keeps
  /// the descriptor open until it returns, so its number is not reused before then.
  void close() {
    boost::system::error_code ec;
    self().close(ec);
    throw_if(ec, "close");
  }
  void close(boost::system::error_code& ec) { handle_.close(ec); }

  /// Cancels pending operations and gives the descriptor up to the caller.
  native_handle_type release() {
    boost::system::error_code ec;
    native_handle_type fd = self().release(ec);
    throw_if(ec, "release");
    return fd;
  }
  native_handle_type release(boost::system::error_code& ec) { return handle_.release(ec); }

  /// Completes every pending operation of this file with operation_aborted, except those the
  /// kernel has already finished. Error: bad_descriptor when not open.
  void cancel() {
    boost::system::error_code ec;
    self().cancel(ec);
    throw_if(ec, "cancel");
  }
  void cancel(boost::system::error_code& ec) { handle_.cancel(ec); }

  /// The file's size in bytes (fstat).
  std::uint64_t size() const {
    boost::system::error_code ec;
    std::uint64_t n = handle_.size(ec);
    throw_if(ec, "size");
    return n;
  }
  std::uint64_t size(boost::system::error_code& ec) const { return handle_.size(ec); }

  /// Synchronous ftruncate, fsync and fdatasync: they block the calling thread.
  void resize(std::uint64_t n) {
    boost::system::error_code ec;
    handle_.resize(n, ec);
    throw_if(ec, "resize");
  }
  void resize(std::uint64_t n, boost::system::error_code& ec) { handle_.resize(n, ec); }
  void sync_all() {
    boost::system::error_code ec;
    handle_.sync_all(ec);
    throw_if(ec, "sync_all");
  }
  void sync_all(boost::system::error_code& ec) { handle_.sync_all(ec); }
  void sync_data() {
    boost::system::error_code ec;
    handle_.sync_data(ec);
    throw_if(ec, "sync_data");
  }
  void sync_data(boost::system::error_code& ec) { handle_.sync_data(ec); }

  /// Opens `path` (synchronously, as open(2) does). Errors: those of open(2) (ENOENT, EACCES,
  /// EEXIST with `exclusive`, ...), EISDIR for a directory, EINVAL for a contradictory set of
  /// flags, boost::asio::error::already_open.
  void open(const char* path, file_base::flags open_flags) {
    boost::system::error_code ec;
    self().open(path, open_flags, ec);
    throw_if(ec, "open");
  }
  void open(const char* path, file_base::flags open_flags, boost::system::error_code& ec) {
    handle_.open(path, open_flags, ec);
  }
  void open(const std::string& path, file_base::flags open_flags) { open(path.c_str(), open_flags); }
  void open(const std::string& path, file_base::flags open_flags, boost::system::error_code& ec) {
    self().open(path.c_str(), open_flags, ec);
  }

  /// Takes ownership of an open descriptor. Errors: already_open, bad_descriptor, EISDIR.
  void assign(native_handle_type fd) {
    boost::system::error_code ec;
    self().assign(fd, ec);
    throw_if(ec, "assign");
  }
  void assign(native_handle_type fd, boost::system::error_code& ec) { handle_.assign(fd, ec); }

protected:
  explicit file_object(const executor_type& ex)
      : executor_(ex), handle_(boost::asio::any_io_executor(ex)) {
    require_same_asio_configuration(this_asio_configuration{});
  }
  template <typename OtherDerived, typename OtherExecutor>
  explicit file_object(file_object<OtherDerived, OtherExecutor>&& other) noexcept
      : executor_(other.executor_), handle_(std::move(other.handle_)) {}
  // The executor is copied, not moved: as with Asio's objects, a moved-from file keeps its
  // executor and can be opened and used again.
  file_object(file_object&& other) noexcept : executor_(other.executor_), handle_(std::move(other.handle_)) {}
  file_object& operator=(file_object&& other) noexcept {
    executor_ = other.executor_;
    handle_ = std::move(other.handle_);
    return *this;
  }
  template <typename OtherDerived, typename OtherExecutor>
  void assign_from(file_object<OtherDerived, OtherExecutor>&& other) noexcept {
    executor_ = other.executor_;
    handle_ = std::move(other.handle_);
  }
  ~file_object() = default;

  static void throw_if(const boost::system::error_code& ec, const char* operation) {
    if (ec)
      boost::throw_exception(
          boost::system::system_error(ec, std::string(Derived::object_name) + "::" + operation));
  }

  Derived& self() noexcept { return static_cast<Derived&>(*this); }

  template <typename, typename>
  friend class file_object;

  Executor executor_;
  file_handle handle_;
};

} // namespace asio_fswatch::detail

#endif
