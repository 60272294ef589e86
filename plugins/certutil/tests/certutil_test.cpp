// In-process tests of the certutil plugin: the readers on real-shaped samples (samples/) and
// the NTAuth analyzer on what they produce, built as the host builds its input.
#include "certutil.hpp"

#include <gtest/gtest.h>

#include <hellotrace/analysis_input.hpp>
#include <hellotrace/plugin_testing.hpp>

extern "C" const ht_plugin* ht_plugin_certutil(void);

using hellotrace::Event;
using hellotrace::harness::ParseRun;
using hellotrace::harness::PluginUnderTest;
using json = nlohmann::json;

namespace {

const PluginUnderTest& plugin() {
  static PluginUnderTest p(ht_plugin_certutil());
  return p;
}

std::string sample(std::string_view name) {
  return std::string(HT_SOURCE_DIR) + "/plugins/certutil/samples/" + std::string(name);
}

std::string f(const Event& e, std::string_view name) {
  const std::string* v = e.field(name);
  return v ? *v : std::string("<missing>");
}

json input_of(std::initializer_list<const ParseRun*> runs) {
  hellotrace::analysis::ojson events = hellotrace::analysis::ojson::array();
  for (const ParseRun* r : runs)
    hellotrace::analysis::append_events(events, r->events, "certutil", "bundle/x.txt");
  return json::parse(hellotrace::analysis::input_json(std::move(events)).dump());
}

}  // namespace

TEST(Certutil, DcInfoVerifyKdcCertificates) {
  const ParseRun r = plugin().parse_file(sample("dcinfo-verify.txt"));
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_EQ(r.warnings(), 0u);
  ASSERT_EQ(r.events.size(), 2u);  // the enterprise roots are not KDC certificates
  const Event& dc02 = r.events[1];
  EXPECT_EQ(dc02.kind, "pki.kdc_certificate");
  EXPECT_EQ(dc02.subject.device_name, "DC02");
  EXPECT_EQ(f(dc02, "Issuer"), "CN=Contoso Issuing CA 02, DC=corp, DC=contoso, DC=com");
  EXPECT_EQ(f(dc02, "Certificate Template Name (Certificate Type)"), "KerberosAuthentication");
  EXPECT_EQ(f(dc02, "Verify"), "valid");
  EXPECT_EQ(dc02.origin.line, 42u);  // "  Certificate 0:" under DC02's KDC heading
}

TEST(Certutil, DcInfoVerifyErrorsAreNamed) {
  const ParseRun r = plugin().parse_file(sample("dcinfo-revocation-offline.txt"));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(f(r.events[0], "Verify"), "valid");
  EXPECT_EQ(f(r.events[1], "Verify"), "failed");
  EXPECT_EQ(f(r.events[1], "VerifyError"), "CRYPT_E_REVOCATION_OFFLINE");
}

TEST(Certutil, NtAuthStoreListing) {
  const ParseRun r = plugin().parse_file(sample("ntauth-store.txt"));
  EXPECT_EQ(r.warnings(), 0u);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[1].kind, "pki.store_certificate");
  EXPECT_EQ(f(r.events[1], "Store"), "NTAuth");
  EXPECT_EQ(f(r.events[1], "Subject"), "CN=Contoso Issuing CA 01, DC=corp, DC=contoso, DC=com");
  EXPECT_EQ(r.events[1].origin.line, 14u);
  EXPECT_EQ(r.events[2].kind, "pki.store");
  EXPECT_EQ(f(r.events[2], "Certificates"), "2");
  EXPECT_EQ(f(r.events[2], "Complete"), "True");
}

TEST(Certutil, CutListingWarnsAndProvesNothing) {
  std::string text = PluginUnderTest::read_file(sample("ntauth-store.txt"));
  text = text.substr(0, text.find("CertUtil:"));
  const ParseRun cut = plugin().parse(text);
  EXPECT_EQ(cut.warnings(), 1u);
  EXPECT_EQ(cut.events.size(), 3u);  // what was read is kept
  EXPECT_EQ(f(cut.events.back(), "Complete"), "False");
  const ParseRun dcinfo = plugin().parse_file(sample("dcinfo-verify.txt"));
  EXPECT_TRUE(plugin().analyze(input_of({&dcinfo, &cut})).findings.empty());
}

TEST(Certutil, AnalyzerFindsTheIssuerMissingFromNtAuth) {
  const ParseRun dcinfo = plugin().parse_file(sample("dcinfo-verify.txt"));
  const ParseRun store = plugin().parse_file(sample("ntauth-store.txt"));
  const auto out = plugin().analyze(input_of({&dcinfo, &store}));
  EXPECT_EQ(out.status, HT_OK);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0]["rule"], "signin.ntauth_missing");
  EXPECT_EQ(out.findings[0]["device"]["name"], "DC02");
  EXPECT_EQ(out.findings[0]["evidence"].size(), 2u);
  // Without any NTAuth listing nothing is missing.
  EXPECT_TRUE(plugin().analyze(input_of({&dcinfo})).findings.empty());
}

TEST(Certutil, DistinguishedNamesCompareAsNames) {
  using hellotrace::certutil::normalize_dn;
  EXPECT_EQ(normalize_dn("CN=Contoso Issuing CA 01, DC=corp, DC=contoso"),
            normalize_dn("cn=contoso issuing ca 01,dc=corp,DC=Contoso "));
  EXPECT_NE(normalize_dn("CN=Contoso Issuing CA 01"), normalize_dn("CN=Contoso Issuing CA 010"));
}

TEST(Certutil, SniffAndForeignInput) {
  EXPECT_EQ(plugin().sniff(PluginUnderTest::read_file(sample("dcinfo-verify.txt")), "a.txt"), 90);
  EXPECT_EQ(plugin().sniff(PluginUnderTest::read_file(sample("ntauth-store.txt")), "a.txt"), 85);
  EXPECT_EQ(plugin().sniff("AzureAdJoined : YES\n", "dsregcmd.txt"), 0);
  const ParseRun r = plugin().parse("hello\n");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.events.empty());
  EXPECT_FALSE(r.diagnostics.empty());
}
