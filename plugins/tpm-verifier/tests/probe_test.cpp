// The tpm-verifier plugin's probe() through the in-process harness, against a real swtpm.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <hellotrace/plugin_testing.hpp>
#include <hellotrace/time.hpp>
#include <nlohmann/json.hpp>

#include "swtpm.hpp"
#include "verifier.hpp"

extern "C" const ht_plugin* ht_plugin_tpm_verifier(void);

namespace tpmv = hellotrace::tpmv;
using hellotrace::Event;
using hellotrace::harness::ParseRun;
using hellotrace::harness::PluginUnderTest;
using tpmv::testing::SwtpmTest;

namespace {

const Event* find(const ParseRun& run, std::string_view kind) {
  for (const auto& e : run.events)
    if (e.kind == kind) return &e;
  return nullptr;
}

std::string dump(const ParseRun& run) {
  std::string s;
  for (const auto& d : run.diagnostics) s += d.message + "\n";
  return s;
}

int64_t now() { return static_cast<int64_t>(::time(nullptr)) * hellotrace::time::kTicksPerSecond; }

class ProbeTest : public SwtpmTest {
 protected:
  ParseRun probe(nlohmann::json options) const {
    options["tcti"] = tcti();
    return plugin_.probe(options.dump());
  }
  PluginUnderTest plugin_{ht_plugin_tpm_verifier()};
};

TEST_F(ProbeTest, EmitsInfoAndAttestation) {
  const int64_t before = now();
  // ECC for both keys keeps the test fast; RSA is covered by the library tests.
  const ParseRun run = probe({{"device", "PC-0517"}, {"key_algorithm", "ecc"}});
  ASSERT_EQ(run.status, HT_OK) << dump(run);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.warnings(), 0u) << dump(run);

  const Event* info = find(run, "tpm.info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->subject.device_name, "PC-0517");
  EXPECT_GE(info->time, before);
  EXPECT_LE(info->time, now() + hellotrace::time::kTicksPerSecond);
  EXPECT_EQ(info->field_or("TpmPresent"), "True");
  EXPECT_EQ(info->field_or("TpmReady"), "True");
  EXPECT_EQ(info->field_or("ManufacturerIdTxt"), "IBM");
  EXPECT_EQ(info->field_or("ManufacturerId"), "1229081856");  // 0x49424D00, "IBM\0"
  EXPECT_EQ(info->field_or("TpmVersion"), "2.0");
  EXPECT_EQ(info->field_or("Source"), "probe");
  EXPECT_EQ(info->field_or("LockedOut"), "False");
  EXPECT_EQ(info->field_or("LockoutCount"), "0");
  EXPECT_NE(info->field_or("LockoutMax"), "0");
  EXPECT_FALSE(info->field_or("LockoutHealTime").empty());
  EXPECT_EQ(info->field_or("Tcti"), tcti());
  {
    // "a.b.c.d", the same in both version fields.
    const std::string v(info->field_or("ManufacturerVersion"));
    EXPECT_EQ(std::count(v.begin(), v.end(), '.'), 3) << v;
    EXPECT_EQ(info->field_or("ManufacturerVersionFull20"), v);
  }

  const Event* att = find(run, "tpm.attestation");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->subject.device_name, "PC-0517");
  EXPECT_EQ(att->time, info->time);
  EXPECT_EQ(att->field_or("Verified"), "True") << att->field_or("ReasonDetail");
  EXPECT_EQ(att->field_or("Reason"), "verified");
  EXPECT_EQ(att->field_or("AttestationKeyAlgorithm"), "ECC NIST P-256");
  EXPECT_EQ(att->field_or("AttestationKeyHierarchy"), "endorsement");
  EXPECT_EQ(att->field_or("KeyAlgorithm"), "ECC NIST P-256");
  EXPECT_EQ(att->field_or("KeyHierarchy"), "owner");
  EXPECT_EQ(att->field_or("Nonce").size(), 64u);  // 32 bytes in hex
  EXPECT_EQ(att->field_or("RocaVulnerable"), "NotApplicable");
  // sha256 name: 000b || 32-byte digest, in hex.
  EXPECT_EQ(att->field_or("CertifiedName").substr(0, 4), "000b");
  EXPECT_EQ(att->field_or("CertifiedName").size(), 68u);

  tpmv::Tpm tpm(tcti());
  EXPECT_TRUE(tpm.handles(TPM2_TRANSIENT_FIRST).empty()) << "probe left objects in the TPM";
}

TEST_F(ProbeTest, DefaultsToHostNameAndRsaKey) {
  const ParseRun run = probe(nlohmann::json::object());
  ASSERT_EQ(run.status, HT_OK) << dump(run);
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  ASSERT_EQ(run.events.size(), 2u);
  for (const auto& e : run.events) EXPECT_EQ(e.subject.device_name, host);
  const Event* att = find(run, "tpm.attestation");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->field_or("Verified"), "True") << att->field_or("ReasonDetail");
  EXPECT_EQ(att->field_or("KeyAlgorithm"), "RSA 2048");  // as WHfB creates
  EXPECT_EQ(att->field_or("RocaVulnerable"), "False");
}

TEST_F(ProbeTest, LockedOutTpmIsReportedAndStillAttested) {
  {
    tpmv::Tpm tpm(tcti());
    const uint32_t max = tpm.properties().max_auth_fail;
    ASSERT_GT(max, 0u);
    ASSERT_LE(max, 32u) << "swtpm's default maxTries changed; this test drives it to lockout";
    const auto pin = tpmv::testing::PinKey::create(tpm);
    for (uint32_t i = 0; i < max; ++i) pin.sign_with_wrong_pin(tpm);
    ASSERT_TRUE(tpm.properties().in_lockout());
  }
  const ParseRun run = probe({{"key_algorithm", "ecc"}});
  ASSERT_EQ(run.status, HT_OK) << dump(run);
  const Event* info = find(run, "tpm.info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->field_or("LockedOut"), "True");
  EXPECT_EQ(info->field_or("LockoutCount"), info->field_or("LockoutMax"));
  // The probe's keys are exempt from DA (noDA), so lockout does not stop attestation.
  const Event* att = find(run, "tpm.attestation");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->field_or("Verified"), "True") << att->field_or("ReasonDetail");
}

TEST_F(ProbeTest, FallsBackToNullHierarchyWhenAuthIsSet) {
  {
    // As on a TPM whose owner (e.g. Windows) set hierarchy authorizations. This swtpm is
    // thrown away after the test; the plugin itself never changes an authorization.
    tpmv::Tpm tpm(tcti());
    TPM2B_AUTH secret{};
    secret.size = 6;
    std::memcpy(secret.buffer, "secret", 6);
    for (ESYS_TR h : {ESYS_TR_RH_OWNER, ESYS_TR_RH_ENDORSEMENT})
      ASSERT_EQ(Esys_HierarchyChangeAuth(tpm.esys(), h, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                         ESYS_TR_NONE, &secret),
                TSS2_RC_SUCCESS);
  }
  const ParseRun run = probe({{"key_algorithm", "ecc"}});
  ASSERT_EQ(run.status, HT_OK) << dump(run);
  const Event* info = find(run, "tpm.info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->field_or("OwnerAuthSet"), "True");
  EXPECT_EQ(info->field_or("EndorsementAuthSet"), "True");
  const Event* att = find(run, "tpm.attestation");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->field_or("Verified"), "True") << att->field_or("ReasonDetail");
  EXPECT_EQ(att->field_or("AttestationKeyHierarchy"), "null");
  EXPECT_EQ(att->field_or("KeyHierarchy"), "null");
  EXPECT_NE(att->field_or("Notes").find("owner hierarchy has an authorization value"),
            std::string::npos)
      << att->field_or("Notes");
  EXPECT_EQ(run.warnings(), 0u) << "the fallback is informational: " << dump(run);
  // No wrong authorization was sent: nothing counted against the lockout.
  EXPECT_EQ(info->field_or("LockoutCount"), "0");
}

TEST_F(ProbeTest, BadOptionFailsNamingIt) {
  const ParseRun run = probe({{"ak_algorithm", "dsa"}});
  EXPECT_EQ(run.status, HT_FAILED);
  EXPECT_TRUE(run.events.empty());
  ASSERT_FALSE(run.diagnostics.empty());
  EXPECT_NE(run.diagnostics[0].message.find("ak_algorithm"), std::string::npos) << dump(run);
}

TEST(Probe, UnreachableTpmFailsNamingTheTcti) {
  const std::string tcti =
      "swtpm:host=127.0.0.1,port=" + std::to_string(tpmv::testing::closed_port());
  PluginUnderTest plugin(ht_plugin_tpm_verifier());
  const ParseRun run = plugin.probe(nlohmann::json{{"tcti", tcti}}.dump());
  EXPECT_EQ(run.status, HT_FAILED);
  EXPECT_TRUE(run.events.empty());
  ASSERT_EQ(run.diagnostics.size(), 1u);
  EXPECT_EQ(run.diagnostics[0].severity, HT_DIAG_ERROR);
  EXPECT_NE(run.diagnostics[0].message.find(tcti), std::string::npos) << dump(run);
}

}  // namespace
