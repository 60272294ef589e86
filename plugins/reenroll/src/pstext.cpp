#include "pstext.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace hellotrace::reenroll {
namespace {

constexpr char32_t kInvalid = 0xFFFD;

// Decodes one code point at s[i]; sets `len` to the bytes used (1 for an invalid byte).
// Rejects overlong forms and surrogates: an overlong apostrophe (C0 A7) must never
// survive as something a lenient decoder could turn back into a quote.
char32_t decode(std::string_view s, size_t i, size_t& len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  len = 1;
  if (c < 0x80) return c;
  size_t n;
  char32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return kInvalid;
  }
  if (i + n > s.size()) return kInvalid;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  len = n;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Calls fn(code point) for each code point of s, invalid sequences as U+FFFD.
template <class Fn>
void for_each_cp(std::string_view s, Fn&& fn) {
  for (size_t i = 0; i < s.size();) {
    size_t len;
    const char32_t cp = decode(s, i, len);
    i += len;
    if (!fn(cp)) return;
  }
}

bool is_ps_single_quote(char32_t cp) { return cp == U'\'' || (cp >= 0x2018 && cp <= 0x201B); }

// Characters that can end a line or reorder what a reader sees.
bool is_unsafe_in_line(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

bool full_match(std::string_view s, const std::regex& re) {
  return std::regex_match(s.begin(), s.end(), re);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> base64_to_hex(std::string_view s) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  unsigned bits = 0, acc = 0;
  for (char c : s) {
    if (c == '=') break;
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bytes.size() != 32) return std::nullopt;
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

}  // namespace

std::string clean_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for_each_cp(s, [&](char32_t cp) {
    append_utf8(out, cp);
    return true;
  });
  return out;
}

std::string ps_literal(std::string_view s) {
  std::string out = "'";
  for_each_cp(s, [&](char32_t cp) {
    append_utf8(out, cp);
    if (is_ps_single_quote(cp)) append_utf8(out, cp);  // doubled: the quote stays inside
    return true;
  });
  out += '\'';
  return out;
}

std::string one_line(std::string_view s, size_t max_chars) {
  std::string out;
  size_t n = 0;
  bool cut = false;
  for_each_cp(s, [&](char32_t cp) {
    if (n == max_chars) {
      cut = true;
      return false;
    }
    append_utf8(out, is_unsafe_in_line(cp) ? U'?' : cp);
    ++n;
    return true;
  });
  if (cut) out += "...";
  return out;
}

std::string md_text(std::string_view s) {
  std::string out;
  for (char c : one_line(s)) {
    if (std::ispunct(static_cast<unsigned char>(c))) out += '\\';
    out += c;
  }
  return out;
}

std::optional<std::string> valid_sid(std::string_view s) {
  static const std::regex re(R"(S-1-[0-9]{1,14}(-[0-9]{1,10}){1,15})", std::regex::icase);
  s = trim(s);
  if (!full_match(s, re)) return std::nullopt;
  return upper(s);
}

std::optional<std::string> valid_guid(std::string_view s) {
  static const std::regex re(
      R"(\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?)");
  s = trim(s);
  if (!full_match(s, re) || (s.front() == '{') != (s.back() == '}')) return std::nullopt;
  if (s.front() == '{') s = s.substr(1, s.size() - 2);
  return lower(s);
}

std::optional<std::string> valid_ngc_key_id(std::string_view s) {
  // dsregcmd prints NgcKeyId as {GUID} in upper case; compare in that form.
  auto g = valid_guid(s);
  if (!g) return std::nullopt;
  std::string out = "{";  // appended, not "{" + x + "}": GCC 12 warns falsely on that
  out += upper(*g);
  out += '}';
  return out;
}

std::optional<std::string> valid_ad_key_id(std::string_view s) {
  static const std::regex hex(R"([0-9a-fA-F]{64})");
  static const std::regex b64(R"([A-Za-z0-9+/]{43}=)");
  s = trim(s);
  if (full_match(s, hex)) return lower(s);
  if (full_match(s, b64)) return base64_to_hex(s);
  return std::nullopt;
}

std::optional<std::string> valid_upn(std::string_view s) {
  // The local part may hold characters that matter to PowerShell (O'Brien): quoting
  // handles those. What is refused is what no directory accepts in a UPN: controls,
  // spaces, a second '@', and a suffix that is not a DNS name.
  static const std::regex re(
      R"([^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*)");
  if (s.size() > 256 || clean_utf8(s) != s) return std::nullopt;
  if (one_line(s, 300) != s) return std::nullopt;  // C1 controls, separators, bidi overrides
  if (!full_match(s, re)) return std::nullopt;
  return std::string(s);
}

std::optional<std::string> valid_computer_name(std::string_view s) {
  static const std::regex re(
      R"([A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*)");
  s = trim(s);
  if (s.empty() || s.size() > 253 || !full_match(s, re)) return std::nullopt;
  std::string_view first = s.substr(0, s.find('.'));
  if (first.size() > 15) first = first.substr(0, 15);  // NetBIOS names are cut at 15
  return upper(first);
}

std::optional<std::string> valid_utc_time(std::string_view s) {
  static const std::regex re(
      R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?Z)");
  if (!full_match(s, re)) return std::nullopt;
  return std::string(s);
}

std::optional<std::string> domain_of_dn(std::string_view dn) {
  // Walk the RDNs from the end while they are DC=label; the CN part (which may hold
  // escaped commas and anything else) is never used.
  static const std::regex label(R"([A-Za-z0-9]([A-Za-z0-9-]{0,62}))");
  std::string out;
  std::string_view rest = trim(dn);
  while (!rest.empty()) {
    const size_t comma = rest.rfind(',');
    if (comma != std::string_view::npos && comma > 0 && rest[comma - 1] == '\\')
      return std::nullopt;  // an escaped comma: the "DC=" is part of a value, not an RDN
    std::string_view rdn = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    if (rdn.size() < 4 || lower(rdn.substr(0, 3)) != "dc=") break;
    const std::string_view value = trim(rdn.substr(3));
    if (!full_match(value, label)) return std::nullopt;
    out = "DC=" + std::string(value) + (out.empty() ? "" : "," + out);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(0, comma);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> valid_account(std::string_view s) {
  static const std::regex re(R"([A-Za-z0-9][A-Za-z0-9._-]{0,63}\\[A-Za-z0-9._$-]{1,64})");
  s = trim(s);
  if (!full_match(s, re)) return std::nullopt;
  return std::string(s);
}

}  // namespace hellotrace::reenroll
