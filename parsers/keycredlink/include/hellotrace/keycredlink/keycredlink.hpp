// msDS-KeyCredentialLink values: the DN-Binary text and the KEYCREDENTIALLINK_BLOB
// (MS-ADTS 2.2.20) inside it, with the key material decoded far enough to name the
// key (type, size, RSA modulus/exponent) and to run the ROCA fingerprint test.
//
// Decoding never throws and never reads out of bounds: structural damage is an Error
// naming the byte offset (in the blob) or character offset (in the DN-Binary text)
// and what is wrong; integrity problems (KeyID / KeyHash mismatch, unknown key
// material) leave a decoded KeyCredential with `problems` filled in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace hellotrace::keycred {

struct Error {
  size_t offset = 0;              // byte offset in the blob, or character offset in the text
  std::string message;            // what is wrong, one line
  std::string to_string() const;  // "offset 12: message"
};

// A value or an Error.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& operator*() const { return value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// ---- DN-Binary ----------------------------------------------------------------

struct DnBinary {
  std::vector<uint8_t> blob;
  std::string owner_dn;
};

// Parses `B:<number of hex characters>:<HEX>:<owner DN>`. Surrounding white space
// is ignored; the count must equal the number of hex characters (an even number).
Result<DnBinary> parse_dn_binary(std::string_view text);

// ---- KEYCREDENTIALLINK_BLOB -----------------------------------------------------

inline constexpr uint32_t kVersion0 = 0x0;
inline constexpr uint32_t kVersion1 = 0x100;
inline constexpr uint32_t kVersion2 = 0x200;

enum EntryId : uint8_t {
  kKeyId = 0x01,
  kKeyHash = 0x02,
  kKeyMaterial = 0x03,
  kKeyUsage = 0x04,
  kKeySource = 0x05,
  kDeviceId = 0x06,
  kCustomKeyInformation = 0x07,
  kKeyApproximateLastLogonTimeStamp = 0x08,
  kKeyCreationTime = 0x09,
};

enum KeyUsage : uint8_t {
  kUsageAdminKey = 0x00,
  kUsageNgc = 0x01,
  kUsageStk = 0x02,
  kUsageBitLocker = 0x03,
  kUsageFido = 0x07,
  kUsageFek = 0x08,
};

enum KeySource : uint8_t { kSourceAd = 0x00, kSourceAzureAd = 0x01 };

enum KeyFlags : uint8_t { kFlagAttestation = 0x01, kFlagMfaNotUsed = 0x02 };

enum class KeyFormat {
  kNone,       // no KeyMaterial entry
  kUnknown,    // not one of the formats below
  kBcryptRsa,  // BCRYPT_RSAKEY_BLOB ("RSA1")
  kDerPkcs1,   // DER PKCS#1 RSAPublicKey (or X.509 SubjectPublicKeyInfo)
  kTpm20Pcp,   // "MPCP" PCP_KEY_BLOB_WIN8 wrapping a TPM2B_PUBLIC
  kFidoJson,   // FIDO2 key material as JSON
};

enum class KeyType { kUnknown, kRsa, kEcc, kFido };

struct KeyMaterial {
  KeyFormat format = KeyFormat::kNone;
  KeyType type = KeyType::kUnknown;
  std::vector<uint8_t> modulus;   // RSA: big-endian, no leading zero bytes
  std::vector<uint8_t> exponent;  // RSA: big-endian, no leading zero bytes
  uint32_t key_size_bits = 0;     // RSA modulus bits, ECC curve bits; 0 when unknown
  std::string curve;              // ECC (TPM): "NIST P-256", ...
  // FIDO JSON (what is easy to get at).
  std::string fido_display_name;
  std::string fido_aaguid;                  // lower-case GUID
  std::vector<uint8_t> fido_credential_id;  // from authData's attested credential data
  std::optional<uint32_t> fido_sign_count;
  size_t fido_certificates = 0;  // x5c entries
  std::string problem;           // why the material could not be (fully) decoded
};

struct CustomKeyInfo {
  uint8_t version = 0;
  uint8_t flags = 0;  // KeyFlags bits
  std::optional<uint8_t> volume_type;
  std::optional<uint8_t> supports_notification;
  std::optional<uint8_t> fek_key_version;
  std::optional<uint32_t> key_strength;
  std::vector<uint8_t> encoded_extended_cki;
};

// How a 64-bit time entry was read (it depends on version and KeySource).
enum class TimeEncoding { kFiletime, kDotNetBinary, kDotNetTicks };

struct Entry {
  uint8_t id;
  size_t offset;  // of the entry header (Length) in the blob
  uint16_t length;
};

struct KeyCredential {
  uint32_t version = 0;
  std::vector<uint8_t> key_id;
  std::string key_id_hex;     // lower-case hex
  std::string key_id_base64;  // as DSInternals and Entra print it
  std::vector<uint8_t> key_hash;
  std::vector<uint8_t> raw_material;
  std::optional<uint8_t> usage;   // KeyUsage
  std::string legacy_usage;       // string usage of old (non-one-byte) entries
  std::optional<uint8_t> source;  // KeySource
  std::string device_id;          // lower-case GUID, empty when absent
  std::optional<CustomKeyInfo> custom;
  // UTC ticks of 100 ns since the Unix epoch (hellotrace::time).
  std::optional<int64_t> created, last_logon;
  std::optional<uint64_t> created_raw, last_logon_raw;  // the 8 bytes as stored (LE)
  TimeEncoding time_encoding = TimeEncoding::kFiletime;
  KeyMaterial material;
  bool key_id_ok = false;        // KeyID = SHA-256(KeyMaterial) (FIDO: = credential id)
  bool key_hash_ok = false;      // KeyHash = SHA-256(bytes after the KeyHash entry)
  bool roca_vulnerable = false;  // RSA modulus fails the ROCA fingerprint test
  std::vector<Entry> entries;
  std::vector<std::string> problems;  // integrity and decoding problems, one line each
};

// Decodes a KEYCREDENTIALLINK_BLOB. Errors: truncated or malformed structure.
Result<KeyCredential> decode(std::span<const uint8_t> blob);

// Decodes key material alone (format sniffed from its bytes).
KeyMaterial decode_key_material(std::span<const uint8_t> material);

// ---- ROCA (CVE-2017-15361) -----------------------------------------------------

// The primes of the fingerprint test (3..167, as crocs-muni/roca detect.py).
std::span<const unsigned> roca_primes();
// True when residue r (mod p) lies in the subgroup generated by 65537 mod p.
bool roca_residue_in_subgroup(unsigned p, unsigned r);
// Nemec et al., CCS 2017: N mod p in <65537> for every prime → vulnerable. An empty
// or zero modulus is not vulnerable.
bool roca_vulnerable(std::span<const uint8_t> modulus_be);

// ---- Names and encodings ------------------------------------------------------

std::string usage_name(uint8_t usage);    // "NGC", "FIDO", ..., else "0x1f"
std::string source_name(uint8_t source);  // "AD", "AzureAD", else "0x02"
std::string flags_name(uint8_t flags);    // "None", "Attestation, MFANotUsed", ...
const char* format_name(KeyFormat f);
const char* key_type_name(KeyType t);
const char* time_encoding_name(TimeEncoding e);

std::string hex_lower(std::span<const uint8_t> bytes);
std::optional<std::vector<uint8_t>> hex_decode(std::string_view hex);
std::string base64_encode(std::span<const uint8_t> bytes);
// Standard or URL-safe alphabet, padding optional, white space ignored.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);
// 16 bytes in .NET Guid.ToByteArray() order → "47f577e3-d2d0-4a0a-8aca-e0501098bde4".
std::string guid_from_dotnet_bytes(std::span<const uint8_t, 16> bytes);
// 16 bytes in RFC 4122 (big-endian) order, as FIDO AAGUIDs are stored.
std::string guid_from_be_bytes(std::span<const uint8_t, 16> bytes);
// Big-endian unsigned integer → decimal text.
std::string big_endian_to_decimal(std::span<const uint8_t> bytes);

// SHA-256 (OpenSSL).
std::vector<uint8_t> sha256(std::span<const uint8_t> data);

// Converts stored times to hellotrace ticks (UTC, 100 ns since the Unix epoch).
int64_t ticks_from_dotnet_binary(int64_t value);  // DateTime.ToBinary()
int64_t ticks_from_dotnet_ticks(int64_t ticks);   // DateTime.Ticks (since 0001-01-01)

}  // namespace hellotrace::keycred
