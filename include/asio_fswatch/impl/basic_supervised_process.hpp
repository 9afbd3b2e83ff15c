// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the template bodies of basic_supervised_process (included by basic_supervised_process.hpp).
#ifndef ASIO_FSWATCH_IMPL_BASIC_SUPERVISED_PROCESS_HPP
#define ASIO_FSWATCH_IMPL_BASIC_SUPERVISED_PROCESS_HPP

#include <asio_fswatch/detail/asio_configuration.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace asio_fswatch {

template <typename Executor>
basic_supervised_process<Executor>::basic_supervised_process(const executor_type& ex)
    : executor_(ex), stdin_pipe_(ex), stdout_pipe_(ex), stderr_pipe_(ex) {
  detail::require_same_asio_configuration(detail::this_asio_configuration{});
}

template <typename Executor>
basic_supervised_process<Executor>::basic_supervised_process(const executor_type& ex, const std::string& program,
                                                             const std::vector<std::string>& args,
                                                             const process_options& options)
    : basic_supervised_process(ex) {
  start(program, args, options);
}

template <typename Executor>
basic_supervised_process<Executor>::basic_supervised_process(basic_supervised_process&& other) noexcept
    : executor_(other.executor_), stdin_pipe_(std::move(other.stdin_pipe_)),
      stdout_pipe_(std::move(other.stdout_pipe_)), stderr_pipe_(std::move(other.stderr_pipe_)),
      child_(std::move(other.child_)) {}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_supervised_process<Executor>::basic_supervised_process(basic_supervised_process<OtherExecutor>&& other)
    : executor_(other.executor_), stdin_pipe_(std::move(other.stdin_pipe_)),
      stdout_pipe_(std::move(other.stdout_pipe_)), stderr_pipe_(std::move(other.stderr_pipe_)),
      child_(std::move(other.child_)) {}

template <typename Executor>
basic_supervised_process<Executor>&
basic_supervised_process<Executor>::operator=(basic_supervised_process&& other) noexcept {
  if (this != &other)
    take(other);
  return *this;
}

template <typename Executor>
template <typename OtherExecutor, std::enable_if_t<std::is_convertible_v<OtherExecutor, Executor>, int>>
basic_supervised_process<Executor>&
basic_supervised_process<Executor>::operator=(basic_supervised_process<OtherExecutor>&& other) {
  take(other);
  return *this;
}

template <typename Executor>
basic_supervised_process<Executor>::~basic_supervised_process() {
  end_child();
}

template <typename Executor>
void basic_supervised_process<Executor>::start(const std::string& program, const std::vector<std::string>& args,
                                               const process_options& options) {
  boost::system::error_code ec;
  start(program, args, options, ec);
  if (ec)
    throw boost::system::system_error(ec, "start " + program);
}

template <typename Executor>
void basic_supervised_process<Executor>::start(const std::string& program, const std::vector<std::string>& args,
                                               const process_options& options, boost::system::error_code& ec) {
  if (running()) {
    ec = boost::asio::error::already_started;
    return;
  }
  end_child();
  close_pipes();
  process_options child_options = options;
  std::string mark;
  if (options.stop_descendants)
    mark = detail::new_tree_mark(); // empty on Windows: the job is the whole tree
  if (!mark.empty()) {
    std::size_t equals = mark.find('=');
    child_options.environment.emplace_back(mark.substr(0, equals), mark.substr(equals + 1));
  }
  auto child = std::make_shared<detail::supervised_child>(boost::asio::any_io_executor(executor_),
                                                          std::move(mark), options.watcher);
  detail::spawned_pipes pipes = detail::spawn_group_leader(boost::asio::any_io_executor(executor_), program,
                                                           args, child_options, child->tree, ec);
  if (ec)
    return; // nothing started: `child` goes without ending anything
  child_ = std::move(child);
  connect(stdin_pipe_, pipes.stdin_end);
  connect(stdout_pipe_, pipes.stdout_end);
  connect(stderr_pipe_, pipes.stderr_end);
}

template <typename Executor>
pid_type basic_supervised_process<Executor>::id() const noexcept {
  return child_ ? pid_type(child_->pid()) : pid_type(-1);
}

template <typename Executor>
bool basic_supervised_process<Executor>::running() const noexcept {
  return child_ && !child_->ended();
}

template <typename Executor>
std::optional<exit_status> basic_supervised_process<Executor>::status() const noexcept {
  return child_ ? child_->status : std::nullopt;
}

template <typename Executor>
child_backend basic_supervised_process<Executor>::backend() const noexcept {
  return child_ ? child_->watcher.backend() : child_backend::automatic;
}

#if defined(ASIO_FSWATCH_HAS_SIGNALS)
template <typename Executor>
void basic_supervised_process<Executor>::signal(int sig) {
  boost::system::error_code ec;
  signal(sig, ec);
  if (ec)
    throw boost::system::system_error(ec, "signal");
}

template <typename Executor>
void basic_supervised_process<Executor>::signal(int sig, boost::system::error_code& ec) noexcept {
  if (!running()) {
    ec = errc::no_child;
    return;
  }
  child_->signal_all(sig, ec);
}
#endif

template <typename Executor>
void basic_supervised_process<Executor>::detach() {
  if (child_) {
    detail::let_tree_run(child_->tree);
    child_->watcher.cancel();
    child_->exit_event.cancel();
    child_->detached = true;
    child_.reset();
  }
}

template <typename Executor>
template <typename WaitToken>
auto basic_supervised_process<Executor>::async_wait(WaitToken&& token) {
  return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
      detail::supervised_wait_op<Executor>{executor_, child_}, token, executor_);
}

template <typename Executor>
template <typename WaitToken>
auto basic_supervised_process<Executor>::async_terminate(clock_type::duration grace, WaitToken&& token) {
  return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
      detail::supervised_terminate_op<Executor>{executor_, child_, detail::polite_stop, grace}, token, executor_);
}

#if defined(ASIO_FSWATCH_HAS_SIGNALS)
template <typename Executor>
template <typename WaitToken>
auto basic_supervised_process<Executor>::async_terminate(int first_signal, clock_type::duration grace,
                                                         WaitToken&& token) {
  return boost::asio::async_compose<WaitToken, void(boost::system::error_code, exit_status)>(
      detail::supervised_terminate_op<Executor>{executor_, child_, first_signal, grace}, token, executor_);
}
#endif

template <typename Executor>
template <typename Pipe>
void basic_supervised_process<Executor>::connect(Pipe& pipe, detail::native_file end) noexcept {
  if (end == detail::invalid_native_file)
    return;
  boost::system::error_code ec;
  pipe.assign(end, ec);
  if (ec)
    detail::close_pipe_end(end);
}

template <typename Executor>
void basic_supervised_process<Executor>::close_pipes() noexcept {
  boost::system::error_code ignored;
  stdin_pipe_.close(ignored);
  stdout_pipe_.close(ignored);
  stderr_pipe_.close(ignored);
}

template <typename Executor>
void basic_supervised_process<Executor>::end_child() noexcept {
  if (child_)
    child_->end();
  child_.reset();
}

template <typename Executor>
template <typename Other>
void basic_supervised_process<Executor>::take(Other& other) {
  end_child();
  executor_ = other.executor_;
  stdin_pipe_ = std::move(other.stdin_pipe_);
  stdout_pipe_ = std::move(other.stdout_pipe_);
  stderr_pipe_ = std::move(other.stderr_pipe_);
  child_ = std::move(other.child_);
}

} // namespace asio_fswatch

#endif
