// JSON renderings of events and findings (NDJSON lines). A reader may rely on:
// the output is valid UTF-8 JSON whatever the input held (invalid bytes become
// U+FFFD, control characters are escaped), one object per line, and field names
// that only ever get added to (schema in docs/schema/).
#pragma once

#include <hellotrace/event.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/finding.hpp"

namespace hellotrace::host {

inline constexpr const char* kFindingSchema = "hellotrace.finding/1";
inline constexpr const char* kEventSchema = "hellotrace.event/1";

// Event fields as an object; a repeated name gets "#2", "#3"…, an empty one "#<position>".
nlohmann::ordered_json fields_to_json(const std::vector<Field>& fields);
nlohmann::ordered_json event_to_json(const Event& e);
nlohmann::ordered_json finding_to_json(const Finding& f, int64_t detected);
// Appends `e` as one NDJSON line (with '\n') to `out`, without building a JSON tree:
// the fast path of `hellotrace events`. Same content and key order as
// event_to_json().
void append_event_line(std::string& out, const Event& e);
// Appends the fields as a JSON object (the rules of fields_to_json()).
void append_fields_json(std::string& out, const std::vector<Field>& fields);
// Appends `s` as a JSON string literal; invalid UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, std::string_view s);

// One line of compact JSON (keys in the documented order), valid UTF-8 whatever the strings held.
std::string dump_line(const nlohmann::ordered_json& j);
std::string dump_line(const nlohmann::json& j);

}  // namespace hellotrace::host
