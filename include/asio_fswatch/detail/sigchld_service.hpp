// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the SIGCHLD mechanism of child_watcher. One per execution context: a
// signal_set on SIGCHLD, and the children that waits are registered for. Only those are ever
// reaped (waitid(P_PID)), never another child of the process.
#ifndef ASIO_FSWATCH_DETAIL_SIGCHLD_SERVICE_HPP
#define ASIO_FSWATCH_DETAIL_SIGCHLD_SERVICE_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/exit_status.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/error_code.hpp>

#include <sys/types.h>

#include <cstdint>
#include <memory>

namespace asio_fswatch::detail {

class ASIO_FSWATCH_DECL sigchld_service final : public boost::asio::execution_context::service {
public:
  static boost::asio::execution_context::id id;

  /// When an outcome is delivered, which says how the waiter may run its handler.
  enum class delivery {
    from_signal, // from the service's own signal handler, on one of the context's threads: at once
    at_initiation, // inside add(): never inside it (post_soon)
    at_cancellation, // inside cancel(): never inside it (posted)
  };

  /// A registered wait. The service owns it from add() on, and calls deliver() exactly once
  /// (outside its lock) unless the context shuts down first, then destroys it.
  class waiter {
  public:
    virtual ~waiter() = default;
    /// Called under the service's lock once the registration holds: `wait_id` is what cancel()
    /// takes. Must not call back into the service.
    virtual void registered(sigchld_service& service, std::uint64_t wait_id) noexcept = 0;
    /// The outcome, and when it comes (see delivery).
    virtual void deliver(boost::system::error_code ec, exit_status status, delivery when) = 0;
  };

  explicit sigchld_service(boost::asio::execution_context& context);
  ~sigchld_service() override;

  /// Waits for `pid` to end. A child that ended already, a pid that is not our child and a
  /// failure to install the SIGCHLD handler are delivered at once (posted by deliver()).
  void add(const boost::asio::any_io_executor& ex, pid_t pid, std::unique_ptr<waiter> w);

  /// Ends the wait `wait_id` with operation_aborted, if it is still registered. The child is
  /// not touched.
  void cancel(std::uint64_t wait_id);

  /// How many waits are registered (for tests).
  std::size_t size() const;

private:
  struct impl;
  void shutdown() override;

  std::unique_ptr<impl> impl_;
};

} // namespace asio_fswatch::detail

#endif
