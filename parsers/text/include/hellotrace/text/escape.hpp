// Text for a terminal: what hellotrace prints for a person to read (docs/CLI.md,
// Safety).
#pragma once

#include <string>
#include <string_view>

namespace hellotrace::text {

// Text for a terminal or a log line: every character that could steer a terminal or
// forge a line is shown as a visible escape, the rest is kept. Escaped: C0 controls
// (\n, \r, \t, else \xHH), DEL (\x7f), C1 controls U+0080–U+009F (\u0080), the
// Unicode bidi and line-separator controls U+061C, U+200E/F, U+2028/9, U+202A–E,
// U+2066–9 (\u202e), and bytes that are not UTF-8 (\xHH: a lone 0x9B is CSI to
// some terminals). A backslash is kept as is, so escaping twice changes nothing.
std::string escape_controls(std::string_view s);

}  // namespace hellotrace::text
