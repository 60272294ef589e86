// The normalized event: the one currency between hellotrace's stages.
//
// A reader may rely on: times are UTC in 100 ns ticks since the Unix epoch
// (HT_NO_TIME when the source had none); `fields` keep the source's own names and
// values in the source's order; `source` is the plugin name and `file` the input
// path, both filled in by the host; `origin` says where in the file the event was.
#pragma once

#include <hellotrace/plugin_api.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hellotrace {

struct Field {
  std::string name;
  std::string value;
  bool operator==(const Field&) const = default;
};

struct Subject {
  std::string user_sid, user_upn, user_dn, user_sam;
  std::string device_name, device_id, tenant_id, ngc_key_id;
  bool operator==(const Subject&) const = default;
  // Does it name a person (SID, UPN, DN or account) / a device (name or id)?
  bool names_user() const {
    return !(user_sid.empty() && user_upn.empty() && user_dn.empty() && user_sam.empty());
  }
  bool names_device() const { return !(device_name.empty() && device_id.empty()); }
};

struct Position {
  uint64_t line = HT_NO_NUMBER;
  uint64_t offset = HT_NO_NUMBER;
  uint64_t record = HT_NO_NUMBER;
  bool operator==(const Position&) const = default;
};

struct Event {
  int64_t time = HT_NO_TIME;
  uint32_t time_flags = 0;
  std::string source;  // plugin name (host)
  std::string kind;
  std::string channel;
  std::string provider;
  int64_t event_id = HT_NO_EVENT_ID;
  Subject subject;
  std::vector<Field> fields;
  std::string file;  // input path (host)
  Position origin;

  // First field with this exact name, or nullptr.
  const std::string* field(std::string_view name) const {
    for (const auto& f : fields)
      if (f.name == name) return &f.value;
    return nullptr;
  }
  std::string_view field_or(std::string_view name, std::string_view fallback = {}) const {
    const std::string* v = field(name);
    return v ? std::string_view(*v) : fallback;
  }
  void add(std::string name, std::string value) {
    fields.push_back({std::move(name), std::move(value)});
  }
  bool operator==(const Event&) const = default;
};

inline ht_str to_ht(std::string_view s) { return ht_str{s.data(), s.size()}; }
inline std::string_view from_ht(ht_str s) {
  return s.size ? std::string_view(s.data, s.size) : std::string_view();
}

// An ht_event that views an Event (valid while the Event lives and is unchanged).
class EventView {
 public:
  explicit EventView(const Event& e) {
    fields_.reserve(e.fields.size());
    for (const auto& f : e.fields) fields_.push_back({to_ht(f.name), to_ht(f.value)});
    view_.struct_size = sizeof(ht_event);
    view_.time = e.time;
    view_.time_flags = e.time_flags;
    view_.kind = to_ht(e.kind);
    view_.channel = to_ht(e.channel);
    view_.provider = to_ht(e.provider);
    view_.event_id = e.event_id;
    const Subject& s = e.subject;
    view_.subject = {to_ht(s.user_sid),  to_ht(s.user_upn),    to_ht(s.user_dn),
                     to_ht(s.user_sam),  to_ht(s.device_name), to_ht(s.device_id),
                     to_ht(s.tenant_id), to_ht(s.ngc_key_id)};
    view_.fields = fields_.data();
    view_.field_count = fields_.size();
    view_.origin = {e.origin.line, e.origin.offset, e.origin.record};
  }
  const ht_event* get() const { return &view_; }

 private:
  ht_event view_{};
  std::vector<ht_field> fields_;
};

// Copies an ht_event (from any ABI minor version) into an owning Event.
inline Event event_from_abi(const ht_event& v) {
  Event e;
  e.time = v.time;
  e.time_flags = v.time_flags;
  e.kind = from_ht(v.kind);
  e.channel = from_ht(v.channel);
  e.provider = from_ht(v.provider);
  e.event_id = v.event_id;
  const ht_subject& s = v.subject;
  e.subject = {std::string(from_ht(s.user_sid)),    std::string(from_ht(s.user_upn)),
               std::string(from_ht(s.user_dn)),     std::string(from_ht(s.user_sam)),
               std::string(from_ht(s.device_name)), std::string(from_ht(s.device_id)),
               std::string(from_ht(s.tenant_id)),   std::string(from_ht(s.ngc_key_id))};
  e.fields.reserve(v.field_count);
  for (size_t i = 0; i < v.field_count; ++i)
    e.fields.push_back(
        {std::string(from_ht(v.fields[i].name)), std::string(from_ht(v.fields[i].value))});
  e.origin = {v.origin.line, v.origin.offset, v.origin.record};
  return e;
}

}  // namespace hellotrace
