#include <gtest/gtest.h>

#include <filesystem>
#include <hellotrace/plugin_testing.hpp>

#include "normalize.hpp"

using namespace hellotrace;

extern "C" const ht_plugin* ht_plugin_udr(void);

namespace {
const std::string kCorpus = HT_CORPUS_DIR "/evtx/";

std::string corpus_file(const std::string& name) {
  const std::string p = kCorpus + name;
  if (!std::filesystem::exists(p)) return {};
  return p;
}

#define REQUIRE_CORPUS(path)                                  \
  if ((path).empty())                                         \
  GTEST_SKIP() << "shared corpus not found at " HT_CORPUS_DIR \
                  " (tests that read real .evtx files need ../shared/corpus)"
}  // namespace

TEST(UdrNormalize, KeyRegisteredEventCarriesUpnKeyAndTenant) {
  eventlog::Record r;
  r.provider = "Microsoft-Windows-User Device Registration";
  r.channel = "Microsoft-Windows-User Device Registration/Admin";
  r.event_id = 300;
  r.level = 4;
  r.record_id = 77;
  r.computer = "PC-0142.contoso.com";
  r.user_sid = "S-1-5-18";  // logged as SYSTEM: not a person
  r.data = {{"KeyId", "{9A4B1C2D-0000-4000-8000-000000000001}"},
            {"UPN", "jdoe@contoso.com"},
            {"Attestation", "ATT_HARD"},
            {"TenantId", "{1B2C3D4E-AAAA-BBBB-CCCC-DDDDEEEEFFFF}"}};
  Event e;
  udr::normalize(r, e);
  EXPECT_EQ(e.kind, "ngc.key_registered");
  EXPECT_EQ(e.event_id, 300);
  EXPECT_EQ(e.subject.user_upn, "jdoe@contoso.com");
  EXPECT_EQ(e.subject.user_sid, "");
  EXPECT_EQ(e.subject.ngc_key_id, "{9A4B1C2D-0000-4000-8000-000000000001}");
  EXPECT_EQ(e.subject.tenant_id, "1b2c3d4e-aaaa-bbbb-cccc-ddddeeeeffff");
  EXPECT_EQ(e.field_or("Attestation"), "ATT_HARD");
  EXPECT_EQ(e.field_or("@UserID"), "S-1-5-18");
  EXPECT_EQ(e.field_or("@Computer"), "PC-0142.contoso.com");
  EXPECT_EQ(e.origin.record, 77u);
  // EventData comes first, unchanged and in order.
  EXPECT_EQ(e.fields.front().name, "KeyId");
}

TEST(UdrNormalize, KindsComeFromChannelAndIdNotFromText) {
  eventlog::Record r;
  r.channel = "Microsoft-Windows-User Device Registration/Admin";
  for (auto [id, kind] :
       std::vector<std::pair<uint32_t, std::string>>{{358, "prereq.check"},
                                                     {360, "prereq.check"},
                                                     {362, "prereq.check"},
                                                     {301, "ngc.key_registration_failed"},
                                                     {304, "device.join_failed"},
                                                     {999, "udr.event"}}) {
    r.event_id = id;
    EXPECT_EQ(udr::kind_of(r), kind) << id;
  }
  eventlog::Record app;
  app.channel = "Application";
  app.provider = "ADSync";
  EXPECT_EQ(udr::kind_of(app), "adsync.event");
  app.event_id = 906;
  EXPECT_EQ(udr::kind_of(app), "adsync.run_profile");
  app.provider.clear();
  app.event_source_name = "Directory Synchronization";
  app.event_id = 114;
  EXPECT_EQ(udr::kind_of(app), "adsync.export_cycle");
  app.event_source_name.clear();
  app.provider = "Microsoft-Windows-Security-Auditing";
  EXPECT_EQ(udr::kind_of(app), "eventlog.record");
}

TEST(UdrPlugin, RealPrerequisiteFailuresFromATurkishMachine) {
  const std::string path =
      corpus_file("tugix__Microsoft-Windows-User_Device_Registration%4Admin.evtx");
  REQUIRE_CORPUS(path);
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const std::string bytes = harness::PluginUnderTest::read_file(path);
  EXPECT_EQ(plugin.sniff(bytes), 95);
  const auto run = plugin.parse(bytes, path);
  ASSERT_EQ(run.events.size(), 6u);
  for (const Event& e : run.events) {
    EXPECT_EQ(e.kind, "prereq.check");
    EXPECT_EQ(e.event_id, 360);
    // The check that failed: no Entra PRT. The message is Turkish; the names are not.
    EXPECT_EQ(e.field_or("AADPrt"), "No");
    EXPECT_EQ(e.field_or("UserIsRemote"), "Yes");
    EXPECT_EQ(e.field_or("DeviceIsJoined"), "Not Tested");
    EXPECT_TRUE(e.subject.user_sid.rfind("S-1-5-21-", 0) == 0) << e.subject.user_sid;
    EXPECT_FALSE(e.subject.device_name.empty());
    EXPECT_NE(e.time, HT_NO_TIME);
  }
}

TEST(UdrPlugin, HelloForBusinessAndAadChannels) {
  const std::string hello =
      corpus_file("tugix__Microsoft-Windows-HelloForBusiness%4Operational.evtx");
  const std::string aad = corpus_file("tugix__Microsoft-Windows-AAD%4Operational.evtx");
  REQUIRE_CORPUS(hello);
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const auto h = plugin.parse_file(hello);
  EXPECT_EQ(h.events.size(), 60u);
  EXPECT_EQ(h.count("tpm.info"), 1u);
  EXPECT_EQ(h.count("ngc.container"), 3u);
  EXPECT_EQ(h.count("hello.error"), 12u);  // 7054 x6 and 7201 x6 are Level 2
  for (const Event& e : h.events)
    if (e.kind == "tpm.info") EXPECT_EQ(e.field_or("IsTpmLockedOut"), "false");
  const auto a = plugin.parse_file(aad);
  EXPECT_EQ(a.events.size(), 9u);
  EXPECT_EQ(a.count("aad.error"), 1u);
  EXPECT_EQ(a.count("aad.event"), 8u);
}

TEST(UdrPlugin, DamagedLogKeepsWhatCanBeReadAndSaysWhere) {
  const std::string path =
      corpus_file("omer__Microsoft-Windows-HelloForBusiness%4Operational.evtx");
  REQUIRE_CORPUS(path);
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const auto run = plugin.parse_file(path);
  EXPECT_EQ(run.events.size(), 5u);  // the half-written 6th record is reported, not emitted
  ASSERT_GE(run.warnings(), 1u);
  bool has_offset = false;
  for (const auto& d : run.diagnostics) has_offset |= d.position.offset != HT_NO_NUMBER;
  EXPECT_TRUE(has_offset);
}

TEST(UdrPlugin, RefusesWhatIsNotAnEventLog) {
  harness::PluginUnderTest plugin(ht_plugin_udr());
  EXPECT_EQ(plugin.sniff("+----------+\n| Device State |\n"), 0);
  const auto run = plugin.parse("not a log", "x.txt");
  EXPECT_TRUE(run.events.empty());
  ASSERT_EQ(run.diagnostics.size(), 1u);
  EXPECT_EQ(run.diagnostics[0].severity, HT_DIAG_ERROR);
}

namespace {
const std::string kExports = HT_SOURCE_DIR "/parsers/eventexport/samples/";
}

TEST(UdrPlugin, EventViewerXmlExportGivesTheSameKindsAsEvtx) {
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const std::string bytes = harness::PluginUnderTest::read_file(kExports + "udr-eventviewer.xml");
  EXPECT_GE(plugin.sniff(bytes), 80);
  const auto run = plugin.parse(bytes, "udr-eventviewer.xml");
  ASSERT_EQ(run.events.size(), 3u);
  EXPECT_EQ(run.events[0].kind, "prereq.check");
  EXPECT_EQ(run.events[0].event_id, 358);
  EXPECT_EQ(run.events[1].event_id, 360);
  EXPECT_EQ(run.events[2].kind, "ngc.key_registered");
  EXPECT_FALSE(run.events[2].subject.user_upn.empty());
  EXPECT_EQ(run.events[0].origin.line, 3u);  // line of the <Event> element
  EXPECT_NE(run.events[0].field_or("@Message").find("provisioning will be launched"),
            std::string::npos);
}

TEST(UdrPlugin, EveryExportFormIsClaimedAndCsvSaysWhatItLacks) {
  harness::PluginUnderTest plugin(ht_plugin_udr());
  for (const char* name :
       {"udr-eventviewer.xml", "udr-wevtutil.xml", "udr-forwarded-renderedxml.xml",
        "udr-ps51-utf16.xml", "udr-eventviewer-en-US.csv", "udr-eventviewer-de-DE.csv",
        "udr-export-csv.csv", "udr-ps51.json", "udr-ps7.json", "udr-ps7.ndjson"}) {
    const auto run = plugin.parse_file(kExports + name, R"({"timezone":"+01:00"})");
    EXPECT_FALSE(run.events.empty()) << name;
    EXPECT_EQ(run.warnings(), 0u) << name << ": "
                                  << (run.diagnostics.empty() ? "" : run.diagnostics[0].message);
  }
  const auto csv = plugin.parse_file(kExports + "udr-eventviewer-en-US.csv");
  bool said = false;
  for (const auto& d : csv.diagnostics)
    said |= d.message.find("no EventData values") != std::string::npos;
  EXPECT_TRUE(said);
  for (const Event& e : csv.events) EXPECT_TRUE(e.time_flags & HT_TIME_ZONE_ASSUMED);
}
