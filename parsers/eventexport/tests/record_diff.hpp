// Field-by-field comparison of eventlog::Record (it has no operator==), for tests.
#pragma once

#include <hellotrace/eventlog/record.hpp>
#include <string>

namespace hellotrace::eventexport::testing {

// Which fields to compare (every format carries a different subset).
struct Fields {
  bool record_id = true, time = true, event_id = true, qualifiers = true, version = true,
       level = true, task = true, opcode = true, keywords = true, provider = true,
       provider_guid = true, event_source_name = true, channel = true, computer = true,
       user_sid = true, activity_id = true, related_activity_id = true, process_id = true,
       thread_id = true, data = true, data_names = true, user_data = true, message = true;
  int64_t time_unit = 1;  // compare times truncated to this many ticks
};

// Empty when equal, else a list of the differences.
inline std::string diff(const eventlog::Record& a, const eventlog::Record& b,
                        const Fields& f = {}) {
  std::string out;
  auto add = [&](const char* name, const std::string& x, const std::string& y) {
    out += std::string(name) + ": '" + x + "' vs '" + y + "'\n";
  };
  auto num = [](auto v) { return std::to_string(v); };
  auto opt = [](const auto& o) { return o ? std::to_string(*o) : std::string("none"); };
#define HT_CMP(field, render) \
  if (f.field && !(a.field == b.field)) add(#field, render(a.field), render(b.field));
  auto str = [](const std::string& s) { return s; };
  HT_CMP(record_id, num)
  HT_CMP(event_id, num)
  HT_CMP(qualifiers, opt)
  HT_CMP(version, num)
  HT_CMP(level, num)
  HT_CMP(task, num)
  HT_CMP(opcode, num)
  HT_CMP(keywords, num)
  HT_CMP(provider, str)
  HT_CMP(provider_guid, str)
  HT_CMP(event_source_name, str)
  HT_CMP(channel, str)
  HT_CMP(computer, str)
  HT_CMP(user_sid, str)
  HT_CMP(activity_id, str)
  HT_CMP(related_activity_id, str)
  HT_CMP(process_id, opt)
  HT_CMP(thread_id, opt)
  HT_CMP(user_data, num)
  HT_CMP(message, str)
#undef HT_CMP
  if (f.time) {
    auto t = [&](int64_t v) {
      if (v == HT_NO_TIME || f.time_unit <= 1) return v;
      return v - ((v % f.time_unit) + f.time_unit) % f.time_unit;
    };
    if (t(a.time) != t(b.time)) add("time", std::to_string(a.time), std::to_string(b.time));
  }
  if (f.data) {
    if (a.data.size() != b.data.size()) {
      add("data.size", std::to_string(a.data.size()), std::to_string(b.data.size()));
    } else {
      for (size_t i = 0; i < a.data.size(); ++i) {
        if (f.data_names && a.data[i].name != b.data[i].name)
          add(("data[" + std::to_string(i) + "].name").c_str(), a.data[i].name, b.data[i].name);
        if (a.data[i].value != b.data[i].value)
          add(("data[" + std::to_string(i) + "].value").c_str(), a.data[i].value, b.data[i].value);
      }
    }
  }
  return out;
}

}  // namespace hellotrace::eventexport::testing
