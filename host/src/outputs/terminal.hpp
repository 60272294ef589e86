// What hellotrace writes for a person to read: messages on stderr and the text
// outputs on stdout (timeline, summaries, listings). A reader may rely on: every value
// that came from an input, a rule file, a plugin or the command line is shown through
// text::escape_controls, so no input can move the cursor, clear the screen, set the
// window title, make a link or start a line of its own; the only escape sequences
// hellotrace writes itself are its progress line's. JSON and HTML outputs escape in
// their own way and do not come here.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <hellotrace/text/escape.hpp>
#include <string>
#include <string_view>

namespace hellotrace::host {

// A value for a text output: fmt::format("{:<38}", shown(value)) escapes it and keeps
// the format's width and alignment.
struct Shown {
  std::string_view text;
};
inline Shown shown(std::string_view s) { return {s}; }

// Writes "hellotrace: MESSAGE\n" on stderr, the message escaped as a whole (a line
// feed inside it cannot start a forged line). Under --redact the messages of a run
// are held until the run's names are known (hold_messages), then released through
// the redactor.
void tell(std::string_view message);
void hold_messages();
void release_messages(const std::function<std::string(std::string_view)>& redact);

}  // namespace hellotrace::host

template <>
struct fmt::formatter<hellotrace::host::Shown> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(hellotrace::host::Shown s, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(hellotrace::text::escape_controls(s.text), ctx);
  }
};
