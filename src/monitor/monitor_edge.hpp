// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private (src/ only): the OS edge of a directory monitor, one class per platform
// chosen at compile time, each the one place where the monitor touches the kernel. monitor_impl
// (directory_monitor_impl.cpp) holds one and calls, under its lock:
//
//   sys::error_code open(backend& mode, bool automatic, edge_sink sink)
//       the kernel side for `mode` (native or poll); `mode` becomes poll where the kernel lacks
//       the native one and the user left the choice open (`automatic`). The edge's I/O
//       completions call `sink` with what to run under the monitor's lock (feed the engine); it
//       holds the monitor weakly: a completion after the monitor's end does nothing.
//   filesystem& files(); watch_policy policy() const      what the engine is given
//   void arm()                                             make the kernel wake the monitor when it
//       has news
//   void disarm()                                          no user operation waits: stop waiting, so
//       that the context's run() may return; nothing is lost (the kernel keeps queueing)
//   bool take_queued(watch_engine&, int reads, sys::error_code&)
//       what the kernel has queued now, without waiting (a due hold takes what is queued first);
//       whether that was all
//   void close()                                           every kernel object goes
#ifndef ASIO_FSWATCH_SRC_MONITOR_MONITOR_EDGE_HPP
#define ASIO_FSWATCH_SRC_MONITOR_MONITOR_EDGE_HPP

#include "edge_sink.hpp"

#if defined(_WIN32)
#include "win/rdcw_edge.hpp"
namespace asio_fswatch::detail {
using monitor_edge = rdcw_edge;
}
#else
#include "posix/inotify_edge.hpp"
namespace asio_fswatch::detail {
using monitor_edge = inotify_edge;
}
#endif

#endif
