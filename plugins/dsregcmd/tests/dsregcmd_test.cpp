// Tests of the dsregcmd plugin, in-process through its C table, on real-shaped samples
// (plugins/dsregcmd/samples) and on small inline fragments for the edge cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <hellotrace/plugin_testing.hpp>
#include <hellotrace/time.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "dsregcmd_parser.hpp"

using hellotrace::harness::PluginUnderTest;
using Result = hellotrace::harness::ParseRun;

extern "C" const ht_plugin* ht_plugin_dsregcmd(void);
using hellotrace::Event;
using hellotrace::Field;

namespace hellotrace {
// Readable failure messages.
void PrintTo(const Field& f, std::ostream* os) { *os << '{' << f.name << ": " << f.value << '}'; }
}  // namespace hellotrace

namespace {

std::string sample_path(std::string_view name) {
  return std::string(HT_SOURCE_DIR) + "/plugins/dsregcmd/samples/" + std::string(name);
}

constexpr const char* kTenant = "3f2a6e1c-8b4d-4c2e-9a7f-1d2e3f4a5b6c";

std::vector<std::string> kinds(const Result& r) {
  std::vector<std::string> out;
  for (const auto& e : r.events) out.push_back(e.kind);
  return out;
}

std::vector<uint64_t> lines(const Result& r) {
  std::vector<uint64_t> out;
  for (const auto& e : r.events) out.push_back(e.origin.line);
  return out;
}

const Event& by_section(const Result& r, std::string_view title, std::string_view run = "1") {
  for (const auto& e : r.events)
    if (e.field_or("section") == title && e.field_or("run") == run) return e;
  throw std::runtime_error("no section " + std::string(title));
}

std::string diagnostics_text(const Result& r) {
  std::string s;
  for (const auto& d : r.diagnostics)
    s += std::to_string(d.severity) + "@" + std::to_string(d.position.line) + ": " + d.message +
         "\n";
  return s;
}

std::string to_utf16le_crlf(std::string_view utf8) {
  std::string out = "\xFF\xFE";
  for (size_t i = 0; i < utf8.size(); ++i) {
    uint32_t cp = static_cast<uint8_t>(utf8[i]);
    if (cp >= 0xC0 && cp < 0xE0 && i + 1 < utf8.size()) {  // two-byte sequences suffice here
      cp = ((cp & 0x1F) << 6) | (static_cast<uint8_t>(utf8[++i]) & 0x3F);
    }
    if (cp == '\n' && (i == 0 || utf8[i - 1] != '\r')) {
      out.push_back('\r');
      out.push_back('\0');
    }
    out.push_back(static_cast<char>(cp & 0xFF));
    out.push_back(static_cast<char>(cp >> 8));
  }
  return out;
}

const std::vector<std::string> kFullRunKinds = {
    "device.state",       "device.details", "tenant.details", "user.state",  "sso.state",
    "device.diagnostics", "proxy.config",   "proxy.config",   "prereq.check"};

}  // namespace

TEST(DsregcmdPlugin, TableDescribesAParser) {
  const ht_plugin* t = ht_plugin_dsregcmd();
  EXPECT_STREQ(t->name, "dsregcmd");
  EXPECT_EQ(t->capabilities, static_cast<uint32_t>(HT_CAP_PARSE));
  std::vector<std::string> declared;
  for (const char* const* k = t->event_kinds; *k; ++k) declared.emplace_back(*k);
  for (const char* k :
       {"device.state", "device.details", "tenant.details", "user.state", "sso.state",
        "device.diagnostics", "proxy.config", "prereq.check", "work_account"})
    EXPECT_NE(std::find(declared.begin(), declared.end(), k), declared.end()) << k;
}

TEST(DsregcmdHybridHealthy, OneEventPerSectionWithKindsLinesAndSubject) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("hybrid_healthy.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  EXPECT_EQ(kinds(r), kFullRunKinds);
  EXPECT_EQ(lines(r), (std::vector<uint64_t>{2, 13, 25, 51, 64, 78, 92, 101, 107}));
  for (const auto& e : r.events) {
    EXPECT_EQ(e.time, HT_NO_TIME) << "no Client Time in a post-join output";
    EXPECT_EQ(e.subject.device_name, "PC-0142.corp.contoso.com");
    EXPECT_EQ(e.subject.device_id, "5b7c1e2a-9d3f-4e8b-a1c2-d3e4f5a6b7c8");
    EXPECT_EQ(e.subject.tenant_id, kTenant);
    EXPECT_EQ(e.subject.user_upn, "jdoe@contoso.com");
    EXPECT_EQ(e.subject.user_sam, "CONTOSO\\jdoe");
    EXPECT_EQ(e.subject.ngc_key_id, "a1b2c3d4-e5f6-4789-abcd-0123456789ab");
    EXPECT_EQ(e.subject.user_sid, "");
    EXPECT_EQ(e.field_or("run"), "1");
  }
}

TEST(DsregcmdHybridHealthy, FieldsAreTheSourceKeysAndValuesInOrder) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("hybrid_healthy.txt"));
  ASSERT_EQ(r.events.size(), 9u);
  EXPECT_EQ(r.events[0].fields, (std::vector<Field>{{"section", "Device State"},
                                                    {"run", "1"},
                                                    {"AzureAdJoined", "YES"},
                                                    {"EnterpriseJoined", "NO"},
                                                    {"DomainJoined", "YES"},
                                                    {"DomainName", "CONTOSO"},
                                                    {"Virtual Desktop", "NOT SET"},
                                                    {"Device Name", "PC-0142.corp.contoso.com"}}));
  const Event& details = r.events[1];
  EXPECT_EQ(details.field_or("DeviceCertificateValidity"),
            "[ 2023-05-09 07:41:22.000 UTC -- 2033-05-09 08:11:22.000 UTC ]");
  EXPECT_EQ(details.field_or("DeviceAuthStatus"), "SUCCESS");
  EXPECT_EQ(details.field_or("TpmProtected"), "YES");
  const Event& tenant = r.events[2];
  EXPECT_EQ(tenant.fields.size(), 2u + 21u);
  EXPECT_EQ(tenant.field_or("AuthCodeUrl"),
            std::string("https://login.microsoftonline.com/") + kTenant + "/oauth2/authorize");
  ASSERT_NE(tenant.field("SettingsUrl"), nullptr);
  EXPECT_EQ(*tenant.field("SettingsUrl"), "");
  const Event& user = r.events[3];
  EXPECT_EQ(user.field_or("NgcSet"), "YES");
  EXPECT_EQ(user.field_or("NgcKeyId"), "{A1B2C3D4-E5F6-4789-ABCD-0123456789AB}") << "unchanged";
  EXPECT_EQ(user.field_or("WamDefaultGUID"), "{B16898C6-A148-4967-9171-64D755DA8520} (AzureAd)");
  const Event& sso = r.events[4];
  EXPECT_EQ(sso.field_or("AzureAdPrt"), "YES");
  EXPECT_EQ(sso.field_or("AzureAdPrtUpdateTime"), "2024-11-14 08:02:11.000 UTC");
  ASSERT_NE(sso.field("EnterprisePrtAuthority"), nullptr);
  EXPECT_EQ(sso.field_or("KerbTopLevelNames"),
            ".windows.net,.windows.net:1433,.windows.net:3342,.azure.net,.azure.net:1433,"
            ".azure.net:3342");
  const Event& diag = r.events[5];
  EXPECT_EQ(diag.fields,
            (std::vector<Field>{{"section", "Diagnostic Data"},
                                {"run", "1"},
                                {"AadRecoveryEnabled", "NO"},
                                {"Executing Account Name", "CONTOSO\\jdoe, jdoe@contoso.com"},
                                {"KeySignTest", "PASSED"},
                                {"DisplayNameUpdated", "YES"},
                                {"OsVersionUpdated", "YES"},
                                {"HostNameUpdated", "YES"},
                                {"Last HostName Update", "NONE"}}));
  EXPECT_EQ(r.events[6].field_or("section"), "IE Proxy Config for Current User");
  EXPECT_EQ(r.events[7].fields, (std::vector<Field>{{"section", "WinHttp Default Proxy Config"},
                                                    {"run", "1"},
                                                    {"Access Type", "DIRECT"}}));
  EXPECT_EQ(r.events[8].fields, (std::vector<Field>{{"section", "Ngc Prerequisite Check"},
                                                    {"run", "1"},
                                                    {"IsDeviceJoined", "YES"},
                                                    {"IsUserAzureAD", "YES"},
                                                    {"PolicyEnabled", "YES"},
                                                    {"PostLogonEnabled", "YES"},
                                                    {"DeviceEligible", "YES"},
                                                    {"SessionIsNotRemote", "YES"},
                                                    {"CertEnrollment", "none"},
                                                    {"PreReqResult", "WillProvision"}}));
}

TEST(DsregcmdNotJoined, RegisteredDeviceGivesWorkAccountAndWorkplaceTenant) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("not_joined_registered.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  EXPECT_EQ(kinds(r), (std::vector<std::string>{"device.state", "user.state", "sso.state",
                                                "work_account", "device.diagnostics",
                                                "proxy.config", "proxy.config", "prereq.check"}));
  EXPECT_EQ(lines(r), (std::vector<uint64_t>{2, 12, 21, 30, 46, 52, 61, 67}));
  const Event& state = r.events[0];
  EXPECT_EQ(state.field_or("AzureAdJoined"), "NO");
  EXPECT_EQ(state.field_or("DomainJoined"), "NO");
  EXPECT_EQ(state.field("DomainName"), nullptr);
  const Event& work = r.events[3];
  EXPECT_EQ(work.field_or("section"), "Work Account 1");
  EXPECT_EQ(work.field_or("WorkplaceTenantId"), "3F2A6E1C-8B4D-4C2E-9A7F-1D2E3F4A5B6C");
  ASSERT_NE(work.field("WorkplaceMdmUrl"), nullptr);
  EXPECT_EQ(*work.field("WorkplaceMdmUrl"), "");
  for (const auto& e : r.events) {
    EXPECT_EQ(e.subject.device_name, "LAPTOP-7Q2K9");
    EXPECT_EQ(e.subject.device_id, "") << "not joined: no Entra device id";
    EXPECT_EQ(e.subject.tenant_id, kTenant) << "from WorkplaceTenantId, normalized";
    EXPECT_EQ(e.subject.user_sam, "LAPTOP-7Q2K9\\alex");
    EXPECT_EQ(e.subject.user_upn, "");
    EXPECT_EQ(e.subject.ngc_key_id, "");
  }
  EXPECT_EQ(r.events.back().field_or("IsDeviceJoined"), "NO");
  EXPECT_EQ(r.events.back().field_or("PreReqResult"), "WillNotProvision");
}

TEST(DsregcmdNoPrt, PrtDiagnosticsAreKeptVerbatim) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("no_prt.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  EXPECT_EQ(kinds(r), kFullRunKinds);
  const Event& sso = by_section(r, "SSO State");
  EXPECT_EQ(sso.origin.line, 62u);
  EXPECT_EQ(sso.field_or("AzureAdPrt"), "NO");
  EXPECT_EQ(sso.field_or("AcquirePrtDiagnostics"), "PRESENT");
  EXPECT_EQ(sso.field_or("Previous Prt Attempt"), "2024-11-14 07:58:03.482 UTC");
  EXPECT_EQ(sso.field_or("Attempt Status"), "0xc000006d");
  EXPECT_EQ(sso.field_or("User Identity"), "mlopez@contoso.com");
  EXPECT_EQ(sso.field_or("HTTP status"), "400");
  EXPECT_EQ(sso.field_or("Server Error Code"), "invalid_grant");
  EXPECT_EQ(sso.field_or("Server Error Description"),
            "AADSTS50126: Error validating credentials due to invalid username or password.");
  EXPECT_EQ(sso.field_or("Endpoint URI"),
            std::string("https://login.microsoftonline.com/") + kTenant + "/oauth2/token/");
  EXPECT_EQ(sso.fields.size(), 2u + 19u);
  EXPECT_EQ(sso.subject.user_upn, "mlopez@contoso.com");
  EXPECT_EQ(sso.subject.ngc_key_id, "") << "NgcSet NO";
  EXPECT_EQ(by_section(r, "Ngc Prerequisite Check").field_or("IsUserAzureAD"), "NO");
}

struct PrereqCase {
  const char* sample;
  const char* failing;
};

class DsregcmdPrereq : public ::testing::TestWithParam<PrereqCase> {};

TEST_P(DsregcmdPrereq, ExactlyTheOneCheckFailsAndProvisioningIsRefused) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path(GetParam().sample));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  const Event& check = by_section(r, "Ngc Prerequisite Check");
  EXPECT_EQ(check.kind, "prereq.check");
  for (const char* key : {"IsDeviceJoined", "IsUserAzureAD", "PolicyEnabled", "PostLogonEnabled",
                          "DeviceEligible", "SessionIsNotRemote"})
    EXPECT_EQ(check.field_or(key), std::string(key) == GetParam().failing ? "NO" : "YES") << key;
  EXPECT_EQ(check.field_or("CertEnrollment"), "none");
  EXPECT_EQ(check.field_or("PreReqResult"), "WillNotProvision");
  EXPECT_FALSE(check.subject.device_name.empty());
  // A device that is not joined has no tenant yet.
  EXPECT_EQ(check.subject.tenant_id,
            std::string(GetParam().failing) == "IsDeviceJoined" ? "" : kTenant);
}

INSTANTIATE_TEST_SUITE_P(
    Samples, DsregcmdPrereq,
    ::testing::Values(PrereqCase{"prereq_device_not_joined.txt", "IsDeviceJoined"},
                      PrereqCase{"no_prt.txt", "IsUserAzureAD"},
                      PrereqCase{"prereq_policy_disabled.txt", "PolicyEnabled"},
                      PrereqCase{"prereq_post_logon_disabled.txt", "PostLogonEnabled"},
                      PrereqCase{"prereq_device_not_eligible.txt", "DeviceEligible"},
                      PrereqCase{"prereq_remote_session.txt", "SessionIsNotRemote"}),
    [](const auto& info) {
      std::string n = info.param.failing;
      return n;
    });

TEST(DsregcmdJoinPending, ClientTimeDatesEveryEventOfTheRun) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("prereq_device_not_joined.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_EQ(lines(r), (std::vector<uint64_t>{2, 13, 24, 33, 56, 65, 71}));
  const int64_t expected = hellotrace::time::ticks_from_civil(2024, 11, 14, 9, 16, 50);
  for (const auto& e : r.events) {
    EXPECT_EQ(e.time, expected) << e.kind;
    EXPECT_EQ(e.time_flags, 0u);
    EXPECT_EQ(e.subject.device_id, "") << "not joined yet";
    EXPECT_EQ(e.subject.tenant_id, "");
  }
  const Event& diag = by_section(r, "Diagnostic Data");
  EXPECT_EQ(diag.kind, "device.diagnostics");
  EXPECT_EQ(diag.field_or("User Context"), "SYSTEM");
  EXPECT_EQ(diag.field_or("Client Time"), "2024-11-14 09:16:50.000 UTC");
  EXPECT_EQ(diag.field_or("Registration Type"), "sync");
  EXPECT_EQ(diag.field_or("Error Phase"), "join");
  EXPECT_EQ(diag.field_or("Client ErrorCode"), "0x801c03f2");
  EXPECT_EQ(diag.field_or("Server ErrorCode"), "DirectoryError");
  EXPECT_EQ(diag.field_or("Server Message"),
            "The device object by the given id (e1d2c3b4-a596-4877-8a69-5b4c3d2e1f00) isn't "
            "found.");
  EXPECT_EQ(diag.field_or("Https Status"), "400");
  EXPECT_EQ(by_section(r, "Device State").field_or("AzureAdJoined"), "NO");
  EXPECT_EQ(by_section(r, "Device State").field_or("DomainJoined"), "YES");
}

TEST(DsregcmdJoinError, DiscoveryFailureWithPromptsWrapAndProxySections) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("join_error_discovery.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  EXPECT_EQ(kinds(r),
            (std::vector<std::string>{"device.state", "user.state", "sso.state",
                                      "device.diagnostics", "proxy.config", "proxy.config",
                                      "proxy.config", "proxy.config", "prereq.check"}));
  EXPECT_EQ(lines(r), (std::vector<uint64_t>{5, 16, 24, 33, 53, 62, 71, 80, 86}));
  const Event& diag = r.events[3];
  EXPECT_EQ(diag.fields.front(), (Field{"section", "Diagnostic Data"}));
  EXPECT_EQ(diag.fields[2], (Field{"Diagnostics Reference", "www.microsoft.com/aadjerrors"}))
      << "the 'Waiting for Diagnostics Task' line is console text, not a field";
  EXPECT_EQ(diag.field_or("DRS Discovery Test"), "FAIL [0x801c0021/0x80072ee2]");
  EXPECT_EQ(diag.field_or("DRS Connectivity Test"), "SKIPPED");
  EXPECT_EQ(diag.field_or("Fallback to Sync-Join"), "ENABLED");
  EXPECT_EQ(diag.field_or("Error Phase"), "discover");
  EXPECT_EQ(diag.field_or("Client ErrorCode"), "0x801c0021");
  const Event& system_proxy = r.events[4];
  EXPECT_EQ(system_proxy.field_or("section"), "IE Proxy Config for System Account");
  EXPECT_EQ(system_proxy.field_or("Auto-Configuration URL"),
            "http://proxy.corp.contoso.com:8080/proxy.pac");
  const Event& url_proxy = r.events[5];
  EXPECT_EQ(url_proxy.fields,
            (std::vector<Field>{
                {"section", "URL Specific Proxy Config"},
                {"run", "1"},
                {"Auto Detect PAC Status",
                 "Failed to auto detect the Proxy Auto-Configuration (PAC) "
                 "script using WPAD. code: 0x80072f94"},
                {"Executing Account Name", "CONTOSO\\PC-0207$, PC-0207$@corp.contoso.com"}}));
  const int64_t expected = hellotrace::time::ticks_from_civil(2024, 6, 5, 8, 25, 29);
  for (const auto& e : r.events) {
    EXPECT_EQ(e.time, expected);
    EXPECT_EQ(e.subject.user_upn, "") << "a machine account is not a user";
    EXPECT_EQ(e.subject.user_sam, "");
    EXPECT_EQ(e.subject.device_name, "PC-0207.corp.contoso.com");
  }
}

TEST(DsregcmdLegacy1607, KeyColonValueLayoutWithDeviceAndTenantInDeviceState) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("legacy_1607.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  EXPECT_EQ(kinds(r), (std::vector<std::string>{"device.state", "user.state", "prereq.check"}));
  EXPECT_EQ(lines(r), (std::vector<uint64_t>{7, 37, 49}));
  const Event& state = r.events[0];
  EXPECT_EQ(state.fields.size(), 2u + 25u);
  EXPECT_EQ(state.fields[2], (Field{"AzureAdJoined", "YES"}));
  EXPECT_EQ(state.field_or("KeySignTest"), "MUST Run elevated to test.");
  EXPECT_EQ(state.field_or("TenantId"), kTenant);
  ASSERT_NE(state.field("MdmComplianceUrl"), nullptr);
  EXPECT_EQ(*state.field("MdmComplianceUrl"), "");
  EXPECT_EQ(state.fields.back(), (Field{"DomainName", "CONTOSO"}));
  const Event& user = r.events[1];
  EXPECT_EQ(user.field_or("WamDefaultAuthority"), "organizations");
  EXPECT_EQ(user.field_or("AzureAdPrt"), "YES");
  const Event& check = r.events[2];
  EXPECT_EQ(check.field_or("X509CertRequired"), "NO");
  EXPECT_EQ(check.field_or("PolicyEnabled"), "NO");
  EXPECT_EQ(check.field_or("PreReqResult"), "WillNotProvision");
  for (const auto& e : r.events) {
    EXPECT_EQ(e.subject.device_id, "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9");
    EXPECT_EQ(e.subject.tenant_id, kTenant);
    EXPECT_EQ(e.subject.device_name, "");
    EXPECT_EQ(e.time, HT_NO_TIME);
  }
}

TEST(DsregcmdEncoding, Utf16LeBomCrlfFileGivesTheSameEventsAsUtf8) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  // The same path for both: events name the file they come from.
  const Result utf8 = p.parse(PluginUnderTest::read_file(sample_path("hybrid_healthy.txt")));
  const Result utf16 =
      p.parse(PluginUnderTest::read_file(sample_path("hybrid_healthy_utf16le.txt")));
  ASSERT_EQ(utf16.status, HT_OK);
  EXPECT_TRUE(utf16.diagnostics.empty()) << diagnostics_text(utf16);
  ASSERT_EQ(utf16.events.size(), 9u);
  EXPECT_EQ(utf16.events, utf8.events);
}

TEST(DsregcmdEncoding, Utf16ConvertedInTheTestWithNonAsciiTenantName) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const std::string utf8 = PluginUnderTest::read_file(sample_path("two_runs_localized.txt"));
  const Result a = p.parse(utf8);
  const std::string utf16 = to_utf16le_crlf(utf8);
  EXPECT_GE(p.sniff(utf16, "status.txt"), 90);
  const Result b = p.parse(utf16);
  ASSERT_EQ(b.status, HT_OK);
  ASSERT_EQ(b.events.size(), 18u);
  EXPECT_EQ(b.events, a.events);
  EXPECT_EQ(b.events[2].field_or("TenantName"),
            "Contoso Stra\xC3\x9F"
            "e GmbH");
}

TEST(DsregcmdDeviceAuthFailed, Utf8BomCrlfWithFailedDeviceAuthAndRecovery) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const std::string bytes = PluginUnderTest::read_file(sample_path("device_auth_failed.txt"));
  ASSERT_EQ(bytes.substr(0, 3), "\xEF\xBB\xBF");
  const Result r = p.parse_file(sample_path("device_auth_failed.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  EXPECT_EQ(kinds(r), (std::vector<std::string>{"device.state", "device.details", "tenant.details",
                                                "user.state", "sso.state", "device.diagnostics",
                                                "proxy.config", "proxy.config"}));
  EXPECT_EQ(r.events[0].fields[0], (Field{"section", "Device State"})) << "BOM dropped";
  EXPECT_EQ(by_section(r, "Device Details").field_or("DeviceAuthStatus"),
            "FAILED. Device is either disabled or deleted");
  const Event& diag = by_section(r, "Diagnostic Data");
  EXPECT_EQ(diag.origin.line, 85u);
  EXPECT_EQ(diag.field_or("AadRecoveryEnabled"), "YES");
  EXPECT_EQ(diag.field_or("KeySignTest"), "FAILED");
  EXPECT_EQ(by_section(r, "SSO State").field_or("Server Error Description"),
            "AADSTS135011: Device used during the authentication is disabled.");
  for (const auto& e : r.events) {
    EXPECT_EQ(e.subject.device_id, "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a");
    EXPECT_EQ(e.subject.ngc_key_id, "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e");
    EXPECT_EQ(e.subject.user_upn, "dkim@contoso.com");
    for (const auto& f : e.fields) {
      EXPECT_EQ(f.value.find('\r'), std::string::npos) << f.name;
      EXPECT_EQ(f.name.find('\r'), std::string::npos);
    }
  }
}

TEST(DsregcmdTruncated, EmitsWhatWasReadAndWarnsAtTheCutLine) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("truncated.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_EQ(kinds(r), (std::vector<std::string>{"device.state", "device.details", "tenant.details",
                                                "user.state", "sso.state"}));
  const Event& sso = r.events.back();
  EXPECT_EQ(sso.fields, (std::vector<Field>{{"section", "SSO State"},
                                            {"run", "1"},
                                            {"AzureAdPrt", "YES"},
                                            {"AzureAdPrtUpdateTime", "2024-11-1"}}));
  ASSERT_EQ(r.diagnostics.size(), 1u) << diagnostics_text(r);
  EXPECT_EQ(r.diagnostics[0].severity, HT_DIAG_WARNING);
  EXPECT_EQ(r.diagnostics[0].position.line, 68u);
  EXPECT_NE(r.diagnostics[0].message.find("AzureAdPrtUpdateTime"), std::string::npos);
  EXPECT_EQ(sso.subject.user_upn, "") << "the Diagnostic Data section was cut off";
  EXPECT_EQ(sso.subject.device_id, "f1f2f3f4-a1a2-4b1b-8c1c-d1d2d3d4d5d6");
}

TEST(DsregcmdTruncated, OtherCutShapesWarnWithTheirLine) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const std::string head =
      "+----------------------------------------------------------------------+\n"
      "| Device State                                                         |\n"
      "+----------------------------------------------------------------------+\n"
      "\n"
      "             AzureAdJoined : YES\n";
  struct Case {
    std::string tail;
    uint64_t line;
    size_t events;
  };
  const std::vector<Case> cases = {
      // Cut inside a key, on a line of its own.
      {"          EnterpriseJoi\n", 6, 1},
      // Cut right after a section title.
      {"\n+------------------------------------------------------------------"
       "----+\n| Device Details                                                       |\n",
       8, 2},
      // A section box with no fields at all.
      {"\n+------------------------------------------------------------------"
       "----+\n| User State                                                           |\n"
       "+----------------------------------------------------------------------+\n\n",
       8, 2},
      // The NGC check without its result.
      {"\n+------------------------------------------------------------------"
       "----+\n| Ngc Prerequisite Check                                               |\n"
       "+----------------------------------------------------------------------+\n\n"
       "            IsDeviceJoined : YES\n",
       8, 2},
  };
  for (const auto& c : cases) {
    const Result r = p.parse(head + c.tail);
    EXPECT_EQ(r.status, HT_OK);
    EXPECT_EQ(r.events.size(), c.events) << c.tail;
    ASSERT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 1u) << c.tail << diagnostics_text(r);
    EXPECT_EQ(r.diagnostics[0].position.line, c.line) << c.tail << diagnostics_text(r);
  }
  // The same output, complete: no warning.
  const Result ok = p.parse(head + "          EnterpriseJoined : NO\n\n");
  EXPECT_TRUE(ok.diagnostics.empty()) << diagnostics_text(ok);
}

TEST(DsregcmdTwoRuns, PromptsAndLocalizedConsoleTextSeparateTwoRuns) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse_file(sample_path("two_runs_localized.txt"));
  ASSERT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
  ASSERT_EQ(r.events.size(), 18u);
  EXPECT_EQ(lines(r), (std::vector<uint64_t>{9, 26, 45, 92, 109, 142, 162, 175, 182, 210, 221, 233,
                                             259, 270, 284, 298, 307, 313}));
  for (size_t i = 0; i < r.events.size(); ++i) {
    const Event& e = r.events[i];
    EXPECT_EQ(e.kind, kFullRunKinds[i % 9]);
    EXPECT_EQ(e.field_or("run"), i < 9 ? "1" : "2");
    EXPECT_EQ(e.subject.device_name, "PC-0188.corp.contoso.com");
    EXPECT_EQ(e.subject.device_id, "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d");
    EXPECT_EQ(e.subject.user_upn, "lschmidt@contoso.com");
    EXPECT_EQ(e.subject.user_sam, "CONTOSO\\lschmidt");
  }
  // Run 1 was pasted indented, with trailing spaces and blank lines between fields.
  EXPECT_EQ(r.events[0].fields, (std::vector<Field>{{"section", "Device State"},
                                                    {"run", "1"},
                                                    {"AzureAdJoined", "YES"},
                                                    {"EnterpriseJoined", "NO"},
                                                    {"DomainJoined", "YES"},
                                                    {"DomainName", "CONTOSO"},
                                                    {"Virtual Desktop", "NOT SET"},
                                                    {"Device Name", "PC-0188.corp.contoso.com"}}));
  EXPECT_EQ(r.events[0].fields, [&] {
    auto f = r.events[9].fields;
    f[1].value = "1";
    return f;
  }());
  EXPECT_EQ(by_section(r, "SSO State", "1").field_or("AzureAdPrt"), "NO");
  EXPECT_EQ(by_section(r, "SSO State", "1").field_or("HTTP Error"), "0x80072ee2");
  EXPECT_EQ(by_section(r, "SSO State", "2").field_or("AzureAdPrt"), "YES");
  EXPECT_EQ(by_section(r, "Ngc Prerequisite Check", "1").field_or("PreReqResult"),
            "WillNotProvision");
  EXPECT_EQ(by_section(r, "Ngc Prerequisite Check", "2").field_or("PreReqResult"), "WillProvision");
}

TEST(DsregcmdTwoRuns, RepeatedSectionStartsANewRunWithoutPrompt) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const std::string one = PluginUnderTest::read_file(sample_path("legacy_1607.txt"));
  const Result r = p.parse(one + one);
  ASSERT_EQ(r.events.size(), 6u);
  EXPECT_EQ(r.events[3].field_or("run"), "2");
  const auto file_lines = static_cast<uint64_t>(std::count(one.begin(), one.end(), '\n'));
  EXPECT_EQ(r.events[3].origin.line, 7u + file_lines);
  EXPECT_EQ(r.events[0].field_or("run"), "1");
}

TEST(DsregcmdNotDsregcmd, CsvIsNotClaimedAndParseReportsAnErrorNamingTheFile) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const std::string path =
      std::string(HT_SOURCE_DIR) + "/plugins/dsregcmd/tests/data/not_dsregcmd.csv";
  const std::string csv = PluginUnderTest::read_file(path);
  EXPECT_EQ(p.sniff(csv, "not_dsregcmd.csv"), 0);
  EXPECT_EQ(p.sniff(csv, "dsregcmd.txt"), 0) << "the name alone claims nothing";
  const Result r = p.parse(csv, path);
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.events.empty());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, HT_DIAG_ERROR);
  EXPECT_NE(r.diagnostics[0].message.find(path), std::string::npos) << r.diagnostics[0].message;
}

TEST(DsregcmdNotDsregcmd, OtherTextAndEmptyInput) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const std::string log =
      "2024-11-14 08:00:01 INFO Service started: version 1.2\n"
      "Name : Value\nStatus : Running\nPS C:\\> Get-Service\n";
  EXPECT_EQ(p.sniff(log, "service.log"), 0);
  EXPECT_EQ(p.sniff("", "dsregcmd.txt"), 0);
  const Result r = p.parse("", "empty.txt");
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.diagnostics_of(HT_DIAG_ERROR), 1u);
  const Result l = p.parse(log, "service.log");
  EXPECT_TRUE(l.events.empty());
  EXPECT_EQ(l.diagnostics_of(HT_DIAG_ERROR), 1u);
}

TEST(DsregcmdSniff, EverySampleScoresHigh) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  for (const char* name :
       {"hybrid_healthy.txt", "hybrid_healthy_utf16le.txt", "not_joined_registered.txt",
        "no_prt.txt", "prereq_device_not_joined.txt", "join_error_discovery.txt",
        "prereq_policy_disabled.txt", "prereq_post_logon_disabled.txt",
        "prereq_device_not_eligible.txt", "prereq_remote_session.txt", "legacy_1607.txt",
        "truncated.txt", "two_runs_localized.txt", "device_auth_failed.txt"}) {
    const std::string bytes = PluginUnderTest::read_file(sample_path(name));
    EXPECT_GE(p.sniff(bytes, "output.txt"), 90) << name;
    EXPECT_GE(p.sniff(bytes, "dsregcmd_status.txt"), p.sniff(bytes, "output.txt")) << name;
  }
  // Known keys without any box.
  EXPECT_GE(p.sniff("AzureAdJoined : YES\nDomainJoined : YES\nNgcSet : NO\n", "a.txt"), 90);
  EXPECT_LT(p.sniff("AzureAdJoined : YES\n", "a.txt"), 50);
}

TEST(DsregcmdLines, FieldLineShapes) {
  using hellotrace::dsregcmd::parse_field_line;
  auto kv = [](std::string_view line) -> std::pair<std::string, std::string> {
    const auto f = parse_field_line(line);
    if (!f) return {"<none>", ""};
    return {std::string(f->key), std::string(f->value)};
  };
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(kv("             AzureAdJoined : YES"), (P{"AzureAdJoined", "YES"}));
  EXPECT_EQ(kv("         AadRecoveryEnabled: NO"), (P{"AadRecoveryEnabled", "NO"}));
  EXPECT_EQ(kv("     KeySignTest: : PASSED"), (P{"KeySignTest", "PASSED"}));
  EXPECT_EQ(kv("KeySignTest:: MUST Run elevated to test."),
            (P{"KeySignTest", "MUST Run elevated to test."}));
  EXPECT_EQ(kv("                    MdmUrl : "), (P{"MdmUrl", ""}));
  EXPECT_EQ(kv("      MdmTouUrl:"), (P{"MdmTouUrl", ""}));
  EXPECT_EQ(kv("               Client Time : 2019-01-24 09:08:13.000 UTC"),
            (P{"Client Time", "2019-01-24 09:08:13.000 UTC"}));
  EXPECT_EQ(kv("            WamDefaultGUID : { B16898C6-A148-4967-9171-64D755DA8520 } (AzureAd)"),
            (P{"WamDefaultGUID", "{ B16898C6-A148-4967-9171-64D755DA8520 } (AzureAd)"}));
  EXPECT_EQ(kv("    LogonCertTemplateReady : YES ( StateReady )   "),
            (P{"LogonCertTemplateReady", "YES ( StateReady )"}));
  EXPECT_EQ(kv("PS C:\\Users\\jdoe> dsregcmd /status").first, "<none>");
  EXPECT_EQ(kv("C:\\Windows\\system32>dsregcmd /status").first, "<none>");
  EXPECT_EQ(kv("For more information, please visit https://www.microsoft.com/aadjerrors").first,
            "<none>");
  EXPECT_EQ(kv("sing WPAD. code: 0x80072f94").first, "<none>");
  EXPECT_EQ(kv("Installieren Sie die neueste PowerShell! https://aka.ms/PSWindows").first,
            "<none>");
  const auto col = parse_field_line("               KeySignTest : PASSED");
  ASSERT_TRUE(col);
  EXPECT_EQ(col->colon_column, 27u);
}

TEST(DsregcmdLines, TitlesAndKinds) {
  using hellotrace::dsregcmd::kind_for_title;
  using hellotrace::dsregcmd::parse_title_line;
  EXPECT_EQ(parse_title_line("| Device State                                                    |"),
            std::optional<std::string_view>("Device State"));
  EXPECT_EQ(parse_title_line("| Work Account 2 |"),
            std::optional<std::string_view>("Work Account 2"));
  EXPECT_EQ(parse_title_line("| AzureAdJoined | EnterpriseJoined | DomainJoined |"), std::nullopt);
  EXPECT_EQ(parse_title_line("|---|---|"), std::nullopt);
  EXPECT_EQ(kind_for_title("Diagnostic Data"), "device.diagnostics");
  EXPECT_EQ(kind_for_title("IE Proxy Config for System Account"), "proxy.config");
  EXPECT_EQ(kind_for_title("URL Specific Proxy Config"), "proxy.config");
  EXPECT_EQ(kind_for_title("Ngc Prerequisite Check"), "prereq.check");
  EXPECT_EQ(kind_for_title("Work Account 12"), "work_account");
  EXPECT_EQ(kind_for_title("Something New"), "dsregcmd.section");
}

TEST(DsregcmdFragments, FieldsWithoutBoxesGoToTheImpliedSection) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse(
      "Here is the output:\n\n    AzureAdJoined : YES\n     DomainJoined : YES\n"
      "       DomainName : CONTOSO\n",
      "mail.txt");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].kind, "device.state");
  EXPECT_EQ(r.events[0].origin.line, 3u);
  EXPECT_EQ(r.events[0].field_or("section"), "Device State");
  EXPECT_EQ(r.events[0].fields.size(), 5u);
  EXPECT_TRUE(r.diagnostics.empty()) << diagnostics_text(r);
}

TEST(DsregcmdFragments, LongKeyAfterLongValueIsAFieldNotAWrap) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse(
      "| Diagnostic Data |\n"
      "    Auto Detect PAC Status : Failed to auto detect the Proxy Auto-Configuration (PAC) "
      "script\n"
      "SomeFutureKeyLongerThanTheColumn : YES\n");
  ASSERT_EQ(r.events.size(), 1u);
  ASSERT_EQ(r.events[0].fields.size(), 4u);
  EXPECT_EQ(r.events[0].fields[3], (Field{"SomeFutureKeyLongerThanTheColumn", "YES"}));
}

TEST(DsregcmdFragments, NoBreakSpacesFromPastedTextAreTrimmed) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse(
      "\xC2\xA0| Device State |\xC2\xA0\n"
      "\xC2\xA0  \xC2\xA0 AzureAdJoined : YES \xC2\xA0\n"
      "\xC2\xA0\xC2\xA0"
      "DomainJoined :\xC2\xA0 YES\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].fields, (std::vector<Field>{{"section", "Device State"},
                                                    {"run", "1"},
                                                    {"AzureAdJoined", "YES"},
                                                    {"DomainJoined", "YES"}}));
}

TEST(DsregcmdFragments, DuplicateKeysAreKeptInOrder) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse(
      "| SSO State |\n"
      "                AzureAdPrt : NO\n"
      "     AcquirePrtDiagnostics : PRESENT\n"
      "            Attempt Status : 0xc000006d\n"
      "     RefreshPrtDiagnostics : PRESENT\n"
      "            Attempt Status : 0xc0048512\n");
  ASSERT_EQ(r.events.size(), 1u);
  ASSERT_EQ(r.events[0].fields.size(), 7u);
  EXPECT_EQ(r.events[0].fields[4], (Field{"Attempt Status", "0xc000006d"}));
  EXPECT_EQ(r.events[0].fields[6], (Field{"Attempt Status", "0xc0048512"}));
}

TEST(DsregcmdFragments, BadClientTimeWarnsAndLeavesNoTime) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse(
      "| Diagnostic Data |\n"
      "               Client Time : 2019-13-45 09:08:13.000 UTC\n"
      "      AD Connectivity Test : PASS\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].time, HT_NO_TIME);
  ASSERT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 1u);
  EXPECT_EQ(r.diagnostics[0].position.line, 2u);
}

TEST(DsregcmdFragments, SubjectSidComesFromASidField) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const Result r = p.parse(
      "| User State |\n"
      "                    NgcSet : YES\n"
      "                  NgcKeyId : not-a-guid\n"
      "                   UserSid : S-1-5-21-1004336348-1177238915-682003330-1104\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].subject.user_sid, "S-1-5-21-1004336348-1177238915-682003330-1104");
  EXPECT_EQ(r.events[0].subject.ngc_key_id, "not-a-guid") << "kept as written when no GUID";
}

TEST(DsregcmdSink, StopRequestReturnsStoppedAndKeepsWhatWasSent) {
  const PluginUnderTest p(ht_plugin_dsregcmd());
  const std::string bytes = PluginUnderTest::read_file(sample_path("two_runs_localized.txt"));
  const Result r = p.parse(bytes, "x.txt", "{}", 2);
  EXPECT_EQ(r.status, HT_STOPPED);
  EXPECT_EQ(r.events.size(), 2u);
}
