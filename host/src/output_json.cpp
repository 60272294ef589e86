#include "output_json.hpp"

#include <hellotrace/time.hpp>

#include <algorithm>
#include <map>

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
          {"rule", f.rule},
          {"severity", f.severity},
          {"title", f.title},
          {"category", f.category},
          {"summary", f.summary},
          {"user", {{"upn", text_or_null(s.user_upn)}, {"sid", text_or_null(s.user_sid)},
                    {"dn", text_or_null(s.user_dn)}, {"sam", text_or_null(s.user_sam)}}},
          {"device", {{"name", text_or_null(s.device_name)}, {"id", text_or_null(s.device_id)}}},
          {"tenant", text_or_null(s.tenant_id)},
          {"time", time_or_null(f.first_time())},
          {"times",
           {{"first_evidence", time_or_null(f.first_time())},
            {"last_evidence", time_or_null(f.last_time())},
            {"detected", time_or_null(detected)}}},
          {"evidence", std::move(evidence)},
          {"remediation", f.remediation},
          {"documentation", text_or_null(f.documentation)},
          {"details", json(f.details)}};
}

std::string dump_line(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string dump_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hellotrace::host
