// Text as admins export it: UTF-8 with or without BOM, UTF-16 LE/BE with BOM (what
// PowerShell 5.1's `>` writes), CRLF or LF. Decoding never fails: invalid UTF-16
// becomes U+FFFD, and invalid UTF-8 bytes pass through untouched (outputs escape
// them). A reader may rely on decoded text being UTF-8 without a BOM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::text {

enum class Encoding { kUtf8, kUtf8Bom, kUtf16Le, kUtf16Be };

const char* encoding_name(Encoding e);

// Guesses the encoding from a BOM, or from the NUL pattern of BOM-less UTF-16.
Encoding detect_encoding(std::span<const uint8_t> bytes);

// Decodes to UTF-8 (BOM dropped). For UTF-16 an odd trailing byte is dropped.
std::string decode(std::span<const uint8_t> bytes, Encoding* detected = nullptr);

// Byte offset in the original file of a position in the decoded text is not kept;
// parsers report lines, which survive decoding.
struct Line {
  std::string_view text;  // without the line break (and without a trailing CR)
  uint64_t number;        // 1-based
};

// Iterates lines of decoded text.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  std::optional<Line> next();
  bool done() const { return pos_ >= text_.size(); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint64_t number_ = 0;
};

std::vector<Line> split_lines(std::string_view text);

// The 1-based line of offsets into a text, asked in increasing order (amortized
// O(size); asking for an earlier offset recounts from the start). For readers that
// find positions by offset (XML and JSON parsers) and report lines.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  uint64_t line_at(size_t offset) {
    if (offset > text_.size()) offset = text_.size();
    if (offset < pos_) {  // went back: recount from the start
      pos_ = 0;
      line_ = 1;
    }
    for (; pos_ < offset; ++pos_)
      if (text_[pos_] == '\n') ++line_;
    return line_;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
};

std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);              // ASCII only
bool iequals(std::string_view a, std::string_view b);  // ASCII case-insensitive
bool istarts_with(std::string_view s, std::string_view prefix);
bool icontains(std::string_view haystack, std::string_view needle);

// "{ 3B9F...-... }", "3b9f…", "{3B9F…}" → "3b9f…" (lower case, no braces, no
// spaces); nullopt when it is not a GUID.
std::optional<std::string> normalize_guid(std::string_view s);

// Replaces each invalid UTF-8 sequence by U+FFFD; valid text is returned as is.
std::string sanitize_utf8(std::string_view s);
bool is_valid_utf8(std::string_view s);

// Appends the UTF-8 encoding of a code point (invalid ones become U+FFFD).
void append_utf8(std::string& out, uint32_t code_point);

}  // namespace hellotrace::text
