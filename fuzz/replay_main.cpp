// SPDX-License-Identifier: BSL-1.0
// Replays fuzz inputs through a fuzz target without libFuzzer, so that the seed corpus and the
// regression inputs run as ordinary tests in every build, with any compiler.
//
// Usage: fuzz_corpus_<target> PATH...
// Each PATH is an input file or a directory whose regular files are inputs (not recursive; files
// ending in ".md" are notes, not inputs). On POSIX each input runs in a child process of its own,
// so that an input that breaks a property (the target traps) or trips a sanitizer is reported by
// its path and the others still run. Exit status: 0 when every input passed, 1 otherwise, 2 for
// a usage error (a PATH that does not exist, or no input at all).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/wait.h>
#include <unistd.h>
#define ASIO_FSWATCH_REPLAY_FORKS 1
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool is_note(const fs::path& path) { return path.extension() == ".md"; }

// Collects the inputs named by `argument`; false if it names nothing.
bool collect(const fs::path& argument, std::vector<fs::path>& inputs) {
  std::error_code ec;
  if (fs::is_regular_file(argument, ec)) {
    inputs.push_back(argument);
    return true;
  }
  if (!fs::is_directory(argument, ec))
    return false;
  std::vector<fs::path> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(argument)) {
    if (entry.is_regular_file() && !is_note(entry.path()))
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end()); // a stable order, for comparable logs
  inputs.insert(inputs.end(), found.begin(), found.end());
  return true;
}

bool read_file(const fs::path& path, std::vector<std::uint8_t>& bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return false;
  bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return !file.bad();
}

// Runs one input; true if the target returned normally.
bool run([[maybe_unused]] const fs::path& input, const std::vector<std::uint8_t>& bytes) {
  // A heap block of exactly the input's size, as libFuzzer gives, so that AddressSanitizer
  // catches a read one byte past the end.
  std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[bytes.empty() ? 1 : bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), exact.get());
#if defined(ASIO_FSWATCH_REPLAY_FORKS)
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = fork();
  if (child == 0) {
    LLVMFuzzerTestOneInput(exact.get(), bytes.size());
    std::exit(0); // not _exit: LeakSanitizer checks at exit
  }
  if (child < 0) {
    std::perror("fork");
    return false;
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
  }
  if (WIFSIGNALED(status)) {
    std::fprintf(stderr, "  (killed by signal %d)\n", WTERMSIG(status));
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "  (exit status %d)\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return false;
  }
  return true;
#else
  // Without fork a failing input ends the process; say which one first.
  std::fprintf(stderr, "replaying %s\n", input.string().c_str());
  LLVMFuzzerTestOneInput(exact.get(), bytes.size());
  return true;
#endif
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PATH...   (input files, or directories of input files)\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!collect(argv[i], inputs)) {
      std::fprintf(stderr, "%s: no such file or directory: %s\n", argv[0], argv[i]);
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no input in the paths given\n", argv[0]);
    return 2;
  }

  std::size_t failed = 0;
  std::vector<std::uint8_t> bytes;
  for (const fs::path& input : inputs) {
    if (!read_file(input, bytes)) {
      std::fprintf(stderr, "FAILED to read %s\n", input.string().c_str());
      ++failed;
      continue;
    }
    if (!run(input, bytes)) {
      std::fprintf(stderr, "FAILED: %s (%zu bytes)\n", input.string().c_str(), bytes.size());
      ++failed;
    }
  }
  std::printf("%zu inputs replayed, %zu failed\n", inputs.size(), failed);
  return failed == 0 ? 0 : 1;
}
