// JSON renderings of events and findings (NDJSON lines). A reader may rely on:
// the output is valid UTF-8 JSON whatever the input held (invalid bytes become
// U+FFFD, control characters are escaped), one object per line, and field names
// that only ever get added to (schema in docs/schema/).
#pragma once

#include "finding.hpp"

#include <hellotrace/event.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace hellotrace::host {

inline constexpr const char* kFindingSchema = "hellotrace.finding/1";
inline constexpr const char* kEventSchema = "hellotrace.event/1";

// Event fields as an object; a repeated name gets "#2", "#3"…, an empty one "#<position>".
nlohmann::ordered_json fields_to_json(const std::vector<Field>& fields);
nlohmann::ordered_json event_to_json(const Event& e);
nlohmann::ordered_json finding_to_json(const Finding& f, int64_t detected);
// One line of compact JSON (keys in the documented order), valid UTF-8 whatever the strings held.
std::string dump_line(const nlohmann::ordered_json& j);
std::string dump_line(const nlohmann::json& j);

}  // namespace hellotrace::host
