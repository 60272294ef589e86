#include "engine/rules.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <fstream>
#include <hellotrace/text/text.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace hellotrace::host {

std::string RuleProblem::text() const {
  return line ? fmt::format("{}:{}: {}", file, line, message)
              : fmt::format("{}: {}", file, message);
}

// Line of the first occurrence of `"id": "<id>"` (or of the id string) in the text.
// `after`: where to start looking.
static size_t line_of(std::string_view text, std::string_view needle, size_t after = 0) {
  const size_t at = text.find(needle, std::min(after, text.size()));
  if (at == std::string_view::npos) return 0;
  return static_cast<size_t>(std::count(text.begin(), text.begin() + at, '\n')) + 1;
}

static std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

std::string normalize_code(std::string_view code) {
  std::string_view v = text::trim(code);
  const bool negative = !v.empty() && v[0] == '-';
  if (negative) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && end == v.data() + v.size() && n >= INT32_MIN)
      return fmt::format("0x{:08x}", static_cast<uint32_t>(static_cast<int32_t>(n)));
    return text::to_lower(v);
  }
  std::string_view digits = v;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
    digits.remove_prefix(2);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, 16);
  // Hex as events write it (0x801c03f2, 801C03F2, 0x0000003E); a decimal without 0x that
  // is not also hex-shaped stays text.
  if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
      n <= UINT32_MAX && (digits.size() != v.size() || digits.size() == 8))
    return fmt::format("0x{:08x}", n);
  return text::to_lower(v);
}

// Parses {"Field": "RE2 pattern", …} (a matcher's "fields" or "unless") into `out`.
static void parse_conditions(const json& value, std::vector<FieldCondition>& out,
                             std::vector<std::string>& bad, std::string_view key) {
  if (!value.is_object()) {
    bad.push_back(fmt::format("\"{}\" must map field names to RE2 patterns", key));
    return;
  }
  for (const auto& [field, pattern] : value.items()) {
    if (!pattern.is_string()) {
      bad.push_back(fmt::format("pattern of field \"{}\" must be a string", field));
      continue;
    }
    auto re = std::make_shared<RE2>(pattern.get<std::string>(), RE2::Quiet);
    if (!re->ok())
      bad.push_back(fmt::format("pattern of field \"{}\" is not a valid RE2 pattern: {}", field,
                                re->error()));
    else
      out.push_back({field, std::move(re)});
  }
}

// Parses "match"-grammar entries (an object or an array of objects) into `out`.
static void parse_matchers(const json& m, std::vector<Matcher>& out, std::vector<std::string>& bad,
                           std::string_view where) {
  std::vector<json> matchers;
  if (m.is_array())
    matchers.assign(m.begin(), m.end());
  else if (m.is_object())
    matchers.push_back(m);
  else
    bad.push_back(fmt::format("\"{}\" must be an object or an array of objects", where));
  for (const json& mj : matchers) {
    Matcher matcher;
    if (!mj.is_object()) {
      bad.push_back(fmt::format("each \"{}\" entry must be an object", where));
      continue;
    }
    for (const auto& [key, value] : mj.items()) {
      if (key == "kind")
        matcher.kinds = strings_of(value);
      else if (key == "source")
        matcher.sources = strings_of(value);
      else if (key == "event_id") {
        if (value.is_number_integer())
          matcher.event_ids.push_back(value.get<int64_t>());
        else if (value.is_array())
          for (const auto& x : value)
            if (x.is_number_integer())
              matcher.event_ids.push_back(x.get<int64_t>());
            else
              bad.push_back("\"event_id\" entries must be integers");
        else
          bad.push_back("\"event_id\" must be an integer or an array of integers");
      } else if (key == "fields" || key == "unless") {
        parse_conditions(value, key == "fields" ? matcher.all : matcher.none, bad, key);
      } else if (key == "subject") {
        static const std::set<std::string, std::less<>> kFacts = {
            "user_sid", "user_upn", "user_dn", "user_sam", "device_name", "device_id"};
        if (!(value.is_string() || value.is_array()))
          bad.push_back("\"subject\" must be a fact name or an array of them");
        for (std::string& fact : strings_of(value)) {
          if (!kFacts.count(fact))
            bad.push_back(fmt::format(
                "\"subject\" names \"{}\", not one of user_sid, user_upn, user_dn, user_sam, "
                "device_name, device_id",
                fact));
          else
            matcher.subject.push_back(std::move(fact));
        }
      } else {
        bad.push_back(fmt::format("unknown key \"{}\" in \"{}\"", key, where));
      }
    }
    out.push_back(std::move(matcher));
  }
}

void RuleSet::load(const fs::path& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      const auto ext = e.path().extension();
      if (ext == ".json" || ext == ".jsonc") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      problems_.push_back({f.string(), 0, "cannot be read"});
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    load_text(ss.str(), f.string());
  }
}

// nlohmann::json copies and destroys values recursively: a document nested 100,000
// deep overflows the stack. Rule files are a few levels deep (rules → match → fields),
// so anything deeper than this is refused before parsing.
constexpr size_t kMaxRuleDepth = 64;

// Calls on_token(c, line, string) for every token of JSON-with-comments text: c is the
// first character ('"' for a string, whose content is `string`), skipping white space and
// comments (// and /* */). Enough structure to find lines; json::parse checks the rest.
template <class OnToken>
static void scan_tokens(std::string_view text, OnToken&& on_token) {
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n') {
      ++line;
    } else if (c == ' ' || c == '\t' || c == '\r') {
    } else if (c == '"') {
      const size_t at = line, start = i + 1;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\')
          ++i;
        else if (text[i] == '\n')
          ++line;
      }
      on_token(c, at, text.substr(start, std::min(i, text.size()) - start));
    } else if (c == '/' && next == '/') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '/' && next == '*') {
      for (i += 2;
           i < text.size() && !(text[i] == '*' && i + 1 < text.size() && text[i + 1] == '/'); ++i)
        line += text[i] == '\n';
      ++i;
    } else {
      on_token(c, line, std::string_view());
    }
  }
}

// The line where the nesting of arrays and objects first exceeds `limit`, or 0.
// Strings and comments do not count.
static size_t line_beyond_depth(std::string_view text, size_t limit) {
  size_t depth = 0, beyond = 0;
  scan_tokens(text, [&](char c, size_t line, std::string_view) {
    if (c == '[' || c == '{') {
      if (++depth > limit && !beyond) beyond = line;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  });
  return beyond;
}

// The lines where the elements of the top-level `"key": [ … ]` begin, in order (json
// values carry no position; a phase signal's problem names its line by this).
static std::vector<size_t> element_lines(std::string_view text, std::string_view key) {
  std::vector<size_t> lines;
  size_t depth = 0, array = 0;  // array: depth inside the wanted array, 0 outside
  bool after_key = false, want_element = false;
  scan_tokens(text, [&](char c, size_t line, std::string_view string) {
    if (array && depth == array && want_element && c != ']') {
      lines.push_back(line);
      want_element = false;
    }
    const bool was_key = after_key;
    after_key = false;
    if (c == '"') {
      after_key = depth == 1 && string == key;
    } else if (c == ':') {
      after_key = was_key;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (c == '[' && was_key && depth == 2) array = 2, want_element = true;
    } else if (c == ']' || c == '}') {
      if (array && depth == array) array = 0;
      if (depth) --depth;
    } else if (c == ',') {
      want_element = array && depth == array;
    }
  });
  return lines;
}

void RuleSet::load_phases(const json& list, std::string_view text, const std::string& file) {
  if (!list.is_array()) {
    problems_.push_back({file, line_of(text, "\"phases\""),
                         "\"phases\" must be an array of {\"phase\", \"state\", \"match\", "
                         "\"note\"} objects"});
    return;
  }
  const std::vector<size_t> lines = element_lines(text, "phases");
  for (size_t i = 0; i < list.size(); ++i) {
    const json& j = list[i];
    PhaseRule rule;
    rule.file = file;
    rule.line = i < lines.size() ? lines[i] : line_of(text, "\"phases\"");
    std::vector<std::string> bad;
    if (!j.is_object()) {
      problems_.push_back(
          {file, rule.line, fmt::format("phase signal #{} is not an object", i + 1)});
      continue;
    }
    auto text_of = [&](const char* key) -> std::string {
      if (!j.contains(key) || !j[key].is_string()) {
        bad.push_back(fmt::format("needs \"{}\" (a string)", key));
        return {};
      }
      return j[key].get<std::string>();
    };
    const std::string phase = text_of("phase"), state = text_of("state");
    rule.note = text_of("note");
    if (auto p = phase_from_name(phase))
      rule.phase = *p;
    else if (!phase.empty())
      bad.push_back(
          fmt::format("\"{}\" is not a phase (policy, device_joined, prt, "
                      "prerequisites, provisioning, key_registered, sync_cycle, "
                      "key_in_ad, onprem_signin)",
                      phase));
    if (auto st = phase_state_from_name(state))
      rule.state = *st;
    else if (!state.empty())
      bad.push_back(fmt::format("state \"{}\" is not done, failed or pending", state));
    if (j.contains("match"))
      parse_matchers(j["match"], rule.match, bad, "match");
    else
      bad.push_back("missing \"match\" (an object or an array of objects)");
    for (const auto& [key, value] : j.items())
      if (key != "phase" && key != "state" && key != "match" && key != "note" &&
          key != "description")
        bad.push_back(fmt::format("unknown key \"{}\"", key));
    if (!bad.empty()) {
      for (const auto& b : bad)
        problems_.push_back({file, rule.line, fmt::format("phase signal #{}: {}", i + 1, b)});
      continue;
    }
    phases_.push_back(std::move(rule));
  }
}

void RuleSet::load_summaries(const json& map, std::string_view text, const std::string& file) {
  if (!map.is_object()) {
    problems_.push_back({file, line_of(text, "\"summaries\""),
                         "\"summaries\" must map event kinds to arrays of field names"});
    return;
  }
  for (const auto& [kind, fields] : map.items()) {
    const bool names =
        fields.is_array() &&
        std::all_of(fields.begin(), fields.end(), [](const json& f) { return f.is_string(); });
    if (!names) {
      problems_.push_back({file, line_of(text, "\"" + kind + "\"", text.find("\"summaries\"")),
                           fmt::format("summary of \"{}\" must be an array of field names", kind)});
      continue;
    }
    summaries_[kind] = strings_of(fields);  // a later file (--rules) may replace a kind's
  }
}

void RuleSet::load_text(std::string_view text, const std::string& file) {
  if (const size_t line = line_beyond_depth(text, kMaxRuleDepth)) {
    problems_.push_back({file, line,
                         fmt::format("nested more than {} levels deep; a rule file is a few levels "
                                     "deep (not read)",
                                     kMaxRuleDepth)});
    return;
  }
  json doc;
  try {
    doc = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    const size_t byte = e.byte ? e.byte - 1 : 0;
    const size_t line = static_cast<size_t>(std::count(
                            text.begin(), text.begin() + std::min(byte, text.size()), '\n')) +
                        1;
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    problems_.push_back({file, line, "not valid JSON: " + what});
    return;
  }
  const json* list = &doc;
  // {"rules": […], "phases": […], "summaries": {…}}, any of them; or the rules alone.
  if (doc.is_object() &&
      (doc.contains("rules") || doc.contains("phases") || doc.contains("summaries"))) {
    if (doc.contains("phases")) load_phases(doc["phases"], text, file);
    if (doc.contains("summaries")) load_summaries(doc["summaries"], text, file);
    if (!doc.contains("rules")) return;
    list = &doc["rules"];
  }
  std::vector<json> items;
  if (list->is_array())
    items.assign(list->begin(), list->end());
  else if (list->is_object())
    items.push_back(*list);
  else {
    problems_.push_back(
        {file, 1, "expected a rule object, an array of rules, or {\"rules\": [...]}"});
    return;
  }
  std::set<std::string> ids;
  for (const auto& r : rules_) ids.insert(r.id);
  for (size_t i = 0; i < items.size(); ++i) {
    const json& j = items[i];
    Rule rule;
    rule.file = file;
    std::vector<std::string> bad;
    auto str = [&](const char* key, bool required) -> std::string {
      if (!j.contains(key)) {
        if (required) bad.push_back(fmt::format("missing \"{}\"", key));
        return {};
      }
      if (!j[key].is_string()) {
        bad.push_back(fmt::format("\"{}\" must be a string", key));
        return {};
      }
      return j[key].get<std::string>();
    };
    if (!j.is_object()) {
      problems_.push_back({file, 0, fmt::format("rule #{} is not an object", i + 1)});
      continue;
    }
    rule.id = str("id", true);
    rule.line = rule.id.empty() ? 0 : line_of(text, "\"" + rule.id + "\"");
    rule.title = str("title", true);
    rule.severity = str("severity", true);
    rule.category = str("category", false);
    rule.summary = str("summary", false);
    rule.remediation = str("remediation", true);
    rule.documentation = str("documentation", false);
    static const RE2 kId("[a-z][a-z0-9_]*\\.[a-z0-9_.]+");
    if (!rule.id.empty() && !RE2::FullMatch(rule.id, kId))
      bad.push_back(fmt::format("id \"{}\" is not of the form family.name", rule.id));
    if (!rule.id.empty() && ids.count(rule.id))
      bad.push_back(fmt::format("duplicate rule id \"{}\"", rule.id));
    if (!rule.severity.empty() && severity_rank(rule.severity) < 0)
      bad.push_back(
          fmt::format("severity \"{}\" is not one of critical, high, medium, info", rule.severity));
    if (rule.category.empty()) rule.category = rule.id.substr(0, rule.id.find('.'));
    rule.evidence = strings_of(j.value("evidence", json::array()));
    rule.suppressed_by = strings_of(j.value("suppressed_by", json::array()));
    rule.by = str("by", false);
    const json m = j.value("match", json());
    if (!rule.by.empty()) {
      if (j.contains("match"))
        bad.push_back(
            fmt::format("computed by \"{}\": a rule with \"by\" has no \"match\"", rule.by));
    } else if (m.is_array() || m.is_object()) {
      parse_matchers(m, rule.match, bad, "match");
    } else {
      bad.push_back(
          "missing \"match\" (an object or an array of objects), or \"by\" (the "
          "plugin that computes it)");
    }
    rule.yields_to = strings_of(j.value("yields_to", json::array()));
    if (j.contains("state")) {
      const json& st = j["state"];
      StateSpec spec;
      if (!st.is_object() || !st.contains("cleared_by")) {
        bad.push_back("\"state\" must be an object with \"cleared_by\" (match entries)");
      } else {
        parse_matchers(st["cleared_by"], spec.cleared_by, bad, "cleared_by");
        const std::string per = st.value("per", "user_device");
        if (per == "user")
          spec.per = StateSpec::Per::kUser;
        else if (per == "device")
          spec.per = StateSpec::Per::kDevice;
        else if (per != "user_device")
          bad.push_back("\"state.per\" must be user_device, user or device");
        for (const auto& [key, value] : st.items())
          if (key != "cleared_by" && key != "per" && key != "description")
            bad.push_back(fmt::format("unknown key \"{}\" in \"state\"", key));
        rule.state = std::move(spec);
      }
    }
    if (j.contains("advice")) {
      const json& ad = j["advice"];
      Advice advice;
      if (!ad.is_object() || !ad.contains("fields") || !ad.contains("codes") ||
          !ad["codes"].is_object()) {
        bad.push_back("\"advice\" must be {\"fields\": [...], \"codes\": {code: text}}");
      } else {
        advice.fields = strings_of(ad["fields"]);
        for (const auto& [code, text] : ad["codes"].items()) {
          if (!text.is_string())
            bad.push_back(fmt::format("advice for \"{}\" must be a string", code));
          else
            advice.by_code[normalize_code(code)] = text.get<std::string>();
        }
        rule.advice = std::move(advice);
      }
    }
    if (j.contains("explained_by")) {
      const json& ex = j["explained_by"];
      if (!ex.is_array()) bad.push_back("\"explained_by\" must be an array");
      for (const json& x : ex.is_array() ? ex : json::array()) {
        if (!x.is_object() || !x.contains("rule") || !x["rule"].is_string())
          bad.push_back("each \"explained_by\" entry needs \"rule\" (and \"note\")");
        else
          rule.explained_by.push_back({x["rule"].get<std::string>(), x.value("note", "")});
      }
    }
    for (const auto& [key, value] : j.items()) {
      static const std::set<std::string> kKnown = {
          "id",          "title",         "severity",    "category", "summary", "match",
          "evidence",    "suppressed_by", "yields_to",   "state",    "advice",  "explained_by",
          "remediation", "documentation", "description", "by"};
      if (!kKnown.count(key)) bad.push_back(fmt::format("unknown key \"{}\"", key));
    }
    if (!bad.empty()) {
      for (const auto& b : bad)
        problems_.push_back(
            {file, rule.line,
             (rule.id.empty() ? fmt::format("rule #{}", i + 1) : "rule " + rule.id) + ": " + b});
      continue;
    }
    ids.insert(rule.id);
    rules_.push_back(std::move(rule));
  }
}

static bool matches(const Matcher& m, const Event& e) {
  if (!m.kinds.empty() && std::find(m.kinds.begin(), m.kinds.end(), e.kind) == m.kinds.end())
    return false;
  if (!m.sources.empty() &&
      std::find(m.sources.begin(), m.sources.end(), e.source) == m.sources.end())
    return false;
  if (!m.event_ids.empty() &&
      std::find(m.event_ids.begin(), m.event_ids.end(), e.event_id) == m.event_ids.end())
    return false;
  for (const auto& c : m.all) {
    const std::string* v = e.field(c.field);
    if (!v || !RE2::PartialMatch(*v, *c.pattern)) return false;
  }
  for (const auto& c : m.none) {
    const std::string* v = e.field(c.field);
    if (v && RE2::PartialMatch(*v, *c.pattern)) return false;
  }
  if (!m.subject.empty() &&
      std::none_of(m.subject.begin(), m.subject.end(), [&](const std::string& fact) {
        const Subject& s = e.subject;
        const std::string& v = fact == "user_sid"      ? s.user_sid
                               : fact == "user_upn"    ? s.user_upn
                               : fact == "user_dn"     ? s.user_dn
                               : fact == "user_sam"    ? s.user_sam
                               : fact == "device_name" ? s.device_name
                                                       : s.device_id;
        return !v.empty();
      }))
    return false;
  return true;
}

std::vector<const Rule*> RuleSet::match(const Event& e) const {
  std::vector<const Rule*> hits;
  for (const Rule& r : rules_)
    for (const Matcher& m : r.match)
      if (matches(m, e)) {
        hits.push_back(&r);
        break;
      }
  if (hits.size() > 1) {
    std::vector<const Rule*> kept;
    for (const Rule* r : hits) {
      const bool suppressed = std::any_of(hits.begin(), hits.end(), [&](const Rule* o) {
        return std::find(r->suppressed_by.begin(), r->suppressed_by.end(), o->id) !=
               r->suppressed_by.end();
      });
      if (!suppressed) kept.push_back(r);
    }
    hits.swap(kept);
  }
  return hits;
}

std::vector<const Rule*> RuleSet::clears(const Event& e) const {
  std::vector<const Rule*> out;
  for (const Rule& r : rules_)
    if (r.state)
      for (const Matcher& m : r.state->cleared_by)
        if (matches(m, e)) {
          out.push_back(&r);
          break;
        }
  return out;
}

std::vector<const PhaseRule*> RuleSet::phases(const Event& e) const {
  std::vector<const PhaseRule*> out;
  for (const PhaseRule& p : phases_)
    if (std::any_of(p.match.begin(), p.match.end(),
                    [&](const Matcher& m) { return matches(m, e); }))
      out.push_back(&p);
  return out;
}

const std::vector<std::string>* RuleSet::summary_fields(std::string_view kind) const {
  auto it = summaries_.find(kind);
  return it == summaries_.end() ? nullptr : &it->second;
}

std::string phase_note(const PhaseRule& rule, const Event& e) {
  const std::string& t = rule.note;
  std::string out;
  for (size_t i = 0; i < t.size();) {
    const size_t open = t.find('{', i);
    const size_t close = open == std::string::npos ? open : t.find('}', open);
    if (close == std::string::npos) {
      out.append(t, i, std::string::npos);
      break;
    }
    out.append(t, i, open - i);
    const std::string_view slot = std::string_view(t).substr(open + 1, close - open - 1);
    if (slot == "event_id") {
      out += std::to_string(e.event_id);
    } else {
      // Alternatives: the first field present, or a 'quoted' text.
      for (size_t a = 0; a <= slot.size();) {
        size_t bar = slot.find('|', a);
        if (bar == std::string_view::npos) bar = slot.size();
        const std::string_view alt = slot.substr(a, bar - a);
        if (alt.size() >= 2 && alt.front() == '\'' && alt.back() == '\'') {
          out += alt.substr(1, alt.size() - 2);
          break;
        }
        if (const std::string* v = e.field(alt)) {
          out += *v;
          break;
        }
        a = bar + 1;
      }
    }
    i = close + 1;
  }
  return out;
}

const Rule* RuleSet::find(std::string_view id) const {
  for (const Rule& r : rules_)
    if (r.id == id) return &r;
  return nullptr;
}

std::string where(std::string_view file, const Position& p) {
  if (p.line != HT_NO_NUMBER) return fmt::format("{}:{}", file, p.line);
  if (p.record != HT_NO_NUMBER) return fmt::format("{} record {}", file, p.record);
  if (p.offset != HT_NO_NUMBER) return fmt::format("{} offset 0x{:x}", file, p.offset);
  return std::string(file);
}

std::string subject_key(const Subject& s) {
  std::string user = !s.user_sid.empty()   ? s.user_sid
                     : !s.user_upn.empty() ? s.user_upn
                     : !s.user_dn.empty()  ? s.user_dn
                                           : s.user_sam;
  std::string device = !s.device_id.empty() ? s.device_id : s.device_name;
  return text::to_lower(user) + "|" + text::to_lower(device);
}

std::string FindingCollector::excerpt(const Event& e, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    if (const std::string* v = e.field(n)) {
      if (!out.empty()) out += "; ";
      out += n + "=" + (v->size() > 200 ? v->substr(0, 200) + "…" : *v);
    }
  return out;
}

Evidence FindingCollector::evidence_of(const Event& e, const std::vector<std::string>& names) {
  return {e.file, e.origin, e.time, e.source, e.kind, e.event_id, excerpt(e, names)};
}

static std::string fill(std::string text, const Subject& s) {
  auto replace = [&](std::string_view key, const std::string& value) {
    for (size_t at; (at = text.find(key)) != std::string::npos;)
      text.replace(at, key.size(), value);
  };
  const std::string user = !s.user_upn.empty()   ? s.user_upn
                           : !s.user_sam.empty() ? s.user_sam
                           : !s.user_sid.empty() ? s.user_sid
                           : !s.user_dn.empty()  ? s.user_dn
                                                 : "the user";
  replace("{user}", user);
  replace("{device}", s.device_name.empty() ? (s.device_id.empty() ? "the device" : s.device_id)
                                            : s.device_name);
  return text;
}

static void merge_subject(Subject& into, const Subject& from) {
  auto take = [](std::string& a, const std::string& b) {
    if (a.empty()) a = b;
  };
  take(into.user_sid, from.user_sid);
  take(into.user_upn, from.user_upn);
  take(into.user_dn, from.user_dn);
  take(into.user_sam, from.user_sam);
  take(into.device_name, from.device_name);
  take(into.device_id, from.device_id);
  take(into.tenant_id, from.tenant_id);
  take(into.ngc_key_id, from.ngc_key_id);
}

std::vector<const Rule*> FindingCollector::observe(const Event& e) {
  std::vector<const Rule*> hits = rules_.match(e);
  for (Finding& f : findings_of(e, hits)) add(std::move(f));
  return hits;
}

std::vector<Finding> FindingCollector::findings_of(const Event& e,
                                                   const std::vector<const Rule*>& hits) {
  std::vector<Finding> out;
  out.reserve(hits.size());
  for (const Rule* r : hits) {
    Finding f;
    f.rule = r->id;
    f.severity = r->severity;
    f.title = r->title;
    f.category = r->category;
    f.subject = e.subject;
    f.summary = fill(r->summary.empty() ? r->title : r->summary, e.subject);
    f.remediation = r->remediation;
    f.documentation = r->documentation;
    f.evidence.push_back(evidence_of(e, r->evidence));
    if (r->advice)
      for (const std::string& name : r->advice->fields)
        if (const std::string* v = e.field(name)) {
          const std::string code = normalize_code(*v);
          auto it = r->advice->by_code.find(code);
          if (it == r->advice->by_code.end()) continue;
          f.details["advice"][code] = it->second;
          f.remediation = "For " + code + ": " + it->second + " " + f.remediation;
          break;
        }
    out.push_back(std::move(f));
  }
  return out;
}

void merge_details(Finding& into, const Finding& from) {
  for (const auto& [k, v] : from.details.items()) {
    auto& have = into.details[k];
    if (k == "advice" && have.is_object() && v.is_object()) {
      // One finding, several codes: keep the advice for each, lead with the first.
      for (const auto& [code, text] : v.items())
        if (!have.contains(code)) {
          have[code] = text;
          into.remediation =
              "For " + code + ": " + text.get<std::string>() + " " + into.remediation;
        }
    } else {
      have = v;
    }
  }
}

void FindingCollector::add(Finding f) {
  const std::string key = f.rule + "|" + subject_key(f.subject);
  auto [it, inserted] = findings_.try_emplace(key, std::move(f));  // f kept if not new
  if (inserted) return;
  Finding& have = it->second;
  merge_subject(have.subject, f.subject);
  for (auto& ev : f.evidence) {
    if (have.evidence.size() >= kMaxEvidence) {
      have.details["evidence_omitted"] = have.details.value("evidence_omitted", 0) + 1;
      continue;
    }
    have.evidence.push_back(std::move(ev));
  }
  merge_details(have, f);
  if (severity_rank(f.severity) > severity_rank(have.severity)) have.severity = f.severity;
}

std::vector<Finding> FindingCollector::take() {
  std::vector<Finding> out;
  out.reserve(findings_.size());
  for (auto it = findings_.begin(); it != findings_.end(); it = findings_.erase(it)) {
    Finding& f = it->second;
    std::stable_sort(f.evidence.begin(), f.evidence.end(),
                     [](const Evidence& a, const Evidence& b) { return a.time < b.time; });
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    if (severity_rank(a.severity) != severity_rank(b.severity))
      return severity_rank(a.severity) > severity_rank(b.severity);
    if (a.rule != b.rule) return a.rule < b.rule;
    return subject_key(a.subject) < subject_key(b.subject);
  });
  return out;
}

}  // namespace hellotrace::host
