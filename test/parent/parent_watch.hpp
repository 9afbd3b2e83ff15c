// SPDX-License-Identifier: BSL-1.0
#ifndef PARENT_WATCH_HPP
#define PARENT_WATCH_HPP
#include <string>
// Watches a new temporary directory, creates a file in it and returns the events' text.
std::string parent_watch_once();
#endif
