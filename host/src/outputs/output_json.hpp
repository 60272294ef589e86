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
// `detected`: the detection time (the run's reference time, see detection_time()).
nlohmann::ordered_json finding_to_json(const Finding& f, int64_t detected);

// The stable id of a finding ("id" in NDJSON, event.id in ECS): 32 lower-case hex
// digits of SHA-256 over the rule, the subject's identifiers (ASCII case folded) and
// the evidence that identifies the finding, its earliest item (source, kind, event id,
// time, excerpt; the time-less items only when none has a time). File names and
// positions, the summary, details and --now do not enter it: the same inputs give the
// same ids in every run, wherever the bundle lies, and a later export that still holds
// the first evidence keeps the id. Different subjects (or the same subject's finding
// that started at another time) give different ids. Under --redact it is computed on
// the redacted finding, so it does not confirm a guessed name.
std::string finding_id(const Finding& f);

// The detection time of a run: its reference time (--now, else the newest input time),
// or, when the inputs carry no time at all, `clock` (the moment of the run).
int64_t detection_time(int64_t reference, int64_t clock);
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
