// SPDX-License-Identifier: BSL-1.0
// asio_fswatch: glob patterns for watch_options::exclude and ::include (see detail/glob.hpp).
//
// Matching is called for every entry of a watched tree, so it never allocates and never recurses:
// `*` inside a name and `**` across names both use the same iterative "remember the last star and
// let it swallow one more unit" backtracking, which is O(text x pattern) instead of exponential.
#include <asio_fswatch/detail/glob.hpp>
#include <asio_fswatch/error.hpp>

#include <cctype>
#include <cstring>
#include <optional>
#include <utility>

namespace asio_fswatch::detail {
namespace {

struct parsed_class {
  std::bitset<256> members;
  std::size_t next; // index just past the closing ']'
};

unsigned char byte_at(std::string_view text, std::size_t index) noexcept {
  return static_cast<unsigned char>(text[index]);
}

// A POSIX class name of "[[:name:]]", as git's wildmatch knows them: adds its members. False
// for a name it does not know.
bool add_named_class(std::string_view name, std::bitset<256>& members) {
  static constexpr struct {
    std::string_view name;
    int (*test)(int);
  } named[] = {
      {"alnum", [](int c) { return std::isalnum(c); }}, {"alpha", [](int c) { return std::isalpha(c); }},
      {"blank", [](int c) { return std::isblank(c); }}, {"cntrl", [](int c) { return std::iscntrl(c); }},
      {"digit", [](int c) { return std::isdigit(c); }}, {"graph", [](int c) { return std::isgraph(c); }},
      {"lower", [](int c) { return std::islower(c); }}, {"print", [](int c) { return std::isprint(c); }},
      {"punct", [](int c) { return std::ispunct(c); }}, {"space", [](int c) { return std::isspace(c); }},
      {"upper", [](int c) { return std::isupper(c); }}, {"xdigit", [](int c) { return std::isxdigit(c); }},
  };
  for (const auto& entry : named) {
    if (entry.name != name)
      continue;
    for (int c = 0; c < 128; ++c) // ASCII only, whatever the locale: bytes above are not letters
      if (entry.test(c))
        members.set(static_cast<std::size_t>(c));
    return true;
  }
  return false;
}

// `open` indexes the '['. Returns nothing for an unterminated class, an unknown "[:name:]", or
// (unless `reversed_ranges_are_empty`, as in git) a reversed range.
std::optional<parsed_class> parse_class(std::string_view pattern, std::size_t open,
                                        bool reversed_ranges_are_empty) {
  std::size_t index = open + 1;
  bool negated = false;
  if (index < pattern.size() && (pattern[index] == '!' || pattern[index] == '^')) {
    negated = true;
    ++index;
  }

  // Reads one member byte, honouring a backslash escape; fails at the end of the pattern.
  auto read_member = [&](unsigned char& member) {
    if (index < pattern.size() && pattern[index] == '\\')
      ++index;
    if (index >= pattern.size())
      return false;
    member = byte_at(pattern, index++);
    return true;
  };

  parsed_class result;
  bool first = true; // a ']' right after '[' or '[!' is a member, not the end
  for (;;) {
    if (index >= pattern.size())
      return std::nullopt;
    if (pattern[index] == ']' && !first)
      break;
    first = false;
    if (pattern.compare(index, 2, "[:") == 0) {
      // "[:alpha:]" inside a class. Without its ":]" before the next ']', the '[' and what
      // follows are members, as in git's wildmatch.
      const std::size_t close = pattern.find(']', index + 2);
      if (close != std::string_view::npos && close >= index + 3 && pattern[close - 1] == ':') {
        if (!add_named_class(pattern.substr(index + 2, close - 1 - (index + 2)), result.members))
          return std::nullopt;
        index = close + 1;
        continue;
      }
    }

    unsigned char low = 0;
    if (!read_member(low))
      return std::nullopt;
    unsigned char high = low;
    // A '-' is a range only between two members: "[-a]" and "[a-]" contain '-' itself.
    if (index + 1 < pattern.size() && pattern[index] == '-' && pattern[index + 1] != ']') {
      ++index;
      if (!read_member(high))
        return std::nullopt;
      if (high < low && !reversed_ranges_are_empty)
        return std::nullopt; // "[z-a]" is almost certainly a typo; say so instead of matching nothing
    }
    for (unsigned value = low; value <= high; ++value)
      result.members.set(value);
  }

  if (negated)
    result.members.flip();
  // Names reach a class already split at '/', so this only keeps the class true to its documented
  // meaning should a caller ever hand over a name with a '/'.
  result.members.reset(static_cast<unsigned char>('/'));
  result.next = index + 1;
  return result;
}

bool starts_with(std::string_view text, const char* literal, std::size_t length) noexcept {
  return text.size() >= length && std::memcmp(text.data(), literal, length) == 0;
}

bool ends_with(std::string_view text, const char* literal, std::size_t length) noexcept {
  return text.size() >= length &&
         std::memcmp(text.data() + text.size() - length, literal, length) == 0;
}

// End of the path component that starts at `start`.
std::size_t component_end(std::string_view path, std::size_t start) noexcept {
  const std::size_t separator = path.find('/', start);
  return separator == std::string_view::npos ? path.size() : separator;
}

} // namespace

void append_glob_literal(std::string& pattern, std::string_view text) {
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
      pattern.push_back('\\');
    pattern.push_back(c);
  }
}

glob_pattern glob_pattern::compile(std::string_view pattern, boost::system::error_code& ec,
                                   glob_syntax syntax) {
  ec.clear();
  auto fail = [&ec] {
    ec = make_error_code(errc::invalid_pattern);
    return glob_pattern{};
  };

  glob_pattern result;
  result.text_.assign(pattern.data(), pattern.size());

  std::string_view body = pattern;
  bool has_separator = false;
  if (!body.empty() && body.front() == '/') {
    has_separator = true; // anchors at the root
    body.remove_prefix(1);
  }
  // A trailing '/' (not escaped) names directories only, as in a .gitignore: "build/".
  if (body.size() >= 2 && body.back() == '/') {
    std::size_t backslashes = 0;
    for (std::size_t at = body.size() - 1; at > 0 && body[at - 1] == '\\'; --at)
      ++backslashes;
    if (backslashes % 2 == 0) {
      result.directory_only_ = true;
      body.remove_suffix(1);
    }
  }
  if (body.empty())
    return fail();
  // git anchors a pattern with a '/' anywhere but at its end, even one inside a class
  // ("[!/]*.c"), where it can never match.
  if (syntax == glob_syntax::gitignore && body.find('/') != std::string_view::npos)
    has_separator = true;

  // State of the component being built. "**" is a globstar only when it is the whole component
  // and both stars are unescaped; "a**b" or "***" just behave like "*".
  std::size_t component_first_token = 0;
  std::size_t unescaped_stars = 0;
  std::size_t other_elements = 0;

  auto last_token_of_component = [&]() -> token* {
    if (result.tokens_.size() == component_first_token)
      return nullptr;
    return &result.tokens_.back();
  };

  auto add_literal_byte = [&](char byte) {
    ++other_elements;
    token* last = last_token_of_component();
    result.literal_bytes_.push_back(byte);
    // Literal bytes are appended in order, so a literal run that ends the component can grow.
    if (last != nullptr && last->kind == token_kind::literal_run &&
        last->offset + last->length + 1 == result.literal_bytes_.size()) {
      ++last->length;
      return;
    }
    result.tokens_.push_back({token_kind::literal_run, result.literal_bytes_.size() - 1, 1});
  };

  auto finish_component = [&]() {
    const std::size_t token_count = result.tokens_.size() - component_first_token;
    if (token_count == 0)
      return false; // "a//b", "a/", "/": a path never has an empty component

    component piece{component_kind::general, component_first_token, token_count, 0, 0};
    const token* tokens = result.tokens_.data() + component_first_token;
    auto is = [&](std::size_t index, token_kind kind) { return tokens[index].kind == kind; };
    auto take_literal = [&](std::size_t index) {
      piece.literal_offset = tokens[index].offset;
      piece.literal_length = tokens[index].length;
    };

    if (unescaped_stars == 2 && other_elements == 0) {
      piece.kind = component_kind::globstar;
    } else if (token_count == 1 && is(0, token_kind::star)) {
      piece.kind = component_kind::any_name;
    } else if (token_count == 1 && is(0, token_kind::literal_run)) {
      piece.kind = component_kind::literal;
      take_literal(0);
    } else if (token_count == 2 && is(0, token_kind::literal_run) && is(1, token_kind::star)) {
      piece.kind = component_kind::literal_prefix;
      take_literal(0);
    } else if (token_count == 2 && is(0, token_kind::star) && is(1, token_kind::literal_run)) {
      piece.kind = component_kind::literal_suffix;
      take_literal(1);
    } else if (token_count == 3 && is(0, token_kind::star) && is(1, token_kind::literal_run) &&
               is(2, token_kind::star)) {
      piece.kind = component_kind::literal_infix;
      take_literal(1);
    }
    result.components_.push_back(piece);

    component_first_token = result.tokens_.size();
    unescaped_stars = 0;
    other_elements = 0;
    return true;
  };

  for (std::size_t index = 0; index < body.size();) {
    const char current = body[index];
    if (current == '\\') {
      if (index + 1 == body.size())
        return fail();
      const char escaped = body[index + 1];
      index += 2;
      if (escaped == '/') {
        // A name can never contain '/', so "\/" can only sensibly mean the separator.
        has_separator = true;
        if (!finish_component())
          return fail();
      } else {
        add_literal_byte(escaped);
      }
    } else if (current == '/') {
      has_separator = true;
      ++index;
      if (!finish_component())
        return fail();
    } else if (current == '*') {
      ++index;
      ++unescaped_stars;
      const token* last = last_token_of_component();
      if (last == nullptr || last->kind != token_kind::star) // "**" inside a name is one '*'
        result.tokens_.push_back({token_kind::star, 0, 0});
    } else if (current == '?') {
      ++index;
      ++other_elements;
      result.tokens_.push_back({token_kind::any_byte, 0, 0});
    } else if (current == '[') {
      std::optional<parsed_class> parsed = parse_class(body, index, syntax == glob_syntax::gitignore);
      if (!parsed)
        return fail();
      index = parsed->next;
      ++other_elements;
      result.tokens_.push_back({token_kind::byte_class, result.byte_classes_.size(), 0});
      result.byte_classes_.push_back(parsed->members);
    } else {
      ++index;
      add_literal_byte(current);
    }
  }
  if (!finish_component())
    return fail();

  result.name_only_ = !has_separator;
  if (!result.name_only_ && result.components_.size() >= 2 &&
      result.components_.back().kind == component_kind::globstar) {
    // "p/**" must consume at least one component, so store it as "p/*/**"; matches() tries the
    // prefix "p" alone for directories (not in a .gitignore, where it names what "p" holds).
    result.trailing_globstar_ = syntax == glob_syntax::watch_options;
    result.components_.insert(result.components_.end() - 1,
                              component{component_kind::any_name, 0, 0, 0, 0});
  }
  return result;
}

bool glob_pattern::matches(std::string_view relative_path, bool is_directory) const {
  if (components_.empty() || relative_path.empty() || (directory_only_ && !is_directory))
    return false;

  if (name_only_) {
    const std::size_t last_separator = relative_path.rfind('/');
    const std::string_view name = last_separator == std::string_view::npos
                                      ? relative_path
                                      : relative_path.substr(last_separator + 1);
    return component_matches(components_.front(), name);
  }

  if (components_match(components_.size(), relative_path))
    return true;
  // Without the "/*/**" that compile() appended, what is left names the directory itself.
  return trailing_globstar_ && is_directory &&
         components_match(components_.size() - 2, relative_path);
}

bool glob_pattern::component_matches(const component& piece, std::string_view name) const noexcept {
  const char* literal = literal_bytes_.data() + piece.literal_offset;
  const std::size_t length = piece.literal_length;
  switch (piece.kind) {
  case component_kind::globstar:
  case component_kind::any_name:
    return true;
  case component_kind::literal:
    return name.size() == length && std::memcmp(name.data(), literal, length) == 0;
  case component_kind::literal_prefix:
    return starts_with(name, literal, length);
  case component_kind::literal_suffix:
    return ends_with(name, literal, length);
  case component_kind::literal_infix:
    return name.find(std::string_view(literal, length)) != std::string_view::npos;
  case component_kind::general:
    break;
  }
  return tokens_match(piece, name);
}

bool glob_pattern::tokens_match(const component& piece, std::string_view name) const noexcept {
  const token* current = tokens_.data() + piece.first_token;
  const token* const last = current + piece.token_count;

  // Every token but '*' matches a fixed number of bytes, so when the text after a '*' fails we
  // only need to retry with that '*' swallowing one more byte; earlier stars never need revisiting
  // because the later one can absorb whatever an earlier one would have.
  const token* resume_token = nullptr;
  std::size_t resume_position = 0;
  std::size_t position = 0;

  while (position < name.size()) {
    if (current != last) {
      if (current->kind == token_kind::star) {
        resume_token = current + 1;
        resume_position = position;
        ++current;
        continue;
      }
      std::size_t width = 0;
      switch (current->kind) {
      case token_kind::literal_run:
        if (name.size() - position >= current->length &&
            std::memcmp(name.data() + position, literal_bytes_.data() + current->offset,
                        current->length) == 0)
          width = current->length;
        break;
      case token_kind::any_byte:
        width = 1;
        break;
      case token_kind::byte_class:
        if (byte_classes_[current->offset].test(byte_at(name, position)))
          width = 1;
        break;
      case token_kind::star:
        break;
      }
      if (width != 0) {
        position += width;
        ++current;
        continue;
      }
    }
    if (resume_token == nullptr)
      return false;
    position = ++resume_position;
    current = resume_token;
  }

  while (current != last && current->kind == token_kind::star)
    ++current;
  return current == last;
}

bool glob_pattern::components_match(std::size_t component_count,
                                    std::string_view path) const noexcept {
  // The same backtracking as tokens_match, one level up: "**" is to components what '*' is to
  // bytes, and every other component matches exactly one path component. So the cost is at most
  // (path components) x (pattern components) component comparisons, whatever the number of "**".
  const component* const pieces = components_.data();
  const std::size_t past_end = path.size() + 1; // start of the component after the last one

  std::size_t piece_index = 0;
  std::size_t position = 0;
  bool seen_globstar = false;
  std::size_t resume_piece = 0;
  std::size_t resume_position = 0;

  while (position < past_end) {
    if (piece_index < component_count) {
      const component& piece = pieces[piece_index];
      if (piece.kind == component_kind::globstar) {
        seen_globstar = true;
        resume_piece = piece_index + 1;
        resume_position = position;
        ++piece_index;
        continue;
      }
      const std::size_t end = component_end(path, position);
      if (component_matches(piece, path.substr(position, end - position))) {
        ++piece_index;
        position = end + 1;
        continue;
      }
    }
    if (!seen_globstar)
      return false;
    resume_position = component_end(path, resume_position) + 1;
    position = resume_position;
    piece_index = resume_piece;
  }

  while (piece_index < component_count && pieces[piece_index].kind == component_kind::globstar)
    ++piece_index;
  return piece_index == component_count;
}

void glob_set::add(std::string_view pattern, boost::system::error_code& ec) {
  glob_pattern compiled = glob_pattern::compile(pattern, ec);
  if (!ec)
    patterns_.push_back(std::move(compiled));
}

bool glob_set::matches_paths() const noexcept {
  for (const glob_pattern& pattern : patterns_)
    if (pattern.matches_paths())
      return true;
  return false;
}

bool glob_set::matches(std::string_view relative_path, bool is_directory) const {
  for (const glob_pattern& pattern : patterns_) {
    if (pattern.matches(relative_path, is_directory))
      return true;
  }
  return false;
}

} // namespace asio_fswatch::detail
