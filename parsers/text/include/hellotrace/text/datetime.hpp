// Dates as Windows prints them in the exporting machine's culture: Event Viewer CSV and
// text, "Copy details as text", Format-List and Get-ADSync* output. One reader for every
// plugin, so that "05/06/2024" means the same thing everywhere and is never read month
// first when the file says day first.
//
//   3/24/2025 9:40:12 PM (en-US)   24/03/2025 21:40:12 (en-GB, fr-FR)
//   24.03.2025 21:40:12 (de-DE)    24-3-2025 21:40:12 (nl-NL)    2025-03-24 21:40:12 (sv-SE)
//   2025/03/24 21:40:12 (ja-JP)    2025-03-24T21:40:12.1234567Z  \/Date(1742852412000)\/
//
// The order of day and month is a property of the file (one culture wrote it): a reader
// feeds every date of the file to DateOrderInference, asks it once, and reads each date
// with the decided order. A date whose own values settle the order (a field above 12) is
// always read its only possible way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hellotrace::text {

enum class DateOrder : uint8_t { kDmy, kMdy, kYmd };

// "dmy", "mdy", "ymd".
std::string_view date_order_name(DateOrder order);
// "dmy"/"mdy"/"ymd" in any case; nullopt otherwise.
std::optional<DateOrder> parse_date_order(std::string_view name);

struct CultureDateTime {
  int64_t ticks = 0;                  // the clock reading as if it were UTC; true UTC when `zoned`
  bool zoned = false;                 // the text carried its zone (ISO "Z"/offset, \/Date(ms)\/)
  bool ambiguous = false;             // day and month could be swapped: `order` decided
  DateOrder order = DateOrder::kDmy;  // how the date part was read
};

struct DateReadOptions {
  bool time_required = true;   // "3/24/2025" alone is not a time stamp
  bool trailing_text = false;  // ignore text after the time ("… (UTC)" in pastes)
};

// Reads one date-time. `order` is used only when the value itself leaves day and month
// open; dates with dots ("03.10.2025") are day first in every culture that writes them.
std::optional<CultureDateTime> parse_culture_datetime(std::string_view s, DateOrder order,
                                                      const DateReadOptions& options = {});

// What a single value says about the order: kDmy or kMdy when one of the first two
// fields is above 12 (or the date uses dots), nullopt when it says nothing.
std::optional<DateOrder> date_order_evidence(std::string_view s);

// Decides the day/month order of one file from all its dates.
class DateOrderInference {
 public:
  // Feed every date-like value of the file (others are ignored); `line` is for messages.
  void observe(std::string_view value, uint64_t line = 0);

  enum class Basis {
    kOption,    // --date-order
    kValues,    // a value with a field above 12 (or dots) settled it
    kAssumed,   // only ambiguous dates: assumed from the clock (12-hour → mdy, 24 → dmy)
    kConflict,  // values disagree; ambiguous ones read as assumed
    kNothing    // no ambiguous date at all: the order does not matter
  };
  struct Decision {
    DateOrder order = DateOrder::kDmy;
    Basis basis = Basis::kNothing;
    // For kAssumed and kConflict: what was assumed and how to override it, for one
    // diagnostic per file. Empty otherwise.
    std::string note;
  };
  Decision decide(std::optional<DateOrder> forced = std::nullopt) const;

  // "option", "inferred", "assumed" (DateOrderSource fields of events).
  static std::string_view basis_name(Basis basis);

 private:
  uint64_t dmy_ = 0, mdy_ = 0, ambiguous_ = 0, twelve_hour_ = 0, twenty_four_hour_ = 0;
  uint64_t dmy_line_ = 0, mdy_line_ = 0;
  std::string ambiguous_example_;
};

}  // namespace hellotrace::text
