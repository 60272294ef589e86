// UTC time as hellotrace keeps it: int64 ticks of 100 ns since 1970-01-01T00:00:00Z.
// Conversions here are exact integer arithmetic (no floating point, no time zone
// database): a reader may rely on round-trips to the tick.
#pragma once

#include <hellotrace/plugin_api.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace hellotrace::time {

inline constexpr int64_t kTicksPerSecond = 10'000'000;
inline constexpr int64_t kTicksPerMinute = 60 * kTicksPerSecond;
inline constexpr int64_t kTicksPerHour = 60 * kTicksPerMinute;
inline constexpr int64_t kTicksPerDay = 24 * kTicksPerHour;
// FILETIME (100 ns since 1601-01-01) of the Unix epoch.
inline constexpr int64_t kFiletimeUnixEpoch = 116444736000000000LL;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
  int64_t fraction;  // ticks within the second, 0..9'999'999
};

constexpr Civil civil_from_ticks(int64_t ticks) {
  int64_t days = ticks / kTicksPerDay;
  int64_t rest = ticks % kTicksPerDay;
  if (rest < 0) {
    rest += kTicksPerDay;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  const int64_t secs = rest / kTicksPerSecond;
  return Civil{y,
               m,
               d,
               static_cast<unsigned>(secs / 3600),
               static_cast<unsigned>(secs / 60 % 60),
               static_cast<unsigned>(secs % 60),
               rest % kTicksPerSecond};
}

constexpr bool valid_civil(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                           unsigned s) {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return false;
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[mo - 1] + (mo == 2 && leap ? 1u : 0u);
}

constexpr int64_t ticks_from_civil(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                                   unsigned s, int64_t fraction = 0) {
  return days_from_civil(y, mo, d) * kTicksPerDay +
         (static_cast<int64_t>(h) * 3600 + mi * 60 + s) * kTicksPerSecond + fraction;
}

constexpr int64_t ticks_from_filetime(uint64_t filetime) {
  return static_cast<int64_t>(filetime) - kFiletimeUnixEpoch;
}

// "2024-11-14T10:00:00.1234567Z"; "" for HT_NO_TIME.
inline std::string format_iso(int64_t ticks) {
  if (ticks == HT_NO_TIME) return {};
  const Civil c = civil_from_ticks(ticks);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%07lldZ",
                static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                static_cast<long long>(c.fraction));
  return buf;
}

// Parses ISO 8601 / RFC 3339 date-times: "2024-11-14T10:00:00Z",
// "2024-11-14 10:00:00.123 UTC", "2024-11-14T10:00:00.1234567+03:00", and a bare
// date. A time without a zone is taken as UTC when `assume_utc`, else rejected.
// `zone_given` (optional) tells whether the text carried a zone.
inline std::optional<int64_t> parse_iso(std::string_view s, bool assume_utc = true,
                                        bool* zone_given = nullptr) {
  size_t i = 0;
  auto digits = [&](size_t n, int64_t& out) {
    if (i + n > s.size()) return false;
    int64_t v = 0;
    for (size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    i += n;
    return true;
  };
  auto expect = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
  if (!digits(4, y) || !expect('-') || !digits(2, mo) || !expect('-') || !digits(2, d))
    return std::nullopt;
  bool has_zone = false;
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i + 1 < s.size() &&
      s[i + 1] >= '0' && s[i + 1] <= '9') {
    ++i;
    if (!digits(2, h) || !expect(':') || !digits(2, mi)) return std::nullopt;
    if (expect(':') && !digits(2, sec)) return std::nullopt;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      int64_t scale = 1'000'000;
      size_t n = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n < 7) {
          frac += (s[i] - '0') * scale;
          scale /= 10;
        }
        ++n;
        ++i;
      }
      if (n == 0) return std::nullopt;
    }
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        has_zone = true;
        ++i;
      } else if (s.substr(i, 3) == "UTC" || s.substr(i, 3) == "GMT") {
        has_zone = true;
        i += 3;
      } else if (s[i] == '+' || s[i] == '-') {
        const int sign = s[i] == '-' ? -1 : 1;
        ++i;
        int64_t oh = 0, om = 0;
        if (!digits(2, oh)) return std::nullopt;
        expect(':');
        if (i < s.size() && s[i] >= '0' && s[i] <= '9' && !digits(2, om)) return std::nullopt;
        has_zone = true;
        offset = sign * (oh * kTicksPerHour + om * kTicksPerMinute);
      }
    }
  }
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
  if (i != s.size()) return std::nullopt;
  if (!valid_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d), static_cast<unsigned>(h),
                   static_cast<unsigned>(mi), static_cast<unsigned>(sec)))
    return std::nullopt;
  if (!has_zone && !assume_utc) return std::nullopt;
  if (zone_given) *zone_given = has_zone;
  return ticks_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d),
                          static_cast<unsigned>(h), static_cast<unsigned>(mi),
                          static_cast<unsigned>(sec), frac) -
         offset;
}

// How a zone offset may be spelled. The defaults accept "" and "Z", "UTC", "GMT" (any
// case) for UTC, and "+03:00", "-0530", "+3", "UTC+3", "GMT-05:30" (hours 0–14, minutes
// 0–59 in two digits, the colon optional), with blanks around. The other fields keep
// the spellings of readers that accepted more or less before they shared this parser.
struct OffsetSyntax {
  bool empty_is_utc = true;           // "" (or blanks only) is UTC
  bool names_any_case = true;         // "utc", "Gmt" (else only "UTC", "GMT"; "z" is always Z)
  bool name_then_offset = true;       // "UTC+3", "GMT-05:30"
  bool blanks_after_name = false;     // "UTC +3"
  bool z_after_name = false;          // "UTCZ"
  bool one_digit_hours = true;        // "+3" (else "+03")
  bool one_digit_minutes = false;     // "+3:5", "+033" (3 h 3 min; else "+03:05", "+0305")
  bool colon_without_minutes = true;  // "+03:"
  bool bounded = true;                // hours ≤ 14, minutes ≤ 59
};

// The zone designators parse_iso() reads after a time ("Z", "UTC", "GMT", "+03", "+03:00",
// "+0300"; hours and minutes in two digits, not bounded).
inline constexpr OffsetSyntax kIsoZone{
    .names_any_case = false, .name_then_offset = false, .one_digit_hours = false, .bounded = false};

namespace detail {
// Drops the blanks text::trim() drops: ASCII white space and U+00A0 (no-break space).
constexpr std::string_view trim_blanks(std::string_view s) {
  auto ascii = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  auto nbsp = [](char a, char b) { return a == '\xC2' && b == '\xA0'; };
  for (;;) {
    if (!s.empty() && ascii(s.front()))
      s.remove_prefix(1);
    else if (s.size() >= 2 && nbsp(s[0], s[1]))
      s.remove_prefix(2);
    else
      break;
  }
  for (;;) {
    if (!s.empty() && ascii(s.back()))
      s.remove_suffix(1);
    else if (s.size() >= 2 && nbsp(s[s.size() - 2], s.back()))
      s.remove_suffix(2);
    else
      break;
  }
  return s;
}

constexpr bool starts_with_name(std::string_view s, std::string_view name, bool any_case) {
  if (s.size() < name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = any_case && s[i] >= 'a' && s[i] <= 'z' ? static_cast<char>(s[i] - 32) : s[i];
    if (c != name[i]) return false;
  }
  return true;
}
}  // namespace detail

// A zone offset ("+03:00", "UTC-5", "Z", …; see OffsetSyntax) → ticks to add to UTC to
// get local time (local = UTC + offset); nullopt when not understood.
constexpr std::optional<int64_t> parse_offset(std::string_view s, const OffsetSyntax& syntax = {}) {
  s = detail::trim_blanks(s);
  if (s.empty()) return syntax.empty_is_utc ? std::optional<int64_t>(0) : std::nullopt;
  if (s == "Z" || s == "z") return 0;
  if (detail::starts_with_name(s, "UTC", syntax.names_any_case) ||
      detail::starts_with_name(s, "GMT", syntax.names_any_case)) {
    s.remove_prefix(3);
    if (s.empty() || (syntax.z_after_name && (s == "Z" || s == "z"))) return 0;
    if (!syntax.name_then_offset) return std::nullopt;
    if (syntax.blanks_after_name) s = detail::trim_blanks(s);
  }
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int64_t sign = s[0] == '-' ? -1 : 1;
  size_t i = 1;
  auto number = [&](int64_t& out) {  // one or two digits; how many were read
    size_t n = 0;
    for (out = 0; n < 2 && i < s.size() && s[i] >= '0' && s[i] <= '9'; ++n, ++i)
      out = out * 10 + (s[i] - '0');
    return n;
  };
  int64_t h = 0, m = 0;
  const size_t hour_digits = number(h);
  if (hour_digits == 0 || (hour_digits == 1 && !syntax.one_digit_hours)) return std::nullopt;
  const bool colon = i < s.size() && s[i] == ':';
  if (colon) ++i;
  if (i < s.size()) {
    const size_t minute_digits = number(m);
    if (minute_digits == 0 || (minute_digits == 1 && !syntax.one_digit_minutes))
      return std::nullopt;
  } else if (colon && !syntax.colon_without_minutes) {
    return std::nullopt;
  }
  if (i != s.size() || (syntax.bounded && (h > 14 || m > 59))) return std::nullopt;
  return sign * (h * kTicksPerHour + m * kTicksPerMinute);
}

}  // namespace hellotrace::time
