// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the events that turn one picture of a tree into another (sans-io).
// The poll backend compares successive scans with it; after an overflow, on any backend, the
// picture the records built is compared with a fresh scan.
#ifndef ASIO_FSWATCH_DETAIL_SNAPSHOT_DIFF_HPP
#define ASIO_FSWATCH_DETAIL_SNAPSHOT_DIFF_HPP

#include <asio_fswatch/detail/entry_tree.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace asio_fswatch::detail {

using diff_sink = std::function<void(event_kind kind, std::string path, entry_type type)>;

/// Reports, through `report`, what replays `before` into `after` (two pictures of one root):
/// every removal first, deepest first (so that each names an entry that exists when it is
/// replayed), then every creation, parents first, then the changes. An entry whose type differs
/// is removed and created. Changes: with `changed_since_ns` >= 0, each non-directory of `after`
/// whose mtime or ctime is not older is `modified` (the records were lost: times are all there
/// is); with -1, the statuses of both pictures are compared (the poll backend), content first
/// (mtime, size, identity), then attributes. Only what hangs under each root is compared: the
/// detached nodes of `before` (the engine's limbo) are not entries. With statuses compared, a
/// non-directory whose time in `before` is not older than `racy_since_ns` (>= 0) is `modified`
/// too: a change made in the same clock tick as that scan can leave every status field as it
/// was (git's "racily clean" entries; snapshots).
void diff_snapshots(const entry_tree& before, const entry_tree& after, std::int64_t changed_since_ns,
                    const diff_sink& report, std::int64_t racy_since_ns = -1);

} // namespace asio_fswatch::detail

#endif
