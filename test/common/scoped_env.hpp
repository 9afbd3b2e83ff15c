// SPDX-License-Identifier: BSL-1.0
// Test support: an environment variable set for a scope (POSIX), the old value put back after.
#ifndef ASIO_FSWATCH_TEST_COMMON_SCOPED_ENV_HPP
#define ASIO_FSWATCH_TEST_COMMON_SCOPED_ENV_HPP

#include <cstdlib>
#include <optional>
#include <string>

namespace asio_fswatch::test {

/// Sets an environment variable for the lifetime of the object, then puts the old value back.
class scoped_env {
public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    ::setenv(name, value, 1);
  }
  ~scoped_env() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

} // namespace asio_fswatch::test

#endif
