// CSV exports: Event Viewer "Save All Events As… CSV" (columns by position, header in
// the UI language) and Get-WinEvent | Export-Csv (columns by name).
#include <algorithm>
#include <array>
#include <hellotrace/text/csv.hpp>
#include <hellotrace/time.hpp>
#include <map>

#include "internal.hpp"

namespace hellotrace::eventexport {
namespace {

using detail::parse_uint;

enum class Kind { kEventViewer, kExportCsv };

std::string lower_trim(std::string_view s) { return text::to_lower(text::trim(s)); }

bool known_level_header(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kWords = {"level", "ebene",   "niveau", "düzey",
                                                             "nivel", "livello", "poziom"};
  const std::string k = lower_trim(s);
  return std::find(kWords.begin(), kWords.end(), k) != kWords.end();
}

}  // namespace

namespace detail {

text::DateOrder decide_date_order(std::string_view t, const text::CsvDialect& dialect,
                                  size_t date_col, uint64_t skipped_lines,
                                  std::optional<text::DateOrder> forced, const Reporter& report) {
  text::DateOrderInference inference;
  if (!forced) {
    text::CsvReader scan(t, dialect);
    text::CsvRow scanned;
    scan.next(scanned);  // header
    while (scan.next(scanned))
      if (date_col < scanned.fields.size())
        inference.observe(scanned.fields[date_col], scanned.line + skipped_lines);
  }
  return report_date_order(inference.decide(forced), report);
}

}  // namespace detail

Stats read_event_csv(std::span<const uint8_t> bytes, const RecordFn& on_record,
                     const ProblemFn& on_problem, const Options& options) {
  Stats stats;
  detail::Reporter report{on_problem, stats};
  const detail::Decoded in = detail::decode_input(bytes, report);
  std::string_view t = in.text;
  uint64_t skipped_lines = 0;
  // #TYPE line of Export-Csv without -NoTypeInformation.
  while (text::istarts_with(text::trim(t.substr(0, 6)), "#TYPE")) {
    const size_t nl = t.find('\n');
    t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
    ++skipped_lines;
  }
  const char delim = text::guess_csv_delimiter(t.substr(0, t.find('\n')));
  const text::CsvDialect dialect{.delimiter = delim, .quote_after_blanks = true};
  text::CsvReader rows(t, dialect);
  text::CsvRow row;
  const std::vector<std::string>& f = row.fields;
  if (!rows.next(row)) {
    report(1 + skipped_lines, HT_NO_NUMBER, "empty CSV", HT_DIAG_ERROR);
    return stats;
  }
  Kind kind;
  std::map<std::string, size_t, std::less<>> col;  // Export-Csv: lower-case name → index
  for (size_t i = 0; i < f.size(); ++i) col.emplace(lower_trim(f[i]), i);
  // Export-Csv: all properties, or a Select of them (Id, TimeCreated, Message at least).
  if (col.count("id") && col.count("timecreated") &&
      (col.count("providername") || col.count("message"))) {
    kind = Kind::kExportCsv;
  } else if (f.size() >= 5 && f.size() <= 7) {
    kind = Kind::kEventViewer;
    const std::string id_col = lower_trim(f[3]);
    if (!known_level_header(f[0]) && id_col.find("id") == std::string::npos &&
        id_col.find("kimli") == std::string::npos)
      report(row.line + skipped_lines, HT_NO_NUMBER,
             "CSV header not recognised; reading columns by Event Viewer position", HT_DIAG_INFO);
  } else {
    report(row.line + skipped_lines, HT_NO_NUMBER,
           "CSV header is neither Event Viewer's nor Export-Csv's", HT_DIAG_ERROR);
    return stats;
  }
  auto idx = [&](std::string_view name) -> std::optional<size_t> {
    auto it = col.find(name);
    if (it == col.end()) return std::nullopt;
    return it->second;
  };
  const size_t date_col = kind == Kind::kEventViewer ? 1 : *idx("timecreated");

  // Pass 1: day/month order over the whole file.
  const text::DateOrder order =
      detail::decide_date_order(t, dialect, date_col, skipped_lines, options.date_order, report);
  const int64_t zone = detail::zone_offset(options, report);
  bool told_zone = false;

  eventlog::Record r;
  while (rows.next(row)) {
    const uint64_t row_line = row.line + skipped_lines;
    if (row.unterminated) {
      report(row_line, HT_NO_NUMBER, "quoted field not closed before the end of the file");
      break;
    }
    if (f.size() == 1 && text::trim(f[0]).empty()) continue;
    r.clear();
    r.line = row_line;
    RecordNotes notes;
    notes.data_values_missing = true;
    notes.time_precision_ticks = static_cast<uint32_t>(time::kTicksPerSecond);
    std::string date;
    if (kind == Kind::kEventViewer) {
      if (f.size() < 5) {
        report(row_line, HT_NO_NUMBER,
               "row has " + std::to_string(f.size()) + " columns, expected 6");
        continue;
      }
      auto id = parse_uint<uint32_t>(f[3]);
      if (!id) {
        report(row_line, HT_NO_NUMBER, "bad Event ID '" + f[3] + "'");
        continue;
      }
      r.event_id = *id;
      r.level = detail::level_from_name(f[0]);
      date = f[1];
      r.provider = std::string(text::trim(f[2]));
      if (auto full = detail::expand_provider(r.provider)) {
        r.provider = std::string(*full);
        notes.provider_expanded = true;
      }
      const std::string_view task = text::trim(f[4]);
      if (task.size() > 2 && task.front() == '(' && task.back() == ')')
        if (auto v = parse_uint<uint16_t>(task.substr(1, task.size() - 2))) r.task = *v;
      for (size_t i = 5; i < f.size(); ++i) {  // an unquoted message may hold commas
        if (i > 5) r.message += delim;
        r.message += f[i];
      }
    } else {
      auto get = [&](std::string_view name) -> std::string_view {
        auto i = idx(name);
        return i && *i < f.size() ? std::string_view(f[*i]) : std::string_view();
      };
      if (f.size() < col.size()) {
        report(row_line, HT_NO_NUMBER,
               "row has " + std::to_string(f.size()) + " columns, header has " +
                   std::to_string(col.size()));
      }
      if (!detail::record_from_properties(get, r)) {
        report(row_line, HT_NO_NUMBER, "bad Id '" + std::string(get("id")) + "'");
        continue;
      }
      date = std::string(get("timecreated"));
    }
    detail::apply_local_time(date, order, zone, options.timezone, row_line, r, notes, told_zone,
                             report);
    ++stats.records;
    if (on_record && !on_record(r, notes)) {
      stats.stopped = true;
      return stats;
    }
  }
  return stats;
}

}  // namespace hellotrace::eventexport
