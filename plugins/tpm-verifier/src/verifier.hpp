// tpm-verifier library: reads a live TPM 2.0 through tpm2-tss ESYS and checks that it
// attests a key the way Windows Hello for Business relies on (TPM2_Certify by a
// restricted attestation key), verifying the result in software with OpenSSL.
//
// Two halves, kept apart on purpose:
//  - `verify_certify()` is pure: TPM wire-format bytes in, a verdict out. It trusts
//    nothing the TPM said and is what the tests tamper with.
//  - `Tpm` talks to the TPM (properties, key creation, TPM2_Certify) and never
//    leaves anything behind: every transient object is flushed, nothing is made
//    persistent, no hierarchy or auth value is changed.
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hellotrace::tpmv {

using Bytes = std::vector<uint8_t>;

// A TSS or TPM call failed. `what()` names the call and the decoded return code.
class TpmError : public std::runtime_error {
 public:
  TpmError(const std::string& message, TSS2_RC rc) : std::runtime_error(message), rc_(rc) {}
  TSS2_RC rc() const { return rc_; }

 private:
  TSS2_RC rc_;
};

// Owns what ESYS returns (freed with Esys_Free).
struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// Throws TpmError("<what>: <Tss2_RC_Decode(rc)> (0x…)") unless rc is TSS2_RC_SUCCESS.
void check(TSS2_RC rc, const std::string& what);

// ---- verification (pure) -------------------------------------------------------

enum class Reason {
  kVerified,
  kMalformed,             // an input does not unmarshal as its TPM structure
  kUnsupportedAlgorithm,  // key type, curve, signature scheme or hash not handled
  kAkNotRestricted,       // the AK is not a fixedTPM restricted signing key
  kSignatureInvalid,      // the signature over TPMS_ATTEST does not verify with the AK
  kMagicMismatch,         // TPMS_ATTEST.magic != TPM_GENERATED_VALUE
  kTypeMismatch,          // TPMS_ATTEST.type != TPM_ST_ATTEST_CERTIFY
  kNonceMismatch,         // extraData != the nonce the verifier sent
  kNameMismatch,          // certified name != name of the expected key's public area
  kKeyNotTpmBound,        // the certified key is not fixedTPM + sensitiveDataOrigin
  kTpmError,              // the TPM failed while creating or certifying (attest() only)
};

// Stable snake_case code of a reason ("verified", "signature_invalid", ...).
const char* reason_code(Reason r);

struct Verdict {
  Reason reason = Reason::kMalformed;
  std::string detail;    // one line, for people
  Bytes certified_name;  // TPMS_CERTIFY_INFO.name when the attestation got that far
  bool ok() const { return reason == Reason::kVerified; }
};

// Verifies a TPM2_Certify result. All inputs are TPM wire format:
//   attest      marshaled TPMS_ATTEST (the contents of the TPM2B_ATTEST)
//   signature   marshaled TPMT_SIGNATURE
//   ak_public   marshaled TPMT_PUBLIC of the attestation key
//   key_public  marshaled TPMT_PUBLIC of the key the verifier expects to be certified
//   nonce       the qualifyingData the verifier sent
// Checks, in this order (each failure names its reason): AK is a restricted signing
// key; signature over `attest` with the AK; magic; type; extraData == nonce;
// certified name == nameAlg || H(key_public); key is fixedTPM and TPM-generated.
Verdict verify_certify(std::span<const uint8_t> attest, std::span<const uint8_t> signature,
                       std::span<const uint8_t> ak_public, std::span<const uint8_t> key_public,
                       std::span<const uint8_t> nonce);

// TPM object name of a marshaled TPMT_PUBLIC: nameAlg (2 bytes, big-endian) followed by
// H_nameAlg(public area). nullopt when it does not unmarshal or the hash is unknown.
std::optional<Bytes> object_name(std::span<const uint8_t> public_area);

// ---- TPM structures <-> bytes ---------------------------------------------------

Bytes marshal(const TPMT_PUBLIC& p);
Bytes marshal(const TPMT_SIGNATURE& s);
Bytes marshal(const TPMS_ATTEST& a);
// Unmarshal the whole buffer (trailing bytes are an error); nullopt when malformed.
std::optional<TPMT_PUBLIC> unmarshal_public(std::span<const uint8_t> bytes);
std::optional<TPMT_SIGNATURE> unmarshal_signature(std::span<const uint8_t> bytes);
std::optional<TPMS_ATTEST> unmarshal_attest(std::span<const uint8_t> bytes);

// Lower-case hex.
std::string hex(std::span<const uint8_t> bytes);

// "ECC NIST P-256", "RSA 2048", ...
std::string describe_key(const TPMT_PUBLIC& p);

// ---- talking to a TPM -----------------------------------------------------------

enum class KeyAlg { kEcc, kRsa };  // ECC = NIST P-256, RSA = 2048 bits
enum class Hierarchy { kEndorsement, kOwner, kNull };
enum class KeyRole {
  kAttestation,  // restricted signing key (AK)
  kStorage,      // restricted decryption key (parent)
  kSigning,      // unrestricted signing key (what WHfB creates for the NGC container)
};

// Public template of a key. `no_da`: the key is exempt from dictionary-attack
// protection (the probe uses it so a TPM in lockout can still be attested).
TPM2B_PUBLIC key_template(KeyAlg alg, KeyRole role, bool no_da);
const char* hierarchy_name(Hierarchy h);
std::optional<Hierarchy> parse_hierarchy(std::string_view s);
std::optional<KeyAlg> parse_key_alg(std::string_view s);

struct Properties {
  uint32_t manufacturer = 0;              // TPM_PT_MANUFACTURER, e.g. 0x49465800
  std::string manufacturer_text;          // "IFX", "IBM" (trailing NUL/space trimmed)
  uint32_t firmware1 = 0, firmware2 = 0;  // TPM_PT_FIRMWARE_VERSION_1/_2
  std::string family;                     // "2.0"
  uint32_t spec_level = 0, spec_revision = 0, spec_year = 0, spec_day_of_year = 0;
  std::string vendor_string;  // TPM_PT_VENDOR_STRING_1..4
  uint32_t lockout_counter = 0, max_auth_fail = 0, lockout_interval = 0, lockout_recovery = 0;
  uint32_t permanent = 0;      // TPMA_PERMANENT
  uint32_t startup_clear = 0;  // TPMA_STARTUP_CLEAR

  // "a.b.c.d": a = hi 16 bits of _1, b = lo 16 bits, c and d likewise from _2.
  std::string firmware_version() const;
  // "1.59" from revision 159.
  std::string spec_revision_text() const;
  bool in_lockout() const { return permanent & TPMA_PERMANENT_INLOCKOUT; }
  bool owner_auth_set() const { return permanent & TPMA_PERMANENT_OWNERAUTHSET; }
  bool endorsement_auth_set() const { return permanent & TPMA_PERMANENT_ENDORSEMENTAUTHSET; }
  bool lockout_auth_set() const { return permanent & TPMA_PERMANENT_LOCKOUTAUTHSET; }
  bool disable_clear() const { return permanent & TPMA_PERMANENT_DISABLECLEAR; }
  bool storage_enabled() const { return startup_clear & TPMA_STARTUP_CLEAR_SHENABLE; }
  bool endorsement_enabled() const { return startup_clear & TPMA_STARTUP_CLEAR_EHENABLE; }
};

struct AttestOptions {
  KeyAlg ak_alg = KeyAlg::kEcc;   // any restricted signing key will do; ECC is fast
  KeyAlg key_alg = KeyAlg::kRsa;  // WHfB NGC keys are RSA-2048 (and ROCA is about RSA)
  Hierarchy ak_hierarchy = Hierarchy::kEndorsement;
  Hierarchy key_hierarchy = Hierarchy::kOwner;  // WHfB keys live under the SRK
};

// What the TPM produced, in wire format, and what became of it.
struct Attestation {
  Bytes nonce, attest, signature, ak_public, key_public;
  Verdict verdict;
  std::string ak_algorithm, key_algorithm;  // describe_key(), "" when not created
  Hierarchy ak_hierarchy_used = Hierarchy::kEndorsement;
  Hierarchy key_hierarchy_used = Hierarchy::kOwner;
  std::optional<bool> roca_vulnerable;  // RSA keys only
  std::vector<std::string> notes;       // e.g. a hierarchy fallback, one line each
};

// A transient object in the TPM, flushed when this goes out of scope.
class Transient {
 public:
  Transient() = default;
  Transient(ESYS_CONTEXT* esys, ESYS_TR handle) : esys_(esys), handle_(handle) {}
  Transient(Transient&& o) noexcept : esys_(o.esys_), handle_(o.handle_) {
    o.handle_ = ESYS_TR_NONE;
  }
  Transient& operator=(Transient&& o) noexcept;
  ~Transient() { reset(); }
  ESYS_TR get() const { return handle_; }
  void reset();

 private:
  ESYS_CONTEXT* esys_ = nullptr;
  ESYS_TR handle_ = ESYS_TR_NONE;
};

// A created key: its handle and public area.
struct Key {
  Transient handle;
  TPMT_PUBLIC public_area{};
};

// One connection to a TPM through a TCTI configuration string ("swtpm:host=…,port=…",
// "device:/dev/tpmrm0", "mssim:host=…,port=…"). Not thread-safe; one per call.
class Tpm {
 public:
  // Opens the TCTI and checks that a TPM answers (sending TPM2_Startup(CLEAR) only when
  // the TPM says it was never started, as a fresh simulator does). Throws
  // std::runtime_error naming the TCTI string and the decoded error.
  explicit Tpm(std::string tcti);
  ~Tpm();
  Tpm(const Tpm&) = delete;
  Tpm& operator=(const Tpm&) = delete;

  ESYS_CONTEXT* esys() const { return esys_; }
  const std::string& tcti() const { return tcti_; }

  Properties properties();
  // Handles of one type in the TPM (TPM2_CAP_HANDLES), e.g. TPM2_TRANSIENT_FIRST.
  std::vector<TPM2_HANDLE> handles(TPM2_HANDLE first);

  Key create_primary(Hierarchy h, const TPM2B_PUBLIC& tmpl);
  // TPM2_Create + TPM2_Load under `parent`; `auth` becomes the key's authValue.
  Key create_and_load(const Key& parent, const TPM2B_PUBLIC& tmpl, std::string_view auth = {});

  // Creates an AK and a key, certifies the key with the AK over a fresh random nonce
  // and verifies the result with verify_certify(). TPM failures after the connection
  // is up are reported in the verdict (Reason::kTpmError), not thrown.
  Attestation attest(const AttestOptions& options);

 private:
  std::string tcti_;
  TSS2_TCTI_CONTEXT* tcti_ctx_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
};

}  // namespace hellotrace::tpmv
