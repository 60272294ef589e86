// tpm-verifier library against a real swtpm: properties, TPM2_Certify verified in
// software, and each tampering of the evidence failing with its own reason.
//
// Tampering that changes TPMS_ATTEST also breaks the TPM's signature, which would hide
// the check under test behind the signature check. Those cases re-sign the altered
// bytes with a software "AK" (an OpenSSL P-256 key wearing a restricted-signing
// TPMT_PUBLIC), and a control case shows that the re-signed, unaltered evidence
// verifies, so each failure is due to the one alteration.
#include "verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "swtpm.hpp"

namespace tpmv = hellotrace::tpmv;
using tpmv::Bytes;
using tpmv::Reason;
using tpmv::testing::SwtpmTest;

namespace {

// A software key posing as an AK: lets a test sign TPMS_ATTEST bytes of its choosing.
class SoftAk {
 public:
  explicit SoftAk(bool restricted = true) : key_(EVP_EC_gen("P-256"), &EVP_PKEY_free) {
    if (!key_) throw std::runtime_error("EVP_EC_gen failed");
    TPMT_PUBLIC pub =
        tpmv::key_template(tpmv::KeyAlg::kEcc, tpmv::KeyRole::kAttestation, true).publicArea;
    if (!restricted) pub.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    pub.unique.ecc.x.size = pub.unique.ecc.y.size = 32;
    BN_bn2binpad(x, pub.unique.ecc.x.buffer, 32);
    BN_bn2binpad(y, pub.unique.ecc.y.buffer, 32);
    BN_free(x);
    BN_free(y);
    public_ = tpmv::marshal(pub);
  }
  const Bytes& public_area() const { return public_; }

  // ECDSA-SHA256 over `data` as a marshaled TPMT_SIGNATURE.
  Bytes sign(const Bytes& data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    size_t len = 0;
    EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()), 1);
    EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()), 1);
    Bytes der(len);
    EXPECT_EQ(EVP_DigestSign(ctx.get(), der.data(), &len, data.data(), data.size()), 1);
    const uint8_t* p = der.data();
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)), &ECDSA_SIG_free);
    TPMT_SIGNATURE s{};
    s.sigAlg = TPM2_ALG_ECDSA;
    s.signature.ecdsa.hash = TPM2_ALG_SHA256;
    s.signature.ecdsa.signatureR.size = s.signature.ecdsa.signatureS.size = 32;
    BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), s.signature.ecdsa.signatureR.buffer, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), s.signature.ecdsa.signatureS.buffer, 32);
    return tpmv::marshal(s);
  }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  Bytes public_;
};

// One real attestation (ECC AK, ECC key: fast on swtpm) for the tampering tests.
class AttestedTpm : public SwtpmTest {
 protected:
  void SetUp() override {
    SwtpmTest::SetUp();
    if (HasFatalFailure()) return;
    tpmv::Tpm tpm(tcti());
    a_ = tpm.attest({tpmv::KeyAlg::kEcc, tpmv::KeyAlg::kEcc});
    ASSERT_TRUE(a_.verdict.ok()) << a_.verdict.detail;
  }
  tpmv::Verdict verify() const {
    return tpmv::verify_certify(a_.attest, a_.signature, a_.ak_public, a_.key_public, a_.nonce);
  }
  // The attestation re-signed by `ak` after `change` altered the parsed TPMS_ATTEST.
  tpmv::Verdict verify_resigned(const SoftAk& ak, void (*change)(TPMS_ATTEST&)) const {
    auto parsed = tpmv::unmarshal_attest(a_.attest);
    EXPECT_TRUE(parsed);
    change(*parsed);
    const Bytes attest = tpmv::marshal(*parsed);
    return tpmv::verify_certify(attest, ak.sign(attest), ak.public_area(), a_.key_public, a_.nonce);
  }
  tpmv::Attestation a_;
};

TEST_F(SwtpmTest, ReadsProperties) {
  tpmv::Tpm tpm(tcti());
  const tpmv::Properties p = tpm.properties();
  EXPECT_EQ(p.manufacturer_text, "IBM");  // libtpms reports "IBM\0"
  EXPECT_EQ(p.manufacturer, 0x49424d00u);
  EXPECT_EQ(p.family, "2.0");
  EXPECT_GT(p.spec_revision, 100u);  // e.g. 1.59 → 159
  EXPECT_EQ(p.firmware_version(),
            std::to_string(p.firmware1 >> 16) + "." + std::to_string(p.firmware1 & 0xffff) + "." +
                std::to_string(p.firmware2 >> 16) + "." + std::to_string(p.firmware2 & 0xffff));
  EXPECT_NE(p.firmware1, 0u);
  // Variable properties come after the fixed ones: reading them proves the paging.
  EXPECT_GT(p.max_auth_fail, 0u);
  EXPECT_GT(p.lockout_interval, 0u);
  EXPECT_EQ(p.lockout_counter, 0u);
  EXPECT_FALSE(p.in_lockout());
  EXPECT_FALSE(p.owner_auth_set());
  EXPECT_TRUE(p.storage_enabled());
  EXPECT_TRUE(p.endorsement_enabled());
}

TEST(FirmwareVersion, SplitsHighAndLowHalves) {
  tpmv::Properties p;
  p.firmware1 = (7u << 16) | 63u;
  p.firmware2 = (3353u << 16) | 0u;
  EXPECT_EQ(p.firmware_version(), "7.63.3353.0");
  p.spec_revision = 159;
  EXPECT_EQ(p.spec_revision_text(), "1.59");
}

TEST_F(SwtpmTest, EccAttestationVerifiesAndLeavesNothingBehind) {
  tpmv::Tpm tpm(tcti());
  const auto persistent_before = tpm.handles(TPM2_PERSISTENT_FIRST);
  const tpmv::Attestation a = tpm.attest({tpmv::KeyAlg::kEcc, tpmv::KeyAlg::kEcc});
  EXPECT_TRUE(a.verdict.ok()) << tpmv::reason_code(a.verdict.reason) << ": " << a.verdict.detail;
  EXPECT_EQ(a.ak_algorithm, "ECC NIST P-256");
  EXPECT_EQ(a.key_algorithm, "ECC NIST P-256");
  EXPECT_EQ(a.ak_hierarchy_used, tpmv::Hierarchy::kEndorsement);
  EXPECT_EQ(a.key_hierarchy_used, tpmv::Hierarchy::kOwner);
  EXPECT_TRUE(a.notes.empty());
  EXPECT_FALSE(a.roca_vulnerable.has_value());
  EXPECT_EQ(a.nonce.size(), 32u);
  EXPECT_EQ(a.verdict.certified_name, tpmv::object_name(a.key_public));
  EXPECT_TRUE(tpm.handles(TPM2_TRANSIENT_FIRST).empty()) << "transient objects left in the TPM";
  EXPECT_EQ(tpm.handles(TPM2_PERSISTENT_FIRST), persistent_before);
  // A second run uses a new nonce.
  const tpmv::Attestation b = tpm.attest({tpmv::KeyAlg::kEcc, tpmv::KeyAlg::kEcc});
  EXPECT_TRUE(b.verdict.ok());
  EXPECT_NE(a.nonce, b.nonce);
}

TEST_F(SwtpmTest, RsaAttestationVerifiesAndRunsRoca) {
  tpmv::Tpm tpm(tcti());
  const tpmv::Attestation a = tpm.attest({tpmv::KeyAlg::kRsa, tpmv::KeyAlg::kRsa});
  EXPECT_TRUE(a.verdict.ok()) << tpmv::reason_code(a.verdict.reason) << ": " << a.verdict.detail;
  EXPECT_EQ(a.ak_algorithm, "RSA 2048");
  EXPECT_EQ(a.key_algorithm, "RSA 2048");
  ASSERT_TRUE(a.roca_vulnerable.has_value());
  EXPECT_FALSE(*a.roca_vulnerable);  // libtpms generates RSA keys with OpenSSL
  const auto sig = tpmv::unmarshal_signature(a.signature);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->sigAlg, TPM2_ALG_RSASSA);
  EXPECT_TRUE(tpm.handles(TPM2_TRANSIENT_FIRST).empty());
}

TEST_F(SwtpmTest, ObjectNameIsTheTpmsName) {
  tpmv::Tpm tpm(tcti());
  const tpmv::Key parent =
      tpm.create_primary(tpmv::Hierarchy::kNull,
                         tpmv::key_template(tpmv::KeyAlg::kEcc, tpmv::KeyRole::kStorage, true));
  const tpmv::Key key = tpm.create_and_load(
      parent, tpmv::key_template(tpmv::KeyAlg::kEcc, tpmv::KeyRole::kSigning, true));
  TPM2B_NAME* raw = nullptr;
  ASSERT_EQ(Esys_TR_GetName(tpm.esys(), key.handle.get(), &raw), TSS2_RC_SUCCESS);
  tpmv::EsysPtr<TPM2B_NAME> name(raw);
  EXPECT_EQ(tpmv::object_name(tpmv::marshal(key.public_area)),
            Bytes(name->name, name->name + name->size));
}

TEST(Verify, RejectsUnmarshalableInput) {
  const Bytes junk = {1, 2, 3};
  EXPECT_EQ(tpmv::verify_certify({}, {}, {}, {}, {}).reason, Reason::kMalformed);
  EXPECT_EQ(tpmv::verify_certify(junk, junk, junk, junk, junk).reason, Reason::kMalformed);
  EXPECT_FALSE(tpmv::object_name(junk));
}

TEST_F(AttestedTpm, FlippedSignatureByteFails) {
  a_.signature.back() ^= 0x01;
  const auto v = verify();
  EXPECT_EQ(v.reason, Reason::kSignatureInvalid) << v.detail;
}

TEST_F(AttestedTpm, FlippedAttestByteFails) {
  a_.attest[a_.attest.size() / 2] ^= 0x80;
  EXPECT_EQ(verify().reason, Reason::kSignatureInvalid);
}

TEST_F(AttestedTpm, OtherAkFails) {
  EXPECT_EQ(
      tpmv::verify_certify(a_.attest, a_.signature, SoftAk().public_area(), a_.key_public, a_.nonce)
          .reason,
      Reason::kSignatureInvalid);
}

TEST_F(AttestedTpm, WrongNonceFails) {
  a_.nonce[0] ^= 0xff;
  const auto v = verify();
  EXPECT_EQ(v.reason, Reason::kNonceMismatch) << v.detail;
  a_.nonce.pop_back();  // a shorter nonce as well
  EXPECT_EQ(verify().reason, Reason::kNonceMismatch);
}

TEST_F(AttestedTpm, OtherKeyPublicFails) {
  tpmv::Tpm tpm(tcti());
  const tpmv::Key parent =
      tpm.create_primary(tpmv::Hierarchy::kOwner,
                         tpmv::key_template(tpmv::KeyAlg::kEcc, tpmv::KeyRole::kStorage, true));
  const tpmv::Key other = tpm.create_and_load(
      parent, tpmv::key_template(tpmv::KeyAlg::kEcc, tpmv::KeyRole::kSigning, true));
  const auto v = tpmv::verify_certify(a_.attest, a_.signature, a_.ak_public,
                                      tpmv::marshal(other.public_area), a_.nonce);
  EXPECT_EQ(v.reason, Reason::kNameMismatch) << v.detail;
  EXPECT_EQ(v.certified_name, tpmv::object_name(a_.key_public));
}

TEST_F(AttestedTpm, AlteredKeyAttributesFail) {
  // The same key claimed without fixedTPM: the name covers the attributes.
  auto pub = tpmv::unmarshal_public(a_.key_public);
  ASSERT_TRUE(pub);
  pub->objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
  a_.key_public = tpmv::marshal(*pub);
  EXPECT_EQ(verify().reason, Reason::kNameMismatch);
}

TEST_F(AttestedTpm, ResignedUnalteredEvidenceVerifies) {
  // Control for the re-signed cases below.
  const auto v = verify_resigned(SoftAk(), [](TPMS_ATTEST&) {});
  EXPECT_TRUE(v.ok()) << tpmv::reason_code(v.reason) << ": " << v.detail;
}

TEST_F(AttestedTpm, WrongMagicFails) {
  const SoftAk ak;
  const auto v = verify_resigned(ak, [](TPMS_ATTEST& a) { a.magic = 0x12345678; });
  EXPECT_EQ(v.reason, Reason::kMagicMismatch) << v.detail;
  // Without re-signing, the signature check catches it first.
  Bytes attest = a_.attest;
  attest[0] ^= 0x01;
  EXPECT_EQ(
      tpmv::verify_certify(attest, a_.signature, a_.ak_public, a_.key_public, a_.nonce).reason,
      Reason::kSignatureInvalid);
}

TEST_F(AttestedTpm, WrongTypeFails) {
  // A quote is another attestation of the same AK; it must not pass as a certify.
  Bytes attest = a_.attest;
  attest[4] = 0x80;
  attest[5] = 0x18;  // TPM_ST_ATTEST_QUOTE
  const SoftAk ak;
  const auto v =
      tpmv::verify_certify(attest, ak.sign(attest), ak.public_area(), a_.key_public, a_.nonce);
  EXPECT_EQ(v.reason, Reason::kTypeMismatch) << v.detail;
}

TEST_F(AttestedTpm, UnrestrictedAkFails) {
  const auto v = verify_resigned(SoftAk(/*restricted=*/false), [](TPMS_ATTEST&) {});
  EXPECT_EQ(v.reason, Reason::kAkNotRestricted) << v.detail;
}

TEST_F(AttestedTpm, TrailingBytesFail) {
  Bytes attest = a_.attest;
  attest.push_back(0);
  const SoftAk ak;
  EXPECT_EQ(tpmv::verify_certify(attest, ak.sign(attest), ak.public_area(), a_.key_public, a_.nonce)
                .reason,
            Reason::kMalformed);
}

TEST_F(AttestedTpm, KeyThatCanLeaveTheTpmFails) {
  // A certify of a key whose public area says it may be duplicated out of the TPM: the
  // name matches (signed by the soft AK) but the attributes disqualify it.
  auto pub = tpmv::unmarshal_public(a_.key_public);
  ASSERT_TRUE(pub);
  pub->objectAttributes &= ~(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT);
  a_.key_public = tpmv::marshal(*pub);
  const Bytes name = *tpmv::object_name(a_.key_public);
  auto parsed = tpmv::unmarshal_attest(a_.attest);
  ASSERT_TRUE(parsed);
  parsed->attested.certify.name.size = static_cast<UINT16>(name.size());
  std::copy(name.begin(), name.end(), parsed->attested.certify.name.name);
  const Bytes attest = tpmv::marshal(*parsed);
  const SoftAk ak;
  const auto v =
      tpmv::verify_certify(attest, ak.sign(attest), ak.public_area(), a_.key_public, a_.nonce);
  EXPECT_EQ(v.reason, Reason::kKeyNotTpmBound) << v.detail;
}

TEST(Tpm, UnreachableTctiNamesIt) {
  const std::string tcti =
      "swtpm:host=127.0.0.1,port=" + std::to_string(tpmv::testing::closed_port());
  try {
    tpmv::Tpm tpm(tcti);
    FAIL() << "a TPM answered on a closed port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(tcti), std::string::npos) << e.what();
  }
}

TEST_F(SwtpmTest, WrongAuthRaisesLockoutCounter) {
  tpmv::Tpm tpm(tcti());
  const uint32_t before = tpm.properties().lockout_counter;
  const auto pin = tpmv::testing::PinKey::create(tpm);
  const TSS2_RC rc = pin.sign_with_wrong_pin(tpm);
  EXPECT_EQ(rc & (TPM2_RC_FMT1 | 0x3f), TPM2_RC_AUTH_FAIL) << std::hex << rc;
  EXPECT_EQ(tpm.properties().lockout_counter, before + 1);
}

}  // namespace
