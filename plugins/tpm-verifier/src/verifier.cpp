// tpm-verifier library (see verifier.hpp).
#include "verifier.hpp"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include <algorithm>
#include <cstring>
#include <hellotrace/keycredlink/keycredlink.hpp>
#include <utility>

namespace hellotrace::tpmv {

void check(TSS2_RC rc, const std::string& what) {
  if (rc == TSS2_RC_SUCCESS) return;
  throw TpmError(fmt::format("{}: {} (0x{:x})", what, Tss2_RC_Decode(rc), rc), rc);
}

const char* reason_code(Reason r) {
  switch (r) {
    case Reason::kVerified:
      return "verified";
    case Reason::kMalformed:
      return "malformed";
    case Reason::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case Reason::kAkNotRestricted:
      return "ak_not_restricted";
    case Reason::kSignatureInvalid:
      return "signature_invalid";
    case Reason::kMagicMismatch:
      return "magic_mismatch";
    case Reason::kTypeMismatch:
      return "type_mismatch";
    case Reason::kNonceMismatch:
      return "nonce_mismatch";
    case Reason::kNameMismatch:
      return "name_mismatch";
    case Reason::kKeyNotTpmBound:
      return "key_not_tpm_bound";
    case Reason::kTpmError:
      return "tpm_error";
  }
  return "unknown";
}

// ---- marshaling ---------------------------------------------------------------------

namespace {

template <class T, class Fn>
Bytes marshal_with(const T& value, Fn fn, const char* what) {
  Bytes buf(sizeof(T) + 64);  // the wire form is never larger than the C structure
  size_t offset = 0;
  check(fn(&value, buf.data(), buf.size(), &offset), what);
  buf.resize(offset);
  return buf;
}

// Unmarshals exactly the whole buffer: trailing bytes would let two different byte
// strings carry one structure, and the signature and name are over bytes.
template <class T, class Fn>
std::optional<T> unmarshal_with(std::span<const uint8_t> bytes, Fn fn) {
  if (bytes.empty()) return std::nullopt;
  T value{};
  size_t offset = 0;
  if (fn(bytes.data(), bytes.size(), &offset, &value) != TSS2_RC_SUCCESS || offset != bytes.size())
    return std::nullopt;
  return value;
}

}  // namespace

Bytes marshal(const TPMT_PUBLIC& p) {
  return marshal_with(p, Tss2_MU_TPMT_PUBLIC_Marshal, "marshal TPMT_PUBLIC");
}
Bytes marshal(const TPMT_SIGNATURE& s) {
  return marshal_with(s, Tss2_MU_TPMT_SIGNATURE_Marshal, "marshal TPMT_SIGNATURE");
}
Bytes marshal(const TPMS_ATTEST& a) {
  return marshal_with(a, Tss2_MU_TPMS_ATTEST_Marshal, "marshal TPMS_ATTEST");
}
std::optional<TPMT_PUBLIC> unmarshal_public(std::span<const uint8_t> bytes) {
  return unmarshal_with<TPMT_PUBLIC>(bytes, Tss2_MU_TPMT_PUBLIC_Unmarshal);
}
std::optional<TPMT_SIGNATURE> unmarshal_signature(std::span<const uint8_t> bytes) {
  return unmarshal_with<TPMT_SIGNATURE>(bytes, Tss2_MU_TPMT_SIGNATURE_Unmarshal);
}
std::optional<TPMS_ATTEST> unmarshal_attest(std::span<const uint8_t> bytes) {
  return unmarshal_with<TPMS_ATTEST>(bytes, Tss2_MU_TPMS_ATTEST_Unmarshal);
}

// ---- software crypto ------------------------------------------------------------------

namespace {

const EVP_MD* md_for(TPMI_ALG_HASH alg) {
  switch (alg) {
    case TPM2_ALG_SHA1:
      return EVP_sha1();
    case TPM2_ALG_SHA256:
      return EVP_sha256();
    case TPM2_ALG_SHA384:
      return EVP_sha384();
    case TPM2_ALG_SHA512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

struct Curve {
  const char* openssl_name;
  const char* label;
  size_t bytes;
};
std::optional<Curve> curve_for(TPMI_ECC_CURVE id) {
  switch (id) {
    case TPM2_ECC_NIST_P256:
      return Curve{"P-256", "NIST P-256", 32};
    case TPM2_ECC_NIST_P384:
      return Curve{"P-384", "NIST P-384", 48};
    case TPM2_ECC_NIST_P521:
      return Curve{"P-521", "NIST P-521", 66};
    default:
      return std::nullopt;
  }
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Builds an OpenSSL public key from a TPMT_PUBLIC (RSA or ECC). Sets `why` when it
// cannot; an ECC point that is not on the curve is refused by OpenSSL here.
Pkey public_key(const TPMT_PUBLIC& p, Reason& reason, std::string& why) {
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> n(nullptr, &BN_free), e(nullptr, &BN_free);
  Bytes point;
  const char* type = nullptr;
  if (p.type == TPM2_ALG_RSA) {
    type = "RSA";
    const auto& rsa = p.unique.rsa;
    n.reset(BN_bin2bn(rsa.buffer, rsa.size, nullptr));
    e.reset(BN_new());
    // Exponent 0 means the default 2^16 + 1 (TPM 2.0 Part 2, TPMS_RSA_PARMS).
    const uint32_t exponent =
        p.parameters.rsaDetail.exponent ? p.parameters.rsaDetail.exponent : 65537u;
    if (!bld || !n || !e || !BN_set_word(e.get(), exponent) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
      reason = Reason::kMalformed;
      why = "cannot build the RSA public key";
      return nullptr;
    }
  } else if (p.type == TPM2_ALG_ECC) {
    type = "EC";
    const auto curve = curve_for(p.parameters.eccDetail.curveID);
    if (!curve) {
      reason = Reason::kUnsupportedAlgorithm;
      why = fmt::format("ECC curve 0x{:04x} is not supported", p.parameters.eccDetail.curveID);
      return nullptr;
    }
    const auto& x = p.unique.ecc.x;
    const auto& y = p.unique.ecc.y;
    if (x.size > curve->bytes || y.size > curve->bytes) {
      reason = Reason::kMalformed;
      why = "ECC point coordinates are larger than the curve";
      return nullptr;
    }
    // Uncompressed SEC1 point: 04 || X || Y, each left-padded to the field size.
    point.assign(1 + 2 * curve->bytes, 0);
    point[0] = 0x04;
    std::copy_n(x.buffer, x.size, point.begin() + 1 + (curve->bytes - x.size));
    std::copy_n(y.buffer, y.size, point.begin() + 1 + curve->bytes + (curve->bytes - y.size));
    if (!bld ||
        !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->openssl_name,
                                         0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size())) {
      reason = Reason::kMalformed;
      why = "cannot build the ECC public key";
      return nullptr;
    }
  } else {
    reason = Reason::kUnsupportedAlgorithm;
    why = fmt::format("key type 0x{:04x} is neither RSA nor ECC", p.type);
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    reason = Reason::kMalformed;
    why = fmt::format("the {} public key is not valid (OpenSSL refused it)", type);
    return nullptr;
  }
  return Pkey(raw);
}

// DER ECDSA-Sig-Value from the TPM's (r, s).
Bytes ecdsa_der(const TPMS_SIGNATURE_ECC& s) {
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(s.signatureR.buffer, s.signatureR.size, nullptr);
  BIGNUM* ss = BN_bin2bn(s.signatureS.buffer, s.signatureS.size, nullptr);
  if (!sig || !r || !ss || ECDSA_SIG_set0(sig.get(), r, ss) != 1) {
    BN_free(r);
    BN_free(ss);
    return {};
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  Bytes der(static_cast<size_t>(len));
  uint8_t* out = der.data();
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

// Verifies `sig` over `data` with the AK. Reason::kVerified when it holds.
std::pair<Reason, std::string> check_signature(const TPMT_PUBLIC& ak, const TPMT_SIGNATURE& sig,
                                               std::span<const uint8_t> data) {
  TPMI_ALG_HASH hash = TPM2_ALG_NULL;
  Bytes raw;
  const bool rsa_sig = sig.sigAlg == TPM2_ALG_RSASSA || sig.sigAlg == TPM2_ALG_RSAPSS;
  if (rsa_sig) {
    if (ak.type != TPM2_ALG_RSA)
      return {Reason::kSignatureInvalid, "an RSA signature cannot come from this non-RSA AK"};
    hash = sig.signature.rsassa.hash;  // RSASSA and RSAPSS share TPMS_SIGNATURE_RSA
    raw.assign(sig.signature.rsassa.sig.buffer,
               sig.signature.rsassa.sig.buffer + sig.signature.rsassa.sig.size);
  } else if (sig.sigAlg == TPM2_ALG_ECDSA) {
    if (ak.type != TPM2_ALG_ECC)
      return {Reason::kSignatureInvalid, "an ECDSA signature cannot come from this non-ECC AK"};
    hash = sig.signature.ecdsa.hash;
    raw = ecdsa_der(sig.signature.ecdsa);
    if (raw.empty()) return {Reason::kMalformed, "the ECDSA signature (r, s) does not encode"};
  } else {
    return {Reason::kUnsupportedAlgorithm,
            fmt::format("signature algorithm 0x{:04x} is not supported", sig.sigAlg)};
  }
  const EVP_MD* md = md_for(hash);
  if (!md)
    return {Reason::kUnsupportedAlgorithm,
            fmt::format("signature hash 0x{:04x} is not supported", hash)};
  Reason reason = Reason::kMalformed;
  std::string why;
  Pkey key = public_key(ak, reason, why);
  if (!key) return {reason, "AK public key: " + why};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.get()) != 1)
    return {Reason::kMalformed, "OpenSSL cannot set up the signature check"};
  if (sig.sigAlg == TPM2_ALG_RSAPSS &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1))
    return {Reason::kMalformed, "OpenSSL cannot set up RSA-PSS"};
  if (EVP_DigestVerify(ctx.get(), raw.data(), raw.size(), data.data(), data.size()) != 1)
    return {Reason::kSignatureInvalid,
            "the signature over TPMS_ATTEST does not verify with the attestation key"};
  return {Reason::kVerified, {}};
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

std::string hex(std::span<const uint8_t> b) { return keycred::hex_lower(b); }

std::optional<Bytes> object_name(std::span<const uint8_t> public_area) {
  const auto pub = unmarshal_public(public_area);
  if (!pub) return std::nullopt;
  const EVP_MD* md = md_for(pub->nameAlg);
  if (!md) return std::nullopt;
  Bytes name(2 + EVP_MD_get_size(md));
  name[0] = static_cast<uint8_t>(pub->nameAlg >> 8);
  name[1] = static_cast<uint8_t>(pub->nameAlg);
  unsigned len = 0;
  // The bytes as given: unmarshal_public() accepted exactly them, and the TPM hashes
  // its own marshaled form, which is the same canonical encoding.
  if (EVP_Digest(public_area.data(), public_area.size(), name.data() + 2, &len, md, nullptr) != 1)
    return std::nullopt;
  return name;
}

Verdict verify_certify(std::span<const uint8_t> attest, std::span<const uint8_t> signature,
                       std::span<const uint8_t> ak_public, std::span<const uint8_t> key_public,
                       std::span<const uint8_t> nonce) {
  auto fail = [](Reason r, std::string detail, Bytes name = {}) {
    return Verdict{r, std::move(detail), std::move(name)};
  };
  const auto ak = unmarshal_public(ak_public);
  if (!ak) return fail(Reason::kMalformed, "the AK public area is not a TPMT_PUBLIC");
  const auto sig = unmarshal_signature(signature);
  if (!sig) return fail(Reason::kMalformed, "the signature is not a TPMT_SIGNATURE");
  const auto key = unmarshal_public(key_public);
  if (!key) return fail(Reason::kMalformed, "the key public area is not a TPMT_PUBLIC");

  // Only a restricted signing key refuses to sign data that begins with
  // TPM_GENERATED_VALUE unless the TPM produced it; an unrestricted key could sign a
  // forged TPMS_ATTEST. fixedTPM: the AK cannot have been imported from outside.
  constexpr TPMA_OBJECT kAkNeeds =
      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM;
  if ((ak->objectAttributes & kAkNeeds) != kAkNeeds || (ak->objectAttributes & TPMA_OBJECT_DECRYPT))
    return fail(Reason::kAkNotRestricted,
                fmt::format("the AK is not a fixedTPM restricted signing key (attributes 0x{:08x})",
                            ak->objectAttributes));

  // The signature first: nothing in TPMS_ATTEST means anything before it is known to
  // come from the AK.
  if (auto [r, why] = check_signature(*ak, *sig, attest); r != Reason::kVerified)
    return fail(r, why);

  // Magic and type read from the raw bytes: a structure of another type may not even
  // unmarshal as a certify structure, and that deserves its own reason.
  if (attest.size() < 6) return fail(Reason::kMalformed, "TPMS_ATTEST is shorter than its header");
  if (const uint32_t magic = be32(attest.data()); magic != TPM2_GENERATED_VALUE)
    return fail(Reason::kMagicMismatch,
                fmt::format("magic is 0x{:08x}, not TPM_GENERATED_VALUE 0xff544347: the TPM did "
                            "not produce this structure",
                            magic));
  if (const uint16_t type = static_cast<uint16_t>((attest[4] << 8) | attest[5]);
      type != TPM2_ST_ATTEST_CERTIFY)
    return fail(Reason::kTypeMismatch,
                fmt::format("type is 0x{:04x}, not TPM_ST_ATTEST_CERTIFY 0x8017", type));
  const auto parsed = unmarshal_attest(attest);
  if (!parsed) return fail(Reason::kMalformed, "TPMS_ATTEST does not unmarshal");
  const TPM2B_NAME& certified = parsed->attested.certify.name;
  Bytes name(certified.name, certified.name + certified.size);

  // The nonce proves freshness: without it an old attestation could be replayed.
  const TPM2B_DATA& extra = parsed->extraData;
  if (extra.size != nonce.size() || !std::equal(nonce.begin(), nonce.end(), extra.buffer))
    return fail(Reason::kNonceMismatch,
                fmt::format("extraData {} is not the nonce {}",
                            hex(std::span<const uint8_t>(extra.buffer, extra.size)), hex(nonce)),
                std::move(name));

  // The name binds the attestation to exactly this public area (key, attributes,
  // policy): a different key, or the same key with other attributes, has another name.
  const auto expected = object_name(key_public);
  if (!expected)
    return fail(Reason::kUnsupportedAlgorithm, "the key's nameAlg is not supported",
                std::move(name));
  if (*expected != name)
    return fail(Reason::kNameMismatch,
                fmt::format("certified name {} is not the expected key's name {}", hex(name),
                            hex(*expected)),
                std::move(name));

  // Only now are the key's attributes authenticated (they are part of the name).
  // fixedTPM: the private key can never leave this TPM; sensitiveDataOrigin: the TPM
  // generated it (it was not imported from a copy that exists elsewhere).
  constexpr TPMA_OBJECT kKeyNeeds = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_SENSITIVEDATAORIGIN;
  if ((key->objectAttributes & kKeyNeeds) != kKeyNeeds)
    return fail(Reason::kKeyNotTpmBound,
                fmt::format("the certified key is not fixedTPM + sensitiveDataOrigin "
                            "(attributes 0x{:08x}): its private key may exist outside the TPM",
                            key->objectAttributes),
                std::move(name));
  return Verdict{Reason::kVerified, "TPM2_Certify verified", std::move(name)};
}

std::string describe_key(const TPMT_PUBLIC& p) {
  if (p.type == TPM2_ALG_RSA) return fmt::format("RSA {}", p.parameters.rsaDetail.keyBits);
  if (p.type == TPM2_ALG_ECC) {
    const auto c = curve_for(p.parameters.eccDetail.curveID);
    return c ? fmt::format("ECC {}", c->label)
             : fmt::format("ECC curve 0x{:04x}", p.parameters.eccDetail.curveID);
  }
  return fmt::format("type 0x{:04x}", p.type);
}

// ---- templates and names ----------------------------------------------------------------

TPM2B_PUBLIC key_template(KeyAlg alg, KeyRole role, bool no_da) {
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC& p = t.publicArea;
  p.type = alg == KeyAlg::kRsa ? TPM2_ALG_RSA : TPM2_ALG_ECC;
  p.nameAlg = TPM2_ALG_SHA256;
  // Every key here is TPM-generated and cannot leave the TPM.
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH;
  if (no_da) p.objectAttributes |= TPMA_OBJECT_NODA;
  TPMT_SYM_DEF_OBJECT sym{};
  sym.algorithm = TPM2_ALG_NULL;
  TPMI_ALG_ASYM_SCHEME scheme = TPM2_ALG_NULL;
  switch (role) {
    case KeyRole::kAttestation:
      p.objectAttributes |= TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
      // A restricted signing key must name its scheme.
      scheme = alg == KeyAlg::kRsa ? TPM2_ALG_RSASSA : TPM2_ALG_ECDSA;
      break;
    case KeyRole::kStorage:
      p.objectAttributes |= TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
      sym.algorithm = TPM2_ALG_AES;
      sym.keyBits.aes = 128;
      sym.mode.aes = TPM2_ALG_CFB;
      break;
    case KeyRole::kSigning:
      // Unrestricted, scheme chosen per signature, as the Microsoft Platform Crypto
      // Provider creates Windows Hello keys.
      p.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
      break;
  }
  if (alg == KeyAlg::kRsa) {
    auto& d = p.parameters.rsaDetail;
    d.symmetric = sym;
    d.scheme.scheme = scheme;
    if (scheme != TPM2_ALG_NULL) d.scheme.details.anySig.hashAlg = TPM2_ALG_SHA256;
    d.keyBits = 2048;
    d.exponent = 0;
  } else {
    auto& d = p.parameters.eccDetail;
    d.symmetric = sym;
    d.scheme.scheme = scheme;
    if (scheme != TPM2_ALG_NULL) d.scheme.details.anySig.hashAlg = TPM2_ALG_SHA256;
    d.curveID = TPM2_ECC_NIST_P256;
    d.kdf.scheme = TPM2_ALG_NULL;
  }
  return t;
}

const char* hierarchy_name(Hierarchy h) {
  switch (h) {
    case Hierarchy::kEndorsement:
      return "endorsement";
    case Hierarchy::kOwner:
      return "owner";
    case Hierarchy::kNull:
      return "null";
  }
  return "?";
}

std::optional<Hierarchy> parse_hierarchy(std::string_view s) {
  for (Hierarchy h : {Hierarchy::kEndorsement, Hierarchy::kOwner, Hierarchy::kNull})
    if (s == hierarchy_name(h)) return h;
  return std::nullopt;
}

std::optional<KeyAlg> parse_key_alg(std::string_view s) {
  if (s == "ecc" || s == "ECC") return KeyAlg::kEcc;
  if (s == "rsa" || s == "RSA") return KeyAlg::kRsa;
  return std::nullopt;
}

std::string Properties::firmware_version() const {
  return fmt::format("{}.{}.{}.{}", firmware1 >> 16, firmware1 & 0xffff, firmware2 >> 16,
                     firmware2 & 0xffff);
}

std::string Properties::spec_revision_text() const {
  return fmt::format("{}.{:02}", spec_revision / 100, spec_revision % 100);
}

// ---- Transient ------------------------------------------------------------------------

Transient& Transient::operator=(Transient&& o) noexcept {
  if (this != &o) {
    reset();
    esys_ = o.esys_;
    handle_ = std::exchange(o.handle_, ESYS_TR_NONE);
  }
  return *this;
}

void Transient::reset() {
  // Best effort: a TPM that stopped answering cannot be flushed, and a destructor
  // must not throw. The TPM drops transient objects at its next reset anyway.
  if (handle_ != ESYS_TR_NONE && esys_) Esys_FlushContext(esys_, handle_);
  handle_ = ESYS_TR_NONE;
}

// ---- Tpm --------------------------------------------------------------------------------

namespace {

// The 4 bytes of a TPM property as text, trailing NULs and spaces dropped ("IBM ").
std::string property_text(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  // Keep it printable: this text ends up in reports.
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  return s;
}

ESYS_TR esys_hierarchy(Hierarchy h) {
  switch (h) {
    case Hierarchy::kEndorsement:
      return ESYS_TR_RH_ENDORSEMENT;
    case Hierarchy::kOwner:
      return ESYS_TR_RH_OWNER;
    case Hierarchy::kNull:
      return ESYS_TR_RH_NULL;
  }
  return ESYS_TR_RH_NULL;
}

// The hierarchy to use: the one asked for when it is enabled and has an empty
// authValue (the probe knows no other), else the null hierarchy, which is always
// enabled and has none. Choosing up front means no wrong authorization is ever sent.
// Certify proves that AK and key live in the same TPM whatever their hierarchy.
Hierarchy usable_hierarchy(Hierarchy wanted, const Properties& props,
                           std::vector<std::string>& notes) {
  std::string why;
  if (wanted == Hierarchy::kEndorsement) {
    if (!props.endorsement_enabled())
      why = "is disabled";
    else if (props.endorsement_auth_set())
      why = "has an authorization value";
  } else if (wanted == Hierarchy::kOwner) {
    if (!props.storage_enabled())
      why = "is disabled";
    else if (props.owner_auth_set())
      why = "has an authorization value";
  }
  if (why.empty()) return wanted;
  notes.push_back(fmt::format("the {} hierarchy {}: used the null hierarchy instead",
                              hierarchy_name(wanted), why));
  return Hierarchy::kNull;
}

}  // namespace

Tpm::Tpm(std::string tcti) : tcti_(std::move(tcti)) {
  auto unreachable = [&](const char* step, TSS2_RC rc) {
    if (esys_) Esys_Finalize(&esys_);
    if (tcti_ctx_) Tss2_TctiLdr_Finalize(&tcti_ctx_);
    return std::runtime_error(fmt::format("TPM not reachable through TCTI \"{}\": {}: {} (0x{:x})",
                                          tcti_, step, Tss2_RC_Decode(rc), rc));
  };
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti_.c_str(), &tcti_ctx_);
  if (rc != TSS2_RC_SUCCESS) throw unreachable("cannot open the TCTI", rc);
  rc = Esys_Initialize(&esys_, tcti_ctx_, nullptr);
  if (rc != TSS2_RC_SUCCESS) throw unreachable("Esys_Initialize", rc);
  // One cheap command proves a TPM answers. A simulator that was never started says
  // TPM_RC_INITIALIZE; an operating system has always started a real TPM, so Startup
  // is sent only then.
  auto ask = [&] {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* data = nullptr;
    const TSS2_RC r =
        Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                           TPM2_PT_MANUFACTURER, 1, &more, &data);
    Esys_Free(data);
    return r;
  };
  rc = ask();
  if (rc == TPM2_RC_INITIALIZE) {
    rc = Esys_Startup(esys_, TPM2_SU_CLEAR);
    if (rc != TSS2_RC_SUCCESS) throw unreachable("TPM2_Startup", rc);
    rc = ask();
  }
  if (rc != TSS2_RC_SUCCESS) throw unreachable("TPM2_GetCapability", rc);
}

Tpm::~Tpm() {
  Esys_Finalize(&esys_);
  Tss2_TctiLdr_Finalize(&tcti_ctx_);
}

Properties Tpm::properties() {
  Properties p;
  std::string vendor[4];
  // Each group is asked for separately: a TPM answers within the group of the first
  // property asked (libtpms says moreData = NO at the end of the fixed group). Within a
  // group, moreData says a response was cut; the bound guards against a TPM that lies.
  TPM2_PT next = TPM2_PT_FIXED;
  for (int round = 0; round < 32; ++round) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    check(Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                             TPM2_CAP_TPM_PROPERTIES, next, TPM2_MAX_TPM_PROPERTIES, &more, &raw),
          "TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES)");
    EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
    const TPML_TAGGED_TPM_PROPERTY& list = data->data.tpmProperties;
    for (uint32_t i = 0; i < list.count && i < TPM2_MAX_TPM_PROPERTIES; ++i) {
      const uint32_t v = list.tpmProperty[i].value;
      switch (list.tpmProperty[i].property) {
        case TPM2_PT_FAMILY_INDICATOR:
          p.family = property_text(v);
          break;
        case TPM2_PT_LEVEL:
          p.spec_level = v;
          break;
        case TPM2_PT_REVISION:
          p.spec_revision = v;
          break;
        case TPM2_PT_DAY_OF_YEAR:
          p.spec_day_of_year = v;
          break;
        case TPM2_PT_YEAR:
          p.spec_year = v;
          break;
        case TPM2_PT_MANUFACTURER:
          p.manufacturer = v;
          p.manufacturer_text = property_text(v);
          break;
        case TPM2_PT_VENDOR_STRING_1:
          vendor[0] = property_text(v);
          break;
        case TPM2_PT_VENDOR_STRING_2:
          vendor[1] = property_text(v);
          break;
        case TPM2_PT_VENDOR_STRING_3:
          vendor[2] = property_text(v);
          break;
        case TPM2_PT_VENDOR_STRING_4:
          vendor[3] = property_text(v);
          break;
        case TPM2_PT_FIRMWARE_VERSION_1:
          p.firmware1 = v;
          break;
        case TPM2_PT_FIRMWARE_VERSION_2:
          p.firmware2 = v;
          break;
        case TPM2_PT_PERMANENT:
          p.permanent = v;
          break;
        case TPM2_PT_STARTUP_CLEAR:
          p.startup_clear = v;
          break;
        case TPM2_PT_LOCKOUT_COUNTER:
          p.lockout_counter = v;
          break;
        case TPM2_PT_MAX_AUTH_FAIL:
          p.max_auth_fail = v;
          break;
        case TPM2_PT_LOCKOUT_INTERVAL:
          p.lockout_interval = v;
          break;
        case TPM2_PT_LOCKOUT_RECOVERY:
          p.lockout_recovery = v;
          break;
        default:
          break;
      }
    }
    const TPM2_PT group = next / TPM2_PT_GROUP * TPM2_PT_GROUP;
    const bool cut = more && list.count != 0;
    if (cut) {
      next = list.tpmProperty[list.count - 1].property + 1;
    } else if (group == TPM2_PT_FIXED) {
      next = TPM2_PT_VAR;
    } else {
      break;
    }
  }
  for (const auto& part : vendor) p.vendor_string += part;
  return p;
}

std::vector<TPM2_HANDLE> Tpm::handles(TPM2_HANDLE first) {
  std::vector<TPM2_HANDLE> out;
  const TPM2_HANDLE type = first & 0xff000000u;
  TPM2_HANDLE next = first;
  for (int round = 0; round < 64; ++round) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    check(Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                             next, TPM2_MAX_CAP_HANDLES, &more, &raw),
          "TPM2_GetCapability(TPM_CAP_HANDLES)");
    EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
    const TPML_HANDLE& list = data->data.handles;
    for (uint32_t i = 0; i < list.count && i < TPM2_MAX_CAP_HANDLES; ++i)
      if ((list.handle[i] & 0xff000000u) == type) out.push_back(list.handle[i]);
    if (!more || list.count == 0) break;
    next = list.handle[list.count - 1] + 1;
  }
  return out;
}

Key Tpm::create_primary(Hierarchy h, const TPM2B_PUBLIC& tmpl) {
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION pcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* pub = nullptr;
  TPM2B_CREATION_DATA* creation = nullptr;
  TPM2B_DIGEST* hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  const TSS2_RC rc = Esys_CreatePrimary(esys_, esys_hierarchy(h), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                        ESYS_TR_NONE, &sensitive, &tmpl, &outside, &pcrs, &handle,
                                        &pub, &creation, &hash, &ticket);
  Key key{Transient(esys_, handle), {}};  // owned before anything can throw
  EsysPtr<TPM2B_PUBLIC> pub_owned(pub);
  EsysPtr<TPM2B_CREATION_DATA> c1(creation);
  EsysPtr<TPM2B_DIGEST> c2(hash);
  EsysPtr<TPMT_TK_CREATION> c3(ticket);
  check(rc, fmt::format("TPM2_CreatePrimary({} hierarchy, {})", hierarchy_name(h),
                        describe_key(tmpl.publicArea)));
  key.public_area = pub_owned->publicArea;
  return key;
}

Key Tpm::create_and_load(const Key& parent, const TPM2B_PUBLIC& tmpl, std::string_view auth) {
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_AUTH auth_value{};
  if (auth.size() > sizeof auth_value.buffer) throw std::invalid_argument("auth value too long");
  auth_value.size = static_cast<UINT16>(auth.size());
  std::copy(auth.begin(), auth.end(), auth_value.buffer);
  sensitive.sensitive.userAuth = auth_value;
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION pcrs{};
  TPM2B_PRIVATE* priv = nullptr;
  TPM2B_PUBLIC* pub = nullptr;
  TPM2B_CREATION_DATA* creation = nullptr;
  TPM2B_DIGEST* hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  const TSS2_RC rc =
      Esys_Create(esys_, parent.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                  &sensitive, &tmpl, &outside, &pcrs, &priv, &pub, &creation, &hash, &ticket);
  EsysPtr<TPM2B_PRIVATE> priv_owned(priv);
  EsysPtr<TPM2B_PUBLIC> pub_owned(pub);
  EsysPtr<TPM2B_CREATION_DATA> c1(creation);
  EsysPtr<TPM2B_DIGEST> c2(hash);
  EsysPtr<TPMT_TK_CREATION> c3(ticket);
  check(rc, fmt::format("TPM2_Create({})", describe_key(tmpl.publicArea)));
  ESYS_TR handle = ESYS_TR_NONE;
  const TSS2_RC load_rc = Esys_Load(esys_, parent.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                    ESYS_TR_NONE, priv_owned.get(), pub_owned.get(), &handle);
  Key key{Transient(esys_, handle), pub_owned->publicArea};
  check(load_rc, "TPM2_Load");
  // ESYS only knows the authValue of objects it created as primaries.
  check(Esys_TR_SetAuth(esys_, handle, &auth_value), "Esys_TR_SetAuth");
  return key;
}

Attestation Tpm::attest(const AttestOptions& options) {
  Attestation out;
  // The verifier's own randomness, not the TPM's: freshness must not depend on the
  // party being checked.
  out.nonce.resize(32);
  if (RAND_bytes(out.nonce.data(), static_cast<int>(out.nonce.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed: no nonce");
  try {
    const Properties props = properties();
    out.ak_hierarchy_used = usable_hierarchy(options.ak_hierarchy, props, out.notes);
    out.key_hierarchy_used = usable_hierarchy(options.key_hierarchy, props, out.notes);
    // noDA everywhere: the probe never sends a wrong authValue, and a TPM in DA lockout
    // (reported by tpm.info) can still be attested.
    const Key ak = create_primary(out.ak_hierarchy_used,
                                  key_template(options.ak_alg, KeyRole::kAttestation, true));
    out.ak_public = marshal(ak.public_area);
    out.ak_algorithm = describe_key(ak.public_area);
    // The parent is ECC whatever the key: creating it is fast and its type does not
    // matter to what is checked.
    const Key parent =
        create_primary(out.key_hierarchy_used, key_template(KeyAlg::kEcc, KeyRole::kStorage, true));
    const Key key = create_and_load(parent, key_template(options.key_alg, KeyRole::kSigning, true));
    out.key_public = marshal(key.public_area);
    out.key_algorithm = describe_key(key.public_area);
    if (key.public_area.type == TPM2_ALG_RSA)
      out.roca_vulnerable = keycred::roca_vulnerable(std::span<const uint8_t>(
          key.public_area.unique.rsa.buffer, key.public_area.unique.rsa.size));

    TPM2B_DATA qualifying{};
    qualifying.size = static_cast<UINT16>(out.nonce.size());
    std::copy(out.nonce.begin(), out.nonce.end(), qualifying.buffer);
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme
    TPM2B_ATTEST* info = nullptr;
    TPMT_SIGNATURE* signature = nullptr;
    const TSS2_RC rc =
        Esys_Certify(esys_, key.handle.get(), ak.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_PASSWORD,
                     ESYS_TR_NONE, &qualifying, &scheme, &info, &signature);
    EsysPtr<TPM2B_ATTEST> info_owned(info);
    EsysPtr<TPMT_SIGNATURE> sig_owned(signature);
    check(rc, "TPM2_Certify");
    out.attest.assign(info->attestationData, info->attestationData + info->size);
    out.signature = marshal(*signature);
    out.verdict =
        verify_certify(out.attest, out.signature, out.ak_public, out.key_public, out.nonce);
  } catch (const TpmError& e) {
    // Objects made so far were flushed by their destructors on the way here.
    out.verdict = Verdict{Reason::kTpmError, e.what(), {}};
  }
  return out;
}

}  // namespace hellotrace::tpmv
