#include "engine/keysync.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <set>

#include "engine/rules.hpp"

namespace hellotrace::host {

using text::iequals;

int64_t parse_duration_seconds(std::string_view s) {
  s = text::trim(s);
  // [d.]hh:mm:ss[.fffffff]
  int64_t days = 0, h = 0, m = 0, sec = 0;
  size_t i = 0;
  auto number = [&](int64_t& out) {
    size_t start = i;
    out = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') out = out * 10 + (s[i++] - '0');
    return i > start;
  };
  if (!number(h)) return -1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    days = h;
    if (!number(h)) return -1;
  }
  if (i >= s.size() || s[i] != ':') return -1;
  ++i;
  if (!number(m) || i >= s.size() || s[i] != ':') return -1;
  ++i;
  if (!number(sec)) return -1;
  if (i < s.size() && s[i] == '.') {  // fraction: ignored
    ++i;
    int64_t frac;
    number(frac);
  }
  if (i != s.size() || m > 59 || sec > 59) return -1;
  return ((days * 24 + h) * 60 + m) * 60 + sec;
}

static std::optional<bool> boolean(const Event& e, std::string_view name) {
  const std::string* v = e.field(name);
  if (!v) return std::nullopt;
  const std::string_view t = text::trim(*v);
  if (iequals(t, "true") || iequals(t, "yes") || t == "1") return true;
  if (iequals(t, "false") || iequals(t, "no") || t == "0") return false;
  return std::nullopt;
}

static Evidence evidence_of(const Event& e, std::vector<std::string> names) {
  return FindingCollector::evidence_of(e, names);
}

static int64_t time_field(const Event& e, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (const std::string* v = e.field(n))
      if (auto t = time::parse_iso(*v)) return *t;
  return HT_NO_TIME;
}

void KeySyncInput::observe(const Event& e, int user_node, int device_node) {
  const std::string& k = e.kind;
  if (k == "ngc.key_registered") {
    if (e.time == HT_NO_TIME) return;
    registrations.push_back({e.time, std::string(e.field_or("KeyId")),
                             std::string(e.field_or("Attestation")), user_node, device_node,
                             evidence_of(e, {"KeyId", "UPN", "Attestation"}), e.subject});
  } else if (k == "ad.key_credential") {
    ad_keys.push_back({e.time, std::string(e.field_or("KeyId")), e.subject.device_id,
                       std::string(e.field_or("Usage")), user_node,
                       evidence_of(e, {"KeyId", "Usage", "DeviceId", "Created"}), e.subject.user_dn,
                       e.subject.user_upn});
    ad_objects.push_back({user_node, ad_keys.back().evidence});
  } else if (k == "ad.user") {
    ad_objects.push_back({user_node, evidence_of(e, {"DistinguishedName", "KeyCredentialCount"})});
  } else if (k == "sync.export_error") {
    export_errors.push_back({user_node, std::string(e.field_or("ErrorType")),
                             std::string(e.field_or("Attribute")),
                             evidence_of(e, {"ErrorType", "Attribute", "DN", "Detail"})});
  } else if (k == "sync.scheduler") {
    SchedulerState s;
    s.enabled = boolean(e, "SyncCycleEnabled");
    s.suspended = boolean(e, "SchedulerSuspended");
    s.staging = boolean(e, "StagingModeEnabled");
    s.in_progress = boolean(e, "SyncCycleInProgress");
    if (const std::string* v = e.field("IntervalSeconds")) {
      try {
        s.interval_seconds = std::stoll(*v);
      } catch (...) {
      }
    }
    if (s.interval_seconds < 0)
      s.interval_seconds =
          parse_duration_seconds(e.field_or("CurrentlyEffectiveSyncCycleInterval"));
    s.next_start = time_field(e, {"NextSyncUtc", "NextSyncCycleStartTimeInUTC"});
    s.seen = e.time;
    s.evidence =
        evidence_of(e, {"SyncCycleEnabled", "SchedulerSuspended", "StagingModeEnabled",
                        "NextSyncCycleStartTimeInUTC", "CurrentlyEffectiveSyncCycleInterval"});
    // Keep the latest export (by its own time, else by its next start).
    const auto order = [](const SchedulerState& x) {
      return x.seen != HT_NO_TIME ? x.seen : x.next_start;
    };
    if (!scheduler || order(s) >= order(*scheduler)) scheduler = std::move(s);
  } else if (k == "sync.cycle") {
    SyncCycle c;
    c.start = e.time;
    c.end = time_field(e, {"EndUtc", "EndDate", "EndTime"});
    // The entra-sync plugin adds normalized names beside the ones PowerShell printed.
    c.connector = e.field_or("Connector", e.field_or("ConnectorName"));
    c.profile = e.field_or("RunProfile", e.field_or("RunProfileName"));
    c.result = e.field_or("RunResult", e.field_or("Result"));
    c.evidence = evidence_of(e, {"Connector", "RunProfile", "RunResult", "StartUtc", "EndUtc"});
    cycles.push_back(std::move(c));
  }
}

namespace {

bool successful(const SyncCycle& c) { return iequals(text::trim(c.result), "success"); }

// A cycle step that writes to on-premises AD (not the Entra connector's).
bool exports_to_ad(const SyncCycle& c) {
  if (!c.profile.empty() && !text::icontains(c.profile, "export")) return false;
  return !(text::icontains(c.connector, "- AAD") ||
           text::icontains(c.connector, "onmicrosoft.com"));
}

Finding make(const char* rule, const char* severity, const char* title, std::string summary,
             const Subject& s) {
  Finding f;
  f.rule = rule;
  f.severity = severity;
  f.title = title;
  f.category = std::string(rule).substr(0, std::string(rule).find('.'));
  f.summary = std::move(summary);
  f.subject = s;
  return f;
}

const char* kSyncDoc =
    "https://learn.microsoft.com/entra/identity/hybrid/connect/"
    "how-to-connect-sync-feature-scheduler";
const char* kKeyTrustDoc =
    "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/deploy/"
    "hybrid-key-trust";

}  // namespace

KeySyncResult analyze_key_sync(const KeySyncInput& in, const IdentityGraph& graph, int64_t now,
                               const std::function<UserTimeline*(int identity)>& timeline_of,
                               const std::vector<Finding>& rule_findings) {
  KeySyncResult out;
  out.sync.scheduler = in.scheduler;
  out.sync.cycles = in.cycles;
  std::sort(out.sync.cycles.begin(), out.sync.cycles.end(),
            [](const SyncCycle& a, const SyncCycle& b) { return a.start < b.start; });

  const SchedulerState* sched = in.scheduler ? &*in.scheduler : nullptr;
  const bool interval_known = sched && sched->interval_seconds > 0;
  const int64_t interval = interval_known ? sched->interval_seconds : kDefaultSyncIntervalSeconds;
  std::vector<std::string> blocked_by;
  if (sched) {
    if (sched->enabled == false) blocked_by.push_back("sync.scheduler_disabled");
    if (sched->suspended == true) blocked_by.push_back("sync.scheduler_suspended");
    if (sched->staging == true) blocked_by.push_back("sync.staging_mode");
  }
  const std::string user_hint = "{user}";

  // Tenant-wide: interval and staleness.
  if (interval_known && interval > kDefaultSyncIntervalSeconds) {
    Finding f = make("sync.interval_long", "info", "Sync interval longer than 30 minutes",
                     fmt::format("Entra Connect syncs every {} minutes: every new key waits up to "
                                 "that long before on-premises sign-in works",
                                 interval / 60),
                     Subject{});
    f.evidence.push_back(sched->evidence);
    f.details = {{"interval_seconds", interval}};
    f.remediation =
        "Keep the default 30-minute cycle (Set-ADSyncScheduler -CustomizedSyncCycleInterval $null) "
        "unless there is a reason; after a user enrolls you can run 'Start-ADSyncSyncCycle "
        "-PolicyType Delta' on the Entra Connect server.";
    f.documentation = kSyncDoc;
    out.findings.push_back(std::move(f));
  }
  if (!in.cycles.empty() && now != HT_NO_TIME) {
    const int64_t since = now - 24 * time::kTicksPerHour;
    const bool recent_success =
        std::any_of(in.cycles.begin(), in.cycles.end(), [&](const SyncCycle& c) {
          const int64_t t = c.end != HT_NO_TIME ? c.end : c.start;
          return successful(c) && t != HT_NO_TIME && t >= since;
        });
    if (!recent_success) {
      Finding f = make("sync.stale", "medium", "No successful sync cycle in the last 24 hours",
                       "Entra Connect has not completed a successful sync run in the 24 hours "
                       "before the logs were collected",
                       Subject{});
      f.evidence.push_back(out.sync.cycles.back().evidence);
      f.details = {{"last_cycle_result", out.sync.cycles.back().result}};
      f.remediation =
          "On the Entra Connect server check Synchronization Service Manager (Operations) and the "
          "Application log (source ADSync) for failed runs; run 'Get-ADSyncScheduler' and "
          "'Start-ADSyncSyncCycle -PolicyType Delta'.";
      f.documentation = kSyncDoc;
      out.findings.push_back(std::move(f));
    }
  }

  // Per user: the latest registration and what became of it.
  // A registration later than --now is not the state at --now (issue 15): the key
  // the user had then, if any, is the one to follow.
  std::map<int, const KeySyncInput::Registration*> latest;
  for (const auto& r : in.registrations) {
    const int u = graph.resolve(r.user_node);
    if (u < 0 || (now != HT_NO_TIME && r.time > now)) continue;
    auto& slot = latest[u];
    if (!slot || r.time > slot->time) slot = &r;
  }
  // AD keys per user, for key.stale too.
  std::map<int, std::vector<const KeySyncInput::AdKey*>> keys_of;
  for (const auto& k : in.ad_keys)
    if (int u = graph.resolve(k.user_node); u >= 0) keys_of[u].push_back(&k);
  std::map<int, std::vector<const Evidence*>> ad_objects_of;  // users an AD export covered
  for (const auto& o : in.ad_objects)
    if (int u = graph.resolve(o.user_node); u >= 0) ad_objects_of[u].push_back(&o.evidence);
  std::map<int, std::vector<std::string>> export_problems_of;
  for (const auto& err : in.export_errors)
    if (int u = graph.resolve(err.user_node); u >= 0) {
      const bool perm =
          text::icontains(err.type, "permission") || text::icontains(err.type, "access");
      export_problems_of[u].push_back(perm ? "sync.export_permission_denied" : "sync.export_error");
    }
  // Export findings of the data rules, by the DN they name (excerpt or subject).
  std::map<std::string, std::vector<std::string>> rule_problems_of_dn;
  for (const auto& rf : rule_findings)
    if (rf.rule == "sync.export_permission_denied" || rf.rule == "sync.export_error")
      if (!rf.subject.user_dn.empty())
        if (auto f = IdentityGraph::normalize(FactType::kDn, rf.subject.user_dn))
          rule_problems_of_dn[f->value].push_back(rf.rule);

  for (const auto& [u, keys] : keys_of) {
    size_t ngc = 0;
    for (const auto* k : keys) ngc += k->usage.empty() || text::icontains(k->usage, "ngc");
    if (ngc < 2) continue;
    Finding f = make("key.stale", "info", "Several Windows Hello keys for one user",
                     fmt::format("{} has {} NGC keys in msDS-KeyCredentialLink: old devices' keys "
                                 "are candidates for clean-up",
                                 graph.identities()[u].display(), ngc),
                     Subject{});
    // The owner as the export wrote it (identity facts are case-folded).
    f.subject.user_dn = keys.front()->owner_dn;
    f.subject.user_upn = keys.front()->owner_upn;
    for (const auto* k : keys) f.evidence.push_back(k->evidence);
    f.details = {{"ngc_keys", ngc}};
    f.remediation =
        "List the user's keys (Get-ADUser -Properties msDS-KeyCredentialLink, or DSInternals "
        "Get-ADKeyCredential) and remove those of devices that no longer exist; in Entra ID remove "
        "stale devices/authentication methods so sync does not write them back.";
    f.documentation = kKeyTrustDoc;
    out.findings.push_back(std::move(f));
  }

  for (const auto& [u, reg] : latest) {
    const Identity& who = graph.identities()[u];
    const int reg_device = graph.resolve(reg->device_node);
    // Is the key in AD? Same user, NGC, created at/after the registration (clocks
    // differ by minutes) or bound to the registering device.
    const KeySyncInput::AdKey* in_ad = nullptr;
    static const std::vector<const KeySyncInput::AdKey*> kNoKeys;
    auto keys_it = keys_of.find(u);
    for (const auto* k : keys_it != keys_of.end() ? keys_it->second : kNoKeys) {
      if (!k->usage.empty() && !text::icontains(k->usage, "ngc")) continue;
      const bool by_time =
          k->created != HT_NO_TIME && k->created >= reg->time - 10 * time::kTicksPerMinute;
      int key_device = -1;
      if (!k->device_id.empty())
        if (auto d = graph.find(FactType::kDeviceId, k->device_id)) key_device = *d;
      // A key of the same device created long before T is the one the new key replaces
      // (re-provisioning), not the new key.
      const bool older =
          k->created != HT_NO_TIME && k->created < reg->time - 24 * time::kTicksPerHour;
      const bool by_device = key_device >= 0 && key_device == reg_device && !older;
      if (by_time || by_device) in_ad = k;
    }
    UserTimeline* t = timeline_of(u);
    auto set_phase = [&](Phase p, PhaseState s, int64_t when, std::string note,
                         const Evidence* ev) {
      if (!t) return;
      PhaseStatus& ps = t->phases[static_cast<size_t>(p)];
      ps.phase = p;
      ps.state = s;
      ps.time = when;
      ps.note = std::move(note);
      if (ev) ps.evidence = *ev;
    };
    if (in_ad) {
      set_phase(Phase::kKeyInAd, PhaseState::kDone, in_ad->created,
                "key present in msDS-KeyCredentialLink", &in_ad->evidence);
      set_phase(Phase::kSyncCycle, PhaseState::kDone, HT_NO_TIME,
                "a sync cycle wrote the key to AD", nullptr);
      continue;
    }
    // Expected write time: the first cycle start at or after T.
    int64_t eta;
    std::string basis;
    const int64_t step = interval * time::kTicksPerSecond;
    if (sched && sched->next_start != HT_NO_TIME) {
      // The cycles run on one grid (next start ± n × interval): the first start at or
      // after T, also when the export was taken long after T (next start far ahead).
      eta = sched->next_start;
      if (eta < reg->time) {
        eta += ((reg->time - eta + step - 1) / step) * step;
      } else {
        eta -= ((eta - reg->time - 1) / step) * step;  // back: a start exactly at T is not counted
      }
      basis = interval_known ? "scheduler's next start and effective interval"
                             : "scheduler's next start, 30-minute default interval";
    } else {
      eta = reg->time + step;
      basis = sched
                  ? "registration time + effective interval (no next start in the scheduler export)"
                  : "registration time + 30 minutes (default; no scheduler export given)";
    }
    // A successful export to AD after T that did not write the key?
    const SyncCycle* after = nullptr;
    for (const auto& c : out.sync.cycles)
      if (c.start != HT_NO_TIME && c.start >= reg->time && successful(c) && exports_to_ad(c)) {
        after = &c;
        break;
      }
    std::vector<std::string> explained = blocked_by;
    if (auto it = export_problems_of.find(u); it != export_problems_of.end())
      explained.insert(explained.end(), it->second.begin(), it->second.end());
    for (const auto& dn : who.dns)
      if (auto it = rule_problems_of_dn.find(dn); it != rule_problems_of_dn.end())
        explained.insert(explained.end(), it->second.begin(), it->second.end());
    std::sort(explained.begin(), explained.end());
    explained.erase(std::unique(explained.begin(), explained.end()), explained.end());

    nlohmann::json details = {{"registered", time::format_iso(reg->time)},
                              {"key_id", reg->key_id},
                              {"eta", time::format_iso(eta)},
                              {"eta_basis", basis},
                              {"interval_seconds", interval},
                              {"now", time::format_iso(now)}};
    if (!explained.empty()) details["explained_by"] = explained;
    Subject subject = reg->subject;
    if (now != HT_NO_TIME && now < eta && blocked_by.empty()) {
      const int64_t minutes = (eta - now + time::kTicksPerMinute - 1) / time::kTicksPerMinute;
      Finding f = make(
          "sync.pending", "info", "Key registered, waiting for Entra Connect to write it to AD",
          fmt::format("the Windows Hello key of {} (registered {}) reaches AD at the earliest at "
                      "{} (in {} min), then still has to replicate to the domain controller "
                      "the device asks; on-premises PIN sign-in fails until then",
                      who.display(), time::format_iso(reg->time), time::format_iso(eta), minutes),
          subject);
      f.evidence.push_back(reg->evidence);
      if (sched) f.evidence.push_back(sched->evidence);
      details["minutes_left"] = minutes;
      details["eta_is"] =
          "earliest: Microsoft documents at least 30 minutes after registration, "
          "and the DC the device asks needs AD replication";
      f.details = details;
      f.remediation =
          explained.empty()
              ? "Nothing is broken: wait for the next delta sync, or run 'Start-ADSyncSyncCycle "
                "-PolicyType Delta' on the Entra Connect server. Microsoft documents at least 30 "
                "minutes from registration to the key in AD, and the domain controller the device "
                "asks needs the value replicated too, so the ETA is the earliest time, not a "
                "promise. The user can sign in with the PIN on-premises once the key is in "
                "msDS-KeyCredentialLink on that DC (check with Get-ADUser -Server <DC> -Properties "
                "msDS-KeyCredentialLink)."
              : "The next cycle is still ahead, but an earlier export of this user failed (" +
                    fmt::format("{}", fmt::join(explained, ", ")) +
                    "): fix that first or the key will not reach AD; then run "
                    "'Start-ADSyncSyncCycle -PolicyType Delta' and check msDS-KeyCredentialLink "
                    "with Get-ADUser.";
      f.documentation = kKeyTrustDoc;
      out.findings.push_back(std::move(f));
      set_phase(Phase::kSyncCycle, PhaseState::kPending, eta,
                "next cycle expected at " + time::format_iso(eta), nullptr);
      set_phase(Phase::kKeyInAd, PhaseState::kPending, eta, "expected at " + time::format_iso(eta),
                nullptr);
      continue;
    }
    if (now == HT_NO_TIME) continue;
    // Overdue: the expected time has passed (or sync cannot run at all).
    if (now >= eta || !blocked_by.empty()) {
      if (now < eta) {
        // Sync is blocked: it will not happen at the ETA either.
        details["blocked"] = true;
      }
      Finding f = make(
          "sync.overdue", "high", "Key not in AD after the expected sync",
          fmt::format(
              "the Windows Hello key of {} (registered {}) should have reached AD by "
              "{} but neither an AD export nor a successful Entra Connect export shows it{}",
              who.display(), time::format_iso(reg->time), time::format_iso(eta),
              explained.empty() ? ""
                                : " (see " + fmt::format("{}", fmt::join(explained, ", ")) + ")"),
          subject);
      f.evidence.push_back(reg->evidence);
      if (sched) f.evidence.push_back(sched->evidence);
      if (after) f.evidence.push_back(after->evidence);
      f.details = details;
      f.remediation =
          explained.empty()
              ? "On the Entra Connect server run 'Get-ADSyncScheduler' and 'Start-ADSyncSyncCycle "
                "-PolicyType Delta', check the last Export run of the AD connector for errors on "
                "this user, then check msDS-KeyCredentialLink with Get-ADUser."
              : "Fix what the cited findings say (" +
                    fmt::format("{}", fmt::join(explained, ", ")) +
                    "), then run 'Start-ADSyncSyncCycle -PolicyType Delta' and check "
                    "msDS-KeyCredentialLink with Get-ADUser.";
      f.documentation = kKeyTrustDoc;
      out.findings.push_back(std::move(f));
      set_phase(Phase::kSyncCycle, after ? PhaseState::kDone : PhaseState::kFailed,
                after ? after->start : eta,
                after ? "export ran after the registration" : "no sync cycle wrote the key",
                after ? &after->evidence : nullptr);
      if (auto covered = ad_objects_of.find(u); covered != ad_objects_of.end()) {
        Finding k =
            make("key.not_in_ad", "high", "Registered key missing from msDS-KeyCredentialLink",
                 fmt::format("the AD export lacks the Windows Hello key of {} (registered {}), "
                             "although it should have been written by {}",
                             who.display(), time::format_iso(reg->time), time::format_iso(eta)),
                 subject);
        k.evidence.push_back(reg->evidence);
        for (const Evidence* ev : covered->second)
          if (k.evidence.size() < 20) k.evidence.push_back(*ev);
        k.details = details;
        k.details["assumption"] = "the AD export was taken when the logs were collected (--now)";
        k.remediation =
            "Check the AD connector's export errors for this user (permission-issue on "
            "msDS-KeyCredentialLink means the connector account needs the Key Admins rights), run "
            "a delta sync, and verify with Get-ADUser -Properties msDS-KeyCredentialLink.";
        k.documentation = kKeyTrustDoc;
        out.findings.push_back(std::move(k));
        set_phase(Phase::kKeyInAd, PhaseState::kFailed, now, "AD export lacks the key", nullptr);
      } else {
        set_phase(Phase::kKeyInAd, PhaseState::kPending, eta, "no AD export given: cannot confirm",
                  nullptr);
      }
    }
  }
  return out;
}

}  // namespace hellotrace::host
