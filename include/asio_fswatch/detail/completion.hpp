// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the one way an operation completes without running its handler inside
// the call that initiated it (an early error, a child that had already ended, a result known at
// once). A composed operation hands its `self` and its results to complete_soon().
#ifndef ASIO_FSWATCH_DETAIL_COMPLETION_HPP
#define ASIO_FSWATCH_DETAIL_COMPLETION_HPP

#include <boost/asio/associator.hpp>
#include <boost/asio/post.hpp>
#include <boost/version.hpp>

#if BOOST_VERSION >= 108200
#include <boost/asio/associated_immediate_executor.hpp>
#include <boost/asio/dispatch.hpp>
#endif

#include <tuple>
#include <type_traits>
#include <utility>

namespace asio_fswatch::detail {

/// A composed operation's completion, bound to its results, to be run later. It has the
/// operation's associated executor, allocator and cancellation slot (see the associator below),
/// so it runs where the handler wants to run.
template <typename Self, typename... Results>
struct bound_completion {
  std::tuple<Results...> results; // first: results that name members of the operation are copied
  Self self;                      // before the operation moves

  void operator()() {
    std::apply([this](Results&... r) { self.complete(std::move(r)...); }, results);
  }
};

/// Runs `handler` soon, never inside the current call: through its immediate executor where Boost
/// has them (1.82 and later; by default that posts too), else posted to `io_executor` (the I/O
/// object's), which runs it on the handler's associated executor. For results known while an
/// operation is being initiated.
template <typename IoExecutor, typename Handler>
void post_soon(const IoExecutor& io_executor, Handler&& handler) {
#if BOOST_VERSION >= 108200
  auto immediate = boost::asio::get_associated_immediate_executor(handler, io_executor);
  boost::asio::dispatch(immediate, std::forward<Handler>(handler));
#else
  boost::asio::post(io_executor, std::forward<Handler>(handler));
#endif
}

/// Completes the composed operation `self` with `results`, through post_soon(). The executor is
/// taken by value: it is often a member of the operation that `self` moves away.
template <typename IoExecutor, typename Self, typename... Results>
void complete_soon(IoExecutor io_executor, Self& self, Results&&... results) {
  post_soon(io_executor, bound_completion<Self, std::decay_t<Results>...>{{std::forward<Results>(results)...},
                                                                         std::move(self)});
}

} // namespace asio_fswatch::detail

namespace boost::asio {

template <template <typename, typename> class Associator, typename Self, typename... Results,
          typename DefaultCandidate>
struct associator<Associator, asio_fswatch::detail::bound_completion<Self, Results...>, DefaultCandidate>
    : Associator<Self, DefaultCandidate> {
  static typename Associator<Self, DefaultCandidate>::type
  get(const asio_fswatch::detail::bound_completion<Self, Results...>& c) noexcept {
    return Associator<Self, DefaultCandidate>::get(c.self);
  }
  static auto get(const asio_fswatch::detail::bound_completion<Self, Results...>& c,
                  const DefaultCandidate& candidate) noexcept
      -> decltype(Associator<Self, DefaultCandidate>::get(c.self, candidate)) {
    return Associator<Self, DefaultCandidate>::get(c.self, candidate);
  }
};

} // namespace boost::asio

#endif
