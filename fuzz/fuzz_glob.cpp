// SPDX-License-Identifier: BSL-1.0
// Fuzz target for the glob compiler and matcher (detail/glob.hpp).
//
// Input: a pattern, a NUL, then a path (which may itself hold NULs); no NUL means no path.
//  - compile() reports a malformed pattern through its error_code, as errc::invalid_pattern, and
//    the result matches nothing; it clears a previous error on success;
//  - compile() accepts exactly the patterns that a reference parser, written here from the syntax
//    documented in detail/glob.hpp and doc/guide.md, accepts; for a path of the documented form,
//    matches() agrees with a reference matcher (dynamic programming over bytes and components,
//    nothing like the library's backtracking), as a file and as a directory;
//  - matches() never crashes, whatever the path;
//  - the path, made into a pattern by escaping its special characters (or every byte), matches
//    that path and nothing else: any name equal to it when it has no '/', else only itself.
//    Escaping every byte of something that is not a relative path gives a malformed pattern.
#include "fuzz_check.hpp"

#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/error.hpp>

#include <boost/system/error_code.hpp>

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace detail = asio_fswatch::detail;
using asio_fswatch::fuzz::require;
using detail::glob_pattern;

namespace reference {

// A '*' (any run of bytes) or one byte out of a set: a literal, '?' or a class.
struct element {
  bool star = false;
  std::bitset<256> bytes;
};

struct component {
  std::vector<element> elements;
  bool globstar = false; // exactly "**", both stars unescaped
};

struct pattern {
  std::vector<component> components;
  bool whole_path = false;       // it has a '/' (or "\/"), so it matches the whole relative path
  bool directories_only = false; // it ended in an unescaped '/' ("build/")
};

element byte_element(unsigned char byte) {
  element result;
  result.bytes.set(byte);
  return result;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> names;
  for (;;) {
    const std::size_t separator = path.find('/');
    names.push_back(path.substr(0, separator));
    if (separator == std::string_view::npos)
      return names;
    path.remove_prefix(separator + 1);
  }
}

// The members of a POSIX class, "[:name:]", written out as byte ranges (ASCII only).
std::optional<std::bitset<256>> named_class(std::string_view name) {
  std::bitset<256> bytes;
  const auto range = [&bytes](unsigned char low, unsigned char high) {
    for (unsigned byte = low; byte <= high; ++byte)
      bytes.set(byte);
  };
  const auto punctuation = [&] {
    range('!', '/');
    range(':', '@');
    range('[', '`');
    range('{', '~');
  };
  const auto letters_and_digits = [&] {
    range('0', '9');
    range('A', 'Z');
    range('a', 'z');
  };
  if (name == "digit") {
    range('0', '9');
  } else if (name == "xdigit") {
    range('0', '9');
    range('a', 'f');
    range('A', 'F');
  } else if (name == "upper") {
    range('A', 'Z');
  } else if (name == "lower") {
    range('a', 'z');
  } else if (name == "alpha") {
    range('A', 'Z');
    range('a', 'z');
  } else if (name == "alnum") {
    letters_and_digits();
  } else if (name == "blank") {
    range(' ', ' ');
    range('\t', '\t');
  } else if (name == "space") {
    range(' ', ' ');
    range('\t', '\r');
  } else if (name == "cntrl") {
    range(0, 31);
    range(127, 127);
  } else if (name == "punct") {
    punctuation();
  } else if (name == "graph" || name == "print") {
    letters_and_digits();
    punctuation();
    if (name == "print")
      range(' ', ' ');
  }
  if (bytes.none())
    return std::nullopt; // not a name POSIX knows
  return bytes;
}

// A class starts at text[open] == '['. A '!' or '^' right after it negates it. Members run up
// to a ']' that is not the first member; a member is one byte, or '\' and the byte it escapes,
// or "[:name:]" (an unknown name is an error; a "[:" without ":]" before the next ']' is just
// members); two members joined by a '-' that is not right before the closing ']' are a range,
// and a reversed range is an error. A class never holds '/'. Returns the bytes and the index
// past ']'.
std::optional<std::pair<std::bitset<256>, std::size_t>> parse_class(std::string_view text, std::size_t open) {
  std::size_t index = open + 1;
  const bool negated = index < text.size() && (text[index] == '!' || text[index] == '^');
  if (negated)
    ++index;
  const auto member = [&](unsigned char& byte) {
    if (index < text.size() && text[index] == '\\')
      ++index;
    if (index == text.size())
      return false;
    byte = static_cast<unsigned char>(text[index++]);
    return true;
  };
  std::bitset<256> bytes;
  bool has_member = false;
  for (;;) {
    if (index == text.size())
      return std::nullopt;
    if (text[index] == ']' && has_member)
      break;
    if (text.substr(index, 2) == "[:") {
      const std::size_t close = text.find(']', index + 2);
      if (close != std::string_view::npos && close > index + 2 && text[close - 1] == ':') {
        const auto members = named_class(text.substr(index + 2, close - index - 3));
        if (!members)
          return std::nullopt;
        bytes |= *members;
        has_member = true;
        index = close + 1;
        continue;
      }
    }
    unsigned char low = 0;
    if (!member(low))
      return std::nullopt;
    has_member = true;
    unsigned char high = low;
    if (text.size() - index >= 2 && text[index] == '-' && text[index + 1] != ']') {
      ++index;
      if (!member(high) || high < low)
        return std::nullopt;
    }
    for (unsigned byte = low; byte <= high; ++byte)
      bytes.set(byte);
  }
  if (negated)
    bytes.flip();
  bytes.reset('/');
  return std::pair{bytes, index + 1};
}

std::optional<pattern> parse(std::string_view text) {
  pattern result;
  if (!text.empty() && text.front() == '/') {
    result.whole_path = true;
    text.remove_prefix(1);
  }
  // A final '/' that no '\' escapes (an even run of them before it) asks for directories; a
  // pattern of nothing but '/' is not one.
  std::size_t backslashes = 0;
  while (text.size() >= 2 + backslashes && text[text.size() - 2 - backslashes] == '\\')
    ++backslashes;
  if (text.size() >= 2 && text.back() == '/' && backslashes % 2 == 0) {
    result.directories_only = true;
    text.remove_suffix(1);
  }
  if (text.empty())
    return std::nullopt;
  component current;
  const auto end_component = [&] {
    if (current.elements.empty())
      return false;
    current.globstar = current.elements.size() == 2 && current.elements[0].star && current.elements[1].star;
    result.components.push_back(std::move(current));
    current = component();
    return true;
  };
  std::size_t index = 0;
  while (index < text.size()) {
    const char c = text[index];
    if (c == '/' || (c == '\\' && text.size() - index >= 2 && text[index + 1] == '/')) {
      result.whole_path = true;
      index += c == '/' ? 1 : 2;
      if (!end_component())
        return std::nullopt;
    } else if (c == '\\') {
      if (index + 1 == text.size())
        return std::nullopt;
      current.elements.push_back(byte_element(static_cast<unsigned char>(text[index + 1])));
      index += 2;
    } else if (c == '*') {
      element star;
      star.star = true;
      current.elements.push_back(star);
      ++index;
    } else if (c == '?') {
      element any;
      any.bytes.set();
      any.bytes.reset('/');
      current.elements.push_back(any);
      ++index;
    } else if (c == '[') {
      const auto parsed = parse_class(text, index);
      if (!parsed)
        return std::nullopt;
      element set;
      set.bytes = parsed->first;
      current.elements.push_back(set);
      index = parsed->second;
    } else {
      current.elements.push_back(byte_element(static_cast<unsigned char>(c)));
      ++index;
    }
  }
  if (!end_component())
    return std::nullopt;
  return result;
}

bool name_matches(const component& piece, std::string_view name) {
  if (piece.globstar)
    return true; // only asked for a pattern without '/', where "**" is any name
  // reachable[i]: the elements so far can match exactly the first i bytes of the name.
  std::vector<char> reachable(name.size() + 1, 0);
  std::vector<char> next(name.size() + 1, 0);
  reachable[0] = 1;
  for (const element& e : piece.elements) {
    next[0] = e.star ? reachable[0] : 0;
    for (std::size_t i = 1; i <= name.size(); ++i) {
      const auto byte = static_cast<unsigned char>(name[i - 1]);
      next[i] = e.star ? (reachable[i] || (next[i - 1] && byte != '/'))
                       : (reachable[i - 1] && e.bytes.test(byte));
    }
    reachable.swap(next);
  }
  return reachable[name.size()] != 0;
}

bool matches(const pattern& compiled, std::string_view path, bool is_directory) {
  if (compiled.directories_only && !is_directory)
    return false;
  const std::vector<std::string_view> names = split_path(path);
  if (!compiled.whole_path)
    return name_matches(compiled.components.front(), names.back());

  // A final "**" after other components must stand for at least one name, or, for a directory,
  // for nothing: "a/**" matches everything under a, and a itself when it is a directory.
  const bool trailing_globstar = compiled.components.size() >= 2 && compiled.components.back().globstar;
  const std::size_t count = compiled.components.size() - (trailing_globstar ? 1 : 0);
  // matched[c][k]: the first c components match the first k names.
  std::vector<std::vector<char>> matched(count + 1, std::vector<char>(names.size() + 1, 0));
  matched[0][0] = 1;
  for (std::size_t c = 0; c < count; ++c) {
    const component& piece = compiled.components[c];
    for (std::size_t k = 0; k <= names.size(); ++k) {
      if (piece.globstar)
        matched[c + 1][k] = matched[c][k] || (k > 0 && matched[c + 1][k - 1]);
      else
        matched[c + 1][k] = k > 0 && matched[c][k - 1] && name_matches(piece, names[k - 1]);
    }
  }
  if (!trailing_globstar)
    return matched[count][names.size()] != 0;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (matched[count][k])
      return true;
  }
  return is_directory && matched[count][names.size()];
}

} // namespace reference

// The documented form of a relative path: not empty, no leading, trailing or doubled '/'.
bool is_relative_path(std::string_view path) {
  return !path.empty() && path.front() != '/' && path.back() != '/' &&
         path.find("//") == std::string_view::npos;
}

std::string_view last_name(std::string_view path) {
  const std::size_t separator = path.rfind('/');
  return separator == std::string_view::npos ? path : path.substr(separator + 1);
}

std::string escape_specials(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '*' || c == '?' || c == '[')
      out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string escape_every_byte(std::string_view text) {
  std::string out;
  for (const char c : text) {
    out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

void check_compile_and_match(std::string_view pattern_text, std::string_view path) {
  // Any earlier error must be replaced: cleared on success, errc::invalid_pattern on failure.
  boost::system::error_code ec = make_error_code(asio_fswatch::errc::not_watched);
  const glob_pattern pattern = glob_pattern::compile(pattern_text, ec);
  const std::optional<reference::pattern> model = reference::parse(pattern_text);
  require(!ec == model.has_value(), "compile rejects exactly the malformed patterns",
          {{"pattern", pattern_text}, {"error", ec.message()}});

  const bool as_file = pattern.matches(path, false);
  const bool as_directory = pattern.matches(path, true);
  if (ec) {
    require(ec == asio_fswatch::errc::invalid_pattern, "a malformed pattern gives errc::invalid_pattern",
            {{"pattern", pattern_text}, {"error", ec.message()}});
    require(pattern.text().empty(), "a malformed pattern gives an empty pattern", {{"pattern", pattern_text}});
    require(!as_file && !as_directory && !pattern.matches(pattern_text, false) && !pattern.matches("a", true),
            "a malformed pattern matches nothing", {{"pattern", pattern_text}, {"path", path}});
    return;
  }
  require(pattern.text() == pattern_text, "text() is the pattern as given", {{"pattern", pattern_text}});
  if (!is_relative_path(path))
    return; // matching such a path must not crash; what it answers is not specified

  require(as_file == reference::matches(*model, path, false),
          "matches() agrees with the reference matcher for a file", {{"pattern", pattern_text}, {"path", path}});
  require(as_directory == reference::matches(*model, path, true),
          "matches() agrees with the reference matcher for a directory",
          {{"pattern", pattern_text}, {"path", path}});

  // Patterns keep working when copied and moved (they refer to their own storage by offsets).
  glob_pattern copy = pattern;
  const glob_pattern moved = std::move(copy);
  require(moved.matches(path, false) == as_file && moved.matches(path, true) == as_directory,
          "a copied and moved pattern matches as the original", {{"pattern", pattern_text}, {"path", path}});

  detail::glob_set set;
  set.add(pattern_text, ec);
  require(!ec && set.size() == 1 && set.matches(path, false) == as_file,
          "a set of one pattern matches as the pattern", {{"pattern", pattern_text}, {"path", path}});
  set.add(escape_every_byte(path), ec);
  require(!ec && set.size() == 2 && set.matches(path, false) && set.matches(path, true),
          "a set matches what any of its patterns matches", {{"pattern", pattern_text}, {"path", path}});
}

void check_escaped_literal(std::string_view path) {
  if (!is_relative_path(path)) {
    boost::system::error_code ec;
    const glob_pattern pattern = glob_pattern::compile(escape_every_byte(path), ec);
    require(ec == asio_fswatch::errc::invalid_pattern,
            "escaping every byte of what is not a relative path gives a malformed pattern", {{"path", path}});
    return;
  }

  // Paths that an escaped pattern must match or must not, each decided by the definition.
  std::vector<std::string> probes = {std::string(path), "d/" + std::string(path), std::string(path) + "/d",
                                     std::string(path) + "x", std::string(last_name(path))};
  if (const std::size_t separator = path.rfind('/'); separator != std::string_view::npos)
    probes.emplace_back(path.substr(0, separator));
  std::string altered(path);
  altered.back() = static_cast<char>(altered.back() ^ 1);
  probes.push_back(altered);
  const bool has_separator = path.find('/') != std::string_view::npos;

  for (const std::string& pattern_text : {escape_specials(path), escape_every_byte(path)}) {
    boost::system::error_code ec;
    const glob_pattern pattern = glob_pattern::compile(pattern_text, ec);
    require(!ec, "a relative path with every special character escaped is a valid pattern",
            {{"path", path}, {"pattern", pattern_text}});
    for (const std::string& probe : probes) {
      if (!is_relative_path(probe))
        continue;
      const bool expected = has_separator ? probe == path : last_name(probe) == path;
      for (const bool is_directory : {false, true}) {
        require(pattern.matches(probe, is_directory) == expected,
                "an escaped path matches itself only (any name equal to it, if it has no '/')",
                {{"path", path}, {"pattern", pattern_text}, {"probe", probe}});
      }
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t separator = input.find('\0');
  const std::string_view pattern_text = input.substr(0, separator);
  const std::string_view path =
      separator == std::string_view::npos ? std::string_view() : input.substr(separator + 1);
  check_compile_and_match(pattern_text, path);
  check_escaped_literal(path);
  return 0;
}
