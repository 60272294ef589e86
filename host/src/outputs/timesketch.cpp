#include "outputs/timesketch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/time.hpp>
#include <map>
#include <tuple>

#include "outputs/output_json.hpp"

namespace hellotrace::host {

namespace {

// "2024-11-14T08:05:10.210000+00:00": Python's datetime (Timesketch's importer) reads
// at most six fraction digits.
std::string datetime_text(int64_t t) {
  const time::Civil c = time::civil_from_ticks(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00", c.year, c.month, c.day,
                     c.hour, c.minute, c.second, c.fraction / 10);
}

int64_t microseconds(int64_t t) {
  // Floor division: times before 1970 stay in their own microsecond.
  return t >= 0 ? t / 10 : -((-t + 9) / 10);
}

}  // namespace

TimesketchStats write_timesketch(std::ostream& out, const Report& report) {
  TimesketchStats stats;
  struct Line {
    const TimelineEntry* entry;
    std::vector<std::string> users;
  };
  std::vector<Line> lines;
  // One event, however many timelines hold it: its file, position, time and kind.
  std::map<std::tuple<std::string_view, uint64_t, uint64_t, uint64_t, int64_t, std::string_view>,
           size_t>
      seen;
  for (const UserTimeline& t : report.users) {
    stats.omitted += t.entries_omitted;
    const std::string who = report.identities[t.identity].display();
    for (const TimelineEntry& e : t.entries) {
      if (e.time == HT_NO_TIME) {
        ++stats.untimed;
        continue;
      }
      const auto key =
          std::make_tuple(e.file, e.origin.line, e.origin.record, e.origin.offset, e.time, e.kind);
      const auto [it, fresh] = seen.try_emplace(key, lines.size());
      if (fresh) lines.push_back({&e, {}});
      auto& users = lines[it->second].users;
      if (std::find(users.begin(), users.end(), who) == users.end()) users.push_back(who);
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.entry->time < b.entry->time; });
  for (const Line& l : lines) {
    const TimelineEntry& e = *l.entry;
    std::string users;
    for (const auto& u : l.users) users += (users.empty() ? "" : ", ") + u;
    std::string message = fmt::format("{}: {}", users, e.kind);
    if (e.event_id != HT_NO_EVENT_ID) message += fmt::format(" ({} {})", e.source, e.event_id);
    if (!e.summary.empty()) message += fmt::format(": {}", e.summary);
    if (!e.superseded_by.empty()) message += fmt::format(" [superseded by {}]", e.superseded_by);
    nlohmann::ordered_json j = {{"message", message},
                                {"datetime", datetime_text(e.time)},
                                {"timestamp", microseconds(e.time)},
                                {"timestamp_desc", "Event Time"},
                                {"data_type", "hellotrace:event"},
                                {"users", l.users},
                                {"kind", e.kind},
                                {"source", e.source},
                                {"file", e.file}};
    if (e.event_id != HT_NO_EVENT_ID) j["event_id"] = e.event_id;
    if (e.origin.line != HT_NO_NUMBER) j["line"] = e.origin.line;
    if (e.origin.record != HT_NO_NUMBER) j["record"] = e.origin.record;
    if (e.origin.offset != HT_NO_NUMBER) j["offset"] = e.origin.offset;
    if (e.device_only) j["device_event"] = true;
    if (!e.superseded_by.empty()) j["superseded_by"] = e.superseded_by;
    out << dump_line(j) << "\n";
    ++stats.written;
  }
  return stats;
}

}  // namespace hellotrace::host
