// Reads the members of an archive (zip, cab, 7z) held in memory, through libarchive,
// bounded against decompression bombs. A reader may rely on: members come out in
// stored order, each within the limits, whole or (damaged) with what came before the
// damage; every member that is not read (encrypted, unreadable, over a limit) is named
// in a Problem and reading goes on with the next member where the archive allows it;
// nothing is written to disk.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace hellotrace::archive {

struct Limits {
  uint64_t max_member_bytes = 512ull << 20;  // one member, expanded
  uint64_t max_total_bytes = 2ull << 30;     // all members, nested archives included
  // Expanded : compressed. Deflate tops out near 1032:1, real exports (text, .evtx)
  // stay far below 100:1; judged only past ratio_floor_bytes so tiny files of
  // repeated bytes are not refused.
  uint64_t max_ratio = 200;
  uint64_t ratio_floor_bytes = 4ull << 20;
  uint64_t max_members = 100000;
};

// What an archive and the archives nested in it have used of the limits together.
struct Budget {
  uint64_t expanded_bytes = 0;
  uint64_t members = 0;
};

struct Member {
  std::string path;    // as stored, '\' turned into '/', no leading '/' or "./"
  uint64_t index = 0;  // 1-based position among the archive's entries
  std::vector<uint8_t> data;
  std::string damage;  // non-empty: the member broke off here; `data` is what came before
};

struct Problem {
  std::string member;  // empty: the archive as a whole
  uint64_t index = 0;  // 1-based entry position, 0 for the archive as a whole
  std::string message;
};

struct Result {
  std::string format;    // libarchive's name, e.g. "ZIP 2.0 (deflation)"
  uint64_t read = 0;     // members handed to on_member
  uint64_t entries = 0;  // entries seen (files, folders, links)
  std::vector<Problem> problems;
};

// The archive format the first bytes announce ("zip", "cab", "7z"), or "" when none.
// Cheap; looks at magic numbers only.
std::string detect(std::span<const uint8_t> prefix);

// Reads every regular-file member and hands it to `on_member` (which may keep the
// data by moving it). Never throws for bad input.
Result read(std::span<const uint8_t> bytes, const Limits& limits, Budget& budget,
            const std::function<void(Member&)>& on_member);

}  // namespace hellotrace::archive
