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

uint8_t level_from_name(std::string_view name) {
  static const std::map<std::string, uint8_t, std::less<>> kLevels = {
      {"critical", 1},    {"kritisch", 1},      {"critique", 1},      {"kritik", 1},
      {"error", 2},       {"fehler", 2},        {"erreur", 2},        {"hata", 2},
      {"warning", 3},     {"warnung", 3},       {"avertissement", 3}, {"uyarı", 3},
      {"information", 4}, {"informationen", 4}, {"informations", 4},  {"bilgi", 4},
      {"verbose", 5},     {"ausführlich", 5},   {"commentaires", 5},  {"détaillé", 5},
      {"ayrıntılı", 5}};
  const std::string k = lower_trim(name);
  auto it = kLevels.find(k);
  return it == kLevels.end() ? 0 : it->second;
}

bool known_level_header(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kWords = {"level", "ebene",   "niveau", "düzey",
                                                             "nivel", "livello", "poziom"};
  const std::string k = lower_trim(s);
  return std::find(kWords.begin(), kWords.end(), k) != kWords.end();
}

}  // namespace

Stats read_event_csv(std::span<const uint8_t> bytes, const RecordFn& on_record,
                     const ProblemFn& on_problem, const Options& options) {
  Stats stats;
  detail::Reporter report{on_problem, stats};
  const detail::Decoded in = detail::decode_input(bytes);
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
  if (col.count("id") && col.count("providername") && col.count("timecreated")) {
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
  DayOrder order = options.day_order;
  if (order == DayOrder::kAuto) {
    text::CsvReader scan(t, dialect);
    text::CsvRow scanned;
    const std::vector<std::string>& g = scanned.fields;
    scan.next(scanned);  // header
    bool day = false, month = false;
    while (scan.next(scanned)) {
      if (date_col >= g.size()) continue;
      auto a = parse_local_datetime(g[date_col], DayOrder::kDayFirst);
      auto b = parse_local_datetime(g[date_col], DayOrder::kMonthFirst);
      if (a && !b) day = true;
      if (b && !a) month = true;
    }
    if (day && month) {
      report(HT_NO_NUMBER, HT_NO_NUMBER,
             "dates disagree on day/month order; each date read on its own", HT_DIAG_WARNING);
    } else if (day) {
      order = DayOrder::kDayFirst;
    } else if (month) {
      order = DayOrder::kMonthFirst;
    }
  }
  int64_t zone = 0;
  if (auto z = time::parse_offset(options.timezone)) {
    zone = *z;
  } else {
    report(HT_NO_NUMBER, HT_NO_NUMBER,
           "time zone '" + options.timezone + "' not understood; UTC assumed", HT_DIAG_WARNING);
  }
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
      r.level = level_from_name(f[0]);
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
      auto id = parse_uint<uint32_t>(get("id"));
      if (!id) {
        report(row_line, HT_NO_NUMBER, "bad Id '" + std::string(get("id")) + "'");
        continue;
      }
      r.event_id = *id;
      r.message = std::string(get("message"));
      if (auto v = parse_uint<uint8_t>(get("version"))) r.version = *v;
      if (auto v = parse_uint<uint16_t>(get("qualifiers"))) r.qualifiers = *v;
      if (auto v = parse_uint<uint8_t>(get("level"))) r.level = *v;
      if (auto v = parse_uint<uint16_t>(get("task"))) r.task = *v;
      if (auto v = parse_uint<uint8_t>(get("opcode"))) r.opcode = *v;
      if (auto v = detail::parse_int64(get("keywords")))
        r.keywords = static_cast<uint64_t>(*v);
      else if (auto u = parse_uint<uint64_t>(get("keywords")))
        r.keywords = *u;
      if (auto v = parse_uint<uint64_t>(get("recordid"))) r.record_id = *v;
      r.provider = std::string(get("providername"));
      if (!get("providerid").empty()) r.provider_guid = detail::braced_guid(get("providerid"));
      r.channel = std::string(get("logname"));
      if (auto v = parse_uint<uint32_t>(get("processid"))) r.process_id = *v;
      if (auto v = parse_uint<uint32_t>(get("threadid"))) r.thread_id = *v;
      r.computer = std::string(get("machinename"));
      r.user_sid = std::string(get("userid"));
      if (!get("activityid").empty()) r.activity_id = detail::braced_guid(get("activityid"));
      if (!get("relatedactivityid").empty())
        r.related_activity_id = detail::braced_guid(get("relatedactivityid"));
      date = std::string(get("timecreated"));
    }
    if (!text::trim(date).empty()) {
      if (auto local = parse_local_datetime(date, order)) {
        r.time = *local - zone;
        notes.time_flags |= HT_TIME_ZONE_ASSUMED;
        if (!told_zone) {
          told_zone = true;
          report(row_line, HT_NO_NUMBER,
                 "CSV times are local times without a zone; assumed " +
                     (options.timezone.empty() ? std::string("UTC") : options.timezone),
                 HT_DIAG_INFO);
        }
      } else {
        report(row_line, HT_NO_NUMBER, "date not understood: '" + date + "'");
      }
    }
    ++stats.records;
    if (on_record && !on_record(r, notes)) {
      stats.stopped = true;
      return stats;
    }
  }
  return stats;
}

}  // namespace hellotrace::eventexport
