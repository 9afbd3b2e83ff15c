// SPDX-License-Identifier: BSL-1.0
// The Windows monitor with the system call refusing or losing, not mocks: the test program's
// import of ReadDirectoryChangesW (through which the statically linked library calls it) is
// pointed at a wrapper for the length of a case. The wrapper calls the real function, except that
//  - a buffer larger than 64 KiB is refused with ERROR_INVALID_PARAMETER, as a network share
//    refuses it (the SMB limit): the monitor must fall back to 64 KiB and lose nothing;
//  - for a number of reads, the buffer is cut to a few bytes, so that the system cannot fit the
//    records and reports an overflow (Windows: ERROR_NOTIFY_ENUM_DIR; Wine: an empty
//    completion): the monitor must report `overflow`, rescan, and replay to the tree.
#include <common/monitor_collect.hpp>

#include <asio_fswatch/directory_monitor.hpp>

#include <boost/test/unit_test.hpp>

#include <windows.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using asio_fswatch::backend;
using asio_fswatch::directory_monitor;
using asio_fswatch::event_kind;
using asio_fswatch::monitor_options;
using asio_fswatch::test::collection;
using asio_fswatch::test::monitor_fixture;
using asio_fswatch::test::snapshot_of;

namespace {

namespace test = asio_fswatch::test;

using read_changes_function = BOOL(WINAPI*)(HANDLE, LPVOID, DWORD, BOOL, DWORD, LPDWORD, LPOVERLAPPED,
                                            LPOVERLAPPED_COMPLETION_ROUTINE);

/// The slot of this program's import table that holds `function`, or nullptr.
void** import_slot(const char* function) {
  auto* const base = reinterpret_cast<unsigned char*>(::GetModuleHandleW(nullptr));
  const auto* dos = reinterpret_cast<const IMAGE_DOS_HEADER*>(base);
  const auto* nt = reinterpret_cast<const IMAGE_NT_HEADERS*>(base + dos->e_lfanew);
  const IMAGE_DATA_DIRECTORY& imports = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
  if (imports.VirtualAddress == 0)
    return nullptr;
  for (auto* module = reinterpret_cast<IMAGE_IMPORT_DESCRIPTOR*>(base + imports.VirtualAddress); module->Name;
       ++module) {
    auto* names = reinterpret_cast<IMAGE_THUNK_DATA*>(base + module->OriginalFirstThunk);
    auto* slots = reinterpret_cast<IMAGE_THUNK_DATA*>(base + module->FirstThunk);
    for (; names->u1.AddressOfData; ++names, ++slots) {
      if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal))
        continue;
      const auto* by_name = reinterpret_cast<const IMAGE_IMPORT_BY_NAME*>(base + names->u1.AddressOfData);
      if (std::strcmp(reinterpret_cast<const char*>(by_name->Name), function) == 0)
        return reinterpret_cast<void**>(&slots->u1.Function);
    }
  }
  return nullptr;
}

void write_slot(void** slot, void* value) {
  DWORD old = 0;
  BOOST_TEST_REQUIRE(::VirtualProtect(slot, sizeof *slot, PAGE_READWRITE, &old));
  *slot = value;
  ::VirtualProtect(slot, sizeof *slot, old, &old);
}

// What the wrapper does; set by the case, read on the io_context's thread (the same one here).
read_changes_function real_read_changes = nullptr;
std::atomic<bool> refuse_large{false};
std::atomic<int> reads_to_starve{0};
std::vector<DWORD> lengths_asked; // every buffer length the monitor asked for
int refused_large = 0;

BOOL WINAPI read_changes_wrapper(HANDLE directory, LPVOID buffer, DWORD length, BOOL subtree, DWORD filter,
                                 LPDWORD returned, LPOVERLAPPED overlapped,
                                 LPOVERLAPPED_COMPLETION_ROUTINE routine) {
  lengths_asked.push_back(length);
  if (refuse_large && length > 64 * 1024) {
    ++refused_large;
    ::SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (reads_to_starve > 0) {
    --reads_to_starve;
    length = 8; // no record fits: the system has to report an overflow
  }
  return real_read_changes(directory, buffer, length, subtree, filter, returned, overlapped, routine);
}

/// The import patched for the life of the object.
class read_changes_patch {
public:
  read_changes_patch() : slot_(import_slot("ReadDirectoryChangesW")) {
    BOOST_TEST_REQUIRE(slot_, "this program does not import ReadDirectoryChangesW");
    real_read_changes = reinterpret_cast<read_changes_function>(*slot_);
    lengths_asked.clear();
    refused_large = 0;
    write_slot(slot_, reinterpret_cast<void*>(&read_changes_wrapper));
  }
  ~read_changes_patch() {
    refuse_large = false;
    reads_to_starve = 0;
    write_slot(slot_, reinterpret_cast<void*>(real_read_changes));
  }
  read_changes_patch(const read_changes_patch&) = delete;
  read_changes_patch& operator=(const read_changes_patch&) = delete;

private:
  void** slot_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(monitor_windows_faults)

BOOST_FIXTURE_TEST_CASE(a_share_that_refuses_a_large_buffer_gets_64_KiB, monitor_fixture) {
  read_changes_patch patch;
  refuse_large = true;
  monitor_options options;
  options.backend = backend::native;
  options.change_buffer = 256 * 1024;
  directory_monitor monitor(ioc, options);
  monitor.add(root); // the first read is refused, then taken with 64 KiB
  const auto before = snapshot_of(root);
  fs::create_directory(root / "d");
  test::write_text(root / "a");
  fs::rename(root / "a", root / "b");
  test::write_text(root / "end");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"));
  REQUIRE_COLLECTED(c, "created end");
  test::check_replay(before, c, root);
  BOOST_TEST(refused_large >= 1, "the large buffer was never asked for");
  BOOST_TEST_REQUIRE(!lengths_asked.empty());
  BOOST_TEST(lengths_asked.front() == 256u * 1024u);
  BOOST_TEST(lengths_asked.back() == 64u * 1024u, "the last read asked for " << lengths_asked.back());
}

BOOST_FIXTURE_TEST_CASE(an_overflow_is_reported_and_reconciled, monitor_fixture) {
  read_changes_patch patch;
  monitor_options options;
  options.backend = backend::native;
  directory_monitor monitor(ioc, options);
  test::write_text(root / "old");
  monitor.add(root);
  const auto before = snapshot_of(root);
  reads_to_starve = 3; // the reads that follow cannot hold one record
  fs::create_directory(root / "d");
  test::write_text(root / "d" / "inside");
  test::write_text(root / "a");
  fs::rename(root / "old", root / "new");
  fs::remove(root / "a");
  collection c = test::collect_until(ioc, monitor, test::saw(event_kind::overflow, root));
  REQUIRE_COLLECTED(c, "overflow");
  // After the overflow the monitor reads normally again and rescans the root.
  test::write_text(root / "end");
  collection rest = test::collect_until(ioc, monitor, test::saw(event_kind::created, root / "end"));
  REQUIRE_COLLECTED(rest, "created end");
  c.events.insert(c.events.end(), rest.events.begin(), rest.events.end());
  test::check_replay(before, c.events, snapshot_of(root));
}

BOOST_AUTO_TEST_SUITE_END()
