// In-process tests of the tpm plugin (parse and analyze) through its C table, on the
// real-shaped samples in samples/.
#include <gtest/gtest.h>

#include <hellotrace/analysis_input.hpp>
#include <hellotrace/plugin_testing.hpp>
#include <hellotrace/time.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tpm_facts.hpp"

extern "C" const ht_plugin* ht_plugin_tpm(void);

using hellotrace::Event;
using hellotrace::harness::OutputRun;
using hellotrace::harness::ParseRun;
using hellotrace::harness::PluginUnderTest;
using nlohmann::json;
namespace tpm = hellotrace::tpm;

namespace {

std::string sample_path(const std::string& name) {
  return std::string(HT_SOURCE_DIR) + "/plugins/tpm/samples/" + name;
}

std::string read_sample(const std::string& name) {
  return PluginUnderTest::read_file(sample_path(name));
}

const PluginUnderTest& plugin() {
  static const PluginUnderTest p(ht_plugin_tpm());
  return p;
}

ParseRun parse_sample(const std::string& name) {
  return plugin().parse(read_sample(name), "bundle/" + name);
}

std::string f(const Event& e, std::string_view name) {
  const std::string* v = e.field(name);
  return v ? *v : std::string("<missing>");
}

std::string describe(const ParseRun& r) {
  std::string out;
  for (const auto& d : r.diagnostics)
    out += "[" + std::to_string(d.severity) + " line " +
           (d.position.line == HT_NO_NUMBER ? std::string("-") : std::to_string(d.position.line)) +
           "] " + d.message + "\n";
  return out;
}

const Event& only_event(const ParseRun& r) {
  if (r.events.size() != 1)
    throw std::runtime_error("expected one event, got " + std::to_string(r.events.size()) + "\n" +
                             describe(r));
  return r.events[0];
}

// ---- analyzer input, as the host builds it (docs/PLUGINS.md) ----------------------

json event_json(Event e, std::optional<int> device, const std::string& source = "tpm") {
  e.source = source;
  return json(hellotrace::analysis::event_json(e, -1, device.value_or(-1)));
}

constexpr const char* kTenant = "8c1f2e3d-4b5a-4c6d-9e8f-7a6b5c4d3e2f";

json device_identity(int index, const std::string& name) {
  return {{"index", index},
          {"type", "device"},
          {"display", name},
          {"device_name", name},
          {"device_id", "3f5c0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5" + std::to_string(index)},
          {"tenant_id", kTenant}};
}

json analysis(json events, json identities = json::array()) {
  if (identities.empty()) identities.push_back(device_identity(1, "PC-0517"));
  return {{"schema", "hellotrace.analysis/1"},
          {"now", "2024-11-14T13:46:00.0000000Z"},
          {"identities", std::move(identities)},
          {"users", json::array()},
          {"events", std::move(events)}};
}

// A policy.setting event as the policy plugin emits it.
Event policy(const std::string& source, const std::string& setting, const std::string& value,
             uint64_t line, const std::string& scope = "machine") {
  Event e;
  e.kind = "policy.setting";
  e.file = source == "gpo" ? "bundle/PassportForWork-gpo.reg" : "bundle/PassportForWork-mdm.reg";
  e.origin.line = line;
  const bool gpo = source == "gpo";
  e.add("Source", source);
  e.add("Scope", scope);
  e.add("Setting", setting);
  e.add("Value", value);
  e.add("Path", gpo ? "HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork"
                    : std::string("HKLM\\SOFTWARE\\Microsoft\\Policies\\PassportForWork\\") +
                          kTenant + "\\Device\\Policies");
  e.add("ValueName", setting);
  e.add("Type", "REG_DWORD");
  e.add("TenantId", gpo ? "" : kTenant);
  return e;
}

// HelloForBusiness 5555 as the udr plugin emits it (tpm.info, source udr).
Event hello5555(const std::string& time, const std::string& support, const std::string& version,
                const std::string& excluded, const std::string& hardware = "false") {
  Event e;
  e.kind = "tpm.info";
  e.file = "bundle/hello-operational.evtx";
  e.time = *hellotrace::time::parse_iso(time);
  e.origin.record = 3101;
  e.event_id = 5555;
  e.channel = "Microsoft-Windows-HelloForBusiness/Operational";
  e.provider = "Microsoft-Windows-HelloForBusiness";
  e.add("TpmSupport", support);
  e.add("HardwarePolicy", hardware);
  e.add("IsTpm12Excluded", excluded);
  e.add("TpmVersion", version);
  e.add("IsTpmLockedOut", "false");
  e.add("KeyProvider", "Microsoft Platform Crypto Provider");
  e.add("Result", "0x00000000");
  return e;
}

json events_of(const std::string& sample, std::optional<int> device = 1) {
  json out = json::array();
  for (const auto& e : parse_sample(sample).events) out.push_back(event_json(e, device));
  return out;
}

OutputRun run(const json& input) { return plugin().analyze(input); }

// Every finding is well-formed and its evidence names an input event (file + position).
void expect_valid(const OutputRun& r, const json& input) {
  EXPECT_EQ(r.status, HT_OK);
  for (const auto& fnd : r.findings) {
    ASSERT_TRUE(fnd.is_object()) << fnd;
    for (const char* k : {"rule", "severity", "title", "category", "summary", "user", "device",
                          "tenant", "evidence", "remediation", "documentation", "details"})
      EXPECT_TRUE(fnd.contains(k)) << k << " missing in " << fnd;
    EXPECT_EQ(fnd["category"], "tpm");
    ASSERT_FALSE(fnd["evidence"].empty()) << fnd;
    for (const auto& ev : fnd["evidence"]) {
      bool found = false;
      for (const auto& in : input["events"])
        found |= in["file"] == ev["file"] && in["line"] == ev["line"] &&
                 in["record"] == ev["record"] && in["kind"] == ev["kind"];
      EXPECT_TRUE(found) << "evidence names no input event: " << ev;
      EXPECT_FALSE(ev["excerpt"].get<std::string>().empty()) << ev;
    }
  }
}

std::vector<std::string> rules(const OutputRun& r) {
  std::vector<std::string> out;
  for (const auto& fnd : r.findings) out.push_back(fnd.value("rule", "?"));
  return out;
}

}  // namespace

// ---- ROCA ranges and value helpers ---------------------------------------------

TEST(TpmRoca, EveryBoundaryOfTheAdvisoryTable) {
  struct Case {
    uint32_t major, minor;
    bool affected;
  };
  const Case cases[] = {
      {4, 0, true},    {4, 33, true},    {4, 34, false},  {4, 39, false},   {4, 40, true},
      {4, 41, true},   {4, 42, true},    {4, 43, false},  {5, 0, true},     {5, 61, true},
      {5, 62, false},  {6, 0, true},     {6, 42, true},   {6, 43, false},   {7, 0, true},
      {7, 61, true},   {7, 62, false},   {7, 63, false},  {7, 85, false},   {133, 0, true},
      {133, 32, true}, {133, 33, false}, {149, 32, true}, {149, 33, false}, {3, 19, false},
      {8, 0, false},   {132, 0, false},  {134, 0, false}, {148, 0, false},  {150, 0, false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(tpm::roca_affected_ifx(c.major, c.minor), c.affected) << c.major << "." << c.minor;
  EXPECT_EQ(tpm::roca_range(7), "7.0–7.61");
  EXPECT_EQ(tpm::roca_range(4), "4.0–4.33 and 4.40–4.42");
  EXPECT_EQ(tpm::roca_range(8), "");
}

TEST(TpmValues, VersionsVendorsBooleans) {
  EXPECT_EQ(tpm::parse_version("7.63.3353.0"), (std::vector<uint32_t>{7, 63, 3353, 0}));
  EXPECT_EQ(tpm::parse_version(" 4.43 "), (std::vector<uint32_t>{4, 43}));
  EXPECT_FALSE(tpm::parse_version("Not Supported"));
  EXPECT_FALSE(tpm::parse_version("7"));
  EXPECT_FALSE(tpm::parse_version("7..1"));
  EXPECT_FALSE(tpm::parse_version("7.1.2.3.4"));
  EXPECT_FALSE(tpm::parse_version("99999999999.1"));
  EXPECT_EQ(tpm::vendor_from_id(1229346816), "IFX");  // 0x49465800
  EXPECT_EQ(tpm::vendor_from_id(1229870147), "INTC");
  EXPECT_EQ(tpm::vendor_from_id(1314145024), "NTC");
  EXPECT_EQ(tpm::vendor_from_id(1095582720), "AMD");
  EXPECT_EQ(tpm::vendor_from_id(1297303124), "MSFT");
  EXPECT_EQ(tpm::vendor_from_id(0), "");
  EXPECT_EQ(tpm::parse_bool(" True "), true);
  EXPECT_EQ(tpm::parse_bool("false"), false);
  EXPECT_EQ(tpm::parse_bool("No"), false);
  EXPECT_FALSE(tpm::parse_bool("maybe"));
}

// ---- parse ---------------------------------------------------------------------

TEST(TpmParse, GetTpmDefaultOutputIsOneEventDespiteTheBlankLine) {
  const ParseRun r = parse_sample("get-tpm_healthy_ifx.txt");
  EXPECT_EQ(r.status, HT_OK);
  const Event& e = only_event(r);
  EXPECT_EQ(e.kind, "tpm.info");
  EXPECT_EQ(e.origin.line, 2u);
  EXPECT_EQ(e.time, HT_NO_TIME);
  EXPECT_EQ(e.subject.device_name, "");  // Get-Tpm does not say which computer
  // The source's own fields first, in its order, values unchanged…
  ASSERT_GE(e.fields.size(), 19u);
  EXPECT_EQ(e.fields[0].name, "TpmPresent");
  EXPECT_EQ(e.fields[9].name, "ManufacturerVersionFull20");
  EXPECT_EQ(e.fields[10].name, "ManagedAuthLevel");  // the block after the blank line
  EXPECT_EQ(e.fields[18].name, "SelfTest");
  EXPECT_EQ(f(e, "ManufacturerId"), "1229346816");
  EXPECT_EQ(f(e, "OwnerAuth"), "");
  EXPECT_EQ(f(e, "LockedOut"), "False");
  EXPECT_EQ(f(e, "LockoutHealTime"), "2 hours");
  EXPECT_EQ(f(e, "SelfTest"), "{}");
  // …then the derived ones.
  EXPECT_EQ(f(e, "Export"), "Get-Tpm");
  EXPECT_EQ(f(e, "TpmVersion"), "2.0");
  EXPECT_EQ(f(e, "FirmwareVersion"), "7.63.3353.0");
  EXPECT_EQ(f(e, "Manufacturer"), "IFX");
  EXPECT_EQ(f(e, "RocaAffectedFirmware"), "False");
  EXPECT_EQ(r.warnings(), 0u) << describe(r);
}

TEST(TpmParse, RocaTranscriptFormatListStar) {
  const ParseRun r = parse_sample("get-tpm_roca_ifx_transcript.txt");
  const Event& e = only_event(r);
  EXPECT_EQ(e.origin.line, 12u);
  EXPECT_EQ(f(e, "ManufacturerVersion"), "7.61.2785.0");
  EXPECT_EQ(f(e, "RocaAffectedFirmware"), "True");
  EXPECT_EQ(f(e, "TpmVersion"), "2.0");
  EXPECT_EQ(r.warnings(), 0u) << describe(r);  // transcript header/footer are not damage
}

TEST(TpmParse, Tpm12NotSupportedFull20) {
  const ParseRun r = parse_sample("get-tpm_tpm12.txt");
  const Event& e = only_event(r);
  EXPECT_EQ(f(e, "ManufacturerVersionFull20"), "Not Supported");
  EXPECT_EQ(f(e, "TpmVersion"), "1.2");
  EXPECT_EQ(f(e, "FirmwareVersion"), "4.43");
  EXPECT_EQ(f(e, "RocaAffectedFirmware"), "False");  // 4.43 is the fixed build
}

TEST(TpmParse, Utf16LeNotReady) {
  const std::string bytes = read_sample("get-tpm_not_ready_utf16le.txt");
  ASSERT_EQ(static_cast<uint8_t>(bytes[0]), 0xFF);
  ASSERT_EQ(static_cast<uint8_t>(bytes[1]), 0xFE);
  const ParseRun r = plugin().parse(bytes, "bundle/get-tpm.txt");
  const Event& e = only_event(r);
  EXPECT_EQ(e.origin.line, 2u);
  EXPECT_EQ(f(e, "TpmReady"), "False");
  EXPECT_EQ(f(e, "RestartPending"), "True");
  EXPECT_EQ(f(e, "Manufacturer"), "AMD");
  EXPECT_EQ(f(e, "TpmVersion"), "2.0");
  EXPECT_EQ(e.field("RocaAffectedFirmware"), nullptr);  // only for Infineon
  EXPECT_EQ(r.warnings(), 0u) << describe(r);
}

TEST(TpmParse, AbsentTpm) {
  const ParseRun r = parse_sample("get-tpm_absent.txt");
  const Event& e = only_event(r);
  EXPECT_EQ(f(e, "TpmPresent"), "False");
  EXPECT_EQ(f(e, "TpmVersion"), "");
  EXPECT_EQ(e.field("FirmwareVersion"), nullptr);
  EXPECT_EQ(e.field("Manufacturer"), nullptr);  // ManufacturerId 0 names nobody
}

TEST(TpmParse, ManufacturerFromIntegerWhenTextMissing) {
  const ParseRun r = plugin().parse(
      "TpmPresent          : True\r\nTpmReady            : True\r\n"
      "ManufacturerId      : 1229346816\r\nManufacturerVersion : 5.61\r\n");
  const Event& e = only_event(r);
  EXPECT_EQ(f(e, "Manufacturer"), "IFX");
  EXPECT_EQ(f(e, "RocaAffectedFirmware"), "True");
  EXPECT_EQ(f(e, "TpmVersion"), "");  // nothing says which family
}

TEST(TpmParse, TpmtoolOutput) {
  const ParseRun r = parse_sample("tpmtool_ifx.txt");
  const Event& e = only_event(r);
  EXPECT_EQ(e.origin.line, 2u);
  EXPECT_EQ(e.fields[0].name, "TPM Present");
  EXPECT_EQ(f(e, "TPM Present"), "True");
  EXPECT_EQ(f(e, "TPM Manufacturer Full Name"), "Infineon");
  EXPECT_EQ(f(e, "TPM Errata Date"), "Thursday, January 1, 2015");  // colon-free value kept whole
  EXPECT_EQ(f(e, "Lockout Information"), "");
  EXPECT_EQ(f(e, "Is Locked Out"), "False");
  EXPECT_EQ(f(e, "Lockout Interval"), "7200s");
  EXPECT_EQ(f(e, "TPM Has Vulnerable Firmware"), "False");
  EXPECT_EQ(f(e, "Export"), "tpmtool");
  EXPECT_EQ(f(e, "LockedOut"), "False");  // Get-Tpm's name, for rules/tpm.json
  EXPECT_EQ(f(e, "LockoutCount"), "0");
  EXPECT_EQ(f(e, "TpmVersion"), "2.0");
  EXPECT_EQ(f(e, "FirmwareVersion"), "7.63.3353.0");
  EXPECT_EQ(f(e, "Manufacturer"), "IFX");
  EXPECT_EQ(f(e, "RocaAffectedFirmware"), "False");
  EXPECT_EQ(r.warnings(), 0u) << describe(r);
}

TEST(TpmParse, TpmtoolSeveralRemoteOutputsAndAbsent) {
  const std::string text =
      "[PC-0901]: PS C:\\> tpmtool getdeviceinformation\r\n\r\n"
      "-TPM Present: False\r\n\r\n"
      "[PC-0902]: PS C:\\> tpmtool getdeviceinformation\r\n\r\n"
      "-TPM Present: True\r\n-TPM Version: 2.0\r\n-TPM Manufacturer ID: INTC\r\n"
      "-TPM Manufacturer Version: 600.18.0.0\r\n-Is Initialized: True\r\n";
  const ParseRun r = plugin().parse(text);
  ASSERT_EQ(r.events.size(), 2u) << describe(r);
  EXPECT_EQ(r.events[0].subject.device_name, "PC-0901");
  EXPECT_EQ(f(r.events[0], "TPM Present"), "False");
  EXPECT_EQ(r.events[0].origin.line, 3u);
  EXPECT_EQ(r.events[1].subject.device_name, "PC-0902");
  EXPECT_EQ(f(r.events[1], "Manufacturer"), "INTC");
  EXPECT_EQ(r.warnings(), 0u) << describe(r);
}

TEST(TpmParse, JsonPs51InvokeCommandTwoMachines) {
  const ParseRun r = parse_sample("get-tpm_invoke_ps51.json");
  ASSERT_EQ(r.events.size(), 2u) << describe(r);
  const Event& a = r.events[0];
  const Event& b = r.events[1];
  EXPECT_EQ(a.subject.device_name, "PC-0517");
  EXPECT_EQ(b.subject.device_name, "PC-0623");
  EXPECT_EQ(f(a, "TpmPresent"), "True");
  EXPECT_EQ(f(a, "OwnerAuth"), "");
  EXPECT_EQ(f(a, "ManagedAuthLevel"), "4");  // enum number as ConvertTo-Json wrote it
  EXPECT_EQ(f(a, "RocaAffectedFirmware"), "False");
  EXPECT_EQ(f(b, "FirmwareVersion"), "5.61.2785.0");
  EXPECT_EQ(f(b, "RocaAffectedFirmware"), "True");
  EXPECT_LT(a.origin.line, b.origin.line);
  EXPECT_EQ(r.warnings(), 0u) << describe(r);
}

TEST(TpmParse, JsonPs7) {
  const ParseRun r = parse_sample("get-tpm_ps7.json");
  const Event& e = only_event(r);
  EXPECT_EQ(f(e, "ManufacturerId"), "1314145024");
  EXPECT_EQ(f(e, "Manufacturer"), "NTC");
  EXPECT_EQ(f(e, "TpmVersion"), "2.0");
  EXPECT_EQ(f(e, "LockedOut"), "False");
  EXPECT_EQ(e.subject.device_name, "");
}

TEST(TpmParse, ExportCsvWithTypeLine) {
  const ParseRun r = parse_sample("get-tpm_invoke.csv");
  ASSERT_EQ(r.events.size(), 2u) << describe(r);
  EXPECT_EQ(r.events[0].subject.device_name, "PC-0701");
  EXPECT_EQ(r.events[1].subject.device_name, "PC-0702");
  EXPECT_EQ(f(r.events[0], "Manufacturer"), "INTC");
  EXPECT_EQ(f(r.events[1], "TpmReady"), "False");
  EXPECT_EQ(f(r.events[0], "SelfTest"), "System.Byte[]");
  EXPECT_EQ(r.warnings(), 0u) << describe(r);
}

TEST(TpmParse, ExportCsvWithoutTypeLine) {
  const ParseRun r = parse_sample("get-tpm_ps7.csv");
  const Event& e = only_event(r);
  EXPECT_EQ(f(e, "ManufacturerIdTxt"), "MSFT");
  EXPECT_EQ(f(e, "FirmwareVersion"), "6.3.1.603");
  EXPECT_EQ(f(e, "TpmVersion"), "2.0");
}

TEST(TpmParse, Win32TpmCimInstance) {
  const ParseRun r = parse_sample("win32_tpm.txt");
  const Event& e = only_event(r);
  EXPECT_EQ(f(e, "Export"), "Win32_Tpm");
  EXPECT_EQ(f(e, "SpecVersion"), "2.0, 0, 1.59");
  EXPECT_EQ(f(e, "TpmVersion"), "2.0");
  EXPECT_EQ(f(e, "Manufacturer"), "NTC");
  EXPECT_EQ(e.subject.device_name, "");  // PSComputerName is empty on a local query
  EXPECT_EQ(r.warnings(), 0u) << describe(r);
}

TEST(TpmParse, TruncatedListKeepsEarlierObjectAndSaysWhere) {
  const ParseRun r = parse_sample("get-tpm_truncated.txt");
  EXPECT_EQ(r.status, HT_OK);
  ASSERT_EQ(r.events.size(), 2u) << describe(r);
  EXPECT_EQ(r.events[0].subject.device_name, "PC-0811");
  EXPECT_EQ(f(r.events[0], "SelfTest"), "{}");
  EXPECT_EQ(r.events[0].field("Incomplete"), nullptr);
  EXPECT_EQ(f(r.events[1], "Incomplete"), "True");
  EXPECT_EQ(f(r.events[1], "RocaAffectedFirmware"), "True");  // what was read still counts
  ASSERT_GE(r.warnings(), 1u);
  bool cut = false;
  for (const auto& d : r.diagnostics)
    cut |= d.severity == HT_DIAG_WARNING && d.position.line == r.events[1].origin.line &&
           d.message.find("cut short") != std::string::npos;
  EXPECT_TRUE(cut) << describe(r);
}

TEST(TpmParse, TruncatedJsonKeepsFirstElement) {
  std::string json_text = read_sample("get-tpm_invoke_ps51.json");
  json_text.resize(json_text.find("PC-0623") - 40);
  const ParseRun r = plugin().parse(json_text);
  ASSERT_EQ(r.events.size(), 1u) << describe(r);
  EXPECT_EQ(r.events[0].subject.device_name, "PC-0517");
  ASSERT_GE(r.warnings(), 1u);
  EXPECT_NE(r.diagnostics[0].position.line, HT_NO_NUMBER) << describe(r);
}

TEST(TpmParse, TpmtoolCutMidLine) {
  std::string text = read_sample("tpmtool_ifx.txt");
  text.resize(text.find("-Ready For Storage") + 8);
  const ParseRun r = plugin().parse(text);
  const Event& e = only_event(r);
  EXPECT_EQ(f(e, "Is Initialized"), "True");
  EXPECT_EQ(f(e, "Incomplete"), "True");
  ASSERT_GE(r.warnings(), 1u);
  bool at_line = false;
  for (const auto& d : r.diagnostics) at_line |= d.position.line == 9u;
  EXPECT_TRUE(at_line) << describe(r);
}

TEST(TpmParse, DamagedLineIsReportedWithItsLine) {
  std::string text = read_sample("get-tpm_healthy_ifx.txt");
  const size_t at = text.find("TpmOwned");
  text.insert(at, "#@!garbage without a colon\r\n");  // becomes line 6
  const ParseRun r = plugin().parse(text);
  const Event& e = only_event(r);  // the object goes on after the damaged line
  EXPECT_EQ(f(e, "TpmOwned"), "True");
  EXPECT_EQ(f(e, "SelfTest"), "{}");
  bool reported = false;
  for (const auto& d : r.diagnostics)
    reported |= d.severity == HT_DIAG_WARNING && d.position.line == 6u;
  EXPECT_TRUE(reported) << describe(r);
}

TEST(TpmParse, PowerShellErrorInsteadOfOutput) {
  const ParseRun r = plugin().parse(
      "PS C:\\> Get-Tpm\r\n"
      "Get-Tpm : Access denied\r\n"
      "At line:1 char:1\r\n"
      "+ Get-Tpm\r\n"
      "+ ~~~~~~~\r\n"
      "    + CategoryInfo          : NotSpecified: (:) [Get-Tpm], TpmWmiException\r\n"
      "    + FullyQualifiedErrorId : Microsoft.Tpm.Commands.TpmWmiException,"
      "Microsoft.Tpm.Commands.GetTpmCommand\r\n");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.events.empty());
  bool named = false;
  for (const auto& d : r.diagnostics)
    named |= d.position.line == 2u && d.message.find("Access denied") != std::string::npos;
  EXPECT_TRUE(named) << describe(r);
}

TEST(TpmParse, GarbageAndEmptyNeverFail) {
  for (const std::string& bytes : {std::string(), std::string("\xff\xfe", 2),
                                   std::string("{\"TpmPresent\": tru"), std::string("\0\0\0", 3)}) {
    const ParseRun r = plugin().parse(bytes);
    EXPECT_EQ(r.status, HT_OK);
    EXPECT_FALSE(r.diagnostics.empty());
  }
}

TEST(TpmSniff, OwnSamplesScoreOthersDoNot) {
  for (const char* name :
       {"get-tpm_healthy_ifx.txt", "get-tpm_roca_ifx_transcript.txt", "get-tpm_tpm12.txt",
        "get-tpm_not_ready_utf16le.txt", "get-tpm_absent.txt", "tpmtool_ifx.txt",
        "tpmtool_vulnerable.txt", "get-tpm_invoke_ps51.json", "get-tpm_ps7.json",
        "get-tpm_invoke.csv", "get-tpm_ps7.csv", "win32_tpm.txt", "get-tpm_truncated.txt"})
    EXPECT_GE(plugin().sniff(read_sample(name), name), 80) << name;

  const std::string dsregcmd =
      "+----------------------------------------------------------------------+\r\n"
      "| Device State                                                         |\r\n"
      "+----------------------------------------------------------------------+\r\n\r\n"
      "             AzureAdJoined : YES\r\n          EnterpriseJoined : NO\r\n"
      "              DomainJoined : YES\r\n                DomainName : CONTOSO\r\n"
      "+----------------------------------------------------------------------+\r\n"
      "| Device Details                                                       |\r\n"
      "+----------------------------------------------------------------------+\r\n\r\n"
      "                  DeviceId : 3f5c0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a51\r\n"
      "               KeyProvider : Microsoft Platform Crypto Provider\r\n"
      "              TpmProtected : YES\r\n";
  EXPECT_EQ(plugin().sniff(dsregcmd, "dsregcmd.txt"), 0);
  std::string evtx("ElfFile\0", 8);
  evtx.resize(4096, '\0');
  evtx += "TpmPresent TpmReady";  // even a record mentioning it
  EXPECT_EQ(plugin().sniff(evtx, "Operational.evtx"), 0);
  EXPECT_EQ(plugin().sniff("", "empty.txt"), 0);
}

// ---- analyze ---------------------------------------------------------------------

TEST(TpmAnalyze, HealthyTpmsGiveNoFinding) {
  for (const char* name : {"get-tpm_healthy_ifx.txt", "tpmtool_ifx.txt", "get-tpm_ps7.json",
                           "get-tpm_ps7.csv", "win32_tpm.txt"}) {
    const json input = analysis(events_of(name));
    ASSERT_FALSE(input["events"].empty()) << name;
    const OutputRun r = run(input);
    expect_valid(r, input);
    EXPECT_TRUE(r.findings.empty()) << name << ": " << json(r.findings).dump(2);
  }
  // INTC healthy row of the CSV, on its own device.
  json events = events_of("get-tpm_invoke.csv");
  events.erase(1);
  EXPECT_TRUE(run(analysis(events)).findings.empty());
}

TEST(TpmAnalyze, AbsentIsMediumWithoutHardwarePolicy) {
  const json input = analysis(events_of("get-tpm_absent.txt"));
  const OutputRun r = run(input);
  expect_valid(r, input);
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.absent"});
  const json& fnd = r.findings[0];
  EXPECT_EQ(fnd["severity"], "medium");
  EXPECT_EQ(fnd["device"]["name"], "PC-0517");
  EXPECT_EQ(fnd["tenant"], kTenant);
  EXPECT_NE(fnd["summary"].get<std::string>().find("PC-0517"), std::string::npos);
  EXPECT_NE(fnd["summary"].get<std::string>().find("TpmPresent=False"), std::string::npos);
  EXPECT_EQ(fnd["details"]["hardware_required"], false);
  EXPECT_EQ(fnd["evidence"][0]["file"], "bundle/get-tpm_absent.txt");
  EXPECT_EQ(fnd["evidence"][0]["line"], 2);
  EXPECT_EQ(fnd["evidence"][0]["source"], "tpm");
}

TEST(TpmAnalyze, AbsentIsHighWhenGroupPolicyRequiresHardware) {
  json events = events_of("get-tpm_absent.txt");
  events.push_back(event_json(policy("gpo", "RequireSecurityDevice", "1", 7), 1, "policy"));
  const json input = analysis(events);
  const OutputRun r = run(input);
  expect_valid(r, input);
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.absent"});
  EXPECT_EQ(r.findings[0]["severity"], "high");
  EXPECT_EQ(r.findings[0]["details"]["hardware_required"], true);
  EXPECT_EQ(r.findings[0]["evidence"].size(), 2u);  // the TPM export and the policy
}

TEST(TpmAnalyze, GroupPolicyWinsOverIntune) {
  // GPO off, Intune on: Intune is ignored → medium.
  json a = events_of("get-tpm_absent.txt");
  a.push_back(event_json(policy("intune", "RequireSecurityDevice", "1", 3), 1, "policy"));
  a.push_back(event_json(policy("gpo", "RequireSecurityDevice", "0", 7), 1, "policy"));
  const OutputRun ra = run(analysis(a));
  ASSERT_EQ(rules(ra), std::vector<std::string>{"tpm.absent"});
  EXPECT_EQ(ra.findings[0]["severity"], "medium");
  // GPO on, Intune off (read later): GPO still wins → high.
  json b = events_of("get-tpm_absent.txt");
  b.push_back(event_json(policy("gpo", "RequireSecurityDevice", "1", 7), 1, "policy"));
  b.push_back(event_json(policy("intune", "RequireSecurityDevice", "0", 3), 1, "policy"));
  const OutputRun rb = run(analysis(b));
  ASSERT_EQ(rules(rb), std::vector<std::string>{"tpm.absent"});
  EXPECT_EQ(rb.findings[0]["severity"], "high");
  // Intune alone decides when there is no Group Policy value.
  json c = events_of("get-tpm_absent.txt");
  c.push_back(event_json(policy("intune", "RequireSecurityDevice", "1", 3), 1, "policy"));
  EXPECT_EQ(run(analysis(c)).findings.at(0)["severity"], "high");
  // Another device's policy does not count.
  json d = events_of("get-tpm_absent.txt");
  d.push_back(event_json(policy("gpo", "RequireSecurityDevice", "1", 7), 2, "policy"));
  const OutputRun rd =
      run(analysis(d, {device_identity(1, "PC-0517"), device_identity(2, "PC-0623")}));
  ASSERT_EQ(rules(rd), std::vector<std::string>{"tpm.absent"});
  EXPECT_EQ(rd.findings[0]["severity"], "medium");
}

TEST(TpmAnalyze, UserPolicyWinsOverComputerPolicyWithinGroupPolicy) {
  // The policy plugin's documented order: user GPO > computer GPO > user CSP > device CSP.
  json a = events_of("get-tpm_absent.txt");
  a.push_back(event_json(policy("gpo", "RequireSecurityDevice", "1", 4, "user"), 1, "policy"));
  a.push_back(event_json(policy("gpo", "RequireSecurityDevice", "0", 7, "machine"), 1, "policy"));
  EXPECT_EQ(run(analysis(a)).findings.at(0)["severity"], "high");
  // …but a user-scope Intune value does not beat a computer Group Policy value.
  json b = events_of("get-tpm_absent.txt");
  b.push_back(event_json(policy("intune", "RequireSecurityDevice", "1", 4, "user"), 1, "policy"));
  b.push_back(event_json(policy("gpo", "RequireSecurityDevice", "0", 7, "machine"), 1, "policy"));
  EXPECT_EQ(run(analysis(b)).findings.at(0)["severity"], "medium");
}

TEST(TpmAnalyze, NotReadyNamesTheFactsAndPrereqMakesItHigh) {
  json events = events_of("get-tpm_not_ready_utf16le.txt");
  const OutputRun r = run(analysis(events));
  expect_valid(r, analysis(events));
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.not_ready"});
  EXPECT_EQ(r.findings[0]["severity"], "medium");
  EXPECT_EQ(r.findings[0]["details"]["facts"], json::array({"TpmReady=False"}));
  EXPECT_EQ(r.findings[0]["details"]["restart_pending"], true);
  EXPECT_NE(r.findings[0]["summary"].get<std::string>().find("TpmReady=False"), std::string::npos);

  Event prereq;
  prereq.kind = "prereq.check";
  prereq.file = "bundle/udr.evtx";
  prereq.origin.record = 812;
  prereq.event_id = 360;
  prereq.add("NgcHardwarePolicyMet", "No");
  events.push_back(event_json(prereq, 1, "udr"));
  const json input = analysis(events);
  const OutputRun high = run(input);
  expect_valid(high, input);
  ASSERT_EQ(rules(high), std::vector<std::string>{"tpm.not_ready"});
  EXPECT_EQ(high.findings[0]["severity"], "high");
  EXPECT_EQ(high.findings[0]["details"]["hardware_required"], true);
}

TEST(TpmAnalyze, TpmtoolNotInitialized) {
  const ParseRun p = plugin().parse(
      "\r\n-TPM Present: True\r\n-TPM Version: 2.0\r\n-TPM Manufacturer ID: STM\r\n"
      "-TPM Manufacturer Version: 9.256.0.0\r\n-Is Initialized: False\r\n"
      "-Ready For Storage: False\r\n",
      "bundle/tpmtool.txt");
  json events = json::array();
  for (const auto& e : p.events) events.push_back(event_json(e, 1));
  const OutputRun r = run(analysis(events));
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.not_ready"});
  EXPECT_EQ(r.findings[0]["details"]["facts"],
            json::array({"Ready For Storage=False", "Is Initialized=False"}));
}

TEST(TpmAnalyze, Tpm12OnlyWhenExcluded) {
  // TPM 1.2 without an exclusion is supported: no finding.
  EXPECT_TRUE(run(analysis(events_of("get-tpm_tpm12.txt"))).findings.empty());
  // Excluded by Group Policy.
  json events = events_of("get-tpm_tpm12.txt");
  events.push_back(event_json(policy("gpo", "ExcludeTPM12", "1", 9), 1, "policy"));
  const json input = analysis(events);
  const OutputRun r = run(input);
  expect_valid(r, input);
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.version_unsupported"});
  EXPECT_EQ(r.findings[0]["severity"], "medium");
  EXPECT_EQ(r.findings[0]["details"]["tpm_version"], "1.2");
  EXPECT_EQ(r.findings[0]["evidence"].size(), 2u);
  // Excluded as Hello itself reports it (5555 IsTpm12Excluded).
  json hello = events_of("get-tpm_tpm12.txt");
  hello.push_back(
      event_json(hello5555("2024-11-14T10:02:11.507Z", "true", "1.2", "true"), 1, "udr"));
  const OutputRun rh = run(analysis(hello));
  ASSERT_EQ(rules(rh), std::vector<std::string>{"tpm.version_unsupported"});
  // A TPM 2.0 with the exclusion set is fine.
  json ok = events_of("get-tpm_healthy_ifx.txt");
  ok.push_back(event_json(policy("gpo", "ExcludeTPM12", "1", 9), 1, "policy"));
  EXPECT_TRUE(run(analysis(ok)).findings.empty());
}

TEST(TpmAnalyze, UnknownVersion) {
  const ParseRun p = plugin().parse(
      "TpmPresent          : True\r\nTpmReady            : True\r\n"
      "ManufacturerIdTxt   : NTC\r\nManufacturerVersion : 7.2\r\n",
      "bundle/get-tpm-old.txt");
  const OutputRun r = run(analysis(json::array({event_json(p.events.at(0), 1)})));
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.version_unsupported"});
  EXPECT_TRUE(r.findings[0]["details"]["tpm_version"].is_null());
}

TEST(TpmAnalyze, RocaFirmwareIsCritical) {
  const json input = analysis(events_of("get-tpm_roca_ifx_transcript.txt"));
  const OutputRun r = run(input);
  expect_valid(r, input);
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.vulnerable_firmware"});
  const json& fnd = r.findings[0];
  EXPECT_EQ(fnd["severity"], "critical");
  EXPECT_EQ(fnd["documentation"],
            "https://msrc.microsoft.com/update-guide/vulnerability/ADV170012");
  EXPECT_EQ(fnd["details"]["affected_range"], "7.0–7.61");
  EXPECT_EQ(fnd["details"]["firmware_version"], "7.61.2785.0");
  EXPECT_EQ(fnd["evidence"][0]["line"], 12);
  const std::string remediation = fnd["remediation"];
  EXPECT_NE(remediation.find("Clear-Tpm"), std::string::npos);
  EXPECT_NE(remediation.find("msDS-KeyCredentialLink"), std::string::npos);
  EXPECT_NE(fnd["evidence"][0]["excerpt"].get<std::string>().find("7.61.2785.0"),
            std::string::npos);
}

TEST(TpmAnalyze, TpmtoolVulnerableFlag) {
  const OutputRun r = run(analysis(events_of("tpmtool_vulnerable.txt")));
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.vulnerable_firmware"});
  EXPECT_EQ(r.findings[0]["details"]["because"].size(), 2u);  // range and tpmtool's own flag
}

TEST(TpmAnalyze, UnattributedExportsAreGroupedByTheirComputerName) {
  // Invoke-Command JSON: PC-0517 healthy (7.85), PC-0623 ROCA (5.61); the host resolved
  // neither, so both come with device null.
  const json input = analysis(events_of("get-tpm_invoke_ps51.json", std::nullopt));
  const OutputRun r = run(input);
  expect_valid(r, input);
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.vulnerable_firmware"});
  EXPECT_EQ(r.findings[0]["device"]["name"], "PC-0623");
  EXPECT_TRUE(r.findings[0]["device"]["id"].is_null());
  // A Get-Tpm export that names no computer and no device: reported without a device.
  const OutputRun u = run(analysis(events_of("get-tpm_absent.txt", std::nullopt)));
  ASSERT_EQ(rules(u), std::vector<std::string>{"tpm.absent"});
  EXPECT_TRUE(u.findings[0]["device"]["name"].is_null());
  EXPECT_TRUE(u.findings[0]["tenant"].is_null());
}

TEST(TpmAnalyze, LatestObservationWins) {
  // Hello saw no TPM in the morning (5555 TpmSupport false); the Get-Tpm export taken at
  // collection shows it present and healthy: no tpm.absent.
  json events = json::array(
      {event_json(hello5555("2024-11-14T08:00:00Z", "false", "2.0", "true"), 1, "udr")});
  for (const auto& e : events_of("get-tpm_healthy_ifx.txt")) events.push_back(e);
  EXPECT_TRUE(run(analysis(events)).findings.empty());
  // Only the 5555 event: Hello's view decides.
  const json only5555 = analysis(json::array(
      {event_json(hello5555("2024-11-14T08:00:00Z", "false", "2.0", "true", "true"), 1, "udr")}));
  const OutputRun r = run(only5555);
  expect_valid(r, only5555);
  ASSERT_EQ(rules(r), std::vector<std::string>{"tpm.absent"});
  EXPECT_EQ(r.findings[0]["severity"], "high");  // HardwarePolicy true
  EXPECT_EQ(r.findings[0]["evidence"][0]["event_id"], 5555);
}

// A tpm-verifier probe reading as the host hands it over (fields as the probe writes them).
json probe_reading(const std::string& time, const std::string& firmware) {
  Event e;
  e.kind = "tpm.info";
  e.file = "probe:tpm-verifier";
  e.time = *hellotrace::time::parse_iso(time);
  e.add("TpmPresent", "True");
  e.add("TpmReady", "True");
  e.add("ManufacturerIdTxt", "IFX");
  e.add("ManufacturerId", "1229346816");
  e.add("ManufacturerVersion", firmware);
  e.add("LockedOut", "False");
  e.add("TpmVersion", "2.0");
  e.add("Source", "probe");
  return event_json(e, 1, "tpm-verifier");
}

TEST(TpmAnalyze, AProbeAfterTheCollectionOutranksTheBundlesExport) {
  // The bundle (collected at 09:00, the newest event of it) has a Get-Tpm export of
  // ROCA-affected firmware; the firmware was updated and the TPM probed at 15:00.
  json events = json::array(
      {event_json(hello5555("2024-11-14T09:00:00Z", "true", "2.0", "false"), 1, "udr")});
  for (const auto& e : events_of("get-tpm_roca_ifx_transcript.txt")) events.push_back(e);
  json after = events;
  after.push_back(probe_reading("2024-11-14T15:00:00Z", "7.63.3353.0"));
  EXPECT_TRUE(run(analysis(after)).findings.empty());
  // A probe run before the collection does not undo what the export shows.
  json before = events;
  before.push_back(probe_reading("2024-11-14T08:00:00Z", "7.63.3353.0"));
  EXPECT_EQ(rules(run(analysis(before))), std::vector<std::string>{"tpm.vulnerable_firmware"});
  // Without any timed event in the bundle, the probe (run afterwards) decides.
  json alone = events_of("get-tpm_roca_ifx_transcript.txt");
  alone.push_back(probe_reading("2024-11-14T15:00:00Z", "7.63.3353.0"));
  EXPECT_TRUE(run(analysis(alone)).findings.empty());
}

TEST(TpmAnalyze, SeveralDevicesSeveralFindings) {
  json events = events_of("get-tpm_absent.txt", 1);
  for (const auto& e : events_of("tpmtool_vulnerable.txt", 2)) events.push_back(e);
  for (const auto& e : events_of("get-tpm_healthy_ifx.txt", 3)) events.push_back(e);
  const json input = analysis(events, {device_identity(1, "PC-0517"), device_identity(2, "PC-0623"),
                                       device_identity(3, "PC-0700")});
  const OutputRun r = run(input);
  expect_valid(r, input);
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0]["rule"], "tpm.absent");
  EXPECT_EQ(r.findings[0]["device"]["name"], "PC-0517");
  EXPECT_EQ(r.findings[1]["rule"], "tpm.vulnerable_firmware");
  EXPECT_EQ(r.findings[1]["device"]["name"], "PC-0623");
}

TEST(TpmAnalyze, OddInputDoesNotFail) {
  for (const json& input :
       {json::object(), json::array(), json{{"events", 3}},
        json{{"events", json::array({1, "x", json::object(), json{{"kind", "tpm.info"}}})}},
        json{{"events", json::array({json{{"kind", "tpm.info"},
                                          {"device", "seven"},
                                          {"fields", json{{"TpmPresent", false}}}}})}}}) {
    const OutputRun r = run(input);
    EXPECT_EQ(r.status, HT_OK) << input;
  }
}

TEST(TpmParse, FormatTableOfSeveralMachines) {
  const ParseRun r = plugin().parse(
      "PS C:\\> Invoke-Command PC-0517,PC-0623 { Get-Tpm } | Format-Table PSComputerName, "
      "TpmPresent, TpmReady, ManufacturerIdTxt, ManufacturerVersionFull20\r\n\r\n"
      "PSComputerName TpmPresent TpmReady ManufacturerIdTxt ManufacturerVersionFull20\r\n"
      "-------------- ---------- -------- ----------------- -------------------------\r\n"
      "PC-0517              True     True IFX               7.63.3353.0\r\n"
      "PC-0623              True    False NTC               7.2.3.1\r\n\r\n");
  ASSERT_EQ(r.events.size(), 2u) << describe(r);
  EXPECT_EQ(r.events[0].subject.device_name, "PC-0517");
  EXPECT_EQ(f(r.events[0], "RocaAffectedFirmware"), "False");
  EXPECT_EQ(r.events[1].subject.device_name, "PC-0623");
  EXPECT_EQ(f(r.events[1], "TpmReady"), "False");
  EXPECT_EQ(f(r.events[1], "TpmVersion"), "2.0");
}
