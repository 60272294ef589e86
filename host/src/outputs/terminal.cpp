#include "outputs/terminal.hpp"

#include <cstdio>
#include <mutex>
#include <vector>

namespace hellotrace::host {

namespace {
struct Held {
  std::mutex mu;
  bool holding = false;
  std::vector<std::string> messages;
};
Held& held() {
  static Held h;
  return h;
}
void write_line(std::string_view message) {
  const std::string line = "hellotrace: " + text::escape_controls(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}
}  // namespace

void tell(std::string_view message) {
  Held& h = held();
  std::lock_guard lock(h.mu);
  if (h.holding)
    h.messages.emplace_back(message);
  else
    write_line(message);
}

void hold_messages() {
  Held& h = held();
  std::lock_guard lock(h.mu);
  h.holding = true;
}

void release_messages(const std::function<std::string(std::string_view)>& redact) {
  Held& h = held();
  std::lock_guard lock(h.mu);
  for (const std::string& m : h.messages) write_line(redact ? redact(m) : m);
  h.messages.clear();
  h.holding = false;
}

}  // namespace hellotrace::host
