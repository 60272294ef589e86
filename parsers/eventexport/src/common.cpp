// Shared pieces: decoding, manifest names, local dates, zones, sniffers, dispatch.
#include <algorithm>
#include <array>
#include <cstdio>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/time.hpp>
#include <map>

#include "internal.hpp"

namespace hellotrace::eventexport {
namespace detail {

Decoded decode_input(std::span<const uint8_t> bytes, const Reporter& report) {
  Decoded d;
  text::Encoding enc = text::Encoding::kUtf8;
  text::DecodeIssues issues;
  d.text = text::decode_checked(bytes, issues, &enc);
  if (issues.count) report(HT_NO_NUMBER, issues.first_offset, issues.message());
  d.utf8 = enc == text::Encoding::kUtf8 || enc == text::Encoding::kUtf8Bom;
  d.bom = enc == text::Encoding::kUtf8Bom ? 3 : 0;
  return d;
}

std::optional<int64_t> parse_int64(std::string_view s) {
  s = text::trim(s);
  if (s.empty()) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string braced_guid(std::string_view s) {
  auto g = text::normalize_guid(s);
  if (!g) return std::string(s);
  std::string out = "{";
  for (char c : *g) out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  out += '}';
  return out;
}

std::optional<std::string_view> expand_provider(std::string_view source) {
  static constexpr std::array<std::string_view, 6> kFull = {
      "Microsoft-Windows-User Device Registration",
      "Microsoft-Windows-HelloForBusiness",
      "Microsoft-Windows-AAD",
      "Microsoft-Windows-Biometrics",
      "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider",
      "Microsoft-Windows-ModernDeployment-Diagnostics-Provider"};
  constexpr std::string_view kPrefix = "Microsoft-Windows-";
  for (auto full : kFull)
    if (text::iequals(full.substr(kPrefix.size()), text::trim(source))) return full;
  // Sources Event Viewer shows by a display name of their own (Security log, KDC).
  static constexpr std::pair<std::string_view, std::string_view> kDisplay[] = {
      {"Microsoft Windows security auditing.", "Microsoft-Windows-Security-Auditing"},
      {"Kerberos-Key-Distribution-Center", "Microsoft-Windows-Kerberos-Key-Distribution-Center"}};
  for (const auto& [shown, full] : kDisplay)
    if (text::iequals(shown, text::trim(source))) return full;
  return std::nullopt;
}

uint8_t level_from_name(std::string_view name) {
  static const std::map<std::string, uint8_t, std::less<>> kLevels = {
      {"critical", 1},    {"kritisch", 1},      {"critique", 1},      {"kritik", 1},
      {"error", 2},       {"fehler", 2},        {"erreur", 2},        {"hata", 2},
      {"warning", 3},     {"warnung", 3},       {"avertissement", 3}, {"uyarı", 3},
      {"information", 4}, {"informationen", 4}, {"informations", 4},  {"bilgi", 4},
      {"verbose", 5},     {"ausführlich", 5},   {"commentaires", 5},  {"détaillé", 5},
      {"ayrıntılı", 5}};
  const std::string k = text::to_lower(text::trim(name));
  auto it = kLevels.find(k);
  return it == kLevels.end() ? 0 : it->second;
}

bool record_from_properties(const std::function<std::string_view(std::string_view)>& get,
                            eventlog::Record& r) {
  auto id = parse_uint<uint32_t>(get("id"));
  if (!id) return false;
  r.event_id = *id;
  r.message = std::string(get("message"));
  if (auto v = parse_uint<uint8_t>(get("version"))) r.version = *v;
  if (auto v = parse_uint<uint16_t>(get("qualifiers"))) r.qualifiers = *v;
  if (auto v = parse_uint<uint8_t>(get("level")))
    r.level = *v;
  else if (!get("leveldisplayname").empty())
    r.level = level_from_name(get("leveldisplayname"));
  if (auto v = parse_uint<uint16_t>(get("task"))) r.task = *v;
  if (auto v = parse_uint<uint8_t>(get("opcode"))) r.opcode = *v;
  if (auto v = parse_int64(get("keywords")))
    r.keywords = static_cast<uint64_t>(*v);
  else if (auto u = parse_uint<uint64_t>(get("keywords")))
    r.keywords = *u;
  if (auto v = parse_uint<uint64_t>(get("recordid"))) r.record_id = *v;
  r.provider = std::string(text::trim(get("providername")));
  if (!get("providerid").empty()) r.provider_guid = braced_guid(get("providerid"));
  r.channel = std::string(text::trim(get("logname")));
  if (auto v = parse_uint<uint32_t>(get("processid"))) r.process_id = *v;
  if (auto v = parse_uint<uint32_t>(get("threadid"))) r.thread_id = *v;
  r.computer = std::string(text::trim(get("machinename")));
  r.user_sid = std::string(text::trim(get("userid")));
  if (!get("activityid").empty()) r.activity_id = braced_guid(get("activityid"));
  if (!get("relatedactivityid").empty())
    r.related_activity_id = braced_guid(get("relatedactivityid"));
  return true;
}

int64_t zone_offset(const Options& options, const Reporter& report) {
  if (auto z = time::parse_offset(options.timezone)) return *z;
  report(HT_NO_NUMBER, HT_NO_NUMBER,
         "time zone '" + options.timezone + "' not understood; UTC assumed", HT_DIAG_WARNING);
  return 0;
}

void apply_local_time(std::string_view date, text::DateOrder order, int64_t zone,
                      const std::string& zone_name, uint64_t line, eventlog::Record& r,
                      RecordNotes& notes, bool& told_zone, const Reporter& report) {
  if (text::trim(date).empty()) return;
  auto local = text::parse_culture_datetime(date, order);
  if (!local) {
    report(line, HT_NO_NUMBER, "date not understood: '" + std::string(date) + "'");
    return;
  }
  if (local->zoned) {
    r.time = local->ticks;
    return;
  }
  r.time = local->ticks - zone;
  notes.time_flags |= HT_TIME_ZONE_ASSUMED;
  if (!told_zone) {
    told_zone = true;
    report(line, HT_NO_NUMBER,
           "times are local times without a zone; assumed " +
               (zone_name.empty() ? std::string("UTC") : zone_name),
           HT_DIAG_INFO);
  }
}

text::DateOrder report_date_order(const text::DateOrderInference::Decision& d,
                                  const Reporter& report) {
  using Basis = text::DateOrderInference::Basis;
  if (!d.note.empty())
    report(HT_NO_NUMBER, HT_NO_NUMBER, d.note,
           d.basis == Basis::kConflict ? HT_DIAG_WARNING : HT_DIAG_INFO);
  return d.order;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace detail

namespace {

constexpr DataName kUdrPrereq[] = {{"Message"},
                                   {"DeviceIsJoined"},
                                   {"AADPrt"},
                                   {"NgcPolicyEnabled"},
                                   {"NgcPostLogonProvisioningEnabled"},
                                   {"NgcHardwarePolicyMet"},
                                   {"UserIsRemote"},
                                   {"LogonCertRequired"},
                                   {"MachinePolicySource"},
                                   {"UseCloudTrust"},
                                   {"CloudTgt"}};
constexpr DataName kUdr300[] = {{"KeyId"},           {"UPN"},
                                {"Attestation"},     {"ClientRequestId"},
                                {"ServerRequestId"}, {"ServerResponse"}};
constexpr DataName kUdr301[] = {
    {"ExitCode"},           {"ClientRequestId"},           {"ServerRequestId"}, {"ErrorCode"},
    {"ServerErrorMessage"}, {"RecommendedClientResponse"}, {"ServerResponse"}};
constexpr DataName kUdr304[] = {{"ExitCode"}, {"ServerErrorMessage"}, {"TenantType"},
                                {"JoinType"}, {"TenantName"},         {"DebugOutput"}};
constexpr DataName kHfb5060[] = {{"PinRecoveryPolicyState"}, {"UserSid"}};
constexpr DataName kHfb5225[] = {{"KeyProvider"}, {"Result", ValueKind::kHexInt32}};
constexpr DataName kHfb5555[] = {{"TpmSupport"},
                                 {"HardwarePolicy"},
                                 {"IsTpm12Excluded"},
                                 {"TpmVersion"},
                                 {"IsTpmFIPS"},
                                 {"IsTpmLockedOut"},
                                 {"IsKeyPregenPoolSatisfactory"},
                                 {"KeyProvider"},
                                 {"Result", ValueKind::kHexInt32}};
constexpr DataName kHfb7054[] = {{"Error", ValueKind::kHexInt32}};
constexpr DataName kHfb8002[] = {{"ContainerId", ValueKind::kGuid},
                                 {"ContainerVersion"},
                                 {"KeyProvider"},
                                 {"HasCachedLogonKey"},
                                 {"ContainerStatus"}};
constexpr DataName kHfb8025[] = {{"ServiceName"}};
constexpr DataName kHfb8052[] = {{"ProcessingTime"}};

struct Entry {
  std::string_view provider;  // without "Microsoft-Windows-"
  uint32_t id;
  std::span<const DataName> names;
};

constexpr std::span<const DataName> kNone{};
// 358/360 verified on real renderings (corpus tugix UDR 360, 11 names); 358 uses the
// same template as 360. 361/362 add fields whose positions are not verified: only the
// common prefix (9 names) is named, the rest stay unnamed (data_names_partial).
// 300/301/304/305: order as in FORMATS.md / the message text (assumed, no real
// rendering found). HelloForBusiness: verified on the corpus renderings.
const Entry kTable[] = {
    {"User Device Registration", 358, kUdrPrereq},
    {"User Device Registration", 360, kUdrPrereq},
    {"User Device Registration", 361, std::span<const DataName>(kUdrPrereq).first(9)},
    {"User Device Registration", 362, std::span<const DataName>(kUdrPrereq).first(9)},
    {"User Device Registration", 300, kUdr300},
    {"User Device Registration", 301, kUdr301},
    {"User Device Registration", 304, kUdr304},
    {"User Device Registration", 305, kUdr304},
    {"HelloForBusiness", 3052, kNone},
    {"HelloForBusiness", 3054, kNone},
    {"HelloForBusiness", 5060, kHfb5060},
    {"HelloForBusiness", 5225, kHfb5225},
    {"HelloForBusiness", 5520, kNone},
    {"HelloForBusiness", 5555, kHfb5555},
    {"HelloForBusiness", 7054, kHfb7054},
    {"HelloForBusiness", 7201, kNone},
    {"HelloForBusiness", 7210, kNone},
    {"HelloForBusiness", 8002, kHfb8002},
    {"HelloForBusiness", 8025, kHfb8025},
    {"HelloForBusiness", 8052, kHfb8052},
    {"HelloForBusiness", 8210, kNone},
};

}  // namespace

std::optional<std::span<const DataName>> manifest_names(std::string_view provider,
                                                        uint32_t event_id, uint8_t version) {
  provider = text::trim(provider);
  constexpr std::string_view kPrefix = "Microsoft-Windows-";
  if (text::istarts_with(provider, kPrefix)) provider.remove_prefix(kPrefix.size());
  for (const Entry& e : kTable)
    if (e.id == event_id && text::iequals(e.provider, provider)) return e.names;
  return std::nullopt;
}

namespace {
std::string decode_prefix(std::span<const uint8_t> prefix) {
  if (prefix.size() > HT_SNIFF_PREFIX_SIZE) prefix = prefix.first(HT_SNIFF_PREFIX_SIZE);
  return text::decode(prefix);
}
}  // namespace

int looks_like_event_xml(std::span<const uint8_t> prefix) {
  const std::string t = decode_prefix(prefix);
  // An XML export starts with markup; text that only quotes an event ("Copy details as
  // text" with its "Event Xml:" part, a transcript) is some other format's.
  const std::string_view start = text::trim(t);
  const int cap = !start.empty() && start.front() == '<' ? 100 : 40;
  size_t pos = 0;
  bool event = false;
  while ((pos = t.find("<Event", pos)) != std::string::npos) {
    const char n = pos + 6 < t.size() ? t[pos + 6] : ' ';
    if (n == ' ' || n == '>' || n == '\t' || n == '\r' || n == '\n') {
      event = true;
      break;
    }
    pos += 6;
  }
  if (!event) return 0;
  const bool ns =
      t.find("http://schemas.microsoft.com/win/2004/08/events/event") != std::string::npos;
  const bool system =
      t.find("<System>") != std::string::npos || t.find("<System ") != std::string::npos;
  if (ns && system) return std::min(95, cap);
  if (ns) return std::min(85, cap);
  if (system) return std::min(70, cap);
  return 30;
}

int looks_like_event_csv(std::span<const uint8_t> prefix) {
  const std::string t = decode_prefix(prefix);
  std::string_view v = text::trim(t);
  if (text::istarts_with(v, "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord")) return 100;
  if (text::istarts_with(v, "#TYPE")) {
    const size_t nl = v.find('\n');
    v = nl == std::string_view::npos ? std::string_view() : v.substr(nl + 1);
  }
  const size_t nl = v.find('\n');
  const std::string header = text::to_lower(v.substr(0, nl));
  if (header.empty() || header[0] == '{' || header[0] == '[' || header[0] == '<') return 0;
  if (header.find("\"message\"") != std::string::npos &&
      header.find("\"providername\"") != std::string::npos &&
      header.find("\"timecreated\"") != std::string::npos)
    return 95;
  if (header.find("message") != std::string::npos &&
      header.find("providername") != std::string::npos &&
      header.find("timecreated") != std::string::npos)
    return 85;
  // Event Viewer "Text (Tab delimited)" has the CSV's columns separated by tabs.
  std::string header_commas = header;
  std::replace(header_commas.begin(), header_commas.end(), '\t', ',');
  static constexpr std::string_view kEv[] = {
      "level,date and time,source,event id,task category",
      "ebene,datum und uhrzeit,quelle,ereignis-id,aufgabenkategorie",
      "niveau,date et heure,source,id de l",  // French (apostrophe varies)
      "düzey,tarih ve saat,kaynak,olay kimli"};
  for (auto h : kEv)
    if (text::istarts_with(header_commas, h)) return 90;
  // Get-WinEvent | Select TimeCreated,Id,Message | Export-Csv (no ProviderName).
  if (header.find("timecreated") != std::string::npos &&
      header.find("message") != std::string::npos &&
      (header.find("\"id\"") != std::string::npos || header.find(",id") != std::string::npos ||
       text::istarts_with(header, "id,")))
    return 80;
  return 0;
}

int looks_like_event_json(std::span<const uint8_t> prefix) {
  const std::string t = decode_prefix(prefix);
  const std::string_view v = text::trim(t);
  if (v.empty() || (v[0] != '{' && v[0] != '[')) return 0;
  const bool provider = t.find("\"ProviderName\"") != std::string::npos;
  const bool id = t.find("\"Id\"") != std::string::npos;
  const bool when =
      t.find("\"TimeCreated\"") != std::string::npos || t.find("\"RecordId\"") != std::string::npos;
  const bool log = t.find("\"LogName\"") != std::string::npos;
  if (provider && id && when) return 90;
  if (id && log) return 75;
  if (provider) return 50;
  return 0;
}

Stats read_event_export(std::span<const uint8_t> bytes, const RecordFn& on_record,
                        const ProblemFn& on_problem, const Options& options) {
  using Reader =
      Stats (*)(std::span<const uint8_t>, const RecordFn&, const ProblemFn&, const Options&);
  const std::pair<int, Reader> readers[] = {{looks_like_event_xml(bytes), read_event_xml},
                                            {looks_like_event_json(bytes), read_event_json},
                                            {looks_like_event_csv(bytes), read_event_csv},
                                            {looks_like_event_details(bytes), read_event_details},
                                            {looks_like_event_list(bytes), read_event_list}};
  const auto* best = &readers[0];
  for (const auto& r : readers)
    if (r.first > best->first) best = &r;
  if (best->first == 0) {
    Stats s;
    detail::Reporter{on_problem, s}(1, 0, "not an event XML, CSV, JSON or text export",
                                    HT_DIAG_ERROR);
    return s;
  }
  return best->second(bytes, on_record, on_problem, options);
}

}  // namespace hellotrace::eventexport
