// SPDX-License-Identifier: BSL-1.0
// Events since the last run: what a build tool does when it starts. The first run finds no
// snapshot and builds everything; it saves the picture of its sources. The next run asks what
// changed since that picture and rebuilds only that. The program plays both runs on a tree of
// its own, changing it in between, and exits 0 when the second run saw exactly those changes.
// One source for Linux and Windows.
#include <asio_fswatch/asio_fswatch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

// One run of the "build tool": returns the events it rebuilt for (empty on a full build).
std::vector<asio_fswatch::fs_event> build(const fs::path& sources, const fs::path& snapshot) {
  const asio_fswatch::watch_options options{.exclude = {"*.tmp"}};
  boost::system::error_code ec;
  // The events since the last run, and the snapshot moved on to where they end, in one scan.
  std::vector<asio_fswatch::fs_event> changes = asio_fswatch::update_snapshot(snapshot, sources, options, ec);
  if (ec) {
    // First run, or a damaged snapshot: save the picture first, then build everything, so
    // that what changes during the build is seen by the next run.
    std::cout << "no usable snapshot (" << ec.message() << "): building everything\n";
    asio_fswatch::write_snapshot(sources, snapshot, options); // throws on failure
    return {};
  }
  for (const asio_fswatch::fs_event& e : changes)
    std::cout << "rebuilding for: " << e << '\n';
  return changes;
}

int main() {
  const fs::path base = fs::temp_directory_path() / ("asio_fswatch_since_" + std::to_string(std::random_device{}()));
  const fs::path sources = base / "src";
  const fs::path snapshot = base / "src.snapshot";
  fs::create_directories(sources / "lib");
  std::ofstream(sources / "main.cpp") << "int main() {}\n";
  std::ofstream(sources / "lib" / "util.cpp") << "void util() {}\n";

  // Edits and runs of a build tool are seconds apart. (A file changed within 50 ms before a run
  // counts as changed at the next one too: its status cannot tell a second change in the same
  // clock tick.)
  const auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); };
  pause();
  build(sources, snapshot); // first run: no snapshot yet

  // Between the runs: an edit, a new file, a removal, and a file the options exclude.
  std::ofstream(sources / "main.cpp") << "int main() { return 0; }\n";
  std::ofstream(sources / "lib" / "new.cpp") << "void added() {}\n";
  fs::remove(sources / "lib" / "util.cpp");
  std::ofstream(sources / "scratch.tmp") << "ignored\n";
  pause();

  const std::vector<asio_fswatch::fs_event> changes = build(sources, snapshot);
  const bool third_run_quiet = build(sources, snapshot).empty();
  fs::remove_all(base);

  using asio_fswatch::event_kind;
  const auto saw = [&](event_kind kind, const fs::path& path) {
    for (const asio_fswatch::fs_event& e : changes)
      if (e.kind == kind && e.path == path)
        return true;
    return false;
  };
  const bool ok = changes.size() == 3 && saw(event_kind::modified, sources / "main.cpp") &&
                  saw(event_kind::created, sources / "lib" / "new.cpp") &&
                  saw(event_kind::removed, sources / "lib" / "util.cpp") && third_run_quiet;
  std::cout << (ok ? "check passed: the second run saw exactly the three changes\n"
                   : "check FAILED: the changes differ from those made\n");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
