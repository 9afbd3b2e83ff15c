// SPDX-License-Identifier: BSL-1.0
// Fuzz target for the snapshot file's decoder (detail/snapshot_codec.hpp): events_since reads
// files that may be damaged or foreign, so no bytes may crash it or give a broken picture.
//
// Input: a first byte, then the file. With the first byte odd, the file gets a checksum that
// holds appended, so that the checks behind the checksum (counts, parents, names, types) are
// reached; even, it is decoded as it is.
//  - a refused file gives errc::invalid_snapshot or errc::unsupported_snapshot_version and an
//    empty picture (the root alone);
//  - an accepted one gives a picture whose structure holds (entry_tree::check), which encodes
//    to a file that decodes back to the same picture: the same entries, types and statuses (the
//    order of a directory's entries in the file is not kept);
//  - compared with an empty tree (what events_since does with a tree that lost everything),
//    it gives one `created` per entry, and the paths stay within the decoder's bounds.
#include "fuzz_check.hpp"

#include <asio_fswatch/detail/snapshot_codec.hpp>
#include <asio_fswatch/detail/snapshot_diff.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace detail = asio_fswatch::detail;
using asio_fswatch::errc;
using asio_fswatch::fuzz::require;

std::string with_checksum(std::string bytes) {
  const std::uint64_t sum = detail::snapshot_checksum(bytes);
  for (std::size_t i = 0; i < 8; ++i)
    bytes.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  return bytes;
}

// Every entry of `tree` as one line (path, type, each status field), sorted: pictures with the
// same lines are the same picture.
std::vector<std::string> lines_of(const detail::entry_tree& tree) {
  std::vector<std::string> lines;
  tree.for_each_preorder(tree.root(), [&](detail::node_id id, std::size_t) {
    const detail::entry_status& s = tree.status(id);
    std::string line = tree.relative_path(id);
    line.push_back('\0');
    for (const std::uint64_t field :
         {std::uint64_t(tree[id].type), std::uint64_t(s.mtime_ns), std::uint64_t(s.ctime_ns), s.size, s.inode,
          s.mount_id, std::uint64_t(s.mode), std::uint64_t(s.uid), std::uint64_t(s.gid), std::uint64_t(s.links),
          std::uint64_t(s.attributes)})
      line += std::to_string(field) + ' ';
    lines.push_back(std::move(line));
  });
  std::sort(lines.begin(), lines.end());
  return lines;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1)
    file = with_checksum(std::move(file));

  boost::system::error_code ec;
  std::int64_t scanned_ns = 0;
  const detail::entry_tree picture = detail::decode_snapshot(file, "/r", scanned_ns, ec);
  if (ec) {
    require(ec == errc::invalid_snapshot || ec == errc::unsupported_snapshot_version,
            "a refused file gives one of the snapshot errors", {{"file", file}, {"error", ec.message()}});
    require(picture.size() == 1, "a refused file gives an empty picture", {{"file", file}});
    return 0;
  }
  require(picture.check().empty(), "an accepted file gives a picture whose structure holds", {{"file", file}});
  const std::string encoded = detail::encode_snapshot(picture, scanned_ns);
  boost::system::error_code again;
  std::int64_t scanned_again = 0;
  const detail::entry_tree decoded = detail::decode_snapshot(encoded, "/r", scanned_again, again);
  require(!again && scanned_again == scanned_ns, "what a picture encodes to decodes",
          {{"file", file}, {"encoded", encoded}});
  require(lines_of(decoded) == lines_of(picture), "the picture comes back the same",
          {{"file", file}, {"encoded", encoded}});

  const detail::entry_tree empty("/r", asio_fswatch::entry_type::directory, true);
  std::size_t created = 0;
  detail::diff_snapshots(empty, picture, -1, [&](asio_fswatch::event_kind kind, std::string path, asio_fswatch::entry_type) {
    require(kind == asio_fswatch::event_kind::created, "against an empty tree, only creations", {{"file", file}});
    require(path.size() <= 3 + detail::snapshot_max_path, "a path within the bounds", {{"file", file}});
    ++created;
  });
  require(created + 1 == picture.size(), "one creation per entry", {{"file", file}});
  return 0;
}
