#include "tpm_analyze.hpp"

#include <algorithm>
#include <cstdint>
#include <hellotrace/text/text.hpp>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tpm_facts.hpp"

namespace hellotrace::tpm {

namespace {

using nlohmann::json;
using text::iequals;

// ---- input ----------------------------------------------------------------------

std::string as_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number()) return v.dump();
  return {};
}

std::string member_text(const json& o, const char* name) {
  if (!o.is_object()) return {};
  const auto it = o.find(name);
  return it == o.end() ? std::string() : as_text(*it);
}

struct InEvent {
  const json* raw = nullptr;
  size_t index = 0;  // input order
  std::string kind;
  std::string time;  // ISO 8601 UTC, "" when the event has none
  std::vector<Field> fields;
  std::optional<int64_t> device;  // identity index
  std::optional<int64_t> user;    // identity index
  std::string subject_device;     // subject.device_name as the source wrote it

  const std::string* field(std::string_view name) const { return find_field(fields, name); }
  std::string_view value(std::string_view name) const {
    const std::string* v = field(name);
    return v ? text::trim(*v) : std::string_view();
  }
};

InEvent read_event(const json& j, size_t index) {
  InEvent e;
  e.raw = &j;
  e.index = index;
  e.kind = member_text(j, "kind");
  e.time = member_text(j, "time");
  if (const auto it = j.find("fields"); it != j.end()) {
    if (it->is_object()) {
      for (const auto& [name, value] : it->items()) e.fields.push_back({name, as_text(value)});
    } else if (it->is_array()) {  // [{"name":…,"value":…}] — tolerated
      for (const auto& f : *it)
        if (f.is_object()) e.fields.push_back({member_text(f, "name"), member_text(f, "value")});
    }
  }
  if (const auto it = j.find("device"); it != j.end() && it->is_number_integer())
    e.device = it->get<int64_t>();
  if (const auto it = j.find("user"); it != j.end() && it->is_number_integer())
    e.user = it->get<int64_t>();
  if (const auto it = j.find("subject"); it != j.end())
    e.subject_device = std::string(text::trim(member_text(*it, "device_name")));
  return e;
}

// ---- evidence -------------------------------------------------------------------

json or_null(const json& o, const char* name) {
  if (!o.is_object()) return nullptr;
  const auto it = o.find(name);
  return it == o.end() ? json(nullptr) : *it;
}

// `Name=value` of the named fields the event has, in the order asked, "; "-separated.
std::string excerpt(const InEvent& e, std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    const std::string* v = e.field(n);
    if (!v) continue;
    if (!out.empty()) out += "; ";
    out += std::string(n) + "=" + *v;
  }
  return out;
}

json evidence(const InEvent& e, const std::string& text) {
  const json& r = *e.raw;
  json item = {{"file", member_text(r, "file")},
               {"line", or_null(r, "line")},
               {"offset", or_null(r, "offset")},
               {"record", or_null(r, "record")},
               {"time", e.time.empty() ? json(nullptr) : json(e.time)},
               {"source", member_text(r, "source")},
               {"kind", e.kind},
               {"event_id", or_null(r, "event_id")},
               {"excerpt", text}};
  return item;
}

// ---- facts per tpm.info event ----------------------------------------------------

struct Observation {
  const InEvent* event = nullptr;
  std::optional<bool> present;
  std::string present_fact;            // "TpmPresent=False"
  bool readiness_known = false;        // at least one readiness flag printed
  std::vector<std::string> not_ready;  // "TpmReady=False", …
  Derived derived;
  std::optional<bool> tool_vulnerable;  // tpmtool "TPM Has Vulnerable Firmware"
  std::optional<bool> tpm12_excluded;   // HelloForBusiness 5555 IsTpm12Excluded
  std::optional<bool> hardware_policy;  // HelloForBusiness 5555 HardwarePolicy
};

Observation observe(const InEvent& e) {
  Observation o;
  o.event = &e;
  o.derived = derive(e.fields);
  // Presence: Get-Tpm TpmPresent, tpmtool "TPM Present", Hello's 5555 TpmSupport (Hello
  // found no usable TPM), and a Win32_Tpm instance, which exists only when there is a TPM.
  for (std::string_view name : {"TpmPresent", "TPM Present", "TpmSupport"}) {
    if (const auto b = parse_bool(e.value(name))) {
      o.present = *b;
      o.present_fact = std::string(name) + "=" + std::string(e.value(name));
      break;
    }
  }
  if (!o.present && (e.field("IsEnabled_InitialValue") || e.field("IsActivated_InitialValue"))) {
    o.present = true;
    o.present_fact = "Win32_Tpm instance present";
  }
  // Readiness, as each source names it. Owned is not required: Windows takes ownership
  // itself and TpmReady already covers it.
  for (std::string_view name :
       {"TpmReady", "TpmEnabled", "TpmActivated", "Ready For Storage", "Is Initialized",
        "IsEnabled_InitialValue", "IsActivated_InitialValue"}) {
    if (const auto b = parse_bool(e.value(name))) {
      o.readiness_known = true;
      if (!*b) o.not_ready.push_back(std::string(name) + "=" + std::string(e.value(name)));
    }
  }
  o.tool_vulnerable = parse_bool(e.value("TPM Has Vulnerable Firmware"));
  o.tpm12_excluded = parse_bool(e.value("IsTpm12Excluded"));
  o.hardware_policy = parse_bool(e.value("HardwarePolicy"));
  return o;
}

// A live reading of the TPM (the tpm-verifier probe, directly or read back from its
// NDJSON), as opposed to an export of the bundle.
bool is_probe(const InEvent& e) {
  return iequals(e.value("Source"), "probe") || e.raw->value("source", "") == "tpm-verifier" ||
         iequals(e.value("@source"), "tpm-verifier");
}

// Order in which observations are folded: the latest observation of a fact wins. Timed
// events by time. Exports without a time (Get-Tpm, tpmtool) were taken when the logs
// were collected: they count as of the newest timed event of the bundle, after the
// events of that moment. A probe is timed by its own run, so a probe run after the
// collection (e.g. after a firmware update) outranks the bundle's exports, and one run
// before it does not. Ties keep input order.
struct Chronology {
  std::string collected;  // newest time among timed exports and events, "" if none
  explicit Chronology(const std::vector<Observation>& obs) {
    for (const Observation& o : obs)
      if (!is_probe(*o.event) && o.event->time > collected) collected = o.event->time;
  }
  std::string when(const Observation& o) const {
    return o.event->time.empty() ? collected : o.event->time;
  }
  static int tie_rank(const Observation& o) {
    return is_probe(*o.event) ? 2 : o.event->time.empty() ? 1 : 0;
  }
  bool operator()(const Observation& a, const Observation& b) const {
    const std::string ta = when(a), tb = when(b);
    if (ta != tb) return ta < tb;
    if (tie_rank(a) != tie_rank(b)) return tie_rank(a) < tie_rank(b);
    return a.event->index < b.event->index;
  }
};

// ---- per device -----------------------------------------------------------------

struct Group {
  std::optional<int64_t> device;
  std::string subject_device;  // for events the host could not attribute
  std::vector<const InEvent*> events;
};

struct HardwareRequirement {
  bool required = false;
  std::vector<std::string> because;
  std::vector<std::pair<const InEvent*, std::string>> evidence;
};

// The effective value of a PassportForWork policy for the group, as the policy plugin
// computes it (learn.microsoft.com, "Configure Windows Hello for Business"): when Group
// Policy configures any WHfB setting, every Intune (PassportForWork CSP) value is ignored,
// so only Group Policy counts; otherwise Intune. Within a source the user scope wins,
// then the last one read. A TPM finding is about the device, so a user-scope requirement
// of anyone on it counts.
const InEvent* effective_policy(const Group& g, std::string_view setting) {
  const bool gpo_in_force = std::any_of(g.events.begin(), g.events.end(), [](const InEvent* e) {
    return e->kind == "policy.setting" && iequals(e->value("Source"), "gpo");
  });
  const InEvent* best = nullptr;
  int best_rank = -1;
  for (const InEvent* e : g.events) {
    if (e->kind != "policy.setting" || !iequals(e->value("Setting"), setting)) continue;
    if (gpo_in_force && !iequals(e->value("Source"), "gpo")) continue;  // ignored by Windows
    const int rank = (iequals(e->value("Source"), "gpo") ? 2 : 0) * 2 +
                     (iequals(e->value("Scope"), "user") ? 1 : 0);
    if (rank >= best_rank) {
      best = e;
      best_rank = rank;
    }
  }
  return best;
}

std::string policy_excerpt(const InEvent& e) {
  return excerpt(e, {"Source", "Scope", "Setting", "Value", "Path", "ValueName"});
}

HardwareRequirement hardware_requirement(const Group& g, const std::vector<Observation>& obs) {
  HardwareRequirement h;
  if (const InEvent* p = effective_policy(g, "RequireSecurityDevice")) {
    const bool on = parse_bool(p->value("Value")).value_or(false);
    h.required |= on;
    h.because.push_back("RequireSecurityDevice=" + std::string(p->value("Value")) + " (" +
                        std::string(p->value("Source")) + ", effective)");
    h.evidence.emplace_back(p, policy_excerpt(*p));
  }
  // Hello's own view (5555 HardwarePolicy) and its prerequisite check: a hardware policy
  // that is not met means a hardware key is required (prereq.hardware_not_met).
  const Observation* hw = nullptr;
  for (const auto& o : obs)
    if (o.hardware_policy) hw = &o;
  if (hw && *hw->hardware_policy) {
    h.required = true;
    h.because.push_back("HelloForBusiness HardwarePolicy=" +
                        std::string(hw->event->value("HardwarePolicy")));
    h.evidence.emplace_back(hw->event, excerpt(*hw->event, {"HardwarePolicy", "TpmSupport"}));
  }
  for (const InEvent* e : g.events) {
    if (e->kind != "prereq.check") continue;
    for (std::string_view name : {"NgcHardwarePolicyMet", "DeviceEligible"}) {
      const auto b = parse_bool(e->value(name));
      if (b && !*b) {
        h.required = true;
        h.because.push_back(std::string(name) + "=" + std::string(e->value(name)) +
                            " (prerequisite check)");
        h.evidence.emplace_back(e, excerpt(*e, {name}));
      }
    }
  }
  if (h.because.empty())
    h.because.push_back(
        "no RequireSecurityDevice policy seen: Windows Hello may fall back to a software key");
  return h;
}

// ---- findings -------------------------------------------------------------------

constexpr const char* kRocaUrl = "https://msrc.microsoft.com/update-guide/vulnerability/ADV170012";

struct DeviceName {
  json name;  // string or null
  json id;
  json tenant;
  std::string display;  // for sentences
};

DeviceName device_name(const Group& g, const std::map<int64_t, const json*>& identities) {
  DeviceName d{nullptr, nullptr, nullptr, ""};
  if (g.device) {
    if (const auto it = identities.find(*g.device); it != identities.end()) {
      const json& id = *it->second;
      std::string name = member_text(id, "device_name");
      if (name.empty()) name = member_text(id, "display");
      const std::string device_id = member_text(id, "device_id");
      const std::string tenant = member_text(id, "tenant_id");
      if (!name.empty()) d.name = name;
      if (!device_id.empty()) d.id = device_id;
      if (!tenant.empty()) d.tenant = tenant;
      d.display = !name.empty() ? name : !device_id.empty() ? device_id : "";
    }
  } else if (!g.subject_device.empty()) {
    d.name = g.subject_device;
    d.display = g.subject_device;
  }
  if (d.display.empty()) d.display = "an unidentified device (the export names no computer)";
  return d;
}

json finding(std::string_view rule, std::string_view severity, std::string_view title,
             const DeviceName& dev, std::string summary, json evidence_items,
             std::string remediation, std::string_view documentation, json details) {
  return {{"rule", rule},
          {"severity", severity},
          {"title", title},
          {"category", "tpm"},
          {"summary", std::move(summary)},
          {"user", {{"upn", nullptr}, {"sid", nullptr}, {"dn", nullptr}, {"sam", nullptr}}},
          {"device", {{"name", dev.name}, {"id", dev.id}}},
          {"tenant", dev.tenant},
          {"evidence", std::move(evidence_items)},
          {"remediation", std::move(remediation)},
          {"documentation", documentation},
          {"details", std::move(details)}};
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

void add_hardware(json& items, json& details, const HardwareRequirement& h) {
  for (const auto& [e, text] : h.evidence) items.push_back(evidence(*e, text));
  details["hardware_required"] = h.required;
  details["hardware_required_because"] = h.because;
}

json user_of(const InEvent& e, const std::map<int64_t, const json*>& identities) {
  json u = {{"upn", nullptr}, {"sid", nullptr}, {"dn", nullptr}, {"sam", nullptr}};
  if (e.user)
    if (const auto it = identities.find(*e.user); it != identities.end())
      for (const char* k : {"upn", "sid", "dn", "sam"})
        if (const std::string v = member_text(*it->second, k); !v.empty()) u[k] = v;
  return u;
}

// provisioning.software_key: event 300 Attestation ATT_SOFT (or none) means the key was
// not attested by a TPM — TPMs whose attestation is unavailable register ATT_SOFT too —
// so it is called a software key only with stronger evidence from the same device: a
// software key storage provider, dsregcmd TpmProtected NO, no TPM present. Critical only
// where the effective policy requires a hardware security device (hardware_requirement).
void software_key(const Group& g, const std::vector<Observation>& obs,
                  const std::map<int64_t, const json*>& identities, sdk::OutputSink& out) {
  std::vector<std::pair<const InEvent*, std::string>> software;  // evidence of a software key
  for (const InEvent* e : g.events) {
    if (const std::string_view kp = e->value("KeyProvider");
        text::icontains(kp, "Software Key Storage Provider"))
      software.emplace_back(e, "KeyProvider=" + std::string(kp));
    if (e->kind == "device.details" && iequals(e->value("TpmProtected"), "NO"))
      software.emplace_back(e, "TpmProtected=" + std::string(e->value("TpmProtected")));
  }
  for (const Observation& o : obs)
    if (o.present && !*o.present) software.emplace_back(o.event, o.present_fact);
  const HardwareRequirement hw = hardware_requirement(g, obs);
  const DeviceName dev = device_name(g, identities);
  for (const InEvent* e : g.events) {
    if (e->kind != "ngc.key_registered") continue;
    const std::string_view att = e->value("Attestation");
    if (!(text::icontains(att, "soft") || text::icontains(att, "none") || att == "0")) continue;
    const bool is_software = !software.empty();
    json items = json::array({evidence(*e, excerpt(*e, {"KeyId", "Attestation", "UPN"}))});
    std::vector<std::string> because;
    for (const auto& [ev, text] : software) {
      items.push_back(evidence(*ev, text));
      because.push_back(text);
    }
    json details = {{"attestation", std::string(att)},
                    {"key_storage", is_software ? "software" : "unknown (not attested)"},
                    {"software_because", because}};
    add_hardware(items, details, hw);
    const std::string who = member_text(user_of(*e, identities), "upn").empty()
                                ? std::string("the user")
                                : member_text(user_of(*e, identities), "upn");
    std::string summary =
        is_software ? "the Windows Hello key of " + who + " on " + dev.display +
                          " is a software key, not protected by a TPM (" + join(because, "; ") + ")"
                    : "the Windows Hello key of " + who + " on " + dev.display +
                          " was registered without TPM attestation (" + std::string(att) +
                          "): not attested; nothing shows whether it lives in the TPM";
    if (hw.required)
      summary += ", although the effective policy requires a hardware security device (" +
                 join(hw.because, "; ") + ")";
    json f = finding(
        "provisioning.software_key", hw.required ? "critical" : "medium",
        is_software ? "Windows Hello key stored in software (no TPM)"
                    : "Key registered without hardware (TPM) attestation",
        dev, std::move(summary), std::move(items),
        std::string(is_software ? "The key is not bound to hardware. "
                                : "An unattested key may still live in the TPM: check 'dsregcmd "
                                  "/status' (TpmProtected, KeyProvider 'Microsoft Platform Crypto "
                                  "Provider') and Get-Tpm (TpmPresent, TpmReady). ") +
            "If a hardware key is wanted, require a hardware security device (GPO 'Use a "
            "hardware security device' / Intune RequireSecurityDevice, in the channel that is "
            "in force: Intune values are ignored while any Group Policy WHfB setting is set), "
            "make the TPM usable, then re-provision: 'certutil -deletehellocontainer' as the "
            "user and sign out and in.",
        "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/"
        "hello-event-300",
        std::move(details));
    f["category"] = "provisioning";
    f["user"] = user_of(*e, identities);
    out.finding(f);
  }
}

void analyze_group(const Group& g, const std::map<int64_t, const json*>& identities,
                   sdk::OutputSink& out) {
  std::vector<Observation> obs;
  for (const InEvent* e : g.events)
    if (e->kind == "tpm.info") obs.push_back(observe(*e));
  std::stable_sort(obs.begin(), obs.end(), Chronology(obs));
  software_key(g, obs, identities, out);
  if (obs.empty()) return;

  // Fold: the latest observation of each fact.
  const Observation *presence = nullptr, *readiness = nullptr, *version = nullptr,
                    *firmware = nullptr, *excluded12 = nullptr;
  for (const auto& o : obs) {
    if (o.present) presence = &o;
    if (o.readiness_known && o.present.value_or(true)) readiness = &o;
    if (!o.derived.tpm_version.empty()) version = &o;
    if (o.derived.roca || o.tool_vulnerable || !o.derived.firmware.empty()) firmware = &o;
    if (o.tpm12_excluded) excluded12 = &o;
  }

  const DeviceName dev = device_name(g, identities);
  const HardwareRequirement hw = hardware_requirement(g, obs);
  const char* severity = hw.required ? "high" : "medium";
  const std::string consequence =
      hw.required ? "a hardware-bound Windows Hello key is required, so provisioning cannot "
                    "complete on this device"
                  : "Windows Hello for Business cannot protect its key with the TPM";

  if (presence && !*presence->present) {
    const InEvent& e = *presence->event;
    json items = json::array({evidence(
        e, excerpt(e, {"TpmPresent", "TPM Present", "TpmSupport", "TpmReady", "Export"}))});
    json details = {{"fact", presence->present_fact}};
    add_hardware(items, details, hw);
    out.finding(finding(
        "tpm.absent", severity, "No TPM present", dev,
        "No TPM is present on " + dev.display + " (" + presence->present_fact +
            "): " + consequence + ".",
        std::move(items),
        "Turn the TPM on in the UEFI/BIOS setup (it may be called Security Chip, Intel PTT or "
        "AMD fTPM), restart, and check with `Get-Tpm` (TpmPresent True) or `tpmtool "
        "getdeviceinformation`. A device without a TPM 2.0 must be replaced for hardware-bound "
        "keys; only where policy does not set RequireSecurityDevice will Windows Hello use a "
        "software key. Then sign in again so provisioning retries.",
        "https://learn.microsoft.com/windows/security/hardware-security/tpm/"
        "trusted-platform-module-overview",
        std::move(details)));
    return;  // nothing else can be said about a TPM that is not there
  }

  if (readiness && !readiness->not_ready.empty()) {
    const InEvent& e = *readiness->event;
    json items = json::array({evidence(
        e, excerpt(e, {"TpmPresent", "TpmReady", "TpmEnabled", "TpmActivated", "TpmOwned",
                       "RestartPending", "TPM Present", "Is Initialized", "Ready For Storage",
                       "IsEnabled_InitialValue", "IsActivated_InitialValue"}))});
    json details = {{"facts", readiness->not_ready}};
    if (const auto restart = parse_bool(e.value("RestartPending")))
      details["restart_pending"] = *restart;
    add_hardware(items, details, hw);
    out.finding(finding(
        "tpm.not_ready", severity, "TPM present but not ready", dev,
        "The TPM of " + dev.display + " is present but not ready (" +
            join(readiness->not_ready, ", ") + "): " + consequence + ".",
        std::move(items),
        "Enable and activate the TPM in the UEFI/BIOS setup if TpmEnabled/TpmActivated is "
        "False; otherwise run `Initialize-Tpm` in an elevated PowerShell (restart when "
        "RestartPending is True) and check `Get-Tpm` shows TpmReady True (tpmtool: Is "
        "Initialized / Ready For Storage True). If it cannot be provisioned, suspend "
        "BitLocker, run `Clear-Tpm` (destroys the keys in the TPM), restart and let Windows "
        "provision it again, then sign in so Windows Hello provisioning retries.",
        "https://learn.microsoft.com/windows/security/hardware-security/tpm/"
        "initialize-and-configure-ownership-of-the-tpm",
        std::move(details)));
  }

  // TPM 1.2 where policy excludes it (or Hello says it is excluded), or no version known.
  const std::string tpm_version = version ? version->derived.tpm_version : "";
  const InEvent* exclude_policy = effective_policy(g, "ExcludeTPM12");
  const bool policy_excludes =
      exclude_policy && parse_bool(exclude_policy->value("Value")).value_or(false);
  const bool hello_excludes = excluded12 && *excluded12->tpm12_excluded;
  if (tpm_version == "1.2" && (policy_excludes || hello_excludes)) {
    const InEvent& e = *version->event;
    json items = json::array({evidence(
        e, excerpt(e, {"TpmVersion", "TPM Version", "SpecVersion", "ManufacturerVersionFull20",
                       "ManufacturerVersion", "IsTpm12Excluded"}))});
    std::vector<std::string> because;
    if (policy_excludes) {
      items.push_back(evidence(*exclude_policy, policy_excerpt(*exclude_policy)));
      because.push_back("ExcludeTPM12=" + std::string(exclude_policy->value("Value")) + " (" +
                        std::string(exclude_policy->value("Source")) + ")");
    }
    if (hello_excludes) {
      if (excluded12->event != &e)
        items.push_back(evidence(*excluded12->event,
                                 excerpt(*excluded12->event, {"IsTpm12Excluded", "TpmVersion"})));
      because.push_back("HelloForBusiness IsTpm12Excluded=" +
                        std::string(excluded12->event->value("IsTpm12Excluded")));
    }
    out.finding(finding(
        "tpm.version_unsupported", "medium", "TPM 1.2 excluded by policy", dev,
        "The TPM of " + dev.display + " is a TPM 1.2 and policy excludes TPM 1.2 (" +
            join(because, ", ") + "): Windows Hello will not use it for the key.",
        std::move(items),
        "Upgrade the TPM to 2.0 where the OEM offers a firmware update that switches it (many "
        "Infineon and Intel PTT parts can), or replace the device. Only if TPM 1.2 is "
        "acceptable, allow it: Group Policy 'Use a hardware security device' > 'Do not allow "
        "TPM 1.2' off (HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork\\"
        "ExcludeSecurityDevices TPM12=0) or the Intune ExcludeSecurityDevices/TPM12 setting.",
        "https://learn.microsoft.com/windows/security/hardware-security/tpm/tpm-recommendations",
        {{"tpm_version", "1.2"}, {"excluded_because", because}}));
  } else if (tpm_version.empty() && presence && *presence->present) {
    const InEvent& e = *presence->event;
    out.finding(finding(
        "tpm.version_unsupported", "medium", "TPM version unknown", dev,
        "The TPM of " + dev.display +
            " is present but no export says whether it is a TPM 2.0 or 1.2, so its support "
            "for Windows Hello for Business cannot be confirmed.",
        json::array({evidence(e, excerpt(e, {"TpmPresent", "TPM Present", "ManufacturerIdTxt",
                                             "ManufacturerVersion", "Export"}))}),
        "Collect `Get-Tpm | Format-List *` (ManufacturerVersionFull20) or `tpmtool "
        "getdeviceinformation` (TPM Version) from the device and run the analysis again.",
        "https://learn.microsoft.com/windows/security/hardware-security/tpm/tpm-recommendations",
        {{"tpm_version", nullptr}}));
  }

  // Infineon firmware that generates ROCA-weak RSA keys.
  if (firmware &&
      (firmware->derived.roca.value_or(false) || firmware->tool_vulnerable.value_or(false))) {
    const InEvent& e = *firmware->event;
    const Derived& d = firmware->derived;
    std::vector<std::string> because;
    json details = {{"manufacturer", d.manufacturer}, {"firmware_version", d.firmware}};
    if (d.roca.value_or(false)) {
      const auto v = parse_version(d.firmware);
      details["affected_range"] = roca_range((*v)[0]);
      because.push_back("Infineon firmware " + d.firmware + " is in the ADV170012 range " +
                        roca_range((*v)[0]));
    }
    if (firmware->tool_vulnerable.value_or(false))
      because.push_back("tpmtool reports TPM Has Vulnerable Firmware: True");
    details["because"] = because;
    out.finding(finding(
        "tpm.vulnerable_firmware", "critical", "TPM firmware vulnerable to ROCA (ADV170012)", dev,
        "The TPM of " + dev.display + " runs vulnerable firmware (" + join(because, "; ") +
            "): RSA keys it generates, including the Windows Hello key, can be factored from "
            "the public key.",
        json::array(
            {evidence(e, excerpt(e, {"Manufacturer", "ManufacturerIdTxt", "TPM Manufacturer ID",
                                     "FirmwareVersion", "ManufacturerVersionFull20",
                                     "ManufacturerVersion", "TPM Manufacturer Version",
                                     "TPM Has Vulnerable Firmware", "RocaAffectedFirmware"}))}),
        "Update the TPM firmware with the OEM's ADV170012 update (check with `Get-Tpm`: "
        "ManufacturerVersion outside the affected range, or tpmtool 'TPM Has Vulnerable "
        "Firmware: False'), then `Clear-Tpm` (suspend BitLocker first) and re-provision "
        "Windows Hello for Business (`certutil -deletehellocontainer`, sign out and in). "
        "Remove the old keys from the user's msDS-KeyCredentialLink in AD and from Entra ID "
        "so the weak keys cannot be used: every key made by this TPM before the update stays "
        "weak. See " +
            std::string(kRocaUrl) + ".",
        kRocaUrl, std::move(details)));
  }
}

}  // namespace

void analyze(const json& input, sdk::OutputSink& out) {
  std::map<int64_t, const json*> identities;
  if (const auto it = input.find("identities"); it != input.end() && it->is_array())
    for (const auto& id : *it)
      if (id.is_object())
        if (const auto ix = id.find("index"); ix != id.end() && ix->is_number_integer())
          identities[ix->get<int64_t>()] = &id;

  std::vector<InEvent> events;
  if (const auto it = input.find("events"); it != input.end() && it->is_array()) {
    events.reserve(it->size());
    for (const auto& j : *it)
      if (j.is_object()) events.push_back(read_event(j, events.size()));
  }

  // One group per device identity; events the host could not attribute are grouped by
  // the computer name they carry (an Invoke-Command export of several machines), the
  // rest together as "unattributed".
  std::map<std::pair<int64_t, std::string>, Group> groups;
  for (const auto& e : events) {
    const auto key = e.device ? std::make_pair(*e.device, std::string())
                              : std::make_pair(INT64_MIN, text::to_lower(e.subject_device));
    Group& g = groups[key];
    g.device = e.device;
    if (!e.device && g.subject_device.empty()) g.subject_device = e.subject_device;
    g.events.push_back(&e);
  }
  // Policy and prerequisite facts that name no device (and come with no TPM facts of
  // their own) belong to the lone device otherwise seen, as the host attributes
  // subject-less exports (docs/PLUGINS.md).
  const auto lone = groups.find({INT64_MIN, std::string()});
  if (lone != groups.end() && groups.size() == 2 &&
      std::none_of(lone->second.events.begin(), lone->second.events.end(),
                   [](const InEvent* e) { return e->kind == "tpm.info"; })) {
    Group& other = groups.begin() == lone ? std::next(lone)->second : groups.begin()->second;
    other.events.insert(other.events.end(), lone->second.events.begin(), lone->second.events.end());
    groups.erase(lone);
  }
  for (auto& [key, g] : groups) analyze_group(g, identities, out);
}

}  // namespace hellotrace::tpm
