// The contract: the same events read from an .evtx and from its XML, CSV and JSON
// renderings compare equal (on every field each format carries).
//
// For each WHfB/Entra-related corpus .evtx (shared corpus README, "WHfB / Entra-related
// real events"), the records read by ht_evtx are rendered here the way Windows writes
// them — Event Viewer "Save As XML" (<Events> root, RenderingInfo), `wevtutil qe
// /f:xml` (bare events), Event Viewer CSV (en-US and de-DE), `Export-Csv`, PowerShell
// 5.1 `ConvertTo-Json -Depth 3` (UTF-16 LE, "\/Date(ms)\/", JavaScriptSerializer
// escaping) and PowerShell 7 (array and -Compress lines, ISO times with offset) — then
// read back with ht_eventexport and compared field by field.
//
// The records carry no message (an .evtx holds none), so a synthetic message with
// markup, quotes, commas and CRLF stands in for RenderingInfo/Message and the CSV and
// JSON Message. JSON Properties are typed as PowerShell would type them where the
// rendered text tells (true/false → bool, decimal → number, GUID → lower case without
// braces, SID → SecurityIdentifier object, binary → byte array); HexInt32 values are
// written as numbers only for events whose manifest_names() kind says so (elsewhere the
// type is not known from the text and they stay strings).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <hellotrace/eventexport/eventexport.hpp>
#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "record_diff.hpp"

namespace fs = std::filesystem;
namespace ee = hellotrace::eventexport;
namespace ht_time = hellotrace::time;
using hellotrace::eventexport::testing::diff;
using hellotrace::eventexport::testing::Fields;
using hellotrace::eventlog::Record;

namespace {

// Files and their record counts (shared corpus README: evtxexport's counts).
struct CorpusFile {
  const char* name;
  size_t records;
};
const CorpusFile kFiles[] = {
    {"tugix__Microsoft-Windows-User_Device_Registration%4Admin.evtx", 6},
    {"tugix__Microsoft-Windows-HelloForBusiness%4Operational.evtx", 60},
    {"omer__Microsoft-Windows-HelloForBusiness%4Operational.evtx", 5},
    {"tugix__Microsoft-Windows-AAD%4Operational.evtx", 9},
    {"tugix__Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider%4Admin.evtx", 1},
    {"tugix__Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider%4Operational.evtx",
     26},
    {"tugix__Microsoft-Windows-ModernDeployment-Diagnostics-Provider%4Autopilot.evtx", 22},
    {"tugix__Microsoft-Windows-ModernDeployment-Diagnostics-Provider%4ManagementService.evtx", 8},
    {"tugix__Microsoft-Windows-ModernDeployment-Diagnostics-Provider%4Admin.evtx", 0},
    {"tugix__Microsoft-Windows-Biometrics%4Operational.evtx", 5},
    {"tugix__Microsoft-Windows-WebAuthN%4Operational.evtx", 85},
    {"tugix__Microsoft-Windows-Crypto-NCrypt%4Operational.evtx", 68},
    {"tugix__Microsoft-Windows-Crypto-DPAPI%4Operational.evtx", 179},
    {"tugix__Microsoft-Windows-LiveId%4Operational.evtx", 436},
    {"tugix__Microsoft-Windows-User_Profile_Service%4Operational.evtx", 56},
};

// The exporting machine's zone for local times (a Turkish machine: UTC+3).
constexpr int64_t kZone = 3 * ht_time::kTicksPerHour;

std::string message_for(const Record& r) {
  return "Synthetic message for record " + std::to_string(r.record_id) +
         ": <b>&amp;</b> \"quoted\", 'single', comma, semicolon;\r\nsecond line\ttab\r\nİş";
}

// ---- XML ------------------------------------------------------------------------

std::string xml_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string xml_attr(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void write_user_data(const Record& r, std::string& s) {
  s += "<UserData><EventXML xmlns='http://schemas.microsoft.com/win/2004/08/events'>";
  std::vector<std::string> open;  // open path components below the provider element
  for (const auto& d : r.data) {
    std::vector<std::string> parts;
    size_t b = 0;
    while (true) {
      const size_t e = d.name.find('/', b);
      parts.push_back(d.name.substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
      b = e + 1;
    }
    const std::string leaf = parts.back();
    parts.pop_back();
    size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    while (open.size() > common) {
      s += "</" + open.back() + ">";
      open.pop_back();
    }
    for (size_t i = common; i < parts.size(); ++i) {
      s += "<" + parts[i] + ">";
      open.push_back(parts[i]);
    }
    s += "<" + leaf + ">" + xml_text(d.value) + "</" + leaf + ">";
  }
  while (!open.empty()) {
    s += "</" + open.back() + ">";
    open.pop_back();
  }
  s += "</EventXML></UserData>";
}

// One <Event> as Windows renders it (single-quoted attributes, no indentation).
std::string event_xml(const Record& r, bool rendering) {
  std::string s = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>";
  s += "<Provider Name='" + xml_attr(r.provider) + "'";
  if (!r.provider_guid.empty()) s += " Guid='" + xml_attr(r.provider_guid) + "'";
  if (!r.event_source_name.empty()) s += " EventSourceName='" + xml_attr(r.event_source_name) + "'";
  s += "/><EventID";
  if (r.qualifiers) s += " Qualifiers='" + std::to_string(*r.qualifiers) + "'";
  s += ">" + std::to_string(r.event_id) + "</EventID>";
  s += "<Version>" + std::to_string(r.version) + "</Version>";
  s += "<Level>" + std::to_string(r.level) + "</Level>";
  s += "<Task>" + std::to_string(r.task) + "</Task>";
  s += "<Opcode>" + std::to_string(r.opcode) + "</Opcode>";
  char kw[32];
  std::snprintf(kw, sizeof kw, "0x%llx", static_cast<unsigned long long>(r.keywords));
  s += std::string("<Keywords>") + kw + "</Keywords>";
  if (r.time != HT_NO_TIME) s += "<TimeCreated SystemTime='" + ht_time::format_iso(r.time) + "'/>";
  s += "<EventRecordID>" + std::to_string(r.record_id) + "</EventRecordID>";
  s += "<Correlation";
  if (!r.activity_id.empty()) s += " ActivityID='" + xml_attr(r.activity_id) + "'";
  if (!r.related_activity_id.empty())
    s += " RelatedActivityID='" + xml_attr(r.related_activity_id) + "'";
  s += "/><Execution";
  if (r.process_id) s += " ProcessID='" + std::to_string(*r.process_id) + "'";
  if (r.thread_id) s += " ThreadID='" + std::to_string(*r.thread_id) + "'";
  s += "/><Channel>" + xml_text(r.channel) + "</Channel>";
  s += "<Computer>" + xml_text(r.computer) + "</Computer>";
  s += r.user_sid.empty() ? "<Security/>" : "<Security UserID='" + xml_attr(r.user_sid) + "'/>";
  s += "</System>";
  if (r.user_data) {
    write_user_data(r, s);
  } else if (r.data.empty()) {
    s += "<EventData/>";
  } else {
    s += "<EventData>";
    for (size_t i = 0; i < r.data.size(); ++i) {
      const auto& d = r.data[i];
      if (d.name == "Binary" && i + 1 == r.data.size()) {
        s += "<Binary>" + xml_text(d.value) + "</Binary>";
      } else if (d.name.empty()) {
        s += "<Data>" + xml_text(d.value) + "</Data>";
      } else {
        s += "<Data Name='" + xml_attr(d.name) + "'>" + xml_text(d.value) + "</Data>";
      }
    }
    s += "</EventData>";
  }
  if (rendering) {
    s += "<RenderingInfo Culture='tr-TR'><Message>" + xml_text(message_for(r)) +
         "</Message><Level>Uyarı</Level><Task></Task><Opcode>Bilgi</Opcode><Channel>" +
         xml_text(r.channel) + "</Channel><Provider>" + xml_text(r.provider) +
         "</Provider><Keywords></Keywords></RenderingInfo>";
  }
  s += "</Event>";
  return s;
}

// ---- CSV ------------------------------------------------------------------------

std::string csv_field(std::string_view s, bool always = false) {
  if (!always && s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string us_date(int64_t local) {
  const auto c = ht_time::civil_from_ticks(local);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%u/%u/%lld %u:%02u:%02u %s", c.month, c.day,
                static_cast<long long>(c.year), c.hour % 12 == 0 ? 12 : c.hour % 12, c.minute,
                c.second, c.hour < 12 ? "AM" : "PM");
  return buf;
}

std::string de_date(int64_t local) {
  const auto c = ht_time::civil_from_ticks(local);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02u.%02u.%lld %02u:%02u:%02u", c.day, c.month,
                static_cast<long long>(c.year), c.hour, c.minute, c.second);
  return buf;
}

std::string short_source(const std::string& provider) {
  // Event Viewer shows some providers without "Microsoft-Windows-".
  for (const char* p : {"Microsoft-Windows-User Device Registration",
                        "Microsoft-Windows-HelloForBusiness", "Microsoft-Windows-AAD"})
    if (provider == p) return provider.substr(18);
  return provider;
}

std::string event_viewer_csv(const std::vector<Record>& rs, bool german) {
  static const char* kEn[] = {"Information", "Critical",    "Error",
                              "Warning",     "Information", "Verbose"};
  static const char* kDe[] = {"Informationen", "Kritisch",      "Fehler",
                              "Warnung",       "Informationen", "Ausführlich"};
  std::string s = german ? "Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\n"
                         : "Level,Date and Time,Source,Event ID,Task Category\r\n";
  for (auto it = rs.rbegin(); it != rs.rend(); ++it) {  // newest first
    const Record& r = *it;
    const char* level = r.level <= 5 ? (german ? kDe : kEn)[r.level] : "";
    s += std::string(level) + ",";
    s += (german ? de_date(r.time + kZone) : us_date(r.time + kZone)) + ",";
    s += csv_field(short_source(r.provider)) + "," + std::to_string(r.event_id) + ",";
    s += r.task ? "(" + std::to_string(r.task) + ")" : std::string(german ? "Keine" : "None");
    s += "," + csv_field(message_for(r), true) + "\r\n";
  }
  return s;
}

std::string bare_guid(const std::string& g) {
  auto n = hellotrace::text::normalize_guid(g);
  return n ? *n : g;
}

std::string export_csv(const std::vector<Record>& rs) {
  const char* cols[] = {"Message",
                        "Id",
                        "Version",
                        "Qualifiers",
                        "Level",
                        "Task",
                        "Opcode",
                        "Keywords",
                        "RecordId",
                        "ProviderName",
                        "ProviderId",
                        "LogName",
                        "ProcessId",
                        "ThreadId",
                        "MachineName",
                        "UserId",
                        "TimeCreated",
                        "ActivityId",
                        "RelatedActivityId",
                        "ContainerLog",
                        "MatchedQueryIds",
                        "Bookmark",
                        "LevelDisplayName",
                        "OpcodeDisplayName",
                        "TaskDisplayName",
                        "KeywordsDisplayNames",
                        "Properties"};
  std::string s = "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n";
  for (size_t i = 0; i < std::size(cols); ++i) s += (i ? "," : "") + csv_field(cols[i], true);
  s += "\r\n";
  for (const Record& r : rs) {
    auto q = [](const std::string& v) { return csv_field(v, true); };
    auto opt = [&](const auto& o) { return o ? q(std::to_string(*o)) : std::string(); };
    s += q(message_for(r)) + "," + q(std::to_string(r.event_id)) + "," +
         q(std::to_string(r.version)) + "," + opt(r.qualifiers) + "," + q(std::to_string(r.level)) +
         "," + q(std::to_string(r.task)) + "," + q(std::to_string(r.opcode)) + "," +
         q(std::to_string(static_cast<int64_t>(r.keywords))) + "," +
         q(std::to_string(r.record_id)) + "," + q(r.provider) + "," +
         (r.provider_guid.empty() ? "" : q(bare_guid(r.provider_guid))) + "," + q(r.channel) + "," +
         opt(r.process_id) + "," + opt(r.thread_id) + "," + q(r.computer) + "," +
         (r.user_sid.empty() ? "" : q(r.user_sid)) + "," + q(us_date(r.time + kZone)) + "," +
         (r.activity_id.empty() ? "" : q(bare_guid(r.activity_id))) + "," +
         (r.related_activity_id.empty() ? "" : q(bare_guid(r.related_activity_id))) + "," +
         q(r.channel) + "," + q("System.UInt32[]") + "," +
         q("System.Diagnostics.Eventing.Reader.EventBookmark") + "," + q("") + "," + q("") + "," +
         "," + q("System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]") + "," +
         q("System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]") +
         "\r\n";
  }
  return s;
}

// ---- JSON -----------------------------------------------------------------------

using ojson = nlohmann::ordered_json;

bool is_decimal(const std::string& v) {
  if (v.empty() || v.size() > 18) return false;
  size_t i = v[0] == '-' ? 1 : 0;
  if (i == v.size() || (v[i] == '0' && v.size() > i + 1)) return false;
  for (; i < v.size(); ++i)
    if (v[i] < '0' || v[i] > '9') return false;
  return true;
}

bool is_hex_bytes(const std::string& v) {
  if (v.empty() || v.size() % 2) return false;
  for (char c : v)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

ojson sid_object(const std::string& sid) {
  return ojson{{"BinaryLength", 12 + 4 * (std::count(sid.begin(), sid.end(), '-') - 2)},
               {"AccountDomainSid", nullptr},
               {"Value", sid}};
}

// A Properties value as PowerShell types it (see the file comment).
ojson typed(const hellotrace::eventlog::DataItem& d, ee::ValueKind kind) {
  const std::string& v = d.value;
  if (kind == ee::ValueKind::kHexInt32 && v.starts_with("0x"))
    return std::stoul(v.substr(2), nullptr, 16);
  if (v == "true") return true;
  if (v == "false") return false;
  if (is_decimal(v)) return std::stoll(v);
  if (d.name == "Binary" && is_hex_bytes(v)) {
    ojson a = ojson::array();
    for (size_t i = 0; i < v.size(); i += 2) a.push_back(std::stoi(v.substr(i, 2), nullptr, 16));
    return a;
  }
  if (v.size() == 38 && v.front() == '{' && v.back() == '}' && hellotrace::text::normalize_guid(v))
    return bare_guid(v);
  if (v.starts_with("S-1-") && v.find(' ') == std::string::npos) return sid_object(v);
  return v;
}

ojson event_json(const Record& r, bool ps7) {
  ojson o;
  auto opt = [](const auto& x) { return x ? ojson(*x) : ojson(nullptr); };
  o["Id"] = r.event_id;
  o["Version"] = r.version;
  o["Qualifiers"] = opt(r.qualifiers);
  o["Level"] = r.level;
  o["Task"] = r.task;
  o["Opcode"] = r.opcode;
  o["Keywords"] = static_cast<int64_t>(r.keywords);
  o["RecordId"] = r.record_id;
  o["ProviderName"] = r.provider;
  o["ProviderId"] = r.provider_guid.empty() ? ojson(nullptr) : ojson(bare_guid(r.provider_guid));
  o["LogName"] = r.channel;
  o["ProcessId"] = opt(r.process_id);
  o["ThreadId"] = opt(r.thread_id);
  o["MachineName"] = r.computer;
  o["UserId"] = r.user_sid.empty() ? ojson(nullptr) : sid_object(r.user_sid);
  if (ps7) {
    const auto c = ht_time::civil_from_ticks(r.time + kZone);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%07lld+03:00",
                  static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                  static_cast<long long>(c.fraction));
    o["TimeCreated"] = buf;
  } else {
    const int64_t ms = r.time >= 0 ? r.time / 10'000 : -((-r.time + 9'999) / 10'000);
    o["TimeCreated"] = "/Date(" + std::to_string(ms) + ")/";
  }
  o["ActivityId"] = r.activity_id.empty() ? ojson(nullptr) : ojson(bare_guid(r.activity_id));
  o["RelatedActivityId"] =
      r.related_activity_id.empty() ? ojson(nullptr) : ojson(bare_guid(r.related_activity_id));
  o["ContainerLog"] = r.channel;
  o["MatchedQueryIds"] = ojson::array();
  o["Bookmark"] = ojson::object();
  o["LevelDisplayName"] = "Information";
  o["OpcodeDisplayName"] = "Info";
  o["TaskDisplayName"] = nullptr;
  o["KeywordsDisplayNames"] = ojson::array();
  auto names = ee::manifest_names(r.provider, r.event_id, r.version);
  ojson props = ojson::array();
  for (size_t i = 0; i < r.data.size(); ++i) {
    const ee::ValueKind k = names && i < names->size() ? (*names)[i].kind : ee::ValueKind::kText;
    props.push_back(ojson{{"Value", typed(r.data[i], k)}});
  }
  o["Properties"] = props;
  o["Message"] = message_for(r);
  return o;
}

// JavaScriptSerializer string escaping (PowerShell 5.1): also < > & ' as \uXXXX; "/" is
// written as "\/" only inside "\/Date(…)\/".
std::string ps51_string(const std::string& s) {
  std::string out = "\"";
  if (s.starts_with("/Date(")) {
    out += "\\/" + s.substr(1, s.size() - 2) + "\\/";
    return out + "\"";
  }
  for (unsigned char c : s) {
    char buf[8];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '<':
      case '>':
      case '&':
      case '\'':
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
        break;
      default:
        if (c < 0x20) {
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// PowerShell 5.1 ConvertTo-Json layout: "key":  value, nested values indented to
// their key's column.
void ps51_dump(const ojson& v, size_t indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    if (v.empty()) {
      out += "{\r\n\r\n" + pad + "}";
      return;
    }
    out += "{\r\n";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ",\r\n";
      first = false;
      const std::string key = pad + "    " + ps51_string(it.key()) + ":  ";
      out += key;
      ps51_dump(it.value(), key.size(), out);
    }
    out += "\r\n" + pad + "}";
  } else if (v.is_array()) {
    if (v.empty()) {
      out += "[\r\n\r\n" + pad + "]";
      return;
    }
    out += "[\r\n";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ",\r\n";
      out += pad + "    ";
      ps51_dump(v[i], indent + 4, out);
    }
    out += "\r\n" + pad + "]";
  } else if (v.is_string()) {
    out += ps51_string(v.get<std::string>());
  } else {
    out += v.dump();
  }
}

std::vector<uint8_t> utf16le_bom(const std::string& utf8) {
  std::vector<uint8_t> out = {0xFF, 0xFE};
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char c = utf8[i];
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c >> 5) == 6 && i + 1 < utf8.size()) {
      cp = ((c & 0x1F) << 6) | (utf8[i + 1] & 0x3F);
      n = 2;
    } else if ((c >> 4) == 14 && i + 2 < utf8.size()) {
      cp = ((c & 0x0F) << 12) | ((utf8[i + 1] & 0x3F) << 6) | (utf8[i + 2] & 0x3F);
      n = 3;
    } else if ((c >> 3) == 30 && i + 3 < utf8.size()) {
      cp = ((c & 0x07) << 18) | ((utf8[i + 1] & 0x3F) << 12) | ((utf8[i + 2] & 0x3F) << 6) |
           (utf8[i + 3] & 0x3F);
      n = 4;
    } else {
      cp = 0xFFFD;
      n = 1;
    }
    i += n;
    auto put = [&](uint32_t u) {
      out.push_back(static_cast<uint8_t>(u & 0xFF));
      out.push_back(static_cast<uint8_t>(u >> 8));
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xD800 + (cp >> 10));
      put(0xDC00 + (cp & 0x3FF));
    } else {
      put(cp);
    }
  }
  return out;
}

// ---- reading back ---------------------------------------------------------------

struct Read {
  std::vector<Record> records;
  std::vector<ee::RecordNotes> notes;
  std::vector<ee::Problem> warnings;
};

template <typename Fn>
Read read_back(Fn reader, const std::vector<uint8_t>& bytes, const ee::Options& opt = {}) {
  Read out;
  reader(
      bytes,
      [&](const Record& r, const ee::RecordNotes& n) {
        out.records.push_back(r);
        out.notes.push_back(n);
        return true;
      },
      [&](const ee::Problem& p) {
        if (p.severity >= HT_DIAG_WARNING) out.warnings.push_back(p);
      },
      opt);
  return out;
}

std::vector<uint8_t> as_bytes(const std::string& s) { return {s.begin(), s.end()}; }

class Equivalence : public ::testing::TestWithParam<CorpusFile> {};

TEST_P(Equivalence, ExportsReadBackEqual) {
  const fs::path path = fs::path(HT_CORPUS_DIR) / "evtx" / GetParam().name;
  if (!fs::exists(path)) GTEST_SKIP() << "corpus file absent: " << path;
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> file{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
  std::vector<Record> evtx;
  hellotrace::evtx::read(
      file,
      [&](const Record& r) {
        evtx.push_back(r);
        return true;
      },
      [](const hellotrace::evtx::Problem&) {});
  std::vector<Record> with_message = evtx;
  for (Record& r : with_message) r.message = message_for(r);
  const size_t n = evtx.size();
  SCOPED_TRACE(GetParam().name);
  ASSERT_EQ(n, GetParam().records);
  // The manifest table must name the real events' data as the .evtx does.
  for (const Record& r : evtx) {
    auto names = ee::manifest_names(r.provider, r.event_id, r.version);
    if (!names || r.user_data) continue;
    for (size_t i = 0; i < r.data.size() && i < names->size(); ++i)
      EXPECT_EQ(r.data[i].name, (*names)[i].name) << r.provider << " " << r.event_id;
  }

  // Event XML, Event Viewer shape and wevtutil shape.
  std::string ev = "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n<Events>";
  std::string wev;
  for (const Record& r : evtx) {
    ev += event_xml(r, true) + "\r\n";
    wev += event_xml(r, false) + "\r\n";
  }
  ev += "</Events>";
  for (bool viewer : {true, false}) {
    Read x = read_back(ee::read_event_xml, as_bytes(viewer ? ev : wev));
    EXPECT_TRUE(x.warnings.empty()) << (x.warnings.empty() ? "" : x.warnings[0].message);
    ASSERT_EQ(x.records.size(), n) << (viewer ? "Event Viewer XML" : "wevtutil XML");
    for (size_t i = 0; i < n; ++i)
      EXPECT_EQ(diff(x.records[i], viewer ? with_message[i] : evtx[i]), "")
          << (viewer ? "Event Viewer XML" : "wevtutil XML") << " record " << evtx[i].record_id;
  }

  // Event Viewer CSV (en-US, de-DE): level, time to the second, source, id, task, message.
  ee::Options opt;
  opt.timezone = "+03:00";
  Fields csv_fields;
  csv_fields = Fields{};
  for (bool* b :
       {&csv_fields.record_id, &csv_fields.qualifiers, &csv_fields.version, &csv_fields.opcode,
        &csv_fields.keywords, &csv_fields.provider_guid, &csv_fields.event_source_name,
        &csv_fields.channel, &csv_fields.computer, &csv_fields.user_sid, &csv_fields.activity_id,
        &csv_fields.related_activity_id, &csv_fields.process_id, &csv_fields.thread_id,
        &csv_fields.data, &csv_fields.user_data, &csv_fields.level})
    *b = false;
  csv_fields.time_unit = ht_time::kTicksPerSecond;
  for (bool german : {false, true}) {
    Read c = read_back(ee::read_event_csv, as_bytes(event_viewer_csv(evtx, german)), opt);
    EXPECT_TRUE(c.warnings.empty()) << (c.warnings.empty() ? "" : c.warnings[0].message);
    ASSERT_EQ(c.records.size(), n);
    for (size_t i = 0; i < n; ++i) {
      const Record& want = with_message[n - 1 - i];
      const Record& got = c.records[i];
      EXPECT_EQ(diff(got, want, csv_fields), "") << "Event Viewer CSV record " << want.record_id;
      if (want.level >= 1 && want.level <= 5) {
        EXPECT_EQ(got.level, want.level);
      } else if (want.level == 0) {
        EXPECT_EQ(got.level, 4);  // shown as "Information"
      }
      EXPECT_TRUE(c.notes[i].time_flags & HT_TIME_ZONE_ASSUMED);
    }
  }

  // Export-Csv: the System fields and Message; no EventData; time to the second.
  {
    Fields f;
    f.data = f.user_data = f.event_source_name = false;
    f.time_unit = ht_time::kTicksPerSecond;
    Read c = read_back(ee::read_event_csv, as_bytes(export_csv(evtx)), opt);
    EXPECT_TRUE(c.warnings.empty());
    ASSERT_EQ(c.records.size(), n);
    for (size_t i = 0; i < n; ++i)
      EXPECT_EQ(diff(c.records[i], with_message[i], f), "")
          << "Export-Csv record " << evtx[i].record_id;
  }

  // JSON: PowerShell 5.1 (UTF-16, ms) and 7 (array and -Compress lines, 100 ns).
  ojson arr = ojson::array(), arr7 = ojson::array();
  std::string nd;
  for (const Record& r : evtx) {
    arr.push_back(event_json(r, false));
    arr7.push_back(event_json(r, true));
    nd += event_json(r, true).dump() + "\n";
  }
  std::string ps51;
  ps51_dump(arr, 0, ps51);
  struct Variant {
    const char* name;
    std::vector<uint8_t> bytes;
    int64_t unit;
  };
  std::vector<Variant> variants;
  variants.push_back({"PS 5.1 JSON", utf16le_bom(ps51), 10'000});
  variants.push_back({"PS 7 JSON", as_bytes(arr7.dump(2)), 1});
  variants.push_back({"PS 7 -Compress lines", as_bytes(nd), 1});
  if (n == 1) variants.push_back({"PS 7 single object", as_bytes(arr7[0].dump(2)), 1});
  for (const Variant& v : variants) {
    Read j = read_back(ee::read_event_json, v.bytes);
    EXPECT_TRUE(j.warnings.empty())
        << v.name << ": " << (j.warnings.empty() ? "" : j.warnings[0].message);
    ASSERT_EQ(j.records.size(), n) << v.name;
    for (size_t i = 0; i < n; ++i) {
      Record want = with_message[i];
      auto names = ee::manifest_names(want.provider, want.event_id, want.version);
      // A GUID-typed value comes as a bare lower-case string; without a manifest kind
      // the reader cannot tell it from text and keeps it so.
      for (size_t k = 0; k < want.data.size(); ++k) {
        const bool guid_kind =
            names && k < names->size() && (*names)[k].kind == ee::ValueKind::kGuid;
        std::string& val = want.data[k].value;
        if (!guid_kind && val.size() == 38 && val.front() == '{' &&
            hellotrace::text::normalize_guid(val))
          val = bare_guid(val);
      }
      Fields f;
      f.event_source_name = f.user_data = false;
      f.time_unit = v.unit;
      f.data_names = names.has_value();
      EXPECT_EQ(diff(j.records[i], want, f), "") << v.name << " record " << want.record_id;
      EXPECT_EQ(j.notes[i].data_names_unknown, !names && !want.data.empty()) << v.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, Equivalence, ::testing::ValuesIn(kFiles),
                         [](const ::testing::TestParamInfo<CorpusFile>& info) {
                           std::string s = info.param.name;
                           s = s.substr(0, s.find(".evtx"));
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
