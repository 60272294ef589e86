// Helpers shared by the export readers (not part of the public API).
#pragma once

#include <charconv>
#include <cstdint>
#include <hellotrace/eventexport/eventexport.hpp>
#include <hellotrace/text/text.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::eventexport::detail {

// Decoded text and how decoded offsets map to the file (only for UTF-8 input).
struct Decoded {
  std::string text;
  bool utf8 = false;
  size_t bom = 0;
  uint64_t file_offset(size_t decoded) const { return utf8 ? decoded + bom : HT_NO_NUMBER; }
};
Decoded decode_input(std::span<const uint8_t> bytes);

// Reporter that counts problems.
struct Reporter {
  const ProblemFn& fn;
  Stats& stats;
  void operator()(uint64_t line, uint64_t offset, std::string message,
                  int severity = HT_DIAG_WARNING) const {
    ++stats.problems;
    if (fn) fn(Problem{line, offset, severity, std::move(message)});
  }
};

template <typename T>
std::optional<T> parse_uint(std::string_view s) {
  s = text::trim(s);
  if (s.empty()) return std::nullopt;
  T v{};
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_int64(std::string_view s);

// "{23B8D46B-…}" from any GUID spelling; the input unchanged when it is not a GUID.
std::string braced_guid(std::string_view s);

// Full provider name for a short Event Viewer source name ("User Device Registration").
std::optional<std::string_view> expand_provider(std::string_view source);

// "0x%08X"
std::string hex32(uint32_t v);

}  // namespace hellotrace::eventexport::detail
