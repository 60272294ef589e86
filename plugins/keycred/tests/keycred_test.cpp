// keycred plugin tests: the samples in plugins/keycred/samples (built by
// samples/make_samples.py), exports built at test time from the shared corpus, and
// damaged input.
#include <gtest/gtest.h>
#include <hellotrace/plugin_api.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <hellotrace/event.hpp>
#include <hellotrace/keycredlink/keycredlink.hpp>
#include <hellotrace/time.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

extern "C" const ht_plugin* ht_plugin_keycred(void);

namespace fs = std::filesystem;
using hellotrace::Event;

namespace {

const std::string kJohn = "CN=John Doe,OU=Employees,DC=contoso,DC=com";
const std::string kJane = "CN=Jane Roe,OU=Employees,DC=contoso,DC=com";
const std::string kSidJohn = "S-1-5-21-1236425271-2880748467-2592687428-1110";

struct Diag {
  int severity;
  uint64_t line;
  std::string message;
};

struct Parsed {
  std::vector<Event> events;  // ad.key_credential
  std::vector<Event> users;   // ad.user: accounts the export covered
  std::vector<Diag> diags;
  int rc = -1;
  size_t warnings() const {
    size_t n = 0;
    for (const auto& d : diags) n += d.severity >= HT_DIAG_WARNING;
    return n;
  }
  bool has_warning(const std::string& part, uint64_t line = HT_NO_NUMBER) const {
    for (const auto& d : diags)
      if (d.severity >= HT_DIAG_WARNING && d.message.find(part) != std::string::npos &&
          (line == HT_NO_NUMBER || d.line == line))
        return true;
    return false;
  }
  std::string dump() const {
    std::string s;
    for (const auto& d : diags) s += std::to_string(d.line) + ": " + d.message + "\n";
    return s;
  }
};

int on_emit(void* ctx, const ht_event* e) {
  Event ev = hellotrace::event_from_abi(*e);
  auto* p = static_cast<Parsed*>(ctx);
  (ev.kind == "ad.user" ? p->users : p->events).push_back(std::move(ev));
  return 0;
}
void on_diag(void* ctx, const ht_diagnostic* d) {
  static_cast<Parsed*>(ctx)->diags.push_back(
      {d->severity, d->position.line, std::string(d->message.data, d->message.size)});
}

Parsed parse_bytes(const std::string& bytes, const std::string& options = "{}") {
  const ht_plugin* p = ht_plugin_keycred();
  void* inst = p->init(ht_str{"{}", 2}, nullptr, nullptr);
  Parsed run;
  ht_source src{};
  src.struct_size = sizeof src;
  src.path = ht_str{"test", 4};
  src.data = reinterpret_cast<const uint8_t*>(bytes.data());
  src.size = bytes.size();
  src.options_json = ht_str{options.data(), options.size()};
  ht_event_sink sink{&run, &on_emit, &on_diag};
  run.rc = p->parse(inst, &src, &sink);
  p->destroy(inst);
  return run;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Parsed parse_sample(const std::string& name, const std::string& options = "{}") {
  const fs::path p = fs::path(HT_SOURCE_DIR) / "plugins/keycred/samples" / name;
  const std::string bytes = read_file(p);
  EXPECT_FALSE(bytes.empty()) << p;
  return parse_bytes(bytes, options);
}

int sniff(const std::string& bytes, const std::string& name = "export.txt") {
  const ht_plugin* p = ht_plugin_keycred();
  void* inst = p->init(ht_str{"{}", 2}, nullptr, nullptr);
  const int s = p->sniff(inst, reinterpret_cast<const uint8_t*>(bytes.data()),
                         std::min<size_t>(bytes.size(), HT_SNIFF_PREFIX_SIZE),
                         ht_str{name.data(), name.size()});
  p->destroy(inst);
  return s;
}

std::string f(const Event& e, const std::string& name) {
  const std::string* v = e.field(name);
  return v ? *v : "<none>";
}

std::string iso(int64_t t) { return hellotrace::time::format_iso(t); }

}  // namespace

TEST(KeycredPlugin, TableDescribesTheParser) {
  const ht_plugin* p = ht_plugin_keycred();
  EXPECT_STREQ(p->name, "keycred");
  EXPECT_EQ(p->capabilities, static_cast<uint32_t>(HT_CAP_PARSE));
  EXPECT_STREQ(p->event_kinds[0], "ad.key_credential");
  EXPECT_STREQ(p->event_kinds[1], "ad.user");
  EXPECT_EQ(p->event_kinds[2], nullptr);
}

TEST(KeycredPlugin, LdifdeWrapped) {
  const Parsed r = parse_sample("ldifde-wrapped.ldf");
  ASSERT_EQ(r.rc, HT_OK);
  ASSERT_EQ(r.events.size(), 3u) << r.dump();
  EXPECT_EQ(r.warnings(), 0u) << r.dump();
  const Event& a = r.events[0];
  EXPECT_EQ(a.kind, "ad.key_credential");
  EXPECT_EQ(f(a, "Format"), "ldif");
  EXPECT_EQ(a.subject.user_dn, kJohn);
  EXPECT_EQ(a.subject.user_upn, "john@contoso.com");
  EXPECT_EQ(a.subject.user_sam, "john");
  EXPECT_EQ(a.subject.user_sid, kSidJohn);  // from the binary objectSid
  EXPECT_EQ(a.subject.device_id, "b3b2a45c-1f0e-4d7a-9a6e-0c1d2e3f4a5b");
  EXPECT_EQ(f(a, "KeyIdValid"), "true");
  EXPECT_EQ(f(a, "KeyHashValid"), "true");
  EXPECT_EQ(f(a, "Usage"), "NGC");
  EXPECT_EQ(f(a, "Source"), "AD");
  EXPECT_EQ(f(a, "Flags"), "None");
  EXPECT_EQ(f(a, "KeyType"), "RSA");
  EXPECT_EQ(f(a, "KeySize"), "2048");
  EXPECT_EQ(f(a, "Exponent"), "65537");
  EXPECT_EQ(f(a, "Modulus").size(), 512u);
  EXPECT_EQ(f(a, "RocaVulnerable"), "false");
  EXPECT_EQ(f(a, "OwnerDN"), kJohn);
  EXPECT_EQ(f(a, "Created"), "2024-11-14T09:58:12.0000000Z");
  EXPECT_EQ(iso(a.time), "2024-11-14T09:58:12.0000000Z");
  EXPECT_EQ(a.time_flags, 0u);
  EXPECT_EQ(a.origin.line, 9u);  // the msDS-KeyCredentialLink line (wrapped over 11 lines)
  EXPECT_EQ(f(a, "msDS-KeyCredentialLink").substr(0, 6), "B:828:");

  const Event& b = r.events[1];  // Entra-synced key whose modulus carries the ROCA fingerprint
  EXPECT_EQ(f(b, "Source"), "AzureAD");
  EXPECT_EQ(f(b, "TimeEncoding"), "DateTime.ToBinary");
  EXPECT_EQ(iso(b.time), "2017-07-19T07:41:02.0000000Z");
  EXPECT_EQ(f(b, "RocaVulnerable"), "true");
  EXPECT_EQ(b.subject.device_id, "fd591087-245c-4ff5-a5ea-c14de5e2b32d");

  EXPECT_EQ(r.events[2].subject.user_upn, "jane@contoso.com");
  EXPECT_EQ(r.events[2].subject.user_dn, kJane);
}

TEST(KeycredPlugin, LdifdeBase64WithComputerKey) {
  const Parsed r = parse_sample("ldifde-base64.ldf");
  ASSERT_EQ(r.events.size(), 3u) << r.dump();
  EXPECT_EQ(r.warnings(), 0u) << r.dump();
  EXPECT_EQ(r.events[0].subject.user_sid, kSidJohn);
  const Event& pc = r.events[2];
  EXPECT_EQ(pc.subject.user_dn, "CN=PC01,OU=Workstations,DC=contoso,DC=com");
  EXPECT_EQ(pc.subject.user_sam, "PC01$");
  EXPECT_EQ(f(pc, "KeyFormat"), "DER");
  EXPECT_EQ(f(pc, "Flags"), "<none>");  // computer keys carry no CustomKeyInformation
  EXPECT_EQ(f(pc, "KeyIdValid"), "true");
  EXPECT_TRUE(pc.subject.device_id.empty());
}

TEST(KeycredPlugin, TamperedKeyIsReportedAndStillEmitted) {
  const Parsed r = parse_sample("tampered.ldf");
  ASSERT_EQ(r.events.size(), 1u) << r.dump();
  const Event& e = r.events[0];
  EXPECT_EQ(f(e, "KeyIdValid"), "false");
  EXPECT_EQ(f(e, "KeyHashValid"), "false");
  EXPECT_NE(f(e, "Problems").find("does not match SHA-256"), std::string::npos);
  EXPECT_TRUE(r.has_warning("line 9: key ", 9)) << r.dump();
  EXPECT_TRUE(r.has_warning("KeyID")) << r.dump();
  EXPECT_TRUE(r.has_warning("KeyHash")) << r.dump();
}

TEST(KeycredPlugin, GetAdUserFormatListWithTruncation) {
  const Parsed r = parse_sample("get-aduser-fl.txt");
  ASSERT_EQ(r.events.size(), 6u) << r.dump();  // john 2, jane 4 shown of 5
  const Event& a = r.events[0];
  EXPECT_EQ(f(a, "Format"), "powershell-list");
  EXPECT_EQ(a.subject.user_upn, "john@contoso.com");
  EXPECT_EQ(a.subject.user_sam, "john");
  EXPECT_EQ(a.subject.user_sid, kSidJohn);
  EXPECT_EQ(f(a, "KeyIdValid"), "true");
  EXPECT_EQ(f(r.events[1], "RocaVulnerable"), "true");
  EXPECT_EQ(r.events[0].origin.line, 5u);
  EXPECT_GT(r.events[1].origin.line, 5u);  // starts on a continuation line
  for (size_t i = 2; i < 6; ++i) EXPECT_EQ(r.events[i].subject.user_dn, kJane);
  ASSERT_EQ(r.warnings(), 1u) << r.dump();
  EXPECT_TRUE(r.has_warning("truncated by PowerShell")) << r.dump();
  EXPECT_TRUE(r.has_warning("first 4 value(s)")) << r.dump();
  const uint64_t jane_attr_line = 35;  // "msDS-KeyCredentialLink : {…" of the second record
  EXPECT_TRUE(r.has_warning("line " + std::to_string(jane_attr_line) + ":", jane_attr_line))
      << r.dump();
}

TEST(KeycredPlugin, ExportCsv) {
  const Parsed r = parse_sample("get-aduser.csv");
  ASSERT_EQ(r.events.size(), 2u) << r.dump();
  EXPECT_EQ(f(r.events[0], "Format"), "csv");
  EXPECT_EQ(r.events[0].subject.user_upn, "john@contoso.com");
  EXPECT_EQ(r.events[0].subject.user_sid, kSidJohn);
  EXPECT_EQ(r.events[0].origin.line, 3u);
  EXPECT_TRUE(r.has_warning("ADPropertyValueCollection", 4)) << r.dump();
}

TEST(KeycredPlugin, ConvertToJson) {
  const Parsed r = parse_sample("get-aduser.json");
  ASSERT_EQ(r.events.size(), 3u) << r.dump();
  EXPECT_EQ(r.warnings(), 0u) << r.dump();
  EXPECT_EQ(f(r.events[0], "Format"), "json");
  EXPECT_EQ(r.events[0].subject.user_sid, kSidJohn);  // SID object's Value
  EXPECT_EQ(r.events[2].subject.user_upn, "jane@contoso.com");
  EXPECT_NE(r.events[0].origin.line, HT_NO_NUMBER);
  EXPECT_LT(r.events[0].origin.line, r.events[2].origin.line);
}

TEST(KeycredPlugin, BareDnBinaryLines) {
  const Parsed r = parse_sample("keys.dnbinary");
  ASSERT_EQ(r.events.size(), 3u) << r.dump();
  EXPECT_EQ(r.events[2].origin.line, 3u);
  EXPECT_EQ(f(r.events[2], "KeyFormat"), "DER");
}

TEST(KeycredPlugin, DsInternalsFormatListUsesTheTimezoneOption) {
  const Parsed utc = parse_sample("dsinternals-keycredential-fl.txt");
  ASSERT_EQ(utc.events.size(), 2u) << utc.dump();
  const Event& a = utc.events[0];
  EXPECT_EQ(f(a, "Format"), "dsinternals-list");
  EXPECT_EQ(f(a, "CreationTime"), "7/19/2017 9:33:01 AM");  // the source's own text
  EXPECT_EQ(iso(a.time), "2017-07-19T09:33:01.0000000Z");
  EXPECT_EQ(a.time_flags, static_cast<uint32_t>(HT_TIME_ZONE_ASSUMED));
  EXPECT_EQ(a.subject.user_dn, kJohn);
  EXPECT_EQ(a.subject.device_id, "fd591087-245c-4ff5-a5ea-c14de5e2b32d");
  EXPECT_EQ(f(a, "RocaVulnerable"), "true");  // IsWeak
  EXPECT_EQ(f(a, "KeyId").size(), 64u);       // Identifier (base64) as hex
  bool noted = false;
  for (const auto& d : utc.diags)
    noted |= d.severity == HT_DIAG_INFO && d.message.find("assumed UTC") != std::string::npos;
  EXPECT_TRUE(noted) << utc.dump();

  const Parsed plus3 = parse_sample("dsinternals-keycredential-fl.txt", R"({"timezone":"+03:00"})");
  ASSERT_EQ(plus3.events.size(), 2u);
  EXPECT_EQ(iso(plus3.events[0].time), "2017-07-19T06:33:01.0000000Z");
  EXPECT_EQ(iso(plus3.events[1].time), "2024-11-14T07:58:12.0000000Z");
  EXPECT_EQ(f(plus3.events[1], "CreatedUtc"), "2024-11-14T07:58:12.0000000Z");
}

// The same listing from an en-GB console: day first, decided by 19 > 12 and used for every
// date of the file (the shared culture-date reader).
TEST(KeycredPlugin, DayFirstDatesOfAnEnGbConsole) {
  const fs::path p =
      fs::path(HT_SOURCE_DIR) / "plugins/keycred/samples/dsinternals-keycredential-fl.txt";
  std::string gb = read_file(p);
  for (const auto& [us, uk] :
       {std::pair<std::string, std::string>{"7/19/2017 9:33:01 AM", "19/07/2017 09:33:01"},
        {"11/14/2024 10:58:12 AM", "14/11/2024 10:58:12"}})
    for (size_t at; (at = gb.find(us)) != std::string::npos;) gb.replace(at, us.size(), uk);
  const Parsed r = parse_bytes(gb);
  ASSERT_EQ(r.events.size(), 2u) << r.dump();
  EXPECT_EQ(iso(r.events[0].time), "2017-07-19T09:33:01.0000000Z");
  EXPECT_EQ(iso(r.events[1].time), "2024-11-14T10:58:12.0000000Z");
}

TEST(KeycredPlugin, DsInternalsTable) {
  const Parsed r = parse_sample("dsinternals-table.txt");
  ASSERT_EQ(r.events.size(), 3u) << r.dump();
  EXPECT_EQ(f(r.events[0], "Format"), "dsinternals-table");
  EXPECT_EQ(r.events[0].subject.user_dn, kJohn);
  EXPECT_EQ(r.events[0].subject.device_id, "cfe9a872-13ff-4751-a777-aec88c30a762");
  EXPECT_EQ(f(r.events[1], "Usage"), "STK");
  EXPECT_TRUE(r.events[1].subject.device_id.empty());
  EXPECT_EQ(iso(r.events[2].time), "2017-07-19T00:00:00.0000000Z");
  EXPECT_EQ(r.events[2].time_flags,
            static_cast<uint32_t>(HT_TIME_ZONE_ASSUMED | HT_TIME_APPROXIMATE));
}

TEST(KeycredPlugin, DsInternalsReplAccount) {
  const Parsed r = parse_sample("dsinternals-replaccount.txt", R"({"timezone":"-05:00"})");
  ASSERT_EQ(r.events.size(), 3u) << r.dump();
  const Event& a = r.events[0];
  EXPECT_EQ(f(a, "Format"), "dsinternals-replaccount");
  EXPECT_EQ(a.subject.user_dn, kJohn);
  EXPECT_EQ(a.subject.user_upn, "john@contoso.com");
  EXPECT_EQ(a.subject.user_sid, kSidJohn);
  EXPECT_EQ(a.subject.device_id, "b3b2a45c-1f0e-4d7a-9a6e-0c1d2e3f4a5b");
  EXPECT_EQ(f(a, "Source"), "ActiveDirectory");
  EXPECT_EQ(iso(a.time), "2024-11-14T15:58:12.0000000Z");
  EXPECT_EQ(a.origin.line, 14u);
  const Event& pc = r.events[2];
  EXPECT_EQ(pc.subject.user_sam, "PC01$");
  EXPECT_TRUE(pc.subject.user_upn.empty());
  EXPECT_TRUE(pc.subject.device_id.empty());
  EXPECT_EQ(iso(pc.time), "2024-11-24T03:58:30.0000000Z");
}

TEST(KeycredPlugin, Utf16WithBomAsPowerShellRedirectWrites) {
  const fs::path p = fs::path(HT_SOURCE_DIR) / "plugins/keycred/samples/get-aduser-fl.txt";
  const std::string utf8 = read_file(p);
  std::string utf16 = "\xFF\xFE";
  for (char ch : utf8) {
    utf16 += ch;
    utf16 += '\0';
  }
  EXPECT_GE(sniff(utf16), 90);
  const Parsed r = parse_bytes(utf16);
  ASSERT_EQ(r.events.size(), 6u) << r.dump();
  EXPECT_EQ(r.events[0].subject.user_upn, "john@contoso.com");
  EXPECT_EQ(f(r.events[0], "KeyIdValid"), "true");
}

// ---- built from the shared corpus at test time ----

TEST(KeycredPluginCorpus, LdifFromRealVectors) {
  const fs::path dir = fs::path(HT_CORPUS_DIR) / "keycredentiallink";
  if (!fs::is_directory(dir))
    GTEST_SKIP() << "shared corpus not found at " << dir << "; skipping real test vectors";
  std::string swtpm = read_file(dir / "swtpm_key.dnbinary");
  while (!swtpm.empty() && (swtpm.back() == '\n' || swtpm.back() == '\r')) swtpm.pop_back();
  std::string hex = read_file(dir / "KeyCredential_Parse_UserKey3.hex");
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  const std::string user3 =
      "B:" + std::to_string(hex.size()) + ":" + hex + ":CN=Test User,OU=Users,DC=contoso,DC=com";
  // ldifde wraps at 78 characters after the first line.
  auto wrap = [](const std::string& line) {
    std::string out = line.substr(0, 79);
    for (size_t i = 79; i < line.size(); i += 78) out += "\r\n " + line.substr(i, 78);
    return out;
  };
  const std::string ldif = "dn: CN=Test User,OU=Users,DC=contoso,DC=com\r\nchangetype: add\r\n" +
                           wrap("msDS-KeyCredentialLink: " + swtpm) + "\r\n" +
                           wrap("msDS-KeyCredentialLink: " + user3) + "\r\n\r\n";
  const Parsed r = parse_bytes(ldif);
  ASSERT_EQ(r.events.size(), 2u) << r.dump();
  EXPECT_EQ(r.warnings(), 0u) << r.dump();
  EXPECT_EQ(r.events[0].subject.user_dn, "CN=Test User,OU=Users,DC=contoso,DC=com");
  EXPECT_EQ(f(r.events[0], "KeyIdValid"), "true");
  EXPECT_EQ(f(r.events[0], "RocaVulnerable"), "false");
  EXPECT_EQ(f(r.events[1], "RocaVulnerable"), "true");
  EXPECT_EQ(f(r.events[1], "DeviceId"), "fd591087-245c-4ff5-a5ea-c14de5e2b32d");
  EXPECT_EQ(iso(r.events[1].time), "2017-07-19T07:41:02.6454481Z");
}

// ---- damaged input ----

TEST(KeycredPlugin, BadValueIsSkippedWithLineAndTheNextIsRead) {
  const std::string text =
      "dn: CN=X,DC=example,DC=com\n"
      "msDS-KeyCredentialLink: B:10:0002ABCD:CN=X,DC=example,DC=com\n"
      "msDS-KeyCredentialLink: B:8:00020000:CN=X,DC=example,DC=com\n"
      "msDS-KeyCredentialLink:: not*base64\n"
      "\n";
  const Parsed r = parse_bytes(text);
  EXPECT_EQ(r.rc, HT_OK);
  EXPECT_TRUE(r.has_warning("declares 10 hex characters but has only 8", 2)) << r.dump();
  // "00020000" is a valid empty blob: emitted, with its problems reported.
  ASSERT_EQ(r.events.size(), 1u) << r.dump();
  EXPECT_EQ(r.events[0].origin.line, 3u);
  EXPECT_TRUE(r.has_warning("no KeyID entry", 3)) << r.dump();
  EXPECT_TRUE(r.has_warning("not valid base64", 4)) << r.dump();
}

TEST(KeycredPlugin, FormatTableCutValueIsReported) {
  const std::string text =
      "\r\nDistinguishedName      : CN=X,DC=example,DC=com\r\n"
      "msDS-KeyCredentialLink : {B:828:000200002000019C00E026B615…}\r\n"
      "SamAccountName         : x\r\n";
  const Parsed r = parse_bytes(text);
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(r.has_warning("line 3:", 3)) << r.dump();
  EXPECT_TRUE(r.has_warning("truncated by PowerShell", 3)) << r.dump();
}

TEST(KeycredPlugin, BlobErrorNamesTheByteOffset) {
  const std::string text = "B:14:00020000200001:CN=X,DC=example,DC=com\n";
  const Parsed r = parse_bytes(text);
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(r.has_warning("byte offset 4: entry 0x01 (KeyID) declares 32 bytes", 1)) << r.dump();
}

// Spellings of the option "timezone" (pinned before the plugin shared
// hellotrace::time::parse_offset): minutes east of UTC, or refused (a warning, and UTC).
TEST(KeycredPlugin, TimezoneSpellings) {
  constexpr int kNo = INT32_MIN;
  const std::pair<std::string, int> cases[] = {{"", 0},
                                               {"  ", 0},
                                               {"Z", 0},
                                               {"z", 0},
                                               {"UTC", 0},
                                               {"utc", 0},
                                               {"GMT", 0},
                                               {"gmt", 0},
                                               {" UTC ", 0},
                                               {"UTCZ", 0},
                                               {"UTC Z", kNo},
                                               {"UTC+3", 180},
                                               {"utc-5", -300},
                                               {"GMT+01:00", 60},
                                               {"UTC-05:30", -330},
                                               {"UTC +3", kNo},
                                               {"UTC+", kNo},
                                               {"+3", 180},
                                               {"+03", 180},
                                               {"+03:00", 180},
                                               {"-05:30", -330},
                                               {"-0530", -330},
                                               {"+0330", 210},
                                               {"+03:", 180},
                                               {"+3:30", 210},
                                               {"+3:5", 185},
                                               {"+03:5", 185},
                                               {"+033", 183},
                                               {"+335", kNo},
                                               {"+14:00", 840},
                                               {"+15:00", kNo},
                                               {"+03:60", kNo},
                                               {"+99:99", kNo},
                                               {"\t+03:00", 180},
                                               {"+03:00\t", 180},
                                               {"\xC2\xA0+03:00\xC2\xA0", 180},
                                               {"+03:00\n", 180},
                                               {"+03:00Z", kNo},
                                               {"+03 :00", kNo},
                                               {"+03: 00", kNo},
                                               {".5", kNo},
                                               {".5+01:00", kNo},
                                               {"Europe/Berlin", kNo},
                                               {"+", kNo},
                                               {"-", kNo},
                                               {"UTC-", kNo},
                                               {"+ 3", kNo},
                                               {"-00:00", 0},
                                               {"+0", 0},
                                               {"+1:", 60},
                                               {"+03:00:00", kNo}};
  const Parsed utc = parse_sample("dsinternals-keycredential-fl.txt");
  ASSERT_EQ(utc.events.size(), 2u);
  for (const auto& [in, minutes] : cases) {
    const std::string options = nlohmann::json{{"timezone", in}}.dump();
    const Parsed r = parse_sample("dsinternals-keycredential-fl.txt", options);
    ASSERT_EQ(r.events.size(), 2u) << "'" << in << "'";
    const bool refused = r.has_warning("option timezone '" + in + "' not understood");
    EXPECT_EQ(refused, minutes == kNo) << "'" << in << "'" << r.dump();
    const int64_t shift = utc.events[0].time - r.events[0].time;
    EXPECT_EQ(shift, minutes == kNo ? 0 : minutes * hellotrace::time::kTicksPerMinute)
        << "'" << in << "'";
  }
}

// How this plugin splits Export-Csv where readers differ (pinned before it shared
// hellotrace::text::CsvReader): a quote after blanks is data, a lone CR ends a row and
// a line, blank lines are skipped, rows are numbered by their first line.
TEST(KeycredPlugin, CsvSplittingDialect) {
  const std::string text =
      "\"DistinguishedName\",\"msDS-KeyCredentialLink\"\r\n"
      "\"CN=A,DC=x\",\"\",\"two\r\nlines\"\r\n"
      "\r\n"
      " \"CN=B,DC=x\",\"\"\r\n"
      "x,,z\r"
      "p,,r\n"
      "\"CN=C,DC=x\",\"never closed\n";
  const Parsed r = parse_bytes(text);
  for (uint64_t line : {2, 5, 6, 7})
    EXPECT_TRUE(r.has_warning("CSV row has 3 cells, the header 2", line)) << line << r.dump();
  EXPECT_TRUE(r.has_warning("holds no DN-Binary value", 5)) << r.dump();  // `DC=x"`
  EXPECT_TRUE(r.has_warning("CSV ends inside a quoted field", 8)) << r.dump();
  EXPECT_TRUE(r.has_warning("holds no DN-Binary value", 8)) << r.dump();  // the row is kept
  EXPECT_EQ(r.warnings(), 7u) << r.dump();
}

TEST(KeycredPlugin, BadTimezoneOptionAndOddInputs) {
  const Parsed r = parse_sample("dsinternals-table.txt", R"({"timezone":"Mars/Olympus"})");
  EXPECT_EQ(r.events.size(), 3u);
  EXPECT_TRUE(r.has_warning("option timezone 'Mars/Olympus' not understood")) << r.dump();
  for (const std::string& s : {std::string(), std::string("\xFF\xFE"), std::string("{"),
                               std::string("[1,2,{\"msDS-KeyCredentialLink\":7}]"),
                               std::string("\"a\",\"b\"\n\"c"), std::string("dn:: ***\n x")}) {
    const Parsed o = parse_bytes(s);
    EXPECT_NE(o.rc, HT_FAILED) << s;
    EXPECT_TRUE(o.events.empty()) << s;
  }
}

TEST(KeycredPlugin, Sniff) {
  const fs::path dir = fs::path(HT_SOURCE_DIR) / "plugins/keycred/samples";
  EXPECT_GE(sniff(read_file(dir / "ldifde-wrapped.ldf")), 90);
  EXPECT_GE(sniff(read_file(dir / "get-aduser.csv")), 90);
  EXPECT_GE(sniff(read_file(dir / "keys.dnbinary")), 80);
  EXPECT_GE(sniff(read_file(dir / "dsinternals-replaccount.txt")), 70);
  EXPECT_GE(sniff(read_file(dir / "dsinternals-table.txt")), 60);
  EXPECT_EQ(sniff("Log Name: Application\r\nSource: Foo\r\n"), 0);
  EXPECT_EQ(sniff("+----------------+\n| Device State |\n"), 0);
}

TEST(KeycredPlugin, EveryExportedAccountIsReportedWithItsKeyCount) {
  // ldifde: one entry per account; the count says how many values were read.
  const Parsed l = parse_sample("ldifde-wrapped.ldf");
  ASSERT_FALSE(l.users.empty());
  size_t keys = 0;
  for (const Event& u : l.users) {
    EXPECT_FALSE(u.subject.user_dn.empty());
    keys += std::stoul(std::string(u.field_or("KeyCredentialCount")));
  }
  EXPECT_EQ(keys, l.events.size());
  // Get-ADUser with an empty msDS-KeyCredentialLink: no key event, one account event
  // that says zero — what key.not_in_ad needs to know the export covered the user.
  const std::string fl =
      "DistinguishedName      : CN=Noah Lee,OU=Staff,DC=contoso,DC=com\r\n"
      "msDS-KeyCredentialLink : {}\r\n"
      "SamAccountName         : nlee\r\n"
      "UserPrincipalName      : nlee@contoso.com\r\n";
  const Parsed e = parse_bytes(fl);
  EXPECT_TRUE(e.events.empty());
  ASSERT_EQ(e.users.size(), 1u);
  EXPECT_EQ(e.users[0].field_or("KeyCredentialCount"), "0");
  EXPECT_EQ(e.users[0].subject.user_upn, "nlee@contoso.com");
  EXPECT_EQ(e.users[0].subject.user_dn, "CN=Noah Lee,OU=Staff,DC=contoso,DC=com");
  EXPECT_EQ(e.users[0].origin.line, 1u);
}
