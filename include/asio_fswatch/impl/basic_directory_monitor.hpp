// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the template bodies of basic_directory_monitor (included by basic_directory_monitor.hpp).
#ifndef ASIO_FSWATCH_IMPL_BASIC_DIRECTORY_MONITOR_HPP
#define ASIO_FSWATCH_IMPL_BASIC_DIRECTORY_MONITOR_HPP

#include <asio_fswatch/detail/asio_configuration.hpp>

#include <system_error>

namespace asio_fswatch {

template <typename Executor>
basic_directory_monitor<Executor>::basic_directory_monitor(const executor_type& ex, const monitor_options& options)
    : executor_(ex), core_(boost::asio::any_io_executor(ex), options) {
  detail::require_same_asio_configuration(detail::this_asio_configuration{});
}

template <typename Executor>
basic_directory_monitor<Executor>::basic_directory_monitor(basic_directory_monitor&& other) noexcept
    : executor_(other.executor_), core_(std::move(other.core_)) {}

template <typename Executor>
basic_directory_monitor<Executor>&
basic_directory_monitor<Executor>::operator=(basic_directory_monitor&& other) noexcept {
  executor_ = other.executor_;
  core_ = std::move(other.core_);
  return *this;
}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_directory_monitor<Executor>::basic_directory_monitor(basic_directory_monitor<OtherExecutor>&& other) noexcept
    : executor_(other.get_executor()), core_(std::move(other.core_)) {}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_directory_monitor<Executor>&
basic_directory_monitor<Executor>::operator=(basic_directory_monitor<OtherExecutor>&& other) noexcept {
  executor_ = other.get_executor();
  core_ = std::move(other.core_);
  return *this;
}

template <typename Executor>
asio_fswatch::backend basic_directory_monitor<Executor>::backend() const noexcept {
  return core_.active_backend();
}

template <typename Executor>
asio_fswatch::backend basic_directory_monitor<Executor>::active_backend() const noexcept {
  return core_.active_backend();
}

template <typename Executor>
void basic_directory_monitor<Executor>::add(const std::filesystem::path& path, const watch_options& options) {
  boost::system::error_code ec;
  add(path, options, ec);
  throw_if(ec, "asio_fswatch::directory_monitor::add", path);
}

template <typename Executor>
void basic_directory_monitor<Executor>::add(const std::filesystem::path& path, const watch_options& options,
                                            boost::system::error_code& ec) {
  core_.add(path, options, ec);
}

template <typename Executor>
void basic_directory_monitor<Executor>::add(const std::filesystem::path& path, boost::system::error_code& ec) {
  core_.add(path, watch_options{}, ec);
}

template <typename Executor>
void basic_directory_monitor<Executor>::remove(const std::filesystem::path& path) {
  boost::system::error_code ec;
  remove(path, ec);
  throw_if(ec, "asio_fswatch::directory_monitor::remove", path);
}

template <typename Executor>
void basic_directory_monitor<Executor>::remove(const std::filesystem::path& path, boost::system::error_code& ec) {
  core_.remove(path, ec);
}

template <typename Executor>
std::vector<std::filesystem::path> basic_directory_monitor<Executor>::roots() const {
  return core_.roots();
}

template <typename Executor>
std::size_t basic_directory_monitor<Executor>::queued_events() const {
  return core_.queued_events();
}

template <typename Executor>
monitor_stats basic_directory_monitor<Executor>::stats() const {
  return core_.stats();
}

template <typename Executor>
void basic_directory_monitor<Executor>::cancel() {
  core_.cancel();
}

template <typename Executor>
void basic_directory_monitor<Executor>::close() {
  core_.close();
}

template <typename Executor>
bool basic_directory_monitor<Executor>::is_open() const noexcept {
  return core_.is_open();
}

template <typename Executor>
template <typename ReadToken>
auto basic_directory_monitor<Executor>::async_read_events(ReadToken&& token) {
  return boost::asio::async_initiate<ReadToken, detail::read_events_signature>(initiate_read_events{this}, token);
}

template <typename Executor>
template <typename AddToken>
auto basic_directory_monitor<Executor>::async_add(const std::filesystem::path& path, const watch_options& options,
                                                  AddToken&& token) {
  return boost::asio::async_initiate<AddToken, detail::add_signature>(initiate_add{this}, token, path, options);
}

template <typename Executor>
template <typename NextToken>
auto basic_directory_monitor<Executor>::async_next(NextToken&& token) {
  return boost::asio::async_initiate<NextToken, detail::next_event_signature>(initiate_next{this}, token);
}

template <typename Executor>
void basic_directory_monitor<Executor>::throw_if(const boost::system::error_code& ec, const char* what,
                                                 const std::filesystem::path& path) {
  if (ec)
    throw std::filesystem::filesystem_error(what, path, std::error_code(ec));
}

template <typename Executor>
template <typename Handler>
void basic_directory_monitor<Executor>::initiate_read_events::operator()(Handler&& handler) const {
  self->core_.async_read_events(detail::read_events_handler(std::forward<Handler>(handler)));
}

template <typename Executor>
template <typename Handler>
void basic_directory_monitor<Executor>::initiate_add::operator()(Handler&& handler, const std::filesystem::path& path,
                                                                 const watch_options& options) const {
  self->core_.async_add(path, options, detail::add_handler(std::forward<Handler>(handler)));
}

template <typename Executor>
template <typename Handler>
void basic_directory_monitor<Executor>::initiate_next::operator()(Handler&& handler) const {
  self->core_.async_next(detail::next_event_handler(std::forward<Handler>(handler)));
}

} // namespace asio_fswatch

#endif
