// KEYCREDENTIALLINK_BLOB decoding (MS-ADTS 2.2.20), key material and ROCA test.
#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstring>
#include <hellotrace/keycredlink/keycredlink.hpp>
#include <hellotrace/time.hpp>
#include <nlohmann/json.hpp>

namespace hellotrace::keycred {

std::string Error::to_string() const { return fmt::format("offset {}: {}", offset, message); }

namespace {

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

// Bounds-checked big-endian reader (TPM structures, authData).
class BeReader {
 public:
  explicit BeReader(std::span<const uint8_t> d) : d_(d) {}
  bool u8(uint8_t& v) {
    if (!need(1)) return false;
    v = d_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (!need(2)) return false;
    v = static_cast<uint16_t>((d_[pos_] << 8) | d_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (!need(4)) return false;
    v = (static_cast<uint32_t>(d_[pos_]) << 24) | (static_cast<uint32_t>(d_[pos_ + 1]) << 16) |
        (static_cast<uint32_t>(d_[pos_ + 2]) << 8) | d_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool bytes(size_t n, std::span<const uint8_t>& out) {
    if (!need(n)) return false;
    out = d_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool tpm2b(std::span<const uint8_t>& out) {
    uint16_t n = 0;
    return u16(n) && bytes(n, out);
  }
  size_t pos() const { return pos_; }

 private:
  bool need(size_t n) const { return n <= d_.size() - pos_; }
  std::span<const uint8_t> d_;
  size_t pos_ = 0;
};

std::vector<uint8_t> strip_zeros(std::span<const uint8_t> b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return {b.begin() + static_cast<std::ptrdiff_t>(i), b.end()};
}

uint32_t bit_length(const std::vector<uint8_t>& be) {
  if (be.empty()) return 0;
  uint32_t bits = static_cast<uint32_t>(be.size() - 1) * 8;
  for (uint8_t top = be[0]; top; top >>= 1) ++bits;
  return bits;
}

std::string hex_prefix(std::span<const uint8_t> b, size_t n = 8) {
  return hex_lower(b.first(std::min(n, b.size()))) + (b.size() > n ? "…" : "");
}

// ---- BCRYPT_RSAKEY_BLOB ----
void decode_bcrypt(std::span<const uint8_t> m, KeyMaterial& k) {
  k.format = KeyFormat::kBcryptRsa;
  k.type = KeyType::kRsa;
  if (m.size() < 24) {
    k.problem =
        fmt::format("BCRYPT_RSAKEY_BLOB header needs 24 bytes, the material has {}", m.size());
    return;
  }
  const uint32_t bits = le32(m.data() + 4);
  const uint64_t cb_exp = le32(m.data() + 8);
  const uint64_t cb_mod = le32(m.data() + 12);
  if (24 + cb_exp + cb_mod > m.size()) {
    k.problem = fmt::format(
        "BCRYPT_RSAKEY_BLOB declares a {}-byte exponent and a {}-byte modulus at offset 24, "
        "but only {} bytes follow the header",
        cb_exp, cb_mod, m.size() - 24);
    return;
  }
  k.exponent = strip_zeros(m.subspan(24, cb_exp));
  k.modulus = strip_zeros(m.subspan(24 + cb_exp, cb_mod));
  k.key_size_bits = bits;
  if (std::memcmp(m.data(), "RSA1", 4) != 0)
    k.problem = "the material is a private BCRYPT RSA blob; only its public part was read";
  else if (bit_length(k.modulus) != bits)
    k.problem = fmt::format("BCRYPT_RSAKEY_BLOB BitLength {} differs from the modulus's {} bits",
                            bits, bit_length(k.modulus));
}

// ---- DER ----
struct Tlv {
  uint8_t tag = 0;
  std::span<const uint8_t> content;
};

// Reads one TLV at `pos`; false when it does not fit.
bool der_read(std::span<const uint8_t> d, size_t& pos, Tlv& out) {
  if (pos >= d.size() || d.size() - pos < 2) return false;
  out.tag = d[pos];
  size_t p = pos + 1;
  size_t len = d[p++];
  if (len & 0x80) {
    const size_t n = len & 0x7F;
    if (n == 0 || n > 4 || d.size() - p < n) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | d[p++];
  }
  if (d.size() - p < len) return false;
  out.content = d.subspan(p, len);
  pos = p + len;
  return true;
}

bool der_rsa_public_key(std::span<const uint8_t> seq_content, KeyMaterial& k) {
  size_t pos = 0;
  Tlv n, e;
  if (!der_read(seq_content, pos, n) || n.tag != 0x02 || !der_read(seq_content, pos, e) ||
      e.tag != 0x02)
    return false;
  k.modulus = strip_zeros(n.content);
  k.exponent = strip_zeros(e.content);
  k.key_size_bits = bit_length(k.modulus);
  return true;
}

void decode_der(std::span<const uint8_t> m, KeyMaterial& k) {
  k.format = KeyFormat::kDerPkcs1;
  size_t pos = 0;
  Tlv top;
  if (!der_read(m, pos, top) || top.tag != 0x30) {
    k.problem = "DER key material: the outer SEQUENCE is truncated or malformed";
    return;
  }
  if (pos != m.size()) k.problem = fmt::format("{} bytes follow the DER key", m.size() - pos);
  size_t ipos = 0;
  Tlv first;
  if (!der_read(top.content, ipos, first)) {
    k.problem = "DER key material: empty or truncated SEQUENCE";
    return;
  }
  if (first.tag == 0x02) {  // PKCS#1 RSAPublicKey
    k.type = KeyType::kRsa;
    if (!der_rsa_public_key(top.content, k))
      k.problem = "DER RSAPublicKey: expected two INTEGERs (modulus, exponent)";
    return;
  }
  if (first.tag == 0x30) {  // SubjectPublicKeyInfo
    static constexpr uint8_t kRsaOid[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
    size_t apos = 0;
    Tlv oid, bits;
    if (!der_read(first.content, apos, oid) || oid.tag != 0x06 ||
        !der_read(top.content, ipos, bits) || bits.tag != 0x03 || bits.content.empty()) {
      k.problem = "DER SubjectPublicKeyInfo is malformed";
      return;
    }
    if (oid.content.size() != sizeof kRsaOid ||
        !std::equal(oid.content.begin(), oid.content.end(), kRsaOid)) {
      k.problem = "DER SubjectPublicKeyInfo algorithm is not rsaEncryption";
      return;
    }
    k.type = KeyType::kRsa;
    size_t kpos = 0;
    Tlv inner;
    if (!der_read(bits.content.subspan(1), kpos, inner) || inner.tag != 0x30 ||
        !der_rsa_public_key(inner.content, k))
      k.problem = "DER SubjectPublicKeyInfo: the RSAPublicKey inside is malformed";
    return;
  }
  k.problem = fmt::format("DER key material: unexpected tag 0x{:02x} in the SEQUENCE", first.tag);
}

// ---- PCP_KEY_BLOB_WIN8 / TPM2B_PUBLIC ----
constexpr uint16_t kTpmAlgNull = 0x0010;
constexpr uint16_t kTpmAlgRsa = 0x0001;
constexpr uint16_t kTpmAlgEcc = 0x0023;

void decode_tpmt_public(std::span<const uint8_t> pub, KeyMaterial& k) {
  BeReader r(pub);
  uint16_t type = 0, name_alg = 0, sym = 0, scheme = 0, tmp = 0;
  uint32_t attrs = 0;
  std::span<const uint8_t> policy;
  auto fail = [&](const char* what) {
    k.problem = fmt::format("TPMT_PUBLIC truncated at byte {} ({})", r.pos(), what);
  };
  if (!r.u16(type) || !r.u16(name_alg) || !r.u32(attrs) || !r.tpm2b(policy)) return fail("header");
  if (type != kTpmAlgRsa && type != kTpmAlgEcc) {
    k.problem = fmt::format("TPM key algorithm 0x{:04x} is not decoded (RSA or ECC only)", type);
    return;
  }
  if (!r.u16(sym)) return fail("symmetric");
  if (sym != kTpmAlgNull && (!r.u16(tmp) || !r.u16(tmp))) return fail("symmetric");
  if (!r.u16(scheme)) return fail("scheme");
  if (scheme != kTpmAlgNull && !r.u16(tmp)) return fail("scheme");
  if (type == kTpmAlgRsa) {
    k.type = KeyType::kRsa;
    uint16_t key_bits = 0;
    uint32_t exponent = 0;
    std::span<const uint8_t> modulus;
    if (!r.u16(key_bits) || !r.u32(exponent)) return fail("RSA parameters");
    if (!r.tpm2b(modulus)) return fail("RSA modulus");
    if (exponent == 0) exponent = 65537;  // TPM default
    const uint8_t e[4] = {static_cast<uint8_t>(exponent >> 24),
                          static_cast<uint8_t>(exponent >> 16), static_cast<uint8_t>(exponent >> 8),
                          static_cast<uint8_t>(exponent)};
    k.exponent = strip_zeros(e);
    k.modulus = strip_zeros(modulus);
    k.key_size_bits = key_bits;
    if (bit_length(k.modulus) != key_bits)
      k.problem = fmt::format("TPM keyBits {} differs from the modulus's {} bits", key_bits,
                              bit_length(k.modulus));
    return;
  }
  k.type = KeyType::kEcc;
  uint16_t curve = 0, kdf = 0;
  std::span<const uint8_t> x, y;
  if (!r.u16(curve) || !r.u16(kdf)) return fail("ECC parameters");
  if (kdf != kTpmAlgNull && !r.u16(tmp)) return fail("ECC kdf");
  if (!r.tpm2b(x) || !r.tpm2b(y)) return fail("ECC point");
  switch (curve) {
    case 0x0003:
      k.curve = "NIST P-256", k.key_size_bits = 256;
      break;
    case 0x0004:
      k.curve = "NIST P-384", k.key_size_bits = 384;
      break;
    case 0x0005:
      k.curve = "NIST P-521", k.key_size_bits = 521;
      break;
    case 0x0010:
      k.curve = "BN P-256", k.key_size_bits = 256;
      break;
    default:
      k.curve = fmt::format("0x{:04x}", curve);
      break;
  }
}

void decode_pcp(std::span<const uint8_t> m, KeyMaterial& k) {
  k.format = KeyFormat::kTpm20Pcp;
  if (m.size() < 20) {
    k.problem =
        fmt::format("PCP_KEY_BLOB header needs at least 20 bytes, the material has {}", m.size());
    return;
  }
  const uint64_t cb_header = le32(m.data() + 4);
  const uint32_t pcp_type = le32(m.data() + 8);
  const uint64_t cb_public = le32(m.data() + 16);
  if (pcp_type != 2) {
    k.problem = fmt::format("PCP_KEY_BLOB type {} is not TPM 2.0 (2)", pcp_type);
    return;
  }
  if (cb_header < 20 || cb_header + cb_public > m.size()) {
    k.problem = fmt::format(
        "PCP_KEY_BLOB declares a {}-byte header and a {}-byte public area; the material has {} "
        "bytes",
        cb_header, cb_public, m.size());
    return;
  }
  BeReader r(m.subspan(cb_header, cb_public));
  std::span<const uint8_t> tpmt;
  if (!r.tpm2b(tpmt)) {
    k.problem = fmt::format("TPM2B_PUBLIC at offset {} is larger than the {}-byte public area",
                            cb_header, cb_public);
    return;
  }
  decode_tpmt_public(tpmt, k);
}

// ---- FIDO JSON ----
void decode_fido(std::span<const uint8_t> m, KeyMaterial& k) {
  k.format = KeyFormat::kFidoJson;
  k.type = KeyType::kFido;
  // Bound nesting before handing the text to the JSON parser.
  int depth = 0, max_depth = 0;
  for (uint8_t c : m) {
    if (c == '{' || c == '[') max_depth = std::max(max_depth, ++depth);
    if (c == '}' || c == ']') --depth;
  }
  if (max_depth > 32) {
    k.problem = "FIDO key material nests deeper than 32 levels";
    return;
  }
  const nlohmann::json j = nlohmann::json::parse(m.begin(), m.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    k.problem = "FIDO key material is not a JSON object";
    return;
  }
  if (auto it = j.find("displayName"); it != j.end() && it->is_string())
    k.fido_display_name = it->get<std::string>();
  if (auto it = j.find("x5c"); it != j.end() && it->is_array()) k.fido_certificates = it->size();
  auto it = j.find("authData");
  if (it == j.end() || !it->is_string()) {
    k.problem = "FIDO key material has no authData";
    return;
  }
  const auto auth = base64_decode(it->get_ref<const std::string&>());
  if (!auth) {
    k.problem = "FIDO authData is not base64";
    return;
  }
  BeReader r(*auth);
  std::span<const uint8_t> rp, aaguid, cred;
  uint8_t flags = 0;
  uint32_t count = 0;
  uint16_t cred_len = 0;
  if (!r.bytes(32, rp) || !r.u8(flags) || !r.u32(count)) {
    k.problem = fmt::format("FIDO authData is {} bytes, shorter than 37", auth->size());
    return;
  }
  k.fido_sign_count = count;
  if (!(flags & 0x40)) return;  // no attested credential data
  if (!r.bytes(16, aaguid) || !r.u16(cred_len) || !r.bytes(cred_len, cred)) {
    k.problem = "FIDO authData: attested credential data is truncated";
    return;
  }
  k.fido_aaguid = guid_from_be_bytes(aaguid.first<16>());
  k.fido_credential_id.assign(cred.begin(), cred.end());
}

const char* entry_name(uint8_t id) {
  switch (id) {
    case kKeyId:
      return "KeyID";
    case kKeyHash:
      return "KeyHash";
    case kKeyMaterial:
      return "KeyMaterial";
    case kKeyUsage:
      return "KeyUsage";
    case kKeySource:
      return "KeySource";
    case kDeviceId:
      return "DeviceId";
    case kCustomKeyInformation:
      return "CustomKeyInformation";
    case kKeyApproximateLastLogonTimeStamp:
      return "KeyApproximateLastLogonTimeStamp";
    case kKeyCreationTime:
      return "KeyCreationTime";
    default:
      return "unknown";
  }
}

constexpr int64_t kDotNetUnixEpochTicks = 621355968000000000LL;

}  // namespace

// ---- encodings ----

std::string hex_lower(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::vector<uint8_t>> hex_decode(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string base64_encode(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = bytes[i] << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
      continue;
    else
      return std::nullopt;
    if (padding) return std::nullopt;  // data after padding
    acc = ((acc << 6) | static_cast<uint32_t>(v)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character
  return out;
}

std::string guid_from_dotnet_bytes(std::span<const uint8_t, 16> b) {
  return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{}-{}", b[3], b[2], b[1],
                     b[0], b[5], b[4], b[7], b[6], hex_lower(b.subspan(8, 2)),
                     hex_lower(b.subspan(10, 6)));
}

std::string guid_from_be_bytes(std::span<const uint8_t, 16> b) {
  return fmt::format("{}-{}-{}-{}-{}", hex_lower(b.subspan(0, 4)), hex_lower(b.subspan(4, 2)),
                     hex_lower(b.subspan(6, 2)), hex_lower(b.subspan(8, 2)),
                     hex_lower(b.subspan(10, 6)));
}

std::string big_endian_to_decimal(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> num(bytes.begin(), bytes.end());
  std::string digits;
  auto nonzero = [&] {
    return std::any_of(num.begin(), num.end(), [](uint8_t b) { return b != 0; });
  };
  while (nonzero()) {
    unsigned rem = 0;
    for (auto& b : num) {
      const unsigned cur = rem * 256 + b;
      b = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
    }
    digits += static_cast<char>('0' + rem);
  }
  if (digits.empty()) digits = "0";
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::vector<uint8_t> sha256(std::span<const uint8_t> data) {
  std::vector<uint8_t> out(SHA256_DIGEST_LENGTH);
  SHA256(data.data(), data.size(), out.data());
  return out;
}

int64_t ticks_from_dotnet_ticks(int64_t ticks) { return ticks - kDotNetUnixEpochTicks; }

int64_t ticks_from_dotnet_binary(int64_t value) {
  constexpr int64_t kTicksMask = 0x3FFFFFFFFFFFFFFFLL;
  constexpr int64_t kTicksCeiling = 0x4000000000000000LL;
  constexpr int64_t kTicksPerDay = 864000000000LL;
  int64_t ticks = value & kTicksMask;
  const bool local = (static_cast<uint64_t>(value) >> 63) != 0;
  // A Local DateTime stores its UTC ticks (wrapped below zero near the minimum).
  if (local && ticks > kTicksCeiling - kTicksPerDay) ticks -= kTicksCeiling;
  return ticks_from_dotnet_ticks(ticks);
}

// ---- names ----

std::string usage_name(uint8_t usage) {
  switch (usage) {
    case kUsageAdminKey:
      return "AdminKey";
    case kUsageNgc:
      return "NGC";
    case kUsageStk:
      return "STK";
    case kUsageBitLocker:
      return "BitlockerRecovery";
    case kUsageFido:
      return "FIDO";
    case kUsageFek:
      return "FEK";
    default:
      return fmt::format("0x{:02x}", usage);
  }
}

std::string source_name(uint8_t source) {
  switch (source) {
    case kSourceAd:
      return "AD";
    case kSourceAzureAd:
      return "AzureAD";
    default:
      return fmt::format("0x{:02x}", source);
  }
}

std::string flags_name(uint8_t flags) {
  if (flags == 0) return "None";
  std::string out;
  auto add = [&](std::string_view s) {
    if (!out.empty()) out += ", ";
    out += s;
  };
  if (flags & kFlagAttestation) add("Attestation");
  if (flags & kFlagMfaNotUsed) add("MFANotUsed");
  if (flags & ~(kFlagAttestation | kFlagMfaNotUsed))
    add(fmt::format("0x{:02x}", flags & ~(kFlagAttestation | kFlagMfaNotUsed)));
  return out;
}

const char* format_name(KeyFormat f) {
  switch (f) {
    case KeyFormat::kNone:
      return "none";
    case KeyFormat::kUnknown:
      return "unknown";
    case KeyFormat::kBcryptRsa:
      return "BCRYPT_RSAKEY_BLOB";
    case KeyFormat::kDerPkcs1:
      return "DER";
    case KeyFormat::kTpm20Pcp:
      return "PCP_KEY_BLOB_WIN8";
    case KeyFormat::kFidoJson:
      return "FIDO_JSON";
  }
  return "unknown";
}

const char* key_type_name(KeyType t) {
  switch (t) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEcc:
      return "ECC";
    case KeyType::kFido:
      return "FIDO";
    case KeyType::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* time_encoding_name(TimeEncoding e) {
  switch (e) {
    case TimeEncoding::kFiletime:
      return "FILETIME";
    case TimeEncoding::kDotNetBinary:
      return "DateTime.ToBinary";
    case TimeEncoding::kDotNetTicks:
      return "DateTime.Ticks";
  }
  return "unknown";
}

// ---- ROCA ----

namespace {
constexpr unsigned kRocaPrimes[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
                                    47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
                                    107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};

struct RocaTable {
  std::array<std::bitset<168>, std::size(kRocaPrimes)> allowed;
  RocaTable() {
    for (size_t i = 0; i < std::size(kRocaPrimes); ++i) {
      const unsigned p = kRocaPrimes[i];
      const unsigned g = 65537 % p;
      unsigned x = 1;
      do {
        allowed[i].set(x);
        x = x * g % p;
      } while (x != 1);
    }
  }
};

const RocaTable& roca_table() {
  static const RocaTable table;
  return table;
}
}  // namespace

std::span<const unsigned> roca_primes() { return kRocaPrimes; }

bool roca_residue_in_subgroup(unsigned p, unsigned r) {
  const auto* it = std::find(std::begin(kRocaPrimes), std::end(kRocaPrimes), p);
  if (it == std::end(kRocaPrimes) || r >= p) return false;
  return roca_table().allowed[static_cast<size_t>(it - std::begin(kRocaPrimes))].test(r);
}

bool roca_vulnerable(std::span<const uint8_t> modulus_be) {
  if (std::all_of(modulus_be.begin(), modulus_be.end(), [](uint8_t b) { return b == 0; }))
    return false;
  const RocaTable& t = roca_table();
  for (size_t i = 0; i < std::size(kRocaPrimes); ++i) {
    const unsigned p = kRocaPrimes[i];
    unsigned r = 0;
    for (uint8_t b : modulus_be) r = (r * 256 + b) % p;
    if (!t.allowed[i].test(r)) return false;
  }
  return true;
}

// ---- DN-Binary ----

Result<DnBinary> parse_dn_binary(std::string_view text) {
  size_t begin = 0, end = text.size();
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (begin < end && space(text[begin])) ++begin;
  while (end > begin && space(text[end - 1])) --end;
  const std::string_view s = text.substr(begin, end - begin);
  auto err = [&](size_t at, std::string m) { return Error{begin + at, std::move(m)}; };
  if (s.size() < 2 || (s[0] != 'B' && s[0] != 'b') || s[1] != ':')
    return err(0, "a DN-Binary value starts with \"B:\"");
  size_t p = 2;
  uint64_t count = 0;
  while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
    if (p - 2 >= 9) return err(2, "the hex character count is implausibly large");
    count = count * 10 + static_cast<uint64_t>(s[p] - '0');
    ++p;
  }
  if (p == 2) return err(2, "expected the number of hex characters after \"B:\"");
  if (p >= s.size() || s[p] != ':') return err(p, "expected ':' after the hex character count");
  const size_t h = p + 1;
  if (count % 2) return err(2, fmt::format("the hex character count {} is odd", count));
  for (size_t i = h; i < s.size() && i < h + count; ++i)
    if (hex_value(s[i]) < 0) {
      if (s[i] == ':')
        return err(
            h, fmt::format("the value declares {} hex characters but has only {}", count, i - h));
      return err(i, fmt::format("'{}' is not a hex digit", s[i]));
    }
  if (h + count > s.size())
    return err(h, fmt::format("the value declares {} hex characters but only {} follow", count,
                              s.size() - h));
  if (h + count == s.size() || s[h + count] != ':') {
    if (h + count < s.size() && hex_value(s[h + count]) >= 0)
      return err(h + count, fmt::format("more hex characters follow than the declared {}", count));
    return err(h + count, "expected ':' before the owner DN");
  }
  DnBinary out;
  out.owner_dn = std::string(s.substr(h + count + 1));
  if (out.owner_dn.empty()) return err(h + count + 1, "the owner DN is empty");
  out.blob = *hex_decode(s.substr(h, count));
  return out;
}

// ---- blob ----

KeyMaterial decode_key_material(std::span<const uint8_t> m) {
  KeyMaterial k;
  if (m.empty()) return k;
  auto magic = [&](const char* s) { return m.size() >= 4 && std::memcmp(m.data(), s, 4) == 0; };
  if (magic("RSA1") || magic("RSA2") || magic("RSA3")) {
    decode_bcrypt(m, k);
  } else if (magic("PCPM") || magic("MPCP")) {  // 'MPCP' as a little-endian DWORD
    decode_pcp(m, k);
  } else if (m[0] == 0x30) {
    decode_der(m, k);
  } else {
    size_t i = 0;
    while (i < m.size() && (m[i] == ' ' || m[i] == '\t' || m[i] == '\r' || m[i] == '\n')) ++i;
    if (i < m.size() && m[i] == '{') {
      decode_fido(m, k);
    } else {
      k.format = KeyFormat::kUnknown;
      k.problem = fmt::format("unrecognised key material format (first bytes {})", hex_prefix(m));
    }
  }
  return k;
}

Result<KeyCredential> decode(std::span<const uint8_t> blob) {
  if (blob.size() < 4)
    return Error{
        0, fmt::format("the blob is {} bytes; the 4-byte version alone needs 4", blob.size())};
  KeyCredential kc;
  kc.version = le32(blob.data());
  if (kc.version != kVersion0 && kc.version != kVersion1 && kc.version != kVersion2)
    return Error{0, fmt::format("unknown version 0x{:08x} (expected 0x00000200)", kc.version)};
  if (kc.version != kVersion2)
    kc.problems.push_back(fmt::format("legacy structure version 0x{:08x}", kc.version));

  size_t pos = 4;
  size_t hash_from = 0;
  bool have_hash = false;
  int last_id = -1;
  std::span<const uint8_t> created, last_logon;
  size_t created_at = 0, last_logon_at = 0;
  while (pos < blob.size()) {
    const size_t left = blob.size() - pos;
    if (left < 3)
      return Error{pos, fmt::format("truncated entry header: {} bytes left, 3 needed", left)};
    const uint16_t len = le16(blob.data() + pos);
    const uint8_t id = blob[pos + 2];
    if (left - 3 < len)
      return Error{pos, fmt::format("entry 0x{:02x} ({}) declares {} bytes but only {} remain", id,
                                    entry_name(id), len, left - 3)};
    const std::span<const uint8_t> v = blob.subspan(pos + 3, len);
    kc.entries.push_back({id, pos, len});
    if (static_cast<int>(id) == last_id)
      kc.problems.push_back(fmt::format("entry 0x{:02x} ({}) at offset {} repeats; the last wins",
                                        id, entry_name(id), pos));
    else if (static_cast<int>(id) < last_id)
      kc.problems.push_back(fmt::format(
          "entry 0x{:02x} at offset {} is out of order (entries are sorted by id)", id, pos));
    last_id = std::max(last_id, static_cast<int>(id));
    switch (id) {
      case kKeyId:
        kc.key_id.assign(v.begin(), v.end());
        break;
      case kKeyHash:
        kc.key_hash.assign(v.begin(), v.end());
        hash_from = pos + 3 + len;
        have_hash = true;
        break;
      case kKeyMaterial:
        kc.raw_material.assign(v.begin(), v.end());
        break;
      case kKeyUsage:
        if (len == 1)
          kc.usage = v[0];
        else
          kc.legacy_usage.assign(v.begin(), v.end());
        break;
      case kKeySource:
        if (len == 0) {
          kc.problems.push_back(fmt::format("KeySource at offset {} is empty", pos));
        } else {
          kc.source = v[0];
          if (len != 1)
            kc.problems.push_back(
                fmt::format("KeySource at offset {} is {} bytes, 1 expected", pos, len));
        }
        break;
      case kDeviceId:
        if (len == 16)
          kc.device_id = guid_from_dotnet_bytes(v.first<16>());
        else
          kc.problems.push_back(
              fmt::format("DeviceId at offset {} is {} bytes, 16 expected", pos, len));
        break;
      case kCustomKeyInformation: {
        if (len < 2) {
          kc.problems.push_back(fmt::format(
              "CustomKeyInformation at offset {} is {} bytes, at least 2 expected", pos, len));
          if (len == 1) kc.custom = CustomKeyInfo{v[0], 0, {}, {}, {}, {}, {}};
          break;
        }
        CustomKeyInfo c;
        c.version = v[0];
        c.flags = v[1];
        if (len > 2) c.volume_type = v[2];
        if (len > 3) c.supports_notification = v[3];
        if (len > 4) c.fek_key_version = v[4];
        if (len >= 9) c.key_strength = le32(v.data() + 5);
        if (len > 19) c.encoded_extended_cki.assign(v.begin() + 19, v.end());
        kc.custom = std::move(c);
        break;
      }
      case kKeyApproximateLastLogonTimeStamp:
        last_logon = v;
        last_logon_at = pos;
        break;
      case kKeyCreationTime:
        created = v;
        created_at = pos;
        break;
      default:
        kc.problems.push_back(
            fmt::format("unknown entry identifier 0x{:02x} at offset {} ignored", id, pos));
        break;
    }
    pos += 3 + static_cast<size_t>(len);
    if (kc.version == kVersion0) pos += std::min<size_t>((4 - len % 4) % 4, blob.size() - pos);
  }

  // Times: the encoding depends on the version and, for version 2, on KeySource.
  if (kc.version == kVersion0)
    kc.time_encoding = TimeEncoding::kDotNetTicks;
  else if (kc.version == kVersion1)
    kc.time_encoding = TimeEncoding::kDotNetBinary;
  else
    kc.time_encoding = kc.source.value_or(kSourceAd) == kSourceAzureAd ? TimeEncoding::kDotNetBinary
                                                                       : TimeEncoding::kFiletime;
  auto read_time = [&](std::span<const uint8_t> v, size_t at, const char* name,
                       std::optional<int64_t>& out, std::optional<uint64_t>& raw) {
    if (v.empty()) return;
    if (v.size() != 8) {
      kc.problems.push_back(
          fmt::format("{} at offset {} is {} bytes, 8 expected", name, at, v.size()));
      return;
    }
    raw = le64(v.data());
    const auto s = static_cast<int64_t>(*raw);
    switch (kc.time_encoding) {
      case TimeEncoding::kFiletime:
      case TimeEncoding::kDotNetTicks:
        if (s < 0) {
          kc.problems.push_back(
              fmt::format("{} at offset {} is out of range (0x{:016x})", name, at, *raw));
          return;
        }
        out = kc.time_encoding == TimeEncoding::kFiletime
                  ? time::ticks_from_filetime(static_cast<uint64_t>(s))
                  : ticks_from_dotnet_ticks(s);
        break;
      case TimeEncoding::kDotNetBinary:
        out = ticks_from_dotnet_binary(s);
        break;
    }
  };
  read_time(created, created_at, "KeyCreationTime", kc.created, kc.created_raw);
  read_time(last_logon, last_logon_at, "KeyApproximateLastLogonTimeStamp", kc.last_logon,
            kc.last_logon_raw);

  kc.material = decode_key_material(kc.raw_material);
  if (!kc.material.problem.empty()) kc.problems.push_back("key material: " + kc.material.problem);
  if (kc.material.type == KeyType::kRsa) kc.roca_vulnerable = roca_vulnerable(kc.material.modulus);

  // Integrity.
  kc.key_id_hex = hex_lower(kc.key_id);
  kc.key_id_base64 = base64_encode(kc.key_id);
  if (kc.key_id.empty()) {
    kc.problems.push_back("no KeyID entry");
  } else if (kc.raw_material.empty()) {
    kc.problems.push_back("no KeyMaterial entry: the KeyID cannot be checked");
  } else {
    const auto digest = sha256(kc.raw_material);
    kc.key_id_ok = digest == kc.key_id;
    // FIDO keys are identified by their credential id instead.
    if (!kc.key_id_ok && kc.material.type == KeyType::kFido &&
        !kc.material.fido_credential_id.empty())
      kc.key_id_ok = kc.material.fido_credential_id == kc.key_id;
    if (!kc.key_id_ok)
      kc.problems.push_back(fmt::format(
          "KeyID {} does not match SHA-256 of the {}-byte KeyMaterial ({}){}: the key material "
          "or the KeyID was altered",
          hex_prefix(kc.key_id), kc.raw_material.size(), hex_prefix(digest),
          kc.material.type == KeyType::kFido ? " nor the FIDO credential id" : ""));
  }
  if (!have_hash) {
    kc.problems.push_back("no KeyHash entry: the blob's integrity cannot be checked");
  } else {
    const auto digest = sha256(blob.subspan(hash_from));
    kc.key_hash_ok = digest == kc.key_hash;
    if (!kc.key_hash_ok)
      kc.problems.push_back(fmt::format(
          "KeyHash {} does not match SHA-256 of the {} bytes after it (offset {}, {}): the "
          "entries were altered after the hash was written",
          hex_prefix(kc.key_hash), blob.size() - hash_from, hash_from, hex_prefix(digest)));
  }
  return kc;
}

}  // namespace hellotrace::keycred
