#include "timeline.hpp"

#include <gtest/gtest.h>

#include <hellotrace/time.hpp>

#include "keysync.hpp"

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

TEST(Timeline, PhasesFollowTheLatestEvidenceAndUnknownIsNeverGuessed) {
  RuleSet rules = shipped_rules();
  Analysis a(rules, {});
  Event fail;
  fail.kind = "prereq.check";
  fail.source = "udr";
  fail.event_id = 360;
  fail.time = at("2025-03-01T08:00:00Z");
  fail.subject.user_sid = "S-1-5-21-1-2-3-1104";
  fail.add("AADPrt", "No");
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
  // The earlier failure is still a finding, for the record.
  EXPECT_NE(find(r, "prereq.no_prt"), nullptr);
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
  const auto s = phase_signals(e);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].phase, Phase::kProvisioning);
  EXPECT_EQ(s[0].state, PhaseState::kFailed);
  EXPECT_NE(s[0].note.find("0x80280921"), std::string::npos);
  e.event_id = 7054;  // prerequisite-check failure: not a provisioning step
  EXPECT_TRUE(phase_signals(e).empty());
}
