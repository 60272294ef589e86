// Reader of `dsregcmd /status` text: sections, fields, runs, and the normalized events built
// from them. The plugin (plugin.cpp) adapts it to the SDK; tests and the benchmark call it
// through the plugin table. See plugins/dsregcmd/README.md for the event design.
#pragma once

#include <cstdint>
#include <hellotrace/event.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hellotrace::dsregcmd {

// Where parse_text() sends what it finds. event() may throw to stop (the SDK's
// StopRequested); parse_text() keeps no state that would leak.
class Output {
 public:
  virtual ~Output() = default;
  virtual void event(const Event& e) = 0;
  virtual void diagnose(int severity, uint64_t line, std::string_view message) = 0;
};

// 0..100: how sure we are that `prefix` (raw bytes, any supported encoding) is
// `dsregcmd /status` output. `name` is the file's base name.
int sniff(std::span<const uint8_t> prefix, std::string_view name);

// Parses decoded UTF-8 text. `path` is only used in messages.
void parse_text(std::string_view text, std::string_view path, Output& out);

// Helpers exposed for tests.

// A `Key : Value` line: the key trimmed of spaces and colons, the value trimmed (a doubled
// separator `Key: : Value` is dropped), and the column of the separating colon.
struct FieldLine {
  std::string_view key;
  std::string_view value;
  size_t colon_column = 0;
  bool spaced = false;  // a space before the colon ("Key : Value", not "Key: Value")
};
std::optional<FieldLine> parse_field_line(std::string_view line);

// "| Device State   |" → "Device State".
std::optional<std::string_view> parse_title_line(std::string_view trimmed);

// Event kind of a section title ("Diagnostic Data" → "device.diagnostics").
std::string_view kind_for_title(std::string_view title);

}  // namespace hellotrace::dsregcmd
