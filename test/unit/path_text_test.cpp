// SPDX-License-Identifier: BSL-1.0
// Unit tests of detail/path_text.hpp: a path becomes the core's text and back unchanged, on every
// platform; on Windows the text is WTF-8, so that a name with a lone surrogate (a legal Windows
// name that is not valid UTF-16) has a text too (what the encoders make of it is tested in
// event_format_test.cpp).
#include <asio_fswatch/detail/path_text.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

namespace detail = asio_fswatch::detail;

BOOST_AUTO_TEST_SUITE(path_text)

BOOST_AUTO_TEST_CASE(text_of_a_path_comes_back_as_the_same_path) {
  for (const std::string text : {"/r/a", "/", "", "/r/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80", "/r/a b/-> c"}) {
    const std::filesystem::path path = detail::path_from_text(text);
    BOOST_TEST(detail::path_text(path) == text);
    BOOST_TEST(detail::generic_path_text(path) == text);
  }
}

#if defined(_WIN32)
BOOST_AUTO_TEST_CASE(utf8_text_names_the_utf16_path) {
  const std::filesystem::path path = detail::path_from_text("/caf\xc3\xa9/\xf0\x9f\x98\x80");
  BOOST_TEST((path.native() == std::wstring{L'/', L'c', L'a', L'f', 0xe9, L'/', 0xd83d, 0xde00}));
}

BOOST_AUTO_TEST_CASE(a_lone_surrogate_has_a_text_that_names_it_again) {
  for (const wchar_t lone : {wchar_t(0xd800), wchar_t(0xdbff), wchar_t(0xdc00), wchar_t(0xdfff)}) {
    const std::filesystem::path path(std::wstring{L'/', L'a', lone, L'b'});
    const std::string text = detail::path_text(path);
    BOOST_TEST(text.size() == 6u); // "/a", three bytes, "b"
    BOOST_TEST((detail::path_from_text(text).native() == path.native()));
  }
  // A low surrogate before a high one is no pair: two lone surrogates, each kept.
  const std::filesystem::path reversed(std::wstring{wchar_t(0xdc00), wchar_t(0xd800)});
  BOOST_TEST((detail::path_from_text(detail::path_text(reversed)).native() == reversed.native()));
}

BOOST_AUTO_TEST_CASE(bytes_that_no_windows_name_can_hold_become_the_replacement_character) {
  BOOST_TEST((detail::path_from_text("/a\xff" "b").native() == std::wstring{L'/', L'a', 0xfffd, L'b'}));
  BOOST_TEST((detail::path_from_text("\xc0\x80").native() == std::wstring{0xfffd, 0xfffd}));
  BOOST_TEST((detail::path_from_text("\xe2\x82").native() == std::wstring{0xfffd, 0xfffd}));
}

BOOST_AUTO_TEST_CASE(generic_text_has_forward_slashes) {
  BOOST_TEST(detail::generic_path_text(std::filesystem::path(L"C:\\a\\b")) == "C:/a/b");
  BOOST_TEST(detail::path_text(std::filesystem::path(L"C:\\a\\b")) == "C:\\a\\b");
}
#else
BOOST_AUTO_TEST_CASE(any_bytes_are_kept_as_they_are) {
  const std::string bytes("/a\xff\xc0\x80\xed\xa0\x80\nb\0c", 13);
  BOOST_TEST(detail::path_text(detail::path_from_text(bytes)) == bytes);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
