#include "engine/rules.hpp"

#include <gtest/gtest.h>

#include "engine/timeline.hpp"  // phase_signals

using namespace hellotrace;
using namespace hellotrace::host;

static Event prereq(std::vector<Field> fields, int64_t event_id = HT_NO_EVENT_ID) {
  Event e;
  e.kind = "prereq.check";
  e.source = "udr";
  e.event_id = event_id;
  e.fields = std::move(fields);
  e.subject.user_sid = "S-1-5-21-1-2-3-1001";
  e.file = "udr.evtx";
  e.origin.record = 42;
  return e;
}

TEST(Rules, ShippedCatalogLoadsWithoutProblems) {
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules");
  for (const auto& p : rules.problems()) ADD_FAILURE() << p.text();
  EXPECT_GE(rules.rules().size(), 9u);
}

TEST(Rules, ReportsProblemsWithFileAndLine) {
  RuleSet rules;
  rules.load_text(R"({"rules": [
  {"id": "x.ok", "title": "t", "severity": "high", "remediation": "r", "match": {"kind": "a"}},
  {"id": "x.bad", "title": "t", "severity": "urgent", "remediation": "r",
   "match": {"kind": "a", "fields": {"F": "(unclosed"}}, "colour": "red"}
]})",
                  "mine.json");
  ASSERT_EQ(rules.rules().size(), 1u);
  ASSERT_EQ(rules.problems().size(), 3u);
  EXPECT_EQ(rules.problems()[0].line, 3u);
  EXPECT_NE(rules.problems()[0].text().find("mine.json:3: rule x.bad: severity \"urgent\""),
            std::string::npos)
      << rules.problems()[0].text();
  EXPECT_NE(rules.problems()[1].message.find("not a valid RE2 pattern"), std::string::npos);
  EXPECT_NE(rules.problems()[2].message.find("unknown key \"colour\""), std::string::npos);

  RuleSet broken;
  broken.load_text("{\n  \"rules\": [\n    {\"id\": }\n]}", "broken.json");
  ASSERT_EQ(broken.problems().size(), 1u);
  EXPECT_EQ(broken.problems()[0].line, 3u);
  EXPECT_NE(broken.problems()[0].message.find("not valid JSON"), std::string::npos);
}

TEST(Rules, DeeplyNestedFilesAreRefusedNotACrash) {
  // 100,000 levels used to overflow the stack (recursive copies of the parsed value).
  for (const char* open : {"[", "{\"a\":"}) {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += open;
    RuleSet rules;
    rules.load_text("// hostile\n" + deep, "deep.json");
    ASSERT_EQ(rules.problems().size(), 1u) << open;
    EXPECT_EQ(rules.problems()[0].text(),
              "deep.json:2: nested more than 64 levels deep; a rule file is a few levels deep "
              "(not read)");
    EXPECT_TRUE(rules.rules().empty());
  }
  // Brackets inside strings and comments are not nesting; 64 real levels are fine.
  RuleSet fine;
  std::string depth64 = std::string(62, '[') + "{\"rules\": []}" + std::string(62, ']');
  fine.load_text(depth64, "d64.json");
  for (const auto& p : fine.problems())
    EXPECT_EQ(p.message.find("nested"), std::string::npos) << p.text();
  RuleSet quoted;
  quoted.load_text("/* [[[[ */ {\"rules\": [{\"id\": \"x.y\", \"title\": \"" +
                       std::string(500, '[') +
                       "\", \"severity\": \"info\", \"remediation\": \"r\", \"match\": "
                       "{\"kind\": \"k\"}}]} // ]]]]" +
                       std::string(200, '{'),
                   "quoted.json");
  EXPECT_TRUE(quoted.problems().empty()) << quoted.problems()[0].text();
  EXPECT_EQ(quoted.rules().size(), 1u);
}

TEST(Rules, SpecificCauseSuppressesTheGenericOne) {
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules/prereq.json");
  auto ids = [&](const Event& e) {
    std::vector<std::string> out;
    for (const Rule* r : rules.match(e)) out.push_back(r->id);
    return out;
  };
  // 360 with AADPrt No: the specific cause only.
  EXPECT_EQ(
      ids(prereq({{"DeviceIsJoined", "Yes"}, {"AADPrt", "No"}, {"UserIsRemote", "Yes"}}, 360)),
      std::vector<std::string>{"prereq.no_prt"});
  // UserIsRemote=No answers "not connected via Remote Desktop: No" — the user is remote.
  EXPECT_EQ(ids(prereq({{"DeviceIsJoined", "Yes"}, {"UserIsRemote", "No"}}, 360)),
            std::vector<std::string>{"prereq.remote_session"});
  // 360 with every check answered Yes: only the generic one.
  EXPECT_EQ(ids(prereq({{"DeviceIsJoined", "Yes"}, {"AADPrt", "Yes"}, {"LogonCertRequired", "Yes"}},
                       360)),
            std::vector<std::string>{"prereq.will_not_provision"});
  // 358 (passed): nothing.
  EXPECT_TRUE(ids(prereq({{"DeviceIsJoined", "Yes"}, {"AADPrt", "Yes"}}, 358)).empty());
}

TEST(Rules, CollectorGroupsEvidencePerRuleAndSubject) {
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules/prereq.json");
  FindingCollector c(rules);
  for (int i = 0; i < 3; ++i) {
    Event e = prereq({{"AADPrt", "No"}}, 360);
    e.origin.record = 100 + i;
    e.time = i;
    c.observe(e);
  }
  Event other = prereq({{"AADPrt", "No"}}, 360);
  other.subject.user_sid = "S-1-5-21-1-2-3-1002";
  c.observe(other);
  const auto findings = c.take();
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].rule, "prereq.no_prt");
  EXPECT_EQ(findings[0].evidence.size(), 3u);
  EXPECT_EQ(findings[0].evidence[2].position.record, 102u);
  EXPECT_EQ(findings[0].evidence[0].excerpt, "AADPrt=No");
  EXPECT_EQ(findings[1].evidence.size(), 1u);
}

TEST(Rules, CodesCompareWhateverFormTheEventWrote) {
  EXPECT_EQ(normalize_code("0x80090016"), "0x80090016");
  EXPECT_EQ(normalize_code("0x801C0451"), "0x801c0451");
  EXPECT_EQ(normalize_code("801C0451"), "0x801c0451");     // hex without 0x, 8 digits
  EXPECT_EQ(normalize_code("-2146893802"), "0x80090016");  // HRESULT as signed decimal
  EXPECT_EQ(normalize_code(" 0x4B "), "0x0000004b");
  EXPECT_EQ(normalize_code("DirectoryError"), "directoryerror");  // not a number: text
  EXPECT_EQ(normalize_code("1234"), "1234");                      // short decimal stays text
}

TEST(Rules, StateAdviceAndExplanationsAreCheckedWhenLoaded) {
  RuleSet rules;
  rules.load_text(R"({"rules": [
  {"id": "x.ok", "title": "t", "severity": "high", "remediation": "r", "match": {"kind": "a"},
   "state": {"per": "device", "cleared_by": [{"kind": "b", "fields": {"F": "^yes$"}}]},
   "advice": {"fields": ["Error"], "codes": {"0x80090016": "do not clear the TPM"}},
   "explained_by": [{"rule": "x.other", "note": "until {eta}"}], "yields_to": ["x.other"]},
  {"id": "x.bad", "title": "t", "severity": "high", "remediation": "r", "match": {"kind": "a"},
   "state": {"per": "tenant", "cleared_by": {"kind": "b", "colour": "red"}},
   "advice": {"codes": []}}
]})",
                  "mine.json");
  ASSERT_EQ(rules.rules().size(), 1u);
  const Rule& ok = rules.rules()[0];
  ASSERT_TRUE(ok.state);
  EXPECT_EQ(ok.state->per, StateSpec::Per::kDevice);
  ASSERT_EQ(ok.state->cleared_by.size(), 1u);
  ASSERT_TRUE(ok.advice);
  EXPECT_EQ(ok.advice->by_code.at("0x80090016"), "do not clear the TPM");
  ASSERT_EQ(ok.explained_by.size(), 1u);
  EXPECT_EQ(ok.yields_to, std::vector<std::string>{"x.other"});
  std::string all;
  for (const auto& p : rules.problems()) all += p.text() + "\n";
  EXPECT_NE(all.find("unknown key \"colour\" in \"cleared_by\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"state.per\" must be user_device, user or device"), std::string::npos)
      << all;
  EXPECT_NE(all.find("\"advice\" must be"), std::string::npos) << all;

  // A cleared_by event is found by clears(), the failure by match().
  Event pass;
  pass.kind = "b";
  pass.fields = {{"F", "yes"}};
  ASSERT_EQ(rules.clears(pass).size(), 1u);
  EXPECT_TRUE(rules.match(pass).empty());
}

TEST(Rules, AdviceForTheEventsCodeLeadsTheRemediation) {
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules/provisioning.json");
  FindingCollector c(rules);
  Event e;
  e.kind = "hello.error";
  e.source = "udr";
  e.event_id = 7054;
  e.fields = {{"Error", "0x80090016"}};
  e.subject.user_sid = "S-1-5-21-1-2-3-1001";
  e.file = "hello.evtx";
  e.origin.record = 7;
  c.observe(e);
  Event not_hresult = e;
  not_hresult.fields = {{"Error", "0x00000001"}};  // 7054 as workgroup PCs log it: no failure
  not_hresult.subject.user_sid = "S-1-5-21-1-2-3-1002";
  c.observe(not_hresult);
  const auto findings = c.take();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "provisioning.failed");
  ASSERT_TRUE(findings[0].details.contains("advice"));
  EXPECT_TRUE(findings[0].details["advice"].contains("0x80090016"));
  EXPECT_EQ(findings[0].remediation.rfind("For 0x80090016: NTE_BAD_KEYSET", 0), 0u)
      << findings[0].remediation;
  EXPECT_NE(findings[0].remediation.find("Do NOT clear the TPM"), std::string::npos);
}

namespace {
std::vector<std::string> signals(const RuleSet& rules, const Event& e) {
  std::vector<std::string> out;
  for (const PhaseSignal& s : phase_signals(rules, e))
    out.push_back(std::string(phase_name(s.phase)) + " " + phase_state_name(s.state) + ": " +
                  s.note);
  return out;
}
using Signals = std::vector<std::string>;
}  // namespace

// rules/phases.json: the shipped phase signals on events as the readers make them.
TEST(Phases, ShippedSignalsReadDsregcmdUdrAndDomainControllerEvents) {
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules");
  ASSERT_TRUE(rules.problems().empty()) << rules.problems().front().text();

  // dsregcmd "Ngc Prerequisite Check": YES/NO, UNKNOWN is neither.
  Event dsreg = prereq({{"IsDeviceJoined", "YES "},
                        {"IsUserAzureAD", "NO"},
                        {"PolicyEnabled", "UNKNOWN"},
                        {"PreReqResult", "WillNotProvision"}});
  EXPECT_EQ(signals(rules, dsreg),
            (Signals{"device_joined done: IsDeviceJoined = YES ", "prt failed: IsUserAzureAD = NO",
                     "prerequisites failed: PreReqResult = WillNotProvision"}));
  dsreg.fields = {{"PreReqResult", "WillProvision"}, {"IsDeviceJoined", "\xC2\xA0yes"}};
  EXPECT_EQ(signals(rules, dsreg), (Signals{"device_joined done: IsDeviceJoined = \xC2\xA0yes",
                                            "prerequisites done: PreReqResult = WillProvision"}));

  // User Device Registration 360: the answers, then the event's own verdict.
  const Event udr = prereq({{"DeviceIsJoined", "Yes"}, {"AADPrt", "No"}}, 360);
  EXPECT_EQ(signals(rules, udr),
            (Signals{"device_joined done: DeviceIsJoined = Yes", "prt failed: AADPrt = No",
                     "prerequisites failed: event 360: provisioning will not be launched"}));

  // DC 4768 with key trust, 4771 refused; a computer account names no user.
  Event tgt;
  tgt.kind = "kerberos.pkinit";
  tgt.event_id = 4768;
  tgt.subject.user_sid = "S-1-5-21-1-2-3-1104";
  tgt.fields = {{"KeyTrust", "True"}, {"@Computer", "DC01.contoso.com"}, {"PreAuthType", "16"}};
  EXPECT_EQ(signals(rules, tgt),
            (Signals{"onprem_signin done: TGT issued by DC01.contoso.com (event 4768) with key "
                     "trust PKINIT (the key in msDS-KeyCredentialLink)"}));
  tgt.fields = {{"PreAuthType", "16"}};
  EXPECT_EQ(signals(rules, tgt),
            (Signals{"onprem_signin done: TGT issued by a domain controller (event 4768) with "
                     "PKINIT (pre-authentication type 16)"}));
  tgt.fields = {{"KeyTrust", "False"}};  // a CA-issued certificate: not the key
  EXPECT_TRUE(signals(rules, tgt).empty());
  Event refused = tgt;
  refused.kind = "kerberos.pkinit_failed";
  refused.event_id = 4771;
  refused.fields = {{"Status", "0x4b"},
                    {"Failure", "KDC_ERR_CLIENT_NAME_MISMATCH"},
                    {"FailureReason", "no key"},
                    {"@Computer", "DC02"}};
  EXPECT_EQ(signals(rules, refused),
            (Signals{"onprem_signin failed: DC02 refused the PKINIT sign-in (event 4771): 0x4b "
                     "KDC_ERR_CLIENT_NAME_MISMATCH — no key"}));
  refused.fields = {{"Status", "0x3e"}};
  EXPECT_EQ(signals(rules, refused),
            (Signals{"onprem_signin failed: a domain controller refused the PKINIT sign-in "
                     "(event 4771): 0x3e"}));
  refused.subject = {};
  refused.subject.device_name = "PC-0142";
  EXPECT_TRUE(signals(rules, refused).empty());

  // Summaries are data too.
  ASSERT_NE(rules.summary_fields("user.state"), nullptr);
  EXPECT_EQ(*rules.summary_fields("user.state"), (Signals{"NgcSet", "NgcKeyId", "CanReset"}));
  EXPECT_EQ(rules.summary_fields("no.such_kind"), nullptr);
}

// A new phase signal is a data change: a rule file adds one for a kind the engine has
// never heard of.
TEST(Phases, ANewSignalIsAFileNotCode) {
  RuleSet rules;
  rules.load_text(R"json({"phases": [
    {"phase": "key_in_ad", "state": "done", "note": "{Attr|'?'} on {Dc|Server} ({event_id})",
     "match": {"kind": "replication.seen", "fields": {"Attr": "KeyCredential"}}}],
    "summaries": {"replication.seen": ["Attr", "Dc"]}})json",
                  "mine.json");
  ASSERT_TRUE(rules.problems().empty()) << rules.problems().front().text();
  Event e;
  e.kind = "replication.seen";
  e.event_id = 1;
  e.fields = {{"Attr", "msDS-KeyCredentialLink"}, {"Server", "DC01"}};
  EXPECT_EQ(signals(rules, e), (Signals{"key_in_ad done: msDS-KeyCredentialLink on DC01 (1)"}));
  e.fields = {{"Attr", "unicodePwd"}};
  EXPECT_TRUE(signals(rules, e).empty());
  EXPECT_EQ(*rules.summary_fields("replication.seen"), (Signals{"Attr", "Dc"}));
}

TEST(Phases, ProblemsNameTheFileAndTheLineOfTheSignal) {
  RuleSet rules;
  rules.load_text(R"(// my phases
{
  "phases": [
    {"phase": "prt", "state": "done", "note": "ok", "match": {"kind": "a"}},
    {"phase": "coffee", "state": "done", "note": "n", "match": {"kind": "a"}},
    // a comment with "phases": [ in it
    {"phase": "prt", "state": "maybe", "note": "n",
     "match": {"kind": "a", "subject": "user_name", "unless": {"F": "(open"}}},
    "not an object",
    {"phase": "prt", "state": "done", "note": "n", "colour": "red"}
  ],
  "summaries": {"a": ["F", 3]}
})",
                  "phases.json");
  ASSERT_EQ(rules.phase_rules().size(), 1u);
  std::vector<std::string> texts;
  for (const auto& p : rules.problems()) texts.push_back(p.text());
  ASSERT_EQ(texts.size(), 8u) << ::testing::PrintToString(texts);
  EXPECT_EQ(texts[0].rfind("phases.json:5: phase signal #2: \"coffee\" is not a phase", 0), 0u)
      << texts[0];
  EXPECT_EQ(texts[1],
            "phases.json:7: phase signal #3: state \"maybe\" is not done, failed or pending");
  EXPECT_EQ(texts[2].rfind("phases.json:7: phase signal #3: \"subject\" names \"user_name\"", 0),
            0u)
      << texts[2];
  EXPECT_NE(texts[3].find("phases.json:7: phase signal #3: pattern of field \"F\" is not a valid"),
            std::string::npos)
      << texts[3];
  EXPECT_EQ(texts[4], "phases.json:9: phase signal #4 is not an object");
  EXPECT_EQ(
      texts[5],
      "phases.json:10: phase signal #5: missing \"match\" (an object or an array of objects)");
  EXPECT_EQ(texts[6], "phases.json:10: phase signal #5: unknown key \"colour\"");
  EXPECT_EQ(texts[7], "phases.json:12: summary of \"a\" must be an array of field names");
}
