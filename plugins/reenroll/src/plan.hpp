// The re-enrollment planner: findings in, an ordered list of steps out, then the
// renderings of that one list (PowerShell plan, Markdown plan, plan.json, Intune
// remediation pairs). Planning decides; rendering only formats, so the four outputs
// cannot disagree.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hellotrace::reenroll {

// Identity fields exactly as the finding carried them ("" when null or absent).
struct Person {
  std::string upn, sid, dn, sam;
  bool empty() const { return upn.empty() && sid.empty() && dn.empty() && sam.empty(); }
  bool overlaps(const Person& o) const;
  std::string display() const;  // raw; callers sanitize for their medium
};

struct Device {
  std::string name, id;
  bool empty() const { return name.empty() && id.empty(); }
  bool overlaps(const Device& o) const;
  std::string display() const;
};

// A key named in the evidence of a key.* finding (ad.key_credential excerpt).
struct AdKey {
  std::string key_id, device_id, created;
};

struct Finding {
  size_t number = 0;  // 1-based position in the input, as the plan cites it
  std::string rule, severity;
  Person user;
  Device device;
  nlohmann::json details = nlohmann::json::object();
  std::vector<AdKey> ad_keys;            // from ad.key_credential evidence
  std::vector<std::string> ngc_key_ids;  // device-side {GUID} key ids (details, evidence)
};

// Where a step runs; also the order of the plan (prerequisites first).
enum class Phase { Prerequisite, Wait, SyncServer, ActiveDirectory, Device, Verify, Note };

enum class Action {
  Manual,              // described, warned about, never automated
  Wait,                // sync.pending: nothing to do until the ETA
  StagingCheck,        // sync.staging_mode: a human picks the active server
  GrantKeyWrite,       // dsacls: connector account may write msDS-KeyCredentialLink
  EnableScheduler,     // Set-ADSyncScheduler -SyncCycleEnabled $true
  ResumeScheduler,     // Set-ADSyncScheduler -SchedulerSuspended $false
  ReviewExportErrors,  // sync.export_error: read the error, no automated fix
  DeltaSync,           // Start-ADSyncSyncCycle -PolicyType Delta
  RemoveAdKey,         // remove one msDS-KeyCredentialLink value by KeyId
  ResetContainer,      // certutil -DeleteHelloContainer as the user, then sign out/in
  VerifyKeyInAd,       // read-only: list the user's keys
  Note,                // informational finding or a rule without a step
};

enum class Status { Planned, Manual, Wait, Blocked, Refused, Note };

struct Step {
  int number = 0;  // order in the plan, 1-based
  Phase phase = Phase::Note;
  Action action = Action::Note;
  Status status = Status::Planned;
  std::vector<size_t> findings;  // Finding::number
  std::vector<std::string> rules;
  Person user;
  Device device;
  std::string key_id;  // AdKey::key_id (validated when status is Planned)
  std::string eta;     // validated ETA for Wait
  std::string domain;  // DC=… for GrantKeyWrite, "" = the domain of the server at run time
  std::string text;    // what to do, in words (constant catalog text, never from logs)
  std::string reason;  // why refused/blocked (constant text plus step numbers)
  std::vector<int> blocked_by;
  bool needs_tpm_ack = false;  // ROCA: reset only with -TpmFirmwareUpdated
  bool destructive() const;
  std::string id() const;  // "S01"
};

// A Proactive Remediations pair for one device-side problem.
struct IntunePair {
  std::string name;  // file stem under intune/
  std::string title;
  std::vector<size_t> findings;
  std::vector<std::string> rules;
  std::vector<std::string> bad_ngc_key_ids;  // validated {GUID}s; empty for event-based
  std::vector<std::string> devices;          // display, for the header and the docs
  size_t refused = 0;                        // key ids left out because of their shape
};

struct Options {
  std::string sync_server;        // validated NetBIOS name, "" = check for the cmdlets only
  std::string connector_account;  // validated DOMAIN\name, "" = read it from Get-ADSyncConnector
  bool what_if_default = true;
};

struct Plan {
  std::vector<Finding> findings;
  std::vector<Step> steps;
  std::vector<IntunePair> intune;
  Options options;
  std::vector<std::string> diagnostics;  // malformed input, ignored options
};

// Reads the act() input; never throws on a wrong shape (it becomes a diagnostic).
Plan make_plan(const nlohmann::json& input);

// Renderings. Each returns the file content.
std::string render_powershell(const Plan& plan);
std::string render_markdown(const Plan& plan);
nlohmann::json render_manifest(const Plan& plan);
std::string render_intune_detect(const Plan& plan, const IntunePair& pair);
std::string render_intune_remediate(const Plan& plan, const IntunePair& pair);

const char* phase_name(Phase p);
const char* status_name(Status s);

inline constexpr const char* kPlanScript = "reenroll-plan.ps1";
inline constexpr const char* kPlanMarkdown = "reenroll-plan.md";
inline constexpr const char* kManifest = "plan.json";

}  // namespace hellotrace::reenroll
