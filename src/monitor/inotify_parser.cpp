// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/inotify_parser.hpp>

#include <asio_fswatch/detail/byte_load.hpp>

#include <cstring>

namespace asio_fswatch::detail {
namespace {

// Longest name field a record may carry: NAME_MAX + 1, rounded up by the kernel's padding. More
// than that cannot come from the kernel; PATH_MAX gives the parser a generous, fixed bound.
constexpr std::uint32_t max_name_field = 4096;


} // namespace

inotify_parse_result parse_inotify_records(std::string_view bytes, std::vector<inotify_record>& out) {
  inotify_parse_result result;
  const char* data = bytes.data();
  std::size_t size = bytes.size();
  std::size_t offset = 0;
  while (size - offset >= inotify_header_size) {
    const char* header = data + offset;
    std::uint32_t name_length = load_unaligned<std::uint32_t>(header + 12);
    if (name_length > max_name_field) {
      result.malformed = true;
      break;
    }
    if (size - offset - inotify_header_size < name_length)
      break; // truncated: wait for the rest
    inotify_record record;
    record.watch = load_unaligned<std::int32_t>(header);
    record.mask = load_unaligned<std::uint32_t>(header + 4);
    record.cookie = load_unaligned<std::uint32_t>(header + 8);
    const char* name = header + inotify_header_size;
    const void* nul = std::memchr(name, '\0', name_length);
    std::size_t length = nul ? static_cast<const char*>(nul) - name : name_length;
    if (length >= max_name_field) {
      // A whole PATH_MAX field without a NUL: a name longer than any name can be, and one that
      // append_inotify_record could not write back (it always leaves room for the NUL).
      result.malformed = true;
      break;
    }
    record.name = std::string_view(name, length);
    out.push_back(record);
    offset += inotify_header_size + name_length;
  }
  result.consumed = offset;
  return result;
}

void append_inotify_record(std::string& out, int watch, std::uint32_t mask, std::uint32_t cookie,
                           std::string_view name) {
  std::uint32_t field = 0;
  if (!name.empty())
    field = static_cast<std::uint32_t>((name.size() + 1 + 15) / 16 * 16);
  char header[inotify_header_size];
  std::int32_t wd = watch;
  std::memcpy(header, &wd, 4);
  std::memcpy(header + 4, &mask, 4);
  std::memcpy(header + 8, &cookie, 4);
  std::memcpy(header + 12, &field, 4);
  out.append(header, sizeof header);
  out.append(name);
  out.append(field - name.size(), '\0');
}

} // namespace asio_fswatch::detail
