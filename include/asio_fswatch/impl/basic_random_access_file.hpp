// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the template bodies of basic_random_access_file (included by basic_random_access_file.hpp).
#ifndef ASIO_FSWATCH_IMPL_BASIC_RANDOM_ACCESS_FILE_HPP
#define ASIO_FSWATCH_IMPL_BASIC_RANDOM_ACCESS_FILE_HPP

#include <asio_fswatch/detail/async_file_op.hpp>

namespace asio_fswatch {

template <typename Executor>
basic_random_access_file<Executor>::basic_random_access_file(const executor_type& ex) : base(ex) {}

template <typename Executor>
basic_random_access_file<Executor>::basic_random_access_file(const executor_type& ex, const char* path,
                                                             file_base::flags open_flags)
    : basic_random_access_file(ex) {
  this->open(path, open_flags);
}

template <typename Executor>
basic_random_access_file<Executor>::basic_random_access_file(const executor_type& ex, const std::string& path,
                                                             file_base::flags open_flags)
    : basic_random_access_file(ex, path.c_str(), open_flags) {}

template <typename Executor>
basic_random_access_file<Executor>::basic_random_access_file(const executor_type& ex, native_handle_type fd)
    : basic_random_access_file(ex) {
  this->assign(fd);
}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_random_access_file<Executor>::basic_random_access_file(basic_random_access_file<OtherExecutor>&& other) noexcept
    : base(std::move(other)) {}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_random_access_file<Executor>&
basic_random_access_file<Executor>::operator=(basic_random_access_file<OtherExecutor>&& other) noexcept {
  this->assign_from(std::move(other));
  return *this;
}

template <typename Executor>
template <typename MutableBufferSequence, typename ReadToken>
auto basic_random_access_file<Executor>::async_read_some_at(std::uint64_t offset, const MutableBufferSequence& buffers,
                                                            ReadToken&& token) {
  return boost::asio::async_initiate<ReadToken, void(boost::system::error_code, std::size_t)>(
      initiate_transfer_at{this}, token, detail::file_opcode::read, offset, buffers);
}

template <typename Executor>
template <typename ConstBufferSequence, typename WriteToken>
auto basic_random_access_file<Executor>::async_write_some_at(std::uint64_t offset, const ConstBufferSequence& buffers,
                                                             WriteToken&& token) {
  return boost::asio::async_initiate<WriteToken, void(boost::system::error_code, std::size_t)>(
      initiate_transfer_at{this}, token, detail::file_opcode::write, offset, buffers);
}

template <typename Executor>
template <typename SyncToken>
auto basic_random_access_file<Executor>::async_sync_all(SyncToken&& token) {
  return boost::asio::async_initiate<SyncToken, void(boost::system::error_code)>(
      initiate_simple{this}, token, detail::file_opcode::sync_all, std::uint64_t(0), std::uint64_t(0));
}

template <typename Executor>
template <typename SyncToken>
auto basic_random_access_file<Executor>::async_sync_data(SyncToken&& token) {
  return boost::asio::async_initiate<SyncToken, void(boost::system::error_code)>(
      initiate_simple{this}, token, detail::file_opcode::sync_data, std::uint64_t(0), std::uint64_t(0));
}

template <typename Executor>
template <typename ResizeToken>
auto basic_random_access_file<Executor>::async_resize(std::uint64_t n, ResizeToken&& token) {
  return boost::asio::async_initiate<ResizeToken, void(boost::system::error_code)>(
      initiate_simple{this}, token, detail::file_opcode::resize, n, std::uint64_t(0));
}

template <typename Executor>
template <typename AllocateToken>
auto basic_random_access_file<Executor>::async_allocate(std::uint64_t offset, std::uint64_t length,
                                                        AllocateToken&& token) {
  return boost::asio::async_initiate<AllocateToken, void(boost::system::error_code)>(
      initiate_simple{this}, token, detail::file_opcode::allocate, offset, length);
}

template <typename Executor>
template <typename Handler, typename Buffers>
void basic_random_access_file<Executor>::initiate_transfer_at::operator()(Handler&& handler,
                                                                          detail::file_opcode opcode,
                                                                          std::uint64_t offset,
                                                                          const Buffers& buffers) const {
  detail::start_transfer_at(self->handle_, self->executor_, std::forward<Handler>(handler), opcode, offset,
                            buffers);
}

template <typename Executor>
template <typename Handler>
void basic_random_access_file<Executor>::initiate_simple::operator()(Handler&& handler, detail::file_opcode opcode,
                                                                     std::uint64_t offset,
                                                                     std::uint64_t length) const {
  detail::start_file_op<false>(self->handle_.service(), self->handle_.shared(), self->executor_,
                               std::forward<Handler>(handler), [&](auto& op) {
                                 op.opcode = opcode;
                                 op.offset = offset;
                                 op.length = length;
                               });
}

} // namespace asio_fswatch

#endif
