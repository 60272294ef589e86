// Findings as a spreadsheet (`analyze --csv FILE|-`), for Excel and LibreOffice. A
// reader may rely on:
//  - RFC 4180: a header row, then one row per finding in the order of the NDJSON,
//    every cell quoted ("" for a quote inside), rows ended by CRLF; line breaks inside a
//    value stay inside its quoted cell;
//  - UTF-8 with a byte order mark (Excel reads it as UTF-8 only then); invalid UTF-8
//    from an input becomes U+FFFD, other control characters than tab and line breaks
//    become U+FFFD too;
//  - formula injection is neutralised: a cell that would begin with = + - @, a tab or
//    a carriage return begins with an apostrophe instead (Excel shows the text and does
//    not evaluate it; OWASP "CSV Injection"), whatever the input held;
//  - the columns (kCsvColumns) are only ever appended to.
#pragma once

#include <array>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/finding.hpp"

namespace hellotrace::host {

inline constexpr std::array<const char*, 8> kCsvColumns = {
    "rule", "severity", "user", "device", "summary", "first evidence", "fix", "id"};

// One value as a quoted, neutralised CSV cell.
std::string csv_cell(std::string_view value);
// "udr.evtx record 41 (2024-11-14T08:05:10.2100000Z): KeyId=…; UPN=…"
std::string evidence_text(const Evidence& e);
void write_findings_csv(std::ostream& out, const std::vector<Finding>& findings);

}  // namespace hellotrace::host
