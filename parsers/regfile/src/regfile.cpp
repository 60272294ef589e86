#include <hellotrace/pstext/pstext.hpp>
#include <hellotrace/regfile/regfile.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <optional>

namespace hellotrace::regfile {

namespace {

using text::iequals;
using text::istarts_with;
using text::trim;

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view ltrim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<uint64_t> parse_hex_number(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return v;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Windows-1252 → UTF-8 (0x80–0x9F through the code page's table; undefined ones → U+FFFD).
std::string from_cp1252(std::string_view bytes) {
  static const uint16_t k80[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                   0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
                                   0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                   0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c < 0x80)
      out += static_cast<char>(c);
    else if (c < 0xA0)
      text::append_utf8(out, k80[c - 0x80]);
    else
      text::append_utf8(out, c);
  }
  return out;
}

std::string from_utf16le(const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> with_bom;
  with_bom.reserve(bytes.size() + 2);
  with_bom.push_back(0xFF);
  with_bom.push_back(0xFE);
  with_bom.insert(with_bom.end(), bytes.begin(), bytes.end());
  return text::decode(with_bom);
}

const char* type_name(unsigned n) {
  switch (n) {
    case 0:
      return "REG_NONE";
    case 1:
      return "REG_SZ";
    case 2:
      return "REG_EXPAND_SZ";
    case 3:
      return "REG_BINARY";
    case 4:
      return "REG_DWORD";
    case 5:
      return "REG_DWORD_BIG_ENDIAN";
    case 6:
      return "REG_LINK";
    case 7:
      return "REG_MULTI_SZ";
    case 8:
      return "REG_RESOURCE_LIST";
    case 9:
      return "REG_FULL_RESOURCE_DESCRIPTOR";
    case 10:
      return "REG_RESOURCE_REQUIREMENTS_LIST";
    case 11:
      return "REG_QWORD";
    default:
      return nullptr;
  }
}

// Items of a multi string joined as `reg query` prints them.
std::string join_multi(std::string_view decoded) {
  std::vector<std::string_view> items;
  size_t start = 0;
  for (size_t i = 0; i <= decoded.size(); ++i)
    if (i == decoded.size() || decoded[i] == '\0') {
      items.push_back(decoded.substr(start, i - start));
      start = i + 1;
    }
  // The list ends with an empty string (two NULs): drop the trailing empties.
  while (!items.empty() && items.back().empty()) items.pop_back();
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += "\\0";
    out += items[i];
  }
  return out;
}

// ---- regedit .reg ------------------------------------------------------------------

struct RegParser {
  Result& r;
  bool utf16_strings;  // 5.00: string bytes of hex(N) data are UTF-16LE
  std::string key;
  bool key_deleted = false;
  bool have_key = false;

  void problem(uint64_t line, std::string m) { r.problems.push_back({line, std::move(m)}); }

  // A quoted string starting at s[0] == '"'; sets `end` past the closing quote.
  std::optional<std::string> quoted(std::string_view s, size_t& end) {
    std::string out;
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        // regedit escapes only backslash and quote; keep any other pair as written.
        if (s[i + 1] == '\\' || s[i + 1] == '"')
          out += s[++i];
        else
          out += s[i];
        continue;
      }
      if (s[i] == '"') {
        end = i + 1;
        return out;
      }
      out += s[i];
    }
    return std::nullopt;
  }

  std::string bytes_to_text(const std::vector<uint8_t>& bytes) {
    if (utf16_strings) return from_utf16le(bytes);
    return from_cp1252(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  // Fills type/data of `e` from hex(N) bytes.
  void typed(Entry& e, unsigned n, const std::vector<uint8_t>& bytes, uint64_t line) {
    const char* name = type_name(n);
    e.type = name ? name : "REG_TYPE_0x" + to_hex({static_cast<uint8_t>(n & 0xFF)});
    auto little = [&](size_t width) {
      uint64_t v = 0;
      for (size_t i = width; i-- > 0;) v = (v << 8) | bytes[i];
      return v;
    };
    switch (n) {
      case 1:
      case 2:
      case 6: {
        std::string s = bytes_to_text(bytes);
        if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
        e.data = std::move(s);
        return;
      }
      case 7:
        e.data = join_multi(bytes_to_text(bytes));
        return;
      case 4:
      case 5:
        if (bytes.size() == 4) {
          e.data = std::to_string(n == 4 ? little(4)
                                         : (uint64_t{bytes[0]} << 24 | uint64_t{bytes[1]} << 16 |
                                            uint64_t{bytes[2]} << 8 | bytes[3]));
          return;
        }
        break;
      case 11:
        if (bytes.size() == 8) {
          e.data = std::to_string(little(8));
          return;
        }
        break;
      default:
        e.data = to_hex(bytes);
        return;
    }
    problem(line, "value \"" + e.name + "\": " + e.type + " data has " +
                      std::to_string(bytes.size()) + " bytes; kept as hex");
    e.data = to_hex(bytes);
  }

  // Hex bytes "00,01,\" continued on following lines; `i` is advanced past them.
  std::optional<std::vector<uint8_t>> hex_bytes(std::string_view first,
                                                const std::vector<text::Line>& lines, size_t& i,
                                                const std::string& name) {
    const uint64_t line = lines[i].number;
    std::string joined(rtrim(first));
    while (!joined.empty() && joined.back() == '\\') {
      joined.pop_back();
      if (i + 1 >= lines.size()) {
        problem(line, "value \"" + name + "\": hex data continues past the end of the file");
        return std::nullopt;
      }
      joined += rtrim(ltrim(lines[++i].text));
    }
    std::vector<uint8_t> out;
    std::string_view s = joined;
    while (!s.empty()) {
      const size_t comma = s.find(',');
      const std::string_view item = trim(s.substr(0, comma));
      s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
      if (item.empty() && comma == std::string_view::npos) break;
      const auto b = parse_hex_number(item, 2);
      if (!b) {
        problem(line, "value \"" + name + "\": '" + std::string(item.substr(0, 16)) +
                          "' is not a hex byte");
        return std::nullopt;
      }
      out.push_back(static_cast<uint8_t>(*b));
    }
    return out;
  }

  void value(std::string_view s, const std::vector<text::Line>& lines, size_t& i) {
    const uint64_t line = lines[i].number;
    Entry e;
    e.line = line;
    size_t at = 0;
    if (s[0] == '@') {
      at = 1;
    } else {
      auto n = quoted(s, at);
      if (!n) {
        problem(line, "value name not closed by a quote");
        return;
      }
      e.name = std::move(*n);
    }
    std::string_view rest = ltrim(s.substr(at));
    if (rest.empty() || rest[0] != '=') {
      problem(line, "value \"" + e.name + "\": '=' expected after the name");
      return;
    }
    rest = trim(rest.substr(1));
    e.key = key;
    if (!have_key) {
      problem(line, "value \"" + e.name + "\" appears before any [key] line; skipped");
      return;
    }
    if (rest == "-") {
      e.kind = EntryKind::kDeletedValue;
      if (!key_deleted) r.entries.push_back(std::move(e));
      return;
    }
    e.kind = EntryKind::kValue;
    if (!rest.empty() && rest[0] == '"') {
      size_t end = 0;
      auto v = quoted(rest, end);
      if (!v) {
        problem(line, "value \"" + e.name + "\": string not closed by a quote");
        return;
      }
      if (!trim(rest.substr(end)).empty())
        problem(line, "value \"" + e.name + "\": text after the closing quote ignored");
      e.type = "REG_SZ";
      e.data = std::move(*v);
    } else if (istarts_with(rest, "dword:")) {
      const auto v = parse_hex_number(trim(rest.substr(6)), 8);
      if (!v) {
        problem(line, "value \"" + e.name + "\": dword data '" + std::string(rest.substr(6, 16)) +
                          "' is not 1 to 8 hex digits");
        return;
      }
      e.type = "REG_DWORD";
      e.data = std::to_string(*v);
    } else if (istarts_with(rest, "hex")) {
      unsigned n = 3;  // plain hex: is REG_BINARY
      std::string_view h = rest.substr(3);
      if (!h.empty() && h[0] == '(') {
        const size_t close = h.find(')');
        const auto t = close == std::string_view::npos
                           ? std::nullopt
                           : parse_hex_number(h.substr(1, close - 1), 8);
        if (!t) {
          problem(line, "value \"" + e.name + "\": type in hex(…) not understood");
          return;
        }
        n = static_cast<unsigned>(*t);
        h = h.substr(close + 1);
      }
      if (h.empty() || h[0] != ':') {
        problem(line, "value \"" + e.name + "\": ':' expected after hex");
        return;
      }
      auto bytes = hex_bytes(h.substr(1), lines, i, e.name);
      if (!bytes) return;
      typed(e, n, *bytes, line);
    } else {
      problem(line, "value \"" + e.name + "\": data form not understood");
      return;
    }
    // After the data, so that continuation lines are consumed: regedit ignores values
    // listed under a key the file deletes.
    if (key_deleted) {
      problem(line, "value \"" + e.name + "\" under a deleted key [-…]; skipped");
      return;
    }
    r.entries.push_back(std::move(e));
  }

  void run(const std::vector<text::Line>& lines, size_t first) {
    for (size_t i = first; i < lines.size(); ++i) {
      const std::string_view s = trim(lines[i].text);
      const uint64_t line = lines[i].number;
      if (s.empty() || s[0] == ';') continue;
      if (s[0] == '[') {
        const size_t close = s.rfind(']');
        if (close == std::string_view::npos || close < 1) {
          problem(line, "key line without a closing ']'");
          have_key = false;  // values that follow belong to no known key
          continue;
        }
        Entry e;
        e.line = line;
        key_deleted = s.size() > 1 && s[1] == '-';
        e.kind = key_deleted ? EntryKind::kDeletedKey : EntryKind::kKey;
        e.key = std::string(trim(s.substr(key_deleted ? 2 : 1, close - (key_deleted ? 2 : 1))));
        key = e.key;
        have_key = !key.empty();
        if (!have_key) {
          problem(line, "empty key name");
          continue;
        }
        r.entries.push_back(std::move(e));
        continue;
      }
      if (s[0] == '"' || s[0] == '@') {
        value(s, lines, i);
        continue;
      }
      problem(line, "line not understood: '" + std::string(s.substr(0, 40)) + "'");
    }
  }
};

// ---- reg query ---------------------------------------------------------------------

// The key argument of a `reg query` command line, or nullopt when the line is none.
std::optional<std::string> query_command_key(std::string_view line) {
  const std::string lower = text::to_lower(line);
  size_t at = std::string::npos;
  size_t len = 0;
  for (std::string_view cmd : {"reg.exe query", "reg query"})
    if (auto p = lower.find(cmd); p != std::string::npos) {
      at = p;
      len = cmd.size();
      break;
    }
  if (at == std::string::npos) return std::nullopt;
  std::string_view rest = ltrim(line.substr(at + len));
  if (rest.empty()) return std::nullopt;
  if (rest[0] == '"') {
    const size_t close = rest.find('"', 1);
    return std::string(
        rest.substr(1, close == std::string_view::npos ? rest.size() - 1 : close - 1));
  }
  return std::string(rest.substr(0, rest.find(' ')));
}

bool is_root_line(std::string_view s) {
  return istarts_with(s, "HKEY_") || istarts_with(s, "HKLM\\") || istarts_with(s, "HKCU\\") ||
         istarts_with(s, "HKU\\");
}

Result parse_reg_query(std::string_view all) {
  Result r;
  r.format = Format::kRegQuery;
  std::string key;
  for (const auto& l : text::split_lines(all)) {
    const std::string_view raw = rtrim(l.text);
    const std::string_view s = ltrim(raw);
    if (s.empty()) continue;
    if (auto q = query_command_key(s)) {
      r.queried.push_back(*q);
      continue;
    }
    if (istarts_with(s, "ERROR:")) {
      Entry e;
      e.kind = EntryKind::kQueryError;
      e.key = r.queried.empty() ? key : r.queried.back();
      e.data = std::string(trim(s.substr(6)));
      e.line = l.number;
      r.entries.push_back(std::move(e));
      continue;
    }
    if (istarts_with(s, "End of search:")) continue;
    if (s.size() == raw.size()) {  // not indented: a key, or something else
      if (is_root_line(s)) {
        key = std::string(s);
        r.entries.push_back({EntryKind::kKey, key, "", "", "", l.number});
      } else {
        r.problems.push_back(
            {l.number, "line not understood: '" + std::string(s.substr(0, 40)) + "'"});
      }
      continue;
    }
    // `    Name    REG_TYPE    data`: the name may hold single spaces, so split at the
    // four-space run that precedes the type.
    const size_t t = s.find("    REG_");
    const bool nameless = istarts_with(s, "REG_");  // a value with an empty name
    if (t == std::string_view::npos && !nameless) {
      r.problems.push_back(
          {l.number, "value line without a REG_ type: '" + std::string(s.substr(0, 40)) + "'"});
      continue;
    }
    if (key.empty()) {
      r.problems.push_back({l.number, "value line before any key line; skipped"});
      continue;
    }
    Entry e;
    e.kind = EntryKind::kValue;
    e.key = key;
    e.line = l.number;
    e.name = nameless ? "" : std::string(s.substr(0, t));
    if (iequals(e.name, "(Default)")) e.name.clear();
    std::string_view rest = s.substr(nameless ? 0 : t + 4);
    const size_t sep = rest.find("    ");
    e.type = std::string(rest.substr(0, sep));
    std::string_view data =
        sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 4);
    if (e.type == "REG_DWORD" || e.type == "REG_QWORD" || e.type == "REG_DWORD_BIG_ENDIAN") {
      const std::string_view digits = istarts_with(data, "0x") ? data.substr(2) : data;
      const auto v = parse_hex_number(trim(digits), e.type == "REG_QWORD" ? 16 : 8);
      if (!v) {
        r.problems.push_back({l.number, "value \"" + e.name + "\": " + e.type + " data '" +
                                            std::string(data.substr(0, 20)) + "' is not 0x<hex>"});
        continue;
      }
      e.data = std::to_string(*v);
    } else if (e.type == "REG_BINARY" || e.type == "REG_NONE") {
      e.data = text::to_lower(data);
    } else {
      e.data = std::string(data);
    }
    r.entries.push_back(std::move(e));
  }
  return r;
}

// ---- Get-ItemProperty (Format-List) -------------------------------------------------

Result parse_item_property(std::string_view all) {
  Result r;
  r.format = Format::kPsItemProperty;
  const pstext::Result ps = pstext::parse(all);
  const auto lines = text::split_lines(all);
  for (const auto& p : ps.problems) r.problems.push_back({p.line, p.message});
  for (const auto& o : ps.objects) {
    const std::string* path = o.get("PSPath");
    if (!path || !text::icontains(*path, "Registry::")) continue;
    const std::string key = canonical_key(*path);
    r.entries.push_back({EntryKind::kKey, key, "", "", "", o.line});
    // pstext gives the object's first line; find each property's own line below it so
    // evidence points at the value (Format-List writes one `Name : value` per line).
    size_t from = o.line ? o.line - 1 : 0;
    for (const auto& prop : o.properties) {
      if (istarts_with(prop.name, "PS") &&
          (iequals(prop.name, "PSPath") || iequals(prop.name, "PSParentPath") ||
           iequals(prop.name, "PSChildName") || iequals(prop.name, "PSDrive") ||
           iequals(prop.name, "PSProvider")))
        continue;
      uint64_t line = o.line;
      for (size_t k = from; k < lines.size() && k < from + 200; ++k) {
        const std::string_view t = lines[k].text;
        if (istarts_with(t, prop.name) && trim(t.substr(prop.name.size())).starts_with(":")) {
          line = lines[k].number;
          from = k + 1;
          break;
        }
      }
      Entry e;
      e.kind = EntryKind::kValue;
      e.key = key;
      e.name = iequals(prop.name, "(default)") ? "" : prop.name;
      e.data = prop.value;
      e.line = line;
      if (prop.truncated)
        r.problems.push_back({line, "value \"" + prop.name + "\" was cut by PowerShell (...)"});
      r.entries.push_back(std::move(e));
    }
  }
  return r;
}

}  // namespace

const char* format_name(Format f) {
  switch (f) {
    case Format::kRegedit5:
      return "reg5";
    case Format::kRegedit4:
      return "regedit4";
    case Format::kRegQuery:
      return "reg-query";
    case Format::kPsItemProperty:
      return "get-itemproperty";
    default:
      return "unknown";
  }
}

Format detect_format(std::string_view all) {
  text::Lines lines(all);
  bool saw_key = false;
  int seen = 0;
  bool ps_path = false;
  while (auto l = lines.next()) {
    const std::string_view raw = rtrim(l->text);
    const std::string_view s = ltrim(raw);
    if (s.empty()) continue;
    if (++seen > 60) break;
    if (seen == 1) {
      if (istarts_with(s, "Windows Registry Editor Version 5")) return Format::kRegedit5;
      if (istarts_with(s, "REGEDIT4")) return Format::kRegedit4;
    }
    if (query_command_key(s)) return Format::kRegQuery;
    if (raw.size() == s.size() && is_root_line(s)) saw_key = true;
    if (saw_key && raw.size() != s.size() &&
        (s.find("    REG_") != std::string_view::npos || istarts_with(s, "REG_")))
      return Format::kRegQuery;
    if (istarts_with(s, "PSPath") && text::icontains(s, "Registry::")) ps_path = true;
  }
  return ps_path ? Format::kPsItemProperty : Format::kUnknown;
}

Result parse(std::string_view all) {
  const Format f = detect_format(all);
  if (f == Format::kRegQuery) return parse_reg_query(all);
  if (f == Format::kPsItemProperty) return parse_item_property(all);
  Result r;
  r.format = f;
  if (f == Format::kUnknown) {
    r.problems.push_back({0,
                          "not a registry export (no .reg header, reg query key lines or "
                          "Get-ItemProperty PSPath)"});
    return r;
  }
  const auto lines = text::split_lines(all);
  size_t first = 0;  // the line after the header
  while (first < lines.size() && trim(lines[first].text).empty()) ++first;
  RegParser p{r, f == Format::kRegedit5, {}};
  p.run(lines, first + 1);
  return r;
}

Result parse_bytes(std::span<const uint8_t> bytes) {
  text::Encoding enc{};
  text::DecodeIssues issues;
  std::string decoded = text::decode_checked(bytes, issues, &enc);
  // Bytes that are not UTF-8 in a BOM-less file: an ANSI (Windows-1252) export, which
  // is text after all.
  const bool ansi = enc == text::Encoding::kUtf8 && issues.count;
  if (ansi)
    decoded =
        from_cp1252(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  Result r = parse(decoded);
  if (issues.count && !ansi) r.problems.insert(r.problems.begin(), Problem{0, issues.message()});
  return r;
}

std::string canonical_key(std::string_view key) {
  key = trim(key);
  const std::string lower = text::to_lower(key);
  if (auto p = lower.find("registry::"); p != std::string::npos) key = key.substr(p + 10);
  while (!key.empty() && key.back() == '\\') key.remove_suffix(1);
  const size_t slash = key.find('\\');
  std::string_view root = key.substr(0, slash);
  const std::string_view rest =
      slash == std::string_view::npos ? std::string_view() : key.substr(slash);
  if (!root.empty() && root.back() == ':') root.remove_suffix(1);
  static const std::pair<const char*, const char*> kRoots[] = {{"HKLM", "HKEY_LOCAL_MACHINE"},
                                                               {"HKCU", "HKEY_CURRENT_USER"},
                                                               {"HKU", "HKEY_USERS"},
                                                               {"HKCR", "HKEY_CLASSES_ROOT"},
                                                               {"HKCC", "HKEY_CURRENT_CONFIG"}};
  std::string out;
  for (const auto& [abbr, full] : kRoots)
    if (iequals(root, abbr) || iequals(root, full)) out = full;
  if (out.empty()) out = std::string(root);
  out += rest;
  return out;
}

bool key_within(std::string_view key, std::string_view ancestor) {
  if (key.size() < ancestor.size() || !istarts_with(key, ancestor)) return false;
  return key.size() == ancestor.size() || key[ancestor.size()] == '\\';
}

}  // namespace hellotrace::regfile
