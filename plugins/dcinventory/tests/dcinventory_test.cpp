// In-process tests of the dcinventory plugin: the readers on real-shaped samples (samples/)
// and the analyzer on what they produce, built as the host builds its input.
#include "dcinventory.hpp"

#include <gtest/gtest.h>

#include <hellotrace/analysis_input.hpp>
#include <hellotrace/plugin_testing.hpp>

extern "C" const ht_plugin* ht_plugin_dcinventory(void);

namespace dci = hellotrace::dcinventory;
using hellotrace::Event;
using hellotrace::harness::ParseRun;
using hellotrace::harness::PluginUnderTest;
using json = nlohmann::json;

namespace {

const PluginUnderTest& plugin() {
  static PluginUnderTest p(ht_plugin_dcinventory());
  return p;
}

std::string sample(std::string_view name) {
  return std::string(HT_SOURCE_DIR) + "/plugins/dcinventory/samples/" + std::string(name);
}

std::string f(const Event& e, std::string_view name) {
  const std::string* v = e.field(name);
  return v ? *v : std::string("<missing>");
}

// The events of several runs as the host hands them to analyze().
json input_of(std::initializer_list<const ParseRun*> runs) {
  hellotrace::analysis::ojson events = hellotrace::analysis::ojson::array();
  for (const ParseRun* r : runs)
    hellotrace::analysis::append_events(events, r->events, "dcinventory", "bundle/x");
  return json::parse(hellotrace::analysis::input_json(std::move(events)).dump());
}

}  // namespace

TEST(DcInventory, Builds) {
  EXPECT_EQ(dci::build_of("10.0 (17763)"), 17763);
  EXPECT_EQ(dci::build_of("6.3 (9600)"), 9600);
  EXPECT_EQ(dci::build_of("10.0.14393.4046"), 14393);
  EXPECT_EQ(dci::build_of("20348"), 20348);
  EXPECT_EQ(dci::build_of("10.0 (abc)"), std::nullopt);
  EXPECT_EQ(dci::build_of("10.0"), std::nullopt);
  EXPECT_EQ(dci::release_of(14393), "Windows Server 2016");
  // The documented ranges, ends included, and their neighbours.
  EXPECT_EQ(dci::defect_of(14393, 3929), nullptr);
  EXPECT_NE(dci::defect_of(14393, 3930), nullptr);
  EXPECT_NE(dci::defect_of(14393, 4048), nullptr);
  EXPECT_EQ(dci::defect_of(14393, 4104), nullptr);
  EXPECT_NE(dci::defect_of(17763, 1457), nullptr);
  EXPECT_NE(dci::defect_of(17763, 1613), nullptr);
  EXPECT_EQ(dci::defect_of(17763, 1637), nullptr);
  EXPECT_STREQ(dci::defect_of(17763, 315)->update, "KB4487044");
  EXPECT_EQ(dci::defect_of(17763, 316), nullptr);
  EXPECT_EQ(dci::defect_of(20348, 1500), nullptr);
}

TEST(DcInventory, ExportCsvOfGetADDomainController) {
  const ParseRun r = plugin().parse_file(sample("get-addomaincontroller.csv"));
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_EQ(r.warnings(), 0u);
  ASSERT_EQ(r.events.size(), 3u);
  const Event& dc03 = r.events[2];
  EXPECT_EQ(dc03.kind, "dc.inventory");
  EXPECT_EQ(dc03.subject.device_name, "DC03.corp.contoso.com");
  EXPECT_EQ(f(dc03, "Build"), "17763");
  EXPECT_EQ(f(dc03, "Release"), "Windows Server 2019");
  EXPECT_EQ(f(dc03, "ReadOnly"), "False");
  EXPECT_EQ(f(dc03, "Site"), "Branch-Lyon");
  EXPECT_EQ(dc03.origin.line, 5u);  // #TYPE, header, DC01, DC02, DC03
}

TEST(DcInventory, FormatListUtf16AndJson) {
  const ParseRun fl = plugin().parse_file(sample("get-addomaincontroller-2012r2-utf16le.txt"));
  ASSERT_EQ(fl.events.size(), 2u);
  EXPECT_EQ(f(fl.events[0], "Build"), "9600");
  EXPECT_EQ(f(fl.events[1], "ReadOnly"), "True");
  EXPECT_EQ(fl.events[1].subject.device_name, "RODC01.corp.contoso.com");
  const ParseRun js = plugin().parse_file(sample("get-addomaincontroller-ps51.json"));
  ASSERT_EQ(js.events.size(), 3u);
  EXPECT_EQ(f(js.events[2], "Build"), "20348");
  EXPECT_EQ(f(js.events[2], "ReadOnly"), "False");
}

TEST(DcInventory, VersionsWithUbr) {
  const ParseRun r = plugin().parse_file(sample("dc-versions.csv"));
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[2].kind, "os.version");
  EXPECT_EQ(r.events[2].subject.device_name, "DC03.corp.contoso.com");
  EXPECT_EQ(f(r.events[2], "Ubr"), "1577");
  // reg query writes the DWORD in hex.
  const ParseRun hex = plugin().parse(
      "PSComputerName : DC09\r\nCurrentBuild   : 14393\r\nUBR            : 0xfce\r\n");
  ASSERT_EQ(hex.events.size(), 1u);
  EXPECT_EQ(f(hex.events[0], "Ubr"), "4046");
}

TEST(DcInventory, AnalyzerNamesTheAffectedDcOnly) {
  const ParseRun inv = plugin().parse_file(sample("get-addomaincontroller.csv"));
  const ParseRun ver = plugin().parse_file(sample("dc-versions.csv"));
  const auto out = plugin().analyze(input_of({&inv, &ver}));
  EXPECT_EQ(out.status, HT_OK);
  ASSERT_EQ(out.findings.size(), 1u);
  const json& fi = out.findings[0];
  EXPECT_EQ(fi["rule"], "signin.dc_build_affected");
  EXPECT_EQ(fi["device"]["name"], "DC03.corp.contoso.com");
  EXPECT_EQ(fi["details"]["fixed_in"], "17763.1637");
  EXPECT_EQ(fi["evidence"].size(), 2u);
  // Without the UBR export the build alone proves nothing.
  EXPECT_TRUE(plugin().analyze(input_of({&inv})).findings.empty());
}

TEST(DcInventory, LocalExportTakesTheDeviceTheHostResolved) {
  // Get-ItemProperty run on the DC itself names no machine; the host gives the event the
  // only device of its folder (here DC03), and the analyzer uses that name.
  const ParseRun inv = plugin().parse_file(sample("get-addomaincontroller.csv"));
  const ParseRun local = plugin().parse(
      "PSPath       : Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\"
      "Microsoft\\Windows NT\\CurrentVersion\r\nCurrentBuild : 17763\r\nUBR          : 1457\r\n");
  ASSERT_EQ(local.events.size(), 1u);
  EXPECT_EQ(local.events[0].subject.device_name, "");
  hellotrace::analysis::ojson events = hellotrace::analysis::ojson::array();
  hellotrace::analysis::append_events(events, inv.events, "dcinventory", "inv.csv");
  Event e = local.events[0];
  e.source = "dcinventory";
  e.file = "dc03/currentversion.txt";
  events.push_back(hellotrace::analysis::event_json(e, -1, 0));
  const auto in =
      json::parse(hellotrace::analysis::input_json(
                      std::move(events),
                      {hellotrace::analysis::device_identity_json(0, "DC03.corp.contoso.com")})
                      .dump());
  const auto out = plugin().analyze(in);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0]["details"]["build"], "17763.1457");
  // Without the host's resolution the export stays nobody's.
  EXPECT_TRUE(plugin().analyze(input_of({&inv, &local})).findings.empty());
}

TEST(DcInventory, AnalyzerNoCapableDc) {
  const ParseRun old = plugin().parse_file(sample("get-addomaincontroller-2012r2-utf16le.txt"));
  const auto out = plugin().analyze(input_of({&old}));
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0]["rule"], "signin.no_capable_dc");
  EXPECT_TRUE(out.findings[0]["device"]["name"].is_null());
  EXPECT_NE(out.findings[0]["summary"].get<std::string>().find(
                "RODC01.corp.contoso.com (Windows Server 2019, read-only)"),
            std::string::npos);
  const ParseRun now = plugin().parse_file(sample("get-addomaincontroller-ps51.json"));
  EXPECT_TRUE(plugin().analyze(input_of({&now})).findings.empty());
}

TEST(DcInventory, UnreadableVersionWarnsWithLineAndNeverGuesses) {
  const ParseRun r = plugin().parse(
      "HostName               : DC07.corp.contoso.com\r\nIsReadOnly             : False\r\n"
      "OperatingSystemVersion : ten\r\n");
  ASSERT_EQ(r.events.size(), 1u);
  ASSERT_EQ(r.warnings(), 1u);
  EXPECT_EQ(r.diagnostics[0].position.line, 1u);
  EXPECT_TRUE(plugin().analyze(input_of({&r})).findings.empty());  // build unknown: silent
}

TEST(DcInventory, SniffAndForeignInput) {
  EXPECT_EQ(
      plugin().sniff(PluginUnderTest::read_file(sample("get-addomaincontroller.csv")), "a.csv"),
      90);
  EXPECT_EQ(plugin().sniff(PluginUnderTest::read_file(sample("dc-versions.csv")), "a.csv"), 80);
  EXPECT_EQ(plugin().sniff("AzureAdJoined : YES\n", "dsregcmd.txt"), 0);
  const ParseRun r = plugin().parse("Name : value\n");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.events.empty());
  EXPECT_FALSE(r.diagnostics.empty());
}
