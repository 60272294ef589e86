// PowerShell object output as admins export it, read back into objects.
//
// Four shapes are read:
//  - Format-List text: `Name : Value` blocks separated by blank lines; values wrapped
//    onto continuation lines indented to the value column; `{a, b, c}` collections;
//    values truncated with `...`.
//  - Format-Table text: a header row, a row of dashes, fixed-width rows. Columns are
//    located from the dash row.
//  - Export-Csv: optional `#TYPE …` first line, a header row, RFC 4180 quoting,
//    multi-line values; `,` or `;` (Export-Csv -UseCulture) as delimiter.
//  - ConvertTo-Json: an object or an array of objects (several documents may follow
//    each other). Nested objects are flattened with dots (`Parent.Child`), arrays of
//    objects with indexes (`Parent[0].Child`), arrays of scalars become `{a, b, c}` as
//    Format-List prints them; or, with JsonNesting::kKeepJson, nested values are kept
//    as compact JSON text. Booleans become `True`/`False`, null an empty value.
//
// Console text around the output is tolerated: prompt lines (`PS C:\> cmd`) set the
// `command` of the objects that follow, PowerShell error records (`Cmd : message` …
// `At line:…` / `+ CategoryInfo …`) come out as ErrorRecords, and any other line as a
// TextLine. Every object carries the 1-based line where it started; problems carry a
// line too. Parsing never fails and never throws on bad input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::pstext {

enum class Format { kUnknown, kList, kTable, kCsv, kJson };
const char* format_name(Format f);

struct Property {
  std::string name;
  std::string value;
  bool truncated = false;  // the value ends with "..." or "…" (PowerShell cut it)
};

struct Object {
  std::vector<Property> properties;  // in the source's order
  uint64_t line = 0;                 // 1-based line where the object started
  Format format = Format::kUnknown;
  std::string command;  // the last prompt's command before it (`Get-ADSyncScheduler`), or ""

  // First property with this name (ASCII case-insensitive, as PowerShell), or nullptr.
  const Property* find(std::string_view name) const;
  const std::string* get(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
};

struct Problem {
  uint64_t line = 0;  // 1-based; 0 when not tied to a line
  std::string message;
};

// A PowerShell error record as the console prints it (the whole block, lines joined
// with '\n', leading indentation kept).
struct ErrorRecord {
  uint64_t line = 0;
  std::string command;  // the prompt's command before it, or ""
  std::string text;
};

// A line that belongs to no object (prompt, WARNING:, banner, stray text).
struct TextLine {
  uint64_t line = 0;
  std::string text;
};

struct Result {
  Format format = Format::kUnknown;  // the main shape found (first object's)
  std::vector<Object> objects;
  std::vector<Problem> problems;
  std::vector<ErrorRecord> errors;
  std::vector<TextLine> text;
};

enum class JsonNesting { kFlatten, kKeepJson };

struct Options {
  JsonNesting json_nesting = JsonNesting::kFlatten;
  // Stop after this many objects (a problem says so); guards memory on huge inputs.
  size_t max_objects = 1'000'000;
};

// Which shape `text` (decoded) holds, from its first significant lines.
Format detect_format(std::string_view text);

// Reads decoded text (UTF-8, any line ends) in the detected shape; console text
// (neither CSV nor JSON) is read as Format-List and Format-Table sections.
Result parse(std::string_view text, const Options& options = {});
// Decodes (UTF-8 with/without BOM, UTF-16 LE/BE) and parses.
Result parse_bytes(std::span<const uint8_t> bytes, const Options& options = {});

// One shape only.
Result parse_console(std::string_view text, const Options& options = {});  // List + Table
Result parse_csv(std::string_view text, const Options& options = {});
Result parse_json(std::string_view text, const Options& options = {});

// Helpers for values.
// `{a, b, c}` → {"a","b","c"} (nested braces kept whole; a trailing "..." item dropped
// and `*truncated` set). A value without braces is one item; "{}" and "" are none.
std::vector<std::string> split_collection(std::string_view value, bool* truncated = nullptr);
// `@{A=1; B=x; C=}` → properties A, B, C (nested @{…}/{…} kept whole). nullopt when the
// value is not a hashtable-like text.
std::optional<std::vector<Property>> parse_hashtable(std::string_view value);
// A value PowerShell truncated ("abc..." / "abc…").
bool is_truncated(std::string_view value);
// A prompt line: `PS C:\> cmd`, `PS>cmd`, `[srv]: PS C:\> cmd` → "cmd" (may be empty).
std::optional<std::string> prompt_command(std::string_view line);

}  // namespace hellotrace::pstext
