// Per-user enrollment timelines: correlation of events into people and devices,
// the enrollment phases of each person, and the findings about them.
//
// A reader may rely on:
//  - phases come in enrollment order (kPhaseOrder) and say done, failed, pending or
//    unknown; unknown means no source covered the phase — it is never guessed; the
//    state is the one the latest evidence (by time) shows, with that evidence;
//  - entries of a timeline are the user's own events plus the device-only events of
//    the devices the user was seen on, sorted by time (events without time last);
//  - findings are grouped per rule and per resolved identity, so one person seen
//    under SID, UPN and DN gets one finding with all the evidence;
//  - an analyzer plugin's phase statement fills a phase that no event covered (it is
//    then that plugin's conclusion, with its evidence), never one an event covered.
#pragma once

#include <array>
#include <functional>
#include <hellotrace/event.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/finding.hpp"
#include "engine/identity.hpp"
#include "engine/phase.hpp"
#include "engine/rules.hpp"

namespace hellotrace::host {

struct PhaseStatus {
  Phase phase = Phase::kPolicy;
  PhaseState state = PhaseState::kUnknown;
  int64_t time = HT_NO_TIME;
  std::string note;                  // why this state
  std::optional<Evidence> evidence;  // the event that shows it
};

// Interned strings. A fleet run keeps millions of timeline entries whose kind,
// source, file name and summary repeat (a few dozen kinds, one file per device, the
// same "AADPrt=No; …" on every sign-in), so entries hold views into one pool instead
// of a std::string each. Every distinct string is stored once, in large blocks; the
// views stay valid as long as the pool lives (the Report owns it).
class StringPool {
 public:
  StringPool() = default;
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;
  std::string_view intern(std::string_view s);

 private:
  std::unordered_set<std::string_view> index_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;  // free space of the last block
  size_t left_ = 0;
};

struct TimelineEntry {
  int64_t time = HT_NO_TIME;
  std::string_view kind, source;  // interned in Report::strings (see StringPool)
  int64_t event_id = HT_NO_EVENT_ID;
  std::string_view file;  // interned
  Position origin;
  std::string_view summary;  // interned: "AADPrt=No; DeviceIsJoined=Yes"
  bool device_only = false;
  // A failed check that a later observation cleared (a rule's "state"): the event that
  // did, as "file:record N" / "file:line N" (interned); empty when it still stands.
  std::string_view superseded_by;
};

struct UserTimeline {
  int identity = -1;
  std::vector<int> devices;  // identity indices
  std::vector<TimelineEntry> entries;
  std::array<PhaseStatus, kPhaseCount> phases;
  std::vector<size_t> findings;  // indices into Report::findings
  size_t entries_omitted = 0;
};

// Tenant-wide Entra Connect state, from the sync server's exports.
struct SyncCycle {
  int64_t start = HT_NO_TIME, end = HT_NO_TIME;
  std::string connector, profile, result;
  Evidence evidence;
};
struct SchedulerState {
  int64_t interval_seconds = -1;    // CurrentlyEffectiveSyncCycleInterval
  int64_t next_start = HT_NO_TIME;  // NextSyncCycleStartTimeInUTC
  std::optional<bool> enabled, suspended, staging, in_progress;
  int64_t seen = HT_NO_TIME;  // time of the export, when known
  Evidence evidence;
};
struct SyncState {
  std::optional<SchedulerState> scheduler;
  std::vector<SyncCycle> cycles;
};

struct Report {
  // Owns the strings the timeline entries view; shared, so that a copy of the
  // Report stays valid. Writers that change an entry (redact) intern the new text.
  std::shared_ptr<StringPool> strings = std::make_shared<StringPool>();
  int64_t now = HT_NO_TIME;
  std::vector<Identity> identities;
  std::vector<Conflict> conflicts;
  std::vector<UserTimeline> users;  // one per person, by display name
  std::vector<Finding> findings;    // sorted by severity, rule, user
  SyncState sync;
};

// What an analyzer plugin concluded about a phase (docs/PLUGINS.md, "Phase
// statements"): the policy plugin, say, knows from exports and precedence whether WHfB
// policy applies, where no event says so.
struct PhaseStatement {
  Phase phase = Phase::kPolicy;
  PhaseState state = PhaseState::kUnknown;
  std::string note;
  Subject subject;  // the user, or only the device (then every user of that device)
  Evidence evidence;
};

struct AnalyzerOutput {
  std::vector<Finding> findings;
  std::vector<PhaseStatement> phases;
};

struct AnalysisOptions {
  std::optional<int64_t> now;  // reference time; default: newest event time
  size_t max_entries_per_user = 5000;
  // Analyzer plugins: the full events of these kinds ("tpm.*" names a family) are
  // kept for them, and `analyze` is called once with the correlated run (the JSON
  // of docs/PLUGINS.md); the findings it returns are grouped with the rules' own, its
  // phase statements fill phases no event covered.
  std::vector<std::string> keep_kinds;
  std::function<AnalyzerOutput(const nlohmann::ordered_json& run)> analyze;
};

// {"identities": […], "users": […]} of a report, as in docs/PLUGINS.md.
nlohmann::ordered_json people_json(const Report& report);

// True when `kind` is one of `patterns` ("tpm.info") or in one of their families
// ("tpm.*").
bool kind_matches(const std::vector<std::string>& patterns, std::string_view kind);

// Signals an event gives about enrollment phases: the "phases" of the rule files
// (rules/phases.json) that match it, in file order (exposed for tests).
struct PhaseSignal {
  Phase phase;
  PhaseState state;
  std::string note;
};
std::vector<PhaseSignal> phase_signals(const RuleSet& rules, const Event& e);

// What correlation works out from one event alone, without the state of the run: the
// rules it matches with their findings, the stateful checks it clears, its timeline
// summary and its phase signals. Analysis::prepare() is const and thread-safe, so the
// parse workers prepare the events of their file while the calling thread merges.
struct PreparedEvent {
  std::vector<const Rule*> hits;  // rules matched (after suppression)
  std::vector<Finding> findings;  // one per hit
  std::vector<const Rule*> clears;
  std::string summary;
  std::vector<PhaseSignal> signals;
};

class Analysis {
 public:
  Analysis(const RuleSet& rules, AnalysisOptions options);
  ~Analysis();
  PreparedEvent prepare(const Event& e) const;  // any thread
  void observe(const Event& e, PreparedEvent&& prepared);
  void observe(const Event& e) { observe(e, prepare(e)); }
  Report finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hellotrace::host
