#include <asio_fswatch/child_options.hpp>
#include <asio_fswatch/exit_status.hpp>

#include <string.h>

#include <ostream>

namespace asio_fswatch {

std::string exit_status::to_string() const {
  if (!has_value())
    return "no status";
  if (exited())
    return "exited with code " + std::to_string(value_);
  std::string text = "killed by signal " + std::to_string(value_);
  if (const char* abbreviation = ::sigabbrev_np(value_))
    text += std::string(" (SIG") + abbreviation + ")";
  if (core_dumped_)
    text += ", core dumped";
  return text;
}

std::ostream& operator<<(std::ostream& out, const exit_status& status) { return out << status.to_string(); }

std::ostream& operator<<(std::ostream& out, child_backend backend) {
  return out << to_string(backend);
}

} // namespace asio_fswatch
