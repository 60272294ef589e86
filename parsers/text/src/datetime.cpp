// The shared reader of culture-formatted dates (see datetime.hpp).
#include <hellotrace/text/datetime.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>

namespace hellotrace::text {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool read_number(std::string_view s, size_t& i, int64_t& out, size_t max_digits) {
  const size_t start = i;
  int64_t v = 0;
  while (i < s.size() && is_digit(s[i]) && i - start < max_digits) v = v * 10 + (s[i++] - '0');
  out = v;
  return i > start;
}

// Some cultures (ar, he, fa) put invisible direction marks U+200E/U+200F around parts.
std::string without_direction_marks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
        static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0x8E ||
         static_cast<unsigned char>(s[i + 2]) == 0x8F)) {
      i += 2;
      continue;
    }
    out += s[i];
  }
  return out;
}

// The date part "a<sep>b<sep>c" and what follows.
struct DatePart {
  int64_t a = 0, b = 0, c = 0;
  size_t a_digits = 0, c_digits = 0;
  char sep = 0;
  size_t end = 0;
};

std::optional<DatePart> read_date_part(std::string_view s) {
  DatePart p;
  size_t i = 0;
  if (!read_number(s, i, p.a, 4)) return std::nullopt;
  p.a_digits = i;
  if (i >= s.size() || (s[i] != '/' && s[i] != '-' && s[i] != '.')) return std::nullopt;
  p.sep = s[i++];
  if (p.sep == '.' && i < s.size() && s[i] == ' ') ++i;  // "2025. 03. 24." (hu-HU)
  if (!read_number(s, i, p.b, 2)) return std::nullopt;
  if (i >= s.size() || s[i] != p.sep) return std::nullopt;
  ++i;
  if (p.sep == '.' && i < s.size() && s[i] == ' ') ++i;
  const size_t c_start = i;
  if (!read_number(s, i, p.c, 4)) return std::nullopt;
  p.c_digits = i - c_start;
  if (i < s.size() && s[i] == '.') ++i;  // "24.03.2025." (some cultures end with a dot)
  if (p.a_digits == 3) return std::nullopt;
  if (p.a_digits == 4 ? p.c_digits > 2 : (p.c_digits != 4 && p.c_digits != 2)) return std::nullopt;
  p.end = i;
  return p;
}

// What the date part itself says about the order (see date_order_evidence()).
std::optional<DateOrder> evidence_of(const DatePart& p) {
  if (p.a_digits == 4) return std::nullopt;  // year first: nothing to decide
  if (p.sep == '.') return p.b > 12 && p.a <= 12 ? DateOrder::kMdy : DateOrder::kDmy;
  if (p.a > 12 && p.b <= 12) return DateOrder::kDmy;
  if (p.b > 12 && p.a <= 12) return DateOrder::kMdy;
  return std::nullopt;
}

struct Parsed {
  CultureDateTime value;
  bool culture_form = false;  // a date part with separators (not ISO, not /Date()/)
  bool twelve_hour = false;   // AM/PM present
  std::optional<DatePart> date;
};

std::optional<Parsed> parse(std::string_view raw, DateOrder order, const DateReadOptions& o) {
  const std::string clean = without_direction_marks(raw);
  std::string_view s = trim(clean);
  if (s.empty()) return std::nullopt;
  Parsed out;
  // \/Date(ms)\/ and /Date(ms+0200)/: milliseconds since the epoch in UTC whatever the
  // offset says (ConvertTo-Json in Windows PowerShell 5.1).
  {
    std::string_view d = s;
    if (d.front() == '\\') d.remove_prefix(1);
    if (istarts_with(d, "/Date(")) {
      size_t i = 6;
      const bool negative = i < d.size() && d[i] == '-';
      if (negative) ++i;
      int64_t ms = 0;
      if (!read_number(d, i, ms, 15)) return std::nullopt;
      out.value.ticks = (negative ? -ms : ms) * 10'000;
      out.value.zoned = true;
      return out;
    }
  }
  // ISO 8601 (PowerShell 7 JSON, sortable "s"/"u" formats, sv-SE, ADSync XML).
  if (s.size() >= 10 && is_digit(s[0]) && is_digit(s[3]) && s[4] == '-') {
    std::string_view iso = s;
    if (o.trailing_text && iso.size() > 10 && iso[10] == 'T') {
      const size_t blank = iso.find(' ', 11);
      if (blank != std::string_view::npos) iso = iso.substr(0, blank);
    }
    bool zone = false;
    if (auto t = time::parse_iso(iso, true, &zone)) {
      const bool has_time = iso.size() > 10;
      if (has_time || !o.time_required) {
        out.value.ticks = *t;
        out.value.zoned = zone;
        out.value.order = DateOrder::kYmd;
        return out;
      }
      return std::nullopt;
    }
    // "2025-03-24 9:40:12 PM" is not ISO: read below.
  }
  auto p = read_date_part(s);
  if (!p) return std::nullopt;
  out.culture_form = true;
  out.date = p;
  int64_t y = 0, mo = 0, d = 0;
  CultureDateTime& v = out.value;
  if (p->a_digits == 4) {
    y = p->a;
    mo = p->b;
    d = p->c;
    v.order = DateOrder::kYmd;
  } else {
    // Two-digit years leave even the year's place open ("25/03/24"): --date-order ymd
    // is then the only way to read it year first.
    const bool short_year_first = order == DateOrder::kYmd && p->c_digits <= 2;
    const auto settled = short_year_first ? std::nullopt : evidence_of(*p);
    if (settled) {
      v.order = *settled;
    } else {
      v.order = order;
      v.ambiguous = p->a != p->b || order == DateOrder::kYmd;
    }
    if (v.order == DateOrder::kYmd) {
      y = p->a;
      mo = p->b;
      d = p->c;
      if (p->a_digits <= 2) y += 2000;
    } else {
      y = p->c;
      if (p->c_digits <= 2) y += 2000;
      d = v.order == DateOrder::kDmy ? p->a : p->b;
      mo = v.order == DateOrder::kDmy ? p->b : p->a;
    }
  }
  // Time: h:mm[:ss[.fffffff]] [AM|PM], after blanks, "T" or a comma.
  size_t i = p->end;
  while (i < s.size() && (s[i] == ' ' || s[i] == 'T' || s[i] == ',')) ++i;
  int64_t h = 0, mi = 0, sec = 0, frac = 0;
  if (i < s.size() && is_digit(s[i])) {
    if (!read_number(s, i, h, 2)) return std::nullopt;
    if (i >= s.size() || (s[i] != ':' && s[i] != '.')) return std::nullopt;
    const char sep = s[i++];
    if (!read_number(s, i, mi, 2)) return std::nullopt;
    if (i + 1 < s.size() && s[i] == sep && is_digit(s[i + 1])) {
      ++i;
      read_number(s, i, sec, 2);
    }
    if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1])) {
      ++i;
      int64_t scale = 1'000'000;
      while (i < s.size() && is_digit(s[i])) {
        frac += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
    while (i < s.size() && s[i] == ' ') ++i;
    std::string_view rest = s.substr(i);
    bool am = false, pm = false;
    for (std::string_view m : {"AM", "A.M.", "a. m."})
      if (istarts_with(rest, m)) {
        am = true;
        rest.remove_prefix(m.size());
        break;
      }
    for (std::string_view m : {"PM", "P.M.", "p. m."})
      if (!am && istarts_with(rest, m)) {
        pm = true;
        rest.remove_prefix(m.size());
        break;
      }
    if (am || pm) {
      if (h < 1 || h > 12) return std::nullopt;
      if (h == 12) h = 0;
      if (pm) h += 12;
      out.twelve_hour = true;
    }
    if (!trim(rest).empty() && !o.trailing_text) return std::nullopt;
  } else if (o.time_required) {
    return std::nullopt;
  } else if (i < s.size() && !o.trailing_text && !trim(s.substr(i)).empty()) {
    return std::nullopt;
  }
  if (!time::valid_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d),
                         static_cast<unsigned>(h), static_cast<unsigned>(mi),
                         static_cast<unsigned>(sec)))
    return std::nullopt;
  v.ticks = time::ticks_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d),
                                   static_cast<unsigned>(h), static_cast<unsigned>(mi),
                                   static_cast<unsigned>(sec), frac);
  return out;
}

std::string_view order_words(DateOrder o) {
  switch (o) {
    case DateOrder::kDmy:
      return "day first (day/month/year)";
    case DateOrder::kMdy:
      return "month first (month/day/year)";
    case DateOrder::kYmd:
      return "year first (year/month/day)";
  }
  return "";
}

}  // namespace

std::string_view date_order_name(DateOrder order) {
  switch (order) {
    case DateOrder::kDmy:
      return "dmy";
    case DateOrder::kMdy:
      return "mdy";
    case DateOrder::kYmd:
      return "ymd";
  }
  return "";
}

std::optional<DateOrder> parse_date_order(std::string_view name) {
  name = trim(name);
  for (DateOrder o : {DateOrder::kDmy, DateOrder::kMdy, DateOrder::kYmd})
    if (iequals(name, date_order_name(o))) return o;
  return std::nullopt;
}

std::optional<CultureDateTime> parse_culture_datetime(std::string_view s, DateOrder order,
                                                      const DateReadOptions& options) {
  auto p = parse(s, order, options);
  if (!p) return std::nullopt;
  return p->value;
}

std::optional<DateOrder> date_order_evidence(std::string_view s) {
  const std::string clean = without_direction_marks(s);
  auto p = read_date_part(trim(clean));
  if (!p) return std::nullopt;
  return evidence_of(*p);
}

void DateOrderInference::observe(std::string_view value, uint64_t line) {
  auto p = parse(value, DateOrder::kDmy, {.time_required = false, .trailing_text = true});
  if (!p || !p->culture_form) return;
  if (auto e = evidence_of(*p->date)) {
    if (*e == DateOrder::kDmy) {
      if (dmy_++ == 0) dmy_line_ = line;
    } else if (mdy_++ == 0) {
      mdy_line_ = line;
    }
  } else if (p->value.ambiguous) {
    if (ambiguous_++ == 0) ambiguous_example_ = std::string(trim(value).substr(0, 40));
  }
  (p->twelve_hour ? twelve_hour_ : twenty_four_hour_)++;
}

DateOrderInference::Decision DateOrderInference::decide(std::optional<DateOrder> forced) const {
  Decision d;
  if (forced) {
    d.order = *forced;
    d.basis = Basis::kOption;
    return d;
  }
  // Without a settling value the clock is the best hint: en-US is the culture that
  // prints month first, and it prints a 12-hour clock; the day-first cultures that print
  // dates with "/" or "-" (en-GB, fr-FR, nl-NL, es-ES, it-IT…) print 24 hours.
  const DateOrder hint = twelve_hour_ > twenty_four_hour_ ? DateOrder::kMdy : DateOrder::kDmy;
  const std::string other(
      date_order_name(hint == DateOrder::kMdy ? DateOrder::kDmy : DateOrder::kMdy));
  if (dmy_ && mdy_) {
    d.order = hint;
    d.basis = Basis::kConflict;
    d.note = "dates in this file disagree on the day/month order (line " +
             std::to_string(dmy_line_) + " is day first, line " + std::to_string(mdy_line_) +
             " month first): each date is read the only way its values allow; ambiguous ones " +
             std::string(order_words(hint)) + "; override with --date-order dmy|mdy";
    return d;
  }
  if (dmy_ || mdy_) {
    d.order = dmy_ ? DateOrder::kDmy : DateOrder::kMdy;
    d.basis = Basis::kValues;
    return d;
  }
  if (ambiguous_ == 0) return d;  // kNothing
  d.order = hint;
  d.basis = Basis::kAssumed;
  d.note = "no date in this file settles the day/month order (e.g. '" + ambiguous_example_ +
           "'): read " + std::string(order_words(hint)) +
           (hint == DateOrder::kMdy ? ", as the 12-hour clock of en-US suggests"
                                    : ", as the 24-hour clock suggests") +
           "; if the exporting machine wrote them the other way, rerun with --date-order " + other;
  return d;
}

std::string_view DateOrderInference::basis_name(Basis basis) {
  switch (basis) {
    case Basis::kOption:
      return "option";
    case Basis::kValues:
      return "inferred";
    case Basis::kAssumed:
    case Basis::kConflict:
    case Basis::kNothing:
      return "assumed";
  }
  return "";
}

}  // namespace hellotrace::text
