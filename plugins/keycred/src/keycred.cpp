// keycred: msDS-KeyCredentialLink exports → ad.key_credential events.
//
// Reads ldifde LDIF (plain or base64 values, wrapped lines), Get-ADUser output
// (Format-List text, Export-Csv, ConvertTo-Json), bare DN-Binary lines, and DSInternals
// listings (Get-ADKeyCredential list/table, Get-ADReplAccount "Key Credentials").
#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/keycredlink/keycredlink.hpp>
#include <hellotrace/plugin_sdk.hpp>
#include <hellotrace/text/csv.hpp>
#include <hellotrace/text/datetime.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace kc = hellotrace::keycred;
namespace text = hellotrace::text;
namespace htime = hellotrace::time;
using hellotrace::Event;
using hellotrace::Position;
using hellotrace::sdk::EventSink;
using hellotrace::sdk::Source;

constexpr std::string_view kAttr = "msDS-KeyCredentialLink";

// ---- time zone and PowerShell times ------------------------------------------------

struct Zone {
  int64_t offset = 0;  // local = UTC + offset
  std::string name = "UTC";
  text::DateOrder order = text::DateOrder::kMdy;  // of culture dates, decided per file
};

// The option "timezone": "UTCZ" and one-digit minutes ("+3:5", "+033") are read too.
constexpr htime::OffsetSyntax kTimezoneSyntax{.z_after_name = true, .one_digit_minutes = true};

struct PsTime {
  int64_t ticks = HT_NO_TIME;
  bool zone_given = false;
  bool date_only = false;
};

// "7/19/2017 9:33:01 AM", "19.07.2017 09:33:01", "2019-08-01", ISO 8601,
// "/Date(1500449462645)/". Local times are shifted by the zone.
std::optional<PsTime> parse_ps_time(std::string_view s, const Zone& zone) {
  s = text::trim(s);
  if (s.empty()) return std::nullopt;
  PsTime out;
  if (auto p = s.find("Date("); p != std::string_view::npos) {
    size_t i = p + 5;
    bool neg = i < s.size() && s[i] == '-';
    if (neg) ++i;
    int64_t ms = 0;
    size_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 14) ms = ms * 10 + (s[i++] - '0'), ++n;
    if (n == 0) return std::nullopt;
    out.ticks = (neg ? -ms : ms) * 10'000;
    out.zone_given = true;
    return out;
  }
  bool zone_given = false;
  if (auto iso = htime::parse_iso(s, true, &zone_given)) {
    out.zone_given = zone_given;
    out.date_only = s.size() == 10;
    out.ticks = zone_given ? *iso : *iso - zone.offset;
    return out;
  }
  // Culture-formatted local dates, read with the file's day/month order (the shared
  // reader: "7/19/2017 9:33:01 AM", "19.07.2017 09:33:01", "19/07/2017 09:33:01").
  auto local = text::parse_culture_datetime(s, zone.order, {.time_required = false});
  if (!local) return std::nullopt;
  const size_t blank = s.find(' ');
  out.date_only = blank == std::string_view::npos;
  out.zone_given = local->zoned;
  out.ticks = local->zoned ? local->ticks : local->ticks - zone.offset;
  return out;
}

// ---- per-call state ---------------------------------------------------------------

struct Account {
  std::string dn, upn, sam, sid;
};

struct Ctx {
  EventSink& out;
  Zone zone;
  std::string format;
  bool zone_noted = false;
  size_t emitted = 0;

  void warn(uint64_t line, std::string_view m) {
    Position p;
    p.line = line;
    out.warning(p, fmt::format("line {}: {}", line, m));
  }
  void note_zone(uint64_t line) {
    if (zone_noted) return;
    zone_noted = true;
    Position p;
    p.line = line;
    out.info(p, fmt::format("times printed by PowerShell carry no zone: assumed {} (option "
                            "\"timezone\")",
                            zone.name));
  }
};

std::string b(bool v) { return v ? "true" : "false"; }

void add_if_absent(Event& e, std::string name, std::string value) {
  if (value.empty() || e.field(name)) return;
  e.add(std::move(name), std::move(value));
}

// ---- one exported account ----------------------------------------------------------

// An `ad.user` event says that the export covered this account's msDS-KeyCredentialLink,
// with how many values it held — zero included: "no key in AD" is a fact the key-sync
// reasoning needs (key.not_in_ad), and it cannot be told from the absence of events.
void emit_account(Ctx& c, const Account& acct, uint64_t line, size_t keys) {
  if (acct.dn.empty() && acct.upn.empty() && acct.sid.empty() && acct.sam.empty()) return;
  Event e;
  e.kind = "ad.user";
  e.origin.line = line;
  e.subject.user_dn = acct.dn;
  e.subject.user_upn = acct.upn;
  e.subject.user_sam = acct.sam;
  e.subject.user_sid = acct.sid;
  add_if_absent(e, "DistinguishedName", acct.dn);
  add_if_absent(e, "UserPrincipalName", acct.upn);
  add_if_absent(e, "SamAccountName", acct.sam);
  add_if_absent(e, "SID", acct.sid);
  e.add("KeyCredentialCount", std::to_string(keys));
  e.add("Format", c.format);
  c.out.emit(e);
}

// ---- one DN-Binary value ----------------------------------------------------------

void emit_dn_binary(Ctx& c, std::string_view value, uint64_t line, const Account& acct) {
  value = text::trim(value);
  auto dn = kc::parse_dn_binary(value);
  if (!dn.ok()) {
    c.warn(line, fmt::format("{} value skipped: character {}: {}", kAttr, dn.error().offset,
                             dn.error().message));
    return;
  }
  auto decoded = kc::decode(dn->blob);
  if (!decoded.ok()) {
    c.warn(line, fmt::format("{} value skipped: KEYCREDENTIALLINK_BLOB byte offset {}: {}", kAttr,
                             decoded.error().offset, decoded.error().message));
    return;
  }
  const kc::KeyCredential& k = decoded.value();
  Event e;
  e.kind = "ad.key_credential";
  e.origin.line = line;
  e.add(std::string(kAttr), std::string(value));
  e.add("Format", c.format);
  e.add("OwnerDN", dn->owner_dn);
  e.add("Version", fmt::format("0x{:08x}", k.version));
  e.add("KeyId", k.key_id_hex);
  e.add("KeyIdBase64", k.key_id_base64);
  e.add("KeyIdValid", b(k.key_id_ok));
  e.add("KeyHashValid", b(k.key_hash_ok));
  if (k.usage)
    e.add("Usage", kc::usage_name(*k.usage));
  else if (!k.legacy_usage.empty())
    e.add("Usage", text::sanitize_utf8(k.legacy_usage));
  if (k.source) e.add("Source", kc::source_name(*k.source));
  if (!k.device_id.empty()) e.add("DeviceId", k.device_id);
  if (k.custom) e.add("Flags", kc::flags_name(k.custom->flags));
  if (k.created) e.add("Created", htime::format_iso(*k.created));
  if (k.last_logon) e.add("LastLogon", htime::format_iso(*k.last_logon));
  if (k.created || k.last_logon) e.add("TimeEncoding", kc::time_encoding_name(k.time_encoding));
  e.add("KeyFormat", kc::format_name(k.material.format));
  e.add("KeyType", kc::key_type_name(k.material.type));
  if (k.material.key_size_bits) e.add("KeySize", std::to_string(k.material.key_size_bits));
  if (!k.material.curve.empty()) e.add("Curve", k.material.curve);
  if (!k.material.modulus.empty()) {
    e.add("Modulus", kc::hex_lower(k.material.modulus));
    e.add("Exponent", kc::big_endian_to_decimal(k.material.exponent));
  }
  if (k.material.type == kc::KeyType::kRsa) e.add("RocaVulnerable", b(k.roca_vulnerable));
  if (!k.material.fido_display_name.empty())
    e.add("FidoDisplayName", text::sanitize_utf8(k.material.fido_display_name));
  if (!k.material.fido_aaguid.empty()) e.add("FidoAaguid", k.material.fido_aaguid);
  if (!k.problems.empty()) {
    std::string all;
    for (const auto& p : k.problems) all += (all.empty() ? "" : "; ") + p;
    e.add("Problems", all);
  }
  e.subject.user_dn = dn->owner_dn;
  e.subject.user_upn = acct.upn;
  e.subject.user_sam = acct.sam;
  e.subject.user_sid = acct.sid;
  e.subject.device_id = k.device_id;
  e.time = k.created.value_or(HT_NO_TIME);
  for (const auto& p : k.problems)
    c.warn(line, fmt::format("key {} of {}: {}", k.key_id_hex.substr(0, 16), dn->owner_dn, p));
  ++c.emitted;
  c.out.emit(e);
}

// Splits a text holding several DN-Binary values ("{B:…:CN=…, B:…:CN=…}", "a;b",
// one per line) at each "B:<digits>:" that starts a value.
struct Piece {
  std::string_view text;
  size_t offset;  // in the input
};

bool value_starts_at(std::string_view s, size_t i) {
  if (i + 3 > s.size() || (s[i] != 'B' && s[i] != 'b') || s[i + 1] != ':') return false;
  if (i > 0) {
    const char p = s[i - 1];
    if (p != ',' && p != ';' && p != ' ' && p != '\n' && p != '\r' && p != '\t' && p != '{' &&
        p != '"' && p != '|')
      return false;
  }
  size_t j = i + 2, n = 0;
  while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j, ++n;
  return n > 0 && j < s.size() && s[j] == ':';
}

std::vector<Piece> split_values(std::string_view s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!value_starts_at(s, i)) continue;
    // Skip past the hex so that "B:" inside a DN is not taken for a new value.
    size_t j = i + 2;
    size_t count = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9' && count < 100'000'000)
      count = count * 10 + static_cast<size_t>(s[j++] - '0');
    starts.push_back(i);
    i = std::min(s.size(), j + 1 + count) - 1;
  }
  std::vector<Piece> out;
  for (size_t k = 0; k < starts.size(); ++k) {
    size_t end = k + 1 < starts.size() ? starts[k + 1] : s.size();
    std::string_view v = s.substr(starts[k], end - starts[k]);
    while (!v.empty() &&
           (v.back() == ',' || v.back() == ';' || v.back() == ' ' || v.back() == '\n' ||
            v.back() == '\r' || v.back() == '\t' || v.back() == '|'))
      v.remove_suffix(1);
    out.push_back({v, starts[k]});
  }
  return out;
}

// Values of a PowerShell collection "{a, b, c...}"; `truncated` when PowerShell cut it.
std::string_view strip_collection(std::string_view v, bool& truncated) {
  v = text::trim(v);
  truncated = false;
  if (!v.empty() && v.front() == '{') v.remove_prefix(1);
  if (!v.empty() && v.back() == '}') v.remove_suffix(1);
  for (std::string_view dots : {std::string_view("..."), std::string_view("\xE2\x80\xA6")}) {
    if (v.size() >= dots.size() && v.substr(v.size() - dots.size()) == dots) {
      v.remove_suffix(dots.size());
      truncated = true;
    }
  }
  return v;
}

// A DSInternals listing record (no blob): the source's fields plus normalized ones.
void emit_listing(Ctx& c, const std::vector<std::pair<std::string, std::string>>& fields,
                  uint64_t line, const Account& acct) {
  Event e;
  e.kind = "ad.key_credential";
  e.origin.line = line;
  for (const auto& [k, v] : fields) e.add(k, v);
  add_if_absent(e, "Format", c.format);
  e.subject.user_upn = acct.upn;
  e.subject.user_sam = acct.sam;
  e.subject.user_sid = acct.sid;
  e.subject.user_dn = acct.dn;
  auto get = [&](std::initializer_list<std::string_view> names) -> std::string {
    for (auto n : names)
      for (const auto& [k, v] : fields)
        if (text::iequals(k, n)) return std::string(text::trim(v));
    return {};
  };
  if (auto owner = get({"Owner", "OwnerDN", "HolderDN", "Holder"}); !owner.empty()) {
    if (owner.find('=') != std::string::npos)
      e.subject.user_dn = owner;
    else if (owner.find('@') != std::string::npos && e.subject.user_upn.empty())
      e.subject.user_upn = owner;
    add_if_absent(e, "OwnerDN", owner);
  }
  if (auto dev = get({"DeviceId", "Device"}); !dev.empty()) {
    if (auto g = text::normalize_guid(dev)) {
      e.subject.device_id = *g;
      add_if_absent(e, "DeviceId", *g);
    } else {
      c.warn(line, fmt::format("DeviceId '{}' is not a GUID", dev));
    }
  }
  if (auto id = get({"KeyId", "Identifier", "Id", "KeyIdentifier"}); !id.empty()) {
    if (auto raw = kc::base64_decode(id); raw && !raw->empty() && id.size() % 4 == 0)
      add_if_absent(e, "KeyId", kc::hex_lower(*raw));
    add_if_absent(e, "KeyIdBase64", id);
  }
  if (auto modulus = get({"RSAModulus", "Modulus"}); !modulus.empty()) {
    auto raw = kc::base64_decode(modulus);
    if (!raw) raw = kc::hex_decode(modulus);
    if (raw && !raw->empty()) {
      std::vector<uint8_t> n(raw->begin(), raw->end());
      n.erase(n.begin(), std::find_if(n.begin(), n.end(), [](uint8_t x) { return x != 0; }));
      add_if_absent(e, "KeyType", "RSA");
      uint32_t bits = n.empty() ? 0 : static_cast<uint32_t>(n.size() - 1) * 8;
      for (uint8_t t = n.empty() ? 0 : n[0]; t; t >>= 1) ++bits;
      add_if_absent(e, "KeySize", std::to_string(bits));
      e.add("RocaVulnerable", b(kc::roca_vulnerable(n)));
      if (!e.field("Modulus")) e.add("Modulus", kc::hex_lower(n));
    } else {
      c.warn(line, "RSAModulus is neither base64 nor hex");
    }
  }
  if (auto weak = get({"IsWeak"}); !weak.empty() && !e.field("RocaVulnerable"))
    e.add("RocaVulnerable", text::iequals(weak, "True") ? "true" : "false");
  auto time_of = [&](std::initializer_list<std::string_view> names, const char* out_name,
                     bool sets_event_time) {
    const std::string t = get(names);
    if (t.empty()) return;
    auto pt = parse_ps_time(t, c.zone);
    if (!pt) {
      c.warn(line, fmt::format("time '{}' not understood", t));
      return;
    }
    add_if_absent(e, out_name, htime::format_iso(pt->ticks));
    if (!sets_event_time) return;
    e.time = pt->ticks;
    if (!pt->zone_given) {
      e.time_flags |= HT_TIME_ZONE_ASSUMED;
      c.note_zone(line);
    }
    if (pt->date_only) e.time_flags |= HT_TIME_APPROXIMATE;
  };
  time_of({"Created", "CreationTime"}, "CreatedUtc", true);
  time_of({"LastLogon", "LastLogonTime"}, "LastLogonUtc", false);
  ++c.emitted;
  c.out.emit(e);
}

// ---- LDIF (ldifde) ----------------------------------------------------------------

std::string sid_from_binary(std::span<const uint8_t> s) {
  if (s.size() < 8 || s.size() != 8 + 4 * static_cast<size_t>(s[1])) return {};
  uint64_t auth = 0;
  for (int i = 2; i < 8; ++i) auth = (auth << 8) | s[i];
  std::string out = fmt::format("S-{}-{}", s[0], auth);
  for (size_t i = 8; i + 4 <= s.size(); i += 4)
    out += fmt::format("-{}", static_cast<uint32_t>(s[i]) | (s[i + 1] << 8) | (s[i + 2] << 16) |
                                  (static_cast<uint32_t>(s[i + 3]) << 24));
  return out;
}

void parse_ldif(Ctx& c, std::string_view doc) {
  c.format = "ldif";
  struct Value {
    std::string text;
    uint64_t line;
  };
  Account acct;
  std::vector<Value> values;
  // ldifde leaves out empty attributes: an entry without msDS-KeyCredentialLink in a
  // file that exports it for others has no key.
  const bool exports_attr = text::icontains(doc, kAttr);
  uint64_t entry_line = 0;
  auto flush = [&] {
    for (const auto& v : values) emit_dn_binary(c, v.text, v.line, acct);
    if (exports_attr && !acct.dn.empty()) emit_account(c, acct, entry_line, values.size());
    values.clear();
    acct = {};
  };
  // Logical lines: continuation lines start with one space.
  std::string logical;
  uint64_t logical_line = 0;
  bool in_comment = false;
  auto handle = [&](const std::string& l, uint64_t at) {
    const size_t colon = l.find(':');
    if (colon == std::string::npos || colon == 0) {
      c.warn(at, "LDIF line without 'attribute:' skipped");
      return;
    }
    std::string name(l.substr(0, colon));
    if (auto semi = name.find(';'); semi != std::string::npos) name.resize(semi);
    bool b64 = colon + 1 < l.size() && l[colon + 1] == ':';
    std::string_view raw = std::string_view(l).substr(colon + (b64 ? 2 : 1));
    raw = text::trim(raw);
    std::string value;
    std::vector<uint8_t> bytes;
    if (b64) {
      auto d = kc::base64_decode(raw);
      if (!d) {
        c.warn(at, fmt::format("{}:: value is not valid base64; skipped", name));
        return;
      }
      bytes = *d;
      value.assign(bytes.begin(), bytes.end());
    } else {
      value = std::string(raw);
    }
    if (text::iequals(name, "dn")) {
      flush();
      acct.dn = value;
      entry_line = at;
    } else if (text::iequals(name, kAttr)) {
      values.push_back({value, at});
    } else if (text::iequals(name, "userPrincipalName")) {
      acct.upn = value;
    } else if (text::iequals(name, "sAMAccountName")) {
      acct.sam = value;
    } else if (text::iequals(name, "objectSid")) {
      acct.sid = b64 ? sid_from_binary(bytes) : value;
    }
  };
  text::Lines lines(doc);
  while (auto ln = lines.next()) {
    const std::string_view t = ln->text;
    if (!t.empty() && t[0] == ' ') {
      if (in_comment) continue;
      if (logical.empty()) {
        c.warn(ln->number, "LDIF continuation line without a line to continue; skipped");
        continue;
      }
      logical.append(t.substr(1));
      continue;
    }
    if (!logical.empty()) handle(logical, logical_line);
    logical.clear();
    in_comment = false;
    if (t.empty()) {
      flush();
      continue;
    }
    if (t[0] == '#') {
      in_comment = true;
      continue;
    }
    logical = std::string(t);
    logical_line = ln->number;
  }
  if (!logical.empty()) handle(logical, logical_line);
  flush();
}

// ---- PowerShell Format-List (Get-ADUser, Get-ADKeyCredential | fl) -------------------

struct FlField {
  std::string name;
  std::string value;
  uint64_t line;
  std::vector<std::pair<size_t, uint64_t>> line_at;  // value offset → line
};

uint64_t line_of(const FlField& f, size_t offset) {
  uint64_t line = f.line;
  for (const auto& [off, l] : f.line_at)
    if (off <= offset) line = l;
  return line;
}

void account_from(const std::vector<FlField>& rec, Account& a) {
  for (const auto& f : rec) {
    const std::string v(text::trim(f.value));
    if (text::iequals(f.name, "DistinguishedName"))
      a.dn = v;
    else if (text::iequals(f.name, "UserPrincipalName"))
      a.upn = v;
    else if (text::iequals(f.name, "SamAccountName"))
      a.sam = v;
    else if (text::iequals(f.name, "SID") || text::iequals(f.name, "ObjectSid"))
      a.sid = v;
  }
}

bool is_listing(const std::vector<std::string_view>& names) {
  auto has = [&](std::string_view n) {
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view x) { return text::iequals(x, n); });
  };
  return has("Usage") && (has("Source") || has("DeviceId") || has("Created") ||
                          has("CreationTime") || has("Identifier") || has("KeyId"));
}

void handle_values(Ctx& c, const FlField& f, const Account& acct) {
  bool truncated = false;
  const std::string_view inner = strip_collection(f.value, truncated);
  const size_t base = static_cast<size_t>(inner.data() - f.value.data());
  const auto pieces = split_values(inner);
  if (pieces.empty() && !text::trim(inner).empty())
    c.warn(f.line, fmt::format("{} holds no DN-Binary value: '{}'", kAttr,
                               std::string(text::trim(inner)).substr(0, 60)));
  for (const auto& p : pieces) emit_dn_binary(c, p.text, line_of(f, base + p.offset), acct);
  if (truncated)
    c.warn(f.line, fmt::format("{} list truncated by PowerShell ('...', $FormatEnumerationLimit): "
                               "only the first {} value(s) were read; export with "
                               "$FormatEnumerationLimit=-1, ldifde or ConvertTo-Json",
                               kAttr, pieces.size()));
}

void flush_record(Ctx& c, std::vector<FlField>& rec) {
  if (rec.empty()) return;
  Account acct;
  account_from(rec, acct);
  bool had_attr = false;
  const size_t before = c.emitted;
  for (const auto& f : rec)
    if (text::iequals(f.name, kAttr)) {
      had_attr = true;
      c.format = "powershell-list";
      handle_values(c, f, acct);
    }
  if (had_attr) emit_account(c, acct, rec.front().line, c.emitted - before);
  if (!had_attr) {
    std::vector<std::string_view> names;
    for (const auto& f : rec) names.push_back(f.name);
    if (is_listing(names)) {
      c.format = "dsinternals-list";
      std::vector<std::pair<std::string, std::string>> fields;
      for (const auto& f : rec) fields.emplace_back(f.name, std::string(text::trim(f.value)));
      emit_listing(c, fields, rec.front().line, acct);
    }
  }
  rec.clear();
}

void parse_format_list(Ctx& c, std::string_view doc) {
  std::vector<FlField> rec;
  text::Lines lines(doc);
  while (auto ln = lines.next()) {
    const std::string_view t = ln->text;
    if (text::trim(t).empty()) {
      flush_record(c, rec);
      continue;
    }
    if ((t[0] == ' ' || t[0] == '\t') && !rec.empty()) {
      FlField& f = rec.back();
      f.line_at.emplace_back(f.value.size(), ln->number);
      f.value.append(text::trim(t));
      continue;
    }
    const size_t colon = t.find(':');
    if (colon == std::string_view::npos) continue;  // banners, headers
    std::string name(text::trim(t.substr(0, colon)));
    if (name.empty() || name.find(' ') != std::string::npos) continue;
    rec.push_back({name, std::string(text::trim(t.substr(colon + 1))), ln->number, {}});
  }
  flush_record(c, rec);
}

// ---- Get-ADReplAccount ("Key Credentials" section) ----------------------------------

void parse_repl_account(Ctx& c, std::string_view doc) {
  c.format = "dsinternals-replaccount";
  Account acct;
  bool in_keys = false;
  text::Lines lines(doc);
  while (auto ln = lines.next()) {
    const std::string_view t = ln->text;
    const std::string_view tt = text::trim(t);
    const bool indented = !t.empty() && (t[0] == ' ' || t[0] == '\t');
    if (!indented) {
      in_keys = text::iequals(tt, "Key Credentials") || text::iequals(tt, "Key Credentials:");
      const size_t colon = tt.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view k = text::trim(tt.substr(0, colon));
        const std::string v(text::trim(tt.substr(colon + 1)));
        if (text::iequals(k, "DistinguishedName"))
          acct = Account{v, {}, {}, {}};
        else if (text::iequals(k, "UserPrincipalName"))
          acct.upn = v;
        else if (text::iequals(k, "SamAccountName"))
          acct.sam = v;
        else if (text::iequals(k, "Sid"))
          acct.sid = v;
      }
      continue;
    }
    if (!in_keys || !text::istarts_with(tt, "Usage")) continue;
    // "Usage=NGC, Source=AD, Device=…, Created=…" or "Usage: NGC, Source: AD, …".
    std::vector<std::pair<std::string, std::string>> fields;
    size_t pos = 0;
    while (pos < tt.size()) {
      size_t comma = tt.find(", ", pos);
      if (comma == std::string_view::npos) comma = tt.size();
      const std::string_view part = tt.substr(pos, comma - pos);
      const size_t sep = part.find_first_of("=:");
      if (sep == std::string_view::npos) {
        c.warn(ln->number, fmt::format("key credential part '{}' has no '=' or ':'", part));
      } else {
        fields.emplace_back(std::string(text::trim(part.substr(0, sep))),
                            std::string(text::trim(part.substr(sep + 1))));
      }
      pos = comma + 2;
    }
    emit_listing(c, fields, ln->number, acct);
  }
}

// ---- Get-ADKeyCredential table ------------------------------------------------------

bool parse_table(Ctx& c, std::string_view doc) {
  const auto lines = text::split_lines(doc);
  for (size_t h = 0; h + 1 < lines.size(); ++h) {
    const std::string_view head = lines[h].text;
    const std::string_view dash = lines[h + 1].text;
    if (!text::icontains(head, "Usage") || !text::icontains(head, "Source")) continue;
    if (text::trim(dash).empty() || dash.find_first_not_of("- ") != std::string_view::npos)
      continue;
    // Columns from the dash groups.
    std::vector<std::pair<size_t, std::string>> cols;
    for (size_t i = 0; i < dash.size();) {
      if (dash[i] != '-') {
        ++i;
        continue;
      }
      const size_t start = i;
      while (i < dash.size() && dash[i] == '-') ++i;
      cols.emplace_back(
          start, std::string(text::trim(head.substr(std::min(start, head.size()), i - start))));
    }
    c.format = "dsinternals-table";
    for (size_t r = h + 2; r < lines.size(); ++r) {
      const std::string_view row = lines[r].text;
      if (text::trim(row).empty()) break;
      std::vector<std::pair<std::string, std::string>> fields;
      for (size_t k = 0; k < cols.size(); ++k) {
        const size_t from = cols[k].first;
        const size_t to = k + 1 < cols.size() ? cols[k + 1].first : row.size();
        std::string v =
            from < row.size() ? std::string(text::trim(row.substr(from, to - from))) : "";
        fields.emplace_back(cols[k].second, v);
      }
      emit_listing(c, fields, lines[r].number, Account{});
    }
    return true;
  }
  return false;
}

// ---- CSV (Export-Csv) ---------------------------------------------------------------

// Export-Csv rows; a quoted field left open is warned about and its row kept.
std::vector<text::CsvRow> parse_csv(std::string_view doc, Ctx& c) {
  std::vector<text::CsvRow> rows;
  text::CsvReader reader(doc, {.cr_ends_row = true});
  for (text::CsvRow row; reader.next(row);) {
    if (row.unterminated) c.warn(row.line, "CSV ends inside a quoted field");
    rows.push_back(std::move(row));
  }
  return rows;
}

void parse_csv_doc(Ctx& c, std::string_view doc) {
  c.format = "csv";
  auto rows = parse_csv(doc, c);
  size_t h = 0;
  while (h < rows.size() && !rows[h].fields.empty() && text::istarts_with(rows[h].fields[0], "#"))
    ++h;
  if (h >= rows.size()) return;
  const auto& header = rows[h].fields;
  auto col = [&](std::initializer_list<std::string_view> names) -> int {
    for (size_t i = 0; i < header.size(); ++i)
      for (auto n : names)
        if (text::iequals(text::trim(header[i]), n)) return static_cast<int>(i);
    return -1;
  };
  const int attr = col({kAttr});
  const int dn = col({"DistinguishedName"}), upn = col({"UserPrincipalName"}),
            sam = col({"SamAccountName"}), sid = col({"SID", "ObjectSid"});
  std::vector<std::string_view> names(header.begin(), header.end());
  const bool listing = attr < 0 && is_listing(names);
  if (attr < 0 && !listing) {
    c.warn(rows[h].line, fmt::format("CSV has no {} column", kAttr));
    return;
  }
  for (size_t r = h + 1; r < rows.size(); ++r) {
    const auto& cells = rows[r].fields;
    auto cell = [&](int i) -> std::string {
      return i >= 0 && static_cast<size_t>(i) < cells.size() ? std::string(text::trim(cells[i]))
                                                             : std::string();
    };
    if (cells.size() != header.size())
      c.warn(rows[r].line,
             fmt::format("CSV row has {} cells, the header {}", cells.size(), header.size()));
    Account acct{cell(dn), cell(upn), cell(sam), cell(sid)};
    if (listing) {
      c.format = "dsinternals-csv";
      std::vector<std::pair<std::string, std::string>> fields;
      for (size_t i = 0; i < header.size(); ++i)
        fields.emplace_back(header[i], cell(static_cast<int>(i)));
      emit_listing(c, fields, rows[r].line, acct);
      continue;
    }
    const std::string v = cell(attr);
    if (v.empty()) {
      if (attr >= 0) emit_account(c, acct, rows[r].line, 0);
      continue;
    }
    if (text::icontains(v, "ADPropertyValueCollection")) {
      c.warn(rows[r].line,
             fmt::format("{} cell holds '{}' (the collection's type name), not its values: "
                         "export with @{{n='{}';e={{$_.'{}' -join ';'}}}}",
                         kAttr, v, kAttr, kAttr));
      continue;
    }
    bool truncated = false;
    const std::string_view inner = strip_collection(v, truncated);
    const auto pieces = split_values(inner);
    if (pieces.empty())
      c.warn(rows[r].line, fmt::format("{} cell holds no DN-Binary value", kAttr));
    const size_t before = c.emitted;
    for (const auto& p : pieces) emit_dn_binary(c, p.text, rows[r].line, acct);
    emit_account(c, acct, rows[r].line, c.emitted - before);
    if (truncated)
      c.warn(rows[r].line, fmt::format("{} cell truncated by PowerShell ('...')", kAttr));
  }
}

// ---- JSON (ConvertTo-Json) ----------------------------------------------------------

uint64_t line_at(std::string_view doc, size_t pos) {
  return 1 + static_cast<uint64_t>(std::count(
                 doc.begin(), doc.begin() + static_cast<std::ptrdiff_t>(std::min(pos, doc.size())),
                 '\n'));
}

void parse_json_doc(Ctx& c, std::string_view doc) {
  c.format = "json";
  int depth = 0, max_depth = 0;
  for (char ch : doc) {
    if (ch == '{' || ch == '[') max_depth = std::max(max_depth, ++depth);
    if (ch == '}' || ch == ']') --depth;
  }
  if (max_depth > 64) {
    c.warn(1, "JSON nests deeper than 64 levels; not read");
    return;
  }
  const nlohmann::json j = nlohmann::json::parse(doc, nullptr, false);
  if (j.is_discarded()) {
    c.warn(1, "not valid JSON; not read");
    return;
  }
  size_t search_from = 0;
  auto locate = [&](std::string_view needle) -> uint64_t {
    const std::string_view key = needle.substr(0, 48);
    size_t p = doc.find(key, search_from);
    if (p == std::string_view::npos) p = doc.find(key);
    if (p == std::string_view::npos) return HT_NO_NUMBER;
    search_from = p + key.size();
    return line_at(doc, p);
  };
  auto str = [](const nlohmann::json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number()) return fmt::format("{}", v.get<double>());
    if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
    if (v.is_object()) {
      for (const char* k : {"Value", "value"})
        if (auto it = v.find(k); it != v.end() && it->is_string()) return it->get<std::string>();
    }
    return {};
  };
  auto find = [](const nlohmann::json& o, std::string_view name) -> const nlohmann::json* {
    for (auto it = o.begin(); it != o.end(); ++it)
      if (text::iequals(it.key(), name)) return &it.value();
    return nullptr;
  };
  std::vector<const nlohmann::json*> objects;
  if (j.is_array()) {
    for (const auto& o : j)
      if (o.is_object()) objects.push_back(&o);
  } else if (j.is_object()) {
    objects.push_back(&j);
  }
  for (const nlohmann::json* o : objects) {
    Account acct;
    for (auto [name, out] :
         {std::pair<std::string_view, std::string*>{"DistinguishedName", &acct.dn},
          {"UserPrincipalName", &acct.upn},
          {"SamAccountName", &acct.sam},
          {"SID", &acct.sid},
          {"ObjectSid", &acct.sid}})
      if (const auto* v = find(*o, name); v && out->empty()) *out = str(*v);
    const nlohmann::json* attr = find(*o, kAttr);
    if (!attr) {
      std::vector<std::string> keys;
      for (auto it = o->begin(); it != o->end(); ++it) keys.push_back(it.key());
      std::vector<std::string_view> names(keys.begin(), keys.end());
      if (!is_listing(names)) continue;
      c.format = "dsinternals-json";
      std::vector<std::pair<std::string, std::string>> fields;
      for (auto it = o->begin(); it != o->end(); ++it) {
        std::string v = str(it.value());
        if (text::iequals(it.key(), "Usage") && it->is_number_integer())
          v = kc::usage_name(static_cast<uint8_t>(it->get<int64_t>()));
        if (text::iequals(it.key(), "Source") && it->is_number_integer())
          v = kc::source_name(static_cast<uint8_t>(it->get<int64_t>()));
        fields.emplace_back(it.key(), v);
      }
      const std::string first = fields.empty() ? "" : "\"" + fields.front().first + "\"";
      emit_listing(c, fields, locate(first), acct);
      continue;
    }
    std::vector<std::string> values;
    const nlohmann::json* list = attr;
    if (attr->is_object()) {
      for (const char* k : {"Value", "value"})
        if (auto it = attr->find(k); it != attr->end()) list = &*it;
    }
    if (list->is_string()) {
      for (const auto& p : split_values(list->get_ref<const std::string&>()))
        values.emplace_back(p.text);
    } else if (list->is_array()) {
      for (const auto& v : *list)
        if (v.is_string()) values.push_back(v.get<std::string>());
    }
    const size_t before = c.emitted;
    for (const auto& v : values) emit_dn_binary(c, v, locate(v), acct);
    emit_account(c, acct, locate(acct.dn.empty() ? std::string("{") : acct.dn), c.emitted - before);
  }
}

// ---- dispatch ---------------------------------------------------------------------

bool starts_dn_binary(std::string_view t) {
  t = text::trim(t);
  return t.size() > 3 && value_starts_at(t, 0);
}

class KeyCred final : public hellotrace::sdk::Plugin {
 public:
  explicit KeyCred(const nlohmann::json&) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    const std::string t = text::decode(prefix);
    int score = 0;
    if (text::icontains(t, kAttr))
      score = 90;
    else if (text::icontains(t, "Key Credentials") &&
             (text::icontains(t, "Usage=") || text::icontains(t, "Usage:")))
      score = 70;
    else {
      const std::string_view first = text::trim(std::string_view(t).substr(0, t.find('\n')));
      if (starts_dn_binary(first))
        score = 80;
      else if (text::icontains(t, "Usage") && text::icontains(t, "Source") &&
               (text::icontains(t, "DeviceId") || text::icontains(t, "HolderDN") ||
                text::icontains(t, "Owner")) &&
               (text::icontains(t, "Created") || text::icontains(t, "CreationTime")))
        score = 60;
    }
    if (text::icontains(name, "keycred")) score = score ? std::min(100, score + 10) : 20;
    return score;
  }

  void parse(const Source& src, EventSink& out) const override {
    const std::string doc = text::decode_reporting(src.data, out);
    Ctx c{out, {}, "", false, 0};
    if (src.options.is_object()) {
      if (auto it = src.options.find("timezone"); it != src.options.end() && it->is_string()) {
        const std::string tz = it->get<std::string>();
        if (auto off = htime::parse_offset(tz, kTimezoneSyntax)) {
          c.zone.offset = *off;
          c.zone.name = tz;
        } else {
          out.warning({}, fmt::format("option timezone '{}' not understood (use UTC or an offset "
                                      "like +03:00); UTC assumed",
                                      tz));
        }
      }
    }
    // The day/month order of the file's dates, from all of them (a value above 12 settles
    // it); said when it had to be assumed.
    {
      text::DateOrderInference dates;
      for (const auto& l : text::split_lines(doc)) {
        std::string_view t = l.text;
        for (size_t cut; !t.empty();
             t.remove_prefix(cut == std::string_view::npos ? t.size() : cut + 1)) {
          cut = t.find_first_of(",;\"\t");
          const std::string_view piece = t.substr(0, cut);
          const size_t colon = piece.find(" : ");
          dates.observe(colon == std::string_view::npos ? piece : piece.substr(colon + 3),
                        l.number);
        }
      }
      std::optional<text::DateOrder> forced;
      if (auto it = src.options.find("date_order");
          src.options.is_object() && it != src.options.end() && it->is_string())
        forced = text::parse_date_order(it->get<std::string>());
      const auto decision = dates.decide(forced);
      c.zone.order = decision.order;
      if (!decision.note.empty()) out.info({}, decision.note);
    }
    // First meaningful line decides the shape.
    std::string_view first;
    uint64_t first_line = 0;
    bool repl = false;
    for (const auto& l : text::split_lines(doc)) {
      const std::string_view t = text::trim(l.text);
      if (t.empty()) continue;
      if (first.empty() && t[0] != '#') {
        first = t;
        first_line = l.number;
      }
      if (text::iequals(t, "Key Credentials") || text::iequals(t, "Key Credentials:")) repl = true;
    }
    if (first.empty()) return;
    if (text::istarts_with(first, "dn:") || text::istarts_with(first, "version:")) {
      parse_ldif(c, doc);
    } else if (first[0] == '{' || first[0] == '[') {
      parse_json_doc(c, doc);
    } else if (first[0] == '"' || text::istarts_with(text::trim(doc), "#TYPE")) {
      parse_csv_doc(c, doc);
    } else if (starts_dn_binary(first)) {
      c.format = "dnbinary";
      for (const auto& l : text::split_lines(doc)) {
        const std::string_view t = text::trim(l.text);
        if (t.empty() || t[0] == '#') continue;
        emit_dn_binary(c, t, l.number, Account{});
      }
    } else if (repl) {
      parse_repl_account(c, doc);
    } else if (!parse_table(c, doc)) {
      c.format = "powershell-list";
      parse_format_list(c, doc);
    }
    if (c.emitted == 0 && out.problems() == 0) {
      Position p;
      p.line = first_line;
      out.info(p, "no msDS-KeyCredentialLink value or key credential listing found");
    }
  }
};

}  // namespace

HT_DEFINE_PLUGIN(keycred, KeyCred,
                 ({"keycred",
                   "1.0.0",
                   "msDS-KeyCredentialLink exports (ldifde, Get-ADUser list/CSV/JSON, DSInternals "
                   "listings) with KEYCREDENTIALLINK_BLOB decoding, integrity and ROCA checks",
                   HT_CAP_PARSE,
                   {"ldif", "powershell-list", "csv", "json", "dnbinary", "dsinternals"},
                   {"ad.key_credential", "ad.user"}}))
