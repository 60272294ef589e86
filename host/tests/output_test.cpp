#include <gtest/gtest.h>

#include <hellotrace/text/text.hpp>

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
