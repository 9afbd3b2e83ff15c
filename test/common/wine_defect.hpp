// SPDX-License-Identifier: BSL-1.0
// Test support for the portable monitor cases: the replay check of a case that may meet one of
// Wine's measured defects (doc/guarantees.md, "Under Wine"), which is then logged as such rather
// than failed.
#ifndef ASIO_FSWATCH_TEST_COMMON_WINE_DEFECT_HPP
#define ASIO_FSWATCH_TEST_COMMON_WINE_DEFECT_HPP

#include <common/monitor_collect.hpp>
#include <common/skip_log.hpp>
#include <common/wine.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace asio_fswatch::test {

/// Whether a case meets Wine's defect `id` on backend `b` here: only the native backend runs
/// into it, and only under Wine.
inline bool meets_wine_defect(backend b) { return b == backend::native && wine_version().has_value(); }

/// Replays `events` on `start` and compares with the tree now: what differs, or "".
inline std::string replay_problems(tree_snapshot start, const std::vector<fs_event>& events, const std::filesystem::path& root) {
  replay_stats stats;
  replay(start, events, stats);
  std::string out = describe_problems(stats);
  std::string diff = compare(snapshot_of(root), start);
  if (!diff.empty())
    out += "replayed events do not give the real tree:\n" + diff;
  if (!out.empty())
    out += "events:\n" + dump(events, 80);
  return out;
}

/// The result of a case that may meet Wine's defect `id` (doc/guarantees.md): checked as any
/// other, unless it failed under Wine on the native backend, where it is logged as such.
inline void check_or_wine_defect(backend b, const std::string& problems, const char* id, const char* defect) {
  const std::string test_name = boost::unit_test::framework::current_test_case().full_name();
  if (!meets_wine_defect(b)) {
    BOOST_TEST(problems.empty(), problems);
    return;
  }
  if (problems.empty()) {
    BOOST_TEST_MESSAGE("Wine " << *wine_version() << " no longer has defect " << id << " (" << defect
                               << "): this case passes; update doc/guarantees.md");
    return;
  }
  BOOST_TEST_MESSAGE("wine-defect " << id << ": " << defect << "\n" << problems);
  detail::log_skip(skip_kind::wine_defect, id, test_name, defect);
}

} // namespace asio_fswatch::test

#endif
