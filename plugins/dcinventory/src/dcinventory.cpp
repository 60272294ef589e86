#include "dcinventory.hpp"

#include <fmt/format.h>

#include <charconv>
#include <hellotrace/analysis_findings.hpp>
#include <hellotrace/pstext/pstext.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <map>
#include <vector>

namespace hellotrace::dcinventory {

namespace {

using nlohmann::json;
using pstext::Object;
using text::icontains;
using text::iequals;
using text::trim;

// Microsoft, "Windows Hello for Business known deployment issues": "Hybrid key trust logon
// broken due to user public key deletion" (Server 2016 14393.3930–.4048, fixed in
// 14393.4104 KB4593226; Server 2019 17763.1457–.1613, fixed in 17763.1637 KB4592440) and
// "Key trust authentication broken for Windows Server 2019" (fixed in 17763.316, KB4487044).
constexpr Defect kDefects[] = {
    {14393, 3930, 4048,
     "deletes the user's Windows Hello key from msDS-KeyCredentialLink after the first sign-in, "
     "so the next sign-ins fail until the key is synced again",
     "14393.4104", "KB4593226"},
    {17763, 1457, 1613,
     "deletes the user's Windows Hello key from msDS-KeyCredentialLink after the first sign-in, "
     "so the next sign-ins fail until the key is synced again",
     "17763.1637", "KB4592440"},
    {17763, 0, 315,
     "refuses key trust sign-in with KDC_ERR_CLIENT_NAME_MISMATCH (0x4B) even when the key is "
     "in msDS-KeyCredentialLink",
     "17763.316", "KB4487044"},
};

struct Release {
  int build;
  std::string_view name;
};
constexpr Release kReleases[] = {
    {6001, "Windows Server 2008"},    {6002, "Windows Server 2008"},
    {7600, "Windows Server 2008 R2"}, {7601, "Windows Server 2008 R2"},
    {9200, "Windows Server 2012"},    {9600, "Windows Server 2012 R2"},
    {14393, "Windows Server 2016"},   {17763, "Windows Server 2019"},
    {20348, "Windows Server 2022"},   {26100, "Windows Server 2025"},
};

std::optional<int> number(std::string_view s) {
  s = trim(s);
  int n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// UBR as reg query / Get-ItemProperty / JSON write it: "1613", "0x64d".
std::optional<int> ubr_of(std::string_view s) {
  s = trim(s);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    int n = 0;
    const auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), n, 16);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
  }
  return number(s);
}

const std::string* first_of(const Object& o, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (const std::string* v = o.get(n); v && !trim(*v).empty()) return v;
  return nullptr;
}

// Get-ADDomainController: a DC object (HostName or Name, an OS version, and one of the
// DC-only properties).
bool is_dc(const Object& o) {
  return first_of(o, {"HostName", "Name"}) &&
         first_of(o, {"OperatingSystemVersion", "OperatingSystem"}) &&
         (o.has("IsReadOnly") || o.has("NTDSSettingsObjectDN") || o.has("IsGlobalCatalog") ||
          o.has("OperationMasterRoles"));
}

// HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion as Get-ItemProperty prints it (through
// Invoke-Command, so PSComputerName names the machine).
bool is_version(const Object& o) { return o.has("CurrentBuild") || o.has("CurrentBuildNumber"); }

void add_build(Event& e, std::optional<int> build, std::optional<int> ubr) {
  if (!build) return;
  e.add("Build", std::to_string(*build));
  if (ubr) e.add("Ubr", std::to_string(*ubr));
  if (auto r = release_of(*build); !r.empty()) e.add("Release", std::string(r));
}

void dc_event(const Object& o, sdk::EventSink& out) {
  Event e;
  e.kind = "dc.inventory";
  e.origin.line = o.line;
  for (const auto& p : o.properties) e.add(p.name, p.value);
  const std::string* host = first_of(o, {"HostName", "DNSHostName", "Name"});
  e.subject.device_name = std::string(trim(*host));
  const std::string* version = o.get("OperatingSystemVersion");
  const auto build = version ? build_of(*version) : std::nullopt;
  if (version && !build)
    out.warning({o.line, HT_NO_NUMBER, HT_NO_NUMBER},
                "unreadable OperatingSystemVersion '" + std::string(trim(*version)).substr(0, 60) +
                    "' of " + e.subject.device_name);
  add_build(e, build, std::nullopt);
  if (const std::string* ro = o.get("IsReadOnly")) {
    const std::string_view v = trim(*ro);
    if (iequals(v, "true") || iequals(v, "false"))
      e.add("ReadOnly", iequals(v, "true") ? "True" : "False");
  }
  out.emit(e);
}

void version_event(const Object& o, sdk::EventSink& out) {
  Event e;
  e.kind = "os.version";
  e.origin.line = o.line;
  for (const auto& p : o.properties) e.add(p.name, p.value);
  if (const std::string* host = first_of(o, {"PSComputerName", "CSName", "ComputerName"}))
    e.subject.device_name = std::string(trim(*host));
  const std::string* cb = first_of(o, {"CurrentBuild", "CurrentBuildNumber"});
  const auto build = cb ? number(*cb) : std::nullopt;
  const std::string* ubr_text = o.get("UBR");
  const auto ubr = ubr_text ? ubr_of(*ubr_text) : std::nullopt;
  if ((cb && !build) || (ubr_text && !trim(*ubr_text).empty() && !ubr))
    out.warning({o.line, HT_NO_NUMBER, HT_NO_NUMBER},
                "unreadable CurrentBuild/UBR ('" +
                    (cb ? std::string(trim(*cb)).substr(0, 30) : "") + "', '" +
                    (ubr_text ? std::string(trim(*ubr_text)).substr(0, 30) : "") + "')");
  add_build(e, build, ubr);
  out.emit(e);
}

}  // namespace

std::optional<int> build_of(std::string_view v) {
  v = trim(v);
  // "10.0 (17763)": the build in parentheses.
  if (const size_t open = v.find('('); open != std::string_view::npos) {
    const size_t close = v.find(')', open);
    if (close == std::string_view::npos) return std::nullopt;
    return number(v.substr(open + 1, close - open - 1));
  }
  // "10.0.17763[.1613]": the third part; a bare number is the build itself.
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= v.size(); ++i)
    if (i == v.size() || v[i] == '.') {
      parts.push_back(v.substr(start, i - start));
      start = i + 1;
    }
  if (parts.size() == 1) return number(parts[0]);
  if (parts.size() >= 3) return number(parts[2]);
  return std::nullopt;
}

std::string_view release_of(int build) {
  for (const auto& r : kReleases)
    if (r.build == build) return r.name;
  return {};
}

const Defect* defect_of(int build, int ubr) {
  for (const auto& d : kDefects)
    if (d.build == build && ubr >= d.ubr_from && ubr <= d.ubr_to) return &d;
  return nullptr;
}

int sniff(std::span<const uint8_t> prefix, std::string_view /*file_name*/) {
  const std::string t = text::decode(prefix);
  const bool os_version = icontains(t, "OperatingSystemVersion");
  if (os_version && (icontains(t, "IsReadOnly") || icontains(t, "NTDSSettingsObjectDN"))) return 90;
  if (icontains(t, "#TYPE Microsoft.ActiveDirectory.Management.ADDomainController")) return 80;
  if (icontains(t, "CurrentBuild") && icontains(t, "UBR")) return 80;
  return 0;
}

void parse(std::span<const uint8_t> bytes, sdk::EventSink& out) {
  const pstext::Result r = pstext::parse(text::decode_reporting(bytes, out));
  for (const auto& p : r.problems) out.warning({p.line, HT_NO_NUMBER, HT_NO_NUMBER}, p.message);
  size_t used = 0;
  for (const Object& o : r.objects) {
    if (o.properties.empty()) continue;
    if (is_dc(o)) {
      dc_event(o, out);
      ++used;
    } else if (is_version(o)) {
      version_event(o, out);
      ++used;
    } else {
      out.info({o.line, HT_NO_NUMBER, HT_NO_NUMBER},
               "object is neither a domain controller nor a Windows version (first property '" +
                   o.properties.front().name.substr(0, 60) + "')");
    }
  }
  if (used == 0)
    out.info({}, "no Get-ADDomainController or CurrentVersion output recognized in this file");
}

// ---- Analyzer -------------------------------------------------------------------------

namespace {

// "DC01.corp.contoso.com" and "DC01" are the same machine.
std::string short_name(std::string_view host) {
  host = trim(host);
  return text::to_lower(host.substr(0, host.find('.')));
}

json dc_evidence(const json& ev) {
  return analysis::evidence_of(ev,
                               {"HostName", "OperatingSystem", "OperatingSystemVersion",
                                "IsReadOnly", "Site", "Build", "Ubr"},
                               "dcinventory");
}
json version_evidence(const json& ev) {
  return analysis::evidence_of(
      ev, {"PSComputerName", "ProductName", "CurrentBuild", "UBR", "Build", "Ubr"}, "dcinventory");
}

json finding(const char* rule, const char* title, const std::string& device) {
  return {{"rule", rule},
          {"severity", "high"},
          {"title", title},
          {"category", "signin"},
          {"user", analysis::no_user()},
          {"device", {{"name", device.empty() ? json() : json(device)}, {"id", nullptr}}},
          {"tenant", nullptr},
          {"evidence", json::array()},
          {"details", json::object()}};
}

constexpr const char* kDocIssues =
    "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/"
    "hello-deployment-issues";

// The name of the device the host gave an event that names none itself: a local
// Get-ItemProperty export belongs to the only machine its folder's other files name.
std::string resolved_device_name(const json& input, const json& ev) {
  auto d = ev.find("device");
  auto ids = input.find("identities");
  if (d == ev.end() || !d->is_number_integer() || ids == input.end() || !ids->is_array()) return {};
  for (const auto& id : *ids)
    if (id.is_object() && id.value("index", -1) == d->get<int>())
      return analysis::member(id, "device_name");
  return {};
}

struct Dc {
  const json* inventory = nullptr;
  const json* version = nullptr;  // an os.version export of the same machine
};

void build_affected(const std::string& host, const Dc& dc, sdk::OutputSink& out) {
  const auto build = number(analysis::event_field(*dc.inventory, "Build"));
  if (!build || !dc.version) return;
  const auto vbuild = number(analysis::event_field(*dc.version, "Build"));
  const auto ubr = number(analysis::event_field(*dc.version, "Ubr"));
  if (!vbuild || *vbuild != *build || !ubr) return;  // the UBR must be of this build
  const Defect* d = defect_of(*build, *ubr);
  if (!d) return;
  json f = finding("signin.dc_build_affected",
                   "Domain controller runs a build with a key trust defect", host);
  f["summary"] = fmt::format(
      "domain controller {} runs {} build {}.{}, which {}: Windows Hello for Business key trust "
      "sign-ins it answers fail",
      host, release_of(*build), *build, *ubr, d->effect);
  f["remediation"] = fmt::format(
      "Install the latest cumulative update on {} (the defect is fixed in build {}, {}, and "
      "later), check with 'reg query \"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\" /v "
      "UBR' on the DC, and update every other DC of the same release: with a mix of builds the "
      "failures look intermittent, depending on which DC answers. Keys deleted by the defect come "
      "back with the next Entra Connect sync cycle.",
      host, d->fixed_in, d->update);
  f["documentation"] = kDocIssues;
  f["details"] = {{"build", fmt::format("{}.{}", *build, *ubr)},
                  {"fixed_in", d->fixed_in},
                  {"update", d->update}};
  f["evidence"].push_back(dc_evidence(*dc.inventory));
  f["evidence"].push_back(version_evidence(*dc.version));
  out.finding(f);
}

void no_capable_dc(const std::map<std::string, Dc>& dcs, sdk::OutputSink& out) {
  if (dcs.empty()) return;
  std::string list;
  for (const auto& [host, dc] : dcs) {
    const auto build = number(analysis::event_field(*dc.inventory, "Build"));
    const std::string ro = analysis::event_field(*dc.inventory, "ReadOnly");
    if (!build || ro.empty()) return;  // cannot tell: never guess a blocker
    if (*build >= kFirstKeyTrustBuild && ro == "False") return;
    if (!list.empty()) list += ", ";
    list += fmt::format("{} ({}{})", analysis::member(dc.inventory->at("subject"), "device_name"),
                        release_of(*build).empty() ? "build " + std::to_string(*build)
                                                   : std::string(release_of(*build)),
                        ro == "True" ? ", read-only" : "");
  }
  json f = finding("signin.no_capable_dc",
                   "No writable Windows Server 2016 or later domain controller", "");
  f["summary"] = fmt::format(
      "none of the {} domain controllers in the inventory is a writable Windows Server 2016 or "
      "later DC ({}): key trust sign-in needs one to validate the Windows Hello key",
      dcs.size(), list);
  f["remediation"] =
      "Add (or upgrade to) at least one writable domain controller running Windows Server 2016 "
      "or later in each site where users sign in with Windows Hello for Business, with a KDC "
      "certificate ('Kerberos Authentication' template); read-only DCs and older releases cannot "
      "validate key trust sign-ins. Check the list with 'Get-ADDomainController -Filter * | "
      "Select-Object HostName, OperatingSystem, OperatingSystemVersion, IsReadOnly, Site'.";
  f["documentation"] =
      "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/"
      "deploy/requirements";
  size_t n = 0;
  for (const auto& [host, dc] : dcs)
    if (n++ < 20) f["evidence"].push_back(dc_evidence(*dc.inventory));
  out.finding(f);
}

}  // namespace

void analyze(const json& input, sdk::OutputSink& out) {
  auto events = input.find("events");
  if (events == input.end() || !events->is_array()) return;
  std::map<std::string, Dc> dcs;
  std::map<std::string, const json*> versions;
  for (const auto& ev : *events) {
    if (!ev.is_object() || !ev.contains("subject") || !ev["subject"].is_object()) continue;
    std::string host = short_name(analysis::member(ev["subject"], "device_name"));
    if (host.empty()) host = short_name(resolved_device_name(input, ev));
    if (host.empty()) continue;
    const std::string kind = analysis::member(ev, "kind");
    if (kind == "dc.inventory")
      dcs[host].inventory = &ev;  // the latest export of a DC wins
    else if (kind == "os.version")
      versions[host] = &ev;
  }
  for (auto& [host, dc] : dcs)
    if (auto v = versions.find(host); v != versions.end()) dc.version = v->second;
  for (const auto& [host, dc] : dcs)
    build_affected(analysis::member(dc.inventory->at("subject"), "device_name"), dc, out);
  no_capable_dc(dcs, out);
}

}  // namespace hellotrace::dcinventory
