#include "engine/timeline.hpp"

#include <gtest/gtest.h>

#include <hellotrace/time.hpp>

#include "engine/keysync.hpp"

using namespace hellotrace;
using namespace hellotrace::host;

namespace {
int64_t at(const char* iso) { return *time::parse_iso(iso); }

Event registered(const char* when) {
  Event e;
  e.kind = "ngc.key_registered";
  e.source = "udr";
  e.event_id = 300;
  e.time = at(when);
  e.subject.user_sid = "S-1-5-21-1-2-3-1104";
  e.subject.user_upn = "jdoe@contoso.com";
  e.subject.device_name = "PC-0142";
  e.subject.ngc_key_id = "9a4b1c2d-0000-4000-8000-000000000001";
  e.add("KeyId", "9a4b1c2d-0000-4000-8000-000000000001");
  e.add("UPN", "jdoe@contoso.com");
  e.add("Attestation", "ATT_HARD");
  e.file = "udr.evtx";
  e.origin.record = 41;
  return e;
}

Event scheduler(const char* next, const char* interval, bool suspended = false) {
  Event e;
  e.kind = "sync.scheduler";
  e.source = "entra-sync";
  e.add("CurrentlyEffectiveSyncCycleInterval", interval);
  e.add("NextSyncCycleStartTimeInUTC", next);
  e.add("SyncCycleEnabled", "True");
  e.add("SchedulerSuspended", suspended ? "True" : "False");
  e.add("StagingModeEnabled", "False");
  e.file = "scheduler.txt";
  e.origin.line = 3;
  return e;
}

Event ad_key(const char* created) {
  Event e;
  e.kind = "ad.key_credential";
  e.source = "keycred";
  e.time = at(created);
  e.subject.user_dn = "CN=John Doe,OU=Staff,DC=contoso,DC=com";
  e.subject.user_upn = "jdoe@contoso.com";
  e.add("Usage", "NGC");
  e.add("KeyId", "abcd");
  e.file = "keys.txt";
  e.origin.line = 9;
  return e;
}

const Finding* find(const Report& r, std::string_view rule) {
  for (const auto& f : r.findings)
    if (f.rule == rule) return &f;
  return nullptr;
}

const PhaseStatus& phase(const Report& r, Phase p) {
  return r.users.at(0).phases[static_cast<size_t>(p)];
}

RuleSet shipped_rules() {
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules");
  return rules;
}
}  // namespace

TEST(KeySync, PendingInsideTheWindowWithTheSchedulersEta) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-04T10:05:00Z");
  Analysis a(rules, o);
  a.observe(registered("2025-03-04T10:00:00Z"));
  // The scheduler export is older than the registration: its next start (09:42) has
  // passed, so the next cycle after 10:00 is 09:42 + 30 min = 10:12.
  a.observe(scheduler("2025-03-04T09:42:00Z", "00:30:00"));
  const Report r = a.finish();
  const Finding* f = find(r, "sync.pending");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, "info");
  EXPECT_EQ(f->details["eta"], "2025-03-04T10:12:00.0000000Z");
  EXPECT_EQ(f->details["minutes_left"], 7);
  EXPECT_EQ(f->subject.user_upn, "jdoe@contoso.com");
  EXPECT_EQ(find(r, "sync.overdue"), nullptr);
  EXPECT_EQ(phase(r, Phase::kKeyRegistered).state, PhaseState::kDone);
  EXPECT_EQ(phase(r, Phase::kKeyInAd).state, PhaseState::kPending);
}

TEST(KeySync, EtaIsTheFirstCycleAfterTheRegistrationWhenTheExportIsLater) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-04T12:05:00Z");
  Analysis a(rules, o);
  a.observe(registered("2025-03-04T07:10:45Z"));
  // Exported at collection time: cycles ran every 30 min on the grid through 12:21:47.
  a.observe(scheduler("2025-03-04T12:21:47Z", "00:30:00"));
  const Report r = a.finish();
  const Finding* f = find(r, "sync.overdue");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->details["eta"], "2025-03-04T07:21:47.0000000Z");
  EXPECT_EQ(find(r, "sync.pending"), nullptr);
}

TEST(KeySync, AnOldKeyOfTheSameDeviceIsNotTheNewKey) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-04T10:05:00Z");
  Analysis a(rules, o);
  Event dev;  // dsregcmd ties the device name to its id
  dev.kind = "device.details";
  dev.source = "dsregcmd";
  dev.subject.device_name = "PC-0142";
  dev.subject.device_id = "5b7c1e2a-9d3f-4e8b-a1c2-d3e4f5a6b7c8";
  a.observe(dev);
  Event old = ad_key("2024-06-01T09:00:00Z");  // provisioned on this PC last year
  old.subject.device_id = "5b7c1e2a-9d3f-4e8b-a1c2-d3e4f5a6b7c8";
  a.observe(old);
  a.observe(registered("2025-03-04T10:00:00Z"));  // re-provisioned today
  const Report r = a.finish();
  EXPECT_NE(find(r, "sync.pending"), nullptr);
}

TEST(KeySync, OverdueWhenTheSchedulerIsSuspendedAndExplainsWhy) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-05T08:00:00Z");
  Analysis a(rules, o);
  a.observe(registered("2025-03-04T10:00:00Z"));
  a.observe(scheduler("2025-03-04T10:30:00Z", "00:30:00", /*suspended=*/true));
  const Report r = a.finish();
  const Finding* f = find(r, "sync.overdue");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, "high");
  EXPECT_EQ(f->details["eta"], "2025-03-04T10:30:00.0000000Z");
  EXPECT_EQ(f->details["explained_by"], nlohmann::json::array({"sync.scheduler_suspended"}));
  EXPECT_EQ(find(r, "sync.pending"), nullptr);
  EXPECT_EQ(phase(r, Phase::kSyncCycle).state, PhaseState::kFailed);
}

TEST(KeySync, NoSyncFindingOnceTheKeyIsInAd) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-04T12:00:00Z");
  Analysis a(rules, o);
  a.observe(registered("2025-03-04T10:00:00Z"));
  a.observe(ad_key("2025-03-04T10:00:02Z"));
  const Report r = a.finish();
  EXPECT_EQ(find(r, "sync.pending"), nullptr);
  EXPECT_EQ(find(r, "sync.overdue"), nullptr);
  EXPECT_EQ(find(r, "key.not_in_ad"), nullptr);
  ASSERT_EQ(r.users.size(), 1u);  // UPN tied the registration (SID) to the AD object (DN)
  EXPECT_EQ(phase(r, Phase::kKeyInAd).state, PhaseState::kDone);
}

TEST(KeySync, KeyNotInAdWhenTheExportLacksItAfterTheEta) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-04T14:00:00Z");
  Analysis a(rules, o);
  a.observe(ad_key("2024-01-01T09:00:00Z"));  // an old key from another device
  a.observe(registered("2025-03-04T10:00:00Z"));
  const Report r = a.finish();
  const Finding* f = find(r, "key.not_in_ad");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->details["eta"], "2025-03-04T10:30:00.0000000Z");  // default 30 minutes
  EXPECT_NE(find(r, "sync.overdue"), nullptr);
}

// A prerequisite check of one user that found no PRT (event 360).
static Event prereq_check(int64_t event_id, const char* time) {
  Event e;
  e.kind = "prereq.check";
  e.source = "udr";
  e.event_id = event_id;
  e.time = at(time);
  e.subject.user_sid = "S-1-5-21-1-2-3-1104";
  e.add("AADPrt", "No");
  return e;
}

// Issue 15: a registration later than --now is not the state at --now. The user
// registered a key at 10:00 (its sync was due at 10:30); a re-registration at 14:00 is
// after --now (12:00) and must not hide that the 10:00 key is overdue.
TEST(KeySync, ARegistrationAfterNowIsNotTheStateAtNow) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-04T12:00:00Z");
  Analysis a(rules, o);
  a.observe(registered("2025-03-04T10:00:00Z"));
  a.observe(registered("2025-03-04T14:00:00Z"));
  const Report r = a.finish();
  const Finding* f = find(r, "sync.overdue");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->details["registered"], "2025-03-04T10:00:00.0000000Z");
  EXPECT_EQ(f->details["eta"], "2025-03-04T10:30:00.0000000Z");
  EXPECT_EQ(find(r, "sync.pending"), nullptr);

  // Only a registration after --now: nothing to say about it yet.
  Analysis b(rules, o);
  b.observe(registered("2025-03-04T14:00:00Z"));
  const Report only_later = b.finish();
  EXPECT_EQ(find(only_later, "sync.overdue"), nullptr);
  EXPECT_EQ(find(only_later, "sync.pending"), nullptr);
}

TEST(Timeline, PhasesFollowTheLatestEvidenceAndUnknownIsNeverGuessed) {
  RuleSet rules = shipped_rules();
  Analysis a(rules, {});
  Event fail = prereq_check(360, "2025-03-01T08:00:00Z");
  fail.add("DeviceIsJoined", "Yes");
  Event pass = fail;
  pass.event_id = 358;
  pass.time = at("2025-03-02T08:00:00Z");
  pass.fields = {{"AADPrt", "Yes"}, {"DeviceIsJoined", "Yes"}};
  a.observe(pass);  // order of observation does not matter, time does
  a.observe(fail);
  const Report r = a.finish();
  ASSERT_EQ(r.users.size(), 1u);
  EXPECT_EQ(phase(r, Phase::kPrerequisites).state, PhaseState::kDone);
  EXPECT_EQ(phase(r, Phase::kPrt).state, PhaseState::kDone);
  EXPECT_EQ(phase(r, Phase::kPolicy).state, PhaseState::kUnknown);
  EXPECT_EQ(phase(r, Phase::kKeyInAd).state, PhaseState::kUnknown);
  EXPECT_EQ(r.users[0].entries.front().event_id, 360);  // sorted by time
  // The earlier failure is history (rules/prereq.json "state"): no finding, and the
  // timeline marks it superseded by the passing check.
  EXPECT_EQ(find(r, "prereq.no_prt"), nullptr);
  EXPECT_EQ(find(r, "prereq.will_not_provision"), nullptr);
  EXPECT_FALSE(r.users[0].entries.front().superseded_by.empty());
  EXPECT_TRUE(r.users[0].entries.back().superseded_by.empty());
}

TEST(Timeline, AFailureStandsWhenThePassComesAfterNow) {
  RuleSet rules = shipped_rules();
  AnalysisOptions o;
  o.now = at("2025-03-01T12:00:00Z");
  Analysis a(rules, o);
  Event fail = prereq_check(360, "2025-03-01T08:00:00Z");
  fail.subject.device_name = "PC-0142";
  Event pass = fail;
  pass.event_id = 358;
  pass.time = at("2025-03-02T08:00:00Z");  // after --now: not seen yet at --now
  pass.fields = {{"AADPrt", "Yes"}};
  Event later_failure = fail;
  later_failure.time = at("2025-03-01T13:00:00Z");  // after --now: no evidence either
  a.observe(fail);
  a.observe(pass);
  a.observe(later_failure);
  const Report r = a.finish();
  const Finding* f = find(r, "prereq.no_prt");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0].time, at("2025-03-01T08:00:00Z"));
}

TEST(KeySync, DurationsAsPowerShellPrintsThem) {
  EXPECT_EQ(parse_duration_seconds("00:30:00"), 1800);
  EXPECT_EQ(parse_duration_seconds("1.00:00:00"), 86400);
  EXPECT_EQ(parse_duration_seconds("7.00:00:00"), 604800);
  EXPECT_EQ(parse_duration_seconds("03:00:00.5"), 10800);
  EXPECT_EQ(parse_duration_seconds("half an hour"), -1);
}

TEST(Timeline, HelloProvisioningErrorsFailTheProvisioningPhaseOnly) {
  Event e;
  e.kind = "hello.error";
  e.event_id = 7055;
  e.add("Error", "0x80280921");
  const auto s = phase_signals(shipped_rules(), e);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].phase, Phase::kProvisioning);
  EXPECT_EQ(s[0].state, PhaseState::kFailed);
  EXPECT_NE(s[0].note.find("0x80280921"), std::string::npos);
  e.event_id = 7054;  // prerequisite-check failure: not a provisioning step
  EXPECT_TRUE(phase_signals(shipped_rules(), e).empty());
}

namespace {
// A DC Security 4768/4771 as plugins/udr normalizes it.
Event pkinit(const char* when, const char* status, const char* key_trust) {
  Event e;
  e.kind = std::string(status) == "0x0" ? "kerberos.pkinit" : "kerberos.pkinit_failed";
  e.source = "udr";
  e.event_id = 4768;
  e.time = at(when);
  e.subject.user_sid = "S-1-5-21-1-2-3-1104";
  e.subject.user_sam = "CONTOSO.COM\\jdoe";
  e.add("TargetUserName", "jdoe");
  e.add("Status", status);
  e.add("PreAuthType", std::string(status) == "0x0" ? "16" : "-");
  e.add("Result", std::string(status) == "0x0" ? "success" : "failure");
  if (std::string(status) == "0x3E") {
    e.add("Failure", "KDC_ERR_CLIENT_NOT_TRUSTED");
    e.add("FailureReason", "no matching key in msDS-KeyCredentialLink");
  }
  if (std::string(status) == "0x4B") e.add("Failure", "KDC_ERR_CLIENT_NAME_MISMATCH");
  if (*key_trust) e.add("KeyTrust", key_trust);
  e.add("@Computer", "DC01.contoso.com");
  e.file = "dc01-security.xml";
  return e;
}
}  // namespace

TEST(Timeline, PkinitAtTheDomainControllerIsTheFirstOnPremisesSignIn) {
  auto s = phase_signals(shipped_rules(), pkinit("2025-03-04T10:40:00Z", "0x0", "True"));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].phase, Phase::kOnPremSignIn);
  EXPECT_EQ(s[0].state, PhaseState::kDone);
  EXPECT_NE(s[0].note.find("DC01.contoso.com"), std::string::npos);
  EXPECT_NE(s[0].note.find("key trust"), std::string::npos);

  s = phase_signals(shipped_rules(), pkinit("2025-03-04T10:05:00Z", "0x3E", "True"));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].state, PhaseState::kFailed);
  EXPECT_NE(s[0].note.find("0x3E KDC_ERR_CLIENT_NOT_TRUSTED"), std::string::npos);
  EXPECT_NE(s[0].note.find("msDS-KeyCredentialLink"), std::string::npos);

  // A CA-issued certificate (smart card, certificate trust) is not the Hello key.
  EXPECT_TRUE(
      phase_signals(shipped_rules(), pkinit("2025-03-04T10:40:00Z", "0x0", "False")).empty());
  // No certificate fields: PKINIT all the same, said without claiming key trust.
  s = phase_signals(shipped_rules(), pkinit("2025-03-04T10:40:00Z", "0x0", ""));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].note.find("key trust"), std::string::npos);
  // The computer account's own PKINIT names a device, not the user.
  Event device = pkinit("2025-03-04T10:40:00Z", "0x0", "True");
  device.subject = Subject{};
  device.subject.device_name = "PC-0142";
  EXPECT_TRUE(phase_signals(shipped_rules(), device).empty());
}

TEST(Timeline, RefusedBeforeTheSyncThenSignedInTiesToTheEnrolledUserBySid) {
  RuleSet rules = shipped_rules();
  Analysis a(rules, {});
  a.observe(registered("2025-03-04T10:00:00Z"));
  a.observe(pkinit("2025-03-04T10:40:00Z", "0x0", "True"));   // after the key reached AD
  a.observe(pkinit("2025-03-04T10:05:00Z", "0x4B", "True"));  // before: no key found
  a.observe(pkinit("2025-03-04T10:07:00Z", "0x3E", "True"));  // and a certificate refused
  const Report r = a.finish();
  ASSERT_EQ(r.users.size(), 1u);  // SID ties the DC's CONTOSO.COM\jdoe to jdoe@contoso.com
  EXPECT_TRUE(r.conflicts.empty());
  const PhaseStatus& p = phase(r, Phase::kOnPremSignIn);
  EXPECT_EQ(p.state, PhaseState::kDone);  // the latest evidence wins
  EXPECT_EQ(p.time, at("2025-03-04T10:40:00Z"));
  ASSERT_TRUE(p.evidence.has_value());
  EXPECT_EQ(p.evidence->kind, "kerberos.pkinit");
  // The refusals are history: the later successful PKINIT sign-in of the same person
  // clears them (rules/signin.json "state", per user; the SID ties the DC's records).
  EXPECT_EQ(find(r, "signin.key_not_found"), nullptr);
  EXPECT_EQ(find(r, "signin.key_not_trusted"), nullptr);
  EXPECT_EQ(find(r, "signin.pkinit_failed"), nullptr);  // suppressed by the specific rules
  size_t superseded = 0;
  for (const TimelineEntry& e : r.users[0].entries)
    if (e.kind == "kerberos.pkinit_failed") {
      EXPECT_NE(e.superseded_by.find("dc01-security.xml"), std::string_view::npos);
      ++superseded;
    }
  EXPECT_EQ(superseded, 2u);
}

TEST(Timeline, ARefusalWithoutALaterSignInStandsOnThePerson) {
  RuleSet rules = shipped_rules();
  Analysis a(rules, {});
  a.observe(registered("2025-03-04T10:00:00Z"));
  a.observe(pkinit("2025-03-04T10:05:00Z", "0x4B", "True"));
  const Report r = a.finish();
  const Finding* f = find(r, "signin.key_not_found");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->subject.user_upn, "jdoe@contoso.com");  // UPN from the 300, tied by SID
  EXPECT_EQ(find(r, "signin.key_not_trusted"), nullptr);
}

TEST(Timeline, DomainControllersWithoutAKdcCertificateAreTheirOwnBlocker) {
  RuleSet rules = shipped_rules();
  Analysis a(rules, {});
  Event kdc;  // System log, KDC 29: no suitable certificate; names the DC only
  kdc.kind = "kdc.certificate";
  kdc.source = "udr";
  kdc.event_id = 29;
  kdc.time = at("2025-03-04T06:00:00Z");
  kdc.subject.device_name = "DC02.contoso.com";
  kdc.add("@Computer", "DC02.contoso.com");
  a.observe(kdc);
  Event refused = pkinit("2025-03-04T10:05:00Z", "0x10", "");  // 4771 KDC_ERR_PADATA_TYPE_NOSUPP
  refused.event_id = 4771;
  a.observe(refused);
  const Report r = a.finish();
  size_t kdc_findings = 0;
  for (const Finding& f : r.findings) {
    EXPECT_NE(f.rule, "signin.pkinit_failed");  // the specific rule suppresses the generic
    EXPECT_NE(f.rule, "signin.key_not_trusted");
    if (f.rule == "signin.kdc_certificate_missing") ++kdc_findings;
  }
  EXPECT_EQ(kdc_findings, 2u);  // one on DC02, one on the user it refused
  EXPECT_EQ(phase(r, Phase::kOnPremSignIn).state, PhaseState::kFailed);
}
