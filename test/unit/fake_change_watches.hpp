// SPDX-License-Identifier: BSL-1.0
// Test support: the recursive watches of fake_filesystem, playing ReadDirectoryChangesW. Each
// watch is on a directory (by inode: it follows the directory when it moves, as a handle does)
// and sees the changes below it, or only in it for a single-directory watch. What it sees is laid
// out as FILE_NOTIFY_INFORMATION records (rdcw_encoder), relative to the directory, and handed
// out as one completed read per watch. An overflow empties a watch's buffer: its next read
// completes with no bytes. The directory's deletion ends the watch.
#ifndef ASIO_FSWATCH_TEST_UNIT_FAKE_CHANGE_WATCHES_HPP
#define ASIO_FSWATCH_TEST_UNIT_FAKE_CHANGE_WATCHES_HPP

#include <asio_fswatch/detail/rdcw_parser.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asio_fswatch::test {

class fake_change_watches {
public:
  using directory_path = std::function<std::string(std::uint64_t inode)>;

  bool silent = false;        ///< changes made now are lost without a word (see silently())
  bool moves_as_pairs = true; ///< a move between two directories: renamed pair, or removed + added

  bool any() const { return !watches_.empty(); }
  std::size_t size() const { return watches_.size(); }

  /// The watch of directory `inode` (one per directory and kind, as inotify gives one id per
  /// directory): an id from `next_id` when it is new.
  int add(std::uint64_t inode, bool recursive, int& next_id) {
    for (auto& [id, w] : watches_)
      if (w.inode == inode && w.recursive == recursive)
        return id;
    const int id = next_id++;
    watches_.emplace(id, watch{inode, recursive, detail::rdcw_encoder{}, false});
    return id;
  }

  bool remove(int id) { return watches_.erase(id) != 0; }

  void record(std::uint32_t action, const std::string& path, const directory_path& where) {
    if (silent)
      return;
    for (auto& [id, w] : watches_)
      if (auto relative = relative_to(w, path, where))
        w.pending.add(action, *relative);
  }

  /// rename(2) from `from` to `to` (`to` is already where it went).
  void record_move(const std::string& from, const std::string& to, const directory_path& where) {
    if (silent)
      return;
    for (auto& [id, w] : watches_) {
      auto old_name = relative_to(w, from, where);
      auto new_name = relative_to(w, to, where);
      const bool same_directory = from.substr(0, from.rfind('/')) == to.substr(0, to.rfind('/'));
      if (old_name && new_name && (moves_as_pairs || same_directory)) {
        w.pending.add(detail::rdcw_action::renamed_old_name, *old_name);
        w.pending.add(detail::rdcw_action::renamed_new_name, *new_name);
        continue;
      }
      if (old_name)
        w.pending.add(detail::rdcw_action::removed, *old_name);
      if (new_name)
        w.pending.add(detail::rdcw_action::added, *new_name);
    }
  }

  void overflow() {
    for (auto& [id, w] : watches_) {
      w.pending.take();
      w.overflowed = true;
    }
  }

  /// The watch of directory `inode` that sees the tree below it, if any.
  std::optional<int> recursive_watch_of(std::uint64_t inode) const {
    for (auto& [id, w] : watches_)
      if (w.inode == inode && w.recursive)
        return id;
    return std::nullopt;
  }

  void directory_gone(std::uint64_t inode) {
    for (auto it = watches_.begin(); it != watches_.end();) {
      if (it->second.inode == inode) {
        // Its last records are read before the error that ends it.
        if (it->second.overflowed)
          last_reads_.emplace_back(it->first, std::string{});
        else if (!it->second.pending.bytes().empty())
          last_reads_.emplace_back(it->first, it->second.pending.take());
        ended_.push_back(it->first);
        it = watches_.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::vector<std::pair<int, std::string>> take() {
    std::vector<std::pair<int, std::string>> out = std::exchange(last_reads_, {});
    for (auto& [id, w] : watches_) {
      if (w.overflowed)
        out.emplace_back(id, std::string{});
      else if (!w.pending.bytes().empty())
        out.emplace_back(id, w.pending.take());
      w.overflowed = false;
    }
    return out;
  }

  std::vector<int> take_ended() { return std::exchange(ended_, {}); }

private:
  struct watch {
    std::uint64_t inode;
    bool recursive;
    detail::rdcw_encoder pending;
    bool overflowed;
  };

  // `path` relative to the watch's directory, in UTF-16 (a byte per unit: the tests' names are
  // ASCII), when the watch sees it.
  static std::optional<std::u16string> relative_to(const watch& w, const std::string& path,
                                                   const directory_path& where) {
    const std::string directory = where(w.inode);
    if (directory.empty())
      return std::nullopt;
    const std::string prefix = directory == "/" ? directory : directory + '/';
    if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0)
      return std::nullopt;
    const std::string_view relative = std::string_view(path).substr(prefix.size());
    if (!w.recursive && relative.find('/') != std::string_view::npos)
      return std::nullopt;
    std::u16string units;
    for (const char c : relative)
      units.push_back(c == '/' ? u'\\' : static_cast<char16_t>(static_cast<unsigned char>(c)));
    return units;
  }

  std::map<int, watch> watches_;
  std::vector<std::pair<int, std::string>> last_reads_; // of watches that ended
  std::vector<int> ended_;
};

} // namespace asio_fswatch::test

#endif
