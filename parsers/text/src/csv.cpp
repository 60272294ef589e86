#include <hellotrace/text/csv.hpp>
#include <hellotrace/text/text.hpp>

namespace hellotrace::text {

bool CsvReader::next(CsvRow& row) {
  row.fields.clear();
  row.unterminated = false;
  // Blank lines between rows.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n' || (dialect_.cr_ends_row && !crlf_at(pos_))) ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;
  row.line = line_;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;  // this field had its quoted part already
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (quoted) {
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field += '"';
          pos_ += 2;
          continue;
        }
        quoted = false;
        ++pos_;
        continue;
      }
      if (dialect_.lf_in_quotes && crlf_at(pos_)) {
        ++pos_;
        continue;
      }
      if (c == '\n') ++line_;
      field += c;
      ++pos_;
      continue;
    }
    if (c == '"' && !was_quoted &&
        (dialect_.quote_after_blanks ? trim(field).empty() : field.empty())) {
      field.clear();
      quoted = true;
      was_quoted = true;
      ++pos_;
      continue;
    }
    if (c == dialect_.delimiter) {
      row.fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      ++pos_;
      continue;
    }
    if (c == '\n' || crlf_at(pos_) || (c == '\r' && dialect_.cr_ends_row)) {
      pos_ += crlf_at(pos_) ? 2 : 1;
      ++line_;
      break;
    }
    field += c;  // also text after a closing quote
    ++pos_;
  }
  row.unterminated = quoted;
  row.fields.push_back(std::move(field));
  return true;
}

char guess_csv_delimiter(std::string_view header_line) {
  size_t commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (char c : header_line) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    commas += c == ',';
    semicolons += c == ';';
    tabs += c == '\t';
  }
  if (semicolons > commas && semicolons >= tabs) return ';';
  if (tabs > commas && tabs > semicolons) return '\t';
  return ',';
}

}  // namespace hellotrace::text
