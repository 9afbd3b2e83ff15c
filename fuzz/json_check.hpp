// SPDX-License-Identifier: BSL-1.0
// asio_fswatch fuzzing: a strict reader for JSON text (RFC 8259) and UTF-8 (RFC 3629), written
// for the fuzz targets straight from the two grammars, so that the library's JSON encoder and
// decoder are judged by code that shares nothing with them.
#ifndef ASIO_FSWATCH_FUZZ_JSON_CHECK_HPP
#define ASIO_FSWATCH_FUZZ_JSON_CHECK_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asio_fswatch::fuzz {

/// Decodes the UTF-8 sequence at `text[index]` into `code_point` and returns its length, or 0
/// when no well-formed sequence starts there: a continuation or impossible lead byte, a truncated
/// sequence, an overlong form, a surrogate, or a value above U+10FFFF.
inline std::size_t decode_utf8(std::string_view text, std::size_t index, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[index]);
  std::size_t length = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if ((lead >> 5) == 0x06) {
    length = 2;
    code_point = lead & 0x1f;
  } else if ((lead >> 4) == 0x0e) {
    length = 3;
    code_point = lead & 0x0f;
  } else if ((lead >> 3) == 0x1e) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() - index < length)
    return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[index + k]);
    if ((next >> 6) != 0x02)
      return 0;
    code_point = (code_point << 6) | (next & 0x3f);
  }
  constexpr char32_t shortest_form[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < shortest_form[length] || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff))
    return 0;
  return length;
}

inline bool is_valid_utf8(std::string_view text) {
  char32_t ignored = 0;
  for (std::size_t index = 0; index < text.size();) {
    const std::size_t length = decode_utf8(text, index, ignored);
    if (length == 0)
      return false;
    index += length;
  }
  return true;
}

inline bool is_surrogate(char32_t value) { return value >= 0xd800 && value <= 0xdfff; }

/// What append_json_string documents for `bytes`: every well-formed UTF-8 sequence stands for its
/// code point, every other byte b for the lone surrogate U+DC00 + b ("surrogateescape").
inline std::u32string surrogateescape_decode(std::string_view bytes) {
  std::u32string out;
  for (std::size_t index = 0; index < bytes.size();) {
    char32_t code_point = 0;
    const std::size_t length = decode_utf8(bytes, index, code_point);
    if (length == 0) {
      out.push_back(0xdc00 + static_cast<unsigned char>(bytes[index]));
      ++index;
    } else {
      out.push_back(code_point);
      index += length;
    }
  }
  return out;
}

inline void append_utf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
}

/// The inverse of surrogateescape_decode: U+DC80..U+DCFF become single bytes, other code points
/// UTF-8. Nothing when `text` holds another lone surrogate, which stands for no byte string.
inline std::optional<std::string> surrogateescape_encode(const std::u32string& text) {
  std::string out;
  for (const char32_t value : text) {
    if (value >= 0xdc80 && value <= 0xdcff)
      out.push_back(static_cast<char>(value - 0xdc00));
    else if (is_surrogate(value))
      return std::nullopt;
    else
      append_utf8(out, value);
  }
  return out;
}

/// "U+0041 U+DCFF ...": for failure messages.
inline std::string describe(const std::u32string& text) {
  constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (const char32_t value : text) {
    out += out.empty() ? "U+" : " U+";
    bool leading = true;
    for (int shift = 20; shift >= 0; shift -= 4) {
      const unsigned digit = (value >> shift) & 0x0f;
      if (leading && digit == 0 && shift > 12)
        continue;
      leading = false;
      out.push_back(digits[digit]);
    }
  }
  return out;
}

/// One member of a JSON object: its key, decoded, and its value exactly as written.
struct json_member {
  std::u32string key;
  std::string_view value;
};

/// Recursive descent over RFC 8259 JSON-text. Strings decode to code points: an escaped surrogate
/// pair is one code point, a lone escaped surrogate stays itself (the RFC's grammar allows it and
/// leaves its meaning to the reader).
class json_reader {
public:
  explicit json_reader(std::string_view text) : text_(text) {}

  /// The whole text is one JSON value, with optional whitespace around it.
  bool read_value() {
    skip_whitespace();
    if (!value(0))
      return false;
    skip_whitespace();
    return position_ == text_.size();
  }

  /// The whole text is one string literal, nothing around it; its decoded text goes to `decoded`.
  bool read_string(std::u32string& decoded) {
    decoded.clear();
    return string(&decoded) && position_ == text_.size();
  }

  /// The whole text is one object, nothing around it; its members go to `members`, in order.
  bool read_object(std::vector<json_member>& members) {
    members.clear();
    return peek() == '{' && object(0, &members) && position_ == text_.size();
  }

private:
  // Our own output never nests; the limit only keeps arbitrary input from exhausting the stack.
  static constexpr int max_depth = 64;

  // A NUL stands for the end: it is never valid where a token is expected.
  char peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  void skip_whitespace() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')
      ++position_;
  }

  bool word(std::string_view expected) {
    if (text_.substr(position_, expected.size()) != expected)
      return false;
    position_ += expected.size();
    return true;
  }

  bool digits() {
    if (!is_digit(peek()))
      return false;
    while (is_digit(peek()))
      ++position_;
    return true;
  }

  // number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT )
  bool number() {
    if (peek() == '-')
      ++position_;
    if (peek() == '0')
      ++position_;
    else if (!digits())
      return false;
    if (peek() == '.') {
      ++position_;
      if (!digits())
        return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++position_;
      if (peek() == '+' || peek() == '-')
        ++position_;
      if (!digits())
        return false;
    }
    return true;
  }

  bool hex4(char32_t& unit) {
    if (text_.size() - position_ < 4)
      return false;
    unit = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[position_++];
      unsigned digit = 0;
      if (c >= '0' && c <= '9')
        digit = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        digit = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        digit = static_cast<unsigned>(c - 'A' + 10);
      else
        return false;
      unit = unit * 16 + digit;
    }
    return true;
  }

  bool string(std::u32string* decoded) {
    if (peek() != '"')
      return false;
    ++position_;
    for (;;) {
      if (position_ == text_.size())
        return false;
      const auto byte = static_cast<unsigned char>(text_[position_]);
      char32_t value = 0;
      if (byte == '"') {
        ++position_;
        return true;
      } else if (byte < 0x20) {
        return false; // control characters must be escaped
      } else if (byte == '\\') {
        ++position_;
        const char escape = peek();
        ++position_;
        switch (escape) {
        case '"': value = '"'; break;
        case '\\': value = '\\'; break;
        case '/': value = '/'; break;
        case 'b': value = 0x08; break;
        case 'f': value = 0x0c; break;
        case 'n': value = 0x0a; break;
        case 'r': value = 0x0d; break;
        case 't': value = 0x09; break;
        case 'u':
          if (!hex4(value))
            return false;
          if (value >= 0xd800 && value <= 0xdbff && text_.substr(position_, 2) == "\\u") {
            const std::size_t second = position_;
            position_ += 2;
            char32_t low = 0;
            if (hex4(low) && low >= 0xdc00 && low <= 0xdfff)
              value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
            else
              position_ = second; // not a pair: the next escape is read on its own
          }
          break;
        default:
          return false;
        }
      } else {
        const std::size_t length = decode_utf8(text_, position_, value);
        if (length == 0)
          return false; // JSON text exchanged between systems must be UTF-8 (RFC 8259, 8.1)
        position_ += length;
      }
      if (decoded != nullptr)
        decoded->push_back(value);
    }
  }

  bool array(int depth) {
    ++position_; // '['
    skip_whitespace();
    if (peek() == ']') {
      ++position_;
      return true;
    }
    for (;;) {
      skip_whitespace();
      if (!value(depth + 1))
        return false;
      skip_whitespace();
      if (peek() == ']') {
        ++position_;
        return true;
      }
      if (peek() != ',')
        return false;
      ++position_;
    }
  }

  bool object(int depth, std::vector<json_member>* members) {
    ++position_; // '{'
    skip_whitespace();
    if (peek() == '}') {
      ++position_;
      return true;
    }
    for (;;) {
      skip_whitespace();
      json_member member;
      if (!string(&member.key))
        return false;
      skip_whitespace();
      if (peek() != ':')
        return false;
      ++position_;
      skip_whitespace();
      const std::size_t value_start = position_;
      if (!value(depth + 1))
        return false;
      member.value = text_.substr(value_start, position_ - value_start);
      if (members != nullptr)
        members->push_back(std::move(member));
      skip_whitespace();
      if (peek() == '}') {
        ++position_;
        return true;
      }
      if (peek() != ',')
        return false;
      ++position_;
    }
  }

  bool value(int depth) {
    if (depth > max_depth)
      return false;
    switch (peek()) {
    case '{': return object(depth, nullptr);
    case '[': return array(depth);
    case '"': return string(nullptr);
    case 't': return word("true");
    case 'f': return word("false");
    case 'n': return word("null");
    default: return (peek() == '-' || is_digit(peek())) && number();
    }
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

} // namespace asio_fswatch::fuzz

#endif
