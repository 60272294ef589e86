#include "dsregcmd_parser.hpp"

#include <array>
#include <cstddef>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <string>
#include <unordered_set>
#include <vector>

namespace hellotrace::dsregcmd {
namespace {

using text::iequals;
using text::istarts_with;

// A field line at least this long may have been wrapped by the console (dsregcmd writes
// long values, e.g. "Auto Detect PAC Status", across the console width).
constexpr size_t kWrapMin = 70;
constexpr size_t kNoColumn = static_cast<size_t>(-1);

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Trailing spaces, tabs and no-break spaces (U+00A0) off.
std::string_view rtrim(std::string_view s) {
  for (;;) {
    if (!s.empty() && is_blank_char(s.back())) {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && static_cast<uint8_t>(s[s.size() - 2]) == 0xC2 &&
               static_cast<uint8_t>(s.back()) == 0xA0) {
      s.remove_suffix(2);
    } else {
      return s;
    }
  }
}

// text::trim() drops spaces, then no-break spaces, but not spaces after a no-break space
// (" \u00A0 Key"); pasted console text mixes them, so trim until nothing changes.
std::string_view trim(std::string_view s) {
  for (;;) {
    const std::string_view t = text::trim(s);
    if (t.size() == s.size()) return t;
    s = t;
  }
}

size_t indentation(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Keys are English identifiers or short phrases: "AzureAdJoined", "Device Name",
// "Auto-Configuration URL", "Token acquisition Test", "Fallback to Sync-Join".
bool key_like(std::string_view k) {
  if (k.empty() || k.size() > 48 || !is_letter(k.front())) return false;
  size_t words = 1;
  for (size_t i = 0; i < k.size(); ++i) {
    const char c = k[i];
    if (is_letter(c) || is_digit(c) || c == '-' || c == '_' || c == '(' || c == ')' || c == '/')
      continue;
    if (c == ' ') {
      if (i + 1 < k.size() && k[i + 1] == ' ') return false;
      ++words;
      continue;
    }
    return false;
  }
  return words <= 6;
}

bool is_border(std::string_view t) {
  if (t.size() < 5 || t.front() != '+') return false;
  size_t dashes = 0;
  for (size_t i = 1; i < t.size(); ++i) {
    if (t[i] == '-') {
      ++dashes;
    } else if (!(t[i] == '+' && i + 1 == t.size())) {
      return false;
    }
  }
  return dashes >= 4;
}

constexpr std::array<std::string_view, 11> kKnownTitles = {
    "Device State",
    "Device Details",
    "Tenant Details",
    "User State",
    "SSO State",
    "Diagnostic Data",
    "IE Proxy Config for System Account",
    "IE Proxy Config for Current User",
    "URL Specific Proxy Config",
    "WinHttp Default Proxy Config",
    "Ngc Prerequisite Check",
};

bool is_work_account_title(std::string_view t) {
  if (!istarts_with(t, "Work Account")) return false;
  std::string_view rest = trim(t.substr(12));
  if (rest.empty()) return false;
  for (char c : rest)
    if (!is_digit(c)) return false;
  return true;
}

bool is_known_title(std::string_view t) {
  for (std::string_view k : kKnownTitles)
    if (iequals(t, k)) return true;
  return is_work_account_title(t);
}

// Where a key seen outside any section box belongs (pasted fragments without boxes).
std::optional<std::string_view> implied_title(std::string_view key) {
  struct Entry {
    std::string_view key, title;
  };
  static constexpr Entry kMap[] = {
      {"AzureAdJoined", "Device State"},
      {"EnterpriseJoined", "Device State"},
      {"DomainJoined", "Device State"},
      {"DeviceId", "Device Details"},
      {"DeviceAuthStatus", "Device Details"},
      {"TenantName", "Tenant Details"},
      {"TenantId", "Tenant Details"},
      {"NgcSet", "User State"},
      {"NgcKeyId", "User State"},
      {"WorkplaceJoined", "User State"},
      {"AzureAdPrt", "SSO State"},
      {"Diagnostics Reference", "Diagnostic Data"},
      {"User Context", "Diagnostic Data"},
      {"Client Time", "Diagnostic Data"},
      {"AD Connectivity Test", "Diagnostic Data"},
      {"Previous Registration", "Diagnostic Data"},
      {"AadRecoveryEnabled", "Diagnostic Data"},
      {"IsDeviceJoined", "Ngc Prerequisite Check"},
      {"IsUserAzureAD", "Ngc Prerequisite Check"},
      {"NgcPreReq", "Ngc Prerequisite Check"},
      {"PreReqResult", "Ngc Prerequisite Check"},
  };
  for (const Entry& e : kMap)
    if (iequals(key, e.key)) return e.title;
  return std::nullopt;
}

// Keys that tell a dsregcmd output apart from other `key : value` text.
constexpr std::array<std::string_view, 30> kSniffKeys = {
    "AzureAdJoined",
    "EnterpriseJoined",
    "DomainJoined",
    "DeviceId",
    "KeyContainerId",
    "TpmProtected",
    "DeviceAuthStatus",
    "DeviceCertificateValidity",
    "TenantId",
    "JoinSrvUrl",
    "KeySrvUrl",
    "NgcSet",
    "NgcKeyId",
    "WorkplaceJoined",
    "WamDefaultSet",
    "AzureAdPrt",
    "EnterprisePrt",
    "PreReqResult",
    "IsDeviceJoined",
    "IsUserAzureAD",
    "PolicyEnabled",
    "PostLogonEnabled",
    "SessionIsNotRemote",
    "DeviceEligible",
    "KeySignTest",
    "AadRecoveryEnabled",
    "AD Connectivity Test",
    "DRS Discovery Test",
    "WorkplaceTenantId",
    "AzureAdPrtAuthority",
};

bool is_prompt(std::string_view t) {
  // "PS C:\Users\jdoe> dsregcmd /status", "C:\Windows\system32>dsregcmd /status".
  if (t.size() >= 4 && t.substr(0, 3) == "PS " && t.find('>') != std::string_view::npos)
    return true;
  if (t.size() >= 4 && is_letter(t[0]) && t[1] == ':' && t[2] == '\\' &&
      t.find('>') != std::string_view::npos)
    return true;
  return text::icontains(t, "dsregcmd");
}

bool is_trailer(std::string_view t) { return istarts_with(t, "For more information"); }

std::optional<std::string> normalized_guid(std::string_view v) {
  // "{ 3B9F… }" and "{3B9F…} (AzureAd)"-like values: only the GUID counts.
  std::string_view s = trim(v);
  if (const size_t close = s.find('}'); !s.empty() && s.front() == '{' && close != s.npos)
    s = s.substr(0, close + 1);
  return text::normalize_guid(s);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "CONTOSO\jdoe, jdoe@contoso.com" → sam, upn. Machine accounts (…$) and SYSTEM are not
// users: they are skipped.
void split_account(std::string_view value, std::string& sam, std::string& upn) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == value.npos) comma = value.size();
    const std::string_view part = trim(value.substr(start, comma - start));
    start = comma + 1;
    if (part.empty() || part.find(' ') != part.npos) continue;
    const size_t at = part.find('@');
    const std::string_view local = at == part.npos ? part : part.substr(0, at);
    if (ends_with(local, "$") || iequals(part, "SYSTEM") || text::icontains(part, "\\SYSTEM"))
      continue;
    if (at != part.npos && part.find('\\') == part.npos) {
      if (upn.empty()) upn = std::string(part);
    } else if (at == part.npos) {
      if (sam.empty()) sam = std::string(part);
    }
  }
}

struct RawField {
  std::string key, value;
  uint64_t line;
};

struct Section {
  std::string title;
  uint64_t line = 0;
  std::vector<RawField> fields;
  // For console-wrap detection.
  size_t colon_column = kNoColumn;
  size_t last_indent = 0;
  size_t last_length = 0;
  bool last_was_field = false;
};

enum class State { kOutside, kHeader, kTitle, kBody };
enum class LineKind { kNone, kBorder, kTitle, kField, kText, kPrompt };

class Parser {
 public:
  Parser(std::string_view path, Output& out) : path_(path), out_(out) {}

  void line(std::string_view raw, uint64_t number) {
    const std::string_view rt = rtrim(raw);
    const size_t indent = indentation(rt);
    const std::string_view t = trim(rt);
    if (t.empty()) {
      if (state_ == State::kBody) current().last_was_field = false;
      return;
    }
    last_line_ = number;
    last_text_ = t;
    if (is_border(t)) {
      last_kind_ = LineKind::kBorder;
      if (state_ == State::kTitle) {
        state_ = State::kBody;
      } else {
        state_ = State::kHeader;
      }
      return;
    }
    if (const auto title = parse_title_line(t)) {
      last_kind_ = LineKind::kTitle;
      open_section(*title, number);
      state_ = State::kTitle;
      return;
    }
    const auto field = parse_field_line(rt);
    // A wrapped value's tail is either no field at all or, by chance, `words: more` with
    // its colon out of the key column; a real `Key : Value` line never continues a value.
    if (state_ == State::kBody && !(field && field->spaced) &&
        continues(indent, field ? field->colon_column : kNoColumn, rt.size())) {
      last_kind_ = LineKind::kField;
      current().fields.back().value += sanitize(t);
      return;
    }
    if (field) {
      last_kind_ = LineKind::kField;
      if (state_ == State::kTitle) state_ = State::kBody;
      if (state_ != State::kBody) {
        const auto implied = implied_title(field->key);
        if (!implied) return;  // `key : value` text outside the output
        open_section(*implied, number);
        state_ = State::kBody;
      }
      Section& s = current();
      s.fields.push_back({sanitize(field->key), sanitize(field->value), number});
      s.colon_column = field->colon_column;
      s.last_indent = indent;
      s.last_length = rt.size();
      s.last_was_field = true;
      return;
    }
    if (is_prompt(t)) {
      last_kind_ = LineKind::kPrompt;
      pending_new_run_ = !run_.empty();
      state_ = State::kOutside;
      return;
    }
    if (is_trailer(t)) {
      last_kind_ = LineKind::kPrompt;
      pending_new_run_ = !run_.empty();
      state_ = State::kOutside;
      return;
    }
    if (is_known_title(t)) {
      // A section title pasted without its box.
      last_kind_ = LineKind::kTitle;
      open_section(t, number);
      state_ = State::kTitle;
      return;
    }
    last_kind_ = LineKind::kText;
    if (state_ == State::kBody) current().last_was_field = false;
  }

  void finish(bool ends_with_line_break) {
    if (!run_.empty() && state_ != State::kOutside) {
      const Section& s = current();
      if (state_ == State::kTitle) {
        warn(s.line, "output cut short after the header of section '" + s.title + "'");
      } else if (state_ == State::kHeader && last_kind_ == LineKind::kBorder &&
                 !ends_with_line_break && last_text_.back() != '+') {
        warn(last_line_, "output cut short inside a section box");
      } else if (state_ == State::kBody) {
        if (s.fields.empty()) {
          warn(s.line, "section '" + s.title + "' has no fields: output cut short");
        } else if (last_kind_ == LineKind::kText && key_like(last_text_)) {
          warn(last_line_, "incomplete line '" + sanitize(last_text_) + "': output cut short");
        } else if (last_kind_ == LineKind::kField && !ends_with_line_break) {
          warn(last_line_, "output ends inside field '" + s.fields.back().key +
                               "' (no line break): its value may be cut short");
        }
        if (iequals(s.title, "Ngc Prerequisite Check") && !s.fields.empty() &&
            !has_key(s, "PreReqResult"))
          warn(s.line, "section 'Ngc Prerequisite Check' has no PreReqResult: output cut short");
      }
    }
    finish_run();
    if (runs_ == 0)
      out_.diagnose(HT_DIAG_ERROR, 0,
                    "no dsregcmd /status output found in '" + sanitize(path_) + "'");
  }

 private:
  static std::string sanitize(std::string_view s) { return text::sanitize_utf8(s); }

  static bool has_key(const Section& s, std::string_view key) {
    for (const RawField& f : s.fields)
      if (iequals(f.key, key)) return true;
    return false;
  }

  Section& current() { return run_.back(); }

  bool continues(size_t indent, size_t colon_column, size_t length) {
    (void)length;
    if (run_.empty()) return false;
    Section& s = current();
    if (!s.last_was_field || s.fields.empty() || s.last_length < kWrapMin) return false;
    if (indent >= s.last_indent || colon_column == s.colon_column) return false;
    s.last_length = length;  // a value may wrap more than once
    return true;
  }

  void warn(uint64_t line, const std::string& message) {
    out_.diagnose(HT_DIAG_WARNING, line, message);
  }

  void open_section(std::string_view title, uint64_t line) {
    std::string key = text::to_lower(title);
    if (!run_.empty() && (pending_new_run_ || titles_.count(key) != 0 || key == "device state"))
      finish_run();
    pending_new_run_ = false;
    titles_.insert(std::move(key));
    Section s;
    s.title = sanitize(title);
    s.line = line;
    run_.push_back(std::move(s));
  }

  const RawField* find(std::string_view key) const {
    for (const Section& s : run_)
      for (const RawField& f : s.fields)
        if (iequals(f.key, key)) return &f;
    return nullptr;
  }

  void finish_run() {
    if (run_.empty()) return;
    ++runs_;
    Subject subject;
    if (const RawField* f = find("Device Name")) subject.device_name = f->value;
    if (const RawField* f = find("DeviceId"))
      subject.device_id = normalized_guid(f->value).value_or("");
    if (const RawField* f = find("TenantId"))
      subject.tenant_id = normalized_guid(f->value).value_or("");
    if (subject.tenant_id.empty())
      if (const RawField* f = find("WorkplaceTenantId"))
        subject.tenant_id = normalized_guid(f->value).value_or("");
    if (const RawField* f = find("NgcKeyId")) {
      const auto guid = normalized_guid(f->value);
      subject.ngc_key_id = guid ? *guid : f->value;
    }
    if (const RawField* f = find("Executing Account Name"))
      split_account(f->value, subject.user_sam, subject.user_upn);
    for (const Section& s : run_)
      for (const RawField& f : s.fields)
        if (subject.user_sid.empty() && text::icontains(f.key, "sid") &&
            istarts_with(f.value, "S-1-"))
          subject.user_sid = f.value;

    int64_t when = HT_NO_TIME;
    if (const RawField* f = find("Client Time")) {
      if (const auto t = time::parse_iso(f->value, true))
        when = *t;
      else
        warn(f->line, "Client Time '" + f->value + "' is not a time; events of run " +
                          std::to_string(runs_) + " carry no time");
    }

    std::vector<Section> sections = std::move(run_);
    run_.clear();
    titles_.clear();
    const std::string run_number = std::to_string(runs_);
    // The fields move into the events: a value may be a 1 GB line (the host caps it).
    for (Section& s : sections) {
      Event e;
      e.time = when;
      e.kind = std::string(kind_for_title(s.title));
      e.subject = subject;
      e.origin.line = s.line;
      e.fields.reserve(s.fields.size() + 2);
      e.add("section", s.title);
      e.add("run", run_number);
      for (RawField& f : s.fields) e.add(std::move(f.key), std::move(f.value));
      out_.event(e);
    }
  }

  std::string_view path_;
  Output& out_;
  std::vector<Section> run_;
  std::unordered_set<std::string> titles_;  // lower-case titles of the sections in run_
  State state_ = State::kOutside;
  bool pending_new_run_ = false;
  int runs_ = 0;
  uint64_t last_line_ = 0;
  std::string_view last_text_;
  LineKind last_kind_ = LineKind::kNone;
};

}  // namespace

std::optional<FieldLine> parse_field_line(std::string_view line) {
  const size_t start = indentation(line);
  const std::string_view t = rtrim(line.substr(start));
  size_t colon = t.find(':');
  if (colon == t.npos) return std::nullopt;
  // The separator is followed by a space, another colon or the end of the line; a colon
  // inside a word ("C:\Users", "https:") is not one.
  if (colon + 1 < t.size() && t[colon + 1] != ' ' && t[colon + 1] != '\t' && t[colon + 1] != ':' &&
      t.substr(colon + 1, 2) != "\xC2\xA0")
    return std::nullopt;
  std::string_view key = trim(t.substr(0, colon));
  if (!key_like(key)) return std::nullopt;
  std::string_view value = t.substr(colon + 1);
  for (;;) {
    value = trim(value);
    if (value.empty() || value.front() != ':') break;
    value.remove_prefix(1);  // "KeySignTest: : PASSED", "KeySignTest:: …"
  }
  const bool spaced = colon > 0 && (t[colon - 1] == ' ' || t[colon - 1] == '\t');
  return FieldLine{key, value, start + colon, spaced};
}

std::optional<std::string_view> parse_title_line(std::string_view t) {
  if (t.size() < 3 || t.front() != '|') return std::nullopt;
  std::string_view inner = t.substr(1);
  if (!inner.empty() && inner.back() == '|') inner.remove_suffix(1);
  inner = trim(inner);
  // Markdown tables ("| AzureAdJoined | EnterpriseJoined |") are not titles.
  if (inner.empty() || inner.size() > 80 || inner.find('|') != inner.npos) return std::nullopt;
  bool letter = false;
  for (char c : inner) letter = letter || is_letter(c);
  if (!letter || inner.find(':') != inner.npos) return std::nullopt;
  return inner;
}

std::string_view kind_for_title(std::string_view t) {
  if (iequals(t, "Device State")) return "device.state";
  if (iequals(t, "Device Details")) return "device.details";
  if (iequals(t, "Tenant Details")) return "tenant.details";
  if (iequals(t, "User State")) return "user.state";
  if (iequals(t, "SSO State")) return "sso.state";
  if (iequals(t, "Diagnostic Data")) return "device.diagnostics";
  if (iequals(t, "Ngc Prerequisite Check")) return "prereq.check";
  if (text::icontains(t, "Proxy Config")) return "proxy.config";
  if (is_work_account_title(t)) return "work_account";
  return "dsregcmd.section";
}

int sniff(std::span<const uint8_t> prefix, std::string_view name) {
  const std::string decoded = text::decode(prefix);
  text::Lines lines(decoded);
  int titles = 0;
  uint32_t seen = 0;  // bit per kSniffKeys entry
  while (auto l = lines.next()) {
    const std::string_view t = trim(l->text);
    if (t.empty()) continue;
    if (const auto title = parse_title_line(t)) {
      if (is_known_title(*title)) ++titles;
      continue;
    }
    if (const auto f = parse_field_line(l->text)) {
      for (size_t i = 0; i < kSniffKeys.size(); ++i)
        if (iequals(f->key, kSniffKeys[i])) seen |= 1u << i;
    }
  }
  int keys = 0;
  for (uint32_t b = seen; b; b &= b - 1) ++keys;
  int score = 0;
  if (titles > 0 && keys > 0)
    score = 97;
  else if (titles > 0)
    score = 90;
  else if (keys >= 3)
    score = 90;
  else if (keys == 2)
    score = 60;
  else if (keys == 1)
    score = 25;
  if (score > 0 && istarts_with(name, "dsreg")) score += 3;
  return score > 100 ? 100 : score;
}

void parse_text(std::string_view text, std::string_view path, Output& out) {
  Parser parser(path, out);
  text::Lines lines(text);
  while (auto l = lines.next()) parser.line(l->text, l->number);
  parser.finish(!text.empty() && text.back() == '\n');
}

}  // namespace hellotrace::dsregcmd
