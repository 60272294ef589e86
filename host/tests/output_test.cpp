#include <gtest/gtest.h>

#include <hellotrace/text/text.hpp>
#include <set>

#include "outputs/digest.hpp"
#include "outputs/output_json.hpp"

using namespace hellotrace;
using namespace hellotrace::host;

// The bytes of a string literal, embedded NULs included, without the terminator.
template <size_t N>
static std::string literal(const char (&s)[N]) {
  return std::string(s, N - 1);
}

TEST(OutputJson, EventLineIsValidJsonWhateverTheInputHeld) {
  Event e;
  e.kind = "k";
  e.source = "s";
  e.add("bad", literal("\xC3\x28 \xFF\x00 tab\t <script>"));
  e.add("", "unnamed");
  e.add("dup", "1");
  e.add("dup", "2");
  e.add("huge", std::string(1 << 20, 'A'));
  const std::string line = dump_line(event_to_json(e));
  EXPECT_TRUE(text::is_valid_utf8(line));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto back = nlohmann::json::parse(line);
  EXPECT_EQ(back["fields"]["#2"], "unnamed");
  EXPECT_EQ(back["fields"]["dup#2"], "2");
  EXPECT_EQ(back["fields"]["huge"].get<std::string>().size(), 1u << 20);
  EXPECT_TRUE(back["time"].is_null());
  EXPECT_EQ(back["origin"]["line"], nullptr);
}

TEST(OutputJson, FindingCarriesTheSchemaFields) {
  Finding f;
  f.rule = "prereq.no_prt";
  f.severity = "high";
  f.title = "t";
  f.subject.user_upn = "a@b";
  f.evidence.push_back(
      {"x.evtx", {HT_NO_NUMBER, 4096, 7}, 10'000'000, "udr", "prereq.check", 360, "AADPrt=No"});
  const auto j = finding_to_json(f, 20'000'000);
  EXPECT_EQ(j["schema"], "hellotrace.finding/1");
  EXPECT_EQ(j["user"]["upn"], "a@b");
  EXPECT_EQ(j["evidence"][0]["record"], 7);
  EXPECT_EQ(j["evidence"][0]["event_id"], 360);
  EXPECT_EQ(j["time"], "1970-01-01T00:00:01.0000000Z");
  EXPECT_EQ(j["times"]["detected"], "1970-01-01T00:00:02.0000000Z");
}

TEST(OutputJson, Sha256IsTheStandardFunction) {
  // FIPS 180-4 examples (one block, two blocks).
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256(""), 4), "e3b0c442");
}

TEST(OutputJson, FindingIdNamesRuleSubjectAndFirstEvidenceOnly) {
  Finding f;
  f.rule = "prereq.no_prt";
  f.severity = "high";
  f.summary = "jdoe has no PRT";
  f.subject.user_upn = "jdoe@contoso.com";
  f.subject.device_name = "PC-0142";
  f.evidence.push_back({"a/dsregcmd.txt",
                        {62, HT_NO_NUMBER, HT_NO_NUMBER},
                        30'000'000,
                        "dsregcmd",
                        "sso.state",
                        HT_NO_EVENT_ID,
                        "AzureAdPrt=NO"});
  f.evidence.push_back({"a/udr.evtx",
                        {HT_NO_NUMBER, HT_NO_NUMBER, 41},
                        10'000'000,
                        "udr",
                        "prereq.check",
                        360,
                        "AADPrt=No"});
  const std::string id = finding_id(f);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_EQ(finding_to_json(f, 0)["id"], id);

  // Not in it: where the files lie, positions, the summary, details, severity, the
  // order of the evidence, the case of names, later evidence.
  Finding same = f;
  same.evidence[0].file = "elsewhere/dsregcmd.txt";
  same.evidence[1].position.record = 7;
  same.summary = "other words";
  same.details["eta"] = "x";
  same.severity = "critical";
  std::swap(same.evidence[0], same.evidence[1]);
  same.subject.user_upn = "JDoe@Contoso.com";
  same.evidence.push_back({"b.txt", {}, 90'000'000, "udr", "prereq.check", 360, "later"});
  EXPECT_EQ(finding_id(same), id);

  // In it: the rule, every subject identifier, the first evidence.
  std::vector<Finding> others(6, f);
  others[0].rule = "prereq.no_device";
  others[1].subject.user_upn = "ana@contoso.com";
  others[2].subject.device_name = "PC-0143";
  others[3].subject.user_sid = "S-1-5-21-1-2-3-1104";
  others[4].evidence[1].time = 5'000'000;  // the problem started earlier: another one
  others[5].evidence[1].excerpt = "AADPrt=Yes";
  std::set<std::string> ids = {id};
  for (const Finding& o : others) EXPECT_TRUE(ids.insert(finding_id(o)).second) << o.rule;

  // Time-less evidence decides only when no item has a time.
  Finding untimed = f;
  for (auto& e : untimed.evidence) e.time = HT_NO_TIME;
  Finding untimed_swapped = untimed;
  std::swap(untimed_swapped.evidence[0], untimed_swapped.evidence[1]);
  EXPECT_EQ(finding_id(untimed), finding_id(untimed_swapped));
  EXPECT_NE(finding_id(untimed), id);
}

TEST(OutputJson, EveryFindingCarriesItsDetectionTime) {
  Finding f;
  f.rule = "sync.interval_long";
  const auto j = finding_to_json(f, detection_time(HT_NO_TIME, 30'000'000));
  EXPECT_EQ(j["detected"], "1970-01-01T00:00:03.0000000Z");  // no input time: the run's clock
  EXPECT_EQ(j["times"]["detected"], j["detected"]);
  EXPECT_TRUE(j["time"].is_null());
  EXPECT_EQ(detection_time(20'000'000, 30'000'000), 20'000'000);  // the reference time wins
}

TEST(OutputJson, FastEventLineEqualsTheTreeRendering) {
  Event e;
  e.time = 1'234'567'890'123'456'7LL;
  e.time_flags = HT_TIME_ZONE_ASSUMED;
  e.source = "dsregcmd";
  e.kind = "sso.state";
  e.event_id = 360;
  e.subject.user_upn = "j\"doe\"@contoso.com";
  e.subject.device_name = "PC\\01";
  e.add("Attempt Status", "0xc000006d");
  e.add("Attempt Status", "0x0");
  e.add("", "unnamed");
  e.add("ctl", literal("a\x01\x1f\tb\r\n\"\\ é €"));
  e.add("#3", "collides with the unnamed one");
  e.file = "C:\\logs\\dsregcmd.txt";
  e.origin.line = 12;
  std::string fast;
  append_event_line(fast, e);
  EXPECT_EQ(fast, dump_line(event_to_json(e)) + "\n");
  Event empty;
  fast.clear();
  append_event_line(fast, empty);
  EXPECT_EQ(fast, dump_line(event_to_json(empty)) + "\n");
}

TEST(OutputJson, FastEventLineIsValidForInvalidUtf8) {
  Event e;
  e.add("bad", literal("\xC3\x28\xFF\xE2\x82 \xED\xA0\x80 \xF4\x90\x80\x80 ok"));
  std::string fast;
  append_event_line(fast, e);
  EXPECT_TRUE(text::is_valid_utf8(fast));
  const auto j = nlohmann::json::parse(fast);
  EXPECT_NE(j["fields"]["bad"].get<std::string>().find("ok"), std::string::npos);
}
