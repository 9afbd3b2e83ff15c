// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: the Asio configuration a translation unit is compiled with, as a type, so that a
// program compiled with other Asio macros than the library fails to link instead of crashing.
//
// The compiled library and the program share Asio's objects (the io_context's reactor and
// scheduler, handler allocation, the services' registry), and each compiles its own copy of
// Asio's inline code that works on them: they must agree on what changes those objects' layout
// or which services exist. Each I/O object's constructor calls
// require_same_asio_configuration(this_asio_configuration{}), which the library defines for the
// configuration it was compiled with only; a program compiled otherwise gets
//   undefined reference to `asio_fswatch::detail::require_same_asio_configuration(
//       asio_fswatch::detail::asio_configuration<102600, handler_tracking_on, reactor_epoll, ...>)'
// naming its own settings. doc/guide.md ("The configuration check") lists what must match and
// how asio_fswatch/src.hpp compiles the library with the program's own macros instead.
#ifndef ASIO_FSWATCH_DETAIL_ASIO_CONFIGURATION_HPP
#define ASIO_FSWATCH_DETAIL_ASIO_CONFIGURATION_HPP

#include <asio_fswatch/detail/config.hpp>

#include <boost/asio/detail/config.hpp>
#include <boost/asio/detail/thread_info_base.hpp>
#include <boost/asio/version.hpp>

namespace asio_fswatch::detail {

/// BOOST_ASIO_ENABLE_HANDLER_TRACKING: handlers carry tracking state.
struct ASIO_FSWATCH_DECL handler_tracking_on {};
struct ASIO_FSWATCH_DECL handler_tracking_off {};
/// The reactor the io_context runs (BOOST_ASIO_DISABLE_EPOLL, BOOST_ASIO_HAS_IO_URING_AS_DEFAULT, ...).
struct ASIO_FSWATCH_DECL reactor_io_uring {};
struct ASIO_FSWATCH_DECL reactor_epoll {};
struct ASIO_FSWATCH_DECL reactor_kqueue {};
struct ASIO_FSWATCH_DECL reactor_dev_poll {};
struct ASIO_FSWATCH_DECL reactor_iocp {};
struct ASIO_FSWATCH_DECL reactor_select {};
/// How the reactor is woken and timed (BOOST_ASIO_DISABLE_EVENTFD, BOOST_ASIO_DISABLE_TIMERFD).
struct ASIO_FSWATCH_DECL eventfd_on {};
struct ASIO_FSWATCH_DECL eventfd_off {};
struct ASIO_FSWATCH_DECL timerfd_on {};
struct ASIO_FSWATCH_DECL timerfd_off {};
/// BOOST_ASIO_DISABLE_THREADS: Asio's mutexes and events.
struct ASIO_FSWATCH_DECL threads_on {};
struct ASIO_FSWATCH_DECL threads_off {};
/// BOOST_ASIO_NO_TYPEID: how services are found in the registry.
struct ASIO_FSWATCH_DECL typeid_on {};
struct ASIO_FSWATCH_DECL typeid_off {};
/// BOOST_ASIO_ENABLE_BUFFER_DEBUGGING: what a buffer holds.
struct ASIO_FSWATCH_DECL buffer_debugging_on {};
struct ASIO_FSWATCH_DECL buffer_debugging_off {};
/// BOOST_ASIO_HAS_IO_URING (with or without making it the reactor): the unit in which the
/// per-thread handler memory cache counts block sizes.
struct ASIO_FSWATCH_DECL io_uring_on {};
struct ASIO_FSWATCH_DECL io_uring_off {};

/// One Asio configuration: BOOST_ASIO_VERSION, the settings above, and the size of the per-thread
/// state that the program and the library share (BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE,
/// BOOST_ASIO_NO_EXCEPTIONS change it).
template <long AsioVersion, typename HandlerTracking, typename Reactor, typename Eventfd, typename Timerfd,
          typename Threads, typename Typeid, typename BufferDebugging, typename IoUring,
          unsigned long ThreadInfoSize>
struct ASIO_FSWATCH_DECL asio_configuration {};

/// This translation unit's.
using this_asio_configuration = asio_configuration<BOOST_ASIO_VERSION,
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
                                                   handler_tracking_on,
#else
                                                   handler_tracking_off,
#endif
#if defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
                                                   reactor_io_uring,
#elif defined(BOOST_ASIO_HAS_IOCP)
                                                   reactor_iocp,
#elif defined(BOOST_ASIO_HAS_EPOLL)
                                                   reactor_epoll,
#elif defined(BOOST_ASIO_HAS_KQUEUE)
                                                   reactor_kqueue,
#elif defined(BOOST_ASIO_HAS_DEV_POLL)
                                                   reactor_dev_poll,
#else
                                                   reactor_select,
#endif
#if defined(BOOST_ASIO_HAS_EVENTFD)
                                                   eventfd_on,
#else
                                                   eventfd_off,
#endif
#if defined(BOOST_ASIO_HAS_TIMERFD)
                                                   timerfd_on,
#else
                                                   timerfd_off,
#endif
#if defined(BOOST_ASIO_HAS_THREADS)
                                                   threads_on,
#else
                                                   threads_off,
#endif
#if defined(BOOST_ASIO_NO_TYPEID)
                                                   typeid_off,
#else
                                                   typeid_on,
#endif
#if defined(BOOST_ASIO_ENABLE_BUFFER_DEBUGGING)
                                                   buffer_debugging_on,
#else
                                                   buffer_debugging_off,
#endif
#if defined(BOOST_ASIO_HAS_IO_URING)
                                                   io_uring_on,
#else
                                                   io_uring_off,
#endif
                                                   sizeof(boost::asio::detail::thread_info_base)>;

/// Defined by the library for the configuration it was compiled with, and for no other (the
/// types above are marked ASIO_FSWATCH_DECL, else the function would be hidden with them): called
/// (it does nothing) by every I/O object's constructor, so that a mismatch fails the link.
ASIO_FSWATCH_DECL void require_same_asio_configuration(this_asio_configuration) noexcept;

} // namespace asio_fswatch::detail

#endif
