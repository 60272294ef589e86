#include "rules.hpp"

#include <gtest/gtest.h>

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
