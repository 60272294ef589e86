// reenroll plugin tests: plans for real finding sets (samples/*.ndjson, produced by
// `hellotrace analyze --json` on tests/scenarios), the safety properties of every
// generated script (ShouldProcess around changes, no expandable strings, hostile
// values only inside single-quoted literals or sanitized comments), and malformed input.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <hellotrace/plugin_testing.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ps_tokenizer.hpp"
#include "pstext.hpp"

extern "C" const ht_plugin* ht_plugin_reenroll(void);

using hellotrace::harness::OutputRun;
using hellotrace::harness::PluginUnderTest;
using nlohmann::json;
using pstest::Kind;

namespace {

const std::string kSamples = std::string(HT_SOURCE_DIR) + "/plugins/reenroll/samples/";

json load_findings(const std::string& name) {
  std::ifstream in(kSamples + name + ".ndjson");
  EXPECT_TRUE(in) << name;
  json findings = json::array();
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) findings.push_back(json::parse(line));
  return findings;
}

OutputRun act(const json& findings, const json& options = json::object()) {
  PluginUnderTest p(ht_plugin_reenroll());
  return p.act({{"findings", findings},
                {"identities", json::array()},
                {"users", json::array()},
                {"options", options}});
}

const std::string& artifact(const OutputRun& run, const std::string& name) {
  static const std::string none;
  const std::string* a = run.artifact(name);
  EXPECT_NE(a, nullptr) << "missing artifact " << name;
  return a ? *a : none;
}

json manifest(const OutputRun& run) { return json::parse(artifact(run, "plan.json")); }

// The code of a script only: comments and string contents removed.
std::string code_of(const std::string& script) {
  std::string out;
  for (const auto& t : pstest::tokenize(script))
    if (t.kind == Kind::Code)
      out += t.raw;
    else if (t.kind != Kind::Comment)
      out += "'…'";
  return out;
}

// The decoded values of all single-quoted literals.
std::vector<std::string> literals(const std::string& script) {
  std::vector<std::string> out;
  for (const auto& t : pstest::tokenize(script))
    if (t.kind == Kind::SingleQuoted) out.push_back(t.value);
  return out;
}

bool has_literal(const std::string& script, const std::string& value) {
  for (const auto& l : literals(script))
    if (l == value) return true;
  return false;
}

// Commands that change something: each must sit inside a block opened by
// `if ($PSCmdlet.ShouldProcess(...)) {` (or an elseif of one).
const std::vector<std::string> kDestructive = {"certutil.exe -DeleteHelloContainer",
                                               "Set-ADSyncScheduler",
                                               "Start-ADSyncSyncCycle",
                                               "dsacls.exe",
                                               "Set-ADObject",
                                               "Set-ADUser",
                                               "Remove-ADObject",
                                               "Add-ADGroupMember"};

// Returns the destructive commands found outside a ShouldProcess block.
std::vector<std::string> unguarded_changes(const std::string& script) {
  std::vector<std::string> bad;
  std::vector<bool> stack;  // per open brace: does its header call ShouldProcess?
  std::string header;       // code since the last brace or newline, strings as '…'
  for (const auto& t : pstest::tokenize(script)) {
    if (t.kind == Kind::Comment) continue;
    if (t.kind != Kind::Code) {
      header += "'…'";
      continue;
    }
    for (size_t i = 0; i < t.raw.size(); ++i) {
      const char c = t.raw[i];
      for (const auto& cmd : kDestructive)
        if (t.raw.compare(i, cmd.size(), cmd) == 0 &&
            std::find(stack.begin(), stack.end(), true) == stack.end())
          bad.push_back(cmd + " (line " + std::to_string(t.line) + ")");
      if (c == '{') {
        stack.push_back(header.find("$PSCmdlet.ShouldProcess(") != std::string::npos);
        header.clear();
      } else if (c == '}') {
        if (!stack.empty()) stack.pop_back();
        header.clear();
      } else if (c == '\n') {
        header.clear();
      } else {
        header += c;
      }
    }
  }
  return bad;
}

// Properties every generated PowerShell file must have.
void expect_safe_script(const std::string& name, const std::string& script) {
  SCOPED_TRACE(name);
  EXPECT_EQ(script.rfind("\xEF\xBB\xBF", 0), 0u) << "UTF-8 BOM missing";
  std::string error;
  const auto tokens = pstest::tokenize(script, &error);
  EXPECT_EQ(error, "");
  for (const auto& t : tokens) {
    EXPECT_NE(t.kind, Kind::DoubleQuoted) << "line " << t.line << ": " << t.raw;
    EXPECT_NE(t.kind, Kind::HereDouble) << "line " << t.line;
    EXPECT_NE(t.kind, Kind::HereSingle) << "line " << t.line;
  }
  EXPECT_EQ(unguarded_changes(script), std::vector<std::string>{});
  EXPECT_NE(script.find("Set-StrictMode -Version Latest"), std::string::npos);
  EXPECT_NE(script.find("$ErrorActionPreference = 'Stop'"), std::string::npos);
}

void expect_all_scripts_safe(const OutputRun& run) {
  size_t scripts = 0;
  for (const auto& [name, content] : run.artifacts)
    if (name.size() > 4 && name.substr(name.size() - 4) == ".ps1") {
      expect_safe_script(name, content);
      ++scripts;
    }
  EXPECT_GE(scripts, 1u);
}

std::vector<std::string> step_field(const json& plan, const std::string& field) {
  std::vector<std::string> out;
  for (const auto& s : plan["steps"]) out.push_back(s[field].get<std::string>());
  return out;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// --- the checker itself must be able to fail --------------------------------------

TEST(Checker, FindsUnguardedChange) {
  const std::string bad =
      "if ($env:COMPUTERNAME -ne 'X') { Write-Warning 'x' } else {\n"
      "  & certutil.exe -DeleteHelloContainer\n}\n"
      "if ($PSCmdlet.ShouldProcess('t', 'a')) {\n  Set-ADObject -Identity $x\n}\n";
  const auto found = unguarded_changes(bad);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].find("certutil"), std::string::npos);
}

TEST(Checker, TokenizerSeesTypographicQuotesAndHereStrings) {
  const auto t = pstest::tokenize(
      "Write-Host \xE2\x80\x98it\xE2\x80\x99\xE2\x80\x99s\xE2\x80\x99 $x # c\n@\"\n$(y)\n\"@\n");
  ASSERT_GE(t.size(), 5u);
  EXPECT_EQ(t[1].kind, Kind::SingleQuoted);
  EXPECT_EQ(t[1].value, "it\xE2\x80\x99s");
  EXPECT_EQ(t[3].kind, Kind::Comment);
  EXPECT_EQ(t[5].kind, Kind::HereDouble);
}

// --- quoting and shapes -------------------------------------------------------------

TEST(Quoting, DoublesEveryPowerShellSingleQuote) {
  using hellotrace::reenroll::ps_literal;
  EXPECT_EQ(ps_literal("O'Brien"), "'O''Brien'");
  for (const char* q : {"\xE2\x80\x98", "\xE2\x80\x99", "\xE2\x80\x9A", "\xE2\x80\x9B"})
    EXPECT_EQ(ps_literal(std::string("a") + q + "b"), std::string("'a") + q + q + "b'");
  EXPECT_EQ(ps_literal("$(calc) `n \"x\""), "'$(calc) `n \"x\"'");
  // An overlong apostrophe (C0 A7) must not survive for a lenient decoder.
  EXPECT_EQ(ps_literal("a\xC0\xA7"
                       "b"),
            "'a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b'");
}

TEST(Quoting, OneLineRemovesLineBreaksAndBidi) {
  using hellotrace::reenroll::one_line;
  EXPECT_EQ(one_line("a\nb\rc\x85"
                     "d"),
            "a?b?c\xEF\xBF\xBD"
            "d");  // lone \x85: invalid
  EXPECT_EQ(one_line("a\xC2\x85"
                     "b\xE2\x80\xA8"
                     "c\xE2\x80\xAE"
                     "d"),
            "a?b?c?d");
  EXPECT_EQ(one_line("abcdef", 3), "abc...");
}

TEST(Quoting, Shapes) {
  using namespace hellotrace::reenroll;
  EXPECT_EQ(valid_sid("S-1-5-21-3623811015-3361044348-30300820-1110").value_or(""),
            "S-1-5-21-3623811015-3361044348-30300820-1110");
  EXPECT_FALSE(valid_sid("S-1-5-21-1'; calc"));
  EXPECT_EQ(valid_computer_name("PC-0517.corp.contoso.com").value_or(""), "PC-0517");
  EXPECT_EQ(valid_computer_name("averyveryverylongname").value_or(""), "AVERYVERYVERYLO");
  EXPECT_FALSE(valid_computer_name("PC$(calc)"));
  EXPECT_FALSE(valid_computer_name("PC-1\nx"));
  EXPECT_EQ(valid_guid("{0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B0517}").value_or(""),
            "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b0517");
  EXPECT_FALSE(valid_guid("{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b0517"));
  EXPECT_EQ(valid_ad_key_id("oI1Vl7SJVhCWnaxIPtZxnUzELcwRtvFp4L1Bck4Yw9Q=").value_or(""),
            "a08d5597b4895610969dac483ed6719d4cc42dcc11b6f169e0bd41724e18c3d4");
  EXPECT_TRUE(valid_upn("o'brien@contoso.com"));
  EXPECT_FALSE(valid_upn("a b@contoso.com"));
  EXPECT_FALSE(valid_upn("a@contoso.com'; x"));
  EXPECT_EQ(domain_of_dn("CN=Taylor\\, Grace,OU=Staff,DC=contoso,DC=com").value_or(""),
            "DC=contoso,DC=com");
  EXPECT_FALSE(domain_of_dn("CN=x,DC=con'toso,DC=com"));
  EXPECT_FALSE(valid_utc_time("2024-11-14T13:51:47Z'; calc"));
}

// --- realistic finding sets -------------------------------------------------------

TEST(Scenario, PendingSyncOnlyWaits) {
  const auto run = act(load_findings("pending-sync"));
  EXPECT_EQ(run.status, HT_OK);
  expect_all_scripts_safe(run);
  const json plan = manifest(run);
  ASSERT_EQ(plan["steps"].size(), 1u);
  EXPECT_EQ(plan["steps"][0]["status"], "wait");
  EXPECT_EQ(plan["steps"][0]["until"], "2024-11-14T13:51:47.0000000Z");
  const std::string& ps = artifact(run, "reenroll-plan.ps1");
  const std::string code = code_of(ps);
  EXPECT_EQ(code.find("$PSCmdlet.ShouldProcess"), std::string::npos) << "a wait changes nothing";
  for (const auto& cmd : kDestructive) EXPECT_EQ(code.find(cmd), std::string::npos) << cmd;
  bool eta_said = false;
  for (const auto& l : literals(ps))
    eta_said = eta_said || l.find("until 2024-11-14T13:51:47.0000000Z") != std::string::npos;
  EXPECT_TRUE(eta_said);
  EXPECT_EQ(run.artifacts.size(), 3u) << "no Intune pair for a wait";
}

TEST(Scenario, PermissionIssueFixesPermissionThenSyncsThenVerifies) {
  const auto run = act(load_findings("permission-issue"), {{"sync_server", "AADC01"}});
  expect_all_scripts_safe(run);
  const json plan = manifest(run);
  std::vector<std::string> phases = step_field(plan, "phase");
  EXPECT_EQ(phases, (std::vector<std::string>{"sync-server", "sync-server", "verify"}));
  EXPECT_EQ(plan["steps"][0]["rules"], json({"sync.export_permission_denied"}));
  auto rules = plan["steps"][1]["rules"].get<std::vector<std::string>>();
  std::sort(rules.begin(), rules.end());
  EXPECT_EQ(rules, (std::vector<std::string>{"key.not_in_ad", "sync.export_permission_denied",
                                             "sync.overdue"}));
  const std::string& ps = artifact(run, "reenroll-plan.ps1");
  EXPECT_TRUE(has_literal(ps, "DC=contoso,DC=com"));
  EXPECT_TRUE(has_literal(ps, "AADC01"));
  const std::string code = code_of(ps);
  // Microsoft's documented fix (Key Admins by well-known RID) runs; dsacls is only the
  // alternative the plan prints.
  const size_t grant = code.find("Add-ADGroupMember -Identity $htGroup");
  EXPECT_TRUE(has_literal(ps, "-526"));  // Key Admins
  EXPECT_TRUE(has_literal(ps, "-527"));  // Enterprise Key Admins (multi-domain forest)
  EXPECT_EQ(code.find("dsacls.exe"), std::string::npos);
  EXPECT_NE(ps.find("needs Domain Admin rights"), std::string::npos);
  const size_t sync = code.find("Start-ADSyncSyncCycle -PolicyType Delta");
  const size_t verify = code.find("Show-HtKeyCredentials -Step");
  ASSERT_NE(grant, std::string::npos);
  ASSERT_NE(sync, std::string::npos);
  ASSERT_NE(verify, std::string::npos);
  EXPECT_LT(grant, sync);
  EXPECT_LT(sync, verify);
  EXPECT_EQ(code.find("certutil"), std::string::npos) << "a sync problem is no reason to reset";
  EXPECT_NE(ps.find("RPWP;msDS-KeyCredentialLink;user"), std::string::npos);
}

TEST(Scenario, KeyRegistrationFailedResetsOnTheRightDeviceAsTheRightUser) {
  const auto run = act(load_findings("key-registration-failed"));
  expect_all_scripts_safe(run);
  const std::string& ps = artifact(run, "reenroll-plan.ps1");
  const std::string code = code_of(ps);
  EXPECT_NE(ps.find("if ($env:COMPUTERNAME -ne 'PC-0955')"), std::string::npos);
  EXPECT_TRUE(has_literal(ps, "S-1-5-21-3623811015-3361044348-30300820-1110"));
  EXPECT_EQ(count(code, "& certutil.exe -DeleteHelloContainer"), 1u);
  // The checks come before the change.
  EXPECT_LT(code.find("$env:COMPUTERNAME -ne"), code.find("& certutil.exe"));
  EXPECT_LT(code.find("GetCurrent().User.Value -ne"), code.find("& certutil.exe"));
  const std::string& detect = artifact(run, "intune/ngc-registration-failed-detect.ps1");
  const std::string& fix = artifact(run, "intune/ngc-registration-failed-remediate.ps1");
  EXPECT_NE(code_of(detect).find("exit 1"), std::string::npos);
  EXPECT_NE(code_of(detect).find("exit 0"), std::string::npos);
  EXPECT_EQ(code_of(detect).find("certutil"), std::string::npos) << "detection changes nothing";
  EXPECT_NE(fix.find("SupportsShouldProcess = $true"), std::string::npos);
  EXPECT_EQ(count(code_of(fix), "& certutil.exe -DeleteHelloContainer"), 1u);
}

TEST(Scenario, PrerequisitesAreManualAndNothingIsReset) {
  const auto run = act(load_findings("prereq-several-users"));
  expect_all_scripts_safe(run);
  const json plan = manifest(run);
  EXPECT_EQ(plan["steps"].size(), 9u);
  for (const auto& s : plan["steps"]) {
    EXPECT_EQ(s["phase"], "prerequisite");
    EXPECT_EQ(s["status"], "manual");
    EXPECT_FALSE(s["destructive"].get<bool>());
  }
  const std::string& ps = artifact(run, "reenroll-plan.ps1");
  EXPECT_EQ(ps.find("DeleteHelloContainer"), std::string::npos);
  EXPECT_EQ(count(code_of(ps), "Write-Warning '"), 9u);
}

TEST(Scenario, NoResetWhileAPrerequisiteFails) {
  // A failed key registration on pc-0955 plus a missing PRT for the same user there.
  json findings = load_findings("key-registration-failed");
  json prereq = load_findings("prereq-several-users")[2];  // prereq.no_prt, other user
  ASSERT_EQ(prereq["rule"], "prereq.no_prt");
  prereq["user"] = findings[0]["user"];
  prereq["device"] = {{"name", "pc-0955"}, {"id", nullptr}};  // short form of the same device
  findings.push_back(prereq);
  const auto run = act(findings);
  expect_all_scripts_safe(run);
  const json plan = manifest(run);
  ASSERT_EQ(plan["steps"].size(), 2u);
  EXPECT_EQ(plan["steps"][0]["phase"], "prerequisite");
  EXPECT_EQ(plan["steps"][1]["status"], "blocked");
  EXPECT_EQ(plan["steps"][1]["blocked_by"], json({"S01"}));
  const std::string code = code_of(artifact(run, "reenroll-plan.ps1"));
  EXPECT_EQ(code.find("certutil"), std::string::npos);
  EXPECT_EQ(run.artifacts.size(), 3u) << "no Intune remediation for a blocked reset";

  // A blocker on another device does not hold this reset back.
  findings[1]["device"] = {{"name", "PC-9999"}, {"id", nullptr}};
  const json other = manifest(act(findings));
  EXPECT_EQ(other["steps"][1]["status"], "planned");
}

TEST(Scenario, RocaKeyFirmwareThenRemoveKeyThenGatedReset) {
  const auto run = act(load_findings("roca-key-in-ad"));
  expect_all_scripts_safe(run);
  const json plan = manifest(run);
  EXPECT_EQ(step_field(plan, "phase"),
            (std::vector<std::string>{"prerequisite", "active-directory", "device"}));
  EXPECT_EQ(plan["steps"][2]["status"], "planned");
  EXPECT_EQ(plan["steps"][2]["requires"], "-TpmFirmwareUpdated");
  const std::string& ps = artifact(run, "reenroll-plan.ps1");
  EXPECT_TRUE(has_literal(ps, "a08d5597b4895610969dac483ed6719d4cc42dcc11b6f169e0bd41724e18c3d4"));
  EXPECT_TRUE(has_literal(ps, "fd591087-245c-4ff5-a5ea-c14de5e2b315"));
  const std::string code = code_of(ps);
  EXPECT_LT(code.find("Remove-HtKeyCredential -Step"), code.find("if (-not $TpmFirmwareUpdated)"));
  EXPECT_LT(code.find("if (-not $TpmFirmwareUpdated)"), code.find("& certutil.exe"));
  EXPECT_EQ(run.artifacts.size(), 3u) << "no unattended reset before the firmware update";
}

TEST(Scenario, TamperedKeyRemovedAndOnlyTheOldStaleKey) {
  const auto run = act(load_findings("keys-tampered-and-stale"));
  expect_all_scripts_safe(run);
  const std::string& ps = artifact(run, "reenroll-plan.ps1");
  EXPECT_TRUE(has_literal(ps, "f0eb81967f45570fa43fee086ddd7f95eda93859da74fd7ea873dafc5a6f5953"));
  EXPECT_TRUE(has_literal(ps, "cb6686f1bdddd4de19fa27575cea7a6cd454337c3cae8bb372ac2886b757ac10"));
  EXPECT_FALSE(has_literal(ps, "be0e83d9caced42a8b9fe0b4420cdf0e0f1744b1dae91034af776a283de12b55"))
      << "the newest key of a user stays";
  // The tampered key's device re-registers (by Entra device id: the finding has no name).
  EXPECT_TRUE(has_literal(ps, "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f0927"));
}

TEST(Scenario, SchedulerAndStagingChecksComeBeforeTheSync) {
  for (const char* name : {"overdue-scheduler-suspended", "staging-mode"}) {
    SCOPED_TRACE(name);
    const auto run = act(load_findings(name));
    expect_all_scripts_safe(run);
    const std::string code = code_of(artifact(run, "reenroll-plan.ps1"));
    const size_t sync = code.find("Start-ADSyncSyncCycle -PolicyType Delta");
    ASSERT_NE(sync, std::string::npos);
    if (std::string(name) == "staging-mode") {
      EXPECT_EQ(code.find("Set-ADSyncScheduler"), std::string::npos);
      EXPECT_LT(code.find("StagingModeEnabled"), sync);
    } else {
      EXPECT_LT(code.find("Set-ADSyncScheduler -SchedulerSuspended $false"), sync);
    }
    EXPECT_EQ(code.find("certutil"), std::string::npos);
  }
}

TEST(Scenario, SoftwareKeyGetsAKeyReplacePair) {
  const auto run = act(load_findings("software-key"));
  expect_all_scripts_safe(run);
  const std::string& detect = artifact(run, "intune/ngc-key-replace-detect.ps1");
  EXPECT_TRUE(has_literal(detect, "{BF2A3B4C-5D6E-4F7A-8B9C-0D1E2F3A1203}"));
  EXPECT_NE(artifact(run, "intune/ngc-key-replace-remediate.ps1").find("ConfirmImpact = 'Medium'"),
            std::string::npos);
}

TEST(Scenario, EveryPlanIsSafeAndTheMarkdownAgrees) {
  for (const char* name :
       {"device-registration-errors", "key-registration-failed", "keys-tampered-and-stale",
        "overdue-scheduler-suspended", "pending-sync", "permission-issue", "prereq-several-users",
        "roca-key-in-ad", "software-key", "staging-mode"}) {
    SCOPED_TRACE(name);
    const auto run = act(load_findings(name));
    EXPECT_EQ(run.status, HT_OK);
    expect_all_scripts_safe(run);
    const json plan = manifest(run);
    const std::string& md = artifact(run, "reenroll-plan.md");
    for (const auto& s : plan["steps"])
      EXPECT_NE(md.find("### " + s["id"].get<std::string>() + ":"), std::string::npos);
    EXPECT_EQ(plan["findings"].size(), load_findings(name).size());
  }
}

// --- hostile values ---------------------------------------------------------------

// Values that would run code if they ever escaped a single-quoted literal; each carries
// the marker "pwned" (never in the generator's own text).
const std::string kHostileUpn =
    "o'b\xE2\x80\x99r\xE2\x80\x98i\xE2\x80\x9A"
    "e\xE2\x80\x9Bn$(pwned)`\"x;@contoso.com";

json hostile_findings() {
  json f1 = load_findings("key-registration-failed")[0];  // reset: user + device values used
  f1["user"] = {{"upn", kHostileUpn},
                {"sid", nullptr},
                {"dn", "CN=x\n pwned,DC=contoso,DC=com"},
                {"sam", nullptr}};
  f1["device"] = {{"name", "PC-0955"}, {"id", nullptr}};
  json f2 = f1;  // device name that is code
  f2["device"]["name"] = "PC-1';pwned;'";
  json f3 = f1;  // typographic quote in the device name
  f3["device"]["name"] = "PC\xE2\x80\x99pwned";
  json f4 = load_findings("roca-key-in-ad")[0];  // key id that is code
  f4["evidence"][0]["excerpt"] = "KeyId=abc'; pwned #; DeviceId=x$(pwned)";
  json f5 = load_findings("pending-sync")[0];  // ETA that is code, UPN with a newline
  f5["details"]["eta"] = "2024-11-14T13:51:47Z'; pwned; '";
  f5["user"]["upn"] = "evil\n pwned <script>|[x](y)@contoso.com";
  f5["user"]["sid"] = nullptr;
  json f6 = load_findings("software-key")[0];  // NGC key id that is code
  f6["evidence"][0]["excerpt"] = "KeyId={BF2A'pwned}; Attestation=ATT_SOFT";
  f6["user"]["sid"] = "S-1-5-21-1'pwned";
  return json::array({f1, f2, f3, f4, f5, f6});
}

TEST(Injection, HostileValuesStayInsideLiteralsOrSanitizedComments) {
  const auto run = act(hostile_findings(), {{"sync_server", "AADC01$(pwned)"}});
  EXPECT_EQ(run.status, HT_OK);
  expect_all_scripts_safe(run);
  for (const auto& [name, content] : run.artifacts) {
    if (name.substr(name.size() - 4) != ".ps1") continue;
    SCOPED_TRACE(name);
    for (const auto& t : pstest::tokenize(content)) {
      if (t.kind == Kind::Code) {
        EXPECT_EQ(t.raw.find("pwned"), std::string::npos) << t.raw;
      } else if (t.kind == Kind::Comment) {
        EXPECT_EQ(t.raw.find('\n'), std::string::npos);
      }
    }
  }
  const std::string& ps = artifact(run, "reenroll-plan.ps1");
  // The valid-but-nasty UPN is used as the exact value (round trip through the literal).
  EXPECT_TRUE(has_literal(ps, kHostileUpn));
  const json plan = manifest(run);
  std::vector<std::string> statuses = step_field(plan, "status");
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "refused"), 4)
      << plan.dump(1);  // f2, f3 device names; f4 key id; f6 SID
  // A refused value is never repeated in a message (comments list only its finding).
  for (const auto& l : literals(ps)) {
    EXPECT_EQ(l.find("PC-1'"), std::string::npos) << l;
    EXPECT_EQ(l.find("abc'"), std::string::npos) << l;
  }
  EXPECT_FALSE(run.artifact("intune/ngc-key-replace-detect.ps1")) << "no valid key id left";
  EXPECT_TRUE(!run.diagnostics.empty());  // the bad sync_server option
}

TEST(Injection, MarkdownAndJsonEscapeValues) {
  const auto run = act(hostile_findings());
  const std::string& md = artifact(run, "reenroll-plan.md");
  EXPECT_EQ(md.find("<script>"), std::string::npos);
  EXPECT_EQ(md.find("[x](y)"), std::string::npos);
  EXPECT_EQ(md.find("\n pwned"), std::string::npos);
  std::istringstream lines(md);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind("| F", 0) == 0) {
      size_t bars = 0;
      for (size_t i = 0; i < line.size(); ++i)
        bars += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
      EXPECT_EQ(bars, 7u) << line;
    }
  const json plan = manifest(run);  // parses
  EXPECT_EQ(plan["findings"][4]["user"].get<std::string>().find('\n'), std::string::npos);
}

// --- empty and malformed input ----------------------------------------------------

TEST(Input, NoFindingsMeansNothingToDo) {
  const auto run = act(json::array());
  EXPECT_EQ(run.status, HT_OK);
  expect_all_scripts_safe(run);
  EXPECT_TRUE(has_literal(artifact(run, "reenroll-plan.ps1"),
                          "Nothing to do: the findings call for no re-enrollment step."));
  EXPECT_NE(artifact(run, "reenroll-plan.md").find("Nothing to do"), std::string::npos);
  EXPECT_TRUE(manifest(run)["nothing_to_do"].get<bool>());
  EXPECT_EQ(run.artifacts.size(), 3u);
}

TEST(Input, MalformedInputGivesDiagnosticsNotACrash) {
  PluginUnderTest p(ht_plugin_reenroll());
  const std::vector<json> inputs = {
      json::array({1, 2}),
      {{"findings", "nope"}},
      {{"findings", nullptr}, {"options", 7}},
      {{"findings", json::array({1,
                                 "x",
                                 nullptr,
                                 {{"rule", 5}},
                                 {{"rule", "not a rule"}},
                                 {{"rule", "provisioning.failed"},
                                  {"user", "x"},
                                  {"device", 3},
                                  {"details", "x"},
                                  {"evidence", {{"a", 1}}}},
                                 {{"rule", "key.roca_vulnerable"},
                                  {"evidence", json::array({1, {{"kind", 2}}})}},
                                 {{"rule", "sync.pending"}, {"details", {{"eta", 12}}}}})},
       {"identities", "x"},
       {"options", {{"what_if_default", "yes"}, {"sync_server", 3}}}}};
  for (const auto& in : inputs) {
    SCOPED_TRACE(in.dump());
    const auto run = p.act(in);
    EXPECT_EQ(run.status, HT_OK);
    EXPECT_FALSE(run.diagnostics.empty());
    EXPECT_EQ(run.diagnostics.front().severity, HT_DIAG_WARNING);
    expect_all_scripts_safe(run);
    EXPECT_NO_THROW(manifest(run));
  }
}

TEST(Input, NonJsonInputStillPlansNothing) {
  // The SDK turns unparseable input into {}: the plan says there is nothing to do.
  const ht_plugin* t = ht_plugin_reenroll();
  void* inst = t->init({"{}", 2}, nullptr, nullptr);
  OutputRun run;
  ht_output_sink sink{&run, nullptr,
                      [](void* c, ht_str n, ht_str v) {
                        static_cast<OutputRun*>(c)->artifacts.emplace_back(
                            std::string(n.data, n.size), std::string(v.data, v.size));
                        return 0;
                      },
                      nullptr};
  const std::string garbage = "{\"findings\": [ {\"rule\": ";
  EXPECT_EQ(t->act(inst, {garbage.data(), garbage.size()}, &sink), HT_OK);
  t->destroy(inst);
  EXPECT_TRUE(manifest(run)["nothing_to_do"].get<bool>());
}

TEST(Options, WhatIfDefaultAndSyncServer) {
  const json findings = load_findings("overdue-scheduler-suspended");
  const std::string on = artifact(act(findings), "reenroll-plan.ps1");
  EXPECT_NE(code_of(on).find("$WhatIfPreference = $true"), std::string::npos);
  const std::string off =
      artifact(act(findings, {{"what_if_default", false}}), "reenroll-plan.ps1");
  EXPECT_EQ(code_of(off).find("$WhatIfPreference = $true"), std::string::npos);
  const std::string off_text =
      artifact(act(findings, {{"what_if_default", "false"}}), "reenroll-plan.ps1");
  EXPECT_EQ(code_of(off_text).find("$WhatIfPreference = $true"), std::string::npos);
  EXPECT_NE(off.find("[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]"),
            std::string::npos);
  const std::string named =
      artifact(act(findings, {{"sync_server", "aadc01.corp.contoso.com"}}), "reenroll-plan.ps1");
  EXPECT_NE(named.find("$htSyncServer = 'AADC01'"), std::string::npos);
}

}  // namespace
