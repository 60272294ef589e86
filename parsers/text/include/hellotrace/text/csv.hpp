// CSV (RFC 4180) over decoded text: delimited fields, quoted fields with doubled quotes
// and embedded line breaks, rows numbered by the line they start on. Windows tools write
// it (Export-Csv, Event Viewer "Save As… CSV"); readers differ in a few details, which
// CsvDialect names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::text {

struct CsvDialect {
  char delimiter = ',';
  // `a, "b,c"`: blanks before an opening quote are dropped (else the quote is data).
  bool quote_after_blanks = false;
  // A CRLF inside quotes is read as LF (else kept as written).
  bool lf_in_quotes = false;
  // A lone CR ends a row and a line, as LF does (else it is data).
  bool cr_ends_row = false;
};

struct CsvRow {
  std::vector<std::string> fields;
  uint64_t line = 0;          // 1-based line where the row starts
  bool unterminated = false;  // a quoted field ran to the end of the text
};

// Reads rows one at a time; blank lines between rows are skipped. Never fails: text
// after a closing quote is kept in the field, and a quoted field that is not closed
// ends the last row (`unterminated`).
class CsvReader {
 public:
  // `first_line`: the line number of the text's first line (when it follows a preamble).
  explicit CsvReader(std::string_view text, CsvDialect dialect = {}, uint64_t first_line = 1)
      : text_(text), dialect_(dialect), line_(first_line) {}

  // Fills `row` (reusing its storage); false at the end of the text.
  bool next(CsvRow& row);

 private:
  bool crlf_at(size_t i) const {
    return text_[i] == '\r' && i + 1 < text_.size() && text_[i + 1] == '\n';
  }

  std::string_view text_;
  CsvDialect dialect_;
  size_t pos_ = 0;
  uint64_t line_;
};

// ',', ';' or '\t': the one found most often outside quotes in a header line (',' wins
// ties, then ';').
char guess_csv_delimiter(std::string_view header_line);

}  // namespace hellotrace::text
