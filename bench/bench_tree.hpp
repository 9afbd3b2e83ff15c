// SPDX-License-Identifier: BSL-1.0
// bench_tree.hpp: the tree that ignore_bench and snapshot_bench scan: `directories`
// directories of `files / directories` empty files each, two levels deep (d0/s0 ... d62/s3999).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace bench {

inline void make_tree(const std::filesystem::path& root, int directories, int files) {
  // Names appended to a std::string: GCC 12's -Wrestrict misreads `"d" + std::to_string(n)`.
  auto name = [](const char* prefix, int n, const char* suffix = "") {
    std::string out(prefix);
    out.append(std::to_string(n)).append(suffix);
    return out;
  };
  const int per = files / directories;
  for (int d = 0; d < directories; ++d) {
    const std::filesystem::path dir = root / name("d", d / 64) / name("s", d);
    std::filesystem::create_directories(dir);
    for (int f = 0; f < per; ++f)
      std::ofstream(dir / name("file", f, ".cpp"));
  }
}

} // namespace bench
