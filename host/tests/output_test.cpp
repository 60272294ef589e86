#include "output_json.hpp"

#include <hellotrace/text/text.hpp>

#include <gtest/gtest.h>

using namespace hellotrace;
using namespace hellotrace::host;

TEST(OutputJson, EventLineIsValidJsonWhateverTheInputHeld) {
  Event e;
  e.kind = "k";
  e.source = "s";
  e.add("bad", std::string("\xC3\x28 \xFF\x00 tab\t <script>", 18));
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
  f.evidence.push_back({"x.evtx", {HT_NO_NUMBER, 4096, 7}, 10'000'000, "udr", "prereq.check", 360, "AADPrt=No"});
  const auto j = finding_to_json(f, 20'000'000);
  EXPECT_EQ(j["schema"], "hellotrace.finding/1");
  EXPECT_EQ(j["user"]["upn"], "a@b");
  EXPECT_EQ(j["evidence"][0]["record"], 7);
  EXPECT_EQ(j["evidence"][0]["event_id"], 360);
  EXPECT_EQ(j["time"], "1970-01-01T00:00:01.0000000Z");
  EXPECT_EQ(j["times"]["detected"], "1970-01-01T00:00:02.0000000Z");
}
