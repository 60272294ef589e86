// Entra Connect (ADSync) exports → sync.scheduler, sync.cycle_requested, sync.cycle,
// sync.run_step and sync.export_error events. See ../README.md.
#pragma once

#include <cstdint>
#include <hellotrace/event.hpp>
#include <hellotrace/text/datetime.hpp>
#include <hellotrace/time.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hellotrace::entra_sync {

// "00:30:00", "7.00:00:00", "1.02:03:04.5000000", "PT30M" → seconds.
std::optional<int64_t> parse_interval_seconds(std::string_view s);
// Spellings of the option "timezone" (time::parse_offset): "UTC", "Z", "GMT", "+03:00",
// "-0530", "UTC+3", "UTC +3", "+3", one-digit minutes ("+3:5"); not "" nor "+03:".
inline constexpr time::OffsetSyntax kTimezoneSyntax{.empty_is_utc = false,
                                                    .blanks_after_name = true,
                                                    .one_digit_minutes = true,
                                                    .colon_without_minutes = false};
// "True"/"true"/"1"/"yes" → "True"; "False"/… → "False"; nullopt otherwise.
std::optional<std::string> normalize_bool(std::string_view s);

// Where events and diagnostics go (the plugin adapts it to the SDK sink).
class Output {
 public:
  virtual ~Output() = default;
  virtual void event(const Event& e) = 0;
  virtual void diagnose(int severity, uint64_t line, std::string_view message) = 0;
};

struct RunOptions {
  std::optional<int64_t> utc_offset;          // option "timezone"; nullopt: not given (UTC)
  std::optional<text::DateOrder> date_order;  // option "date_order"
};

int sniff(std::span<const uint8_t> prefix, std::string_view file_name);
void parse(std::span<const uint8_t> bytes, const RunOptions& options, Output& out);

}  // namespace hellotrace::entra_sync
