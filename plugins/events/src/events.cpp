// events: reads hellotrace's events NDJSON (docs/schema/event.schema.json), the output
// of 'hellotrace events' and 'hellotrace probe', back into events.
//
// Why: a probe runs on the machine with the TPM, the analysis runs elsewhere. The
// admin saves `hellotrace probe tpm-verifier --json tpm-probe.ndjson` into the support
// bundle and it is analyzed with the exports. Evidence then points at the NDJSON line;
// where the event first came from is kept in the fields `@origin` and `@source`
// (names starting with '@' never collide with a source's own field names).
#include <fmt/format.h>

#include <hellotrace/plugin_sdk.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <string>
#include <string_view>

namespace {

namespace text = hellotrace::text;
using hellotrace::Event;
using hellotrace::Position;
using hellotrace::sdk::EventSink;
using hellotrace::sdk::Source;
using json = nlohmann::ordered_json;

std::string string_or_empty(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a line must have to be an event of ours; a JSON line without it is someone
// else's NDJSON and is reported, not guessed at.
const char* missing_member(const json& j) {
  if (!j.is_object()) return "not a JSON object";
  for (const char* key : {"kind", "source", "fields", "origin"})
    if (!j.contains(key)) return key;
  if (!j["kind"].is_string() || j["kind"].get_ref<const std::string&>().empty()) return "kind";
  if (!j["fields"].is_object()) return "fields";
  return nullptr;
}

std::string origin_text(const json& origin) {
  if (!origin.is_object()) return {};
  std::string out = string_or_empty(origin, "file");
  for (const char* key : {"line", "record", "offset"}) {
    auto it = origin.find(key);
    if (it != origin.end() && it->is_number_unsigned())
      out += fmt::format(" {} {}", key, it->get<uint64_t>());
  }
  return out;
}

Event to_event(const json& j, uint64_t line) {
  Event e;
  e.kind = j["kind"].get<std::string>();
  e.channel = string_or_empty(j, "channel");
  e.provider = string_or_empty(j, "provider");
  if (auto it = j.find("event_id"); it != j.end() && it->is_number_integer())
    e.event_id = it->get<int64_t>();
  const std::string when = string_or_empty(j, "time");
  if (!when.empty()) {
    if (auto t = hellotrace::time::parse_iso(when)) e.time = *t;
  }
  if (j.value("time_zone_assumed", false)) e.time_flags |= HT_TIME_ZONE_ASSUMED;
  if (j.value("time_approximate", false)) e.time_flags |= HT_TIME_APPROXIMATE;
  if (auto u = j.find("user"); u != j.end() && u->is_object()) {
    e.subject.user_sid = string_or_empty(*u, "sid");
    e.subject.user_upn = string_or_empty(*u, "upn");
    e.subject.user_dn = string_or_empty(*u, "dn");
    e.subject.user_sam = string_or_empty(*u, "sam");
  }
  if (auto d = j.find("device"); d != j.end() && d->is_object()) {
    e.subject.device_name = string_or_empty(*d, "name");
    e.subject.device_id = string_or_empty(*d, "id");
  }
  e.subject.tenant_id = string_or_empty(j, "tenant");
  e.subject.ngc_key_id = string_or_empty(j, "ngc_key_id");
  for (const auto& [name, value] : j["fields"].items())
    e.add(name, value.is_string() ? value.get<std::string>() : value.dump());
  // Read back twice, the first reading's provenance stays.
  if (!e.field("@source")) e.add("@source", string_or_empty(j, "source"));
  if (!e.field("@origin")) e.add("@origin", origin_text(j["origin"]));
  e.origin.line = line;
  return e;
}

class EventsReader : public hellotrace::sdk::Plugin {
 public:
  explicit EventsReader(const nlohmann::json&) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    std::string_view head(reinterpret_cast<const char*>(prefix.data()), prefix.size());
    if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
    head = head.substr(0, head.find('\n'));
    // Our writer always starts a line with "time" and names kind, fields and origin.
    if (!head.starts_with("{\"time\":")) return 0;
    const bool ours = head.find("\"kind\":") != std::string_view::npos &&
                      head.find("\"source\":") != std::string_view::npos;
    if (!ours) return 0;
    return name.ends_with(".ndjson") || name.ends_with(".jsonl") ? 95 : 85;
  }

  void parse(const Source& src, EventSink& out) const override {
    const std::string decoded = text::decode_reporting(src.data, out);
    text::Lines lines(decoded);
    size_t bad = 0;
    while (auto line = lines.next()) {
      const std::string_view t = text::trim(line->text);
      if (t.empty()) continue;
      const Position at{line->number, HT_NO_NUMBER, HT_NO_NUMBER};
      json j = json::parse(t, nullptr, false);
      if (j.is_discarded()) {
        // Invalid JSON or invalid UTF-8 (which our writer never produces).
        if (++bad <= 20) out.warning(at, "not a JSON line (truncated or edited?); skipped");
        continue;
      }
      if (const char* missing = missing_member(j)) {
        if (++bad <= 20)
          out.warning(at, fmt::format("not a hellotrace event (no valid '{}'); skipped", missing));
        continue;
      }
      out.emit(to_event(j, line->number));
    }
    if (bad > 20) out.warning({}, fmt::format("{} bad lines in all; the first 20 are listed", bad));
  }
};

}  // namespace

HT_DEFINE_PLUGIN(events, EventsReader,
                 ({"events",
                   "1.0.0",
                   "hellotrace events NDJSON (the output of 'events' and 'probe') read back",
                   HT_CAP_PARSE,
                   {"hellotrace-events-ndjson"},
                   {"*"}}))
