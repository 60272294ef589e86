// Shared pieces: decoding, manifest names, local dates, zones, sniffers, dispatch.
#include <algorithm>
#include <array>
#include <cstdio>
#include <hellotrace/time.hpp>

#include "internal.hpp"

namespace hellotrace::eventexport {
namespace detail {

Decoded decode_input(std::span<const uint8_t> bytes) {
  Decoded d;
  text::Encoding enc = text::Encoding::kUtf8;
  d.text = text::decode(bytes, &enc);
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
  return std::nullopt;
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

std::optional<int64_t> parse_local_datetime(std::string_view s, DayOrder order) {
  s = text::trim(s);
  // Strip invisible marks some cultures put around date parts (U+200E/U+200F).
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
        static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0x8E ||
         static_cast<unsigned char>(s[i + 2]) == 0x8F)) {
      i += 2;
      continue;
    }
    clean += s[i];
  }
  std::string_view t = clean;
  size_t i = 0;
  auto number = [&](std::string_view& out) {
    const size_t b = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    out = t.substr(b, i - b);
    return i > b && i - b <= 4;
  };
  std::string_view a, b, c;
  if (!number(a) || i >= t.size()) return std::nullopt;
  const char sep = t[i];
  if (sep != '/' && sep != '.' && sep != '-') return std::nullopt;
  ++i;
  if (!number(b) || i >= t.size() || t[i] != sep) return std::nullopt;
  ++i;
  if (!number(c)) return std::nullopt;
  if (i < t.size() && t[i] == '.') ++i;  // "14.11.2024." (hu-HU)
  int64_t y = 0;
  unsigned mo = 0, d = 0;
  auto to_u = [](std::string_view v) {
    return static_cast<unsigned>(*detail::parse_uint<unsigned>(v));
  };
  bool pm = false, am = false;
  // Time part.
  while (i < t.size() && (t[i] == ' ' || t[i] == 'T' || t[i] == ',')) ++i;
  std::string_view hh, mi, ss;
  if (!number(hh) || i >= t.size() || (t[i] != ':' && t[i] != '.')) return std::nullopt;
  const char tsep = t[i];
  ++i;
  if (!number(mi)) return std::nullopt;
  if (i < t.size() && t[i] == tsep) {
    ++i;
    if (!number(ss)) return std::nullopt;
  }
  int64_t frac = 0;
  if (i < t.size() && (t[i] == '.' || t[i] == ',') && i + 1 < t.size() && t[i + 1] >= '0' &&
      t[i + 1] <= '9') {
    ++i;
    int64_t scale = 1'000'000;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      frac += (t[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  std::string_view rest = text::trim(t.substr(i));
  if (!rest.empty()) {
    std::string r = text::to_lower(rest);
    std::erase(r, '.');
    std::erase(r, ' ');
    if (r == "am") {
      am = true;
    } else if (r == "pm") {
      pm = true;
    } else {
      return std::nullopt;
    }
  }
  if (a.size() == 4) {
    y = to_u(a);
    mo = to_u(b);
    d = to_u(c);
  } else {
    const unsigned x = to_u(a), z = to_u(b);
    bool day_first;
    switch (order) {
      case DayOrder::kDayFirst:
        day_first = true;
        break;
      case DayOrder::kMonthFirst:
        day_first = false;
        break;
      default:
        if (sep == '.')
          day_first = true;
        else if (x > 12)
          day_first = true;
        else if (z > 12)
          day_first = false;
        else
          day_first = !(am || pm);
    }
    d = day_first ? x : z;
    mo = day_first ? z : x;
    y = to_u(c);
    if (c.size() <= 2) y += 2000;
  }
  unsigned h = to_u(hh), m = to_u(mi), sec = ss.empty() ? 0 : to_u(ss);
  if (am || pm) {
    if (h < 1 || h > 12) return std::nullopt;
    if (h == 12) h = 0;
    if (pm) h += 12;
  }
  if (!time::valid_civil(y, mo, d, h, m, sec)) return std::nullopt;
  return time::ticks_from_civil(y, mo, d, h, m, sec, frac);
}

namespace {
std::string decode_prefix(std::span<const uint8_t> prefix) {
  if (prefix.size() > HT_SNIFF_PREFIX_SIZE) prefix = prefix.first(HT_SNIFF_PREFIX_SIZE);
  return text::decode(prefix);
}
}  // namespace

int looks_like_event_xml(std::span<const uint8_t> prefix) {
  const std::string t = decode_prefix(prefix);
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
  if (ns && system) return 95;
  if (ns) return 85;
  if (system) return 70;
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
  static constexpr std::string_view kEv[] = {
      "level,date and time,source,event id,task category",
      "ebene,datum und uhrzeit,quelle,ereignis-id,aufgabenkategorie",
      "niveau,date et heure,source,id de l",  // French (apostrophe varies)
      "düzey,tarih ve saat,kaynak,olay kimli"};
  for (auto h : kEv)
    if (text::istarts_with(header, h)) return 90;
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
  const int x = looks_like_event_xml(bytes), c = looks_like_event_csv(bytes),
            j = looks_like_event_json(bytes);
  if (x == 0 && c == 0 && j == 0) {
    Stats s;
    detail::Reporter{on_problem, s}(1, 0, "not an event XML, CSV or JSON export", HT_DIAG_ERROR);
    return s;
  }
  if (x >= c && x >= j) return read_event_xml(bytes, on_record, on_problem, options);
  if (j >= c) return read_event_json(bytes, on_record, on_problem, options);
  return read_event_csv(bytes, on_record, on_problem, options);
}

}  // namespace hellotrace::eventexport
