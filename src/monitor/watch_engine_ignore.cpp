// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private: the directory monitor's engine, filtering what enters the picture: the
// exclude patterns, and ignore files (watch_options::ignore_files) read with gitignore's
// semantics (detail/ignore_rules.hpp).
//
// A directory's patterns are read when a scan lists it (the listing says which ignore files it
// holds, so no directory costs a look more), and kept with its node in the picture: they move
// with it. When a record names an ignore file, or a directory moves where other patterns apply,
// the filters are applied again after the batch (refilter): what they keep out now is reported
// removed, and every directory below is listed again for what they let in, reported created.
// The poll backend needs none of this: each scan reads the patterns afresh, and the comparison
// of two scans reports what they changed.
#include <asio_fswatch/detail/watch_engine.hpp>
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/error.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace asio_fswatch::detail {

namespace sys = boost::system;

namespace {

// More than any ignore file written by hand or tool; a larger one is refused with an error.
constexpr std::size_t max_ignore_file_bytes = 8 * 1024 * 1024;

bool names_an_ignore_file(const watch_options& options, std::string_view name) {
  return std::find(options.ignore_files.begin(), options.ignore_files.end(), name) !=
         options.ignore_files.end();
}

// The path of dir/name relative to the root, into `out`.
void path_below(const entry_tree& tree, node_id dir, std::string_view name, std::string& out) {
  out = tree.relative_path(dir);
  if (!out.empty())
    out += '/';
  out += name;
}

} // namespace

bool watch_engine::accepts(const root_state& root, const entry_tree& tree, node_id parent,
                           std::string_view name, bool is_directory) const {
  if (root.file_root)
    return parent == tree.root() && name == root.only_name;
  const bool ignoring = root.ignoring();
  if (root.exclude.empty() && !ignoring)
    return true;
  std::string relative; // built when a pattern needs more than the name
  if (!root.exclude.empty()) {
    path_below(tree, parent, name, relative);
    if (root.exclude.matches(relative, is_directory))
      return false;
  }
  return !ignoring || !ignored_by_files(root, tree, parent, name, relative, is_directory);
}

bool watch_engine::ignored_by_files(const root_state& root, const entry_tree& tree, node_id parent,
                                    std::string_view name, std::string& relative, bool is_directory) const {
  if (!tree.has_ignore_rules() && root.above_levels.empty())
    return false;
  // The patterns of the directories above, deepest first, each with the number of path
  // components from its directory down to `parent`.
  ignore_levels_.clear();
  bool paths_matter = root.above_paths_matter;
  std::size_t steps = 0;
  for (node_id n = parent; n != no_node; n = tree[n].parent, ++steps) {
    if (const ignore_rules* rules = tree.ignore_rules_of(n)) {
      ignore_levels_.push_back({rules, steps});
      paths_matter = paths_matter || rules->matches_paths();
    }
    if (n == tree.root())
      break;
  }
  if (!paths_matter) {
    // Every pattern matches a name: the name is all they look at, wherever they come from.
    ignore_levels_.insert(ignore_levels_.end(), root.above_levels.begin(), root.above_levels.end());
    for (ignore_level& level : ignore_levels_)
      level.prefix = 0;
    return is_ignored(ignore_levels_.data(), ignore_levels_.size(), name, is_directory);
  }
  // Matched against the path from the repository's top when patterns apply from above the
  // tree; the tree's own then start after the root's path from there.
  if (relative.empty())
    path_below(tree, parent, name, relative);
  if (!root.above_prefix.empty())
    relative.insert(0, root.above_prefix);
  // A level `steps` components above the entry's directory: its prefix ends after the path of
  // its directory, found by walking back `steps` + 1 components from the end.
  for (ignore_level& level : ignore_levels_) {
    std::size_t end = relative.size();
    for (std::size_t i = 0; i <= level.prefix && end != std::string::npos && end != 0; ++i)
      end = relative.rfind('/', end - 1);
    level.prefix = end == std::string::npos ? root.above_prefix.size() : end + 1;
  }
  ignore_levels_.insert(ignore_levels_.end(), root.above_levels.begin(), root.above_levels.end());
  return is_ignored(ignore_levels_.data(), ignore_levels_.size(), relative, is_directory);
}

ignore_rules watch_engine::read_ignore_rules(root_state& root, const std::string& path,
                                             const std::vector<listed_entry>* listing) {
  ignore_rules rules;
  std::string text;
  for (const std::string& name : root.options.ignore_files) {
    if (listing) {
      const auto listed = std::find_if(listing->begin(), listing->end(),
                                       [&](const listed_entry& entry) { return entry.name == name; });
      if (listed == listing->end() || listed->type == entry_type::directory)
        continue;
    }
    const std::string file = join_path(path, name);
    const sys::error_code ec = fs_.read_file(file, max_ignore_file_bytes, text);
    if (!ec) {
      rules.append_file(text);
      root.problems_reported.erase(file); // readable: a later failure is news again
    } else if (ec == sys::errc::too_many_symbolic_link_levels) {
      // A symlink, which git does not follow either (it warns); or a directory on the way
      // replaced by one, whose records follow.
      entry_type type = entry_type::unknown;
      entry_status status;
      if (!fs_.status(file, false, type, status) && type == entry_type::symlink)
        report_problem(root, file, entry_type::symlink, ec);
    } else if (!is_vanished(ec) && ec != sys::errc::is_a_directory) {
      report_problem(root, file, entry_type::file, ec);
    }
  }
  return rules;
}

void watch_engine::load_ignore_rules(root_state& root, entry_tree& tree, node_id node,
                                     const std::string& path, const std::vector<listed_entry>& entries) {
  // What the picture has below it was let in by the patterns of before.
  if (tree.set_ignore_rules(node, read_ignore_rules(root, path, &entries)) && &tree == &root.tree &&
      tree[node].first_child != no_node)
    root.to_refilter.emplace(node, true);
}

void watch_engine::read_above_rules(root_state& root, const std::string& directory) {
  root.above_rules.clear();
  root.above_levels.clear();
  root.above_paths_matter = false;
  root.above_prefix.clear();
  root.info_directory.clear();
  if (!names_an_ignore_file(root.options, ".gitignore"))
    return;
  // The repository: the root's directory or the nearest one above it that holds a `.git`.
  std::vector<std::string> between; // from the root's parent up to the top
  std::string top;
  for (std::string_view at = directory; !at.empty();) {
    entry_type type = entry_type::unknown;
    entry_status status;
    if (!fs_.status(join_path(at, ".git"), false, type, status)) {
      top = std::string(at);
      break;
    }
    const std::string_view up = parent_path(at);
    if (up == at || up.empty())
      break;
    at = up;
    between.emplace_back(at);
  }
  if (top.empty())
    return; // in no repository: the tree's own ignore files only
  // A directory's prefix is its path from the top, with its '/'.
  const std::size_t top_length = top.size() + (top.back() == '/' ? 0 : 1);
  auto add_level = [&](ignore_rules rules, std::size_t prefix) {
    if (rules.empty())
      return;
    root.above_rules.push_back(std::move(rules));
    root.above_levels.push_back({nullptr, prefix});
  };
  if (top != directory) {
    root.above_prefix = directory.substr(top_length) + '/';
    between.pop_back(); // the top itself, read last, with the prefix 0
    for (const std::string& dir : between) // deepest first
      add_level(read_ignore_rules(root, dir, nullptr), dir.size() + 1 - top_length);
    add_level(read_ignore_rules(root, top, nullptr), 0);
  } else {
    root.info_directory = join_path(join_path(top, ".git"), "info");
  }
  // The lowest precedence: .git/info/exclude, matched from the top.
  std::string text;
  ignore_rules exclude;
  const std::string exclude_file = join_path(join_path(join_path(top, ".git"), "info"), "exclude");
  if (!fs_.read_file(exclude_file, max_ignore_file_bytes, text))
    exclude.append_file(text);
  if (!root.info_directory.empty())
    root.info_exclude_seen = info_exclude_status(root);
  add_level(std::move(exclude), 0);
  for (std::size_t i = 0; i < root.above_levels.size(); ++i)
    root.above_levels[i].rules = &root.above_rules[i];
  root.above_paths_matter = std::any_of(root.above_rules.begin(), root.above_rules.end(),
                                        [](const ignore_rules& rules) { return rules.matches_paths(); });
}

std::optional<entry_status> watch_engine::info_exclude_status(const root_state& root) {
  entry_type type = entry_type::unknown;
  entry_status status;
  if (fs_.status(join_path(root.info_directory, "exclude"), false, type, status))
    return std::nullopt;
  return status;
}

bool watch_engine::info_exclude_changed_on_disk(root_state& root) {
  if (root.info_directory.empty() || !root.ignoring() || root.adding)
    return false;
  const std::optional<entry_status> now = info_exclude_status(root);
  const std::optional<entry_status>& seen = root.info_exclude_seen;
  const bool same = now.has_value() == seen.has_value() &&
                    (!now || (now->inode == seen->inode && now->size == seen->size &&
                              now->mtime_ns == seen->mtime_ns && now->ctime_ns == seen->ctime_ns));
  if (!same)
    root.info_exclude_changed = true;
  return !same;
}

void watch_engine::note_ignore_record(root_state& root, node_id dir, std::string_view name) {
  if (names_an_ignore_file(root.options, name)) {
    root.to_refilter.emplace(dir, false);
  } else if (name == "exclude" && !root.info_directory.empty() &&
             root.tree.path(dir) == root.info_directory) {
    root.info_exclude_changed = true;
  }
}

void watch_engine::note_ignore_change(root_state& root, std::string_view relative) {
  const entry_tree& tree = root.tree;
  node_id dir = tree.root();
  for (std::size_t slash; dir != no_node && (slash = relative.find('/')) != std::string_view::npos;) {
    dir = tree.find(dir, relative.substr(0, slash));
    relative.remove_prefix(slash + 1);
  }
  if (dir != no_node && tree[dir].type == entry_type::directory)
    note_ignore_record(root, dir, relative);
}

void watch_engine::note_directory_moved(root_state& root, node_id node, node_id old_parent) {
  const entry_tree& tree = root.tree;
  if (!root.recursive() || !tree[node].in_use || tree[node].type != entry_type::directory)
    return;
  bool depends = root.exclude_matches_paths;
  if (!depends && root.ignoring() && (tree.has_ignore_rules() || !root.above_rules.empty())) {
    // The patterns that apply to what it holds: those of the directories above it, and from
    // above the tree. The same ones before and after, and none of them matching paths rather
    // than names, decide the same for every entry below it.
    auto levels_above = [&](node_id n) {
      std::vector<const ignore_rules*> found;
      for (; n != no_node && tree[n].in_use; n = tree[n].parent) {
        if (const ignore_rules* rules = tree.ignore_rules_of(n))
          found.push_back(rules);
        if (n == tree.root())
          break;
      }
      return found;
    };
    const std::vector<const ignore_rules*> now = levels_above(tree[node].parent);
    depends = old_parent == no_node || levels_above(old_parent) != now ||
              std::any_of(now.begin(), now.end(), [](const ignore_rules* r) { return r->matches_paths(); }) ||
              root.above_paths_matter;
  }
  if (depends)
    root.to_refilter[node] = true;
}

void watch_engine::apply_ignore_changes(root_state& root) {
  if (root.adding)
    return; // its scan reads the patterns as it goes; what changed meanwhile is applied after
  entry_tree& tree = root.tree;
  if (root.info_exclude_changed) {
    root.info_exclude_changed = false;
    const std::vector<ignore_rules> before = root.above_rules;
    read_above_rules(root, tree[tree.root()].name);
    if (root.above_rules != before)
      root.to_refilter[tree.root()] = true;
  }
  // A refilter lists directories, which may find more ignore files changed: a few rounds at most.
  for (int round = 0; round < 8 && !root.to_refilter.empty(); ++round) {
    // Shallow first: a directory refiltered lists what is below it again.
    std::vector<std::pair<std::size_t, std::pair<node_id, bool>>> nodes;
    for (const auto& entry : root.to_refilter)
      if (tree[entry.first].in_use && tree[entry.first].type == entry_type::directory)
        nodes.emplace_back(tree.path(entry.first).size(), entry);
    root.to_refilter.clear();
    std::sort(nodes.begin(), nodes.end());
    for (const auto& [depth, noted] : nodes) {
      const auto [node, moved] = noted;
      if (!tree[node].in_use || tree[node].type != entry_type::directory)
        continue; // removed by the refilter of a directory above it
      if (in_limbo(root, node)) {
        root.to_refilter.emplace(node, moved); // its path is known once the move is resolved
        continue;
      }
      if (!moved && !tree.set_ignore_rules(node, read_ignore_rules(root, tree.path(node), nullptr)))
        continue; // touched, or written the same
      refilter(root, node);
    }
    if (std::any_of(root.to_refilter.begin(), root.to_refilter.end(),
                    [&](const auto& entry) { return in_limbo(root, entry.first); }))
      break;
  }
}

void watch_engine::refilter(root_state& root, node_id node) {
  entry_tree& tree = root.tree;
  // What the filters keep out now leaves the picture, a directory with what it holds.
  std::vector<node_id> out;
  std::vector<node_id> directories;
  tree.for_each_preorder(node, [&](node_id id, std::size_t) {
    if (tree[id].type == entry_type::directory)
      directories.push_back(id);
  });
  for (node_id dir : directories)
    for (node_id c = tree[dir].first_child; c != no_node; c = tree[c].next_sibling)
      if (!accepts(root, tree, dir, tree[c].name, tree[c].type == entry_type::directory))
        out.push_back(c);
  for (node_id c : out)
    if (tree[c].in_use && tree.attached(c))
      entry_removed(root, c);
  // What they let in now enters it: each directory left is listed again (a scan of one with
  // children reports only what it lacks), shallow first.
  for (node_id dir : directories) {
    if (!tree[dir].in_use || tree[dir].type != entry_type::directory || !tree.attached(dir) ||
        in_limbo(root, dir))
      continue;
    if (dir != tree.root() && !root.recursive())
      continue;
    const std::string path = tree.path(dir);
    scan_mode mode;
    mode.watch = policy_ == watch_policy::per_directory;
    mode.report_created = true;
    const sys::error_code ec = scan(root, tree, dir, path, mode);
    if (is_vanished(ec))
      root.stale.insert(dir); // moved or gone: its records follow, and it is listed again then
    else if (ec)
      report_problem(root, path, entry_type::directory, ec);
  }
}

} // namespace asio_fswatch::detail
