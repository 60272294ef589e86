// Tests of the KEYCREDENTIALLINK_BLOB decoder on the shared corpus (DSInternals test
// vectors, a swtpm key) and on blobs built here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <hellotrace/keycredlink/keycredlink.hpp>
#include <hellotrace/time.hpp>
#include <sstream>

namespace kc = hellotrace::keycred;
namespace fs = std::filesystem;

namespace {

fs::path corpus_dir() { return fs::path(HT_CORPUS_DIR) / "keycredentiallink"; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

#define REQUIRE_CORPUS()                                                              \
  do {                                                                                \
    if (!fs::is_directory(corpus_dir()))                                              \
      GTEST_SKIP() << "shared corpus not found at " << corpus_dir()                   \
                   << " (set HELLOTRACE_CORPUS_DIR); skipping the real test vectors"; \
  } while (0)

std::vector<uint8_t> vector_blob(const std::string& name) {
  const std::string text = read_text(corpus_dir() / (name + ".hex"));
  auto bytes = kc::hex_decode(text.substr(0, text.find_last_not_of("\r\n ") + 1));
  EXPECT_TRUE(bytes.has_value()) << name;
  return bytes.value_or(std::vector<uint8_t>{});
}

kc::KeyCredential decode_vector(const std::string& name) {
  const auto blob = vector_blob(name);
  auto r = kc::decode(blob);
  EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? r.value() : kc::KeyCredential{};
}

std::string iso(const std::optional<int64_t>& t) {
  return t ? hellotrace::time::format_iso(*t) : std::string("none");
}

// Appends one entry.
void put(std::vector<uint8_t>& out, uint8_t id, std::span<const uint8_t> v) {
  out.push_back(static_cast<uint8_t>(v.size() & 0xFF));
  out.push_back(static_cast<uint8_t>(v.size() >> 8));
  out.push_back(id);
  out.insert(out.end(), v.begin(), v.end());
}

// A valid version-2 blob around `material` (KeyID and KeyHash computed).
std::vector<uint8_t> build_blob(std::span<const uint8_t> material, uint8_t usage = 1,
                                uint8_t source = 0) {
  std::vector<uint8_t> rest;
  put(rest, kc::kKeyMaterial, material);
  put(rest, kc::kKeyUsage, std::vector<uint8_t>{usage});
  put(rest, kc::kKeySource, std::vector<uint8_t>{source});
  const std::vector<uint8_t> device = {0xE3, 0x77, 0xF5, 0x47, 0xD0, 0xD2, 0x0A, 0x4A,
                                       0x8A, 0xCA, 0xE0, 0x50, 0x10, 0x98, 0xBD, 0xE4};
  put(rest, kc::kDeviceId, device);
  put(rest, kc::kCustomKeyInformation, std::vector<uint8_t>{1, 0});
  // 2024-01-02T03:04:05Z as FILETIME.
  const uint64_t ft =
      static_cast<uint64_t>(hellotrace::time::ticks_from_civil(2024, 1, 2, 3, 4, 5) +
                            hellotrace::time::kFiletimeUnixEpoch);
  std::vector<uint8_t> t(8);
  for (int i = 0; i < 8; ++i) t[i] = static_cast<uint8_t>(ft >> (8 * i));
  put(rest, kc::kKeyApproximateLastLogonTimeStamp, t);
  put(rest, kc::kKeyCreationTime, t);
  std::vector<uint8_t> blob = {0x00, 0x02, 0x00, 0x00};
  put(blob, kc::kKeyId, kc::sha256(material));
  put(blob, kc::kKeyHash, kc::sha256(rest));
  blob.insert(blob.end(), rest.begin(), rest.end());
  return blob;
}

// A BCRYPT RSA1 public blob with a made-up 2048-bit modulus.
std::vector<uint8_t> bcrypt_rsa(std::vector<uint8_t> modulus) {
  std::vector<uint8_t> m = {'R', 'S', 'A', '1', 0x00, 0x08, 0, 0, 3, 0, 0, 0, 0, 1,
                            0,   0,   0,   0,   0,    0,    0, 0, 0, 0, 1, 0, 1};
  m.insert(m.end(), modulus.begin(), modulus.end());
  return m;
}

std::vector<uint8_t> made_up_modulus(uint8_t seed) {
  std::vector<uint8_t> n;
  std::vector<uint8_t> block = {seed};
  while (n.size() < 256) {
    block = kc::sha256(block);
    n.insert(n.end(), block.begin(), block.end());
  }
  n[0] |= 0x80;
  n[255] |= 1;
  return n;
}

}  // namespace

// ---- corpus ----

TEST(KeyCredLinkCorpus, EveryVectorDecodesAndVerifies) {
  REQUIRE_CORPUS();
  size_t count = 0;
  for (const auto& e : fs::directory_iterator(corpus_dir())) {
    if (e.path().extension() != ".hex") continue;
    ++count;
    const std::string name = e.path().stem().string();
    const auto k = decode_vector(name);
    EXPECT_EQ(k.version, kc::kVersion2) << name;
    EXPECT_TRUE(k.key_id_ok) << name;
    EXPECT_TRUE(k.key_hash_ok) << name;
    EXPECT_TRUE(k.problems.empty()) << name << ": " << (k.problems.empty() ? "" : k.problems[0]);
    EXPECT_NE(k.material.format, kc::KeyFormat::kUnknown) << name;
    EXPECT_TRUE(k.created.has_value()) << name;
  }
  EXPECT_GE(count, 16u);
}

TEST(KeyCredLinkCorpus, UserKey1MatchesDSInternals) {
  REQUIRE_CORPUS();
  const auto k = decode_vector("KeyCredential_Parse_UserKey1");
  EXPECT_EQ(k.usage, kc::kUsageNgc);
  EXPECT_EQ(k.source, kc::kSourceAd);
  EXPECT_EQ(k.key_id_base64, "IHF64FL8z1RqrQ1R6Hiq1pzgT9w59ajY4866a8tNoOc=");
  EXPECT_EQ(k.key_id_hex, "20717ae052fccf546aad0d51e878aad69ce04fdc39f5a8d8e3ceba6bcb4da0e7");
  EXPECT_EQ(k.device_id, "47f577e3-d2d0-4a0a-8aca-e0501098bde4");
  ASSERT_TRUE(k.custom.has_value());
  EXPECT_EQ(k.time_encoding, kc::TimeEncoding::kFiletime);
  // DSInternals builds this blob from DateTime.FromFileTime(131734027581684545).
  EXPECT_EQ(k.created_raw, 131734027581684545ull);
  EXPECT_EQ(iso(k.created), "2018-06-13T22:32:38.1684545Z");
  EXPECT_EQ(k.material.format, kc::KeyFormat::kBcryptRsa);
  EXPECT_EQ(k.material.type, kc::KeyType::kRsa);
  EXPECT_EQ(k.material.key_size_bits, 2048u);
  EXPECT_EQ(k.material.modulus.size(), 256u);
  EXPECT_EQ(kc::hex_lower(k.material.exponent), "010001");
  EXPECT_EQ(kc::hex_lower(std::span(k.material.modulus).first(4)), "c1a78914");
  EXPECT_FALSE(k.roca_vulnerable);
}

TEST(KeyCredLinkCorpus, UserKey2And3AreAzureAdWithDotNetTimes) {
  REQUIRE_CORPUS();
  const auto k2 = decode_vector("KeyCredential_Parse_UserKey2");
  EXPECT_EQ(k2.source, kc::kSourceAzureAd);
  EXPECT_EQ(k2.time_encoding, kc::TimeEncoding::kDotNetBinary);
  ASSERT_TRUE(k2.custom.has_value());
  EXPECT_EQ(k2.custom->supports_notification, 1);
  const auto k3 = decode_vector("KeyCredential_Parse_UserKey3");
  EXPECT_EQ(k3.usage, kc::kUsageNgc);
  EXPECT_EQ(k3.source, kc::kSourceAzureAd);
  ASSERT_TRUE(k3.custom.has_value());
  EXPECT_EQ(k3.custom->flags, 0);
  // DSInternals' Get-ADKeyCredential example lists this key: fd591087-…, 2017-07-19.
  EXPECT_EQ(k3.device_id, "fd591087-245c-4ff5-a5ea-c14de5e2b32d");
  EXPECT_EQ(iso(k3.created), "2017-07-19T07:41:02.6454481Z");
}

TEST(KeyCredLinkCorpus, RocaPositiveOnlyOnUserKey3) {
  REQUIRE_CORPUS();
  for (const auto& e : fs::directory_iterator(corpus_dir())) {
    if (e.path().extension() != ".hex") continue;
    const std::string name = e.path().stem().string();
    const auto k = decode_vector(name);
    const bool expected = name == "KeyCredential_Parse_UserKey3";
    EXPECT_EQ(k.roca_vulnerable, expected) << name;
    if (k.material.type == kc::KeyType::kRsa) {
      EXPECT_EQ(kc::roca_vulnerable(k.material.modulus), expected) << name;
    }
  }
}

TEST(KeyCredLinkCorpus, DeviceKeysAreStk) {
  REQUIRE_CORPUS();
  const auto rsa = decode_vector("KeyCredential_Parse_DeviceKey_RSA");
  EXPECT_EQ(rsa.usage, kc::kUsageStk);
  EXPECT_EQ(rsa.source, kc::kSourceAd);
  EXPECT_EQ(rsa.key_id_base64, "c+a+uKm1sIKDiEdue/3V+OehE+wIB+8lwPvPOc60MRE=");
  EXPECT_EQ(rsa.material.type, kc::KeyType::kRsa);

  const auto tpm = decode_vector("KeyCredential_Parse_DeviceKey_TPM");
  EXPECT_EQ(tpm.usage, kc::kUsageStk);
  EXPECT_EQ(tpm.source, kc::kSourceAd);
  ASSERT_TRUE(tpm.custom.has_value());
  EXPECT_EQ(tpm.custom->flags, 0);
  EXPECT_EQ(tpm.key_id_base64, "OoYGWyO8xBkLx3x2d0QltMav9+41lY0sGxKIMPF9if0=");
  EXPECT_EQ(tpm.last_logon, tpm.created);
  EXPECT_EQ(iso(tpm.created), "2019-08-02T18:11:37.5665512Z");
  EXPECT_EQ(tpm.raw_material.size(), 0x304u);
  EXPECT_EQ(tpm.device_id, "cfe9a872-13ff-4751-a777-aec88c30a762");
  EXPECT_EQ(tpm.material.format, kc::KeyFormat::kTpm20Pcp);
  EXPECT_EQ(tpm.material.type, kc::KeyType::kRsa);
  EXPECT_EQ(tpm.material.key_size_bits, 2048u);
  EXPECT_EQ(tpm.material.modulus.size(), 256u);
  EXPECT_EQ(kc::hex_lower(tpm.material.exponent), "010001");
  EXPECT_EQ(kc::hex_lower(std::span(tpm.material.modulus).first(4)), "a88e8812");
}

TEST(KeyCredLinkCorpus, ComputerKeyIsDerWithoutCustomInfo) {
  REQUIRE_CORPUS();
  const auto k = decode_vector("KeyCredential_Parse_ComputerKey");
  EXPECT_EQ(k.usage, kc::kUsageNgc);
  EXPECT_EQ(k.source, kc::kSourceAd);
  EXPECT_FALSE(k.custom.has_value());
  EXPECT_EQ(k.material.format, kc::KeyFormat::kDerPkcs1);
  EXPECT_EQ(k.material.key_size_bits, 2048u);
  EXPECT_EQ(kc::hex_lower(std::span(k.material.modulus).first(4)), "b851c921");
  EXPECT_EQ(kc::big_endian_to_decimal(k.material.exponent), "65537");
}

TEST(KeyCredLinkCorpus, NonMfaKeyFlag) {
  REQUIRE_CORPUS();
  const auto k = decode_vector("KeyCredential_Parse_NonMFAKey");
  EXPECT_EQ(k.usage, kc::kUsageNgc);
  EXPECT_EQ(k.source, kc::kSourceAd);
  ASSERT_TRUE(k.custom.has_value());
  EXPECT_TRUE(k.custom->flags & kc::kFlagMfaNotUsed);
  EXPECT_EQ(kc::flags_name(k.custom->flags), "MFANotUsed");
  EXPECT_EQ(k.material.modulus.size(), 256u);
}

TEST(KeyCredLinkCorpus, FidoKeysUseTheCredentialIdAsKeyId) {
  REQUIRE_CORPUS();
  const auto f0 = decode_vector("KeyCredential_Parse_UserKeyFIDO0");
  EXPECT_EQ(f0.usage, kc::kUsageFido);
  EXPECT_EQ(f0.source, kc::kSourceAzureAd);
  ASSERT_TRUE(f0.custom.has_value());
  EXPECT_EQ(f0.custom->flags, kc::kFlagAttestation);
  EXPECT_EQ(f0.key_id_base64, "WEe6PFT+3MT+pJ2VfR/4jQ==");
  EXPECT_TRUE(f0.key_id_ok);
  EXPECT_EQ(f0.material.type, kc::KeyType::kFido);
  EXPECT_EQ(f0.material.fido_display_name, "Yubikey 5");
  EXPECT_EQ(f0.material.fido_aaguid, "fa2b99dc-9e39-4257-8f92-4a30d23c4118");
  EXPECT_EQ(f0.material.fido_sign_count, 0x32u);
  EXPECT_EQ(kc::hex_lower(f0.material.fido_credential_id), "5847ba3c54fedcc4fea49d957d1ff88d");

  const auto f7 = decode_vector("KeyCredential_Parse_UserKeyFIDO7");
  EXPECT_EQ(f7.key_id_base64, "qdu6AEGxrxMiO9ORRlsPeSQhSKm4ffN7FTYXmbUemPM=");
  EXPECT_EQ(f7.material.fido_display_name, "eWMB Goldengate G320");
  EXPECT_EQ(f7.material.fido_aaguid, "87dbc5a1-4c94-4dc8-8a47-97d800fd1f3c");
  EXPECT_EQ(f7.material.fido_sign_count, 0x53u);
}

TEST(KeyCredLinkCorpus, TamperedKeyMaterialFailsWithClearMessage) {
  REQUIRE_CORPUS();
  auto blob = vector_blob("KeyCredential_Parse_UserKey1");
  ASSERT_GT(blob.size(), 200u);
  // The KeyMaterial value starts after version (4), KeyID (3+32), KeyHash (3+32), header (3).
  blob[4 + 35 + 35 + 3 + 100] ^= 0x01;
  auto r = kc::decode(blob);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->key_id_ok);
  EXPECT_FALSE(r->key_hash_ok);
  ASSERT_EQ(r->problems.size(), 2u);
  EXPECT_NE(r->problems[0].find("KeyID 20717ae052fccf54"), std::string::npos) << r->problems[0];
  EXPECT_NE(r->problems[0].find("does not match SHA-256 of the 283-byte KeyMaterial"),
            std::string::npos)
      << r->problems[0];
  EXPECT_NE(r->problems[1].find("KeyHash"), std::string::npos) << r->problems[1];
  EXPECT_NE(r->problems[1].find("offset 74"), std::string::npos) << r->problems[1];
}

TEST(KeyCredLinkCorpus, SwtpmDnBinaryParses) {
  REQUIRE_CORPUS();
  const auto dn = kc::parse_dn_binary(read_text(corpus_dir() / "swtpm_key.dnbinary"));
  ASSERT_TRUE(dn.ok()) << dn.error().to_string();
  EXPECT_EQ(dn->owner_dn, "CN=Test User,OU=Users,DC=contoso,DC=com");
  EXPECT_EQ(dn->blob.size(), 414u);
  const auto k = kc::decode(dn->blob);
  ASSERT_TRUE(k.ok()) << k.error().to_string();
  EXPECT_TRUE(k->key_id_ok);
  EXPECT_TRUE(k->key_hash_ok);
  EXPECT_TRUE(k->material.format == kc::KeyFormat::kBcryptRsa ||
              k->material.format == kc::KeyFormat::kTpm20Pcp);
  EXPECT_EQ(k->material.key_size_bits, 2048u);
  EXPECT_EQ(k->usage, kc::kUsageNgc);
  EXPECT_FALSE(k->roca_vulnerable);
  EXPECT_TRUE(k->created.has_value());
}

// ---- DN-Binary ----

TEST(DnBinary, ParsesAndValidatesTheCount) {
  auto ok = kc::parse_dn_binary("  B:8:0002AbCd:CN=A,DC=x\r\n");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(kc::hex_lower(ok->blob), "0002abcd");
  EXPECT_EQ(ok->owner_dn, "CN=A,DC=x");

  auto short_hex = kc::parse_dn_binary("B:10:0002ABCD:CN=A");
  ASSERT_FALSE(short_hex.ok());
  EXPECT_EQ(short_hex.error().offset, 5u);
  EXPECT_NE(short_hex.error().message.find("declares 10 hex characters but has only 8"),
            std::string::npos)
      << short_hex.error().message;

  auto long_hex = kc::parse_dn_binary("B:6:0002ABCD:CN=A");
  ASSERT_FALSE(long_hex.ok());
  EXPECT_EQ(long_hex.error().offset, 10u);

  auto bad_digit = kc::parse_dn_binary("B:8:0002ABXD:CN=A");
  ASSERT_FALSE(bad_digit.ok());
  EXPECT_EQ(bad_digit.error().offset, 10u);
  EXPECT_NE(bad_digit.error().message.find("'X' is not a hex digit"), std::string::npos);

  EXPECT_FALSE(kc::parse_dn_binary("S:8:0002ABCD:CN=A").ok());
  EXPECT_FALSE(kc::parse_dn_binary("B:7:0002ABC:CN=A").ok());
  EXPECT_FALSE(kc::parse_dn_binary("B:8:0002ABCD:").ok());
  EXPECT_FALSE(kc::parse_dn_binary("B::CN=A").ok());
  EXPECT_FALSE(kc::parse_dn_binary("B:99999999999:00:CN=A").ok());
  EXPECT_FALSE(kc::parse_dn_binary("").ok());
}

// ---- built blobs ----

TEST(KeyCredLinkBuilt, ValidBlobVerifies) {
  const auto blob = build_blob(bcrypt_rsa(made_up_modulus(1)));
  auto r = kc::decode(blob);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->key_id_ok);
  EXPECT_TRUE(r->key_hash_ok);
  EXPECT_TRUE(r->problems.empty());
  EXPECT_EQ(r->device_id, "47f577e3-d2d0-4a0a-8aca-e0501098bde4");
  EXPECT_EQ(iso(r->created), "2024-01-02T03:04:05.0000000Z");
  EXPECT_EQ(r->material.key_size_bits, 2048u);
  EXPECT_FALSE(r->roca_vulnerable);
}

TEST(KeyCredLinkBuilt, EveryTruncationIsAnErrorOrDecodes) {
  const auto blob = build_blob(bcrypt_rsa(made_up_modulus(2)));
  for (size_t n = 0; n < blob.size(); ++n) {
    auto r = kc::decode(std::span(blob).first(n));
    if (!r.ok()) {
      EXPECT_LE(r.error().offset, n);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  auto r = kc::decode(std::span(blob).first(30));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 4u);
  EXPECT_NE(r.error().message.find("entry 0x01 (KeyID) declares 32 bytes but only 23 remain"),
            std::string::npos)
      << r.error().message;
}

TEST(KeyCredLinkBuilt, BadVersionAndShortBlob) {
  const std::vector<uint8_t> v = {0x00, 0x03, 0x00, 0x00};
  auto r = kc::decode(v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 0u);
  EXPECT_NE(r.error().message.find("unknown version 0x00000300"), std::string::npos);
  EXPECT_FALSE(kc::decode(std::span(v).first(3)).ok());
}

TEST(KeyCredLinkBuilt, DamagedKeyMaterialIsAProblemNotACrash) {
  std::vector<uint8_t> m = bcrypt_rsa(made_up_modulus(3));
  m.resize(100);  // modulus cut short
  auto r = kc::decode(build_blob(m));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->key_id_ok);
  EXPECT_FALSE(r->material.problem.empty());
  EXPECT_NE(r->material.problem.find("256-byte modulus"), std::string::npos) << r->material.problem;
}

// ---- ROCA ----

TEST(Roca, SubgroupMasksMatchTheReferenceDetector) {
  // crocs-muni/roca detect.py "prints" for 3, 5, 7, 11, 13, 17, 19, 23 ... 59.
  const uint64_t prints[] = {6ull,
                             30ull,
                             126ull,
                             1026ull,
                             5658ull,
                             107286ull,
                             199410ull,
                             8388606ull,
                             536870910ull,
                             2147483646ull,
                             67109890ull,
                             2199023255550ull,
                             8796093022206ull,
                             140737488355326ull,
                             5310023542746834ull,
                             576460752303423486ull,
                             1455791217086302986ull};
  const auto primes = kc::roca_primes();
  ASSERT_EQ(primes.size(), 38u);
  EXPECT_EQ(primes.front(), 3u);
  EXPECT_EQ(primes.back(), 167u);
  for (size_t i = 0; i < std::size(prints); ++i) {
    uint64_t mask = 0;
    for (unsigned r = 0; r < primes[i]; ++r)
      if (kc::roca_residue_in_subgroup(primes[i], r)) mask |= 1ull << r;
    EXPECT_EQ(mask, prints[i]) << "prime " << primes[i];
  }
}

TEST(Roca, PowersOf65537AreFingerprinted) {
  // 65537^k (any k) passes every subgroup test by construction.
  std::vector<uint8_t> n = {0x01, 0x00, 0x01};
  EXPECT_TRUE(kc::roca_vulnerable(n));
  EXPECT_FALSE(kc::roca_vulnerable(std::vector<uint8_t>{0x01, 0x00, 0x03}));
  EXPECT_FALSE(kc::roca_vulnerable({}));
  EXPECT_FALSE(kc::roca_vulnerable(std::vector<uint8_t>{0, 0}));
  EXPECT_FALSE(kc::roca_vulnerable(made_up_modulus(4)));
}

// ---- encodings ----

TEST(Encodings, Base64AndGuidAndDecimal) {
  const std::vector<uint8_t> b = {0xfb, 0xff, 0x00, 0x41};
  EXPECT_EQ(kc::base64_encode(b), "+/8AQQ==");
  EXPECT_EQ(kc::base64_decode("+/8AQQ=="), b);
  EXPECT_EQ(kc::base64_decode("-_8AQQ"), b);
  EXPECT_FALSE(kc::base64_decode("+/8A*Q==").has_value());
  EXPECT_EQ(kc::big_endian_to_decimal(std::vector<uint8_t>{0x01, 0x00, 0x01}), "65537");
  EXPECT_EQ(kc::big_endian_to_decimal({}), "0");
  EXPECT_EQ(kc::usage_name(7), "FIDO");
  EXPECT_EQ(kc::usage_name(0x42), "0x42");
  EXPECT_EQ(kc::flags_name(3), "Attestation, MFANotUsed");
  // DateTime(2017,7,19,...,Utc).ToBinary() → the stored value of UserKey3's creation time.
  EXPECT_EQ(hellotrace::time::format_iso(kc::ticks_from_dotnet_binary(0x48D4CE798194B7D1LL)),
            "2017-07-19T07:41:02.6454481Z");
}
