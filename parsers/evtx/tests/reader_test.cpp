// Unit tests of the EVTX reader: known values from real corpus files, and damaged
// inputs built here from real corpus bytes (truncated, flipped, zeroed, corrupted).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/time.hpp>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using hellotrace::eventlog::Record;
namespace evtx = hellotrace::evtx;

namespace {

std::vector<uint8_t> load(const std::string& name) {
  std::ifstream in(fs::path(HT_CORPUS_DIR) / "evtx" / name, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

#define NEED_CORPUS_FILE(bytes, name)            \
  const std::vector<uint8_t> bytes = load(name); \
  if (bytes.empty())                             \
    GTEST_SKIP() << "corpus file " << name << " not found under " HT_CORPUS_DIR "/evtx";

struct Result {
  std::vector<Record> records;
  std::vector<evtx::Problem> problems;
  evtx::Stats stats;
};

Result read_all(std::span<const uint8_t> bytes) {
  Result r;
  r.stats = evtx::read(
      bytes,
      [&](const Record& rec) {
        r.records.push_back(rec);
        return true;
      },
      [&](const evtx::Problem& p) { r.problems.push_back(p); });
  return r;
}

bool any_problem(const Result& r, int64_t chunk, const std::string& text) {
  for (const auto& p : r.problems)
    if ((chunk == -2 || p.chunk == chunk) && p.what.find(text) != std::string::npos) return true;
  return false;
}

uint32_t rd32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

TEST(EvtxReader, Crc32KnownValue) {
  const char* s = "123456789";
  EXPECT_EQ(evtx::crc32(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s), 9)),
            0xCBF43926u);
}

TEST(EvtxReader, LooksLikeEvtx) {
  const uint8_t good[] = {'E', 'l', 'f', 'F', 'i', 'l', 'e', 0, 1};
  const uint8_t bad[] = {'E', 'l', 'f', 'C', 'h', 'n', 'k', 0};
  EXPECT_TRUE(evtx::looks_like_evtx(good));
  EXPECT_FALSE(evtx::looks_like_evtx(bad));
  EXPECT_FALSE(evtx::looks_like_evtx(std::span<const uint8_t>(good, 4)));
  // A damaged file header: the first chunk's magic at 4096 still says "event log".
  std::vector<uint8_t> header_damaged(8192, 0x5A);
  std::memcpy(header_damaged.data() + evtx::kFileHeaderSize, "ElfChnk", 8);
  EXPECT_TRUE(evtx::looks_like_evtx(header_damaged));
  EXPECT_FALSE(evtx::looks_like_evtx(std::span<const uint8_t>(header_damaged.data(), 4100)));
  header_damaged[evtx::kFileHeaderSize] = 'X';
  EXPECT_FALSE(evtx::looks_like_evtx(header_damaged));
}

TEST(EvtxReader, GarbageAndTinyInputsYieldNothingAndDoNotCrash) {
  for (size_t n : {0, 1, 7, 8, 100, 4096, 4097, 70000}) {
    std::vector<uint8_t> zeros(n, 0);
    auto r = read_all(zeros);
    EXPECT_TRUE(r.records.empty());
    std::vector<uint8_t> noise(n);
    uint32_t x = 12345;
    for (auto& b : noise) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
    if (n >= 8) std::memcpy(noise.data(), "ElfFile", 8);
    r = read_all(noise);
    EXPECT_TRUE(r.records.empty());
  }
}

TEST(EvtxReader, NegativeInt32IsTwosComplement) {
  NEED_CORPUS_FILE(bytes, "tugix__System.evtx");
  auto r = read_all(bytes);
  int found = 0;
  for (const auto& rec : r.records)
    if (const std::string* v = rec.find("CurrentBias")) {
      EXPECT_EQ(*v, "-180");  // UTC+3; evtxexport says -2147483468
      ++found;
    }
  EXPECT_GT(found, 0);
}

TEST(EvtxReader, KnownSystemFieldsOfAHelloForBusinessRecord) {
  NEED_CORPUS_FILE(bytes, "tugix__Microsoft-Windows-HelloForBusiness%4Operational.evtx");
  auto r = read_all(bytes);
  ASSERT_EQ(r.records.size(), 60u);
  EXPECT_TRUE(r.problems.empty());
  for (const auto& rec : r.records) {
    EXPECT_EQ(rec.provider, "Microsoft-Windows-HelloForBusiness");
    EXPECT_EQ(rec.provider_guid, "{906B8A99-63CE-58D7-86AB-10989BBD5567}");
    EXPECT_EQ(rec.channel, "Microsoft-Windows-HelloForBusiness/Operational");
    EXPECT_NE(rec.time, HT_NO_TIME);
    EXPECT_GE(hellotrace::time::format_iso(rec.time), "2024-11-14");
    // The offset points at the record header.
    ASSERT_LT(rec.offset + 8, bytes.size());
    EXPECT_EQ(std::memcmp(bytes.data() + rec.offset, "**\0\0", 4), 0);
  }
}

TEST(EvtxReader, NonTemplateRecordsAreRead) {
  const std::pair<const char*, size_t> files[] = {
      {"hayabusa__mitre_ID1149-RDP_success_logins_to_multiple_hosts.evtx", 11},
      {"hayabusa__mitre_ID1151-Defender_health_status.evtx", 455},
      {"hayabusa__mitre_ID131-RDP_brutforce_no_user_info_.evtx", 154},
      {"hayabusa__mitre_ID2003-4950-Firewall_disabled.evtx", 6},
      {"hayabusa__mitre_ID4799-4624-Local_admin_group_enumerated_by_SharpHound.evtx", 55},
      {"omer__MSExchange_Management_wec.evtx", 1},
  };
  for (const auto& [name, count] : files) {
    SCOPED_TRACE(name);
    NEED_CORPUS_FILE(bytes, name);
    auto r = read_all(bytes);
    EXPECT_EQ(r.records.size(), count);
    for (const auto& rec : r.records) {
      EXPECT_FALSE(rec.provider.empty());
      EXPECT_NE(rec.event_id, 0u);
      EXPECT_NE(rec.time, HT_NO_TIME);
      EXPECT_NE(rec.record_id, 0u);
    }
  }
  NEED_CORPUS_FILE(ex, "omer__MSExchange_Management_wec.evtx");
  auto r = read_all(ex);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].provider, "MSExchange CmdletLogs");
}

TEST(EvtxReader, EntityReferenceInAttributeValue) {
  NEED_CORPUS_FILE(
      a, "omer__E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx");
  NEED_CORPUS_FILE(
      b,
      "omer__E_ShadowCopy6_windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx");
  auto ra = read_all(a);
  auto rb = read_all(b);
  EXPECT_EQ(ra.records.size(), 340u);
  EXPECT_EQ(rb.records.size(), 459u);
  for (const auto* r : {&ra, &rb})
    for (const auto& p : r->problems) EXPECT_EQ(p.what.find("BinXML"), std::string::npos) << p.what;
}

TEST(EvtxReader, HalfWrittenRecordIsReportedNotEmitted) {
  NEED_CORPUS_FILE(bytes, "omer__Microsoft-Windows-HelloForBusiness%4Operational.evtx");
  auto r = read_all(bytes);
  EXPECT_EQ(r.records.size(), 5u);
  for (const auto& rec : r.records) {
    EXPECT_NE(rec.record_id, 6u);
    EXPECT_NE(rec.record_id, 0u);
    EXPECT_FALSE(rec.channel.empty());
  }
  EXPECT_TRUE(any_problem(r, 0, "record 6: size copy 0"));
}

TEST(EvtxReader, HalfWrittenButCompleteRecordsAreKept) {
  // python-evtx renders 45933 and 47640 (size copy 0, content complete).
  NEED_CORPUS_FILE(bytes, "omer__sample_with_a_bad_chunk_magic.evtx");
  auto r = read_all(bytes);
  int found = 0;
  for (const auto& rec : r.records) found += rec.record_id == 45933 || rec.record_id == 47640;
  EXPECT_EQ(found, 2);
  EXPECT_TRUE(any_problem(r, -2, "without ElfChnk magic"));
  EXPECT_GE(r.stats.chunks_skipped, 1u);
}

TEST(EvtxReader, BadFileHeaderCrcIsReportedAndRecordsRead) {
  NEED_CORPUS_FILE(bytes, "omer__Application_no_crc32.evtx");
  auto r = read_all(bytes);
  EXPECT_TRUE(any_problem(r, -1, "file header CRC32 mismatch"));
  EXPECT_EQ(r.records.size(), 17u);
}

TEST(EvtxReader, DirtyFileReadsChunksBeyondTheHeaderCount) {
  NEED_CORPUS_FILE(bytes, "tugix__Security.evtx");
  uint16_t header_count;
  std::memcpy(&header_count, bytes.data() + 42, 2);
  EXPECT_EQ(header_count, 2);
  auto r = read_all(bytes);
  EXPECT_EQ(r.stats.chunks, 13u);
  EXPECT_EQ(r.records.size(), 1107u);
}

TEST(EvtxReader, StopsWhenTheCallbackSaysSo) {
  NEED_CORPUS_FILE(bytes, "omer__security.evtx");
  int n = 0;
  auto stats = evtx::read(
      bytes, [&](const Record&) { return ++n < 3; }, [](const evtx::Problem&) {});
  EXPECT_EQ(n, 3);
  EXPECT_EQ(stats.records, 3u);
  EXPECT_TRUE(stats.stopped);
}

// ---- damaged copies of a real file
class Damaged : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = load("omer__security.evtx");
    if (bytes_.empty()) GTEST_SKIP() << "corpus file omer__security.evtx not found";
    full_ = read_all(bytes_);
    ASSERT_EQ(full_.records.size(), 2261u);
    ASSERT_TRUE(full_.problems.empty());
  }
  size_t records_in_chunk(size_t chunk) const {
    size_t n = 0;
    for (const auto& r : full_.records)
      n += (r.offset - evtx::kFileHeaderSize) / evtx::kChunkSize == chunk;
    return n;
  }
  std::vector<uint8_t> bytes_;
  Result full_;
};

TEST_F(Damaged, TruncatedMidRecord) {
  // Cut in the middle of the 500th record.
  const Record& cut_at = full_.records[500];
  const size_t cut = cut_at.offset + 40;
  auto r = read_all(std::span<const uint8_t>(bytes_.data(), cut));
  ASSERT_EQ(r.records.size(), 500u);
  for (size_t i = 0; i < 500; ++i) EXPECT_EQ(r.records[i].record_id, full_.records[i].record_id);
  EXPECT_TRUE(any_problem(r, -2, "chunk cut short"));
  EXPECT_FALSE(r.problems.empty());
  // Every cut length through the first records chunk: never a crash.
  for (size_t len = 4096; len < 4096 + 3 * 65536; len += 997)
    (void)read_all(std::span<const uint8_t>(bytes_.data(), len));
}

TEST_F(Damaged, FlippedChunkHeaderBytes) {
  auto b = bytes_;
  const size_t chunk = 3, at = evtx::kFileHeaderSize + chunk * evtx::kChunkSize;
  for (size_t i = 64; i < 72; ++i) b[at + i] ^= 0x5A;  // inside the CRC-covered header
  b[at + 600] ^= 0xFF;                                 // and one byte of record data
  auto r = read_all(b);
  EXPECT_TRUE(any_problem(r, chunk, "chunk header CRC32 mismatch"));
  EXPECT_TRUE(any_problem(r, chunk, "record data CRC32 mismatch"));
  // Structurally sound: every record is still read.
  EXPECT_GE(r.records.size(), full_.records.size() - 1);
}

TEST_F(Damaged, ZeroedChunkMagicIsReadAsADamagedChunk) {
  // The first record still starts at 0x200: the header is damaged, the records are not.
  auto b = bytes_;
  const size_t chunk = 2, at = evtx::kFileHeaderSize + chunk * evtx::kChunkSize;
  std::memset(b.data() + at, 0, 8);
  auto r = read_all(b);
  EXPECT_TRUE(any_problem(r, chunk, "ElfChnk magic damaged, but a record starts"));
  EXPECT_TRUE(any_problem(r, chunk, "chunk header CRC32 mismatch"));
  EXPECT_EQ(r.stats.chunks_skipped, 0u);
  EXPECT_EQ(r.records.size(), full_.records.size());
  for (const auto& p : r.problems) EXPECT_EQ(p.chunk, static_cast<int64_t>(chunk));
}

TEST_F(Damaged, ChunkWithoutMagicOrFirstRecordIsReportedAndSkipped) {
  auto b = bytes_;
  const size_t chunk = 2, at = evtx::kFileHeaderSize + chunk * evtx::kChunkSize;
  std::memset(b.data() + at, 0, 8);
  std::memset(b.data() + at + 512, 0x41, 4);  // no record magic where the first record sits
  auto r = read_all(b);
  EXPECT_TRUE(any_problem(r, chunk, "without ElfChnk magic; skipped"));
  EXPECT_EQ(r.stats.chunks_skipped, 1u);
  EXPECT_EQ(r.records.size(), full_.records.size() - records_in_chunk(chunk));
  for (const auto& p : r.problems) EXPECT_EQ(p.offset, at);
}

TEST_F(Damaged, DamagedFileHeaderMagicStillReadsEveryChunk) {
  auto b = bytes_;
  std::memcpy(b.data(), "XXXXXXXX", 8);
  EXPECT_TRUE(evtx::looks_like_evtx(std::span<const uint8_t>(b.data(), 8192)))
      << "the first chunk's magic at 4096 identifies the file";
  auto r = read_all(b);
  EXPECT_TRUE(any_problem(r, -1, "no ElfFile magic"));
  EXPECT_TRUE(any_problem(r, -1, "recovering the chunks"));
  EXPECT_EQ(r.records.size(), full_.records.size());
}

TEST_F(Damaged, CorruptNameOffsetInATemplate) {
  auto b = bytes_;
  // First record of chunk 0: header 24, fragment header 4, template instance 10,
  // definition header 24, then the body: fragment header 4, element token 1,
  // dependency id 2, data size 4, name offset 4.
  const size_t rec = evtx::kFileHeaderSize + 512;
  ASSERT_EQ(b[rec + 24 + 4], 0x0c);
  const size_t name_off = rec + 24 + 4 + 10 + 24 + 4 + 7;
  const uint32_t old = rd32(b, name_off);
  ASSERT_EQ(old, 512u + 24 + 4 + 10 + 24 + 4 + 11);  // inline name right after
  const uint32_t bad = 0xFFFF0000u;
  std::memcpy(b.data() + name_off, &bad, 4);
  auto r = read_all(b);
  EXPECT_TRUE(any_problem(r, 0, "record skipped"));
  EXPECT_LT(r.records.size(), full_.records.size());
  // Other chunks compile their own templates: all their records survive.
  EXPECT_GE(r.records.size(), full_.records.size() - records_in_chunk(0));
}

TEST_F(Damaged, CorruptSubstitutionSizesAndRandomBytes) {
  // Random byte flips all over the records of chunk 1: no crash, no hang, and the
  // other chunks stay intact.
  uint32_t x = 99;
  for (int round = 0; round < 40; ++round) {
    auto b = bytes_;
    const size_t at = evtx::kFileHeaderSize + evtx::kChunkSize;
    for (int k = 0; k < 20; ++k) {
      x = x * 1664525 + 1013904223;
      b[at + 512 + (x >> 8) % (evtx::kChunkSize - 512)] = static_cast<uint8_t>(x >> 24);
    }
    auto r = read_all(b);
    EXPECT_GE(r.records.size(), full_.records.size() - records_in_chunk(1));
  }
}

TEST_F(Damaged, ConcatenatedChunksReadWithFlatMemory) {
  // A synthetic large file: header + the first chunk repeated 64 times.
  std::vector<uint8_t> big(bytes_.begin(), bytes_.begin() + evtx::kFileHeaderSize);
  for (int i = 0; i < 64; ++i)
    big.insert(big.end(), bytes_.begin() + evtx::kFileHeaderSize,
               bytes_.begin() + evtx::kFileHeaderSize + evtx::kChunkSize);
  auto stats = evtx::read(
      big, [](const Record&) { return true; }, [](const evtx::Problem&) {});
  EXPECT_EQ(stats.records, 64 * records_in_chunk(0));
  EXPECT_EQ(stats.chunks, 64u);
}

}  // namespace

// ---- synthetic BinXML, built byte by byte: every token and value type
namespace synth {

// Writes one chunk (offsets are chunk-relative, as in BinXML) and wraps it in a file.
class Chunk {
 public:
  Chunk() : b_(512, 0) { std::memcpy(b_.data(), "ElfChnk", 8); }
  uint32_t pos() const { return static_cast<uint32_t>(b_.size()); }
  void u8(uint8_t v) { b_.push_back(v); }
  void u16(uint16_t v) { put(&v, 2); }
  void u32(uint32_t v) { put(&v, 4); }
  void u64(uint64_t v) { put(&v, 8); }
  void put(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
  }
  void patch32(uint32_t at, uint32_t v) { std::memcpy(b_.data() + at, &v, 4); }
  void patch16(uint32_t at, uint16_t v) { std::memcpy(b_.data() + at, &v, 2); }
  void utf16(const std::string& s) {  // ASCII only
    for (char c : s) u16(static_cast<uint8_t>(c));
  }
  // Name reference defined inline.
  void name(const std::string& s) {
    u32(pos() + 4);
    u32(0);
    u16(0);
    u16(static_cast<uint16_t>(s.size()));
    utf16(s);
    u16(0);
  }
  // dep = true: template-definition form (dependency id present).
  void open(const std::string& n, bool attrs, bool dep) {
    u8(attrs ? 0x41 : 0x01);
    if (dep) u16(0xFFFF);
    u32(0);
    name(n);
    if (attrs) u32(0);
  }
  void close_start() { u8(0x02); }
  void close_empty() { u8(0x03); }
  void end() { u8(0x04); }
  void attr(const std::string& n) {
    u8(0x06);
    name(n);
  }
  void text(const std::string& s) {
    u8(0x05);
    u8(0x01);
    u16(static_cast<uint16_t>(s.size()));
    utf16(s);
  }
  void cdata(const std::string& s) {
    u8(0x07);
    u16(static_cast<uint16_t>(s.size()));
    utf16(s);
  }
  void charref(uint16_t c) {
    u8(0x08);
    u16(c);
  }
  void entity(const std::string& n) {
    u8(0x49);  // with the "more" flag, as in the CAPI2 files
    name(n);
  }
  void pi(const std::string& target, const std::string& data) {
    u8(0x0a);
    name(target);
    u8(0x0b);
    u16(static_cast<uint16_t>(data.size()));
    utf16(data);
  }
  void subst(uint16_t i, uint8_t type, bool optional = false) {
    u8(optional ? 0x0e : 0x0d);
    u16(i);
    u8(type);
  }
  void fragment() {
    u8(0x0f);
    u8(1);
    u8(1);
    u8(0);
  }
  // Starts a template instance with an inline definition; returns where to patch
  // the definition's data size, to be closed by end_definition().
  uint32_t begin_instance() {
    u8(0x0c);
    u8(1);
    u32(0x1234);
    u32(pos() + 4);
    u32(0);                              // next definition
    for (int i = 0; i < 16; ++i) u8(i);  // GUID
    const uint32_t size_at = pos();
    u32(0);
    fragment();
    return size_at;
  }
  void end_definition(uint32_t size_at) {
    u8(0x00);
    patch32(size_at, pos() - size_at - 4);
  }
  uint32_t begin_record(uint64_t number) {
    const uint32_t at = pos();
    u32(0x00002a2a);
    u32(0);
    u64(number);
    u64(0);
    fragment();
    return at;
  }
  void end_record(uint32_t at) {
    while ((pos() - at + 4) % 8) u8(0);
    const uint32_t size = pos() - at + 4;
    u32(size);
    patch32(at + 4, size);
  }
  std::vector<uint8_t> file() {
    std::vector<uint8_t> c = b_;
    c.resize(evtx::kChunkSize, 0);
    const uint32_t free = pos();
    std::memcpy(c.data() + 48, &free, 4);
    uint32_t v = evtx::crc32(std::span<const uint8_t>(c.data() + 512, free - 512));
    std::memcpy(c.data() + 52, &v, 4);
    v = evtx::crc32(std::span<const uint8_t>(c.data() + 128, 384),
                    evtx::crc32(std::span<const uint8_t>(c.data(), 120)));
    std::memcpy(c.data() + 124, &v, 4);
    std::vector<uint8_t> f(evtx::kFileHeaderSize, 0);
    std::memcpy(f.data(), "ElfFile", 8);
    f[42] = 1;  // chunk count
    v = evtx::crc32(std::span<const uint8_t>(f.data(), 120));
    std::memcpy(f.data() + 124, &v, 4);
    f.insert(f.end(), c.begin(), c.end());
    return f;
  }

 private:
  std::vector<uint8_t> b_;
};

}  // namespace synth

TEST(EvtxSynthetic, PlainElementRecordWithEveryMarkupToken) {
  synth::Chunk c;
  const uint32_t rec = c.begin_record(99);
  c.open("Event", true, false);
  c.attr("xmlns");
  c.text("http://schemas.microsoft.com/win/2004/08/events/event");
  c.close_start();
  c.open("System", false, false);
  c.close_start();
  c.open("Provider", true, false);
  c.attr("Name");
  c.text("P");
  c.entity("amp");  // entity reference inside an attribute value
  c.text("Q");
  c.close_empty();
  c.open("EventID", false, false);
  c.close_start();
  c.text("42");
  c.end();
  c.open("TimeCreated", true, false);
  c.attr("SystemTime");
  c.text("2024-01-02T03:04:05.1234567Z");
  c.close_empty();
  c.open("EventRecordID", false, false);
  c.close_start();
  c.text("7");
  c.end();
  c.open("Channel", false, false);
  c.close_start();
  c.cdata("Ch<1>");
  c.end();
  c.end();  // System
  c.pi("xml-stylesheet", "href='x'");
  c.open("EventData", false, false);
  c.close_start();
  c.open("Data", true, false);
  c.attr("Name");
  c.text("a");
  c.close_start();
  c.text("x");
  c.charref(0x41);
  c.charref(0xE9);
  c.entity("lt");
  c.text("y");
  c.end();
  c.end();  // EventData
  c.end();  // Event
  c.u8(0x00);
  c.end_record(rec);
  const auto file = c.file();
  auto r = read_all(file);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].what;
  ASSERT_EQ(r.records.size(), 1u);
  const Record& e = r.records[0];
  EXPECT_EQ(e.provider, "P&Q");
  EXPECT_EQ(e.event_id, 42u);
  EXPECT_EQ(e.record_id, 7u);
  EXPECT_EQ(hellotrace::time::format_iso(e.time), "2024-01-02T03:04:05.1234567Z");
  EXPECT_EQ(e.channel, "Ch<1>");
  ASSERT_EQ(e.data.size(), 1u);
  EXPECT_EQ(e.data[0].name, "a");
  EXPECT_EQ(e.data[0].value, "xA\xC3\xA9<y");
  EXPECT_EQ(e.offset, evtx::kFileHeaderSize + 512);
}

TEST(EvtxSynthetic, TemplateWithEveryValueTypeAndANestedTemplate) {
  struct V {
    const char* name;
    uint8_t type;
    std::vector<uint8_t> bytes;
    std::vector<std::string> want;  // one per DataItem
  };
  auto le = [](uint64_t v, int n) {
    std::vector<uint8_t> b;
    for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return b;
  };
  auto w16 = [](const std::string& s) {
    std::vector<uint8_t> b;
    for (char ch : s) {
      b.push_back(static_cast<uint8_t>(ch));
      b.push_back(0);
    }
    return b;
  };
  float f32 = 3199.234f;
  double f64 = -0.5;
  std::vector<uint8_t> fb(4), db(8);
  std::memcpy(fb.data(), &f32, 4);
  std::memcpy(db.data(), &f64, 8);
  const std::vector<uint8_t> guid = {0x6B, 0xD4, 0xB8, 0x23, 0xDD, 0x67, 0xA3, 0x40,
                                     0xB6, 0x36, 0xD4, 0x3E, 0x50, 0x55, 0x2C, 0x6D};
  const std::vector<uint8_t> sid = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0,    0, 0xE9, 3,
                                    0, 0, 2, 0, 0, 0, 3, 0, 0,  0, 0xF4, 1, 0,    0};
  std::vector<uint8_t> systime = le(2024, 2);  // year, month, dow, day, h, m, s, ms
  for (uint16_t x : {11, 4, 14, 10, 20, 30, 456}) {
    auto v = le(x, 2);
    systime.insert(systime.end(), v.begin(), v.end());
  }
  std::vector<uint8_t> strarr = w16("one");
  strarr.insert(strarr.end(), {0, 0});
  auto two = w16("two");
  strarr.insert(strarr.end(), two.begin(), two.end());
  strarr.insert(strarr.end(), {0, 0});
  std::vector<uint8_t> u16arr = le(1, 2);
  auto b2 = le(65535, 2);
  u16arr.insert(u16arr.end(), b2.begin(), b2.end());
  const std::vector<V> values = {
      {"i32", 0x07, le(0xFFFFFF4C, 4), {"-180"}},
      {"i8", 0x03, le(0xFB, 1), {"-5"}},
      {"i16", 0x05, le(0x8000, 2), {"-32768"}},
      {"i64", 0x09, le(~0ull, 8), {"-1"}},
      {"u8", 0x04, le(200, 1), {"200"}},
      {"u32", 0x08, le(4000000000u, 4), {"4000000000"}},
      {"u64", 0x0a, le(18446744073709551615ull, 8), {"18446744073709551615"}},
      {"f32", 0x0b, fb, {"3199.234"}},
      {"f64", 0x0c, db, {"-0.5"}},
      {"bool4", 0x0d, le(1, 4), {"true"}},
      {"bool_irregular", 0x0d, le(0x0100, 2), {"true"}},
      {"bool0", 0x0d, le(0, 4), {"false"}},
      {"bin", 0x0e, {0x00, 0xAB, 0x7F}, {"00AB7F"}},
      {"guid", 0x0f, guid, {"{23B8D46B-67DD-40A3-B636-D43E50552C6D}"}},
      {"sizet", 0x10, le(0x1C, 8), {"0x000000000000001C"}},
      {"ft", 0x11, le(133760000001234567ull, 8), {"2024-11-13T19:33:20.1234567Z"}},
      {"ft_out_of_range", 0x11, le(~0ull, 8), {"0xFFFFFFFFFFFFFFFF"}},
      {"st", 0x12, systime, {"2024-11-14T10:20:30.4560000Z"}},
      {"sid", 0x13, sid, {"S-1-5-21-1001-2-3-500"}},
      {"hex32", 0x14, le(0xC000006D, 4), {"0xC000006D"}},
      {"hex64", 0x15, le(0x3E7, 8), {"0x00000000000003E7"}},
      {"ansi", 0x02, {'a', 'b', 0}, {"ab"}},
      {"str", 0x01, w16("hello"), {"hello"}},
      {"u16arr", 0x86, u16arr, {"1, 65535"}},
      {"strarr", 0x81, strarr, {"one", "two"}},
  };
  synth::Chunk c;
  const uint32_t rec = c.begin_record(5);
  const uint32_t def = c.begin_instance();
  c.open("Event", false, true);
  c.close_start();
  c.open("System", false, true);
  c.close_start();
  c.open("Provider", true, true);
  c.attr("Name");
  c.text("Prov");
  c.close_empty();
  c.open("EventID", false, true);
  c.close_start();
  c.subst(0, 0x06);
  c.end();
  c.open("TimeCreated", true, true);
  c.attr("SystemTime");
  c.subst(1, 0x11);
  c.close_empty();
  c.open("Security", true, true);
  c.attr("UserID");
  c.subst(2, 0x13, true);
  c.close_empty();
  c.end();  // System
  c.open("EventData", false, true);
  c.close_start();
  const uint16_t first = 3;
  for (size_t i = 0; i < values.size(); ++i) {
    c.open("Data", true, true);
    c.attr("Name");
    c.text(values[i].name);
    c.close_start();
    c.subst(static_cast<uint16_t>(first + i), values[i].type);
    c.end();
  }
  c.open("Data", true, true);  // a nested template in a BinXml value
  c.attr("Name");
  c.text("nested");
  c.close_start();
  c.subst(static_cast<uint16_t>(first + values.size()), 0x21);
  c.end();
  c.open("Data", true, true);  // an empty optional value
  c.attr("Name");
  c.text("empty");
  c.close_start();
  c.subst(static_cast<uint16_t>(first + values.size() + 1), 0x01, true);
  c.end();
  c.end();  // EventData
  c.end();  // Event
  c.end_definition(def);
  // Substitution array.
  const uint32_t n = static_cast<uint32_t>(first + values.size() + 2);
  c.u32(n);
  const uint32_t desc = c.pos();
  for (uint32_t i = 0; i < n; ++i) c.u32(0);
  auto value = [&](uint32_t i, uint8_t type, const std::vector<uint8_t>& bytes) {
    c.patch16(desc + 4 * i, static_cast<uint16_t>(bytes.size()));
    c.patch16(desc + 4 * i + 2, type);
    c.put(bytes.data(), bytes.size());
  };
  value(0, 0x06, le(4104, 2));
  value(1, 0x11, le(133760000001234567ull, 8));
  value(2, 0x13, sid);
  for (size_t i = 0; i < values.size(); ++i)
    value(static_cast<uint32_t>(first + i), values[i].type, values[i].bytes);
  {  // BinXml value: fragment + template instance <Inner>deep-%0</Inner>, %0 = "er"
    const uint32_t i = first + static_cast<uint32_t>(values.size());
    const uint32_t start = c.pos();
    c.fragment();
    const uint32_t d2 = c.begin_instance();
    c.open("Inner", false, true);
    c.close_start();
    c.text("deep-");
    c.subst(0, 0x01);
    c.end();
    c.end_definition(d2);
    c.u32(1);
    c.u16(4);
    c.u8(0x01);
    c.u8(0);
    c.utf16("er");
    c.u8(0x00);
    c.patch16(desc + 4 * i, static_cast<uint16_t>(c.pos() - start));
    c.patch16(desc + 4 * i + 2, 0x21);
  }
  value(n - 1, 0x00, {});
  c.u8(0x00);
  c.end_record(rec);
  // A second record reusing the cached template (definition not inline).
  const auto file = c.file();
  auto r = read_all(file);
  for (const auto& p : r.problems) ADD_FAILURE() << p.what;
  ASSERT_EQ(r.records.size(), 1u);
  const Record& e = r.records[0];
  EXPECT_EQ(e.provider, "Prov");
  EXPECT_EQ(e.event_id, 4104u);
  EXPECT_EQ(e.record_id, 5u);  // no EventRecordID element: the header's number
  EXPECT_EQ(hellotrace::time::format_iso(e.time), "2024-11-13T19:33:20.1234567Z");
  EXPECT_EQ(e.user_sid, "S-1-5-21-1001-2-3-500");
  size_t k = 0;
  for (const auto& v : values)
    for (const auto& want : v.want) {
      ASSERT_LT(k, e.data.size());
      EXPECT_EQ(e.data[k].name, v.name) << v.name;
      EXPECT_EQ(e.data[k].value, want) << v.name;
      ++k;
    }
  ASSERT_EQ(e.data.size(), k + 2);
  EXPECT_EQ(e.data[k].name, "nested");
  EXPECT_EQ(e.data[k].value, "deep-er");
  EXPECT_EQ(e.data[k + 1].name, "empty");
  EXPECT_EQ(e.data[k + 1].value, "");
}

TEST(EvtxSynthetic, UserDataIsFlattenedWithPaths) {
  synth::Chunk c;
  const uint32_t rec = c.begin_record(1);
  c.open("Event", false, false);
  c.close_start();
  c.open("UserData", false, false);
  c.close_start();
  c.open("LogFileCleared", true, false);
  c.attr("xmlns");
  c.text("http://manifests.microsoft.com/win/2004/08/windows/eventlog");
  c.close_start();
  c.open("SubjectUserName", false, false);
  c.close_start();
  c.text("bob");
  c.end();
  c.open("Outer", false, false);
  c.close_start();
  c.open("Inner", false, false);
  c.close_start();
  c.text("v");
  c.end();
  c.open("Empty", false, false);
  c.close_empty();
  c.end();  // Outer
  c.end();  // LogFileCleared
  c.end();  // UserData
  c.end();  // Event
  c.u8(0);
  c.end_record(rec);
  auto r = read_all(c.file());
  ASSERT_EQ(r.records.size(), 1u);
  const Record& e = r.records[0];
  EXPECT_TRUE(e.user_data);
  ASSERT_EQ(e.data.size(), 3u);
  EXPECT_EQ(e.data[0].name, "SubjectUserName");
  EXPECT_EQ(e.data[0].value, "bob");
  EXPECT_EQ(e.data[1].name, "Outer/Inner");
  EXPECT_EQ(e.data[1].value, "v");
  EXPECT_EQ(e.data[2].name, "Outer/Empty");
  EXPECT_EQ(e.data[2].value, "");
}

TEST(EvtxSynthetic, DeepAndExplosiveNestingIsBounded) {
  // A template whose body uses its BinXml value 50 times, instantiated inside its own
  // value 40 levels deep: 50^40 replays if nothing bounded it. The reader must stop
  // with a problem (nesting depth or work budget), quickly, without a crash.
  for (const int levels : {40, 8}) {  // 40: nesting limit; 8: work budget
    SCOPED_TRACE(levels);
    synth::Chunk c;
    const uint32_t rec = c.begin_record(1);
    const uint32_t def_at = c.pos() + 10;  // where the inline definition starts
    const uint32_t def = c.begin_instance();
    c.open("Event", false, true);
    c.close_start();
    for (int i = 0; i < 50; ++i) c.subst(0, 0x21);
    c.end();
    c.end_definition(def);
    c.u32(1);
    c.u16(static_cast<uint16_t>(22 * levels));
    c.u8(0x21);
    c.u8(0);
    for (int i = levels - 1; i >= 0; --i) {
      c.fragment();
      c.u8(0x0c);
      c.u8(1);
      c.u32(0x1234);
      c.u32(def_at);  // the same definition, by offset
      c.u32(1);
      c.u16(static_cast<uint16_t>(22 * i));
      c.u8(0x21);
      c.u8(0);
    }
    c.u8(0);
    c.end_record(rec);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = read_all(c.file());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
    EXPECT_TRUE(r.records.empty());
    EXPECT_TRUE(any_problem(r, 0, levels > 12 ? "nested too deep" : "too many template ops"));
  }
}
