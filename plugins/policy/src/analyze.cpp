// The effective Windows Hello for Business policy per device, from policy.setting and
// policy.export events, and the findings policy.not_enabled,
// policy.hardware_not_required and policy.gpo_overrides_intune.
//
// Precedence (learn.microsoft.com, "Configure Windows Hello for Business", Policy
// precedence): user GPO, then computer GPO, then user PassportForWork CSP, then device
// PassportForWork CSP; a user policy wins over the computer policy. And ("Policy
// conflicts from multiple policy sources"): when Group Policy configures any Windows
// Hello for Business setting, the PassportForWork CSP settings are not applied until
// every Group Policy setting is cleared. So the effective policy is Group Policy alone
// when it sets anything, Intune alone otherwise — never a mix per setting.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <hellotrace/text/text.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "policy.hpp"

namespace hellotrace::policy {

namespace {

using nlohmann::json;

constexpr const char* kDocConfigure =
    "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/"
    "configure";
constexpr const char* kDocCsp =
    "https://learn.microsoft.com/windows/client-management/mdm/passportforwork-csp";
constexpr const char* kGpoUse =
    "Computer Configuration > Administrative Templates > Windows Components > Windows Hello "
    "for Business > Use Windows Hello for Business";
constexpr const char* kGpoHardware =
    "Computer Configuration > Administrative Templates > Windows Components > Windows Hello "
    "for Business > Use a hardware security device";

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string field(const json& ev, const char* name) {
  auto f = ev.find("fields");
  if (f == ev.end() || !f->is_object()) return {};
  return str(*f, name);
}

// A policy value as a number: DWORD text, or True/False where PowerShell printed a bool.
std::optional<uint64_t> number(std::string v) {
  v = std::string(text::trim(v));
  if (text::iequals(v, "true")) return 1;
  if (text::iequals(v, "false")) return 0;
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

bool same_value(const std::string& a, const std::string& b) {
  const auto x = number(a), y = number(b);
  if (x && y) return *x == *y;
  return text::iequals(text::trim(a), text::trim(b));
}

json evidence(const json& ev, std::initializer_list<const char*> names) {
  std::string excerpt;
  for (const char* n : names) {
    const std::string v = field(ev, n);
    if (v.empty()) continue;
    if (!excerpt.empty()) excerpt += "; ";
    excerpt += std::string(n) + "=" + v;
  }
  json out = json::object();
  for (const char* k : {"file", "line", "offset", "record", "time", "source", "kind", "event_id"})
    out[k] = ev.contains(k) ? ev[k] : json();
  if (!out["file"].is_string()) out["file"] = "";
  if (!out["source"].is_string()) out["source"] = "policy";
  out["excerpt"] = excerpt;
  return out;
}

json setting_evidence(const json& ev) {
  return evidence(
      ev, {"Setting", "Value", "Source", "Scope", "Path", "ValueName", "TenantId", "Gpo", "User"});
}
json export_evidence(const json& ev) {
  return evidence(ev, {"Format", "Covers", "Roots", "Settings"});
}

// One policy area in precedence order.
struct AreaRef {
  const char* source;
  const char* scope;
};
constexpr AreaRef kGpoUser{"gpo", "user"}, kGpoMachine{"gpo", "machine"},
    kIntuneUser{"intune", "user"}, kIntuneMachine{"intune", "machine"};

// A user context: the policies one person gets. nullopt: a user without own user policy.
// The person is a user SID (HKEY_USERS, Intune per-user keys), an account as gpresult
// names it (CONTOSO\alice, User field), or "" for an HKCU export.
using Context = std::optional<std::string>;

// The context a user-scope setting belongs to.
std::string context_of(const json& ev) {
  const std::string sid = ev.contains("subject") ? str(ev["subject"], "user_sid") : "";
  return sid.empty() ? field(ev, "User") : sid;
}

std::string context_label(const Context& c) {
  if (!c) return "every user without a user policy";
  if (c->empty()) return "the user of the HKCU export";
  return "user " + *c;
}

struct Resolved {
  const json* event = nullptr;          // the winning setting, or null when none is set
  std::vector<std::string> unexported;  // areas before the winner that no export covers
  bool any_covered = false;             // some area of the order is covered by an export
};

struct Device {
  std::vector<const json*> exports, settings, prereq;
  std::set<std::string> covers;  // area ids from policy.export Covers

  bool covered(const AreaRef& a, const Context& c) const {
    if (std::string_view(a.source) == "intune") return covers.count("intune") > 0;
    if (std::string_view(a.scope) == "machine") return covers.count("gpo.machine") > 0;
    if (!c) return false;
    return covers.count(c->empty() ? "gpo.user" : "gpo.user:" + *c) > 0;
  }

  // The last event (input order) of `setting` in area `a` for context `c`.
  const json* find(const AreaRef& a, const Context& c, const std::string& setting) const {
    const json* found = nullptr;
    for (const json* e : settings) {
      if (field(*e, "Setting") != setting || field(*e, "Source") != a.source ||
          field(*e, "Scope") != a.scope)
        continue;
      if (std::string_view(a.scope) == "user") {
        if (!c) continue;
        if (!text::iequals(context_of(*e), *c)) continue;
      }
      found = e;
    }
    return found;
  }

  Resolved resolve(const Context& c, const std::string& setting,
                   std::initializer_list<AreaRef> order) const {
    Resolved r;
    for (const AreaRef& a : order) {
      if (std::string_view(a.scope) == "user" && !c) continue;
      if (const json* e = find(a, c, setting)) {
        r.event = e;
        r.any_covered = true;
        return r;
      }
      if (!covered(a, c))
        r.unexported.push_back(std::string(a.source) + "." + a.scope);
      else
        r.any_covered = true;
    }
    return r;
  }
  // Does Group Policy configure any WHfB setting for this context (its user policy or
  // the computer policy)? Then every Intune value is ignored.
  bool gpo_configures(const Context& c) const {
    for (const json* e : settings) {
      if (field(*e, "Source") != "gpo") continue;
      if (field(*e, "Scope") == "machine") return true;
      if (c && text::iequals(context_of(*e), *c)) return true;
    }
    return false;
  }
  Resolved effective(const Context& c, const std::string& setting) const {
    if (gpo_configures(c)) {
      Resolved r = resolve(c, setting, {kGpoUser, kGpoMachine});
      r.any_covered = true;  // Group Policy is in force: an unset value is unset
      return r;
    }
    return resolve(c, setting, {kGpoUser, kGpoMachine, kIntuneUser, kIntuneMachine});
  }

  // The people whose policy is evaluated: those with user-scope settings or an exported
  // user policy key, or else the machine policy alone (every user gets it).
  std::vector<Context> contexts() const {
    std::vector<Context> out;
    auto add = [&](const std::string& sid) {
      if (std::find(out.begin(), out.end(), Context(sid)) == out.end()) out.push_back(sid);
    };
    for (const json* e : settings)
      if (field(*e, "Scope") == "user") add(context_of(*e));
    for (const auto& a : covers)
      if (a == "gpo.user")
        add("");
      else if (a.rfind("gpo.user:", 0) == 0)
        add(a.substr(9));
    if (out.empty()) out.push_back(std::nullopt);
    return out;
  }
};

struct Who {
  json device = {{"name", nullptr}, {"id", nullptr}};
  std::string label;  // for summaries
  json tenant = nullptr;
};

bool by_sid(const std::string& context) { return text::istarts_with(context, "S-1-"); }

// The run's identity of the person of a user context (by SID, or by the account
// gpresult names), or null when the run does not know them.
const json* identity_of(const json& input, const Context& c) {
  if (!c || c->empty()) return nullptr;
  const char* key = by_sid(*c) ? "sid" : "sam";
  if (auto ids = input.find("identities"); ids != input.end() && ids->is_array())
    for (const auto& id : *ids)
      if (str(id, "type") == "user" && text::iequals(str(id, key), *c)) return &id;
  return nullptr;
}

json user_of(const json& input, const Context& c) {
  json u = {{"upn", nullptr}, {"sid", nullptr}, {"dn", nullptr}, {"sam", nullptr}};
  if (!c || c->empty()) return u;
  u[by_sid(*c) ? "sid" : "sam"] = *c;
  if (const json* id = identity_of(input, c))
    for (const char* k : {"upn", "dn", "sam", "sid"})
      if (!str(*id, k).empty()) u[k] = str(*id, k);
  return u;
}

Who who_of(const json& input, int index, const Device& d) {
  Who w;
  if (index >= 0)
    if (auto ids = input.find("identities"); ids != input.end() && ids->is_array())
      for (const auto& id : *ids)
        if (id.value("index", -1) == index) {
          if (!str(id, "device_name").empty()) w.device["name"] = str(id, "device_name");
          if (!str(id, "device_id").empty()) w.device["id"] = str(id, "device_id");
          if (!str(id, "tenant_id").empty()) w.tenant = str(id, "tenant_id");
          w.label = !str(id, "device_name").empty() ? str(id, "device_name")
                    : !str(id, "display").empty()   ? str(id, "display")
                                                    : str(id, "device_id");
        }
  if (w.label.empty()) {
    const std::string file = d.exports.empty() ? "" : str(*d.exports.front(), "file");
    w.label = file.empty() ? "The unattributed device" : "The device of " + file;
  }
  return w;
}

std::string describe(const json& ev) {
  const std::string gpo = field(ev, "Gpo");  // gpresult names the GPO that set it
  return fmt::format("{}={} ({}-scope {}{} at {})", field(ev, "ValueName"), field(ev, "Value"),
                     field(ev, "Scope"), field(ev, "Source") == "gpo" ? "Group Policy" : "Intune",
                     gpo.empty() ? "" : " from GPO '" + gpo + "'", field(ev, "Path"));
}

json base_finding(const char* rule, const char* severity, const char* title, const Who& w,
                  const json& user) {
  return {{"rule", rule},
          {"severity", severity},
          {"title", title},
          {"category", "policy"},
          {"user", user},
          {"device", w.device},
          {"tenant", w.tenant},
          {"evidence", json::array()},
          {"details", json::object()}};
}

void not_enabled(const json& input, const Device& d, const Who& w, sdk::OutputSink& out) {
  if (d.covers.empty()) return;  // no export of the policy keys: unknown, not "disabled"
  for (const Context& c : d.contexts()) {
    const Resolved r = d.effective(c, "UsePassportForWork");
    if (!r.any_covered) continue;  // nothing exported could set it for this context
    if (r.event) {
      const auto v = number(field(*r.event, "Value"));
      if (!v || *v != 0) continue;  // enabled (non-zero)
    }
    json f =
        base_finding("policy.not_enabled", "high",
                     "Windows Hello for Business is not enabled by policy", w, user_of(input, c));
    const std::string who = c ? " for " + context_label(c) : "";
    if (r.event) {
      f["summary"] = fmt::format(
          "{}: the effective 'Use Windows Hello for Business' policy{} is disabled by {}, so "
          "Windows Hello for Business is not provisioned",
          w.label, who, describe(*r.event));
      f["evidence"].push_back(setting_evidence(*r.event));
      f["details"]["value"] = field(*r.event, "Value");
      f["details"]["source"] = field(*r.event, "Source");
      f["details"]["scope"] = field(*r.event, "Scope");
      f["details"]["path"] = field(*r.event, "Path");
    } else {
      std::string covers;
      for (const auto& a : d.covers) covers += (covers.empty() ? "" : ", ") + a;
      f["summary"] = fmt::format(
          "{}: the exported policy ({}) does not set 'Use Windows Hello for Business'{} "
          "(Enabled / UsePassportForWork absent), so Windows Hello for Business is not "
          "provisioned",
          w.label, covers, who);
      f["details"]["value"] = nullptr;
    }
    for (const json* e : d.exports)
      if (field(*e, "CoversPassportForWork") == "true")
        f["evidence"].push_back(export_evidence(*e));
    // The prerequisite check, when present, says what the device itself concluded.
    for (const json* p : d.prereq)
      for (const char* name : {"NgcPolicyEnabled", "PolicyEnabled"})
        if (!field(*p, name).empty()) {
          f["details"]["prereq_" + std::string(name)] = field(*p, name);
          f["evidence"].push_back(evidence(*p, {name}));
        }
    f["details"]["setting"] = "UsePassportForWork";
    f["details"]["context"] = context_label(c);
    f["details"]["areas_not_exported"] = r.unexported;
    // gpresult names the GPO that disables it: say which one to change.
    const std::string gpo = r.event ? field(*r.event, "Gpo") : "";
    f["remediation"] = fmt::format(
        "{}Enable '{}' (registry HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork Enabled = 1; "
        "the same setting under User Configuration applies per user and takes precedence, so a "
        "user policy set to Disabled must be removed), or in Intune set the Settings catalog "
        "'Windows Hello for Business > Use Windows Hello For Business' = true "
        "(./Device/Vendor/MSFT/PassportForWork/{{TenantId}}/Policies/UsePassportForWork). Then "
        "run 'gpupdate /force' (or sync the device in Intune), sign out and in, and check that "
        "'dsregcmd /status' shows PolicyEnabled : YES under Ngc Prerequisite Check.",
        gpo.empty() ? std::string()
                    : fmt::format("The GPO '{}' sets 'Use Windows Hello for Business' to Disabled "
                                  "({} Configuration): set it to Not Configured or Enabled, or "
                                  "stop it from applying. ",
                                  gpo, field(*r.event, "Scope") == "user" ? "User" : "Computer"),
        kGpoUse);
    f["documentation"] = kDocConfigure;
    out.finding(f);
  }
}

void hardware_not_required(const json& input, const Device& d, const Who& w, sdk::OutputSink& out) {
  for (const Context& c : d.contexts()) {
    const Resolved use = d.effective(c, "UsePassportForWork");
    if (!use.event) continue;
    const auto enabled = number(field(*use.event, "Value"));
    if (!enabled || *enabled == 0) continue;
    const Resolved hw = d.effective(c, "RequireSecurityDevice");
    if (hw.event) {
      const auto v = number(field(*hw.event, "Value"));
      if (v && *v == 1) continue;
    }
    json f =
        base_finding("policy.hardware_not_required", "info",
                     "Windows Hello for Business does not require a TPM", w, user_of(input, c));
    const std::string who = c ? " for " + context_label(c) : "";
    f["summary"] = fmt::format(
        "{}: Windows Hello for Business is enabled{} ({}) but RequireSecurityDevice is {}, so "
        "keys fall back to software when the TPM is unusable",
        w.label, who, describe(*use.event),
        hw.event ? "set to " + field(*hw.event, "Value") + " (" + field(*hw.event, "Path") + ")"
                 : "not set");
    f["evidence"].push_back(setting_evidence(*use.event));
    if (hw.event)
      f["evidence"].push_back(setting_evidence(*hw.event));
    else
      for (const json* e : d.exports)
        if (field(*e, "CoversPassportForWork") == "true")
          f["evidence"].push_back(export_evidence(*e));
    f["details"] = {{"setting", "RequireSecurityDevice"},
                    {"value", hw.event ? json(field(*hw.event, "Value")) : json()},
                    {"context", context_label(c)},
                    {"areas_not_exported", hw.unexported}};
    f["remediation"] = fmt::format(
        "Enable '{}' (HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork RequireSecurityDevice "
        "= 1) or in Intune set 'Windows Hello for Business > Require Security Device' = true "
        "(./Device/Vendor/MSFT/PassportForWork/{{TenantId}}/Policies/RequireSecurityDevice); run "
        "'gpupdate /force' or sync the device. Containers already provisioned in software keep "
        "their keys: remove them with 'certutil -DeleteHelloContainer' and sign out and in to "
        "re-provision on the TPM; check with 'dsregcmd /status' (KeyProvider, DeviceEligible).",
        kGpoHardware);
    f["documentation"] = kDocCsp;
    out.finding(f);
  }
}

// Does the host take phase statements back (docs/PLUGINS.md)?
bool accepts_phases(const json& input) {
  auto it = input.find("accepts");
  if (it == input.end() || !it->is_array()) return false;
  return std::find(it->begin(), it->end(), json("phase")) != it->end();
}

// The "WHfB policy applied" phase as the effective policy says it: done when
// UsePassportForWork is on, failed when an export shows it off or unset. A person the
// run knows gets a statement of their own; the other contexts (the machine policy,
// people the exports name but no other source does) give one statement for the device
// when they agree. The host keeps a statement only where no event (dsregcmd, event
// 358/360) covered the phase.
void policy_phase(const json& input, const Device& d, const Who& w, sdk::OutputSink& out) {
  if (!accepts_phases(input)) return;
  struct Said {
    bool enabled;
    bool machine;  // the machine policy's own context (every user without a user policy)
    json statement;
  };
  std::vector<json> personal;
  std::vector<Said> device_wide;
  std::vector<Context> contexts = d.contexts();
  if (contexts.front()) contexts.push_back(std::nullopt);  // everyone else gets the machine's
  for (const Context& c : contexts) {
    const Resolved r = d.effective(c, "UsePassportForWork");
    if (!r.any_covered) continue;  // no export says anything for this context
    const auto v = r.event ? number(field(*r.event, "Value")) : std::nullopt;
    const bool enabled = v && *v != 0;
    const std::string who = c ? " for " + context_label(c) : "";
    json st = {
        {"phase", "policy"},
        {"state", enabled ? "done" : "failed"},
        {"note", r.event ? fmt::format("Use Windows Hello for Business {}{} by {}",
                                       enabled ? "enabled" : "disabled", who, describe(*r.event))
                         : "Use Windows Hello for Business is not set" + who +
                               " by the exported policy, so it is off"},
        {"user", user_of(input, std::nullopt)},
        {"device", w.device},
        {"evidence", json::array()}};
    if (r.event) {
      st["evidence"].push_back(setting_evidence(*r.event));
    } else {
      for (const json* e : d.exports)
        if (field(*e, "CoversPassportForWork") == "true") {
          st["evidence"].push_back(export_evidence(*e));
          break;
        }
    }
    if (st["evidence"].empty()) continue;
    if (identity_of(input, c)) {
      st["user"] = user_of(input, c);
      personal.push_back(std::move(st));
    } else {
      device_wide.push_back({enabled, !c.has_value(), std::move(st)});
    }
  }
  for (const json& st : personal) out.finding(st);
  const bool placed = !w.device["name"].is_null() || !w.device["id"].is_null();
  if (!placed || device_wide.empty()) return;
  for (const Said& s : device_wide)
    if (s.enabled != device_wide.front().enabled) return;  // they disagree: say nothing
  // Said for the device: in the machine policy's words when it has a say.
  const auto machine =
      std::find_if(device_wide.begin(), device_wide.end(), [](const Said& s) { return s.machine; });
  out.finding((machine != device_wide.end() ? *machine : device_wide.front()).statement);
}

// Group Policy configures some WHfB setting, so Windows ignores every Intune
// (PassportForWork CSP) value on the device — also the ones Group Policy does not set.
// Reported when that changes something: an Intune value that differs from the effective
// (Group Policy) value or that Group Policy leaves unset.
void gpo_overrides_intune(const Device& d, const Who& w, sdk::OutputSink& out) {
  std::vector<Context> contexts = d.contexts();
  if (contexts.front()) contexts.push_back(std::nullopt);  // the machine policies too
  json ignored = json::array();
  json evidence_items = json::array();
  std::vector<std::string> listed;
  std::set<const json*> seen;
  std::set<const json*> cited_gpo;
  size_t with_effect = 0;
  json tenant = w.tenant;
  for (const Context& c : contexts) {
    if (!d.gpo_configures(c)) continue;
    for (const json* e : d.settings) {
      if (field(*e, "Source") != "intune" || !seen.insert(e).second) continue;
      if (field(*e, "Scope") == "user" && (!c || !text::iequals(context_of(*e), *c))) continue;
      const std::string s = field(*e, "Setting");
      const Resolved g = d.resolve(c, s, {kGpoUser, kGpoMachine});
      const bool changes = !g.event || !same_value(field(*g.event, "Value"), field(*e, "Value"));
      with_effect += changes;
      ignored.push_back({{"setting", s},
                         {"intune_value", field(*e, "Value")},
                         {"intune_path", field(*e, "Path")},
                         {"gpo_value", g.event ? json(field(*g.event, "Value")) : json()},
                         {"gpo", g.event ? json(field(*g.event, "Gpo")) : json()},
                         {"gpo_path", g.event ? json(field(*g.event, "Path")) : json()},
                         {"effective", g.event ? json(field(*g.event, "Value")) : json("not set")},
                         {"context", context_label(c)}});
      listed.push_back(fmt::format("{}={} (Group Policy: {})", s, field(*e, "Value"),
                                   g.event ? field(*g.event, "Value") : "not set"));
      evidence_items.push_back(setting_evidence(*e));
      if (g.event && cited_gpo.insert(g.event).second)
        evidence_items.push_back(setting_evidence(*g.event));
      if (tenant.is_null() && !field(*e, "TenantId").empty()) tenant = field(*e, "TenantId");
    }
  }
  if (with_effect == 0) return;
  size_t gpo_count = 0;
  for (const json* e : d.settings) gpo_count += field(*e, "Source") == "gpo";
  std::string list;
  for (const auto& x : listed) list += (list.empty() ? "" : "; ") + x;
  json f = base_finding("policy.gpo_overrides_intune", "medium",
                        "Group Policy overrides the Intune Windows Hello for Business policy", w,
                        user_of(json::object(), std::nullopt));
  f["tenant"] = tenant;
  f["summary"] = fmt::format(
      "{}: Group Policy configures {} Windows Hello for Business setting(s), so Windows ignores "
      "all {} Intune value(s) until every Group Policy setting is cleared: {}",
      w.label, gpo_count, ignored.size(), list);
  f["evidence"] = evidence_items;
  f["details"] = {{"ignored_intune_values", ignored}, {"changes_effective_policy", with_effect}};
  f["remediation"] =
      "Manage Windows Hello for Business from one channel (Microsoft: Group Policy and the "
      "PassportForWork CSP must not be mixed; MDMWinsOverGP does not apply to it). Either set "
      "every Windows Hello for Business Group Policy setting to Not Configured / unlink the GPO "
      "(Computer and User Configuration > Administrative Templates > Windows Components > "
      "Windows Hello for Business) so that the Intune policy applies, or configure the values "
      "you need in Group Policy and remove the Intune policy. Then run 'gpupdate /force', sync "
      "the device in Intune, and verify with 'reg query "
      "HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork /s' and 'dsregcmd /status'.";
  f["documentation"] =
      "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/"
      "configure#policy-conflicts-from-multiple-policy-sources";
  out.finding(f);
}

}  // namespace

void analyze(const json& input, sdk::OutputSink& out) {
  std::map<int, Device> devices;  // by device identity index; -1: events without a device
  auto events = input.find("events");
  if (events == input.end() || !events->is_array()) return;
  for (const auto& ev : *events) {
    if (!ev.is_object()) continue;
    const int index =
        ev.contains("device") && ev["device"].is_number_integer() ? ev["device"].get<int>() : -1;
    const std::string kind = str(ev, "kind");
    Device& d = devices[index];
    if (kind == "policy.setting") {
      d.settings.push_back(&ev);
    } else if (kind == "policy.export") {
      d.exports.push_back(&ev);
      const std::string covers = field(ev, "Covers");
      size_t start = 0;
      for (size_t i = 0; i <= covers.size(); ++i)
        if (i == covers.size() || covers[i] == ',') {
          const auto id = text::trim(std::string_view(covers).substr(start, i - start));
          if (!id.empty()) d.covers.insert(std::string(id));
          start = i + 1;
        }
    } else if (kind == "prereq.check") {
      d.prereq.push_back(&ev);
    }
  }
  for (const auto& [index, d] : devices) {
    if (d.settings.empty() && d.exports.empty()) continue;
    const Who w = who_of(input, index, d);
    not_enabled(input, d, w, out);
    hardware_not_required(input, d, w, out);
    gpo_overrides_intune(d, w, out);
    policy_phase(input, d, w, out);
  }
}

}  // namespace hellotrace::policy
