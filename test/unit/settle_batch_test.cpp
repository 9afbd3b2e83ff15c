// SPDX-License-Identifier: BSL-1.0
// Unit tests of detail/settle_batch.hpp, the merging of a settle period's events: the rules one by
// one, then random event streams (strict: each event fits the tree the earlier ones left) checked
// for what the merge promises: the merged batch replays to the same tree, without a problem, and
// every entry written or changed is still said to be, at the path it ends at, with nothing
// said of an entry that was not.
#include <asio_fswatch/detail/path_text.hpp>
#include <asio_fswatch/detail/settle_batch.hpp>

#include <common/make_event.hpp>
#include <common/tree_replay.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using asio_fswatch::entry_type;
using asio_fswatch::event_kind;
using asio_fswatch::fs_event;
using asio_fswatch::detail::generic_path_text;
using asio_fswatch::detail::settle_batch;
using asio_fswatch::test::make_event;
using asio_fswatch::test::tree_snapshot;

namespace {

constexpr auto created = event_kind::created;
constexpr auto removed = event_kind::removed;
constexpr auto renamed = event_kind::renamed;
constexpr auto exchanged = event_kind::exchanged;
constexpr auto modified = event_kind::modified;
constexpr auto attributes = event_kind::attributes;
constexpr auto file = entry_type::file;
constexpr auto dir = entry_type::directory;
constexpr auto sym = entry_type::symlink;

const std::filesystem::path root = "/r";

fs_event ev(event_kind kind, std::string path, entry_type type, std::string old_path = {},
            entry_type old_type = entry_type::unknown) {
  fs_event e = make_event(kind, std::move(path), type, std::move(old_path));
  e.old_type = old_type;
  return e;
}

void push(settle_batch& batch, const fs_event& e) {
  if (e.kind == event_kind::overflow || e.kind == event_kind::error) {
    fs_event copy = e;
    copy.root = root;
    batch.push_barrier(std::move(copy));
    return;
  }
  batch.push(root, e.kind, generic_path_text(e.path), e.type,
             e.old_path.empty() ? std::string() : generic_path_text(e.old_path), e.old_type);
}

std::vector<fs_event> settled(const std::vector<fs_event>& events) {
  settle_batch batch;
  for (const fs_event& e : events)
    push(batch, e);
  std::deque<fs_event> out;
  batch.release_into(out);
  BOOST_TEST(batch.empty());
  return {out.begin(), out.end()};
}

std::string text(const std::vector<fs_event>& events) {
  std::ostringstream out;
  for (const fs_event& e : events)
    out << e << '\n';
  return out.str();
}

void check(const std::vector<fs_event>& in, const std::vector<fs_event>& expected) {
  const std::vector<fs_event> out = settled(in);
  BOOST_TEST(text(out) == text(expected), "in:\n" << text(in) << "out:\n" << text(out));
}

} // namespace

BOOST_AUTO_TEST_SUITE(settle_batch_rules)

BOOST_AUTO_TEST_CASE(repeated_writes_are_one_modified) {
  std::vector<fs_event> in;
  for (int i = 0; i < 48; ++i)
    in.push_back(ev(modified, "/r/big", file));
  in.push_back(ev(attributes, "/r/big", file));
  in.push_back(ev(modified, "/r/big", file));
  check(in, {ev(modified, "/r/big", file), ev(attributes, "/r/big", file)});
}

BOOST_AUTO_TEST_CASE(created_then_written_is_created) {
  check({ev(created, "/r/f", file), ev(modified, "/r/f", file), ev(attributes, "/r/f", file),
         ev(modified, "/r/f", file)},
        {ev(created, "/r/f", file)});
}

BOOST_AUTO_TEST_CASE(created_then_removed_is_nothing) {
  check({ev(created, "/r/f", file), ev(modified, "/r/f", file), ev(removed, "/r/f", file)}, {});
  check({ev(created, "/r/d", dir), ev(created, "/r/d/x", file), ev(modified, "/r/d/x", file),
         ev(created, "/r/d/s", dir), ev(renamed, "/r/d/s/y", file, "/r/d/x"), ev(removed, "/r/d", dir)},
        {});
}

BOOST_AUTO_TEST_CASE(a_move_across_a_cancelled_directory_keeps_it) {
  // f moved into d before d goes: cancelling d would bring f back.
  const std::vector<fs_event> in = {ev(created, "/r/d", dir), ev(renamed, "/r/d/x", file, "/r/f"),
                                    ev(removed, "/r/d", dir)};
  check(in, in);
  // d/x created in d and moved out before d goes: created where it ends, d is nothing.
  check({ev(created, "/r/d", dir), ev(created, "/r/d/x", file), ev(renamed, "/r/y", file, "/r/d/x"),
         ev(removed, "/r/d", dir)},
        {ev(created, "/r/y", file)});
}

BOOST_AUTO_TEST_CASE(modified_then_removed_is_removed) {
  check({ev(modified, "/r/f", file), ev(attributes, "/r/f", file), ev(removed, "/r/f", file)},
        {ev(removed, "/r/f", file)});
  check({ev(modified, "/r/d/f", file), ev(created, "/r/d/n", file), ev(removed, "/r/d/n", file),
         ev(removed, "/r/d", dir)},
        {ev(removed, "/r/d", dir)});
}

BOOST_AUTO_TEST_CASE(removed_then_created_as_the_same_type_is_modified) {
  check({ev(removed, "/r/f", file), ev(created, "/r/f", file), ev(modified, "/r/f", file)},
        {ev(modified, "/r/f", file)});
  // Another type: the reader must learn it.
  const std::vector<fs_event> other = {ev(removed, "/r/f", file), ev(created, "/r/f", sym)};
  check(other, other);
  // A directory: what was inside it went, the new one is empty.
  const std::vector<fs_event> directory = {ev(removed, "/r/d", dir), ev(created, "/r/d", dir)};
  check(directory, directory);
}

BOOST_AUTO_TEST_CASE(an_atomic_save_is_modified) {
  // Write a temporary file, rename it over the original (reported `removed` first).
  check({ev(created, "/r/.f.swp", file), ev(modified, "/r/.f.swp", file), ev(removed, "/r/f", file),
         ev(renamed, "/r/f", file, "/r/.f.swp")},
        {ev(modified, "/r/f", file)});
  // An editor that keeps a backup: rename f f~, write f, remove f~.
  check({ev(renamed, "/r/f~", file, "/r/f"), ev(created, "/r/f", file), ev(modified, "/r/f", file),
         ev(removed, "/r/f~", file)},
        {ev(modified, "/r/f", file)});
}

BOOST_AUTO_TEST_CASE(created_then_renamed_is_created_where_it_ends) {
  check({ev(created, "/r/tmp1", file), ev(modified, "/r/tmp1", file), ev(renamed, "/r/pkg.json", file, "/r/tmp1")},
        {ev(created, "/r/pkg.json", file)});
  // A directory filled before its rename keeps its events: they name it.
  const std::vector<fs_event> filled = {ev(created, "/r/stage", dir), ev(created, "/r/stage/a", file),
                                        ev(renamed, "/r/pkg", dir, "/r/stage")};
  check(filled, filled);
  check({ev(created, "/r/stage", dir), ev(renamed, "/r/pkg", dir, "/r/stage"), ev(created, "/r/pkg/a", file)},
        {ev(created, "/r/pkg", dir), ev(created, "/r/pkg/a", file)});
}

BOOST_AUTO_TEST_CASE(renames_chain) {
  check({ev(renamed, "/r/b", file, "/r/a"), ev(renamed, "/r/c", file, "/r/b")}, {ev(renamed, "/r/c", file, "/r/a")});
  check({ev(renamed, "/r/b", dir, "/r/a"), ev(renamed, "/r/a", dir, "/r/b")}, {});
  // Written between the two: kept as they came.
  const std::vector<fs_event> written = {ev(renamed, "/r/b", file, "/r/a"), ev(modified, "/r/b", file),
                                         ev(renamed, "/r/c", file, "/r/b")};
  check(written, written);
  // Something new at the first path since: the first rename must stay before it.
  const std::vector<fs_event> reused = {ev(renamed, "/r/b", file, "/r/a"), ev(created, "/r/a", dir),
                                        ev(renamed, "/r/c", file, "/r/b")};
  check(reused, reused);
}

BOOST_AUTO_TEST_CASE(renamed_then_removed_is_removed_where_it_was) {
  check({ev(renamed, "/r/b", file, "/r/a"), ev(removed, "/r/b", file)}, {ev(removed, "/r/a", file)});
}

// Found by a review: a creation at the old path is a replacement only when nothing else came
// there between the move and it.
BOOST_AUTO_TEST_CASE(a_creation_at_the_old_path_replaces_only_what_just_left) {
  // The old path's directory went and came back: the new x is another entry.
  const std::vector<fs_event> came_back = {ev(renamed, "/r/b/x", file, "/r/a/x"), ev(removed, "/r/a", dir),
                                           ev(created, "/r/a", dir), ev(created, "/r/a/x", file),
                                           ev(removed, "/r/b/x", file)};
  check(came_back, came_back);
  // Another entry came to x and left before the creation.
  const std::vector<fs_event> taken = {ev(renamed, "/r/y", file, "/r/x"), ev(renamed, "/r/x", file, "/r/q"),
                                       ev(modified, "/r/x", file), ev(renamed, "/r/w", file, "/r/x"),
                                       ev(created, "/r/x", file), ev(removed, "/r/y", file)};
  const std::vector<fs_event> out = settled(taken);
  asio_fswatch::test::replay_stats stats;
  tree_snapshot tree = {{"/r", dir}, {"/r/x", file}, {"/r/q", file}};
  asio_fswatch::test::replay(tree, out, stats);
  BOOST_TEST(stats.problems.empty(), text(out));
  BOOST_TEST(asio_fswatch::test::compare(tree, {{"/r", dir}, {"/r/x", file}, {"/r/w", file}}).empty(), text(out));
}

BOOST_AUTO_TEST_CASE(an_overflow_is_a_barrier) {
  const std::vector<fs_event> in = {ev(modified, "/r/f", file), ev(event_kind::overflow, "/r", dir),
                                    ev(modified, "/r/f", file), ev(created, "/r/g", file)};
  check(in, in);
}

BOOST_AUTO_TEST_CASE(an_exchange_separates_the_two_entries) {
  const std::vector<fs_event> in = {ev(modified, "/r/a", file), ev(exchanged, "/r/a", file, "/r/b", file),
                                    ev(modified, "/r/a", file)};
  check(in, in);
}

BOOST_AUTO_TEST_CASE(open_writers_are_followed_by_path) {
  settle_batch batch;
  batch.note_write("/r/f");
  BOOST_TEST(batch.writing());
  batch.note_closed("/r/f");
  BOOST_TEST(!batch.writing());
  batch.note_write("/r/d/f");
  push(batch, ev(renamed, "/r/e/f", file, "/r/d/f"));
  batch.note_closed("/r/d/f");
  BOOST_TEST(batch.writing(), "the file is open under its new name");
  batch.note_closed("/r/e/f");
  BOOST_TEST(!batch.writing());
  batch.note_write("/r/d/g");
  push(batch, ev(renamed, "/r/e", dir, "/r/d"));
  batch.note_closed("/r/e/g");
  BOOST_TEST(!batch.writing(), "closed under its directory's new name");
  batch.note_write("/r/a/f");
  push(batch, ev(exchanged, "/r/a", dir, "/r/b", dir));
  batch.note_closed("/r/b/f");
  BOOST_TEST(!batch.writing(), "closed where the exchange took it");
  batch.note_write("/r/d/g");
  push(batch, ev(removed, "/r/d", dir));
  BOOST_TEST(!batch.writing(), "a removed file gives no IN_CLOSE_WRITE (IN_EXCL_UNLINK)");
  batch.note_write("/r/h");
  push(batch, ev(event_kind::overflow, "/r", dir));
  BOOST_TEST(!batch.writing(), "an overflow may have dropped the close");
}

BOOST_AUTO_TEST_CASE(a_checkpoint_takes_back_what_followed) {
  settle_batch batch;
  push(batch, ev(removed, "/r/f", file));
  const std::size_t mark = batch.checkpoint();
  push(batch, ev(created, "/r/f", file)); // must not merge with what came before the mark
  push(batch, ev(created, "/r/g", file));
  batch.truncate(mark);
  std::deque<fs_event> out;
  batch.release_into(out);
  BOOST_TEST(text({out.begin(), out.end()}) == text({ev(removed, "/r/f", file)}));
}

BOOST_AUTO_TEST_SUITE_END()

// Random streams --------------------------------------------------------------------------------

namespace {

// What a stream says of each entry it ends with: identity followed through renames and
// exchanges.
struct said {
  bool fresh = false;   // created in the stream
  bool content = false; // modified
  bool attrs = false;   // attributes
};

struct model {
  std::map<std::string, std::pair<entry_type, int>> entries; // path -> type, identity
  std::map<int, said> flags;
  int next_id = 0;
};

bool is_below(const std::string& path, const std::string& ancestor) {
  return path.size() > ancestor.size() && path.compare(0, ancestor.size() + 1, ancestor + '/') == 0;
}

std::vector<std::string> subtree(const model& m, const std::string& path) {
  std::vector<std::string> out{path};
  for (auto it = m.entries.upper_bound(path); it != m.entries.end() && is_below(it->first, path); ++it)
    out.push_back(it->first);
  return out;
}

// Applies a strict event to the model (the tree_replay checks that the stream is strict).
void apply(model& m, const fs_event& e) {
  const std::string path = generic_path_text(e.path);
  const std::string old_path = generic_path_text(e.old_path);
  switch (e.kind) {
  case event_kind::created:
    m.entries[path] = {e.type, m.next_id};
    m.flags[m.next_id++].fresh = true;
    break;
  case event_kind::removed:
    for (const std::string& p : subtree(m, path))
      m.entries.erase(p);
    break;
  case event_kind::modified:
  case event_kind::attributes:
    if (auto it = m.entries.find(path); it != m.entries.end())
      (e.kind == event_kind::modified ? m.flags[it->second.second].content : m.flags[it->second.second].attrs) = true;
    break;
  case event_kind::renamed:
  case event_kind::exchanged: {
    std::vector<std::pair<std::string, std::pair<entry_type, int>>> moved;
    for (const std::string& p : subtree(m, old_path))
      moved.emplace_back(path + p.substr(old_path.size()), m.entries.at(p));
    if (e.kind == event_kind::exchanged)
      for (const std::string& p : subtree(m, path))
        moved.emplace_back(old_path + p.substr(path.size()), m.entries.at(p));
    for (const std::string& p : subtree(m, old_path))
      m.entries.erase(p);
    if (e.kind == event_kind::exchanged)
      for (const std::string& p : subtree(m, path))
        m.entries.erase(p);
    for (auto& entry : moved)
      m.entries[entry.first] = entry.second;
    break;
  }
  default: break;
  }
}

// A random strict stream of `length` events on a tree of a few short names, so that paths are
// reused, created again, moved back and forth.
struct stream_maker {
  std::mt19937 random;
  model tree;

  explicit stream_maker(unsigned seed) : random(seed) {
    for (const char* p : {"/r", "/r/a", "/r/b"})
      tree.entries[p] = {dir, tree.next_id++};
    for (const char* p : {"/r/a/x", "/r/b/y", "/r/f"})
      tree.entries[p] = {file, tree.next_id++};
    tree.flags.clear();
  }

  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); }

  std::string any_entry(bool root_allowed) {
    for (;;) {
      auto it = tree.entries.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(pick(tree.entries.size())));
      if (root_allowed || it->first != "/r")
        return it->first;
    }
  }
  std::string any_directory() {
    for (;;) {
      std::string p = any_entry(true);
      if (tree.entries.at(p).first == dir)
        return p;
    }
  }
  std::string fresh_path() { // under a directory, of a name from a small set: may exist
    static const char* names[] = {"a", "b", "c", "f", "g", "x", "y", "tmp"};
    return any_directory() + "/" + names[pick(std::size(names))];
  }

  void emit(std::vector<fs_event>& out, fs_event e) {
    apply(tree, e);
    out.push_back(std::move(e));
  }

  std::vector<fs_event> make(std::size_t length) {
    std::vector<fs_event> out;
    while (out.size() < length) {
      // Only the root left: create something.
      switch (tree.entries.size() == 1 ? 0 : pick(8)) {
      case 0:
      case 1: { // create
        std::string p = fresh_path();
        if (tree.entries.count(p))
          break;
        static const entry_type types[] = {file, file, dir, sym};
        emit(out, ev(created, p, types[pick(4)]));
        break;
      }
      case 2: { // remove (a directory: its content first, or moved out whole)
        std::string p = any_entry(false);
        const entry_type type = tree.entries.at(p).first;
        // The engine says `unknown` for a non-directory it could not look at in time.
        auto as_said = [&](entry_type t) { return t != dir && pick(4) == 0 ? entry_type::unknown : t; };
        if (type == dir && pick(2) == 0) {
          std::vector<std::string> inside = subtree(tree, p);
          for (auto it = inside.rbegin(); it != inside.rend(); ++it)
            emit(out, ev(removed, *it, as_said(tree.entries.at(*it).first)));
        } else {
          emit(out, ev(removed, p, as_said(type)));
        }
        break;
      }
      case 3:
      case 4: { // write
        std::string p = any_entry(false);
        const entry_type type = tree.entries.at(p).first;
        if (type != dir)
          emit(out, ev(modified, p, type));
        break;
      }
      case 5: { // attributes
        std::string p = any_entry(false);
        emit(out, ev(attributes, p, tree.entries.at(p).first));
        break;
      }
      case 6: { // rename, over an entry of the destination (reported removed first)
        std::string from = any_entry(false);
        std::string to = fresh_path();
        const entry_type type = tree.entries.at(from).first;
        if (to == from || is_below(to, from) || is_below(from, to))
          break;
        if (auto it = tree.entries.find(to); it != tree.entries.end())
          emit(out, ev(removed, to, it->second.first));
        emit(out, ev(renamed, to, type, from));
        break;
      }
      case 7: { // exchange
        std::string a = any_entry(false);
        std::string b = any_entry(false);
        if (a == b || is_below(a, b) || is_below(b, a))
          break;
        // `a` now holds what was at `b`: the event's type is of the entry at `path` after it.
        emit(out, ev(exchanged, a, tree.entries.at(b).first, b, tree.entries.at(a).first));
        break;
      }
      }
    }
    return out;
  }
};

// Boost.Test evaluates a message's operands even when the check passes: never front() of an
// empty list there.
std::string first_problem(const asio_fswatch::test::replay_stats& stats) {
  return stats.problems.empty() ? std::string() : stats.problems.front();
}

tree_snapshot snapshot(const model& m) {
  tree_snapshot out;
  for (const auto& [path, entry] : m.entries)
    out[path] = entry.first;
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(settle_batch_random)

BOOST_AUTO_TEST_CASE(merged_streams_replay_to_the_same_tree_and_say_the_same) {
  std::size_t events_in = 0;
  std::size_t events_out = 0;
  for (unsigned seed = 1; seed <= 4000; ++seed) {
    stream_maker maker(seed);
    const model start = maker.tree;
    const std::vector<fs_event> raw = maker.make(1 + seed % 60);
    const std::vector<fs_event> merged = settled(raw);
    events_in += raw.size();
    events_out += merged.size();

    asio_fswatch::test::replay_stats raw_stats;
    tree_snapshot raw_tree = snapshot(start);
    asio_fswatch::test::replay(raw_tree, raw, raw_stats);
    BOOST_TEST_REQUIRE(raw_stats.problems.empty(), "seed " << seed << ": the generator's stream is not strict: "
                                                           << first_problem(raw_stats) << "\n" << text(raw));
    asio_fswatch::test::replay_stats stats;
    tree_snapshot merged_tree = snapshot(start);
    asio_fswatch::test::replay(merged_tree, merged, stats);
    BOOST_TEST_REQUIRE(stats.problems.empty(), "seed " << seed << ": " << first_problem(stats) << "\nraw:\n"
                                                       << text(raw) << "merged:\n" << text(merged));
    BOOST_TEST_REQUIRE(asio_fswatch::test::compare(raw_tree, merged_tree).empty(),
                       "seed " << seed << ":\n" << asio_fswatch::test::compare(raw_tree, merged_tree)
                               << "raw:\n" << text(raw) << "merged:\n" << text(merged));

    // What each stream says of the entries it ends with.
    model by_raw = start;
    for (const fs_event& e : raw)
      apply(by_raw, e);
    model by_merged = start;
    for (const fs_event& e : merged)
      apply(by_merged, e);
    for (const auto& [path, entry] : by_raw.entries) {
      const said r = by_raw.flags[entry.second];
      const said m = by_merged.flags[by_merged.entries.at(path).second];
      const bool raw_written = r.fresh || r.content;
      const bool merged_written = m.fresh || m.content;
      BOOST_TEST_REQUIRE(raw_written == merged_written,
                         "seed " << seed << ": " << path << (raw_written ? " written" : " not written")
                                 << " by the raw stream\nraw:\n" << text(raw) << "merged:\n" << text(merged));
      BOOST_TEST_REQUIRE((r.attrs && !merged_written) <= m.attrs,
                         "seed " << seed << ": attributes of " << path << " lost\nraw:\n" << text(raw)
                                 << "merged:\n" << text(merged));
      BOOST_TEST_REQUIRE(m.attrs <= (r.attrs || raw_written),
                         "seed " << seed << ": attributes of " << path << " forged\nraw:\n" << text(raw)
                                 << "merged:\n" << text(merged));
    }
  }
  BOOST_TEST_MESSAGE("settle_batch: " << events_in << " events merged into " << events_out);
  BOOST_TEST(events_out * 10 < events_in * 9, "the rules hardly ever fired: " << events_out << " of " << events_in);
}

BOOST_AUTO_TEST_SUITE_END()
