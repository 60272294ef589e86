// Planning: which steps the findings call for, in which order, and which of them
// must wait (blocked) or cannot be generated safely (refused).
#include "plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "pstext.hpp"

namespace hellotrace::reenroll {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool same_nonempty(const std::string& a, const std::string& b) {
  return !a.empty() && !b.empty() && lower(a) == lower(b);
}

// Reads obj[key] as a string; a present value of another type is reported.
std::string str(const json& obj, const char* key, const std::string& where,
                std::vector<std::string>& diags) {
  if (!obj.is_object()) return "";
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  diags.push_back(fmt::format("{}: '{}' is not a string; ignored", where, key));
  return "";
}

// "A=1; B=2" (an evidence excerpt) → value of `name`, or "".
std::string excerpt_field(const std::string& excerpt, const std::string& name) {
  size_t pos = 0;
  while (pos < excerpt.size()) {
    size_t end = excerpt.find("; ", pos);
    if (end == std::string::npos) end = excerpt.size();
    const std::string item = excerpt.substr(pos, end - pos);
    if (item.size() > name.size() && item.compare(0, name.size(), name) == 0 &&
        item[name.size()] == '=')
      return item.substr(name.size() + 1);
    pos = end + 2;
  }
  return "";
}

std::string family(const std::string& rule) { return rule.substr(0, rule.find('.')); }

bool is_blocker(const Finding& f) {
  const std::string fam = family(f.rule);
  if (fam == "prereq" || fam == "device" || fam == "tpm") return true;
  return fam == "policy" && f.severity != "info";  // info policy findings are advice
}

// What a person does about each upstream blocker. Constant text: never from the logs.
std::string manual_text(const std::string& rule) {
  static const std::map<std::string, std::string> kText = {
      {"prereq.device_not_joined",
       "Finish the hybrid Entra join of the device (SCP or targeted join settings, Entra "
       "Connect device sync), then check 'dsregcmd /status' shows AzureAdJoined : YES."},
      {"prereq.no_prt",
       "Get the user a primary refresh token: sign in with line of sight to a domain "
       "controller and to Entra ID, then check 'dsregcmd /status' shows AzureAdPrt : YES "
       "(fix the device registration first when DeviceAuthStatus is FAILED)."},
      {"prereq.policy_disabled",
       "Enable Windows Hello for Business for this user and device (Group Policy 'Use "
       "Windows Hello for Business' or the Intune account protection policy) and refresh "
       "policy (gpupdate /force, or sync the device in Intune)."},
      {"prereq.post_logon_disabled",
       "Allow provisioning after sign-in: remove the setting that disables post-logon "
       "provisioning (DisablePostLogonProvisioning) from the Windows Hello policy."},
      {"prereq.hardware_not_met",
       "Make a TPM usable on the device (Get-Tpm: TpmPresent and TpmReady True) or, if the "
       "device is meant to enroll without one, stop requiring a hardware security device "
       "for it."},
      {"prereq.remote_session",
       "Have the user sign in at the console (not through Remote Desktop): provisioning "
       "does not start in a remote session."},
      {"prereq.will_not_provision",
       "Read the 'Ngc Prerequisite Check' section of 'dsregcmd /status' on the device and "
       "fix every check that answers NO."},
      {"device.auth_failed",
       "Repair the device registration: the device is disabled, deleted or its key fails "
       "in Entra ID. Re-enable it, or leave and rejoin ('dsregcmd /leave' as admin, restart, "
       "let hybrid join register it again)."},
      {"device.join_error",
       "Fix the join error that 'dsregcmd /status' reports under Diagnostic Data (DRS "
       "discovery, SCP, proxy or network), then check AzureAdJoined : YES."},
      {"tpm.absent", "Provide a TPM (enable it in the firmware setup or replace the device)."},
      {"tpm.not_ready",
       "Make the TPM ready: enable and activate it in the firmware setup, then check "
       "Get-Tpm shows TpmReady True."},
      {"tpm.locked_out",
       "Wait for the TPM lockout to expire or reset it (Get-Tpm LockoutCount; "
       "Unblock-Tpm with the owner authorization)."},
      {"tpm.version_unsupported",
       "Use a device with TPM 2.0, or update the TPM firmware to 2.0 where the vendor "
       "offers it."},
      {"tpm.vulnerable_firmware",
       "Update the Infineon TPM firmware (ADV170012, CVE-2017-15361) and clear the TPM."},
      {"tpm.attestation_failed",
       "Investigate the TPM attestation failure (firmware update, TPM clear) before "
       "re-provisioning."},
      {"policy.not_enabled",
       "Enable Windows Hello for Business in the effective policy (UsePassportForWork)."},
      {"policy.gpo_overrides_intune",
       "Remove the Windows Hello settings from Group Policy or from Intune so that one "
       "source decides: Group Policy wins and the Intune values are ignored."},
      {"policy.trust_model_mismatch",
       "Configure key trust consistently: remove UseCertificateForOnPremAuth and cloud "
       "Kerberos trust settings where the deployment is key trust."},
  };
  if (const auto it = kText.find(rule); it != kText.end()) return it->second;
  return "Fix the blocker this finding reports (see its remediation text) and analyze "
         "the device again.";
}

const std::set<std::string> kDeltaSyncRules = {"sync.overdue",
                                               "key.not_in_ad",
                                               "sync.scheduler_disabled",
                                               "sync.scheduler_suspended",
                                               "sync.export_permission_denied",
                                               "sync.stale",
                                               "sync.export_error"};

const std::set<std::string> kResetRules = {"provisioning.key_registration_failed",
                                           "provisioning.failed", "provisioning.software_key"};

const std::regex kRuleShape(R"([a-z][a-z0-9_]*\.[a-z0-9_.]+)");

Finding read_finding(const json& j, size_t number, std::vector<std::string>& diags) {
  const std::string where = fmt::format("finding {}", number);
  Finding f;
  f.number = number;
  f.rule = str(j, "rule", where, diags);
  f.severity = str(j, "severity", where, diags);
  if (const auto u = j.find("user"); u != j.end() && u->is_object()) {
    f.user = {str(*u, "upn", where + " user", diags), str(*u, "sid", where + " user", diags),
              str(*u, "dn", where + " user", diags), str(*u, "sam", where + " user", diags)};
  } else if (u != j.end() && !u->is_null()) {
    diags.push_back(where + ": 'user' is not an object; ignored");
  }
  if (const auto d = j.find("device"); d != j.end() && d->is_object()) {
    f.device = {str(*d, "name", where + " device", diags), str(*d, "id", where + " device", diags)};
  } else if (d != j.end() && !d->is_null()) {
    diags.push_back(where + ": 'device' is not an object; ignored");
  }
  if (const auto d = j.find("details"); d != j.end() && d->is_object()) f.details = *d;
  if (const std::string k = str(f.details, "key_id", where + " details", diags); !k.empty())
    f.ngc_key_ids.push_back(k);
  if (const auto ev = j.find("evidence"); ev != j.end() && ev->is_array()) {
    for (const auto& e : *ev) {
      if (!e.is_object()) continue;
      const std::string kind = str(e, "kind", where + " evidence", diags);
      const std::string excerpt = str(e, "excerpt", where + " evidence", diags);
      if (kind == "ad.key_credential") {
        AdKey k{excerpt_field(excerpt, "KeyId"), excerpt_field(excerpt, "DeviceId"),
                excerpt_field(excerpt, "Created")};
        if (!k.key_id.empty()) f.ad_keys.push_back(k);
      } else if (kind == "ngc.key_registered" || kind == "ngc.key_registration_failed") {
        const std::string k = excerpt_field(excerpt, "KeyId");
        if (!k.empty() &&
            std::find(f.ngc_key_ids.begin(), f.ngc_key_ids.end(), k) == f.ngc_key_ids.end())
          f.ngc_key_ids.push_back(k);
      }
    }
  }
  return f;
}

Options read_options(const json& input, std::vector<std::string>& diags) {
  Options o;
  const auto it = input.find("options");
  if (it == input.end() || it->is_null()) return o;
  if (!it->is_object()) {
    diags.push_back("'options' is not an object; defaults used");
    return o;
  }
  if (const std::string s = str(*it, "sync_server", "options", diags); !s.empty()) {
    if (auto v = valid_computer_name(s))
      o.sync_server = *v;
    else
      diags.push_back("options.sync_server is not a computer name; ignored");
  }
  if (const std::string s = str(*it, "connector_account", "options", diags); !s.empty()) {
    if (auto v = valid_account(s))
      o.connector_account = *v;
    else
      diags.push_back("options.connector_account is not DOMAIN\\name; ignored");
  }
  if (const auto w = it->find("what_if_default"); w != it->end()) {
    // `hellotrace plan --option what_if_default=false` passes the text.
    if (w->is_boolean())
      o.what_if_default = w->get<bool>();
    else if (w->is_string() && (*w == "true" || *w == "false"))
      o.what_if_default = *w == "true";
    else
      diags.push_back("options.what_if_default is not a boolean; ignored");
  }
  return o;
}

class Planner {
 public:
  explicit Planner(Plan& plan) : plan_(plan) {}

  void run(const std::set<std::string>& known_devices) {
    for (const Finding& f : plan_.findings) plan_finding(f, known_devices);
    add_delta_sync();
    validate();
    order();
    block_resets();
    add_intune_pairs();
  }

 private:
  // Adds a step, or merges the finding into an equal one (same action, same people).
  Step& add(Step s, const Finding& f) {
    for (Step& o : plan_.steps) {
      if (o.action != s.action || o.key_id != s.key_id || o.domain != s.domain || o.text != s.text)
        continue;  // different text: a different rule's manual step
      const bool same_user = (o.user.empty() && s.user.empty()) || o.user.overlaps(s.user);
      const bool same_device =
          (o.device.empty() && s.device.empty()) || o.device.overlaps(s.device);
      if (!same_user || !same_device) continue;
      merge(o, f);
      o.needs_tpm_ack = o.needs_tpm_ack || s.needs_tpm_ack;
      fill(o.user, s.user);
      fill(o.device, s.device);
      return o;
    }
    merge(s, f);
    plan_.steps.push_back(std::move(s));
    return plan_.steps.back();
  }

  static void merge(Step& s, const Finding& f) {
    if (std::find(s.findings.begin(), s.findings.end(), f.number) == s.findings.end())
      s.findings.push_back(f.number);
    if (std::find(s.rules.begin(), s.rules.end(), f.rule) == s.rules.end())
      s.rules.push_back(f.rule);
  }
  static void fill(Person& a, const Person& b) {
    for (auto [x, y] :
         {std::pair{&a.upn, &b.upn}, {&a.sid, &b.sid}, {&a.dn, &b.dn}, {&a.sam, &b.sam}})
      if (x->empty()) *x = *y;
  }
  static void fill(Device& a, const Device& b) {
    if (a.name.empty()) a.name = b.name;
    if (a.id.empty()) a.id = b.id;
  }

  static Step step(Phase p, Action a, Status st, const Finding& f, std::string text) {
    Step s;
    s.phase = p;
    s.action = a;
    s.status = st;
    s.user = f.user;
    s.device = f.device;
    s.text = std::move(text);
    return s;
  }

  // A step on the sync server concerns the server, not the person of the finding.
  static Step server_step(Action a, Status st, const Finding& f, std::string text) {
    Step s = step(Phase::SyncServer, a, st, f, std::move(text));
    s.user = {};
    s.device = {};
    return s;
  }

  void plan_finding(const Finding& f, const std::set<std::string>& known_devices) {
    const std::string& r = f.rule;
    if (r == "sync.pending") {
      Step s = step(Phase::Wait, Action::Wait, Status::Wait, f,
                    "Nothing to do: the key is registered and Entra Connect writes it to AD at "
                    "the next sync cycle. On-premises PIN sign-in works after that.");
      s.eta = str(f.details, "eta", "details", plan_.diagnostics);
      add(s, f);
    } else if (is_blocker(f)) {
      add(step(Phase::Prerequisite, Action::Manual, Status::Manual, f, manual_text(r)), f);
    } else if (family(r) == "policy") {
      add(step(Phase::Note, Action::Note, Status::Note, f,
               "Recommendation only: nothing blocks enrollment."),
          f);
    } else if (r == "sync.staging_mode") {
      add(server_step(Action::StagingCheck, Status::Manual, f,
                      "This Entra Connect server is in staging mode and exports nothing. Run "
                      "the sync steps on the active server, or switch one server out of "
                      "staging mode in the Entra Connect wizard."),
          f);
    } else if (r == "sync.export_permission_denied") {
      Step s = server_step(Action::GrantKeyWrite, Status::Planned, f,
                           "Add the AD connector account (MSOL_...) to Key Admins, or to "
                           "Enterprise Key Admins in a multi-domain forest, as Microsoft "
                           "documents; this needs Domain Admin rights (Enterprise Admin for "
                           "Enterprise Key Admins). Alternative: delegate Read/Write Property on "
                           "msDS-KeyCredentialLink of user objects (dsacls /I:S /G "
                           "ACCOUNT:RPWP;msDS-KeyCredentialLink;user on the domain). Protected "
                           "accounts (adminCount=1) also need it on CN=AdminSDHolder.");
      if (auto d = domain_of_dn(f.user.dn)) s.domain = *d;
      add(s, f);
    } else if (r == "sync.scheduler_disabled") {
      add(server_step(Action::EnableScheduler, Status::Planned, f,
                      "Enable the sync scheduler: Set-ADSyncScheduler -SyncCycleEnabled $true "
                      "(after whatever maintenance disabled it is finished)."),
          f);
    } else if (r == "sync.scheduler_suspended") {
      add(server_step(Action::ResumeScheduler, Status::Planned, f,
                      "Resume the suspended scheduler: Set-ADSyncScheduler "
                      "-SchedulerSuspended $false."),
          f);
    } else if (r == "sync.export_error") {
      add(server_step(Action::ReviewExportErrors, Status::Manual, f,
                      "Read the export error of the user's object in Synchronization Service "
                      "Manager (Connector Space / export errors) and fix the object."),
          f);
    } else if (kDeltaSyncRules.count(r)) {
      if (r == "sync.overdue" || r == "key.not_in_ad")
        add(step(Phase::Verify, Action::VerifyKeyInAd, Status::Planned, f,
                 "After the delta sync, check that the user's new key is in "
                 "msDS-KeyCredentialLink (read-only)."),
            f);
      // The delta sync itself is added once for all of them (add_delta_sync).
    } else if (r == "sync.interval_long") {
      add(server_step(Action::Note, Status::Note, f,
                      "Information: keys wait one sync interval to reach AD; shorten it with "
                      "Set-ADSyncScheduler -CustomizedSyncCycleInterval if that matters."),
          f);
    } else if (kResetRules.count(r)) {
      add(reset_step(f), f);
    } else if (r == "key.roca_vulnerable") {
      add(step(Phase::Prerequisite, Action::Manual, Status::Manual, f,
               "Update the Infineon TPM firmware (ADV170012, CVE-2017-15361) and clear the TPM "
               "of the device that created this key; only then re-provision (run the device "
               "step of this plan with -TpmFirmwareUpdated)."),
          f);
      remove_keys(f, f.ad_keys);
      Step s = reset_step(f);
      s.needs_tpm_ack = true;
      add_device_reset_for_keys(s, f);
    } else if (r == "key.integrity_failed") {
      remove_keys(f, f.ad_keys);
      add_device_reset_for_keys(reset_step(f), f);
    } else if (r == "key.stale") {
      remove_keys(f, stale_keys(f, known_devices));
    } else {
      add(step(Phase::Note, Action::Note, Status::Note, f,
               "No automated step for this finding: follow its remediation text."),
          f);
    }
  }

  static Step reset_step(const Finding& f) {
    return step(Phase::Device, Action::ResetContainer, Status::Planned, f,
                "Delete the user's Windows Hello container (certutil.exe -DeleteHelloContainer, "
                "as the user, on the device), then sign out and sign back in: provisioning "
                "starts again and registers a new key.");
  }

  // A key found in AD names its device by id only; reset there when it is known.
  void add_device_reset_for_keys(Step s, const Finding& f) {
    if (s.device.empty() && !f.ad_keys.empty()) s.device.id = f.ad_keys.front().device_id;
    add(s, f);
  }

  void remove_keys(const Finding& f, const std::vector<AdKey>& keys) {
    for (const AdKey& k : keys) {
      Step s = step(Phase::ActiveDirectory, Action::RemoveAdKey, Status::Planned, f,
                    "Remove this key from the user's msDS-KeyCredentialLink (by KeyId; the "
                    "other keys stay).");
      s.device = {};
      s.key_id = k.key_id;
      add(s, f);
    }
    if (keys.empty())
      add(step(Phase::Note, Action::Note, Status::Note, f,
               "No key to remove was identified: review the user's keys "
               "(Get-ADUser -Properties msDS-KeyCredentialLink)."),
          f);
  }

  // key.stale: keep the newest key and every key whose device the run saw; the
  // others are the clean-up candidates.
  static std::vector<AdKey> stale_keys(const Finding& f, const std::set<std::string>& known) {
    if (f.ad_keys.size() < 2) return {};
    std::vector<AdKey> keys = f.ad_keys;
    std::stable_sort(keys.begin(), keys.end(),
                     [](const AdKey& a, const AdKey& b) { return a.created < b.created; });
    keys.pop_back();  // the newest
    std::vector<AdKey> out;
    for (const AdKey& k : keys) {
      const auto id = valid_guid(k.device_id);
      if (!id || !known.count(*id)) out.push_back(k);
    }
    return out;
  }

  void add_delta_sync() {
    Step s;
    s.phase = Phase::SyncServer;
    s.action = Action::DeltaSync;
    s.text =
        "Run a delta sync cycle (Start-ADSyncSyncCycle -PolicyType Delta) so the pending "
        "keys are exported to msDS-KeyCredentialLink; skipped while the server is in "
        "staging mode.";
    bool any = false;
    for (const Finding& f : plan_.findings)
      if (kDeltaSyncRules.count(f.rule)) {
        merge(s, f);
        any = true;
      }
    if (any) plan_.steps.push_back(s);
  }

  // Checks every value a step would put in the script; a value of the wrong shape
  // refuses the step (the reason says which field, never the value).
  void validate() {
    for (Step& s : plan_.steps) {
      if (s.status != Status::Planned && s.action != Action::Wait) continue;
      std::string bad;
      const auto need_user = [&] {
        if (!s.user.sid.empty()) {
          if (auto v = valid_sid(s.user.sid))
            s.user.sid = *v;
          else
            bad = "user SID";
        } else if (!s.user.upn.empty()) {
          if (!valid_upn(s.user.upn)) bad = "user UPN";
        } else {
          bad = "user (no SID or UPN in the finding)";
        }
      };
      switch (s.action) {
        case Action::Wait:
          if (auto v = valid_utc_time(s.eta))
            s.eta = *v;
          else
            s.eta.clear();
          break;
        case Action::ResetContainer:
          need_user();
          if (!s.device.name.empty() && !valid_computer_name(s.device.name)) bad = "device name";
          if (!s.device.id.empty()) {
            if (auto v = valid_guid(s.device.id))
              s.device.id = *v;
            else
              bad = "device id";
          }
          if (s.device.empty()) bad = "device (no name or id in the finding)";
          break;
        case Action::RemoveAdKey:
          need_user();
          if (auto v = valid_ad_key_id(s.key_id))
            s.key_id = *v;
          else
            bad = "key id";
          break;
        case Action::VerifyKeyInAd:
          need_user();
          break;
        default:
          break;
      }
      if (!bad.empty()) {
        s.status = Status::Refused;
        s.reason = "the " + bad +
                   " from the logs does not have the expected shape; the step "
                   "was not generated. Check the finding by hand.";
      }
    }
  }

  void order() {
    std::stable_sort(plan_.steps.begin(), plan_.steps.end(),
                     [](const Step& a, const Step& b) { return a.phase < b.phase; });
    int n = 0;
    for (Step& s : plan_.steps) s.number = ++n;
  }

  // A reset while an upstream blocker remains would only fail again (or provision a
  // key the next fix invalidates): hold it back and say which steps come first.
  void block_resets() {
    for (Step& s : plan_.steps) {
      if (s.action != Action::ResetContainer || s.status != Status::Planned) continue;
      for (const Step& b : plan_.steps) {
        if (b.phase != Phase::Prerequisite || b.action != Action::Manual) continue;
        const bool roca_ack =
            s.needs_tpm_ack && b.rules == std::vector<std::string>{"key.roca_vulnerable"};
        if (roca_ack) continue;  // gated by -TpmFirmwareUpdated instead
        if (b.user.empty() && b.device.empty()) continue;
        if (!b.user.empty() && !b.user.overlaps(s.user)) continue;
        if (!b.device.empty() && !b.device.overlaps(s.device)) continue;
        s.blocked_by.push_back(b.number);
      }
      if (!s.blocked_by.empty()) {
        s.status = Status::Blocked;
        s.reason =
            "held back until the prerequisite steps it depends on are fixed and a new "
            "analysis shows them gone";
      }
    }
  }

  void add_intune_pairs() {
    IntunePair failed;
    failed.name = "ngc-registration-failed";
    failed.title = "Windows Hello container left over from a failed key registration";
    IntunePair replace;
    replace.name = "ngc-key-replace";
    replace.title = "Windows Hello container holding a key that must be replaced";
    for (const Step& s : plan_.steps) {
      if (s.action != Action::ResetContainer || s.status != Status::Planned || s.needs_tpm_ack)
        continue;
      for (size_t n : s.findings) {
        const Finding& f = plan_.findings[n - 1];
        IntunePair* p = nullptr;
        if (f.rule == "provisioning.key_registration_failed" || f.rule == "provisioning.failed")
          p = &failed;
        else if (!f.ngc_key_ids.empty())
          p = &replace;
        if (!p) continue;
        p->findings.push_back(n);
        if (std::find(p->rules.begin(), p->rules.end(), f.rule) == p->rules.end())
          p->rules.push_back(f.rule);
        p->devices.push_back(s.device.display());
        if (p == &replace)
          for (const std::string& k : f.ngc_key_ids) {
            if (auto v = valid_ngc_key_id(k)) {
              if (std::find(p->bad_ngc_key_ids.begin(), p->bad_ngc_key_ids.end(), *v) ==
                  p->bad_ngc_key_ids.end())
                p->bad_ngc_key_ids.push_back(*v);
            } else {
              ++p->refused;
            }
          }
      }
    }
    if (!failed.findings.empty()) plan_.intune.push_back(failed);
    if (!replace.bad_ngc_key_ids.empty()) plan_.intune.push_back(replace);
  }

  Plan& plan_;
};

}  // namespace

bool Person::overlaps(const Person& o) const {
  return same_nonempty(sid, o.sid) || same_nonempty(upn, o.upn) || same_nonempty(dn, o.dn) ||
         same_nonempty(sam, o.sam);
}

std::string Person::display() const {
  for (const std::string* s : {&upn, &sid, &sam, &dn})
    if (!s->empty()) return *s;
  return "";
}

bool Device::overlaps(const Device& o) const {
  if (same_nonempty(id, o.id)) return true;
  // PC-0517 and PC-0517.corp.contoso.com are one computer.
  const auto first = [](const std::string& n) { return lower(n.substr(0, n.find('.'))); };
  return !name.empty() && !o.name.empty() && first(name) == first(o.name);
}

std::string Device::display() const { return name.empty() ? id : name; }

bool Step::destructive() const {
  switch (action) {
    case Action::GrantKeyWrite:
    case Action::EnableScheduler:
    case Action::ResumeScheduler:
    case Action::DeltaSync:
    case Action::RemoveAdKey:
    case Action::ResetContainer:
      return true;
    default:
      return false;
  }
}

std::string Step::id() const { return fmt::format("S{:02}", number); }

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Prerequisite:
      return "prerequisite";
    case Phase::Wait:
      return "wait";
    case Phase::SyncServer:
      return "sync-server";
    case Phase::ActiveDirectory:
      return "active-directory";
    case Phase::Device:
      return "device";
    case Phase::Verify:
      return "verify";
    case Phase::Note:
      return "note";
  }
  return "note";
}

const char* status_name(Status s) {
  switch (s) {
    case Status::Planned:
      return "planned";
    case Status::Manual:
      return "manual";
    case Status::Wait:
      return "wait";
    case Status::Blocked:
      return "blocked";
    case Status::Refused:
      return "refused";
    case Status::Note:
      return "note";
  }
  return "note";
}

Plan make_plan(const json& input) {
  Plan plan;
  if (!input.is_object()) {
    plan.diagnostics.push_back("input is not a JSON object; nothing planned");
    return plan;
  }
  plan.options = read_options(input, plan.diagnostics);
  std::set<std::string> known_devices;
  if (const auto ids = input.find("identities"); ids != input.end() && ids->is_array())
    for (const auto& id : *ids)
      if (id.is_object())
        if (auto g = valid_guid(str(id, "device_id", "identity", plan.diagnostics)))
          known_devices.insert(*g);
  const auto fs = input.find("findings");
  if (fs == input.end() || fs->is_null()) {
    plan.diagnostics.push_back("input has no 'findings'; nothing planned");
  } else if (!fs->is_array()) {
    plan.diagnostics.push_back("'findings' is not an array; nothing planned");
  } else {
    size_t number = 0;
    for (const auto& j : *fs) {
      ++number;
      if (!j.is_object()) {
        plan.diagnostics.push_back(fmt::format("finding {} is not an object; skipped", number));
        continue;
      }
      Finding f = read_finding(j, number, plan.diagnostics);
      if (!std::regex_match(f.rule, kRuleShape)) {
        plan.diagnostics.push_back(
            fmt::format("finding {} has no valid rule id (family.name); skipped", number));
        continue;
      }
      f.number = plan.findings.size() + 1;  // numbered among the findings kept
      plan.findings.push_back(std::move(f));
    }
  }
  Planner(plan).run(known_devices);
  return plan;
}

}  // namespace hellotrace::reenroll
