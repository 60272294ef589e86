#include "outputs/csv.hpp"

#include <fmt/format.h>

#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>

#include "outputs/output_json.hpp"

namespace hellotrace::host {

std::string csv_cell(std::string_view value) {
  const std::string text = text::sanitize_utf8(value);
  std::string out = "\"";
  // A spreadsheet evaluates a cell that begins with these as a formula (or, for tab
  // and CR, may after trimming); an apostrophe makes it text.
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos)
    out += '\'';
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"')
      out += "\"\"";
    else if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7F)
      out += "\xEF\xBF\xBD";
    else
      out += c;
  }
  return out + "\"";
}

std::string evidence_text(const Evidence& e) {
  std::string out = e.file;
  if (e.position.line != HT_NO_NUMBER)
    out += fmt::format(":{}", e.position.line);
  else if (e.position.record != HT_NO_NUMBER)
    out += fmt::format(" record {}", e.position.record);
  else if (e.position.offset != HT_NO_NUMBER)
    out += fmt::format(" offset 0x{:x}", e.position.offset);
  if (e.time != HT_NO_TIME) out += " (" + time::format_iso(e.time) + ")";
  if (!e.excerpt.empty()) out += ": " + e.excerpt;
  return out;
}

void write_findings_csv(std::ostream& out, const std::vector<Finding>& findings) {
  out << "\xEF\xBB\xBF";
  auto row = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csv_cell(cells[i]);
    out << "\r\n";
  };
  row(std::vector<std::string>(kCsvColumns.begin(), kCsvColumns.end()));
  for (const Finding& f : findings) {
    const Subject& s = f.subject;
    const std::string& user = !s.user_upn.empty()   ? s.user_upn
                              : !s.user_sam.empty() ? s.user_sam
                              : !s.user_sid.empty() ? s.user_sid
                                                    : s.user_dn;
    const std::string& device = !s.device_name.empty() ? s.device_name : s.device_id;
    row({f.rule, f.severity, user, device, f.summary,
         f.evidence.empty() ? std::string() : evidence_text(f.evidence.front()), f.remediation,
         finding_id(f)});
  }
}

}  // namespace hellotrace::host
