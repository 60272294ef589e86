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
  for (const Event& e : h.events) {
    if (e.kind == "tpm.info") {
      EXPECT_EQ(e.field_or("IsTpmLockedOut"), "false");
    }
  }
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
  // Event Viewer CSV has no EventData: it is read back from the messages, and said so.
  const auto csv = plugin.parse_file(kExports + "udr-eventviewer-en-US.csv");
  bool said = false;
  for (const auto& d : csv.diagnostics)
    said |= d.message.find("read back from their English message text") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_EQ(csv.events.at(1).field_or("AADPrt"), "No");
  // An export of values nobody can read back still says what it lacks.
  const auto bare = plugin.parse(
      "Level,Date and Time,Source,Event ID,Task Category\r\n"
      "Warning,11/14/2024 5:00:01 AM,User Device Registration,360,None,\r\n",
      "bare.csv");
  said = false;
  for (const auto& d : bare.diagnostics)
    said |= d.message.find("no EventData values") != std::string::npos;
  EXPECT_TRUE(said);
  for (const Event& e : csv.events) EXPECT_TRUE(e.time_flags & HT_TIME_ZONE_ASSUMED);
}

// Exports that keep only the message: EventData read back with messages/*.json, and a
// message in another language reported once, never read with English templates.
TEST(UdrPlugin, MessageOnlyExportsGetTheirEventData) {
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const std::string dir = HT_SOURCE_DIR "/tests/scenarios/";
  const auto csv =
      plugin.parse_file(dir + "messages-csv-en-us/udr-admin.csv", R"({"timezone":"+01:00"})");
  ASSERT_EQ(csv.events.size(), 3u);
  EXPECT_EQ(csv.warnings(), 0u);
  const Event& prereq = csv.events[2];
  EXPECT_EQ(prereq.kind, "prereq.check");
  EXPECT_EQ(prereq.field_or("AADPrt"), "No");
  EXPECT_EQ(prereq.fields[0].name, "Message");  // EventData order, then the @ facts
  EXPECT_EQ(prereq.origin.line, 21u);
  EXPECT_EQ(csv.events[0].subject.user_upn, "mia.chen@contoso.com");
  EXPECT_EQ(csv.events[0].field_or("Attestation"), "ATT_SOFT");
  // No ProviderName column: the matching template names the provider, hence the kind.
  const auto select = plugin.parse_file(dir + "messages-format-list/hello-select-message.csv",
                                        R"({"timezone":"+01:00"})");
  ASSERT_EQ(select.events.size(), 1u);
  EXPECT_EQ(select.events[0].kind, "tpm.info");
  EXPECT_EQ(select.events[0].field_or("IsTpmLockedOut"), "True");

  const auto de = plugin.parse_file(dir + "messages-csv-de-de/udr-admin.csv");
  ASSERT_EQ(de.events.size(), 3u);
  size_t told = 0;
  for (const auto& d : de.diagnostics)
    if (d.message.find("message text in de-DE: fields not recovered") != std::string::npos) {
      ++told;
      EXPECT_EQ(d.position.line, 2u);
    }
  EXPECT_EQ(told, 1u);
  for (const Event& e : de.events) {
    EXPECT_EQ(e.field("AADPrt"), nullptr);
    EXPECT_EQ(e.field("Attestation"), nullptr);
  }
}

// ---- DC Security log: Kerberos PKINIT (4768/4771) and KDC certificate events ----

namespace {
eventlog::Record security_record(uint32_t id,
                                 std::vector<std::pair<std::string, std::string>> data) {
  eventlog::Record r;
  r.provider = "Microsoft-Windows-Security-Auditing";
  r.channel = "Security";
  r.event_id = id;
  r.computer = "DC01.contoso.com";
  for (auto& [n, v] : data) r.data.push_back({n, v});
  return r;
}
}  // namespace

TEST(UdrKerberos, OnlyPkinitTicketRequestsJoinTheStory) {
  struct Case {
    uint32_t id;
    std::string status, preauth, issuer, kind;
  };
  for (const Case& c : std::vector<Case>{
           {4768, "0x0", "2", "", "eventlog.record"},   // password logon
           {4768, "0x0", "16", "", "kerberos.pkinit"},  // PA-PK-AS-REQ
           {4768, "0x0", "15", "", "kerberos.pkinit"},  // PA-PK-AS-REP_OLD (smart card)
           {4768, "0x00000000", "-", "contoso-CA01-CA", "kerberos.pkinit"},  // certificate used
           // Failure events write PreAuthType "-": a PKINIT-only code still tells.
           {4768, "0x3E", "-", "", "kerberos.pkinit_failed"},
           {4768, "0x4d", "-", "", "kerberos.pkinit_failed"},
           {4768, "0x6", "-", "", "eventlog.record"},           // unknown user, password spray
           {4771, "0x18", "2", "", "eventlog.record"},          // wrong password
           {4771, "0x10", "15", "", "kerberos.pkinit_failed"},  // DC without KDC certificate
           {4769, "0x0", "16", "", "eventlog.record"},          // service tickets: not a logon
       }) {
    const auto r = security_record(c.id, {{"TargetUserName", "awilber"},
                                          {"Status", c.status},
                                          {"PreAuthType", c.preauth},
                                          {"CertIssuerName", c.issuer}});
    EXPECT_EQ(udr::kind_of(r), c.kind) << c.id << " " << c.status << " " << c.preauth;
  }
  // The same ids from another provider are not Kerberos audits.
  auto other = security_record(4768, {{"PreAuthType", "16"}, {"Status", "0x0"}});
  other.provider = "SomeAgent";
  other.channel = "Application";
  EXPECT_EQ(udr::kind_of(other), "eventlog.record");
}

TEST(UdrKerberos, SubjectIsTheAccountNotTheDomainController) {
  Event e;
  udr::normalize(security_record(4768, {{"TargetUserName", "awilber"},
                                        {"TargetDomainName", "CONTOSO.COM"},
                                        {"TargetSid", "S-1-5-21-1-2-3-1104"},
                                        {"Status", "0x0"},
                                        {"PreAuthType", "16"},
                                        {"CertIssuerName", "contoso-CA01-CA"}}),
                 e);
  EXPECT_EQ(e.kind, "kerberos.pkinit");
  EXPECT_EQ(e.subject.user_sid, "S-1-5-21-1-2-3-1104");
  EXPECT_EQ(e.subject.user_sam, "CONTOSO.COM\\awilber");
  EXPECT_EQ(e.subject.device_name, "");  // DC01 wrote it; it is not the user's device
  EXPECT_EQ(e.field_or("@Computer"), "DC01.contoso.com");
  EXPECT_EQ(e.field_or("Result"), "success");
  EXPECT_EQ(e.field_or("KeyTrust"), "False");  // issued by a CA: certificate trust
  EXPECT_EQ(e.field("Failure"), nullptr);

  // A computer account's PKINIT (device key or machine certificate) names a device.
  udr::normalize(security_record(4768, {{"TargetUserName", "PC-0201$"},
                                        {"TargetSid", "S-1-5-21-1-2-3-2201"},
                                        {"Status", "0x0"},
                                        {"PreAuthType", "16"}}),
                 e);
  EXPECT_EQ(e.subject.user_sid, "");
  EXPECT_EQ(e.subject.device_name, "PC-0201");
  EXPECT_EQ(e.field("KeyTrust"), nullptr);  // no certificate fields: cannot tell

  // NULL SID (unknown account) is nobody; a UPN-form name is a UPN.
  udr::normalize(security_record(4768, {{"TargetUserName", "alex.wilber@contoso.com"},
                                        {"TargetSid", "S-1-0-0"},
                                        {"Status", "0x3e"},
                                        {"PreAuthType", "-"}}),
                 e);
  EXPECT_EQ(e.kind, "kerberos.pkinit_failed");
  EXPECT_EQ(e.subject.user_sid, "");
  EXPECT_EQ(e.subject.user_upn, "alex.wilber@contoso.com");
  EXPECT_EQ(e.field_or("Failure"), "KDC_ERR_CLIENT_NOT_TRUSTED");
}

namespace {
const std::string kUdrSamples = HT_SOURCE_DIR "/plugins/udr/samples/";
}

TEST(UdrKerberos, DomainControllerSecurityExport) {
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const auto run = plugin.parse_file(kUdrSamples + "dc-security-kerberos-eventviewer.xml");
  EXPECT_EQ(run.warnings(), 0u);
  ASSERT_EQ(run.events.size(), 4u);
  const Event& password = run.events[0];
  EXPECT_EQ(password.kind, "eventlog.record");  // PreAuthType 2
  EXPECT_EQ(password.field("Result"), nullptr);

  const Event& ok = run.events[1];
  EXPECT_EQ(ok.kind, "kerberos.pkinit");
  EXPECT_EQ(ok.event_id, 4768);
  EXPECT_EQ(ok.subject.user_sid, "S-1-5-21-3623811015-3361044348-30300820-1104");
  EXPECT_EQ(ok.subject.user_sam, "CONTOSO.COM\\awilber");
  EXPECT_EQ(ok.field_or("Result"), "success");
  EXPECT_EQ(ok.field_or("KeyTrust"), "True");  // self-signed key certificate named by SID
  // EventData first and unchanged, then the derived facts, then System facts.
  EXPECT_EQ(ok.fields.front().name, "TargetUserName");
  size_t result_at = 0, computer_at = 0, thumb_at = 0;
  for (size_t i = 0; i < ok.fields.size(); ++i) {
    if (ok.fields[i].name == "Result") result_at = i;
    if (ok.fields[i].name == "@Computer") computer_at = i;
    if (ok.fields[i].name == "CertThumbprint") thumb_at = i;
  }
  EXPECT_LT(thumb_at, result_at);
  EXPECT_LT(result_at, computer_at);

  const Event& refused = run.events[2];
  EXPECT_EQ(refused.kind, "kerberos.pkinit_failed");
  EXPECT_EQ(refused.field_or("Status"), "0x3E");
  EXPECT_EQ(refused.field_or("PreAuthType"), "-");
  EXPECT_EQ(refused.field_or("Failure"), "KDC_ERR_CLIENT_NOT_TRUSTED");
  // 0x3E: the client's certificate or its root is not trusted — not a missing key (0x4B).
  EXPECT_NE(refused.field_or("FailureReason").find("certificate or its root"), std::string::npos);
  EXPECT_EQ(refused.subject.user_sid, "S-1-5-21-3623811015-3361044348-30300820-1106");

  const Event& no_kdc_cert = run.events[3];
  EXPECT_EQ(no_kdc_cert.kind, "kerberos.pkinit_failed");
  EXPECT_EQ(no_kdc_cert.event_id, 4771);
  EXPECT_EQ(no_kdc_cert.field_or("Failure"), "KDC_ERR_PADATA_TYPE_NOSUPP");
  EXPECT_EQ(no_kdc_cert.subject.user_sam, "mbowen");  // 4771 carries no domain
  EXPECT_EQ(no_kdc_cert.field("KeyTrust"), nullptr);  // 4771 never names the certificate
}

TEST(UdrKerberos, KdcCertificateEventsNameTheDomainController) {
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const auto run = plugin.parse_file(kUdrSamples + "dc02-system-kdc-wevtutil.xml");
  EXPECT_EQ(run.warnings(), 0u);
  ASSERT_EQ(run.events.size(), 2u);
  for (const Event& e : run.events) {
    EXPECT_EQ(e.kind, "kdc.certificate");
    EXPECT_EQ(e.subject.device_name, "DC02.contoso.com");
    EXPECT_EQ(e.subject.user_sid, "");
  }
  EXPECT_EQ(run.events[0].event_id, 29);
  EXPECT_EQ(run.events[1].event_id, 19);
  eventlog::Record other;
  other.provider = "Microsoft-Windows-Kerberos-Key-Distribution-Center";
  other.event_source_name = "KDC";
  other.channel = "System";
  other.event_id = 14;  // etype mismatch: not a certificate problem
  EXPECT_EQ(udr::kind_of(other), "eventlog.record");
}

TEST(UdrKerberos, ClientKdcCertificateMismatchIsItsOwnKind) {
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const auto run = plugin.parse_file(std::string(HT_SOURCE_DIR) +
                                     "/tests/scenarios/client-kdc-certificate-untrusted/"
                                     "kerberos-operational-pc4410.xml");
  EXPECT_EQ(run.warnings(), 0u);
  ASSERT_EQ(run.events.size(), 2u);
  for (const Event& e : run.events) {
    EXPECT_EQ(e.kind, "kerberos.kdc_certificate_invalid");
    EXPECT_EQ(e.subject.device_name, "PC-4410.ad.contoso.com");
    EXPECT_EQ(e.subject.user_sid, "");  // SYSTEM is nobody
  }
  eventlog::Record other;
  other.provider = "Microsoft-Windows-Security-Kerberos";
  other.channel = "Microsoft-Windows-Kerberos/Operational";
  other.event_id = 106;
  EXPECT_EQ(udr::kind_of(other), "eventlog.record");
  other.event_id = 107;
  EXPECT_EQ(udr::kind_of(other), "kerberos.kdc_certificate_invalid");
  other.channel = "System";  // KERBEVT_BAD_KDC_CERTIFICATE
  other.event_id = 9;
  EXPECT_EQ(udr::kind_of(other), "kerberos.kdc_certificate_invalid");
}

TEST(UdrKerberos, RealPasswordSprayLogHasNoPkinit) {
  // A real DC Security log (EVTX-ATTACK-SAMPLES): 9 TGT requests (4768) and 2
  // pre-authentication failures (4771), all password-based. None may pass for a
  // Windows Hello sign-in. (The corpus holds no real PKINIT record.)
  const std::string path = corpus_file("attack__kerberos_pwd_spray_4771.evtx");
  REQUIRE_CORPUS(path);
  harness::PluginUnderTest plugin(ht_plugin_udr());
  const auto run = plugin.parse_file(path);
  size_t tgt = 0, preauth = 0;
  for (const Event& e : run.events) {
    if (e.event_id == 4768) ++tgt;
    if (e.event_id == 4771) {
      ++preauth;
      EXPECT_EQ(e.field_or("PreAuthType"), "2");
      EXPECT_EQ(e.field_or("Status"), "0x00000018");
    }
    EXPECT_EQ(e.kind, "eventlog.record") << e.event_id << " " << e.field_or("TargetUserName");
  }
  EXPECT_EQ(tgt, 9u);
  EXPECT_EQ(preauth, 2u);
}
