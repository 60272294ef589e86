// Streaming EVTX reader: see include/hellotrace/evtx/reader.hpp for the contract.
//
// Layout (all integers little-endian):
//  file header (4096 bytes): "ElfFile\0", ..., chunk count @42, flags @120, CRC32 of
//    bytes 0..119 @124.
//  chunk (65536 bytes): "ElfChnk\0", ..., free space offset @48, CRC32 of the record
//    data [512, free) @52, CRC32 of header bytes 0..119 + 128..511 @124; records from 512.
//  record: 0x00002a2a, size @4, number @8, written FILETIME @16, BinXML @24, size copy
//    in the last 4 bytes.
//  BinXML: a token stream. Names and template definitions are referenced by
//    chunk-relative offsets and stored inline the first time they are used.
//
// Templates are compiled once per chunk into a list of Ops (names resolved, literal
// text decoded to UTF-8) and replayed for each instance with its substitution values.
// The RecordBuilder below consumes the resulting element/attribute/text events and
// fills a reused eventlog::Record; values that no Record field wants are never
// rendered.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/time.hpp>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hellotrace::evtx {
namespace {

using eventlog::DataItem;
using eventlog::Record;

constexpr uint32_t kChunkHeaderSize = 512;
constexpr uint32_t kRecordHeaderSize = 24;
constexpr int kMaxNesting = 12;                     // template instances inside BinXml values
constexpr int kMaxElementDepth = 64;                // element nesting inside one record
constexpr uint64_t kMaxOpsPerRecord = 1u << 20;     // replayed ops (bounds blow-ups)
constexpr uint64_t kMaxBytesPerRecord = 64u << 20;  // rendered output

// ---------------------------------------------------------------- little helpers
inline uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

struct Crc32Table {
  uint32_t t[8][256];
  Crc32Table() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
};
const Crc32Table& crc_table() {
  static const Crc32Table table;
  return table;
}

const char kHexUpper[] = "0123456789ABCDEF";

void append_hex_bytes(std::string& out, const uint8_t* p, size_t n) {
  const size_t at = out.size();
  out.resize(at + 2 * n);
  char* o = out.data() + at;
  for (size_t i = 0; i < n; ++i) {
    o[2 * i] = kHexUpper[p[i] >> 4];
    o[2 * i + 1] = kHexUpper[p[i] & 15];
  }
}

void append_hex_fixed(std::string& out, uint64_t v, int digits) {
  char buf[20];
  buf[0] = '0';
  buf[1] = 'x';
  for (int i = 0; i < digits; ++i) buf[2 + i] = kHexUpper[(v >> (4 * (digits - 1 - i))) & 15];
  out.append(buf, 2 + digits);
}

template <typename T>
void append_int(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append_utf8(out, 0xFFFD);
  }
}

// UTF-16LE (n code units at p) → UTF-8 appended to out. Unpaired surrogates → U+FFFD.
void append_utf16(std::string& out, const uint8_t* p, size_t n) {
  size_t i = 0;
  // ASCII fast path: write directly into the buffer.
  const size_t at = out.size();
  out.resize(at + n);
  char* o = out.data() + at;
  while (i < n && p[2 * i + 1] == 0 && p[2 * i] < 0x80) {
    o[i] = static_cast<char>(p[2 * i]);
    ++i;
  }
  out.resize(at + i);
  while (i < n) {
    uint32_t c = u16(p + 2 * i);
    ++i;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (c >= 0xD800 && c < 0xDC00) {
      if (i < n) {
        const uint32_t d = u16(p + 2 * i);
        if (d >= 0xDC00 && d < 0xE000) {
          ++i;
          append_utf8(out, 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00));
          continue;
        }
      }
      c = 0xFFFD;
    } else if (c >= 0xDC00 && c < 0xE000) {
      c = 0xFFFD;
    }
    append_utf8(out, c);
  }
}

// Number of UTF-16 units before the first NUL (or n).
size_t utf16_len(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[2 * i] == 0 && p[2 * i + 1] == 0) return i;
  return n;
}

// Bytes (ANSI string) → UTF-8: valid UTF-8 and ASCII pass, other bytes are Latin-1.
void append_ansi(std::string& out, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] < 0x80) {
      out.push_back(static_cast<char>(p[i]));
    } else {
      append_utf8(out, p[i]);
    }
  }
}

void append_2(char* o, unsigned v) {
  o[0] = static_cast<char>('0' + v / 10 % 10);
  o[1] = static_cast<char>('0' + v % 10);
}

// FILETIME → ticks; false for values past INT64_MAX (the subtraction would overflow).
bool filetime_ticks(uint64_t ft, int64_t& out) {
  if (ft > static_cast<uint64_t>(INT64_MAX)) return false;
  out = time::ticks_from_filetime(ft);
  return true;
}

// "YYYY-MM-DDTHH:MM:SS.fffffffZ"
void append_iso(std::string& out, int64_t ticks) {
  const time::Civil c = time::civil_from_ticks(ticks);
  if (c.year < 0 || c.year > 9999) {
    out += time::format_iso(ticks);
    return;
  }
  char b[28];
  const unsigned y = static_cast<unsigned>(c.year);
  append_2(b, y / 100);
  append_2(b + 2, y % 100);
  b[4] = '-';
  append_2(b + 5, c.month);
  b[7] = '-';
  append_2(b + 8, c.day);
  b[10] = 'T';
  append_2(b + 11, c.hour);
  b[13] = ':';
  append_2(b + 14, c.minute);
  b[16] = ':';
  append_2(b + 17, c.second);
  b[19] = '.';
  int64_t f = c.fraction;
  for (int i = 6; i >= 0; --i) {
    b[20 + i] = static_cast<char>('0' + f % 10);
    f /= 10;
  }
  b[27] = 'Z';
  out.append(b, 28);
}

// ---------------------------------------------------------------- value types
enum : uint8_t {
  kNull = 0x00,
  kString = 0x01,
  kAnsi = 0x02,
  kInt8 = 0x03,
  kUInt8 = 0x04,
  kInt16 = 0x05,
  kUInt16 = 0x06,
  kInt32 = 0x07,
  kUInt32 = 0x08,
  kInt64 = 0x09,
  kUInt64 = 0x0a,
  kReal32 = 0x0b,
  kReal64 = 0x0c,
  kBool = 0x0d,
  kBinary = 0x0e,
  kGuid = 0x0f,
  kSizeT = 0x10,
  kFileTime = 0x11,
  kSysTime = 0x12,
  kSid = 0x13,
  kHexInt32 = 0x14,
  kHexInt64 = 0x15,
  kEvtHandle = 0x20,
  kBinXml = 0x21,
  kEvtXml = 0x23,
  kArray = 0x80,
};

// Fixed element size of an array element type; 0 = variable or unknown.
size_t element_size(uint8_t t) {
  switch (t) {
    case kInt8:
    case kUInt8:
      return 1;
    case kInt16:
    case kUInt16:
      return 2;
    case kInt32:
    case kUInt32:
    case kReal32:
    case kBool:
    case kHexInt32:
      return 4;
    case kInt64:
    case kUInt64:
    case kReal64:
    case kFileTime:
    case kHexInt64:
    case kSizeT:
      return 8;
    case kGuid:
    case kSysTime:
      return 16;
    default:
      return 0;
  }
}

uint64_t read_uint(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

void append_guid(std::string& out, const uint8_t* p) {
  char b[38];
  b[0] = '{';
  auto hex = [&](int at, uint64_t v, int digits) {
    for (int i = 0; i < digits; ++i) b[at + i] = kHexUpper[(v >> (4 * (digits - 1 - i))) & 15];
  };
  hex(1, u32(p), 8);
  b[9] = '-';
  hex(10, u16(p + 4), 4);
  b[14] = '-';
  hex(15, u16(p + 6), 4);
  b[19] = '-';
  hex(20, p[8], 2);
  hex(22, p[9], 2);
  b[24] = '-';
  for (int i = 0; i < 6; ++i) hex(25 + 2 * i, p[10 + i], 2);
  b[37] = '}';
  out.append(b, 38);
}

// SID: revision, sub-authority count, 48-bit big-endian authority, sub-authorities.
// Returns its byte length, 0 when invalid.
size_t append_sid(std::string& out, const uint8_t* p, size_t n) {
  if (n < 8) return 0;
  const size_t count = p[1];
  const size_t len = 8 + 4 * count;
  if (len > n) return 0;
  uint64_t auth = 0;
  for (int i = 2; i < 8; ++i) auth = (auth << 8) | p[i];
  out += "S-";
  append_int(out, static_cast<unsigned>(p[0]));
  out.push_back('-');
  if (auth >> 32) {
    char b[20];
    int k = std::snprintf(b, sizeof b, "0x%012llX", static_cast<unsigned long long>(auth));
    out.append(b, static_cast<size_t>(k));
  } else {
    append_int(out, auth);
  }
  for (size_t i = 0; i < count; ++i) {
    out.push_back('-');
    append_int(out, u32(p + 8 + 4 * i));
  }
  return len;
}

void append_systemtime(std::string& out, const uint8_t* p) {
  const unsigned y = u16(p), mo = u16(p + 2), d = u16(p + 6), h = u16(p + 8), mi = u16(p + 10),
                 s = u16(p + 12), ms = u16(p + 14);
  // A damaged SYSTEMTIME holds any 16-bit values: "65535-65535-…" is 46 characters, so
  // the buffer fits the worst case and the length is clamped anyway (snprintf returns
  // what it would have written). Found by evtx_fuzz (seed systemtime-out-of-range).
  char b[64];
  const int k = std::snprintf(b, sizeof b, "%04u-%02u-%02uT%02u:%02u:%02u.%07uZ", y, mo, d, h, mi,
                              s, ms * 10000u);
  if (k > 0) out.append(b, std::min(static_cast<size_t>(k), sizeof b - 1));
}

// Renders one scalar of type t (n bytes at p). Returns false when n does not fit t
// (the caller renders hex then).
bool append_scalar(std::string& out, uint8_t t, const uint8_t* p, size_t n) {
  switch (t) {
    case kInt8:
      if (n < 1) return false;
      append_int(out, static_cast<int>(static_cast<int8_t>(p[0])));
      return true;
    case kUInt8:
      if (n < 1) return false;
      append_int(out, static_cast<unsigned>(p[0]));
      return true;
    case kInt16:
      if (n < 2) return false;
      append_int(out, static_cast<int>(static_cast<int16_t>(u16(p))));
      return true;
    case kUInt16:
      if (n < 2) return false;
      append_int(out, static_cast<unsigned>(u16(p)));
      return true;
    case kInt32:
      if (n < 4) return false;
      append_int(out, static_cast<int32_t>(u32(p)));
      return true;
    case kUInt32:
      if (n < 4) return false;
      append_int(out, u32(p));
      return true;
    case kInt64:
      if (n < 8) return false;
      append_int(out, static_cast<int64_t>(u64(p)));
      return true;
    case kUInt64:
      if (n < 8) return false;
      append_int(out, u64(p));
      return true;
    case kReal32: {
      if (n < 4) return false;
      float f;
      std::memcpy(&f, p, 4);
      char b[32];
      auto r = std::to_chars(b, b + sizeof b, f);
      out.append(b, r.ptr);
      return true;
    }
    case kReal64: {
      if (n < 8) return false;
      double f;
      std::memcpy(&f, p, 8);
      char b[40];
      auto r = std::to_chars(b, b + sizeof b, f);
      out.append(b, r.ptr);
      return true;
    }
    case kBool:
      // Windows writes 4 bytes; some writers use 1, 2 or 8, and values other than
      // 0/1 occur: anything non-zero is true.
      if (n < 1) return false;
      out += read_uint(p, n) ? "true" : "false";
      return true;
    case kGuid:
      if (n < 16) return false;
      append_guid(out, p);
      return true;
    case kSizeT:
      if (n == 4) {
        append_hex_fixed(out, u32(p), 8);
        return true;
      }
      if (n >= 8) {
        append_hex_fixed(out, u64(p), 16);
        return true;
      }
      return false;
    case kFileTime:
      if (n < 8) return false;
      if (int64_t ticks; filetime_ticks(u64(p), ticks)) {
        append_iso(out, ticks);
      } else {
        append_hex_fixed(out, u64(p), 16);  // out of range: the raw value
      }
      return true;
    case kSysTime:
      if (n < 16) return false;
      append_systemtime(out, p);
      return true;
    case kSid:
      return append_sid(out, p, n) != 0;
    case kHexInt32:
      if (n < 4) return false;
      append_hex_fixed(out, u32(p), 8);
      return true;
    case kHexInt64:
      if (n < 8) return false;
      append_hex_fixed(out, u64(p), 16);
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- names
enum Known : uint8_t {
  kOther,
  kEvent,
  kSystem,
  kProvider,
  kEventID,
  kVersion,
  kLevel,
  kTask,
  kOpcode,
  kKeywords,
  kTimeCreated,
  kEventRecordID,
  kCorrelation,
  kExecution,
  kChannel,
  kComputer,
  kSecurity,
  kEventData,
  kUserData,
  kData,
  kBinaryEl,
  kRenderingInfo,
  kMessage,
  kName,
  kGuidAttr,
  kEventSourceName,
  kQualifiers,
  kSystemTime,
  kActivityID,
  kRelatedActivityID,
  kProcessID,
  kThreadID,
  kUserID,
};

Known classify(std::string_view s) {
  static const std::pair<std::string_view, Known> kNames[] = {
      {"Event", kEvent},
      {"System", kSystem},
      {"Provider", kProvider},
      {"EventID", kEventID},
      {"Version", kVersion},
      {"Level", kLevel},
      {"Task", kTask},
      {"Opcode", kOpcode},
      {"Keywords", kKeywords},
      {"TimeCreated", kTimeCreated},
      {"EventRecordID", kEventRecordID},
      {"Correlation", kCorrelation},
      {"Execution", kExecution},
      {"Channel", kChannel},
      {"Computer", kComputer},
      {"Security", kSecurity},
      {"EventData", kEventData},
      {"UserData", kUserData},
      {"Data", kData},
      {"Binary", kBinaryEl},
      {"RenderingInfo", kRenderingInfo},
      {"Message", kMessage},
      {"Name", kName},
      {"Guid", kGuidAttr},
      {"EventSourceName", kEventSourceName},
      {"Qualifiers", kQualifiers},
      {"SystemTime", kSystemTime},
      {"ActivityID", kActivityID},
      {"RelatedActivityID", kRelatedActivityID},
      {"ProcessID", kProcessID},
      {"ThreadID", kThreadID},
      {"UserID", kUserID},
  };
  for (const auto& [n, k] : kNames)
    if (n == s) return k;
  return kOther;
}

struct Name {
  std::string text;
  Known known = kOther;
};

// ---------------------------------------------------------------- compiled BinXML
enum OpKind : uint8_t {
  kOpOpen,        // a = name
  kOpCloseStart,  //
  kOpCloseEmpty,  //
  kOpEnd,         //
  kOpAttr,        // a = name
  kOpText,        // a = literal offset, b = length (also CDATA)
  kOpSubst,       // a = substitution index, b = declared type
  kOpCharRef,     // a = code point
  kOpEntityRef,   // a = name
};

struct Op {
  OpKind kind;
  uint32_t a = 0, b = 0;
};

struct Template {
  uint32_t begin = 0, end = 0;
  bool ok = false;
};

struct Sub {
  uint32_t off;  // chunk-relative
  uint32_t size;
  uint8_t type;
};

// Where the text of the current element or attribute goes.
enum Target : uint8_t {
  tNone,
  tProvider,
  tProviderGuid,
  tEventSourceName,
  tEventID,
  tQualifiers,
  tVersion,
  tLevel,
  tTask,
  tOpcode,
  tKeywords,
  tSystemTime,
  tRecordID,
  tActivity,
  tRelated,
  tProcessID,
  tThreadID,
  tChannel,
  tComputer,
  tUserID,
  tDataName,
  tDataValue,
  tMessage,
};

bool is_numeric_target(Target t) {
  switch (t) {
    case tEventID:
    case tQualifiers:
    case tVersion:
    case tLevel:
    case tTask:
    case tOpcode:
    case tKeywords:
    case tRecordID:
    case tProcessID:
    case tThreadID:
    case tSystemTime:
      return true;
    default:
      return false;
  }
}

struct Failure {
  const char* what;
  uint32_t at;  // chunk-relative offset
};

class Reader {
 public:
  Reader(std::span<const uint8_t> file, FunctionRef<bool(const Record&)> on_record,
         FunctionRef<void(const Problem&)> on_problem)
      : file_(file), on_record_(on_record), on_problem_(on_problem) {
    scratch_ops_.resize(kMaxNesting + 2);
    scratch_lits_.resize(kMaxNesting + 2);
    subs_.resize(kMaxNesting + 2);
  }

  Stats run();

 private:
  // ---- problems
  void problem(uint64_t offset, int64_t chunk, std::string what) {
    ++stats_.problems;
    on_problem_(Problem{offset, chunk, std::move(what)});
  }
  bool fail(const char* what, uint32_t at) {
    if (!failure_.what) failure_ = {what, at};
    return false;
  }

  void read_chunk(int64_t index, uint64_t offset, size_t avail);
  // Decodes and emits one record; a half-written one only when its EventRecordID
  // matches the header's number and it has a time (else it is silently dropped and
  // the caller reports it). Returns whether it was emitted.
  bool read_record(uint32_t pos, uint32_t size, bool half_written);

  // ---- BinXML
  bool name_at(uint32_t off, uint32_t& idx);
  bool read_name(uint32_t& pos, uint32_t end, uint32_t& idx);
  bool compile(uint32_t pos, uint32_t end, std::vector<Op>& ops, std::string& lits);
  bool exec_fragment(uint32_t pos, uint32_t end, int depth);
  bool template_instance(uint32_t& pos, uint32_t end, int depth);
  bool exec_ops(const std::vector<Op>& ops, uint32_t begin, uint32_t end, const std::string& lits,
                const std::vector<Sub>& subs, int depth);

  // ---- record builder (consumer of the element events)
  void begin_record();
  bool on_open(uint32_t name);
  void on_attr(uint32_t name);
  void on_close_start();
  bool on_end();
  bool on_text(std::string_view text);
  bool on_value(const Sub& s);
  void finish_attr();
  void finish_target(Target t);
  Target current_target() const {
    if (in_attr_) return attr_target_;
    return depth_ > 0 && depth_ <= kMaxElementDepth ? stack_[depth_ - 1].target : tNone;
  }
  std::string* string_target(Target t);
  DataItem& new_item();
  void pop_item();
  void set_number(Target t, uint64_t v);
  bool charge(size_t bytes) {
    if (bytes > budget_bytes_) return fail("record renders too much data", 0);
    budget_bytes_ -= bytes;
    return true;
  }

  std::span<const uint8_t> file_;
  FunctionRef<bool(const Record&)> on_record_;
  FunctionRef<void(const Problem&)> on_problem_;
  Stats stats_;
  bool stop_ = false;

  // chunk state
  const uint8_t* c_ = nullptr;
  uint32_t csize_ = 0;
  uint64_t coff_ = 0;
  int64_t cindex_ = 0;
  std::vector<Name> names_;
  std::unordered_map<uint32_t, uint32_t> name_by_off_;
  std::vector<Op> ops_;
  std::string lits_;
  std::vector<Template> templates_;
  std::unordered_map<uint32_t, uint32_t> template_by_off_;
  std::vector<std::vector<Op>> scratch_ops_;
  std::vector<std::string> scratch_lits_;
  std::vector<std::vector<Sub>> subs_;
  Failure failure_{nullptr, 0};
  uint64_t budget_ops_ = 0;
  uint64_t budget_bytes_ = 0;

  // record builder state
  struct Frame {
    uint32_t name;
    Known known;
    Target target;
    int32_t item;  // DataItem created for this element, -1 none
  };
  Record rec_;
  std::vector<DataItem> spare_;
  std::array<Frame, kMaxElementDepth> stack_{};
  int depth_ = 0;
  bool saw_root_ = false;
  Known section_ = kOther;
  bool in_attr_ = false;
  Target attr_target_ = tNone;
  std::string num_;  // text of a numeric field being collected
  bool have_record_id_ = false;
  std::string path_;
};

// ---------------------------------------------------------------- names
bool Reader::name_at(uint32_t off, uint32_t& idx) {
  auto it = name_by_off_.find(off);
  if (it != name_by_off_.end()) {
    idx = it->second;
    return true;
  }
  if (off < kChunkHeaderSize || off > csize_ || csize_ - off < 10)
    return fail("name offset outside the chunk", off);
  const uint32_t count = u16(c_ + off + 6);
  if ((csize_ - off - 8) / 2 < count + 1u) return fail("name runs past the chunk", off);
  Name n;
  append_utf16(n.text, c_ + off + 8, count);
  n.known = classify(n.text);
  idx = static_cast<uint32_t>(names_.size());
  names_.push_back(std::move(n));
  name_by_off_.emplace(off, idx);
  return true;
}

bool Reader::read_name(uint32_t& pos, uint32_t end, uint32_t& idx) {
  if (end - pos < 4) return fail("name reference cut short", pos);
  const uint32_t off = u32(c_ + pos);
  pos += 4;
  if (off == pos) {  // defined inline, right here
    if (end - pos < 8) return fail("inline name cut short", pos);
    const uint32_t count = u16(c_ + pos + 6);
    const uint64_t len = 8 + 2 * static_cast<uint64_t>(count) + 2;
    if (len > end - pos) return fail("inline name cut short", pos);
    pos += static_cast<uint32_t>(len);
  }
  return name_at(off, idx);
}

// ---------------------------------------------------------------- compile
bool Reader::compile(uint32_t pos, uint32_t end, std::vector<Op>& ops, std::string& lits) {
  int depth = 0;
  while (pos < end) {
    const uint32_t at = pos;
    const uint8_t tok = c_[pos];
    switch (tok & 0xBF) {  // 0x40 = "more data" / "has attributes" flag
      case 0x00:           // end of fragment
        return true;
      case 0x0f:  // fragment header: token, major, minor, flags
        if (end - pos < 4) return fail("fragment header cut short", at);
        pos += 4;
        break;
      case 0x01: {  // open start element
        // [dependency id u16] data size u32, name offset u32. Template definitions
        // carry the dependency id; plain-element records (e.g. forwarded events) do
        // not. Pick the reading whose name offset is consistent.
        if (end - pos < 9) return fail("element start cut short", at);
        const uint32_t room = end - pos;
        const bool a_fits = room >= 11;
        const uint32_t name_a = a_fits ? u32(c_ + pos + 7) : 0;
        const uint32_t size_a = a_fits ? u32(c_ + pos + 3) : 0;
        const uint32_t name_b = u32(c_ + pos + 5);
        const uint32_t size_b = u32(c_ + pos + 1);
        bool with_dep;
        if (a_fits && name_a == pos + 11) {
          with_dep = true;
        } else if (name_b == pos + 9) {
          with_dep = false;
        } else if (a_fits && name_a < pos && name_a >= kChunkHeaderSize && size_a <= room) {
          with_dep = true;
        } else if (name_b < pos && name_b >= kChunkHeaderSize && size_b <= room) {
          with_dep = false;
        } else {
          return fail("element start: bad name offset", at);
        }
        pos += with_dep ? 7 : 5;
        uint32_t name;
        if (!read_name(pos, end, name)) return false;
        if (tok & 0x40) {
          if (end - pos < 4) return fail("attribute list size cut short", pos);
          pos += 4;
        }
        if (++depth > kMaxElementDepth) return fail("elements nested too deep", at);
        ops.push_back({kOpOpen, name, 0});
        break;
      }
      case 0x02:
        ++pos;
        ops.push_back({kOpCloseStart});
        break;
      case 0x03:
        ++pos;
        --depth;
        ops.push_back({kOpCloseEmpty});
        break;
      case 0x04:
        ++pos;
        --depth;
        ops.push_back({kOpEnd});
        break;
      case 0x05: {  // value text
        if (end - pos < 2) return fail("value cut short", at);
        const uint8_t type = c_[pos + 1];
        pos += 2;
        if (type != kString) return fail("unsupported value text type", at);
        [[fallthrough]];
      }
      case 0x07: {  // CDATA section (or the string of a value text)
        if ((tok & 0xBF) == 0x07) ++pos;
        if (end - pos < 2) return fail("text cut short", at);
        const uint32_t count = u16(c_ + pos);
        pos += 2;
        if ((end - pos) / 2 < count) return fail("text runs past its fragment", at);
        const uint32_t lit = static_cast<uint32_t>(lits.size());
        append_utf16(lits, c_ + pos, count);
        pos += 2 * count;
        ops.push_back({kOpText, lit, static_cast<uint32_t>(lits.size()) - lit});
        break;
      }
      case 0x06: {  // attribute
        ++pos;
        uint32_t name;
        if (!read_name(pos, end, name)) return false;
        ops.push_back({kOpAttr, name, 0});
        break;
      }
      case 0x08: {  // character reference
        if (end - pos < 3) return fail("character reference cut short", at);
        ops.push_back({kOpCharRef, u16(c_ + pos + 1), 0});
        pos += 3;
        break;
      }
      case 0x09: {  // entity reference
        ++pos;
        uint32_t name;
        if (!read_name(pos, end, name)) return false;
        ops.push_back({kOpEntityRef, name, 0});
        break;
      }
      case 0x0a: {  // processing instruction target (dropped: no record data)
        ++pos;
        uint32_t name;
        if (!read_name(pos, end, name)) return false;
        break;
      }
      case 0x0b: {  // processing instruction data (dropped)
        if (end - pos < 3) return fail("PI data cut short", at);
        const uint32_t count = u16(c_ + pos + 1);
        pos += 3;
        if ((end - pos) / 2 < count) return fail("PI data runs past its fragment", at);
        pos += 2 * count;
        break;
      }
      case 0x0d:
      case 0x0e: {  // normal / optional substitution: id u16, type u8
        if (end - pos < 4) return fail("substitution cut short", at);
        ops.push_back({kOpSubst, u16(c_ + pos + 1), c_[pos + 3]});
        pos += 4;
        break;
      }
      default:
        return fail("unknown BinXML token", at);
    }
    if (depth < 0) return fail("end element without start", at);
  }
  return true;
}

// ---------------------------------------------------------------- execute
bool Reader::exec_fragment(uint32_t pos, uint32_t end, int depth) {
  if (depth > kMaxNesting) return fail("templates nested too deep", pos);
  if (pos < end && c_[pos] == 0x0f) {
    if (end - pos < 4) return fail("fragment header cut short", pos);
    pos += 4;
  }
  if (pos >= end) return true;  // empty fragment
  if (c_[pos] == 0x0c) return template_instance(pos, end, depth);
  // A plain element (no template): compile into this depth's scratch and replay.
  std::vector<Op>& ops = scratch_ops_[depth];
  std::string& lits = scratch_lits_[depth];
  ops.clear();
  lits.clear();
  if (!compile(pos, end, ops, lits)) return false;
  subs_[depth].clear();
  return exec_ops(ops, 0, static_cast<uint32_t>(ops.size()), lits, subs_[depth], depth);
}

bool Reader::template_instance(uint32_t& pos, uint32_t end, int depth) {
  const uint32_t at = pos;
  if (end - pos < 10) return fail("template instance cut short", at);
  const uint32_t def = u32(c_ + pos + 6);
  pos += 10;
  if (def == pos) {  // definition inline: next u32, GUID, data size u32, body
    if (end - pos < 24) return fail("template definition cut short", pos);
    const uint32_t size = u32(c_ + pos + 20);
    if (size > end - pos - 24) return fail("template definition runs past the record", pos);
    pos += 24 + size;
  }
  uint32_t tindex;
  if (auto it = template_by_off_.find(def); it != template_by_off_.end()) {
    tindex = it->second;
  } else {
    Template t;
    if (def >= kChunkHeaderSize && def <= csize_ && csize_ - def >= 24) {
      const uint32_t size = u32(c_ + def + 20);
      if (size <= csize_ - def - 24) {
        t.begin = static_cast<uint32_t>(ops_.size());
        t.ok = compile(def + 24, def + 24 + size, ops_, lits_);
        t.end = static_cast<uint32_t>(ops_.size());
        if (!t.ok) {  // the failure names the bad token; later uses fail below
          ops_.resize(t.begin);
          t.end = t.begin;
        }
      }
    }
    tindex = static_cast<uint32_t>(templates_.size());
    templates_.push_back(t);
    template_by_off_.emplace(def, tindex);
  }
  const Template t = templates_[tindex];
  if (!t.ok) return fail("template definition cannot be decoded", def);

  // Substitution array: count u32, count × (size u16, type u8, pad u8), values.
  if (end - pos < 4) return fail("substitution count cut short", pos);
  const uint32_t n = u32(c_ + pos);
  pos += 4;
  if (n > (end - pos) / 4) return fail("substitution count too large", pos - 4);
  std::vector<Sub>& subs = subs_[depth];
  subs.clear();
  uint32_t value = pos + 4 * n;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t size = u16(c_ + pos + 4 * i);
    const uint8_t type = c_[pos + 4 * i + 2];
    if (size > end - value) return fail("substitution value runs past the record", value);
    subs.push_back({value, size, type});
    value += size;
  }
  pos = value;
  return exec_ops(ops_, t.begin, t.end, lits_, subs, depth);
}

bool Reader::exec_ops(const std::vector<Op>& ops, uint32_t begin, uint32_t end,
                      const std::string& lits, const std::vector<Sub>& subs, int depth) {
  if (end - begin > budget_ops_) return fail("record replays too many template ops", 0);
  budget_ops_ -= end - begin;
  for (uint32_t i = begin; i < end; ++i) {
    const Op op = ops[i];
    switch (op.kind) {
      case kOpOpen:
        if (!on_open(op.a)) return false;
        break;
      case kOpCloseStart:
        on_close_start();
        break;
      case kOpCloseEmpty:
        on_close_start();
        if (!on_end()) return false;
        break;
      case kOpEnd:
        if (!on_end()) return false;
        break;
      case kOpAttr:
        on_attr(op.a);
        break;
      case kOpText:
        if (!on_text(std::string_view(lits).substr(op.a, op.b))) return false;
        break;
      case kOpCharRef: {
        std::string s;
        append_utf8(s, op.a);
        if (!on_text(s)) return false;
        break;
      }
      case kOpEntityRef: {
        const std::string& n = names_[op.a].text;
        std::string_view v;
        if (n == "amp") {
          v = "&";
        } else if (n == "lt") {
          v = "<";
        } else if (n == "gt") {
          v = ">";
        } else if (n == "quot") {
          v = "\"";
        } else if (n == "apos") {
          v = "'";
        }
        if (!v.empty()) {
          if (!on_text(v)) return false;
        } else {
          std::string s = "&" + n + ";";
          if (!on_text(s)) return false;
        }
        break;
      }
      case kOpSubst: {
        if (op.a >= subs.size()) break;  // missing value: rendered empty
        const Sub s = subs[op.a];
        if (s.size == 0 || s.type == kNull) break;
        if (s.type == kBinXml) {
          if (!exec_fragment(s.off, s.off + s.size, depth + 1)) return false;
        } else if (!on_value(s)) {
          return false;
        }
        break;
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------- record builder
void Reader::begin_record() {
  for (auto& d : rec_.data) spare_.push_back(std::move(d));
  rec_.data.clear();
  rec_.record_id = 0;
  rec_.time = HT_NO_TIME;
  rec_.event_id = 0;
  rec_.qualifiers.reset();
  rec_.version = rec_.level = rec_.opcode = 0;
  rec_.task = 0;
  rec_.keywords = 0;
  rec_.provider.clear();
  rec_.provider_guid.clear();
  rec_.event_source_name.clear();
  rec_.channel.clear();
  rec_.computer.clear();
  rec_.user_sid.clear();
  rec_.activity_id.clear();
  rec_.related_activity_id.clear();
  rec_.process_id.reset();
  rec_.thread_id.reset();
  rec_.user_data = false;
  rec_.message.clear();
  rec_.offset = HT_NO_NUMBER;
  rec_.line = HT_NO_NUMBER;
  depth_ = 0;
  saw_root_ = false;
  section_ = kOther;
  in_attr_ = false;
  attr_target_ = tNone;
  num_.clear();
  have_record_id_ = false;
  budget_ops_ = kMaxOpsPerRecord;
  budget_bytes_ = kMaxBytesPerRecord;
  failure_ = {nullptr, 0};
}

DataItem& Reader::new_item() {
  if (!spare_.empty()) {
    rec_.data.push_back(std::move(spare_.back()));
    spare_.pop_back();
    rec_.data.back().name.clear();
    rec_.data.back().value.clear();
  } else {
    rec_.data.emplace_back();
  }
  return rec_.data.back();
}

void Reader::pop_item() {
  spare_.push_back(std::move(rec_.data.back()));
  rec_.data.pop_back();
}

bool Reader::on_open(uint32_t name) {
  if (in_attr_) finish_attr();
  in_attr_ = false;
  if (depth_ >= kMaxElementDepth) return fail("elements nested too deep", 0);
  const Known known = names_[name].known;
  Frame f{name, known, tNone, -1};
  const int d = depth_;
  if (d == 0) {
    saw_root_ = true;
  } else if (d == 1) {
    section_ = known;
    if (known == kUserData) rec_.user_data = true;
  } else if (section_ == kSystem) {
    if (d == 2) {
      switch (known) {
        case kEventID:
          f.target = tEventID;
          break;
        case kVersion:
          f.target = tVersion;
          break;
        case kLevel:
          f.target = tLevel;
          break;
        case kTask:
          f.target = tTask;
          break;
        case kOpcode:
          f.target = tOpcode;
          break;
        case kKeywords:
          f.target = tKeywords;
          break;
        case kEventRecordID:
          f.target = tRecordID;
          break;
        case kChannel:
          f.target = tChannel;
          break;
        case kComputer:
          f.target = tComputer;
          break;
        default:
          break;
      }
    }
  } else if (section_ == kEventData) {
    if (d == 2) {
      DataItem& item = new_item();
      if (known != kData) item.name = names_[name].text;
      f.item = static_cast<int32_t>(rec_.data.size() - 1);
      f.target = tDataValue;
    } else {
      f.target = stack_[d - 1].target;  // nested markup: text goes to the Data item
    }
  } else if (section_ == kUserData) {
    if (d >= 2) {
      const Frame& parent = stack_[d - 1];
      if (parent.item >= 0 && parent.item + 1 == static_cast<int32_t>(rec_.data.size()) &&
          rec_.data.back().value.empty()) {
        pop_item();  // the parent is a container, not a leaf
        stack_[d - 1].item = -1;
      }
      DataItem& item = new_item();
      if (d == 2) {
        item.name = names_[name].text;
      } else {
        for (int k = 3; k < d; ++k) {
          item.name += names_[stack_[k].name].text;
          item.name.push_back('/');
        }
        item.name += names_[name].text;
      }
      f.item = static_cast<int32_t>(rec_.data.size() - 1);
      f.target = tDataValue;
    }
  } else if (section_ == kRenderingInfo) {
    if (d == 2 && known == kMessage) f.target = tMessage;
  }
  stack_[d] = f;
  ++depth_;
  return true;
}

void Reader::on_attr(uint32_t name) {
  if (in_attr_) finish_attr();
  in_attr_ = true;
  attr_target_ = tNone;
  if (depth_ <= 0) return;
  const Frame& f = stack_[depth_ - 1];
  const Known a = names_[name].known;
  if (section_ == kSystem && depth_ == 3) {
    switch (f.known) {
      case kProvider:
        if (a == kName) attr_target_ = tProvider;
        if (a == kGuidAttr) attr_target_ = tProviderGuid;
        if (a == kEventSourceName) attr_target_ = tEventSourceName;
        break;
      case kEventID:
        if (a == kQualifiers) attr_target_ = tQualifiers;
        break;
      case kTimeCreated:
        if (a == kSystemTime) attr_target_ = tSystemTime;
        break;
      case kCorrelation:
        if (a == kActivityID) attr_target_ = tActivity;
        if (a == kRelatedActivityID) attr_target_ = tRelated;
        break;
      case kExecution:
        if (a == kProcessID) attr_target_ = tProcessID;
        if (a == kThreadID) attr_target_ = tThreadID;
        break;
      case kSecurity:
        if (a == kUserID) attr_target_ = tUserID;
        break;
      default:
        break;
    }
  } else if (section_ == kEventData && depth_ == 3 && f.known == kData && a == kName) {
    attr_target_ = tDataName;
  }
}

void Reader::on_close_start() {
  if (in_attr_) finish_attr();
  in_attr_ = false;
}

bool Reader::on_end() {
  if (in_attr_) finish_attr();
  in_attr_ = false;
  if (depth_ <= 0) return fail("end element without start", 0);
  --depth_;
  const Target t = stack_[depth_].target;
  if (is_numeric_target(t)) finish_target(t);
  if (depth_ == 1) section_ = kOther;
  return true;
}

void Reader::finish_attr() {
  if (is_numeric_target(attr_target_)) finish_target(attr_target_);
  attr_target_ = tNone;
}

void Reader::set_number(Target t, uint64_t v) {
  switch (t) {
    case tEventID:
      rec_.event_id = static_cast<uint32_t>(v);
      break;
    case tQualifiers:
      rec_.qualifiers = static_cast<uint16_t>(v);
      break;
    case tVersion:
      rec_.version = static_cast<uint8_t>(v);
      break;
    case tLevel:
      rec_.level = static_cast<uint8_t>(v);
      break;
    case tTask:
      rec_.task = static_cast<uint16_t>(v);
      break;
    case tOpcode:
      rec_.opcode = static_cast<uint8_t>(v);
      break;
    case tKeywords:
      rec_.keywords = v;
      break;
    case tRecordID:
      rec_.record_id = v;
      have_record_id_ = true;
      break;
    case tProcessID:
      rec_.process_id = static_cast<uint32_t>(v);
      break;
    case tThreadID:
      rec_.thread_id = static_cast<uint32_t>(v);
      break;
    default:
      break;
  }
}

// Parses the collected text of a numeric field (plain-element records carry text).
void Reader::finish_target(Target t) {
  if (num_.empty()) return;
  std::string_view s = num_;
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  if (t == tSystemTime) {
    if (auto v = time::parse_iso(s)) rec_.time = *v;
  } else {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      s.remove_prefix(2);
      base = 16;
    }
    uint64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) set_number(t, v);
  }
  num_.clear();
}

std::string* Reader::string_target(Target t) {
  switch (t) {
    case tProvider:
      return &rec_.provider;
    case tProviderGuid:
      return &rec_.provider_guid;
    case tEventSourceName:
      return &rec_.event_source_name;
    case tActivity:
      return &rec_.activity_id;
    case tRelated:
      return &rec_.related_activity_id;
    case tChannel:
      return &rec_.channel;
    case tComputer:
      return &rec_.computer;
    case tUserID:
      return &rec_.user_sid;
    case tMessage:
      return &rec_.message;
    case tDataName:
      return rec_.data.empty() ? nullptr : &rec_.data.back().name;
    case tDataValue: {
      const int32_t item = depth_ > 0 ? stack_[depth_ - 1].item : -1;
      // Nested markup inside a Data element appends to that element's item.
      if (item >= 0) return &rec_.data[static_cast<size_t>(item)].value;
      for (int k = depth_ - 1; k >= 0; --k)
        if (stack_[k].item >= 0) return &rec_.data[static_cast<size_t>(stack_[k].item)].value;
      return nullptr;
    }
    default:
      return nullptr;
  }
}

bool Reader::on_text(std::string_view text) {
  const Target t = current_target();
  if (t == tNone) return true;
  if (!charge(text.size())) return false;
  if (is_numeric_target(t)) {
    num_.append(text);
    return true;
  }
  if (std::string* s = string_target(t)) s->append(text);
  return true;
}

bool Reader::on_value(const Sub& s) {
  const Target t = current_target();
  if (t == tNone) return true;
  const uint8_t* p = c_ + s.off;
  if (is_numeric_target(t)) {
    switch (s.type) {
      case kUInt8:
      case kUInt16:
      case kUInt32:
      case kUInt64:
      case kHexInt32:
      case kHexInt64:
      case kInt8:
      case kInt16:
      case kInt32:
      case kInt64:
      case kSizeT:
        if (t != tSystemTime) {
          set_number(t, read_uint(p, s.size));
          return true;
        }
        break;
      case kFileTime:
        if (t == tSystemTime && s.size >= 8) {
          if (int64_t ticks; filetime_ticks(u64(p), ticks)) rec_.time = ticks;
          return true;
        }
        break;
      default:
        break;
    }
  }
  std::string* out = is_numeric_target(t) ? &num_ : string_target(t);
  if (!out) return true;
  if (!charge(2 * static_cast<size_t>(s.size) + 64)) return false;
  const uint8_t type = s.type;
  switch (type) {
    case kString: {
      const size_t n = utf16_len(p, s.size / 2);
      append_utf16(*out, p, n);
      return true;
    }
    case kAnsi: {
      size_t n = 0;
      while (n < s.size && p[n]) ++n;
      append_ansi(*out, p, n);
      return true;
    }
    case kBinary:
      append_hex_bytes(*out, p, s.size);
      return true;
    case kArray | kString:
    case kArray | kAnsi: {
      // NUL-separated strings. In a Data element each string becomes its own
      // DataItem (as evtxexport writes one <Data> per string); elsewhere they are
      // joined with ", ".
      const bool wide = type == (kArray | kString);
      const size_t unit = wide ? 2 : 1;
      const size_t n = s.size / unit;
      const bool split = t == tDataValue && depth_ > 0 && stack_[depth_ - 1].item >= 0 &&
                         static_cast<size_t>(stack_[depth_ - 1].item) + 1 == rec_.data.size();
      size_t i = 0;
      bool first = true;
      while (i < n) {
        size_t j = i;
        if (wide) {
          while (j < n && (p[2 * j] | p[2 * j + 1])) ++j;
        } else {
          while (j < n && p[j]) ++j;
        }
        if (j == n && j == i) break;
        if (!first) {
          if (split) {
            std::string name = rec_.data.back().name;
            DataItem& item = new_item();
            item.name = std::move(name);
            stack_[depth_ - 1].item = static_cast<int32_t>(rec_.data.size() - 1);
            out = &item.value;
          } else {
            out->append(", ");
          }
        }
        if (wide) {
          append_utf16(*out, p + 2 * i, j - i);
        } else {
          append_ansi(*out, p + i, j - i);
        }
        first = false;
        i = j + 1;
      }
      return true;
    }
    default:
      break;
  }
  if (type & kArray) {
    const uint8_t et = type & 0x7F;
    size_t es = element_size(et);
    if (et == kSizeT) es = 8;
    if (et == kSid) {
      size_t i = 0;
      bool first = true;
      while (i < s.size) {
        if (!first) out->append(", ");
        const size_t len = append_sid(*out, p + i, s.size - i);
        if (len == 0) break;
        i += len;
        first = false;
      }
      return true;
    }
    if (es != 0 && s.size % es == 0) {
      for (size_t i = 0; i < s.size; i += es) {
        if (i) out->append(", ");
        append_scalar(*out, et, p + i, es);
      }
      return true;
    }
    append_hex_bytes(*out, p, s.size);
    return true;
  }
  if (!append_scalar(*out, type, p, s.size)) append_hex_bytes(*out, p, s.size);
  return true;
}

// ---------------------------------------------------------------- records, chunks
bool Reader::read_record(uint32_t pos, uint32_t size, bool half_written) {
  begin_record();
  rec_.offset = coff_ + pos;
  const uint64_t number = u64(c_ + pos + 8);
  const uint32_t end = pos + size - 4;
  bool ok = exec_fragment(pos + kRecordHeaderSize, end, 0);
  if (ok && !saw_root_) ok = fail("record holds no element", pos + kRecordHeaderSize);
  if (ok && depth_ != 0) ok = fail("record ends inside an element", end);
  if (half_written) {
    if (!ok || !have_record_id_ || rec_.record_id != number || rec_.time == HT_NO_TIME ||
        rec_.time <= time::ticks_from_filetime(0))
      return false;
  } else if (!ok) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "record %llu: %s (chunk offset 0x%X); record skipped",
                  static_cast<unsigned long long>(number),
                  failure_.what ? failure_.what : "BinXML error", failure_.at);
    problem(coff_ + pos, cindex_, buf);
    return false;
  }
  if (!have_record_id_) rec_.record_id = number;
  ++stats_.records;
  if (!on_record_(rec_)) stop_ = true;
  return true;
}

void Reader::read_chunk(int64_t index, uint64_t offset, size_t avail) {
  c_ = file_.data() + offset;
  csize_ = static_cast<uint32_t>(std::min<size_t>(avail, kChunkSize));
  coff_ = offset;
  cindex_ = index;
  char buf[200];
  if (csize_ < kChunkHeaderSize) {
    problem(offset, index, "chunk cut short inside its header; skipped");
    ++stats_.chunks_skipped;
    return;
  }
  ++stats_.chunks;
  if (csize_ < kChunkSize) {
    std::snprintf(buf, sizeof buf, "chunk cut short: %u of %zu bytes present", csize_, kChunkSize);
    problem(offset, index, buf);
  }
  // Header CRC: bytes 0..119 and 128..511.
  const uint32_t hcrc =
      crc32(std::span<const uint8_t>(c_ + 128, 384), crc32(std::span<const uint8_t>(c_, 120)));
  if (hcrc != u32(c_ + 124)) {
    std::snprintf(buf, sizeof buf,
                  "chunk header CRC32 mismatch (stored 0x%08X, computed 0x%08X); records read "
                  "anyway",
                  u32(c_ + 124), hcrc);
    problem(offset, index, buf);
  }
  const uint32_t free_off = u32(c_ + 48);
  if (free_off < kChunkHeaderSize || free_off > kChunkSize) {
    std::snprintf(buf, sizeof buf, "chunk free space offset 0x%X out of range", free_off);
    problem(offset + 48, index, buf);
  } else if (free_off <= csize_) {
    const uint32_t dcrc =
        crc32(std::span<const uint8_t>(c_ + kChunkHeaderSize, free_off - kChunkHeaderSize));
    if (dcrc != u32(c_ + 52)) {
      std::snprintf(buf, sizeof buf,
                    "chunk record data CRC32 mismatch (stored 0x%08X, computed 0x%08X); records "
                    "read anyway",
                    u32(c_ + 52), dcrc);
      problem(offset + 52, index, buf);
    }
  }

  names_.clear();
  name_by_off_.clear();
  ops_.clear();
  lits_.clear();
  templates_.clear();
  template_by_off_.clear();

  uint32_t pos = kChunkHeaderSize;
  // Records follow each other up to the free space offset; what lies beyond is slack
  // (stale records of a reused chunk, whose templates may be gone) and is not read.
  // With an implausible free space offset the walk goes on to the end of the chunk.
  // The walk also ends at the first position without the record magic.
  const uint32_t limit = free_off >= kChunkHeaderSize && free_off <= csize_ ? free_off : csize_;
  while (!stop_ && limit > pos && limit - pos >= kRecordHeaderSize) {
    if (u32(c_ + pos) != 0x00002a2a) {
      bool zero = true;
      for (uint32_t k = 0; k < kRecordHeaderSize && zero; ++k) zero = c_[pos + k] == 0;
      if (zero && limit == csize_) break;  // free space of a chunk without a usable offset
      // Garbage before the free space offset (a record overwritten in place): look
      // for the next well-formed record header on the 8-byte grid.
      uint32_t next = (pos + 8) & ~7u;
      for (; limit - next >= kRecordHeaderSize + 8 && next < limit; next += 8) {
        if (u32(c_ + next) != 0x00002a2a) continue;
        const uint32_t sz = u32(c_ + next + 4);
        if (sz >= kRecordHeaderSize + 8 && sz <= limit - next && u32(c_ + next + sz - 4) == sz)
          break;
      }
      const bool found = next < limit && limit - next >= kRecordHeaderSize + 8;
      std::snprintf(buf, sizeof buf,
                    "no record magic at chunk offset 0x%X before the free space offset 0x%X; %s",
                    pos, limit, found ? "resynchronized at the next record" : "rest skipped");
      problem(offset + pos, index, buf);
      if (!found) break;
      pos = next;
      continue;
    }
    const uint32_t size = u32(c_ + pos + 4);
    if (size < kRecordHeaderSize + 8 || size > limit - pos) {
      std::snprintf(buf, sizeof buf,
                    "record %llu: size %u runs past the chunk (or is too small); rest of the "
                    "chunk skipped",
                    static_cast<unsigned long long>(u64(c_ + pos + 8)), size);
      problem(offset + pos, index, buf);
      break;
    }
    const uint32_t copy = u32(c_ + pos + size - 4);
    if (copy != size) {
      // Half-written record: the size copy is written last. Its BinXML may still be
      // complete (then it is kept), or hold zeroed values (then it is dropped).
      const bool kept = read_record(pos, size, true);
      std::snprintf(buf, sizeof buf,
                    "record %llu: size copy %u does not match size %u (half-written record); %s",
                    static_cast<unsigned long long>(u64(c_ + pos + 8)), copy, size,
                    kept ? "its content is complete and was kept" : "skipped");
      problem(offset + pos, index, buf);
      pos += size;
      continue;
    }
    read_record(pos, size, false);
    pos += size;
  }
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

Stats Reader::run() {
  const uint8_t* f = file_.data();
  const size_t size = file_.size();
  char buf[200];
  if (size < 8 || std::memcmp(f, "ElfFile", 8) != 0) {
    problem(
        0, -1,
        "no ElfFile magic (damaged or not an EVTX file header); recovering the chunks that follow");
  } else if (size < 128) {
    problem(0, -1, "file cut short inside its header");
  } else {
    const uint32_t crc = crc32(std::span<const uint8_t>(f, 120));
    if (crc != u32(f + 124)) {
      std::snprintf(buf, sizeof buf, "file header CRC32 mismatch (stored 0x%08X, computed 0x%08X)",
                    u32(f + 124), crc);
      problem(124, -1, buf);
    }
  }
  if (size <= kFileHeaderSize) return stats_;
  const size_t nblocks = (size - kFileHeaderSize + kChunkSize - 1) / kChunkSize;
  for (size_t i = 0; i < nblocks && !stop_; ++i) {
    const uint64_t off = kFileHeaderSize + i * kChunkSize;
    const size_t avail = std::min<size_t>(kChunkSize, size - off);
    const uint8_t* c = f + off;
    if (avail >= 8 && std::memcmp(c, "ElfChnk", 8) == 0) {
      read_chunk(static_cast<int64_t>(i), off, avail);
    } else if (avail >= kChunkHeaderSize + 8 && u32(c + kChunkHeaderSize) == 0x00002a2a) {
      // The magic is gone but the first record sits where a chunk's first record sits:
      // a damaged chunk header, not foreign data. Its records carry their own checks.
      problem(off, static_cast<int64_t>(i),
              "ElfChnk magic damaged, but a record starts at chunk offset 0x200; read as a chunk");
      read_chunk(static_cast<int64_t>(i), off, avail);
    } else if (!all_zero(c, avail)) {
      ++stats_.chunks_skipped;
      problem(off, static_cast<int64_t>(i), "64 KiB block without ElfChnk magic; skipped");
    }
  }
  stats_.stopped = stop_;
  return stats_;
}

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes, uint32_t crc) {
  const auto& t = crc_table().t;
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  crc = ~crc;
  while (n >= 8) {
    const uint32_t lo = u32(p) ^ crc;
    const uint32_t hi = u32(p + 4);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

bool looks_like_evtx(std::span<const uint8_t> prefix) {
  if (prefix.size() >= 8 && std::memcmp(prefix.data(), "ElfFile", 8) == 0) return true;
  // A damaged file header in front of an intact first chunk is still an event log.
  return prefix.size() >= kFileHeaderSize + 8 &&
         std::memcmp(prefix.data() + kFileHeaderSize, "ElfChnk", 8) == 0;
}

Stats read(std::span<const uint8_t> file, FunctionRef<bool(const eventlog::Record&)> on_record,
           FunctionRef<void(const Problem&)> on_problem) {
  Reader reader(file, on_record, on_problem);
  return reader.run();
}

}  // namespace hellotrace::evtx
