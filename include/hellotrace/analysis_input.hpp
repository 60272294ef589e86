// The JSON an analyzer plugin's analyze() is given (docs/PLUGINS.md,
// docs/schema/analysis-input.schema.json), built in one place: the host uses it for
// the correlated run, plugin tests and fuzz targets for the runs they make up.
//
// A reader may rely on: every member the schema requires is present; fields keep the
// source's order, a repeated name becoming "Name#2", "Name#3"; numbers the source does
// not have are null. Strings are passed as they are: the host and the test harness
// dump the JSON with invalid UTF-8 replaced, so any bytes are safe.
#pragma once

#include <hellotrace/plugin_api.h>

#include <hellotrace/event.hpp>
#include <hellotrace/time.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hellotrace::analysis {

using ojson = nlohmann::ordered_json;

inline ojson time_or_null(int64_t t) {
  return t == HT_NO_TIME ? ojson(nullptr) : ojson(time::format_iso(t));
}

// One event of "events". `user` / `device`: identity indices, -1 for none.
inline ojson event_json(const Event& e, int user = -1, int device = -1) {
  auto number = [](uint64_t n) { return n == HT_NO_NUMBER ? ojson(nullptr) : ojson(n); };
  auto index = [](int i) { return i < 0 ? ojson(nullptr) : ojson(i); };
  ojson fields = ojson::object();
  for (size_t i = 0; i < e.fields.size(); ++i) {
    const std::string base =
        e.fields[i].name.empty() ? "#" + std::to_string(i + 1) : e.fields[i].name;
    std::string key = base;
    for (int n = 2; fields.contains(key); ++n) key = base + "#" + std::to_string(n);
    fields[key] = e.fields[i].value;
  }
  const Subject& s = e.subject;
  return {{"time", time_or_null(e.time)},
          {"time_flags", e.time_flags},
          {"kind", e.kind},
          {"source", e.source},
          {"file", e.file},
          {"line", number(e.origin.line)},
          {"offset", number(e.origin.offset)},
          {"record", number(e.origin.record)},
          {"event_id", e.event_id == HT_NO_EVENT_ID ? ojson(nullptr) : ojson(e.event_id)},
          {"channel", e.channel},
          {"provider", e.provider},
          {"subject",
           {{"user_sid", s.user_sid},
            {"user_upn", s.user_upn},
            {"user_dn", s.user_dn},
            {"user_sam", s.user_sam},
            {"device_name", s.device_name},
            {"device_id", s.device_id},
            {"tenant_id", s.tenant_id},
            {"ngc_key_id", s.ngc_key_id}}},
          {"fields", std::move(fields)},
          {"user", index(user)},
          {"device", index(device)}};
}

// Events a parser emitted, as the host hands them to analyze() when it resolved nobody:
// `source` and `file` set as the host sets them. For analyzer tests and fuzz targets.
inline void append_events(ojson& events, std::vector<Event> parsed, const std::string& source,
                          const std::string& file) {
  for (Event& e : parsed) {
    e.source = source;
    e.file = file;
    events.push_back(event_json(e));
  }
}

// A device of "identities".
inline ojson device_identity_json(int index, const std::string& name,
                                  const std::string& device_id = "") {
  return {{"index", index},
          {"type", "device"},
          {"display", name.empty() ? device_id : name},
          {"device_name", name},
          {"device_id", device_id}};
}

// The whole input. "accepts": what the host takes back through emit_finding — findings,
// and phase statements (docs/PLUGINS.md); a plugin sends only what is listed, so a host
// that predates a kind of statement is never sent one.
inline ojson input_json(ojson events, ojson identities = ojson::array(),
                        ojson users = ojson::array(), int64_t now = HT_NO_TIME) {
  return {{"schema", "hellotrace.analysis/1"},
          {"now", time_or_null(now)},
          {"accepts", ojson::array({"finding", "phase"})},
          {"identities", std::move(identities)},
          {"users", std::move(users)},
          {"events", std::move(events)}};
}

}  // namespace hellotrace::analysis
