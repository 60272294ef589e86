#include "outputs/output_json.hpp"

#include <algorithm>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <map>
#include <tuple>
#include <unordered_map>

#include "outputs/digest.hpp"

#ifndef HELLOTRACE_VERSION
#define HELLOTRACE_VERSION "0.0.0"
#endif

namespace hellotrace::host {

using json = nlohmann::ordered_json;

int severity_rank(std::string_view s) {
  if (s == "critical") return 3;
  if (s == "high") return 2;
  if (s == "medium") return 1;
  if (s == "info") return 0;
  return -1;
}

int64_t Finding::first_time() const {
  int64_t t = HT_NO_TIME;
  for (const auto& e : evidence)
    if (e.time != HT_NO_TIME && (t == HT_NO_TIME || e.time < t)) t = e.time;
  return t;
}

int64_t Finding::last_time() const {
  int64_t t = HT_NO_TIME;
  for (const auto& e : evidence)
    if (e.time != HT_NO_TIME && (t == HT_NO_TIME || e.time > t)) t = e.time;
  return t;
}

static json text_or_null(std::string_view s) { return s.empty() ? json(nullptr) : json(s); }
static json time_or_null(int64_t t) {
  return t == HT_NO_TIME ? json(nullptr) : json(time::format_iso(t));
}
static json number_or_null(uint64_t n) { return n == HT_NO_NUMBER ? json(nullptr) : json(n); }

json fields_to_json(const std::vector<Field>& fields) {
  json out = json::object();
  std::map<std::string, int, std::less<>> seen;
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string key = fields[i].name;
    if (key.empty()) key = "#" + std::to_string(i + 1);
    const int n = ++seen[key];
    if (n > 1) key += "#" + std::to_string(n);
    out[key] = fields[i].value;
  }
  return out;
}

static json position_json(const std::string& file, const Position& p) {
  return {{"file", file},
          {"line", number_or_null(p.line)},
          {"offset", number_or_null(p.offset)},
          {"record", number_or_null(p.record)}};
}

json event_to_json(const Event& e) {
  const Subject& s = e.subject;
  json j = {{"time", time_or_null(e.time)},
            {"source", e.source},
            {"kind", e.kind},
            {"channel", text_or_null(e.channel)},
            {"provider", text_or_null(e.provider)},
            {"event_id", e.event_id == HT_NO_EVENT_ID ? json(nullptr) : json(e.event_id)},
            {"user",
             {{"sid", text_or_null(s.user_sid)},
              {"upn", text_or_null(s.user_upn)},
              {"dn", text_or_null(s.user_dn)},
              {"sam", text_or_null(s.user_sam)}}},
            {"device", {{"name", text_or_null(s.device_name)}, {"id", text_or_null(s.device_id)}}},
            {"tenant", text_or_null(s.tenant_id)},
            {"ngc_key_id", text_or_null(s.ngc_key_id)},
            {"fields", fields_to_json(e.fields)},
            {"origin", position_json(e.file, e.origin)}};
  if (e.time_flags & HT_TIME_ZONE_ASSUMED) j["time_zone_assumed"] = true;
  if (e.time_flags & HT_TIME_APPROXIMATE) j["time_approximate"] = true;
  return j;
}

std::string finding_id(const Finding& f) {
  // Length-prefixed parts: no two different part lists hash the same input.
  std::string in = "hellotrace.finding-id/1";
  auto put = [&](std::string_view part) {
    in += std::to_string(part.size());
    in += ':';
    in += part;
  };
  put(f.rule);
  const Subject& s = f.subject;
  for (const std::string* v : {&s.user_upn, &s.user_sid, &s.user_dn, &s.user_sam, &s.device_name,
                               &s.device_id, &s.tenant_id, &s.ngc_key_id})
    put(text::to_lower(*v));
  // The earliest evidence with a time; ties and time-less items by their content, so
  // the choice does not depend on the order files were read in.
  const Evidence* first = nullptr;
  auto key = [](const Evidence& e) {
    return std::make_tuple(e.time == HT_NO_TIME, e.time, std::string_view(e.source),
                           std::string_view(e.kind), e.event_id, std::string_view(e.excerpt));
  };
  for (const Evidence& e : f.evidence)
    if (!first || key(e) < key(*first)) first = &e;
  if (first) {
    put(first->source);
    put(first->kind);
    put(first->event_id == HT_NO_EVENT_ID ? "" : std::to_string(first->event_id));
    put(first->time == HT_NO_TIME ? "" : std::to_string(first->time));
    put(first->excerpt);
  }
  return hex(sha256(in), 16);
}

int64_t detection_time(int64_t reference, int64_t clock) {
  return reference != HT_NO_TIME ? reference : clock;
}

json finding_to_json(const Finding& f, int64_t detected) {
  const Subject& s = f.subject;
  json evidence = json::array();
  for (const Evidence& e : f.evidence) {
    json item = position_json(e.file, e.position);
    item["time"] = time_or_null(e.time);
    item["source"] = e.source;
    item["kind"] = e.kind;
    item["event_id"] = e.event_id == HT_NO_EVENT_ID ? json(nullptr) : json(e.event_id);
    item["excerpt"] = e.excerpt;
    evidence.push_back(std::move(item));
  }
  return {{"schema", kFindingSchema},
          {"hellotrace_version", HELLOTRACE_VERSION},
          {"id", finding_id(f)},
          {"rule", f.rule},
          {"severity", f.severity},
          {"title", f.title},
          {"category", f.category},
          {"summary", f.summary},
          {"user",
           {{"upn", text_or_null(s.user_upn)},
            {"sid", text_or_null(s.user_sid)},
            {"dn", text_or_null(s.user_dn)},
            {"sam", text_or_null(s.user_sam)}}},
          {"device", {{"name", text_or_null(s.device_name)}, {"id", text_or_null(s.device_id)}}},
          {"tenant", text_or_null(s.tenant_id)},
          {"time", time_or_null(f.first_time())},
          {"detected", time_or_null(detected)},
          {"times",
           {{"first_evidence", time_or_null(f.first_time())},
            {"last_evidence", time_or_null(f.last_time())},
            {"detected", time_or_null(detected)}}},
          {"evidence", std::move(evidence)},
          {"remediation", f.remediation},
          {"documentation", text_or_null(f.documentation)},
          {"details", json(f.details)}};
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      // Copy the run of plain ASCII at once.
      size_t j = i + 1;
      while (j < s.size()) {
        const unsigned char d = static_cast<unsigned char>(s[j]);
        if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
        ++j;
      }
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: copy a valid sequence, replace an invalid byte.
    size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    bool ok = len && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len == 3) {
      const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (ok && len == 4) {
      const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out.push_back('"');
}

namespace {
void append_text_or_null(std::string& out, std::string_view s) {
  if (s.empty())
    out += "null";
  else
    append_json_string(out, s);
}
void append_number_or_null(std::string& out, uint64_t n) {
  if (n == HT_NO_NUMBER)
    out += "null";
  else
    out += std::to_string(n);
}
}  // namespace

void append_fields_json(std::string& out, const std::vector<Field>& fields) {
  // Same key rules as fields_to_json(): "#<position>" for unnamed, "name#n" for repeats.
  out.push_back('{');
  std::vector<std::string> keys(fields.size());
  std::unordered_map<std::string_view, int> seen;  // only for long field lists
  const bool many = fields.size() > 32;
  for (size_t i = 0; i < fields.size(); ++i) {
    keys[i] = fields[i].name.empty() ? "#" + std::to_string(i + 1) : fields[i].name;
    int n = 1;
    if (many)
      n = ++seen[keys[i]];
    else
      for (size_t j = 0; j < i; ++j) n += keys[j] == keys[i];
    if (i) out.push_back(',');
    append_json_string(out, n > 1 ? keys[i] + "#" + std::to_string(n) : keys[i]);
    out.push_back(':');
    append_json_string(out, fields[i].value);
  }
  out.push_back('}');
}

void append_event_line(std::string& out, const Event& e) {
  const Subject& s = e.subject;
  out += "{\"time\":";
  if (e.time == HT_NO_TIME)
    out += "null";
  else
    append_json_string(out, time::format_iso(e.time));
  out += ",\"source\":";
  append_json_string(out, e.source);
  out += ",\"kind\":";
  append_json_string(out, e.kind);
  out += ",\"channel\":";
  append_text_or_null(out, e.channel);
  out += ",\"provider\":";
  append_text_or_null(out, e.provider);
  out += ",\"event_id\":";
  if (e.event_id == HT_NO_EVENT_ID)
    out += "null";
  else
    out += std::to_string(e.event_id);
  out += ",\"user\":{\"sid\":";
  append_text_or_null(out, s.user_sid);
  out += ",\"upn\":";
  append_text_or_null(out, s.user_upn);
  out += ",\"dn\":";
  append_text_or_null(out, s.user_dn);
  out += ",\"sam\":";
  append_text_or_null(out, s.user_sam);
  out += "},\"device\":{\"name\":";
  append_text_or_null(out, s.device_name);
  out += ",\"id\":";
  append_text_or_null(out, s.device_id);
  out += "},\"tenant\":";
  append_text_or_null(out, s.tenant_id);
  out += ",\"ngc_key_id\":";
  append_text_or_null(out, s.ngc_key_id);
  out += ",\"fields\":";
  append_fields_json(out, e.fields);
  out += ",\"origin\":{\"file\":";
  append_json_string(out, e.file);
  out += ",\"line\":";
  append_number_or_null(out, e.origin.line);
  out += ",\"offset\":";
  append_number_or_null(out, e.origin.offset);
  out += ",\"record\":";
  append_number_or_null(out, e.origin.record);
  out += "}";
  if (e.time_flags & HT_TIME_ZONE_ASSUMED) out += ",\"time_zone_assumed\":true";
  if (e.time_flags & HT_TIME_APPROXIMATE) out += ",\"time_approximate\":true";
  out += "}\n";
}

std::string dump_line(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string dump_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hellotrace::host
