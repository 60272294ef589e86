// Streaming reader of Windows XML Event Log files (.evtx, "ElfFile" format).
//
// read() walks a whole file held in memory (the host mmaps it) chunk by chunk and
// record by record and hands each record to a callback as a
// hellotrace::eventlog::Record, without building an XML tree: BinXML is interpreted
// as a token stream, templates are compiled once per chunk (keyed by their offset)
// into a small op list and replayed with each record's substitution values.
//
// What a caller may rely on:
//  * Records come in file order. The Record passed to on_record is only valid during
//    the call (its strings and vectors are reused for the next record).
//  * Values are rendered as Windows renders them in event XML, as raw text (no XML
//    escaping): GUIDs upper case in braces, booleans `true`/`false`, signed integers
//    in two's complement (-180), HexInt32/HexInt64 and SizeT as `0x%08X`/`0x%016X`
//    (SizeT by its stored width), binary as upper-case hex, SIDs `S-1-5-…`,
//    FILETIME and SYSTEMTIME as `YYYY-MM-DDTHH:MM:SS.fffffffZ` (always 7 fraction
//    digits, i.e. 100 ns), floats in the shortest form that round-trips (3199.234),
//    arrays of non-string types joined with ", ". Entity and character references
//    are resolved (&amp; → &).
//  * EventData: one DataItem per <Data> (name = @Name, empty when unnamed) and one
//    named "Binary" for a non-empty <Binary>; a Data element holding a string array
//    (classic EventSourceName events) yields one DataItem per string, each with the
//    Data element's name (usually empty), as evtxexport does.
//  * UserData: the children of the single provider-specific element become
//    DataItems; nested elements are flattened with their path below the provider
//    element ("Parent/Child"); only leaf elements (no child elements) yield items;
//    attributes inside UserData are ignored. If the provider element itself has only
//    text, one item named after it is yielded.
//  * record_id is System/EventRecordID when present, else the record header's number;
//    time is System/TimeCreated/@SystemTime (HT_NO_TIME when absent); offset is the
//    file offset of the record header.
//  * Damaged input never crashes or loops: every problem (bad file header or CRC,
//    chunk without magic, chunk header/data CRC mismatch, record cut short,
//    half-written record, undecodable BinXML) is reported through on_problem with its
//    file offset and chunk index, and reading goes on with the next record or chunk.
//    A CRC mismatch alone does not drop anything: records are read when structurally
//    sound. Every 64 KiB block that carries the "ElfChnk" magic is read, including
//    chunks beyond the file header's chunk count (dirty logs); all-zero blocks
//    (pre-allocated space) are skipped silently; a block whose magic is damaged but
//    whose first record starts at offset 0x200 is reported and read as a chunk; other
//    blocks without magic are reported and skipped. A record whose BinXML cannot be decoded is reported and
//    not emitted (no half-filled Records).
//  * read() is reentrant: all state lives in the call (files may be read in parallel).
#pragma once

#include <cstdint>
#include <hellotrace/eventlog/record.hpp>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

namespace hellotrace::evtx {

// A non-owning reference to a callable (like C++26 std::function_ref); the callable
// must outlive the call it is passed to.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>) FunctionRef(F&& f)
  noexcept  // NOLINT: implicit by design
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

struct Problem {
  uint64_t offset = 0;  // file offset the problem was found at
  int64_t chunk = -1;   // chunk index (0-based, by position in the file); -1 = file header
  std::string what;     // human-readable reason
};

struct Stats {
  uint64_t records = 0;         // records passed to on_record
  uint64_t chunks = 0;          // chunks with the ElfChnk magic that were read
  uint64_t chunks_skipped = 0;  // non-empty 64 KiB blocks without the magic
  uint64_t problems = 0;        // calls of on_problem
  bool stopped = false;         // on_record returned false
};

// Calls on_record for every recoverable record in file order; on_record returns false
// to stop. on_problem gets every problem found (see above).
Stats read(std::span<const uint8_t> file, FunctionRef<bool(const eventlog::Record&)> on_record,
           FunctionRef<void(const Problem&)> on_problem);

// True when the bytes start with the file header magic "ElfFile\0", or when the file
// header is damaged but the first chunk's magic "ElfChnk\0" stands at offset 4096 (the
// prefix must then hold at least 4104 bytes; sniffing sees 8 KiB).
bool looks_like_evtx(std::span<const uint8_t> prefix);

// CRC-32 (ISO-HDLC, as used by EVTX headers); exposed for tests.
uint32_t crc32(std::span<const uint8_t> bytes, uint32_t crc = 0);

inline constexpr size_t kFileHeaderSize = 4096;
inline constexpr size_t kChunkSize = 65536;

}  // namespace hellotrace::evtx
