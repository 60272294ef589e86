// The events reader: what 'hellotrace events' and 'hellotrace probe' write reads back
// as the same events, and anything else is reported by line without losing the rest.
#include <gtest/gtest.h>

#include <hellotrace/plugin_testing.hpp>

extern "C" const ht_plugin* ht_plugin_events(void);

using hellotrace::harness::PluginUnderTest;

namespace {
const std::string kSamples = HT_SOURCE_DIR "/plugins/events/samples/";
}

TEST(EventsReader, ReadsAProbeOutputBackWithEveryFieldAndItsProvenance) {
  PluginUnderTest p(ht_plugin_events());
  const auto run = p.parse_file(kSamples + "tpm-probe-pc0517.ndjson");
  ASSERT_EQ(run.status, HT_OK);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_TRUE(run.diagnostics.empty());
  const auto& info = run.events[0];
  EXPECT_EQ(info.kind, "tpm.info");
  EXPECT_EQ(info.subject.device_name, "PC-0517");
  EXPECT_EQ(info.field_or("ManufacturerIdTxt"), "IBM");
  EXPECT_EQ(info.field_or("LockoutMax"), "3");
  EXPECT_EQ(info.field_or("@source"), "tpm-verifier");
  EXPECT_EQ(info.field_or("@origin"), "probe:tpm-verifier");
  EXPECT_EQ(info.origin.line, 1u);  // evidence points into the file read
  EXPECT_NE(info.time, HT_NO_TIME);
  EXPECT_EQ(run.events[1].kind, "tpm.attestation");
  EXPECT_EQ(run.events[1].field_or("Verified"), "True");
  EXPECT_EQ(run.events[1].origin.line, 2u);
}

TEST(EventsReader, KeepsSubjectsTimesFlagsAndOrigins) {
  const std::string line =
      R"({"time":"2024-11-14T13:41:22.5000000Z","time_zone_assumed":true,"source":"udr",)"
      R"("kind":"ngc.key_registered","channel":"Microsoft-Windows-User Device Registration/Admin",)"
      R"("provider":"Microsoft-Windows-User Device Registration","event_id":300,)"
      R"("user":{"sid":"S-1-5-21-1-2-3-1104","upn":"jdoe@contoso.com","dn":null,"sam":null},)"
      R"("device":{"name":"PC-0142","id":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b0142"},)"
      R"("tenant":"3f2a6e1c-8b4d-4c2e-9a7f-1d2e3f4a5b6c","ngc_key_id":null,)"
      R"("fields":{"KeyId":"abc","Attestation":"ATT_HARD"},)"
      R"("origin":{"file":"udr.evtx","line":null,"offset":null,"record":41}})"
      "\r\n";
  PluginUnderTest p(ht_plugin_events());
  const auto run = p.parse(line, "bundle/events.ndjson");
  ASSERT_EQ(run.events.size(), 1u);
  const auto& e = run.events[0];
  EXPECT_EQ(e.event_id, 300);
  EXPECT_EQ(e.time_flags & HT_TIME_ZONE_ASSUMED, HT_TIME_ZONE_ASSUMED);
  EXPECT_EQ(e.subject.user_sid, "S-1-5-21-1-2-3-1104");
  EXPECT_EQ(e.subject.device_id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b0142");
  EXPECT_EQ(e.subject.tenant_id, "3f2a6e1c-8b4d-4c2e-9a7f-1d2e3f4a5b6c");
  EXPECT_EQ(e.channel, "Microsoft-Windows-User Device Registration/Admin");
  EXPECT_EQ(e.field_or("@origin"), "udr.evtx record 41");
  // Fields keep their order; provenance comes after them.
  ASSERT_EQ(e.fields.size(), 4u);
  EXPECT_EQ(e.fields[0].name, "KeyId");
  EXPECT_EQ(e.fields[1].name, "Attestation");
}

TEST(EventsReader, BadLinesAreReportedByLineAndTheRestIsKept) {
  const std::string text =
      std::string(R"({"time":null,"source":"x","kind":"a.b","fields":{},"origin":{}})") +
      "\n{\"time\":null,\"source\":\"x\",\"kind\":\"a.c\",\"fiel\n" +
      R"({"time":null,"source":"x","fields":{},"origin":{}})" + "\n" + R"([1,2,3])" + "\n" +
      R"({"time":null,"source":"x","kind":"a.d","fields":{},"origin":{}})";
  PluginUnderTest p(ht_plugin_events());
  const auto run = p.parse(text, "cut.ndjson");
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.events[0].kind, "a.b");
  EXPECT_EQ(run.events[1].kind, "a.d");
  EXPECT_EQ(run.events[1].origin.line, 5u);
  ASSERT_EQ(run.diagnostics.size(), 3u);
  EXPECT_EQ(run.diagnostics[0].position.line, 2u);
  EXPECT_NE(run.diagnostics[0].message.find("not a JSON line"), std::string::npos);
  EXPECT_EQ(run.diagnostics[1].position.line, 3u);
  EXPECT_NE(run.diagnostics[1].message.find("'kind'"), std::string::npos);
  EXPECT_EQ(run.diagnostics[2].position.line, 4u);
}

TEST(EventsReader, ReadingTwiceKeepsTheFirstProvenance) {
  const std::string once =
      R"({"time":null,"source":"events","kind":"tpm.info","fields":{"TpmReady":"True","@source":"tpm-verifier","@origin":"probe:tpm-verifier"},"origin":{"file":"a.ndjson","line":1}})";
  PluginUnderTest p(ht_plugin_events());
  const auto run = p.parse(once, "b.ndjson");
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].fields.size(), 3u);
  EXPECT_EQ(run.events[0].field_or("@source"), "tpm-verifier");
}

TEST(EventsReader, SniffsOurNdjsonOnly) {
  PluginUnderTest p(ht_plugin_events());
  const std::string ours = PluginUnderTest::read_file(kSamples + "tpm-probe-pc0517.ndjson");
  EXPECT_GE(p.sniff(ours, "tpm-probe.ndjson"), 90);
  EXPECT_GE(p.sniff(ours, "probe.txt"), 80);
  EXPECT_EQ(p.sniff(R"({"TimeCreated":"\/Date(1700000000000)\/","Id":300})", "x.json"), 0);
  EXPECT_EQ(p.sniff("Get-Tpm\r\nTpmPresent : True\r\n", "tpm.txt"), 0);
  EXPECT_EQ(p.sniff("ElfFile\0", "x.evtx"), 0);
  EXPECT_EQ(p.sniff("", "empty.ndjson"), 0);
}
