// Helpers shared by the export readers (not part of the public API).
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <hellotrace/eventexport/eventexport.hpp>
#include <hellotrace/text/csv.hpp>
#include <hellotrace/text/datetime.hpp>
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

// Decodes; bytes that are not text are reported once, at the first one's offset.
Decoded decode_input(std::span<const uint8_t> bytes, const Reporter& report);

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

// Reports the note of a date-order decision (once per file) and returns the order.
text::DateOrder report_date_order(const text::DateOrderInference::Decision& d,
                                  const Reporter& report);

// Day/month order of the date column `date_col` of a CSV (rows after the header).
text::DateOrder decide_date_order(std::string_view t, const text::CsvDialect& dialect,
                                  size_t date_col, uint64_t skipped_lines,
                                  std::optional<text::DateOrder> forced, const Reporter& report);

// A record from an object's properties as Get-WinEvent names them (Export-Csv columns,
// Format-List lines): Id, ProviderName, Message, LogName, Level, RecordId, …; `get`
// answers "" for a missing one. False when Id is not a number. TimeCreated is left
// to the caller (its culture and zone).
bool record_from_properties(const std::function<std::string_view(std::string_view)>& get,
                            eventlog::Record& r);

// Reads a local, culture-formatted time into r.time (the run's zone applied), marks the
// zone assumed, says once per file which zone was assumed, reports what it cannot read.
void apply_local_time(std::string_view date, text::DateOrder order, int64_t zone,
                      const std::string& zone_name, uint64_t line, eventlog::Record& r,
                      RecordNotes& notes, bool& told_zone, const Reporter& report);

// The run's zone (Options::timezone) as an offset; reports a zone it cannot read (UTC).
int64_t zone_offset(const Options& options, const Reporter& report);

// Level display names of Event Viewer in several UI languages → 1–5 (0 when unknown).
uint8_t level_from_name(std::string_view name);

// "0x%08X"
std::string hex32(uint32_t v);

}  // namespace hellotrace::eventexport::detail
