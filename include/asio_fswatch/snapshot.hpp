// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: events since the last run. A picture of a tree saved to a file, and later the
// events between that picture and the tree as it is then (a build tool starting up wants
// exactly this; parcel's writeSnapshot and getEventsSince, watchman's clocks).
#ifndef ASIO_FSWATCH_SNAPSHOT_HPP
#define ASIO_FSWATCH_SNAPSHOT_HPP

#include <asio_fswatch/detail/config.hpp>

#include <asio_fswatch/fs_event.hpp>
#include <asio_fswatch/monitor_options.hpp>

#include <boost/system/error_code.hpp>

#include <filesystem>
#include <vector>

namespace asio_fswatch {

/// Saves to `file` the picture of the directory tree at `root`: every entry the monitor would
/// watch there with `options` (the same filters and ignore files; `initial_listing` is not
/// used), with its type, identity (inode or file index, and device), size, times, mode and
/// owner, and when the scan began. Nothing is hashed: it costs one listing of each directory
/// and one status of each entry, as `directory_monitor::add` does when it polls. The file is
/// created beside its final name (never over an existing file or a symlink), flushed to the
/// disk and renamed over it, so a reader meets the old snapshot or the new one, never a part.
/// A snapshot file inside the tree is left out of the picture. A directory that cannot be read
/// is saved empty. Errors: those of `add` (the root missing, an invalid pattern),
/// not_a_directory for a root that is a file, and those of writing the file.
ASIO_FSWATCH_DECL void write_snapshot(const std::filesystem::path& root, const std::filesystem::path& file,
                    const watch_options& options, boost::system::error_code& ec);
/// The same; throws std::filesystem::filesystem_error (with `root` and `file`).
ASIO_FSWATCH_DECL void write_snapshot(const std::filesystem::path& root, const std::filesystem::path& file,
                    const watch_options& options = {});

/// The events that turn the picture saved in `file` into the tree at `root` now, in the
/// monitor's event model: replayed in order onto the saved picture, they give the tree as it
/// was scanned (`removed` deepest first, then `created` parents first, then `modified` for a
/// file whose mtime, size or identity changed and `attributes` for one whose mode, owner, link
/// count or ctime changed; `include` decides what is reported, as in the monitor). An entry
/// moved is reported `removed` at its old path and `created` at its new one. A file whose saved
/// times lie within 50 ms of the scan that saved it is `modified` too: a second change in the
/// same clock tick leaves its status as it was. What cannot be read now is an `error` event,
/// first, and nothing else is said of it (what the picture held of it stands). Each event's
/// `root` is `root`, absolute and lexically normal. `options` should be those the picture was
/// saved with: what other filters show or hide is reported `created` or `removed`. The
/// snapshot may come from the same tree under another path (moved with it). Errors:
/// errc::invalid_snapshot (not a snapshot file, or a damaged one: cut short, changed, or
/// holding what no tree holds), errc::unsupported_snapshot_version, those of reading `file`,
/// and write_snapshot's for `root`.
ASIO_FSWATCH_DECL std::vector<fs_event> events_since(const std::filesystem::path& file, const std::filesystem::path& root,
                                   const watch_options& options, boost::system::error_code& ec);
/// The same; throws std::filesystem::filesystem_error (with `file` and `root`).
ASIO_FSWATCH_DECL std::vector<fs_event> events_since(const std::filesystem::path& file, const std::filesystem::path& root,
                                   const watch_options& options = {});

/// events_since, then the picture it compared with is saved to `file` in place of the old one
/// (written as write_snapshot writes). The events of one call and of the next follow each other
/// with nothing lost between them, as a monitor's reads do: the tree is scanned once, where
/// events_since followed by write_snapshot would scan twice and miss what changed between the
/// scans. When `file` is no usable snapshot, it is left as it is and the error is events_since's;
/// the usual answer is write_snapshot, then a full build. Errors: events_since's, and those of
/// writing `file` (then no event is returned, and the old snapshot stays).
ASIO_FSWATCH_DECL std::vector<fs_event> update_snapshot(const std::filesystem::path& file, const std::filesystem::path& root,
                                      const watch_options& options, boost::system::error_code& ec);
/// The same; throws std::filesystem::filesystem_error (with `file` and `root`).
ASIO_FSWATCH_DECL std::vector<fs_event> update_snapshot(const std::filesystem::path& file, const std::filesystem::path& root,
                                      const watch_options& options = {});

} // namespace asio_fswatch

#endif
