// Windows registry text exports, read back into keys and typed values.
//
// Three shapes are read:
//  - regedit .reg files: "Windows Registry Editor Version 5.00" (regedit writes UTF-16LE
//    with a BOM and CRLF) and "REGEDIT4" (ANSI). `[key]` and `[-key]` (deleted key)
//    headers; `"name"=…` and `@=…` (default value) entries with the data forms
//    "string" (escapes `\\` and `\"`), dword:XXXXXXXX, hex:…, hex(N):… (hex(2) expand
//    string, hex(7) multi string, hex(b) qword, …) continued over lines ending in `\`,
//    and `=-` (deleted value); `;` comments.
//  - `reg query KEY /s` console output: unindented key lines, values indented as
//    `    Name    REG_TYPE    data` (DWORD/QWORD as 0x…, binary as hex, multi strings
//    with literal `\0` separators), "ERROR: …" lines, and the prompt line naming the key
//    queried when the console was captured with it.
//  - Get-ItemProperty output (Format-List): one object per key, the key in its PSPath
//    (`Microsoft.PowerShell.Core\Registry::HKEY_…`). Types are not printed there.
//
// Entries come out in file order so that a reader can apply deletions as an import
// would. Parsing never throws and never fails: damaged lines become problems with
// their line, and what was read before and after them is kept.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::regfile {

enum class Format { kUnknown, kRegedit5, kRegedit4, kRegQuery, kPsItemProperty };
const char* format_name(Format f);  // "reg5", "regedit4", "reg-query", "get-itemproperty"

enum class EntryKind {
  kKey,           // a key header (`[key]`, an unindented `reg query` line, a PSPath)
  kDeletedKey,    // `[-key]`: the key and its subkeys are removed
  kValue,         // a value of the last key
  kDeletedValue,  // `"name"=-`
  kQueryError     // `reg query` said the key queried does not exist ("ERROR: …")
};

struct Entry {
  EntryKind kind = EntryKind::kKey;
  std::string key;   // full key path as written (root not abbreviated by regedit)
  std::string name;  // value name; "" for the default value (`@`, "(Default)")
  // Registry type name: REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD,
  // REG_DWORD_BIG_ENDIAN, REG_LINK, REG_MULTI_SZ, REG_RESOURCE_LIST,
  // REG_FULL_RESOURCE_DESCRIPTOR, REG_RESOURCE_REQUIREMENTS_LIST, REG_QWORD, REG_NONE,
  // "REG_TYPE_0x<n>" for other hex(n), "" when the source does not say (PowerShell).
  std::string type;
  // The data as text: DWORD/QWORD in decimal, strings as text (UTF-8), multi strings
  // with their items joined by the two characters `\0` (as `reg query` prints them),
  // binary and other types as lower-case hex without separators.
  std::string data;
  uint64_t line = 0;  // 1-based line where the entry starts
};

struct Problem {
  uint64_t line = 0;  // 1-based; 0 when not tied to a line
  std::string message;
};

struct Result {
  Format format = Format::kUnknown;
  std::vector<Entry> entries;
  std::vector<Problem> problems;
  // `reg query`: keys named by prompt lines (`C:\> reg query "HKLM\…" /s`), as written.
  std::vector<std::string> queried;
};

// Which shape decoded text holds (from its first significant lines).
Format detect_format(std::string_view text);

// Reads decoded text (UTF-8, any line ends). The string bytes of hex(1)/hex(2)/hex(7)
// data are UTF-16LE under a 5.00 header and single-byte (read as Windows-1252) under
// REGEDIT4, as regedit writes them.
Result parse(std::string_view text);
// Decodes (UTF-16LE/BE with BOM, UTF-8, or, when the bytes are not valid UTF-8, ANSI
// read as Windows-1252) and parses.
Result parse_bytes(std::span<const uint8_t> bytes);

// Key path helpers.
// "HKLM\x", "HKLM:\x", "Registry::HKEY_LOCAL_MACHINE\x",
// "Microsoft.PowerShell.Core\Registry::HKLM\x" → "HKEY_LOCAL_MACHINE\x" (root spelled out
// in upper case, rest as written, no trailing backslash).
std::string canonical_key(std::string_view key);
// Is `key` equal to `ancestor` or below it (ASCII case-insensitive, canonical paths)?
bool key_within(std::string_view key, std::string_view ancestor);

}  // namespace hellotrace::regfile
