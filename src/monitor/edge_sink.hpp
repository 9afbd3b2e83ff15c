// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private (src/ only): how a directory monitor's OS edge (monitor_edge.hpp) hands
// what its I/O completions brought to the monitor.
#ifndef ASIO_FSWATCH_SRC_MONITOR_EDGE_SINK_HPP
#define ASIO_FSWATCH_SRC_MONITOR_EDGE_SINK_HPP

#include <asio_fswatch/detail/watch_engine.hpp>

#include <boost/system/error_code.hpp>

#include <functional>

namespace asio_fswatch::detail {

/// What an edge's I/O completion asks the monitor to run under its lock: it feeds the engine;
/// an error it returns ends the pending operation with that error.
using edge_work = std::function<boost::system::error_code(watch_engine&)>;
using edge_sink = std::function<void(edge_work)>;

} // namespace asio_fswatch::detail

#endif
