// SPDX-License-Identifier: BSL-1.0
// Test support: the invariant the directory monitor's tests rely on. Replaying the event stream
// onto a snapshot of the tree taken when the watch started must give exactly the tree as it is
// when the stream goes quiet (a duplicated `created` is tolerated and counted).
//
//   tree_snapshot expected = snapshot_of(root);   // before add()
//   ... changes, events collected ...
//   replay_stats stats;
//   replay(expected, events, stats);              // stats.problems must be empty
//   std::string diff = compare(snapshot_of(root), expected);  // must be empty
#ifndef ASIO_FSWATCH_TEST_COMMON_TREE_REPLAY_HPP
#define ASIO_FSWATCH_TEST_COMMON_TREE_REPLAY_HPP

#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/fs_event.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace asio_fswatch::test {

/// Absolute path -> type of every entry of a tree, the root included.
using tree_snapshot = std::map<std::string, entry_type>;

struct replay_stats {
  std::size_t applied = 0;    ///< events that changed or checked the snapshot
  std::size_t duplicates = 0; ///< `created` for an entry already there with the same type
  std::vector<std::string> problems;
};

namespace replay_detail {

inline entry_type type_of(const std::filesystem::file_status& status) {
  namespace fs = std::filesystem;
  switch (status.type()) {
  case fs::file_type::regular: return entry_type::file;
  case fs::file_type::directory: return entry_type::directory;
  case fs::file_type::symlink: return entry_type::symlink;
  case fs::file_type::not_found:
  case fs::file_type::none:
  case fs::file_type::unknown: return entry_type::unknown;
  default: return entry_type::other;
  }
}

inline std::string type_name(entry_type type) { return std::string(to_string(type)); }

/// `unknown` stands for "some non-directory whose type could not be read in time".
inline bool types_match(entry_type a, entry_type b) {
  if (a == b)
    return true;
  if (a == entry_type::unknown)
    return b != entry_type::directory;
  if (b == entry_type::unknown)
    return a != entry_type::directory;
  return false;
}

inline std::string parent_of(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return {};
  if (slash == 0)
    return path.size() > 1 ? std::string("/") : std::string();
  return path.substr(0, slash);
}

/// Keys of `snapshot` strictly below `path` (contiguous in a std::map: every key that starts with
/// "path/" sorts after "path/" and before "path0").
inline std::vector<std::string> descendants(const tree_snapshot& snapshot, const std::string& path) {
  std::vector<std::string> out;
  std::string prefix = path == "/" ? path : path + '/';
  for (auto it = snapshot.lower_bound(prefix);
       it != snapshot.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    out.push_back(it->first);
  return out;
}

inline void erase_subtree(tree_snapshot& snapshot, const std::string& path) {
  for (const std::string& key : descendants(snapshot, path))
    snapshot.erase(key);
  snapshot.erase(path);
}

/// Absolute (or, in the engine's tests, rooted at '/' on every platform) and lexically normal,
/// whatever the separators.
inline bool is_normal_absolute(const std::filesystem::path& path) {
  const std::string text = asio_fswatch::detail::generic_path_text(path);
  if (text.empty() || (text.front() != '/' && !path.is_absolute()))
    return false;
  if (text.size() > 1 && text.back() == '/')
    return false;
  return asio_fswatch::detail::generic_path_text(path.lexically_normal()) == text;
}

inline void walk(const std::filesystem::path& directory, tree_snapshot& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(directory, ec);
  if (ec)
    return; // unreadable (EACCES) or gone meanwhile: its content is not part of the snapshot
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec)
      break;
    std::error_code status_ec;
    fs::file_status status = it->symlink_status(status_ec);
    if (status_ec)
      continue; // vanished between readdir and lstat
    entry_type type = type_of(status);
    out[asio_fswatch::detail::generic_path_text(it->path())] = type;
    if (type == entry_type::directory)
      walk(it->path(), out);
  }
}

} // namespace replay_detail

/// Every entry under `root`, `root` included, with lstat semantics (symlinks are entries, never
/// followed). Paths are `root` / relative, so give `root` in the form the monitor reports
/// (absolute and lexically normal; a temp_dir's path is). Entries that vanish during the walk, and
/// the content of unreadable directories, are left out. A missing root gives an empty snapshot.
inline tree_snapshot snapshot_of(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  tree_snapshot out;
  std::error_code ec;
  fs::file_status status = fs::symlink_status(root, ec);
  if (ec || !fs::exists(status))
    return out;
  entry_type type = replay_detail::type_of(status);
  out[asio_fswatch::detail::generic_path_text(root)] = type;
  if (type == entry_type::directory)
    replay_detail::walk(root, out);
  return out;
}

/// Applies `events` to `snapshot` in order, recording in `stats` every event that does not fit
/// the tree as the earlier events left it:
///  - created: the parent must exist; an existing entry of the same type is a duplicate
///    (counted), of another type a problem;
///  - removed: the entry must exist; it goes, with everything under it;
///  - renamed: old_path must exist (and have the event's type), path must not (a rename over an
///    entry is reported as `removed` first), path's parent must exist; the subtree moves;
///  - exchanged: path and old_path must both exist, neither inside the other; the entry at
///    old_path must have the event's type and the one at path its old_type (each type names the
///    entry that is at the path after the swap); the two subtrees swap places;
///  - modified, attributes: the entry must exist;
///  - overflow, error: ignored (they say nothing about the tree).
/// Every path must be absolute and lexically normal. `unknown` matches any non-directory type.
inline void replay(tree_snapshot& snapshot, const std::vector<fs_event>& events,
                   replay_stats& stats) {
  using namespace replay_detail;
  std::size_t index = 0;
  for (const fs_event& event : events) {
    ++index;
    if (event.kind == event_kind::overflow || event.kind == event_kind::error)
      continue;
    ++stats.applied;
    auto problem = [&](const std::string& what) {
      std::ostringstream line;
      line << "event #" << index << " (" << event << "): " << what;
      stats.problems.push_back(line.str());
    };
    if (!is_normal_absolute(event.path)) {
      problem("path is not absolute and lexically normal");
      continue;
    }
    const std::string path = asio_fswatch::detail::generic_path_text(event.path);
    switch (event.kind) {
    case event_kind::created: {
      if (snapshot.find(parent_of(path)) == snapshot.end())
        problem("created under missing parent " + parent_of(path));
      auto it = snapshot.find(path);
      if (it == snapshot.end()) {
        snapshot.emplace(path, event.type);
      } else if (types_match(it->second, event.type)) {
        ++stats.duplicates;
        if (it->second == entry_type::unknown)
          it->second = event.type;
      } else {
        problem("created as " + type_name(event.type) + " but exists as " + type_name(it->second));
      }
      break;
    }
    case event_kind::removed: {
      auto it = snapshot.find(path);
      if (it == snapshot.end()) {
        problem("removed but does not exist");
        break;
      }
      if (!types_match(it->second, event.type))
        problem("removed as " + type_name(event.type) + " but exists as " + type_name(it->second));
      erase_subtree(snapshot, path);
      break;
    }
    case event_kind::renamed: {
      if (!is_normal_absolute(event.old_path)) {
        problem("old_path is not absolute and lexically normal");
        break;
      }
      const std::string old_path = asio_fswatch::detail::generic_path_text(event.old_path);
      auto from = snapshot.find(old_path);
      if (from == snapshot.end()) {
        problem("renamed from a path that does not exist");
        break;
      }
      if (!types_match(from->second, event.type))
        problem("renamed as " + type_name(event.type) + " but exists as " +
                type_name(from->second));
      if (path == old_path)
        break;
      if (path.compare(0, old_path.size() + 1, old_path + '/') == 0) {
        problem("renamed into its own subtree");
        break;
      }
      if (snapshot.find(path) != snapshot.end()) {
        problem("renamed over an existing entry without a `removed` first");
        erase_subtree(snapshot, path);
      }
      if (snapshot.find(parent_of(path)) == snapshot.end())
        problem("renamed under missing parent " + parent_of(path));
      std::vector<std::pair<std::string, entry_type>> moved;
      moved.emplace_back(path, from->second);
      for (const std::string& key : descendants(snapshot, old_path))
        moved.emplace_back(path + key.substr(old_path.size()), snapshot.at(key));
      erase_subtree(snapshot, old_path);
      for (auto& entry : moved)
        snapshot[entry.first] = entry.second;
      break;
    }
    case event_kind::exchanged: {
      if (!is_normal_absolute(event.old_path)) {
        problem("old_path is not absolute and lexically normal");
        break;
      }
      const std::string old_path = asio_fswatch::detail::generic_path_text(event.old_path);
      auto to_path = snapshot.find(old_path); // the entry that goes to `path`
      auto to_old_path = snapshot.find(path);
      if (to_path == snapshot.end() || to_old_path == snapshot.end()) {
        problem("exchanged, but " + std::string(to_path == snapshot.end() ? old_path : path) +
                " does not exist");
        break;
      }
      if (!types_match(to_path->second, event.type))
        problem("exchanged, " + old_path + " going to path as " + type_name(event.type) +
                " but exists as " + type_name(to_path->second));
      if (!types_match(to_old_path->second, event.old_type))
        problem("exchanged, " + path + " going to old_path as " + type_name(event.old_type) +
                " but exists as " + type_name(to_old_path->second));
      if (path == old_path || path.compare(0, old_path.size() + 1, old_path + '/') == 0 ||
          old_path.compare(0, path.size() + 1, path + '/') == 0) {
        problem("exchanged with itself or an entry inside it");
        break;
      }
      std::vector<std::pair<std::string, entry_type>> swapped;
      for (const auto& [from, to] : {std::pair(old_path, path), std::pair(path, old_path)}) {
        swapped.emplace_back(to, snapshot.at(from));
        for (const std::string& key : descendants(snapshot, from))
          swapped.emplace_back(to + key.substr(from.size()), snapshot.at(key));
      }
      erase_subtree(snapshot, old_path);
      erase_subtree(snapshot, path);
      for (auto& entry : swapped)
        snapshot[entry.first] = entry.second;
      break;
    }
    case event_kind::modified:
    case event_kind::attributes: {
      auto it = snapshot.find(path);
      if (it == snapshot.end())
        problem(std::string(to_string(event.kind)) + " but does not exist");
      else if (!types_match(it->second, event.type))
        problem(std::string(to_string(event.kind)) + " as " + type_name(event.type) +
                " but exists as " + type_name(it->second));
      break;
    }
    case event_kind::overflow:
    case event_kind::error: break;
    }
  }
}

/// Differences between `expected` (usually snapshot_of the real tree) and `actual` (usually the
/// replayed snapshot), one per line: "missing" (expected only), "spurious" (actual only),
/// "type mismatch". Empty when they agree; at most `max_lines` lines plus a count of the rest.
inline std::string compare(const tree_snapshot& expected, const tree_snapshot& actual,
                           std::size_t max_lines = 20) {
  using namespace replay_detail;
  std::vector<std::string> lines;
  auto e = expected.begin();
  auto a = actual.begin();
  while (e != expected.end() || a != actual.end()) {
    if (a == actual.end() || (e != expected.end() && e->first < a->first)) {
      lines.push_back("missing: " + e->first + " (" + type_name(e->second) + ")");
      ++e;
    } else if (e == expected.end() || a->first < e->first) {
      lines.push_back("spurious: " + a->first + " (" + type_name(a->second) + ")");
      ++a;
    } else {
      if (!types_match(e->second, a->second))
        lines.push_back("type mismatch: " + e->first + " is " + type_name(e->second) +
                        ", replay says " + type_name(a->second));
      ++e;
      ++a;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < max_lines; ++i)
    out += lines[i] + '\n';
  if (lines.size() > max_lines)
    out += "... and " + std::to_string(lines.size() - max_lines) + " more differences\n";
  return out;
}

/// Joins problems for a test message (at most `max_lines`).
inline std::string describe_problems(const replay_stats& stats, std::size_t max_lines = 20) {
  std::string out;
  for (std::size_t i = 0; i < stats.problems.size() && i < max_lines; ++i)
    out += stats.problems[i] + '\n';
  if (stats.problems.size() > max_lines)
    out += "... and " + std::to_string(stats.problems.size() - max_lines) + " more problems\n";
  return out;
}

} // namespace asio_fswatch::test

#endif
