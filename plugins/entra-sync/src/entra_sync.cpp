#include "entra_sync.hpp"

#include <hellotrace/plugin_api.h>

#include <algorithm>
#include <cctype>
#include <hellotrace/pstext/pstext.hpp>
#include <hellotrace/text/datetime.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <map>
#include <string>
#include <vector>

namespace hellotrace::entra_sync {

namespace {

// Pasted outputs add text after the time ("… (this is UTC)"); a date alone is accepted.
constexpr text::DateReadOptions kDateReading{.time_required = false, .trailing_text = true};

using pstext::Object;
using pstext::Property;
using text::icontains;
using text::iequals;
using text::istarts_with;
using text::trim;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads up to `max` digits at s[i]; false when there is none.
bool read_number(std::string_view s, size_t& i, int64_t& out, size_t max = 9) {
  size_t n = 0;
  int64_t v = 0;
  while (i < s.size() && is_digit(s[i]) && n < max) {
    v = v * 10 + (s[i] - '0');
    ++i;
    ++n;
  }
  out = v;
  return n > 0;
}

std::string lower(std::string_view s) { return text::to_lower(s); }

}  // namespace

std::optional<int64_t> parse_interval_seconds(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s[0] == 'P' || s[0] == 'p') {  // ISO 8601 duration, e.g. PT30M, P7D
    int64_t total = 0;
    bool in_time = false;
    size_t i = 1;
    while (i < s.size()) {
      if (s[i] == 'T' || s[i] == 't') {
        in_time = true;
        ++i;
        continue;
      }
      int64_t n = 0;
      if (!read_number(s, i, n, 9)) return std::nullopt;
      if (i < s.size() && s[i] == '.') {  // fractional seconds: ignored
        ++i;
        while (i < s.size() && is_digit(s[i])) ++i;
      }
      if (i >= s.size()) return std::nullopt;
      const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i++])));
      if (u == 'D' && !in_time)
        total += n * 86400;
      else if (u == 'H' && in_time)
        total += n * 3600;
      else if (u == 'M' && in_time)
        total += n * 60;
      else if (u == 'S' && in_time)
        total += n;
      else
        return std::nullopt;
    }
    return total;
  }
  size_t i = 0;
  bool neg = false;
  if (s[i] == '-') {
    neg = true;
    ++i;
  }
  int64_t first = 0;
  if (!read_number(s, i, first, 9)) return std::nullopt;
  int64_t days = 0, h = 0, m = 0, sec = 0;
  if (i < s.size() && s[i] == '.') {
    days = first;
    ++i;
    if (!read_number(s, i, h, 2)) return std::nullopt;
  } else {
    h = first;
  }
  if (i >= s.size() || s[i] != ':') {
    if (i == s.size() && days == 0) return std::nullopt;  // a bare number is not a span
    return std::nullopt;
  }
  ++i;
  if (!read_number(s, i, m, 2)) return std::nullopt;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!read_number(s, i, sec, 2)) return std::nullopt;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i != s.size() || h > 23 || m > 59 || sec > 59) return std::nullopt;
  const int64_t total = days * 86400 + h * 3600 + m * 60 + sec;
  return neg ? -total : total;
}

std::optional<std::string> normalize_bool(std::string_view s) {
  s = trim(s);
  if (iequals(s, "true") || iequals(s, "$true") || s == "1" || iequals(s, "yes"))
    return std::string("True");
  if (iequals(s, "false") || iequals(s, "$false") || s == "0" || iequals(s, "no"))
    return std::string("False");
  return std::nullopt;
}

namespace {

const char* kSchedulerFields[] = {"AllowedSyncCycleInterval",
                                  "CurrentlyEffectiveSyncCycleInterval",
                                  "CustomizedSyncCycleInterval",
                                  "NextSyncCyclePolicyType",
                                  "NextSyncCycleStartTimeInUTC",
                                  "PurgeRunHistoryInterval",
                                  "SyncCycleEnabled",
                                  "MaintenanceEnabled",
                                  "StagingModeEnabled",
                                  "SchedulerSuspended",
                                  "SyncCycleInProgress"};
const char* kSchedulerBools[] = {"SyncCycleEnabled", "MaintenanceEnabled", "StagingModeEnabled",
                                 "SchedulerSuspended", "SyncCycleInProgress"};
const char* kRunFields[] = {"ConnectorName", "RunProfileName", "Result", "StartDate", "EndDate"};

// Shared per-file state (on the stack of parse()).
struct Context {
  const RunOptions& options;
  Output& out;
  text::DateOrder order = text::DateOrder::kMdy;
  std::string order_source = "assumed";  // option | inferred | assumed
  int64_t export_time = HT_NO_TIME;
  uint32_t export_flags = 0;
  size_t emitted = 0;
};

// A value from the first of several names (ADSync objects, CSV headers, csexport).
const std::string* first_of(const Object& o, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (const std::string* v = o.get(n)) return v;
  return nullptr;
}

// Applies a UTC date (ADSync engine dates, *InUTC fields) to an event field set;
// returns the ticks or HT_NO_TIME. Adds "<name>: ISO" and DateOrderAssumed when needed.
int64_t utc_field(Context& ctx, Event& e, std::string_view value, const std::string& out_name,
                  uint64_t line) {
  if (trim(value).empty()) return HT_NO_TIME;
  auto p = text::parse_culture_datetime(value, ctx.order, kDateReading);
  if (!p) {
    ctx.out.diagnose(
        HT_DIAG_WARNING, line,
        "unreadable date '" + std::string(trim(value)).substr(0, 80) + "' in " + out_name);
    return HT_NO_TIME;
  }
  e.add(out_name, time::format_iso(p->ticks));
  if (p->ambiguous && !e.field("DateOrderAssumed")) {
    e.add("DateOrderAssumed", std::string(text::date_order_name(p->order)));
    e.add("DateOrderSource", ctx.order_source);
  }
  return p->ticks;
}

void add_subfields_collapsed(Event& e, const Object& o) {
  // ConvertTo-Json (5.1) writes a TimeSpan as an object: keep one value per span, as
  // Format-List prints it, instead of the flattened Ticks/Days/TotalSeconds members.
  std::map<std::string, int64_t> spans;
  for (const auto& p : o.properties) {
    const size_t dot = p.name.rfind('.');
    if (dot == std::string::npos) continue;
    const std::string base = p.name.substr(0, dot), member = p.name.substr(dot + 1);
    if (iequals(member, "Ticks")) {
      try {
        spans[base] = std::stoll(p.value) / time::kTicksPerSecond;
      } catch (...) {
      }
    }
  }
  for (const auto& p : o.properties) {
    const size_t dot = p.name.rfind('.');
    if (dot != std::string::npos && spans.count(p.name.substr(0, dot))) {
      const std::string base = p.name.substr(0, dot);
      if (!e.field(base)) {
        const int64_t s = spans[base];
        char buf[64];
        if (s >= 86400)
          std::snprintf(buf, sizeof buf, "%lld.%02lld:%02lld:%02lld",
                        static_cast<long long>(s / 86400), static_cast<long long>(s / 3600 % 24),
                        static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
        else
          std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                        static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
        e.add(base, buf);
      }
      continue;
    }
    e.add(p.name, p.value);
  }
}

std::string value_of(const Event& e, std::string_view name) {
  for (const auto& f : e.fields)
    if (iequals(f.name, name)) return f.value;
  return {};
}

void set_value(Event& e, std::string_view name, std::string value) {
  for (auto& f : e.fields)
    if (iequals(f.name, name)) {
      f.value = std::move(value);
      return;
    }
}

void emit(Context& ctx, const Event& e) {
  ctx.out.event(e);
  ++ctx.emitted;
}

// ---- Get-ADSyncScheduler ------------------------------------------------------------

bool is_scheduler(const Object& o) {
  return o.has("AllowedSyncCycleInterval") || o.has("NextSyncCycleStartTimeInUTC") ||
         o.has("CurrentlyEffectiveSyncCycleInterval") ||
         (o.has("SyncCycleEnabled") && o.has("StagingModeEnabled")) ||
         o.has("AllowedSyncCycleInterval.Ticks");
}

void scheduler(Context& ctx, const Object& o, bool incomplete) {
  Event e;
  e.kind = "sync.scheduler";
  e.time = ctx.export_time;
  e.time_flags = ctx.export_flags;
  e.origin.line = o.line;
  add_subfields_collapsed(e, o);
  // Normalized values.
  for (const char* b : kSchedulerBools) {
    const std::string v = value_of(e, b);
    if (v.empty()) continue;
    if (auto n = normalize_bool(v)) {
      set_value(e, b, *n);
    } else {
      ctx.out.diagnose(HT_DIAG_WARNING, o.line,
                       std::string("unreadable boolean '") + v.substr(0, 40) + "' in " + b);
    }
  }
  auto seconds = [&](const char* name) -> std::optional<int64_t> {
    const std::string v = value_of(e, name);
    if (trim(v).empty()) return std::nullopt;
    auto s = parse_interval_seconds(v);
    if (!s)
      ctx.out.diagnose(HT_DIAG_WARNING, o.line,
                       std::string("unreadable interval '") + v.substr(0, 40) + "' in " + name);
    return s;
  };
  const auto effective = seconds("CurrentlyEffectiveSyncCycleInterval");
  const auto allowed = seconds("AllowedSyncCycleInterval");
  const auto customized = seconds("CustomizedSyncCycleInterval");
  const auto purge = seconds("PurgeRunHistoryInterval");
  if (effective)
    e.add("IntervalSeconds", std::to_string(*effective));
  else if (customized && allowed)
    e.add("IntervalSeconds", std::to_string(std::max(*customized, *allowed)));
  else if (allowed)
    e.add("IntervalSeconds", std::to_string(*allowed));
  if (allowed) e.add("AllowedIntervalSeconds", std::to_string(*allowed));
  if (customized) e.add("CustomizedIntervalSeconds", std::to_string(*customized));
  if (purge) e.add("PurgeRunHistoryIntervalSeconds", std::to_string(*purge));
  // The next start: UTC by its name. A DateTime in JSON may be {"value": "/Date()/", …}.
  std::string next = value_of(e, "NextSyncCycleStartTimeInUTC");
  if (next.empty()) next = value_of(e, "NextSyncCycleStartTimeInUTC.value");
  if (!next.empty()) utc_field(ctx, e, next, "NextSyncUtc", o.line);
  if (incomplete) e.add("Incomplete", "True");
  emit(ctx, e);
}

// ---- Get-ADSyncConnector ------------------------------------------------------------
//
// Hybrid key trust needs the AD connector to carry msDS-KeyCredentialLink: Entra Connect
// reads the attribute list from the forest's schema at installation (or at "Refresh
// directory schema"), so a connector created before the Windows Server 2016 schema
// update never exports the key and no export error says so. The connector's
// AttributeInclusionList is the place to look; only a complete list can prove that the
// attribute is missing (Format-List shows the first $FormatEnumerationLimit items).

constexpr std::string_view kKeyCredentialLink = "msDS-KeyCredentialLink";

bool is_connector(const Object& o) {
  return o.has("AttributeInclusionList") || o.has("ObjectInclusionList") ||
         (o.has("ConnectorTypeName") && o.has("Identifier"));
}

// "AD" for a connector to an Active Directory forest (Type / ConnectorTypeName "AD",
// Subtype "Windows Active Directory"), "AAD" for the Entra ID connector, else as written.
std::string connector_kind(const Object& o) {
  const std::string* type = first_of(o, {"ConnectorTypeName", "Type"});
  const std::string* subtype = o.get("Subtype");
  if ((type && iequals(trim(*type), "AD")) ||
      (subtype && icontains(*subtype, "Windows Active Directory")))
    return "AD";
  if (subtype && icontains(*subtype, "Azure Active Directory")) return "AAD";
  return type ? std::string(trim(*type)) : std::string();
}

struct AttributeList {
  std::vector<std::string> items;
  std::string incomplete;  // why the list cannot prove an absence, or ""
};

// The attribute names of AttributeInclusionList as any export writes them: `{a, b, c}`
// (Format-List, JSON arrays as pstext renders them), or a list joined with ',', ';' or
// line breaks by a Select-Object expression.
AttributeList attribute_list(const Object& o) {
  AttributeList out;
  const Property* p = o.find("AttributeInclusionList");
  if (!p) {
    out.incomplete = "the export has no AttributeInclusionList";
    return out;
  }
  const std::string_view v = trim(p->value);
  // Export-Csv and Format-Table of the raw object write the collection's type name.
  if (istarts_with(v, "System.") || istarts_with(v, "Microsoft.")) {
    out.incomplete =
        "AttributeInclusionList written as a type name (" + std::string(v.substr(0, 80)) + ")";
    return out;
  }
  std::string token;
  auto push = [&] {
    if (!token.empty()) out.items.push_back(token);
    token.clear();
  };
  for (char c : v) {
    if (c == '{' || c == '}' || c == ',' || c == ';' || c == '\n' || c == '\r' || c == ' ' ||
        c == '\t')
      push();
    else
      token.push_back(c);
  }
  push();
  if (p->truncated || pstext::is_truncated(v)) {
    if (!out.items.empty() &&
        (out.items.back().ends_with("...") || out.items.back().ends_with("\xE2\x80\xA6")))
      out.items.pop_back();  // the cut item is not a name
    out.incomplete = "AttributeInclusionList cut short by Format-List ($FormatEnumerationLimit)";
  }
  if (out.items.empty() && out.incomplete.empty()) out.incomplete = "AttributeInclusionList empty";
  return out;
}

void connector(Context& ctx, const Object& o) {
  Event e;
  e.kind = "sync.connector";
  e.time = ctx.export_time;
  e.time_flags = ctx.export_flags;
  e.origin.line = o.line;
  add_subfields_collapsed(e, o);
  const std::string kind = connector_kind(o);
  e.add("ConnectorKind", kind);
  const AttributeList list = attribute_list(o);
  const bool included = std::any_of(list.items.begin(), list.items.end(),
                                    [](const auto& a) { return iequals(a, kKeyCredentialLink); });
  e.add("AttributeCount", std::to_string(list.items.size()));
  if (kind == "AD") {
    // Only an AD connector exports msDS-KeyCredentialLink; say nothing about the others.
    const char* verdict = included ? "True" : list.incomplete.empty() ? "False" : "Unknown";
    e.add("KeyCredentialLinkInScope", verdict);
    if (!included && !list.incomplete.empty()) {
      e.add("AttributeListIncomplete", list.incomplete);
      const std::string* name = o.get("Name");
      ctx.out.diagnose(
          HT_DIAG_INFO, o.line,
          "AD connector '" + (name ? std::string(trim(*name)) : std::string("?")) +
              "': cannot tell whether msDS-KeyCredentialLink is synchronized: " + list.incomplete +
              " (export with '$FormatEnumerationLimit = -1' or ConvertTo-Json)");
    }
  }
  emit(ctx, e);
}

// ---- Start-ADSyncSyncCycle ----------------------------------------------------------

std::string policy_from_command(std::string_view command) {
  const size_t p = lower(command).find("-policytype");
  if (p == std::string::npos) return {};
  std::string_view rest = trim(command.substr(p + 11));
  if (!rest.empty() && rest.front() == ':') rest = trim(rest.substr(1));
  const size_t end = rest.find_first_of(" \t|;");
  std::string v(rest.substr(0, end));
  v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
  v.erase(std::remove(v.begin(), v.end(), '\''), v.end());
  return v;
}

void cycle_requested(Context& ctx, uint64_t line, std::string_view command, std::string_view result,
                     std::string_view message) {
  Event e;
  e.kind = "sync.cycle_requested";
  e.time = ctx.export_time;
  e.time_flags = ctx.export_flags;
  e.origin.line = line;
  e.add("Result", std::string(result));
  if (!command.empty()) e.add("Command", std::string(trim(command)));
  const std::string policy = policy_from_command(command);
  if (!policy.empty()) e.add("PolicyType", policy);
  if (!message.empty()) {
    e.add("Message", std::string(message));
    // "Connector: contoso.onmicrosoft.com - AAD is busy."
    const size_t c = lower(message).find("connector:");
    const size_t b = lower(message).find(" is busy");
    if (c != std::string::npos && b != std::string::npos && b > c)
      e.add("Connector", std::string(trim(message.substr(c + 10, b - c - 10))));
  }
  emit(ctx, e);
}

bool mentions_busy(std::string_view s) {
  return icontains(s, "is busy") || icontains(s, "already running") ||
         icontains(s, "already in progress");
}

// Joins an error record's message lines (without the At line:/+ trailer).
std::string error_message(std::string_view text) {
  std::string out;
  for (const auto& l : text::split_lines(text)) {
    const std::string_view t = trim(l.text);
    if (istarts_with(t, "At line:") || istarts_with(t, "+ ") || t == "+") break;
    if (!out.empty()) out.push_back(' ');
    out.append(t);
  }
  return out;
}

// ---- Run history --------------------------------------------------------------------

bool is_run_step(const Object& o) {
  return o.has("StepResult") && (o.has("StepNumber") || o.has("StepHistoryId")) &&
         !o.has("RunProfileName");
}

bool is_run(const Object& o) {
  return o.has("RunProfileName") || (o.has("RunHistoryId") && o.has("ConnectorName"));
}

using StepMap = std::vector<Property>;

// Steps of a run: RunStepResults as Format-List prints it ({@{…}, @{…}}) or flattened
// from JSON (RunStepResults[0].StepResult).
std::vector<StepMap> steps_of(const Object& o) {
  std::vector<StepMap> steps;
  if (const std::string* v = o.get("RunStepResults")) {
    for (const auto& item : pstext::split_collection(*v))
      if (auto h = pstext::parse_hashtable(item)) steps.push_back(std::move(*h));
  }
  for (const auto& p : o.properties) {
    if (!istarts_with(p.name, "RunStepResults[")) continue;
    const size_t close = p.name.find("].");
    if (close == std::string::npos) continue;
    size_t idx = 0;
    try {
      idx = std::stoul(p.name.substr(15, close - 15));
    } catch (...) {
      continue;
    }
    if (idx > 1000) continue;
    if (steps.size() <= idx) steps.resize(idx + 1);
    steps[idx].push_back({p.name.substr(close + 2), p.value, false});
  }
  return steps;
}

const std::string* step_get(const StepMap& s, std::string_view name) {
  for (const auto& p : s)
    if (iequals(p.name, name)) return &p.value;
  return nullptr;
}

std::string xml_element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const size_t a = xml.find(open);
  if (a == std::string_view::npos) return {};
  const size_t b = xml.find("</" + std::string(tag) + ">", a);
  if (b == std::string_view::npos) return std::string(trim(xml.substr(a + open.size(), 200)));
  return std::string(trim(xml.substr(a + open.size(), b - a - open.size())));
}

std::string xml_attribute(std::string_view tag_text, std::string_view attr) {
  const std::string key = std::string(attr) + "=\"";
  size_t a = tag_text.find(key);
  while (a != std::string_view::npos && a > 0 && tag_text[a - 1] != ' ' &&
         tag_text[a - 1] != '\n' && tag_text[a - 1] != '\t')
    a = tag_text.find(key, a + 1);
  if (a == std::string_view::npos) return {};
  const size_t b = tag_text.find('"', a + key.size());
  if (b == std::string_view::npos) return {};
  return std::string(tag_text.substr(a + key.size(), b - a - key.size()));
}

int64_t sum_counter(const std::vector<StepMap>& steps, std::string_view name, bool& any) {
  int64_t total = 0;
  for (const auto& s : steps)
    if (const std::string* v = step_get(s, name)) {
      try {
        total += std::stoll(*v);
        any = true;
      } catch (...) {
      }
    }
  return total;
}

void export_errors_in_xml(Context& ctx, std::string_view xml, uint64_t line,
                          const std::string& connector, const std::string& run_profile);

void run_profile(Context& ctx, const Object& o, bool incomplete) {
  Event e;
  e.kind = "sync.cycle";
  e.origin.line = o.line;
  for (const auto& p : o.properties) e.add(p.name, p.value);
  const std::string* connector = o.get("ConnectorName");
  const std::string* profile = o.get("RunProfileName");
  const std::string* result = o.get("Result");
  if (connector) e.add("Connector", *connector);
  if (profile) e.add("RunProfile", *profile);
  if (result) e.add("RunResult", lower(trim(*result)));
  // StartDate/EndDate: UTC in the ADSync run history (see README).
  int64_t start = HT_NO_TIME, end = HT_NO_TIME;
  if (const std::string* s = o.get("StartDate")) start = utc_field(ctx, e, *s, "StartUtc", o.line);
  if (const std::string* s = o.get("EndDate")) end = utc_field(ctx, e, *s, "EndUtc", o.line);
  if (start != HT_NO_TIME && end != HT_NO_TIME && end >= start)
    e.add("DurationSeconds", std::to_string((end - start) / time::kTicksPerSecond));
  e.time = start != HT_NO_TIME ? start : end;
  const auto steps = steps_of(o);
  if (!steps.empty()) {
    std::string results;
    for (const auto& s : steps)
      if (const std::string* r = step_get(s, "StepResult")) {
        if (!results.empty()) results += ", ";
        results += *r;
      }
    if (!results.empty()) e.add("StepResults", results);
    const char* counters[][2] = {{"ExportAdd", "ExportAdds"},
                                 {"ExportUpdate", "ExportUpdates"},
                                 {"ExportRename", "ExportRenames"},
                                 {"ExportDelete", "ExportDeletes"},
                                 {"ExportFailure", "ExportFailures"}};
    for (const auto& c : counters) {
      bool any = false;
      const int64_t n = sum_counter(steps, c[0], any);
      if (any) e.add(c[1], std::to_string(n));
    }
    for (const auto& s : steps)
      if (const std::string* x = step_get(s, "ConnectorConnectionInformationXml")) {
        const std::string literal = xml_element(*x, "error-literal");
        if (!literal.empty()) {
          e.add("ConnectionError", literal);
          break;
        }
      }
  }
  if (incomplete) e.add("Incomplete", "True");
  emit(ctx, e);
  // Export errors carried in the run (SyncErrors XML in RunStepResults).
  for (const auto& p : o.properties)
    if (p.value.find("<export-error") != std::string::npos)
      export_errors_in_xml(ctx, p.value, o.line, connector ? *connector : "",
                           profile ? *profile : "");
}

void run_step(Context& ctx, const Object& o) {
  Event e;
  e.kind = "sync.run_step";
  e.origin.line = o.line;
  for (const auto& p : o.properties) e.add(p.name, p.value);
  int64_t start = HT_NO_TIME, end = HT_NO_TIME;
  if (const std::string* s = o.get("StartDate")) start = utc_field(ctx, e, *s, "StartUtc", o.line);
  if (const std::string* s = o.get("EndDate")) end = utc_field(ctx, e, *s, "EndUtc", o.line);
  e.time = start != HT_NO_TIME ? start : end;
  if (const std::string* r = o.get("StepResult")) e.add("RunResult", lower(trim(*r)));
  emit(ctx, e);
  for (const auto& p : o.properties)
    if (p.value.find("<export-error") != std::string::npos)
      export_errors_in_xml(ctx, p.value, o.line, "", "");
}

// ---- Export errors ------------------------------------------------------------------

const std::string* dn_of(const Object& o) {
  return first_of(o, {"ObjectDn", "DN", "DistinguishedName", "Distinguished Name", "cs-dn",
                      "ObjectDN", "ConnectorSpaceDN"});
}

const std::string* error_type_of(const Object& o) {
  return first_of(
      o, {"ErrorType", "Error Type", "error-type", "ExportErrorType", "ExportError.ErrorType"});
}

bool is_export_error(const Object& o) {
  if (dn_of(o) && error_type_of(o)) return true;
  // Get-ADSyncCSObject: HasExportError True with the error in ExportError.
  if (dn_of(o) && o.has("HasExportError")) {
    auto b = normalize_bool(*o.get("HasExportError"));
    return b && *b == "True";
  }
  return false;
}

// Runs of white space (wrapped console lines, XML indentation) → one space.
std::string squeeze(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : trim(s)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string attribute_in(std::string_view text) {
  std::string a = xml_element(text, "attribute-name");
  if (!a.empty()) return a;
  a = xml_element(text, "attribute");
  if (!a.empty()) return a;
  if (icontains(text, "msDS-KeyCredentialLink")) return "msDS-KeyCredentialLink";
  return {};
}

void finish_export_error(Context& ctx, Event& e, const std::string& dn, std::string type,
                         std::string attribute, const std::string& detail_text,
                         const std::string& date_occurred, const std::string& first_occurred,
                         uint64_t line) {
  e.kind = "sync.export_error";
  e.origin.line = line;
  e.subject.user_dn = std::string(trim(dn));
  e.add("DN", e.subject.user_dn);
  e.add("ErrorType", std::string(trim(type)));
  if (attribute.empty()) attribute = attribute_in(detail_text);
  if (!attribute.empty()) e.add("Attribute", attribute);
  const std::string code = xml_element(detail_text, "error-code");
  if (!code.empty()) e.add("ErrorCode", code);
  std::string detail = xml_element(detail_text, "error-literal");
  const std::string server = xml_element(detail_text, "server-error-detail");
  if (detail.empty() && detail_text.find('<') == std::string::npos)
    detail = std::string(trim(detail_text));
  if (!server.empty()) detail += (detail.empty() ? "" : " ") + ("(" + server + ")");
  if (!detail.empty()) e.add("Detail", squeeze(detail));
  int64_t t = HT_NO_TIME;
  if (!date_occurred.empty()) t = utc_field(ctx, e, date_occurred, "DateOccurredUtc", line);
  if (!first_occurred.empty()) {
    const int64_t f = utc_field(ctx, e, first_occurred, "FirstOccurredUtc", line);
    if (t == HT_NO_TIME) t = f;
  }
  e.time = t;
  emit(ctx, e);
}

void export_error_object(Context& ctx, const Object& o) {
  Event e;
  for (const auto& p : o.properties) e.add(p.name, p.value);
  const std::string dn = *dn_of(o);
  std::string type;
  std::string detail_text;
  std::string date_occurred, first_occurred;
  if (const std::string* t = error_type_of(o)) type = *t;
  // Get-ADSyncCSObject: ExportError may print as @{ErrorType=…; …} or flattened JSON.
  if (const std::string* x = o.get("ExportError")) {
    if (auto h = pstext::parse_hashtable(*x)) {
      for (const auto& p : *h) {
        if (iequals(p.name, "ErrorType") && type.empty()) type = p.value;
        if (iequals(p.name, "DateOccurred")) date_occurred = p.value;
        if (iequals(p.name, "FirstOccurred")) first_occurred = p.value;
        if (iequals(p.name, "CdError") || iequals(p.name, "ErrorLiteral") ||
            iequals(p.name, "ErrorDetail"))
          detail_text += p.value;
      }
    } else {
      detail_text += *x;
    }
  }
  for (auto name : {"CdError", "ErrorLiteral", "ErrorDetail", "Error Detail", "Detail",
                    "ExportError.CdError", "error-literal", "Message"})
    if (const std::string* v = o.get(name)) {
      if (!detail_text.empty()) detail_text += " ";
      detail_text += *v;
    }
  if (date_occurred.empty())
    if (const std::string* v =
            first_of(o, {"DateOccurred", "date-occurred", "ExportError.DateOccurred"}))
      date_occurred = *v;
  if (first_occurred.empty())
    if (const std::string* v =
            first_of(o, {"FirstOccurred", "first-occurred", "ExportError.FirstOccurred"}))
      first_occurred = *v;
  std::string attribute;
  if (const std::string* a = first_of(
          o, {"Attribute", "AttributeName", "Attribute Name", "attribute-name", "FailedAttribute"}))
    attribute = *a;
  if (attribute.empty()) {
    // The attribute may only be named in another field (e.g. the pending export).
    std::string all;
    for (const auto& p : o.properties) all += p.value + " ";
    attribute = attribute_in(all);
  }
  if (type.empty()) type = "unknown";
  finish_export_error(ctx, e, dn, type, attribute, detail_text, date_occurred, first_occurred,
                      o.line);
}

// <synchronization-errors><export-error cs-guid=… dn="…"> … </export-error> (run step
// SyncErrors XML) and csexport's <cs-object cs-dn="…"> … <export-errordetail …>.
void export_errors_in_xml(Context& ctx, std::string_view xml, uint64_t line,
                          const std::string& connector, const std::string& run_profile) {
  size_t pos = 0;
  size_t count = 0;
  while ((pos = xml.find("<export-error", pos)) != std::string_view::npos && count < 100000) {
    const size_t tag_end = xml.find('>', pos);
    if (tag_end == std::string_view::npos) break;
    const std::string_view tag = xml.substr(pos, tag_end - pos);
    if (tag.substr(0, 19) == "<export-errordetail") {  // handled by the csexport reader
      pos = tag_end;
      continue;
    }
    size_t close = xml.find("</export-error>", tag_end);
    if (close == std::string_view::npos) close = xml.size();
    const std::string_view body = xml.substr(tag_end + 1, close - tag_end - 1);
    Event e;
    if (!connector.empty()) e.add("Connector", connector);
    if (!run_profile.empty()) e.add("RunProfile", run_profile);
    std::string type = xml_element(body, "error-type");
    if (type.empty()) type = "unknown";
    finish_export_error(ctx, e, xml_attribute(tag, "dn"), type, "", std::string(body),
                        xml_element(body, "date-occurred"), xml_element(body, "first-occurred"),
                        line);
    ++count;
    pos = close;
  }
}

void csexport_xml(Context& ctx, std::string_view text) {
  size_t pos = 0;
  uint64_t line = 1;
  size_t counted_to = 0;
  auto line_at = [&](size_t off) {
    line += static_cast<uint64_t>(std::count(text.begin() + counted_to, text.begin() + off, '\n'));
    counted_to = off;
    return line;
  };
  while ((pos = text.find("<cs-object", pos)) != std::string_view::npos) {
    const size_t after = pos + 10;
    if (after < text.size() && text[after] != ' ' && text[after] != '\t' && text[after] != '\n' &&
        text[after] != '\r' && text[after] != '>') {
      pos = after;  // <cs-objects>
      continue;
    }
    const size_t tag_end = text.find('>', pos);
    if (tag_end == std::string_view::npos) {
      ctx.out.diagnose(HT_DIAG_WARNING, line_at(pos), "truncated csexport XML: <cs-object> cut");
      return;
    }
    const std::string_view tag = text.substr(pos, tag_end - pos);
    size_t close = text.find("</cs-object>", tag_end);
    const bool cut = close == std::string_view::npos;
    if (cut) close = text.size();
    const std::string_view body = text.substr(tag_end + 1, close - tag_end - 1);
    const uint64_t obj_line = line_at(pos);
    const size_t d = body.find("<export-errordetail");
    if (d != std::string_view::npos) {
      const size_t dend = body.find('>', d);
      const std::string_view dtag =
          body.substr(d, (dend == std::string_view::npos ? body.size() : dend) - d);
      Event e;
      e.add("ObjectType", xml_attribute(tag, "object-type"));
      std::string type = xml_attribute(dtag, "error-type");
      if (type.empty()) type = xml_element(body, "error-type");
      if (type.empty()) type = "unknown";
      // The attribute: named in the error, else the pending export's attribute.
      std::string attribute = xml_element(body.substr(d), "attribute-name");
      if (attribute.empty() && icontains(body, "msDS-KeyCredentialLink"))
        attribute = "msDS-KeyCredentialLink";
      std::string date = xml_attribute(dtag, "date-occurred");
      std::string first = xml_attribute(dtag, "first-occurred");
      finish_export_error(ctx, e, xml_attribute(tag, "cs-dn"), type, attribute,
                          std::string(body.substr(d)), date, first, obj_line);
    }
    if (cut) {
      ctx.out.diagnose(HT_DIAG_WARNING, obj_line,
                       "truncated csexport XML: the <cs-object> starting here is not closed");
      return;
    }
    pos = close;
  }
}

// ---- Whole file ---------------------------------------------------------------------

void infer_date_order(Context& ctx, const pstext::Result& r) {
  text::DateOrderInference inference;
  if (!ctx.options.date_order)
    for (const auto& o : r.objects)
      for (const auto& p : o.properties) inference.observe(p.value, o.line);
  const auto decision = inference.decide(ctx.options.date_order);
  ctx.order = decision.order;
  ctx.order_source = text::DateOrderInference::basis_name(decision.basis);
  if (!decision.note.empty()) ctx.out.diagnose(HT_DIAG_INFO, 0, decision.note);
}

// "Start time: 20250929145147" in a Start-Transcript header: the export's local time.
void export_time(Context& ctx, const pstext::Result& r) {
  for (const auto& l : r.text) {
    const std::string_view t = trim(l.text);
    if (!istarts_with(t, "Start time:")) continue;
    const std::string_view v = trim(t.substr(11));
    if (v.size() != 14 || !std::all_of(v.begin(), v.end(), is_digit)) continue;
    auto num = [&](size_t a, size_t n) { return std::stoi(std::string(v.substr(a, n))); };
    const int y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2),
              s = num(12, 2);
    if (!time::valid_civil(y, mo, d, h, mi, s)) continue;
    const int64_t offset = ctx.options.utc_offset.value_or(0);
    ctx.export_time = time::ticks_from_civil(y, mo, d, h, mi, s) - offset;
    ctx.export_flags = HT_TIME_ZONE_ASSUMED | HT_TIME_APPROXIMATE;
    return;
  }
}

bool only_result(const Object& o) {
  return o.properties.size() == 1 && iequals(o.properties[0].name, "Result");
}

}  // namespace

int sniff(std::span<const uint8_t> prefix, std::string_view /*file_name*/) {
  if (prefix.size() >= 7 &&
      std::string_view(reinterpret_cast<const char*>(prefix.data()), 7) == "ElfFile")
    return 0;
  const std::string t = text::decode(prefix);
  // csexport output: certainly ours, though its pending exports name msDS-KeyCredentialLink
  // (which the keycred parser claims at 90).
  if (icontains(t, "<cs-object") && icontains(t, "<export-errordetail")) return 95;
  const bool allowed = icontains(t, "AllowedSyncCycleInterval");
  const bool next = icontains(t, "NextSyncCycleStartTimeInUTC");
  if (allowed && next) return 95;
  if (icontains(t, "RunProfileName") && icontains(t, "ConnectorName")) return 90;
  if (icontains(t, "permission-issue") && icontains(t, "msDS-KeyCredentialLink")) return 85;
  if (icontains(t, "StepResult") && icontains(t, "RunHistoryId")) return 85;
  if (allowed || next || icontains(t, "CurrentlyEffectiveSyncCycleInterval")) return 80;
  if (icontains(t, "<export-errordetail") || icontains(t, "<synchronization-errors")) return 80;
  if ((icontains(t, "ObjectDn") || icontains(t, "DistinguishedName")) && icontains(t, "ErrorType"))
    return 70;
  if (icontains(t, "Start-ADSyncSyncCycle")) return 80;
  if (icontains(t, "AttributeInclusionList") ||
      (icontains(t, "ConnectorTypeName") && icontains(t, "ObjectInclusionList")))
    return 85;
  // `Get-ADSyncRunProfileResult | ft RunProfileName,Result,StartDate` and the like.
  if (icontains(t, "RunProfileName") || icontains(t, "completed-export-errors")) return 75;
  return 0;
}

void parse(std::span<const uint8_t> bytes, const RunOptions& options, Output& out) {
  text::DecodeIssues issues;
  const std::string text = text::decode_checked(bytes, issues);
  if (issues.count) out.diagnose(HT_DIAG_WARNING, 0, issues.message());
  Context ctx{options, out};
  if (text.find("<cs-object") != std::string::npos) {
    csexport_xml(ctx, text);
    if (ctx.emitted == 0) out.diagnose(HT_DIAG_INFO, 0, "csexport XML without export errors");
    return;
  }
  const pstext::Result r = pstext::parse(text);
  for (const auto& p : r.problems) out.diagnose(HT_DIAG_WARNING, p.line, p.message);
  infer_date_order(ctx, r);
  export_time(ctx, r);
  const bool tail_cut = !text.empty() && text.back() != '\n' && text.back() != '\r';
  for (size_t i = 0; i < r.objects.size(); ++i) {
    const Object& o = r.objects[i];
    if (o.properties.empty()) continue;
    const bool last = i + 1 == r.objects.size();
    if (is_scheduler(o)) {
      std::string missing;
      for (const char* f : kSchedulerFields)
        if (!o.has(f) && !o.has(std::string(f) + ".Ticks"))
          missing += std::string(missing.empty() ? "" : ", ") + f;
      const bool cut = !missing.empty() && last && tail_cut;
      if (cut)
        out.diagnose(HT_DIAG_WARNING, o.line,
                     "Get-ADSyncScheduler output cut short (missing " + missing +
                         "): the file looks truncated");
      else if (!missing.empty())
        out.diagnose(HT_DIAG_INFO, o.line,
                     "Get-ADSyncScheduler output without " + missing + " (older build?)");
      scheduler(ctx, o, cut);
    } else if (is_connector(o)) {
      connector(ctx, o);
    } else if (is_run_step(o)) {
      run_step(ctx, o);
    } else if (is_run(o)) {
      std::string missing;
      for (const char* f : kRunFields)
        if (!o.has(f)) missing += std::string(missing.empty() ? "" : ", ") + f;
      const bool cut = !missing.empty() && last && tail_cut;
      if (cut)
        out.diagnose(
            HT_DIAG_WARNING, o.line,
            "run history entry cut short (missing " + missing + "): the file looks truncated");
      run_profile(ctx, o, cut);
    } else if (is_export_error(o)) {
      export_error_object(ctx, o);
    } else if (only_result(o) && (o.command.empty() || icontains(o.command, "SyncCycle"))) {
      cycle_requested(ctx, o.line, o.command, trim(o.properties[0].value), "");
    } else {
      bool xml = false;
      for (const auto& p : o.properties)
        if (p.value.find("<export-error") != std::string::npos) {
          export_errors_in_xml(ctx, p.value, o.line, "", "");
          xml = true;
        }
      if (!xml)
        out.diagnose(HT_DIAG_INFO, o.line,
                     "object not recognized as Entra Connect output (first property '" +
                         o.properties.front().name.substr(0, 60) + "')");
    }
  }
  // Start-ADSyncSyncCycle refused: an error record, or a plain message after the command.
  for (const auto& err : r.errors) {
    const bool start_cmd = icontains(err.command, "Start-ADSyncSyncCycle") ||
                           icontains(err.text, "Start-ADSyncSyncCycle");
    if (!start_cmd) continue;
    const std::string msg = error_message(err.text);
    cycle_requested(ctx, err.line, err.command.empty() ? "Start-ADSyncSyncCycle" : err.command,
                    mentions_busy(err.text) ? "Busy" : "Error", msg);
  }
  for (const auto& l : r.text) {
    if (pstext::prompt_command(l.text)) continue;
    if (mentions_busy(l.text) && icontains(l.text, "sync"))
      cycle_requested(ctx, l.line, "", "Busy", std::string(trim(l.text)));
  }
  if (ctx.emitted == 0)
    out.diagnose(HT_DIAG_INFO, 0, "no Entra Connect output recognized in this file");
}

}  // namespace hellotrace::entra_sync
