// Each person's timeline events as Timesketch JSONL (`timeline --timesketch FILE|-`),
// the format Timesketch's importer takes. A reader may rely on:
//  - one JSON object per line with Timesketch's required message, datetime
//    (ISO 8601, microseconds, +00:00) and timestamp_desc, plus timestamp (microseconds
//    since 1970, which Timesketch prefers when present) and data_type
//    "hellotrace:event";
//  - an event shared by several people's timelines (a device's event) is written
//    once, naming them all in `users`; lines come in time order;
//  - events without a time cannot be placed on a timeline: they are left out and
//    counted (TimesketchStats), as are the entries a timeline left out (its cap);
//  - the attributes kind, source, event_id, file, line/record/offset and
//    superseded_by are those of the timeline (under --redact, the redacted ones);
//  - valid UTF-8 JSON whatever the input held.
#pragma once

#include <cstddef>
#include <ostream>

#include "engine/timeline.hpp"

namespace hellotrace::host {

struct TimesketchStats {
  size_t written = 0;
  size_t untimed = 0;  // events without a time, left out
  size_t omitted = 0;  // entries the timelines did not keep (entries_omitted)
};

// The events of every timeline in `report.users`.
TimesketchStats write_timesketch(std::ostream& out, const Report& report);

}  // namespace hellotrace::host
