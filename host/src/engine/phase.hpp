// Enrollment phases: the fixed steps of a hybrid key-trust enrollment the timeline
// reports per person, and the states a phase can be in. Which event shows which state
// is data (rules/phases.json, loaded by RuleSet); this header only names the steps.
//
// A reader may rely on: kPhaseOrder is the enrollment order and the order of
// UserTimeline::phases; names are the stable strings of the JSON outputs and of the
// plugin ABI (docs/PLUGINS.md); *_from_name accept exactly those names.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace hellotrace::host {

enum class Phase {
  kPolicy,         // WHfB policy applies to the user/device
  kDeviceJoined,   // device hybrid-joined to Entra ID
  kPrt,            // user holds an Entra primary refresh token
  kPrerequisites,  // prerequisite check passed or failed
  kProvisioning,   // MFA + PIN, NGC container created
  kKeyRegistered,  // public key registered in Entra ID
  kSyncCycle,      // an Entra Connect cycle ran after the registration
  kKeyInAd,        // key present in msDS-KeyCredentialLink
  kOnPremSignIn,   // first on-premises sign-in with the key
};
inline constexpr size_t kPhaseCount = 9;
const char* phase_name(Phase p);   // "key_registered"
const char* phase_title(Phase p);  // "Key registered in Entra ID"

enum class PhaseState { kUnknown, kDone, kFailed, kPending };
const char* phase_state_name(PhaseState s);
std::optional<Phase> phase_from_name(std::string_view name);
// "done", "failed", "pending"; "unknown" is what no statement says (nullopt).
std::optional<PhaseState> phase_state_from_name(std::string_view name);

}  // namespace hellotrace::host
