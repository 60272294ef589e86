// Key-sync reasoning: when does the user's new key reach AD?
//
// In hybrid key trust the key registered in Entra ID at T (event 300) is written to
// the user's msDS-KeyCredentialLink by Entra Connect, at the earliest on the next
// sync cycle after T. This module works out, per registration, the expected write
// time (ETA) from the scheduler export (next start, effective interval; 30 minutes
// when no export says otherwise) and compares it with --now and with what the AD
// exports and run history show. It emits sync.pending, sync.overdue, key.not_in_ad,
// key.stale, sync.stale and sync.interval_long, and sets the sync_cycle and
// key_in_ad phases. A reader may rely on: nothing is reported about a registration
// whose time is unknown, and every finding names the facts it used in `details`.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "engine/finding.hpp"
#include "engine/identity.hpp"
#include "engine/timeline.hpp"

namespace hellotrace::host {

struct KeySyncInput {
  struct Registration {
    int64_t time;
    std::string key_id, attestation;
    int user_node, device_node;
    Evidence evidence;
    Subject subject;
  };
  struct AdKey {
    int64_t created;
    std::string key_id, device_id, usage;
    int user_node;
    Evidence evidence;
    std::string owner_dn, owner_upn;  // as the export wrote them (for display)
  };
  struct AdObject {  // an AD export covered this user (with or without keys)
    int user_node;
    Evidence evidence;
  };
  struct ExportError {
    int user_node;
    std::string type, attribute;
    Evidence evidence;
  };
  std::vector<Registration> registrations;
  std::vector<AdKey> ad_keys;
  std::vector<AdObject> ad_objects;
  std::vector<ExportError> export_errors;
  std::optional<SchedulerState> scheduler;  // the latest export
  std::vector<SyncCycle> cycles;

  void observe(const Event& e, int user_node, int device_node);
};

struct KeySyncResult {
  std::vector<Finding> findings;
  SyncState sync;
};

inline constexpr int64_t kDefaultSyncIntervalSeconds = 30 * 60;

// `rule_findings` are the findings of the data rules so far (to cite what explains
// an overdue sync); the timelines of people (`timeline_of(identity)`, null when the
// person has none) get their sync_cycle and key_in_ad phases set.
KeySyncResult analyze_key_sync(const KeySyncInput& input, const IdentityGraph& graph, int64_t now,
                               const std::function<UserTimeline*(int identity)>& timeline_of,
                               const std::vector<Finding>& rule_findings);

// "00:30:00", "1.00:00:00", "30" (minutes?) → seconds; -1 when not a duration.
int64_t parse_duration_seconds(std::string_view text);

}  // namespace hellotrace::host
