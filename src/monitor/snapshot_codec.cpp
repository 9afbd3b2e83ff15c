// SPDX-License-Identifier: BSL-1.0
#include <asio_fswatch/detail/snapshot_codec.hpp>

#include <asio_fswatch/error.hpp>

#include <cstring>
#include <optional>
#include <vector>

namespace asio_fswatch::detail {

namespace {

constexpr std::string_view magic{"asio_fswatch.snp", 16};
constexpr std::uint32_t root_parent = 0xffffffffu;
// The fixed bytes of an entry: parent, type, name length, five 64-bit and five 32-bit fields.
constexpr std::size_t entry_fixed_bytes = 4 + 1 + 4 + 5 * 8 + 5 * 4;
constexpr std::size_t checksum_bytes = 8;

class writer {
public:
  explicit writer(std::string& out) : out_(out) {}
  template <typename Unsigned>
  void put(Unsigned value) {
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i)
      out_.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xff));
  }
  void put_signed(std::int64_t value) { put(static_cast<std::uint64_t>(value)); }
  void put_text(std::string_view text) {
    put(static_cast<std::uint32_t>(text.size()));
    out_.append(text);
  }

private:
  std::string& out_;
};

// Reads from the front of `bytes`; once something is missing, every later read fails too.
class reader {
public:
  explicit reader(std::string_view bytes) : rest_(bytes) {}
  template <typename Unsigned>
  bool get(Unsigned& value) {
    if (rest_.size() < sizeof(Unsigned))
      return false;
    std::uint64_t result = 0;
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i)
      result |= static_cast<std::uint64_t>(static_cast<unsigned char>(rest_[i])) << (8 * i);
    value = static_cast<Unsigned>(result);
    rest_.remove_prefix(sizeof(Unsigned));
    return true;
  }
  bool get_signed(std::int64_t& value) {
    std::uint64_t raw = 0;
    if (!get(raw))
      return false;
    value = static_cast<std::int64_t>(raw);
    return true;
  }
  bool get_text(std::string_view& text) {
    std::uint32_t length = 0;
    if (!get(length) || rest_.size() < length)
      return false;
    text = rest_.substr(0, length);
    rest_.remove_prefix(length);
    return true;
  }
  std::size_t left() const noexcept { return rest_.size(); }

private:
  std::string_view rest_;
};

void put_entry(writer& out, std::uint32_t parent, const tree_node& node, std::string_view name,
               const entry_status& s) {
  out.put(parent);
  out.put(static_cast<std::uint8_t>(node.type));
  out.put_text(name);
  out.put_signed(s.mtime_ns);
  out.put_signed(s.ctime_ns);
  out.put(s.size);
  out.put(s.inode);
  out.put(s.mount_id);
  out.put(s.mode);
  out.put(s.uid);
  out.put(s.gid);
  out.put(s.links);
  out.put(s.attributes);
}

struct decoded_entry {
  std::uint32_t parent = root_parent;
  entry_type type = entry_type::unknown;
  std::string_view name;
  entry_status status;
};

std::optional<decoded_entry> get_entry(reader& in) {
  decoded_entry e;
  std::uint8_t type = 0;
  entry_status& s = e.status;
  if (!in.get(e.parent) || !in.get(type) || !in.get_text(e.name) || !in.get_signed(s.mtime_ns) ||
      !in.get_signed(s.ctime_ns) || !in.get(s.size) || !in.get(s.inode) || !in.get(s.mount_id) ||
      !in.get(s.mode) || !in.get(s.uid) || !in.get(s.gid) || !in.get(s.links) || !in.get(s.attributes))
    return std::nullopt;
  if (type > static_cast<std::uint8_t>(entry_type::unknown))
    return std::nullopt;
  e.type = static_cast<entry_type>(type);
  return e;
}

// A name the tree can hold as one directory entry: not empty, no '/' nor NUL, not "." or "..";
// on Windows, no '\\' nor ':' either (they would name another entry, or a stream).
bool is_entry_name(std::string_view name) noexcept {
#if defined(_WIN32)
  constexpr std::string_view forbidden{"/\0\\:", 4};
#else
  constexpr std::string_view forbidden{"/\0", 2};
#endif
  return !name.empty() && name != "." && name != ".." && name.find_first_of(forbidden) == std::string_view::npos;
}

} // namespace

std::uint64_t snapshot_checksum(std::string_view bytes) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string encode_snapshot(const entry_tree& tree, std::int64_t scanned_ns) {
  std::string bytes(magic);
  writer out(bytes);
  out.put(snapshot_format_version);
  out.put(std::uint32_t{0});
  out.put_signed(scanned_ns);
  out.put(static_cast<std::uint64_t>(0)); // the count, written below once known
  const std::size_t count_at = bytes.size() - 8;
  out.put_text(tree[tree.root()].name);

  // Pre-order: a parent's index is known when its children are written.
  std::vector<std::uint32_t> index_of(tree.node_slots(), root_parent);
  std::uint64_t count = 0;
  tree.for_each_preorder(tree.root(), [&](node_id id, std::size_t) {
    const tree_node& node = tree[id];
    const bool is_root = id == tree.root();
    put_entry(out, is_root ? root_parent : index_of[node.parent], node, is_root ? std::string_view{} : node.name,
              tree.keeps_status() ? tree.status(id) : entry_status{});
    index_of[id] = static_cast<std::uint32_t>(count++);
  });
  std::string count_bytes;
  writer(count_bytes).put(count);
  bytes.replace(count_at, 8, count_bytes);
  writer(bytes).put(snapshot_checksum(bytes));
  return bytes;
}

entry_tree decode_snapshot(std::string_view bytes, const std::string& root_path, std::int64_t& scanned_ns,
                           boost::system::error_code& ec) {
  ec.clear();
  scanned_ns = 0;
  auto fail = [&ec](errc why) {
    ec = make_error_code(why);
    return entry_tree(std::string(), entry_type::directory, true);
  };
  if (bytes.size() < magic.size() + 8 || bytes.substr(0, magic.size()) != magic)
    return fail(errc::invalid_snapshot);
  reader header(bytes.substr(magic.size()));
  std::uint32_t version = 0, flags = 0;
  header.get(version);
  header.get(flags);
  if (version != snapshot_format_version || flags != 0)
    return fail(errc::unsupported_snapshot_version);

  // The checksum first: a damaged file is told as such, not by what its damage looks like.
  if (bytes.size() < magic.size() + 8 + checksum_bytes)
    return fail(errc::invalid_snapshot);
  const std::string_view body = bytes.substr(0, bytes.size() - checksum_bytes);
  std::uint64_t stored = 0;
  reader(bytes.substr(body.size())).get(stored);
  if (stored != snapshot_checksum(body))
    return fail(errc::invalid_snapshot);

  reader in(body.substr(magic.size() + 8));
  std::uint64_t count = 0;
  std::string_view written_root;
  std::int64_t scanned = 0;
  if (!in.get_signed(scanned) || !in.get(count) || !in.get_text(written_root) || count == 0 ||
      count > in.left() / entry_fixed_bytes)
    return fail(errc::invalid_snapshot);

  entry_tree tree(root_path, entry_type::directory, true);
  std::vector<node_id> node_of;
  node_of.reserve(static_cast<std::size_t>(count));
  std::vector<std::size_t> path_length; // below the root, by index in the file
  path_length.reserve(static_cast<std::size_t>(count));
  const std::uint64_t path_budget = 32 * std::uint64_t(bytes.size()) + (1u << 20);
  std::uint64_t paths_total = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::optional<decoded_entry> e = get_entry(in);
    if (!e)
      return fail(errc::invalid_snapshot);
    if (i == 0) {
      if (e->parent != root_parent || e->type != entry_type::directory || !e->name.empty())
        return fail(errc::invalid_snapshot);
      tree.status(tree.root()) = e->status;
      node_of.push_back(tree.root());
      path_length.push_back(0);
      continue;
    }
    if (e->parent >= i || !is_entry_name(e->name))
      return fail(errc::invalid_snapshot);
    const std::size_t length = path_length[e->parent] + (e->parent == 0 ? 0 : 1) + e->name.size();
    paths_total += length;
    if (length > snapshot_max_path || paths_total > path_budget)
      return fail(errc::invalid_snapshot);
    path_length.push_back(length);
    const node_id parent = node_of[e->parent];
    if (tree[parent].type != entry_type::directory || tree.find(parent, e->name) != no_node)
      return fail(errc::invalid_snapshot);
    const node_id id = tree.insert(parent, e->name, e->type);
    tree.status(id) = e->status;
    node_of.push_back(id);
  }
  if (in.left() != 0)
    return fail(errc::invalid_snapshot);
  scanned_ns = scanned;
  return tree;
}

} // namespace asio_fswatch::detail
