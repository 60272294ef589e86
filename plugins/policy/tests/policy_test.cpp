// policy plugin tests: the samples (plugins/policy/samples, written by make_samples.py),
// mapping of keys to sources/scopes/settings, deletions, damaged input, sniff, and the
// analyzer on parsed samples (each finding fires where it should and not on a healthy
// policy or without any policy export).
#include <gtest/gtest.h>

#include <hellotrace/analysis_input.hpp>
#include <hellotrace/plugin_testing.hpp>
#include <string>
#include <vector>

extern "C" const ht_plugin* ht_plugin_policy(void);

using hellotrace::Event;
using hellotrace::harness::OutputRun;
using hellotrace::harness::ParseRun;
using hellotrace::harness::PluginUnderTest;
using nlohmann::json;

namespace {

const std::string kSamples = std::string(HT_SOURCE_DIR) + "/plugins/policy/samples/";
const std::string kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const std::string kUserSid = "S-1-5-21-1004336348-1177238915-682003330-512";

PluginUnderTest& plugin() {
  static PluginUnderTest p(ht_plugin_policy());
  return p;
}

ParseRun sample(const std::string& name) { return plugin().parse_file(kSamples + name); }

// The first policy.setting of that name (and source, scope, when given).
const Event* setting(const ParseRun& r, const std::string& name, const std::string& source = "",
                     const std::string& scope = "") {
  for (const auto& e : r.events)
    if (e.kind == "policy.setting" && e.field_or("Setting") == name &&
        (source.empty() || e.field_or("Source") == source) &&
        (scope.empty() || e.field_or("Scope") == scope))
      return &e;
  return nullptr;
}

const Event* export_of(const ParseRun& r) {
  for (const auto& e : r.events)
    if (e.kind == "policy.export") return &e;
  return nullptr;
}

std::string reg5(const std::string& body) {
  return "Windows Registry Editor Version 5.00\r\n\r\n" + body;
}

// Events as the host hands them to analyze(), with the device identity index given.
struct Input {
  json events = json::array();
  json identities = json::array();
  void add(const ParseRun& run, json device) {
    for (Event e : run.events) {
      e.source = "policy";
      events.push_back(json(
          hellotrace::analysis::event_json(e, -1, device.is_number() ? device.get<int>() : -1)));
    }
  }
  void device(int index, const std::string& name) {
    identities.push_back({{"index", index},
                          {"type", "device"},
                          {"display", name},
                          {"device_name", name},
                          {"device_id", ""},
                          {"tenant_id", ""}});
  }
  bool phases = false;  // does the "host" take phase statements?
  void user(int index, const std::string& sam) {
    identities.push_back({{"index", index},
                          {"type", "user"},
                          {"display", sam},
                          {"sid", ""},
                          {"upn", ""},
                          {"dn", ""},
                          {"sam", sam}});
  }
  json get() const {
    return {{"schema", "hellotrace.analysis/1"},
            {"now", "2024-11-14T13:46:00.0000000Z"},
            {"accepts", phases ? json::array({"finding", "phase"}) : json::array({"finding"})},
            {"identities", identities},
            {"users", json::array()},
            {"events", events}};
  }
};

OutputRun analyze(const Input& in) { return plugin().analyze(in.get()); }

// Every finding names its device and cites input events, as the host requires.
void expect_well_formed(const OutputRun& out) {
  for (const auto& f : out.findings) {
    ASSERT_TRUE(f.is_object()) << f.dump();
    EXPECT_FALSE(f.value("summary", "").empty());
    EXPECT_FALSE(f.value("remediation", "").empty());
    EXPECT_EQ(f.value("category", ""), "policy");
    ASSERT_TRUE(f["evidence"].is_array());
    EXPECT_FALSE(f["evidence"].empty()) << f.dump();
    for (const auto& e : f["evidence"]) {
      EXPECT_FALSE(e.value("file", "").empty());
      EXPECT_TRUE(e["line"].is_number_integer()) << e.dump();
      EXPECT_FALSE(e.value("excerpt", "").empty());
    }
  }
}

}  // namespace

// ---- parse -------------------------------------------------------------------------

TEST(PolicyParse, HealthyGpoUtf16) {
  const ParseRun r = sample("gpo-healthy.reg");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_EQ(r.warnings(), 0u);
  const Event* use = setting(r, "UsePassportForWork");
  ASSERT_NE(use, nullptr);
  EXPECT_EQ(use->field_or("Source"), "gpo");
  EXPECT_EQ(use->field_or("Scope"), "machine");
  EXPECT_EQ(use->field_or("Value"), "1");
  EXPECT_EQ(use->field_or("ValueName"), "Enabled");
  EXPECT_EQ(use->field_or("Type"), "REG_DWORD");
  EXPECT_EQ(use->field_or("Path"),
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork");
  EXPECT_EQ(use->field("TenantId"), nullptr);  // GPO events carry no tenant
  EXPECT_EQ(use->origin.line, 4u);
  EXPECT_TRUE(use->subject.user_sid.empty());
  ASSERT_NE(setting(r, "ExcludeTPM12"), nullptr);
  EXPECT_EQ(setting(r, "ExcludeTPM12")->field_or("Value"), "1");
  ASSERT_NE(setting(r, "PINComplexity.MinimumPINLength"), nullptr);
  EXPECT_EQ(setting(r, "PINComplexity.MinimumPINLength")->field_or("Value"), "6");
  ASSERT_NE(setting(r, "RequireSecurityDevice"), nullptr);
  EXPECT_EQ(r.count("policy.setting"), 7u);
  const Event* ex = export_of(r);
  ASSERT_NE(ex, nullptr);
  EXPECT_EQ(r.count("policy.export"), 1u);
  EXPECT_EQ(ex->field_or("Covers"), "gpo.machine");
  EXPECT_EQ(ex->field_or("CoversPassportForWork"), "true");
  EXPECT_EQ(ex->field_or("Format"), "reg5");
  EXPECT_EQ(ex->field_or("Settings"), "7");
}

TEST(PolicyParse, IntuneTenantAndUserKeys) {
  const ParseRun r = sample("intune-tenant.reg");
  EXPECT_EQ(r.warnings(), 0u);
  std::vector<const Event*> use;
  for (const auto& e : r.events)
    if (e.field_or("Setting") == "UsePassportForWork") use.push_back(&e);
  ASSERT_EQ(use.size(), 2u);
  EXPECT_EQ(use[0]->field_or("Source"), "intune");
  EXPECT_EQ(use[0]->field_or("Scope"), "machine");
  EXPECT_EQ(use[0]->field_or("TenantId"), kTenant);
  EXPECT_EQ(use[0]->subject.tenant_id, kTenant);
  EXPECT_TRUE(use[0]->subject.user_sid.empty());
  EXPECT_EQ(use[1]->field_or("Scope"), "user");
  EXPECT_EQ(use[1]->subject.user_sid, kUserSid);
  ASSERT_NE(setting(r, "UseCloudTrustForOnPremAuth"), nullptr);
  EXPECT_EQ(setting(r, "PINComplexity.MinimumPINLength")->field_or("Value"), "8");
  EXPECT_EQ(export_of(r)->field_or("Covers"), "intune");
}

TEST(PolicyParse, Regedit4Ansi) {
  const ParseRun r = sample("not-enabled-regedit4.reg");
  EXPECT_EQ(r.warnings(), 0u);
  ASSERT_NE(setting(r, "UsePassportForWork"), nullptr);
  EXPECT_EQ(setting(r, "UsePassportForWork")->field_or("Value"), "0");
  EXPECT_EQ(setting(r, "UsePassportForWork")->origin.line, 5u);
  EXPECT_EQ(export_of(r)->field_or("Format"), "regedit4");
}

TEST(PolicyParse, AncestorExportCoversAnAbsentKey) {
  const ParseRun r = sample("policies-without-whfb.reg");
  EXPECT_EQ(r.warnings(), 0u);
  EXPECT_EQ(r.count("policy.setting"), 0u);  // WindowsUpdate values are not WHfB policy
  EXPECT_EQ(export_of(r)->field_or("Covers"), "gpo.machine");
  EXPECT_EQ(export_of(r)->field_or("Roots"), "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft");
}

TEST(PolicyParse, UnrelatedExportCoversNothing) {
  const ParseRun r = plugin().parse(
      reg5("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]\r\n"
           "\"Teams\"=\"C:\\\\Teams.exe\"\r\n"));
  EXPECT_EQ(r.count("policy.setting"), 0u);
  EXPECT_EQ(export_of(r)->field_or("CoversPassportForWork"), "false");
  EXPECT_EQ(export_of(r)->field_or("Covers"), "");
}

TEST(PolicyParse, RegQueryConsole) {
  const ParseRun r = sample("reg-query.txt");
  EXPECT_EQ(r.warnings(), 0u);
  EXPECT_EQ(setting(r, "UsePassportForWork", "gpo")->field_or("Value"), "1");
  EXPECT_EQ(setting(r, "UsePassportForWork", "gpo")->origin.line, 4u);
  EXPECT_EQ(setting(r, "RequireSecurityDevice", "gpo")->field_or("Value"), "0");
  EXPECT_EQ(setting(r, "RequireSecurityDevice", "intune")->field_or("TenantId"), kTenant);
  EXPECT_EQ(setting(r, "PINComplexity.Expiration")->field_or("Value"), "0");
  EXPECT_EQ(export_of(r)->field_or("Covers"), "gpo.machine, intune");
  EXPECT_EQ(export_of(r)->field_or("Format"), "reg-query");
}

TEST(PolicyParse, RegQueryMissingKeyIsCoveredAndEmpty) {
  const ParseRun r = sample("reg-query-missing.txt");
  EXPECT_EQ(r.count("policy.setting"), 0u);
  EXPECT_EQ(export_of(r)->field_or("Covers"), "gpo.machine");
}

TEST(PolicyParse, GetItemPropertyUtf16) {
  const ParseRun r = sample("get-itemproperty.txt");
  ASSERT_NE(setting(r, "UsePassportForWork"), nullptr);
  EXPECT_EQ(setting(r, "UsePassportForWork")->field_or("Type"), "unknown");
  EXPECT_EQ(setting(r, "UsePassportForWork")->origin.line, 4u);
  EXPECT_EQ(setting(r, "RequireSecurityDevice")->field_or("Value"), "1");
  EXPECT_EQ(r.count("policy.setting"), 2u);  // PSPath & co. are not values
  EXPECT_EQ(export_of(r)->field_or("Format"), "get-itemproperty");
}

TEST(PolicyParse, UserHivesAndHkcu) {
  const ParseRun r =
      plugin().parse(reg5("[HKEY_USERS\\" + kUserSid +
                          "\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n"
                          "\"Enabled\"=dword:00000000\r\n\r\n"
                          "[HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n"
                          "\"Enabled\"=dword:00000001\r\n"
                          "\"UsePassportForWork\"=dword:00000001\r\n"));
  ASSERT_EQ(r.count("policy.setting"), 3u);
  EXPECT_EQ(r.events[0].subject.user_sid, kUserSid);
  EXPECT_EQ(r.events[0].field_or("Scope"), "user");
  EXPECT_TRUE(r.events[1].subject.user_sid.empty());
  EXPECT_EQ(r.events[1].field_or("Scope"), "user");
  // UsePassportForWork under the GPO key is not what Windows reads: kept apart, and said.
  EXPECT_EQ(r.events[2].field_or("Setting"), "GpoKey.UsePassportForWork");
  EXPECT_EQ(export_of(r)->field_or("Covers"), "gpo.user, gpo.user:" + kUserSid);
}

TEST(PolicyParse, DeletionsApplyInOrder) {
  const std::string key = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork";
  const ParseRun r = plugin().parse(
      reg5(key + "]\r\n\"Enabled\"=dword:1\r\n\"RequireSecurityDevice\"=dword:1\r\n" + key +
           "\\PINComplexity]\r\n\"Digits\"=dword:1\r\n" + "[-" + key.substr(1) +
           "\\PINComplexity]\r\n" + key + "]\r\n\"RequireSecurityDevice\"=-\r\n"));
  EXPECT_NE(setting(r, "UsePassportForWork"), nullptr);
  EXPECT_EQ(setting(r, "RequireSecurityDevice"), nullptr);
  EXPECT_EQ(setting(r, "PINComplexity.Digits"), nullptr);
  bool said = false;
  for (const auto& d : r.diagnostics) said |= d.message.find("deletion") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(PolicyParse, DamagedInputKeepsEarlierValuesAndNamesTheLine) {
  std::string bytes = reg5(
      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n"
      "\"Enabled\"=dword:00000001\r\n"
      "\"RequireSecurityDevice\"=dword:0000000G\r\n"
      "\x01\x02\xff garbage\r\n"
      "\"UseCertificateForOnPremAuth\"=hex(b):01,00\r\n");
  const ParseRun r = plugin().parse(bytes, "pc-0517/whfb.reg");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_NE(setting(r, "UsePassportForWork"), nullptr);
  EXPECT_EQ(setting(r, "RequireSecurityDevice"), nullptr);
  ASSERT_GE(r.warnings(), 3u);
  std::vector<uint64_t> lines;
  for (const auto& d : r.diagnostics)
    if (d.severity >= HT_DIAG_WARNING) {
      lines.push_back(d.position.line);
      EXPECT_NE(d.message.find("pc-0517/whfb.reg line "), std::string::npos) << d.message;
    }
  EXPECT_EQ(lines, (std::vector<uint64_t>{5, 6, 7}));
  // A QWORD of the wrong size is kept (as hex) and reported.
  ASSERT_NE(setting(r, "UseCertificateForOnPremAuth"), nullptr);
  EXPECT_EQ(setting(r, "UseCertificateForOnPremAuth")->field_or("Value"), "0100");
}

TEST(PolicyParse, NotARegistryExport) {
  const ParseRun r = plugin().parse("hello world\n");
  EXPECT_EQ(r.events.size(), 0u);
  EXPECT_EQ(r.warnings(), 1u);
}

// ---- gpresult /x ----------------------------------------------------------------------

// A setting of one scope (gpresult reports Group Policy only).
const Event* gp_setting(const ParseRun& r, const std::string& name, const std::string& scope) {
  return setting(r, name, "", scope);
}

TEST(PolicyGpresult, WinningGpoAndOptionsUtf16) {
  const ParseRun r = sample("gpresult-healthy.xml");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_EQ(r.warnings(), 0u);
  const Event* use = gp_setting(r, "UsePassportForWork", "machine");
  ASSERT_NE(use, nullptr);
  EXPECT_EQ(use->field_or("Source"), "gpo");
  EXPECT_EQ(use->field_or("Value"), "1");  // precedence 1 (enabled) beats the baseline
  EXPECT_EQ(use->field_or("ValueName"), "Enabled");
  EXPECT_EQ(use->field_or("Gpo"), "WHfB - Hybrid Key Trust");
  EXPECT_EQ(use->field_or("Policy"), "Use Windows Hello for Business");
  EXPECT_EQ(use->field_or("OverriddenGpos"), "Legacy Workstation Baseline = 0");
  EXPECT_EQ(use->field_or("Format"), "gpresult-xml");
  EXPECT_EQ(use->field_or("Path"),
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork");
  EXPECT_EQ(use->subject.device_name, "WS-0142");  // CONTOSO\WS-0142$
  EXPECT_TRUE(use->subject.user_sam.empty());
  EXPECT_GT(use->origin.line, 30u);  // the <q1:Policy> element's line
  ASSERT_NE(gp_setting(r, "RequireSecurityDevice", "machine"), nullptr);
  EXPECT_EQ(gp_setting(r, "RequireSecurityDevice", "machine")->field_or("Value"), "1");
  ASSERT_NE(gp_setting(r, "ExcludeTPM12", "machine"), nullptr);  // option "Do not allow TPM 1.2"
  EXPECT_EQ(gp_setting(r, "ExcludeTPM12", "machine")->field_or("Value"), "1");
  ASSERT_NE(gp_setting(r, "DisablePostLogonProvisioning", "machine"), nullptr);
  EXPECT_EQ(gp_setting(r, "DisablePostLogonProvisioning", "machine")->field_or("Value"), "0");
  ASSERT_NE(gp_setting(r, "PINComplexity.MinimumPINLength", "machine"), nullptr);
  EXPECT_EQ(gp_setting(r, "PINComplexity.MinimumPINLength", "machine")->field_or("Value"), "6");
  EXPECT_EQ(r.count("policy.setting"), 5u);  // the Error Reporting policy is not WHfB
  const Event* ex = export_of(r);
  ASSERT_NE(ex, nullptr);
  EXPECT_EQ(ex->field_or("Covers"), "gpo.machine, gpo.user:CONTOSO\\alice");
  EXPECT_EQ(ex->field_or("Computer"), "CONTOSO\\WS-0142$");
  EXPECT_EQ(ex->field_or("ReadTime"), "2025-09-29T10:12:01.4417302Z");
}

TEST(PolicyGpresult, UserPolicyAndExtraRegistryValue) {
  const ParseRun r = sample("gpresult-user-disabled.xml");
  EXPECT_EQ(r.warnings(), 0u);
  const Event* user = gp_setting(r, "UsePassportForWork", "user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->field_or("Value"), "0");
  EXPECT_EQ(user->field_or("User"), "CONTOSO\\kiosk01");
  EXPECT_EQ(user->subject.user_sam, "CONTOSO\\kiosk01");
  EXPECT_EQ(user->subject.device_name, "WS-0777");
  EXPECT_EQ(user->field_or("Path"),
            "HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Microsoft\\PassportForWork");
  EXPECT_EQ(user->field_or("Gpo"), "Kiosk Users");  // resolved from the GPO identifier
  const Event* cert = gp_setting(r, "UseCertificateForOnPremAuth", "machine");
  ASSERT_NE(cert, nullptr);  // <RegistrySetting>: a value outside any ADMX template
  EXPECT_EQ(cert->field_or("Value"), "1");
  EXPECT_EQ(cert->field_or("Gpo"), "WHfB - Hybrid Key Trust");
  EXPECT_EQ(cert->field("Policy"), nullptr);
}

TEST(PolicyGpresult, UnelevatedCoversTheUserOnly) {
  const ParseRun r = sample("gpresult-unelevated.xml");
  EXPECT_EQ(r.count("policy.setting"), 0u);
  const Event* ex = export_of(r);
  ASSERT_NE(ex, nullptr);
  EXPECT_EQ(ex->field_or("Covers"), "gpo.user:CONTOSO\\alice");
  EXPECT_EQ(ex->field("Computer"), nullptr);
  EXPECT_TRUE(ex->subject.device_name.empty());  // the host attributes it by folder
}

TEST(PolicyGpresult, TruncatedXmlKeepsWhatWasReadAndNamesTheLine) {
  const std::string whole = PluginUnderTest::read_file(kSamples + "gpresult-user-disabled.xml");
  const size_t cut = whole.find("<q1:KeyPath>");
  ASSERT_NE(cut, std::string::npos);
  const ParseRun r = plugin().parse(whole.substr(0, cut + 20), "pc/gpresult.xml");
  EXPECT_EQ(r.status, HT_OK);
  ASSERT_EQ(r.warnings(), 1u);
  EXPECT_NE(r.diagnostics[0].message.find("pc/gpresult.xml line "), std::string::npos);
  EXPECT_GT(r.diagnostics[0].position.line, 20u);
  // The computer policies before the damage are kept.
  ASSERT_NE(gp_setting(r, "UsePassportForWork", "machine"), nullptr);
  EXPECT_EQ(gp_setting(r, "UseCertificateForOnPremAuth", "machine"), nullptr);
}

TEST(PolicyGpresult, UnknownWhfbPolicyIsKeptByName) {
  const std::string xml =
      "<Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><ComputerResults><Name>C\\PC1$"
      "</Name><ExtensionData><Extension xmlns:q9=\"http://www.microsoft.com/GroupPolicy/"
      "Settings/Registry\" xsi:type=\"q9:RegistrySettings\"><q9:Policy><q9:Name>Allow "
      "enumeration of emulated smart card for all users</q9:Name><q9:State>Enabled</q9:State>"
      "<q9:Category>Windows Components/Windows Hello for Business</q9:Category></q9:Policy>"
      "<q9:Policy><q9:Name>History</q9:Name><q9:State>Enabled</q9:State><q9:Category>Some "
      "Other/Template</q9:Category></q9:Policy></Extension></ExtensionData></ComputerResults>"
      "</Rsop>";
  const ParseRun r = plugin().parse(xml, "x.xml");
  EXPECT_GE(plugin().sniff(xml, "x.xml"), 80);
  ASSERT_EQ(r.count("policy.setting"), 1u);  // "History" of another template is not PIN history
  const Event* e =
      gp_setting(r, "Policy.Allow enumeration of emulated smart card for all users", "machine");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->field_or("Value"), "1");
  EXPECT_EQ(e->subject.device_name, "PC1");
}

// ---- sniff -------------------------------------------------------------------------

TEST(PolicySniff, OwnSamplesAndOthers) {
  for (const char* name :
       {"gpo-healthy.reg", "intune-tenant.reg", "not-enabled-regedit4.reg", "reg-query.txt",
        "reg-query-missing.txt", "get-itemproperty.txt", "gpresult-healthy.xml",
        "gpresult-user-disabled.xml", "gpresult-unelevated.xml"})
    EXPECT_GE(plugin().sniff(PluginUnderTest::read_file(kSamples + name), name), 80) << name;
  EXPECT_EQ(
      plugin().sniff("+----------------------------------------------------------------------"
                     "+\n| Device State                                                         "
                     "|\n+----------------------------------------------------------------------"
                     "+\n\n             AzureAdJoined : YES\n          EnterpriseJoined : NO\n",
                     "dsregcmd.txt"),
      0);
  std::string evtx("ElfFile\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x80\0\0\0\x01\0\x03\0", 32);
  EXPECT_EQ(plugin().sniff(evtx, "UserDeviceRegistration.evtx"), 0);
  EXPECT_EQ(plugin().sniff(
                "\r\nTpmPresent                : True\r\nTpmReady                  : True\r\n"
                "ManufacturerId            : 1229346816\r\nManufacturerIdTxt         : IFX\r\n",
                "get-tpm.txt"),
            0);
}

// ---- analyze -----------------------------------------------------------------------

TEST(PolicyAnalyze, HealthyPolicyHasNoFinding) {
  Input in;
  in.device(1, "PC-0517");
  in.add(sample("gpo-healthy.reg"), 1);
  const OutputRun out = analyze(in);
  EXPECT_EQ(out.status, HT_OK);
  EXPECT_TRUE(out.findings.empty()) << out.findings.front().dump();
}

TEST(PolicyAnalyze, NoPolicyExportMeansUnknown) {
  Input in;
  in.device(1, "PC-0517");
  in.add(
      plugin().parse(reg5("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion]\r\n"
                          "\"ProgramFilesDir\"=\"C:\\\\Program Files\"\r\n")),
      1);
  EXPECT_TRUE(analyze(in).findings.empty());
  EXPECT_TRUE(analyze(Input()).findings.empty());
}

TEST(PolicyAnalyze, NotEnabledByGpo) {
  Input in;
  in.device(1, "PC-0517");
  in.add(sample("not-enabled-regedit4.reg"), 1);
  const OutputRun out = analyze(in);
  expect_well_formed(out);
  const auto hits = out.with_rule("policy.not_enabled");
  ASSERT_EQ(hits.size(), 1u);
  const json& f = *hits[0];
  EXPECT_EQ(f["severity"], "high");
  EXPECT_EQ(f["device"]["name"], "PC-0517");
  EXPECT_NE(f["summary"].get<std::string>().find("PC-0517"), std::string::npos);
  EXPECT_NE(f["summary"].get<std::string>().find("Enabled=0"), std::string::npos);
  EXPECT_EQ(f["details"]["value"], "0");
  EXPECT_EQ(f["evidence"][0]["line"], 5);
  EXPECT_NE(f["remediation"].get<std::string>().find("Windows Hello for Business > Use Windows "
                                                     "Hello for Business"),
            std::string::npos);
  EXPECT_NE(f["remediation"].get<std::string>().find("gpupdate /force"), std::string::npos);
  EXPECT_EQ(out.with_rule("policy.hardware_not_required").size(), 0u);  // not enabled at all
}

TEST(PolicyAnalyze, NotEnabledWhenTheCoveredKeyIsAbsent) {
  for (const char* name : {"policies-without-whfb.reg", "reg-query-missing.txt"}) {
    Input in;
    in.add(sample(name), nullptr);  // unattributed: reported without a device
    const OutputRun out = analyze(in);
    expect_well_formed(out);
    const auto hits = out.with_rule("policy.not_enabled");
    ASSERT_EQ(hits.size(), 1u) << name;
    EXPECT_TRUE((*hits[0])["device"]["name"].is_null());
    EXPECT_TRUE((*hits[0])["details"]["value"].is_null());
    EXPECT_EQ((*hits[0])["evidence"][0]["kind"], "policy.export");
  }
}

TEST(PolicyAnalyze, UserPolicyTakesPrecedenceOverComputerPolicy) {
  Input in;
  in.device(2, "PC-0999");
  // Computer policy enables WHfB, the user's own policy disables it: the user loses.
  in.add(sample("gpo-healthy.reg"), 2);
  in.add(plugin().parse(reg5("[HKEY_USERS\\" + kUserSid +
                             "\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n"
                             "\"Enabled\"=dword:00000000\r\n")),
         2);
  const OutputRun out = analyze(in);
  const auto hits = out.with_rule("policy.not_enabled");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ((*hits[0])["user"]["sid"], kUserSid);
  EXPECT_EQ((*hits[0])["details"]["scope"], "user");
}

TEST(PolicyAnalyze, HardwareNotRequired) {
  Input in;
  in.device(1, "PC-0517");
  in.add(
      plugin().parse(reg5("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n"
                          "\"Enabled\"=dword:00000001\r\n")),
      1);
  const OutputRun out = analyze(in);
  expect_well_formed(out);
  ASSERT_EQ(out.findings.size(), 1u);
  const auto hits = out.with_rule("policy.hardware_not_required");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ((*hits[0])["severity"], "info");
  EXPECT_NE((*hits[0])["remediation"].get<std::string>().find("Use a hardware security device"),
            std::string::npos);
}

TEST(PolicyAnalyze, GpoOverridesIntune) {
  Input in;
  in.device(1, "PC-0517");
  in.add(sample("conflict-gpo.reg"), 1);
  in.add(sample("conflict-intune.reg"), 1);
  const OutputRun out = analyze(in);
  expect_well_formed(out);
  const auto hits = out.with_rule("policy.gpo_overrides_intune");
  ASSERT_EQ(hits.size(), 1u);  // one finding per device, listing every ignored Intune value
  const json& f = *hits[0];
  EXPECT_EQ(f["severity"], "medium");
  EXPECT_EQ(f["tenant"], kTenant);
  // Group Policy configures WHfB, so every Intune value is ignored — also the one that
  // agrees (UsePassportForWork=1 = Enabled=1); two of the three change the policy.
  const json& c = f["details"]["ignored_intune_values"];
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(f["details"]["changes_effective_policy"], 2);
  EXPECT_EQ(c[0]["setting"], "UsePassportForWork");
  EXPECT_EQ(c[0]["gpo_value"], "1");
  EXPECT_EQ(c[1]["setting"], "RequireSecurityDevice");
  EXPECT_EQ(c[1]["gpo_value"], "0");
  EXPECT_EQ(c[1]["intune_value"], "1");
  EXPECT_EQ(c[1]["effective"], "0");
  EXPECT_EQ(c[2]["setting"], "UseCertificateForOnPremAuth");
  EXPECT_EQ(f["evidence"].size(), 6u);  // the three Intune values and the Group Policy ones
  // GPO wins: RequireSecurityDevice is effectively 0, so the recommendation fires too.
  EXPECT_EQ(out.with_rule("policy.hardware_not_required").size(), 1u);
  // UsePassportForWork agrees (1 and 1): no conflict, and enabled.
  EXPECT_EQ(out.with_rule("policy.not_enabled").size(), 0u);
}

TEST(PolicyAnalyze, DevicesAreSeparate) {
  Input in;
  in.device(1, "PC-A");
  in.device(2, "PC-B");
  in.add(sample("conflict-gpo.reg"), 1);
  in.add(sample("conflict-intune.reg"), 2);  // another device: no conflict
  EXPECT_EQ(analyze(in).with_rule("policy.gpo_overrides_intune").size(), 0u);
}

TEST(PolicyAnalyze, GpresultHealthyHasNoFinding) {
  Input in;
  in.device(1, "WS-0142");
  in.add(sample("gpresult-healthy.xml"), 1);
  const OutputRun out = analyze(in);
  EXPECT_TRUE(out.findings.empty()) << out.findings.front().dump();
}

TEST(PolicyAnalyze, GpresultUserPolicyDisablesWhfb) {
  Input in;
  in.device(1, "WS-0777");
  in.add(sample("gpresult-user-disabled.xml"), 1);
  const OutputRun out = analyze(in);
  expect_well_formed(out);
  const auto hits = out.with_rule("policy.not_enabled");
  ASSERT_EQ(hits.size(), 1u);  // the kiosk user only: the computer policy enables it
  const json& f = *hits[0];
  EXPECT_EQ(f["user"]["sam"], "CONTOSO\\kiosk01");
  EXPECT_EQ(f["details"]["scope"], "user");
  EXPECT_EQ(f["details"]["context"], "user CONTOSO\\kiosk01");
  EXPECT_NE(f["summary"].get<std::string>().find("CONTOSO\\kiosk01"), std::string::npos);
  EXPECT_NE(f["summary"].get<std::string>().find("GPO 'Kiosk Users'"), std::string::npos);
  EXPECT_NE(f["remediation"].get<std::string>().find(
                "The GPO 'Kiosk Users' sets 'Use Windows Hello for Business' to Disabled (User "
                "Configuration)"),
            std::string::npos);
  EXPECT_EQ(out.with_rule("policy.hardware_not_required").size(), 0u);
}

TEST(PolicyAnalyze, GpresultAgainstIntune) {
  // RSoP shows what Group Policy delivered; the Intune export what the CSP holds.
  Input in;
  in.device(1, "WS-0142");
  in.add(sample("gpresult-healthy.xml"), 1);
  in.add(plugin().parse(reg5(
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Policies\\PassportForWork\\" + kTenant +
             "\\Device\\Policies]\r\n"
             "\"UsePassportForWork\"=dword:00000001\r\n"
             "\"RequireSecurityDevice\"=dword:00000000\r\n")),
         1);
  const OutputRun out = analyze(in);
  const auto hits = out.with_rule("policy.gpo_overrides_intune");
  ASSERT_EQ(hits.size(), 1u);
  const json& c = (*hits[0])["details"]["ignored_intune_values"];
  ASSERT_EQ(c.size(), 2u);  // both Intune values are ignored; one changes the policy
  EXPECT_EQ((*hits[0])["details"]["changes_effective_policy"], 1);
  EXPECT_EQ(c[1]["setting"], "RequireSecurityDevice");
  EXPECT_EQ(c[1]["gpo_value"], "1");
  EXPECT_EQ(c[1]["intune_value"], "0");
}

TEST(PolicyAnalyze, AnIntuneOnlyValueDoesNotApplyWhileGroupPolicyIsInForce) {
  // Group Policy enables WHfB and sets nothing else; Intune requires a TPM. Windows
  // ignores the Intune values while any Group Policy WHfB setting exists, so the
  // effective policy does not require hardware.
  Input in;
  in.device(1, "PC-1520");
  in.add(
      plugin().parse(reg5("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n"
                          "\"Enabled\"=dword:00000001\r\n")),
      1);
  in.add(plugin().parse(reg5(
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Policies\\PassportForWork\\" + kTenant +
             "\\Device\\Policies]\r\n"
             "\"UsePassportForWork\"=dword:00000001\r\n"
             "\"RequireSecurityDevice\"=dword:00000001\r\n")),
         1);
  const OutputRun out = analyze(in);
  const auto hw = out.with_rule("policy.hardware_not_required");
  ASSERT_EQ(hw.size(), 1u);
  EXPECT_TRUE((*hw[0])["details"]["value"].is_null());  // not set in the effective policy
  const auto over = out.with_rule("policy.gpo_overrides_intune");
  ASSERT_EQ(over.size(), 1u);
  const json& c = (*over[0])["details"]["ignored_intune_values"];
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1]["setting"], "RequireSecurityDevice");
  EXPECT_TRUE(c[1]["gpo_value"].is_null());
  EXPECT_EQ(c[1]["effective"], "not set");
}

std::vector<const json*> statements(const OutputRun& out) {
  std::vector<const json*> v;
  for (const auto& f : out.findings)
    if (f.contains("phase")) v.push_back(&f);
  return v;
}

TEST(PolicyPhase, OnlyWhenTheHostTakesStatements) {
  Input in;
  in.device(1, "WS-0142");
  in.add(sample("gpresult-healthy.xml"), 1);
  EXPECT_TRUE(statements(analyze(in)).empty());
  in.phases = true;
  const OutputRun out = analyze(in);
  const auto st = statements(out);
  // alice (from the RSoP user results) is no identity of the run, and the machine
  // policy agrees with hers: one statement for the device.
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ((*st[0])["phase"], "policy");
  EXPECT_EQ((*st[0])["state"], "done");
  EXPECT_EQ((*st[0])["device"]["name"], "WS-0142");
  EXPECT_TRUE((*st[0])["user"]["sam"].is_null());
  EXPECT_NE((*st[0])["note"].get<std::string>().find("GPO 'WHfB - Hybrid Key Trust'"),
            std::string::npos);
  EXPECT_EQ((*st[0])["evidence"][0]["kind"], "policy.setting");
}

TEST(PolicyPhase, APersonOfTheRunGetsTheirOwnAndOthersTheMachines) {
  Input in;
  in.phases = true;
  in.device(1, "WS-0777");
  in.add(sample("gpresult-user-disabled.xml"), 1);
  // Unknown kiosk user (failed) and machine policy (done) disagree: nothing for the device.
  EXPECT_TRUE(statements(analyze(in)).empty());
  in.user(2, "contoso\\kiosk01");
  const auto out = analyze(in);
  const auto st = statements(out);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ((*st[0])["state"], "failed");
  EXPECT_EQ((*st[0])["user"]["sam"], "contoso\\kiosk01");
  EXPECT_NE((*st[0])["note"].get<std::string>().find("GPO 'Kiosk Users'"), std::string::npos);
  EXPECT_EQ((*st[1])["state"], "done");  // every other user of WS-0777
  EXPECT_TRUE((*st[1])["user"]["sam"].is_null());
  EXPECT_EQ(out.with_rule("policy.not_enabled").size(), 1u);  // findings as before
}

TEST(PolicyPhase, NoExportNoStatement) {
  Input in;
  in.phases = true;
  in.device(1, "PC-0517");
  in.add(plugin().parse(
             reg5("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows]\r\n\"X\"=dword:1\r\n")),
         1);
  EXPECT_TRUE(statements(analyze(in)).empty());
}

TEST(PolicyAnalyze, HealthyIntuneOnly) {
  Input in;
  in.device(1, "PC-0517");
  in.add(sample("intune-tenant.reg"), 1);
  const OutputRun out = analyze(in);
  EXPECT_TRUE(out.findings.empty()) << out.findings.front().dump();
}
