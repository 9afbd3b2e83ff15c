// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the template bodies of basic_stream_file (included by basic_stream_file.hpp).
#ifndef ASIO_FSWATCH_IMPL_BASIC_STREAM_FILE_HPP
#define ASIO_FSWATCH_IMPL_BASIC_STREAM_FILE_HPP

#include <asio_fswatch/detail/async_file_op.hpp>

namespace asio_fswatch {

template <typename Executor>
basic_stream_file<Executor>::basic_stream_file(const executor_type& ex) : base(ex) {}

template <typename Executor>
basic_stream_file<Executor>::basic_stream_file(const executor_type& ex, const char* path, file_base::flags open_flags)
    : basic_stream_file(ex) {
  base::open(path, open_flags);
}

template <typename Executor>
basic_stream_file<Executor>::basic_stream_file(const executor_type& ex, const std::string& path,
                                               file_base::flags open_flags)
    : basic_stream_file(ex, path.c_str(), open_flags) {}

template <typename Executor>
basic_stream_file<Executor>::basic_stream_file(const executor_type& ex, native_handle_type fd)
    : basic_stream_file(ex) {
  base::assign(fd);
}

template <typename Executor>
basic_stream_file<Executor>::basic_stream_file(basic_stream_file&& other) noexcept
    : base(std::move(other)), reactor_(std::move(other.reactor_)) {}

template <typename Executor>
basic_stream_file<Executor>& basic_stream_file<Executor>::operator=(basic_stream_file&& other) noexcept {
  if (this != &other) {
    reactor_.detach();
    base::operator=(std::move(other));
    reactor_ = std::move(other.reactor_);
  }
  return *this;
}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_stream_file<Executor>::basic_stream_file(basic_stream_file<OtherExecutor>&& other) noexcept
    : base(std::move(other)), reactor_(std::move(other.reactor_)) {}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_stream_file<Executor>& basic_stream_file<Executor>::operator=(basic_stream_file<OtherExecutor>&& other) noexcept {
  reactor_.detach();
  this->assign_from(std::move(other));
  reactor_ = detail::stream_reactor<Executor>(std::move(other.reactor_));
  return *this;
}

template <typename Executor>
basic_stream_file<Executor>::~basic_stream_file() {
  reactor_.detach();
}

template <typename Executor>
bool basic_stream_file<Executor>::is_reactive() const noexcept {
  return reactor_.attached();
}

template <typename Executor>
void basic_stream_file<Executor>::open(const char* path, file_base::flags open_flags, boost::system::error_code& ec) {
  this->handle_.open(path, open_flags, ec);
  if (!ec)
    reactor_.attach(this->executor_, this->handle_, ec);
}

template <typename Executor>
void basic_stream_file<Executor>::assign(native_handle_type fd, boost::system::error_code& ec) {
  this->handle_.assign(fd, ec);
  if (!ec)
    reactor_.attach(this->executor_, this->handle_, ec);
}

template <typename Executor>
void basic_stream_file<Executor>::close(boost::system::error_code& ec) {
  reactor_.detach();
  this->handle_.close(ec);
}

template <typename Executor>
typename basic_stream_file<Executor>::native_handle_type
basic_stream_file<Executor>::release(boost::system::error_code& ec) {
  reactor_.detach();
  return this->handle_.release(ec);
}

template <typename Executor>
void basic_stream_file<Executor>::cancel(boost::system::error_code& ec) {
  if (reactor_.attached())
    reactor_.cancel(ec);
  else
    this->handle_.cancel(ec);
}

template <typename Executor>
std::uint64_t basic_stream_file<Executor>::seek(std::int64_t offset, file_base::seek_basis whence) {
  boost::system::error_code ec;
  std::uint64_t position = seek(offset, whence, ec);
  this->throw_if(ec, "seek");
  return position;
}

template <typename Executor>
std::uint64_t basic_stream_file<Executor>::seek(std::int64_t offset, file_base::seek_basis whence,
                                                boost::system::error_code& ec) {
  return this->handle_.seek(offset, whence, ec);
}

template <typename Executor>
template <typename MutableBufferSequence, typename ReadToken>
auto basic_stream_file<Executor>::async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
  return boost::asio::async_initiate<ReadToken, void(boost::system::error_code, std::size_t)>(
      initiate_transfer<detail::file_opcode::read>{this}, token, buffers);
}

template <typename Executor>
template <typename ConstBufferSequence, typename WriteToken>
auto basic_stream_file<Executor>::async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
  return boost::asio::async_initiate<WriteToken, void(boost::system::error_code, std::size_t)>(
      initiate_transfer<detail::file_opcode::write>{this}, token, buffers);
}

template <typename Executor>
template <detail::file_opcode Opcode>
template <typename Handler, typename Buffers>
void basic_stream_file<Executor>::initiate_transfer<Opcode>::operator()(Handler&& handler,
                                                                        const Buffers& buffers) const {
  if constexpr (detail::stream_reactor<Executor>::exists) {
    if (self->reactor_.attached()) {
      if constexpr (Opcode == detail::file_opcode::read)
        self->reactor_.async_read_some(buffers, std::forward<Handler>(handler));
      else
        self->reactor_.async_write_some(buffers, std::forward<Handler>(handler));
      return;
    }
  }
  detail::start_stream_transfer(self->handle_, self->executor_, std::forward<Handler>(handler), Opcode, buffers);
}

} // namespace asio_fswatch

#endif
