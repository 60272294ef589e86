// Text renderings of single events: Event Viewer's "Copy details as text" (Event
// Properties → Copy) and `Get-WinEvent | Format-List` (default view or `*`).
#include <hellotrace/pstext/pstext.hpp>
#include <hellotrace/time.hpp>

#include "internal.hpp"

namespace hellotrace::eventexport {
namespace {

// ---- "Copy details as text" -----------------------------------------------------
//
// Log Name:      Microsoft-Windows-User Device Registration/Admin
// Source:        Microsoft-Windows-User Device Registration
// Date:          3/24/2025 9:40:12 PM
// Event ID:      360
// Task Category: None
// Level:         Warning
// Keywords:
// User:          SYSTEM
// Computer:      PC-0142.corp.contoso.com
// Description:
// <the rendered message, several lines>
// Event Xml:                      (newer Event Viewer; then the event's XML follows)
// <Event xmlns="…">…</Event>
//
// The header names follow the UI language; English and German are known.

enum class Header {
  kLog,
  kSource,
  kDate,
  kId,
  kTask,
  kLevel,
  kKeywords,
  kUser,
  kComputer,
  kOpcode,
  kDescription,
  kXml
};

struct HeaderName {
  std::string_view label;  // without the colon
  Header header;
};

constexpr HeaderName kHeaders[] = {
    {"Log Name", Header::kLog},
    {"Source", Header::kSource},
    {"Date", Header::kDate},
    {"Event ID", Header::kId},
    {"Task Category", Header::kTask},
    {"Level", Header::kLevel},
    {"Keywords", Header::kKeywords},
    {"User", Header::kUser},
    {"Computer", Header::kComputer},
    {"OpCode", Header::kOpcode},
    {"Description", Header::kDescription},
    {"Event Xml", Header::kXml},
    // German Event Viewer
    {"Protokollname", Header::kLog},
    {"Quelle", Header::kSource},
    {"Datum", Header::kDate},
    {"Ereignis-ID", Header::kId},
    {"Aufgabenkategorie", Header::kTask},
    {"Ebene", Header::kLevel},
    {"Schlüsselwörter", Header::kKeywords},
    {"Benutzer", Header::kUser},
    {"Vorgangscode", Header::kOpcode},
    {"Beschreibung", Header::kDescription},
    {"Ereignis-XML", Header::kXml},
};

// "Label:   value" at the start of a line → header and value.
std::optional<std::pair<Header, std::string_view>> header_of(std::string_view line) {
  for (const HeaderName& h : kHeaders) {
    if (line.size() <= h.label.size() || !text::istarts_with(line, h.label) ||
        line[h.label.size()] != ':')
      continue;
    return std::pair{h.header, text::trim(line.substr(h.label.size() + 1))};
  }
  return std::nullopt;
}

bool starts_event(std::string_view line) {
  auto h = header_of(line);
  return h && h->first == Header::kLog;
}

// One pasted event: its header values, the description lines and the XML, if any.
struct Pasted {
  uint64_t line = 0;
  std::string log, source, date, id, level, user, computer;
  std::string description;
  std::string xml;
  uint64_t xml_line = 0;
};

std::vector<Pasted> split_pasted(const std::vector<text::Line>& lines) {
  std::vector<Pasted> out;
  enum { kNone, kHead, kDescription, kXml } state = kNone;
  for (const text::Line& l : lines) {
    if (starts_event(l.text) && state != kXml) {
      out.push_back(Pasted{});
      out.back().line = l.number;
      state = kHead;
    }
    if (state == kNone) continue;
    Pasted& p = out.back();
    if (state == kXml) {
      p.xml.append(l.text).push_back('\n');
      if (l.text.find("</Event>") != std::string_view::npos) state = kNone;
      continue;
    }
    auto h = header_of(l.text);
    if (h && h->first == Header::kXml) {
      state = kXml;
      p.xml_line = l.number + 1;
      continue;
    }
    if (state == kDescription) {
      if (!p.description.empty()) p.description += '\n';
      p.description.append(l.text);
      continue;
    }
    if (!h) continue;  // a stray line inside the header
    const std::string v(h->second);
    switch (h->first) {
      case Header::kLog:
        p.log = v;
        break;
      case Header::kSource:
        p.source = v;
        break;
      case Header::kDate:
        p.date = v;
        break;
      case Header::kId:
        p.id = v;
        break;
      case Header::kLevel:
        p.level = v;
        break;
      case Header::kUser:
        p.user = v;
        break;
      case Header::kComputer:
        p.computer = v;
        break;
      case Header::kDescription:
        state = kDescription;
        p.description = v;
        break;
      default:
        break;
    }
  }
  for (Pasted& p : out) {  // blank lines between pasted events belong to no message
    while (!p.description.empty() && (p.description.back() == '\n' || p.description.back() == ' ' ||
                                      p.description.back() == '\r' || p.description.back() == '\t'))
      p.description.pop_back();
  }
  return out;
}

}  // namespace

Stats read_event_details(std::span<const uint8_t> bytes, const RecordFn& on_record,
                         const ProblemFn& on_problem, const Options& options) {
  Stats stats;
  detail::Reporter report{on_problem, stats};
  const detail::Decoded in = detail::decode_input(bytes, report);
  const std::vector<Pasted> events = split_pasted(text::split_lines(in.text));
  if (events.empty()) {
    report(1, HT_NO_NUMBER, "no \"Log Name:\" line: not a copied event", HT_DIAG_ERROR);
    return stats;
  }
  text::DateOrderInference inference;
  for (const Pasted& p : events) inference.observe(p.date, p.line);
  const text::DateOrder order =
      detail::report_date_order(inference.decide(options.date_order), report);
  const int64_t zone = detail::zone_offset(options, report);
  bool told_zone = false;
  for (const Pasted& p : events) {
    eventlog::Record r;
    RecordNotes notes;
    bool from_xml = false;
    if (!p.xml.empty()) {
      // The XML carries everything: read it, keep the description as the message.
      Options xml_options = options;
      read_event_xml(
          std::span(reinterpret_cast<const uint8_t*>(p.xml.data()), p.xml.size()),
          [&](const eventlog::Record& x, const RecordNotes& n) {
            r = x;
            notes = n;
            from_xml = true;
            return false;  // one event per paste
          },
          [&](const Problem& q) {
            report(q.line == HT_NO_NUMBER ? p.xml_line : p.xml_line + q.line - 1, HT_NO_NUMBER,
                   q.message, q.severity);
          },
          xml_options);
    }
    if (!from_xml) {
      auto id = detail::parse_uint<uint32_t>(p.id);
      if (!id) {
        report(p.line, HT_NO_NUMBER, "copied event without a readable Event ID ('" + p.id + "')");
        continue;
      }
      r.event_id = *id;
      r.channel = p.log;
      r.provider = p.source;
      if (auto full = detail::expand_provider(r.provider)) {
        r.provider = std::string(*full);
        notes.provider_expanded = true;
      }
      r.level = detail::level_from_name(p.level);
      r.computer = p.computer;
      if (text::istarts_with(p.user, "S-1-")) r.user_sid = p.user;
      notes.data_values_missing = true;
      notes.time_precision_ticks = static_cast<uint32_t>(time::kTicksPerSecond);
      detail::apply_local_time(p.date, order, zone, options.timezone, p.line, r, notes, told_zone,
                               report);
    }
    if (r.message.empty()) r.message = p.description;
    r.line = p.line;
    r.offset = HT_NO_NUMBER;
    ++stats.records;
    if (on_record && !on_record(r, notes)) {
      stats.stopped = true;
      break;
    }
  }
  return stats;
}

Stats read_event_list(std::span<const uint8_t> bytes, const RecordFn& on_record,
                      const ProblemFn& on_problem, const Options& options) {
  Stats stats;
  detail::Reporter report{on_problem, stats};
  const detail::Decoded in = detail::decode_input(bytes, report);
  const pstext::Result parsed = pstext::parse_console(in.text);
  for (const auto& p : parsed.problems) report(p.line, HT_NO_NUMBER, p.message);
  text::DateOrderInference inference;
  for (const auto& o : parsed.objects)
    if (const std::string* t = o.get("TimeCreated")) inference.observe(*t, o.line);
  const text::DateOrder order =
      detail::report_date_order(inference.decide(options.date_order), report);
  const int64_t zone = detail::zone_offset(options, report);
  bool told_zone = false;
  for (const auto& o : parsed.objects) {
    if (!o.has("Id") || (!o.has("Message") && !o.has("ProviderName"))) {
      report(o.line, HT_NO_NUMBER, "object without Id and Message: not an event, skipped",
             HT_DIAG_INFO);
      continue;
    }
    eventlog::Record r;
    RecordNotes notes;
    auto get = [&](std::string_view name) -> std::string_view {
      const std::string* v = o.get(name);
      return v ? std::string_view(*v) : std::string_view();
    };
    if (!detail::record_from_properties(get, r)) {
      report(o.line, HT_NO_NUMBER, "bad Id '" + std::string(get("Id")) + "'");
      continue;
    }
    r.line = o.line;
    notes.data_values_missing = true;  // Properties prints as {…} of .NET objects
    notes.time_precision_ticks = static_cast<uint32_t>(time::kTicksPerSecond);
    detail::apply_local_time(get("TimeCreated"), order, zone, options.timezone, o.line, r, notes,
                             told_zone, report);
    ++stats.records;
    if (on_record && !on_record(r, notes)) {
      stats.stopped = true;
      break;
    }
  }
  return stats;
}

int looks_like_event_details(std::span<const uint8_t> prefix) {
  if (prefix.size() > HT_SNIFF_PREFIX_SIZE) prefix = prefix.first(HT_SNIFF_PREFIX_SIZE);
  const std::string t = text::decode(prefix);
  int seen = 0;
  bool first = true, log = false;
  for (const text::Line& l : text::split_lines(t)) {
    if (text::trim(l.text).empty()) continue;
    auto h = header_of(l.text);
    if (first && !(h && h->first == Header::kLog)) return 0;  // starts with "Log Name:"
    first = false;
    if (!h) continue;
    log = log || h->first == Header::kLog;
    ++seen;
    if (h->first == Header::kDescription) break;
  }
  return log && seen >= 5 ? 90 : 0;
}

int looks_like_event_list(std::span<const uint8_t> prefix) {
  if (prefix.size() > HT_SNIFF_PREFIX_SIZE) prefix = prefix.first(HT_SNIFF_PREFIX_SIZE);
  const std::string t = text::decode(prefix);
  bool time = false, id = false, provider = false, message = false;
  for (const text::Line& l : text::split_lines(t)) {
    const std::string_view v = l.text;
    const size_t colon = v.find(" : ");
    if (colon == std::string_view::npos) continue;
    const std::string_view name = text::trim(v.substr(0, colon));
    time = time || text::iequals(name, "TimeCreated");
    id = id || text::iequals(name, "Id");
    provider = provider || text::iequals(name, "ProviderName");
    message = message || text::iequals(name, "Message");
  }
  if (time && id && message && provider) return 85;
  if (time && id && message) return 70;
  return 0;
}

}  // namespace hellotrace::eventexport
