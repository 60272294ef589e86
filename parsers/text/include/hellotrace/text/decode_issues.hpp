// Decoding that says what was not text (text.hpp's decode() keeps quiet): a parser
// reports it once per file, at the first bad byte (docs/CLI.md, Safety).
#pragma once

#include <cstdint>
#include <hellotrace/event.hpp>
#include <hellotrace/text/text.hpp>
#include <span>
#include <string>

namespace hellotrace::text {

// What decoding met that is not text: the byte offset (in the input) of the first
// bad unit and how many there were. UTF-16: lone surrogates (shown as U+FFFD) and an
// odd last byte (dropped, as decode() does); UTF-8: bytes that are not UTF-8 (kept,
// outputs show U+FFFD).
struct DecodeIssues {
  uint64_t first_offset = 0;
  uint64_t count = 0;
  Encoding encoding = Encoding::kUtf8;
  bool odd_length = false;  // UTF-16 with a last byte alone
  // "invalid UTF-16LE at byte offset 0x2a (3 places), shown as U+FFFD"; "" when none.
  std::string message() const;
};

// decode() of text.hpp, and what was not text in `issues`.
std::string decode_checked(std::span<const uint8_t> bytes, DecodeIssues& issues,
                           Encoding* detected = nullptr);

// decode(), and one warning for the whole input through `out.warning(Position,
// message)` (a parser's sdk::EventSink) when some of it was not text, positioned at
// the first bad byte.
template <class Sink>
std::string decode_reporting(std::span<const uint8_t> bytes, Sink& out,
                             Encoding* detected = nullptr) {
  DecodeIssues issues;
  std::string text = decode_checked(bytes, issues, detected);
  if (issues.count) {
    Position at;
    at.offset = issues.first_offset;
    out.warning(at, issues.message());
  }
  return text;
}

}  // namespace hellotrace::text
