// Findings as Elastic Common Schema documents (`analyze --ecs FILE|-`): one JSON object
// per line, each an alert a SIEM indexes as it is (docs/SIEM.md).
//
// A reader may rely on (ECS 8.11, the version in ecs.version; the fields used are
// checked against docs/schema/ecs-finding.schema.json in the tests):
//  - @timestamp is the detection time (--now or the run's reference time), never the
//    first evidence (that is event.start);
//  - event.kind "alert"; event.category and event.type hold ECS allowed values only
//    (ecs_categories()); event.severity is a number: info 21, medium 47, high 73,
//    critical 99 (ecs_severity());
//  - event.id is the finding id of the NDJSON (finding_id()), rule.id the catalog id,
//    rule.name its title, rule.ruleset "hellotrace";
//  - host.*, user.*, cloud.account.id appear only when the finding names them (an
//    absent value is left out, never null); user.email is the UPN, user.id the SID,
//    user.name the account name (sAMAccountName without domain, else the UPN's local
//    part) and user.domain the NetBIOS domain of the account, else the UPN's suffix;
//  - everything hellotrace knows beyond ECS is under `hellotrace` (the NDJSON's user,
//    device, tenant, times, evidence, remediation, documentation and details);
//  - like the NDJSON, valid UTF-8 JSON whatever the input held.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "engine/finding.hpp"

namespace hellotrace::host {

inline constexpr const char* kEcsVersion = "8.11.0";

// ECS event.severity of a hellotrace severity; 0 for an unknown word.
int ecs_severity(std::string_view severity);
// ECS event.category values for a finding category (prerequisites, sync, signin, …).
std::vector<std::string_view> ecs_categories(std::string_view category);

nlohmann::ordered_json finding_to_ecs(const Finding& f, int64_t detected);

}  // namespace hellotrace::host
