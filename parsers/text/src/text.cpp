#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/escape.hpp>
#include <hellotrace/text/text.hpp>

namespace hellotrace::text {

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::kUtf8:
      return "UTF-8";
    case Encoding::kUtf8Bom:
      return "UTF-8 (BOM)";
    case Encoding::kUtf16Le:
      return "UTF-16LE";
    case Encoding::kUtf16Be:
      return "UTF-16BE";
  }
  return "?";
}

Encoding detect_encoding(std::span<const uint8_t> b) {
  if (b.size() >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) return Encoding::kUtf8Bom;
  if (b.size() >= 2 && b[0] == 0xFF && b[1] == 0xFE) return Encoding::kUtf16Le;
  if (b.size() >= 2 && b[0] == 0xFE && b[1] == 0xFF) return Encoding::kUtf16Be;
  // BOM-less UTF-16 of mostly ASCII text: NULs on one side of each pair.
  const size_t n = std::min<size_t>(b.size() & ~size_t{1}, 512);
  if (n >= 4) {
    size_t even_nul = 0, odd_nul = 0;
    for (size_t i = 0; i < n; i += 2) {
      even_nul += b[i] == 0;
      odd_nul += b[i + 1] == 0;
    }
    const size_t pairs = n / 2;
    if (odd_nul * 10 >= pairs * 7 && even_nul * 10 <= pairs) return Encoding::kUtf16Le;
    if (even_nul * 10 >= pairs * 7 && odd_nul * 10 <= pairs) return Encoding::kUtf16Be;
  }
  return Encoding::kUtf8;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Notes a unit that is not text at byte `offset` of the input.
static void note_invalid(DecodeIssues* issues, uint64_t offset) {
  if (!issues) return;
  if (issues->count++ == 0) issues->first_offset = offset;
}

// `base` is the offset of b[0] in the input (2 after a BOM), for positions.
static std::string decode_utf16(std::span<const uint8_t> b, bool little, uint64_t base,
                                DecodeIssues* issues) {
  std::string out;
  out.reserve(b.size() / 2 + 16);
  const size_t n = b.size() & ~size_t{1};
  auto unit = [&](size_t i) -> uint32_t {
    return little ? (b[i] | (b[i + 1] << 8)) : ((b[i] << 8) | b[i + 1]);
  };
  for (size_t i = 0; i < n; i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 2 < n) {
      const uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (u < 0x80) {
      out.push_back(static_cast<char>(u));
    } else {
      if (u >= 0xD800 && u <= 0xDFFF) note_invalid(issues, base + i);
      append_utf8(out, u);  // lone surrogates become U+FFFD there
    }
  }
  if (b.size() != n) {  // an odd trailing byte: half a character, dropped
    note_invalid(issues, base + n);
    if (issues) issues->odd_length = true;
  }
  return out;
}

static size_t utf8_sequence(std::string_view s, size_t i);

static std::string decode_into(std::span<const uint8_t> b, Encoding* detected,
                               DecodeIssues* issues) {
  const Encoding e = detect_encoding(b);
  if (detected) *detected = e;
  if (issues) *issues = DecodeIssues{0, 0, e, false};
  const bool bom = (e == Encoding::kUtf16Le && b.size() >= 2 && b[0] == 0xFF) ||
                   (e == Encoding::kUtf16Be && b.size() >= 2 && b[0] == 0xFE);
  switch (e) {
    case Encoding::kUtf16Le:
    case Encoding::kUtf16Be:
      return decode_utf16(bom ? b.subspan(2) : b, e == Encoding::kUtf16Le, bom ? 2 : 0, issues);
    case Encoding::kUtf8Bom:
    case Encoding::kUtf8:
      break;
  }
  const size_t skip = e == Encoding::kUtf8Bom ? 3 : 0;
  std::string text(b.begin() + skip, b.end());
  if (issues)
    for (size_t i = 0; i < text.size();) {
      const size_t len = utf8_sequence(text, i);
      if (len == 0) note_invalid(issues, skip + i);
      i += len ? len : 1;
    }
  return text;
}

std::string decode(std::span<const uint8_t> b, Encoding* detected) {
  return decode_into(b, detected, nullptr);
}

std::string decode_checked(std::span<const uint8_t> b, DecodeIssues& issues, Encoding* detected) {
  return decode_into(b, detected, &issues);
}

std::string DecodeIssues::message() const {
  if (!count) return "";
  const bool utf16 = encoding == Encoding::kUtf16Le || encoding == Encoding::kUtf16Be;
  return std::string("invalid ") + encoding_name(encoding) + " at byte offset " +
         [&] {
           char buf[24];
           std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(first_offset));
           return std::string(buf);
         }() +
         (count > 1 ? " (" + std::to_string(count) + " places)" : std::string()) +
         (!utf16        ? ", kept as is (outputs show U+FFFD)"
          : !odd_length ? ", shown as U+FFFD"
          : count == 1  ? " (the last byte of an odd length), dropped"
                        : ", shown as U+FFFD (the odd last byte dropped)");
}

std::optional<Line> Lines::next() {
  if (pos_ >= text_.size()) return std::nullopt;
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  std::string_view line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = end + 1;
  return Line{line, ++number_};
}

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> out;
  Lines lines(text);
  while (auto l = lines.next()) out.push_back(*l);
  return out;
}

std::string_view trim(std::string_view s) {
  auto ws = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  // U+00A0 (no-break space, C2 A0 in UTF-8) shows up in pasted console text, mixed
  // with ordinary spaces in any order.
  auto nbsp_front = [&] {
    return s.size() >= 2 && static_cast<uint8_t>(s[0]) == 0xC2 &&
           static_cast<uint8_t>(s[1]) == 0xA0;
  };
  auto nbsp_back = [&] {
    return s.size() >= 2 && static_cast<uint8_t>(s[s.size() - 2]) == 0xC2 &&
           static_cast<uint8_t>(s.back()) == 0xA0;
  };
  for (;;) {
    if (!s.empty() && ws(s.front()))
      s.remove_prefix(1);
    else if (nbsp_front())
      s.remove_prefix(2);
    else
      break;
  }
  for (;;) {
    if (!s.empty() && ws(s.back()))
      s.remove_suffix(1);
    else if (nbsp_back())
      s.remove_suffix(2);
    else
      break;
  }
  return s;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && iequals(s.substr(0, p.size()), p);
}

bool icontains(std::string_view h, std::string_view n) {
  if (n.empty()) return true;
  if (n.size() > h.size()) return false;
  // Sniffers call this for many needles on every file's first KiBs: find the
  // candidates for the first character with memchr (vectorized) in both cases.
  const char lo = lower(n[0]);
  const char up = lo >= 'a' && lo <= 'z' ? static_cast<char>(lo - 32) : lo;
  const char* p = h.data();
  const char* const end = h.data() + (h.size() - n.size() + 1);
  auto next = [&](char c, const char* from) -> const char* {
    return from < end
               ? static_cast<const char*>(std::memchr(from, c, static_cast<size_t>(end - from)))
               : nullptr;
  };
  const char* next_lo = next(lo, p);
  const char* next_up = up == lo ? nullptr : next(up, p);
  while (next_lo || next_up) {
    const char* q = !next_up || (next_lo && next_lo < next_up) ? next_lo : next_up;
    if (iequals(std::string_view(q, n.size()), n)) return true;
    if (q == next_lo)
      next_lo = next(lo, q + 1);
    else
      next_up = next(up, q + 1);
  }
  return false;
}

std::optional<std::string> normalize_guid(std::string_view s) {
  std::string hex;
  for (char c : s) {
    if (c == '{' || c == '}' || c == ' ' || c == '-' || c == '\t') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex.push_back(lower(c));
  }
  if (hex.size() != 32) return std::nullopt;
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
static size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return len;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence(s, i);
    if (n) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

static bool steers_terminal(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

static uint32_t code_point(std::string_view s, size_t i, size_t len) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  static constexpr uint8_t kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = b(0) & kLeadMask[len];
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (b(k) & 0x3F);
  return cp;
}

std::string escape_controls(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_sequence(s, i);
    const uint8_t byte = static_cast<uint8_t>(s[i]);
    if (len == 0) {  // not UTF-8
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
      ++i;
      continue;
    }
    const uint32_t cp = code_point(s, i, len);
    if (!steers_terminal(cp)) {
      out.append(s.substr(i, len));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x80) {
      out += "\\x";
      out.push_back(kHex[cp >> 4]);
      out.push_back(kHex[cp & 15]);
    } else {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 15]);
    }
    i += len;
  }
  return out;
}

}  // namespace hellotrace::text
