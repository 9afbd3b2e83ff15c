// SPDX-License-Identifier: BSL-1.0
#include <parent_watch.hpp>

#include <cstdlib>
#include <iostream>

int main() {
  const std::string text = parent_watch_once();
  std::cout << text;
  if (text.find("created") == std::string::npos) {
    std::cerr << "parent_user: no created event\n";
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
