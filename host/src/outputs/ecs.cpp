#include "outputs/ecs.hpp"

#include <array>
#include <utility>

#include "outputs/output_json.hpp"

#ifndef HELLOTRACE_VERSION
#define HELLOTRACE_VERSION "0.0.0"
#endif

namespace hellotrace::host {

using json = nlohmann::ordered_json;

int ecs_severity(std::string_view s) {
  // Evenly spread over ECS's 0–100 like Elastic's own rule severities (low 21 is
  // unused: hellotrace's lowest is info).
  if (s == "critical") return 99;
  if (s == "high") return 73;
  if (s == "medium") return 47;
  if (s == "info") return 21;
  return 0;
}

std::vector<std::string_view> ecs_categories(std::string_view category) {
  // ECS allowed values of event.category: what the blocker is about. A key or a sync
  // problem is identity and access management (the user's credential in AD); a sign-in
  // is authentication; a device or its TPM is the host; policy and prerequisites are
  // configuration.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kMap = {{
      {"prerequisites", "configuration"},
      {"policy", "configuration"},
      {"provisioning", "iam"},
      {"key", "iam"},
      {"sync", "iam"},
      {"signin", "authentication"},
      {"device", "host"},
      {"tpm", "host"},
  }};
  for (const auto& [from, to] : kMap)
    if (from == category) return {to};
  return {"configuration"};
}

namespace {

void put_if(json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

// "CONTOSO\jdoe" → {"CONTOSO", "jdoe"}; "jdoe" → {"", "jdoe"}.
std::pair<std::string, std::string> split_account(const std::string& sam) {
  const size_t slash = sam.find('\\');
  if (slash == std::string::npos) return {"", sam};
  return {sam.substr(0, slash), sam.substr(slash + 1)};
}

}  // namespace

json finding_to_ecs(const Finding& f, int64_t detected) {
  json native = finding_to_json(f, detected);
  const Subject& s = f.subject;

  json event = {{"kind", "alert"}, {"category", json::array()}, {"type", {"info"}}};
  for (std::string_view c : ecs_categories(f.category)) event["category"].push_back(c);
  event["severity"] = ecs_severity(f.severity);
  event["id"] = native["id"];
  event["module"] = "hellotrace";
  event["dataset"] = "hellotrace.finding";
  if (native["times"]["first_evidence"].is_string())
    event["start"] = native["times"]["first_evidence"];
  if (native["times"]["last_evidence"].is_string()) event["end"] = native["times"]["last_evidence"];

  json rule = {{"id", f.rule}, {"name", f.title}, {"ruleset", "hellotrace"}};
  put_if(rule, "category", f.category);
  put_if(rule, "reference", f.documentation);

  json doc = {{"@timestamp", native["detected"]},
              {"ecs", {{"version", kEcsVersion}}},
              {"message", f.summary},
              {"event", std::move(event)},
              {"rule", std::move(rule)}};

  json host = json::object();
  put_if(host, "name", s.device_name);
  put_if(host, "id", s.device_id);
  if (!host.empty()) doc["host"] = std::move(host);

  json user = json::object();
  const auto [netbios, account] = split_account(s.user_sam);
  const size_t at = s.user_upn.find('@');
  const std::string local = at == std::string::npos ? s.user_upn : s.user_upn.substr(0, at);
  const std::string suffix = at == std::string::npos ? "" : s.user_upn.substr(at + 1);
  put_if(user, "name", account.empty() ? local : account);
  put_if(user, "id", s.user_sid);
  if (at != std::string::npos) put_if(user, "email", s.user_upn);
  put_if(user, "domain", netbios.empty() ? suffix : netbios);
  if (!user.empty()) doc["user"] = std::move(user);

  // Every name the finding knows the person and the device by, for pivoting.
  json related = json::object();
  for (const std::string* v : {&s.user_upn, &s.user_sam, &s.user_sid})
    if (!v->empty()) related["user"].push_back(*v);
  if (!s.device_name.empty()) related["hosts"].push_back(s.device_name);
  if (!related.empty()) doc["related"] = std::move(related);

  if (!s.tenant_id.empty()) doc["cloud"] = {{"account", {{"id", s.tenant_id}}}};
  doc["observer"] = {{"product", "hellotrace"}, {"version", HELLOTRACE_VERSION}};

  json ht = {{"schema", native["schema"]},
             {"severity", f.severity},
             {"title", f.title},
             {"category", f.category},
             {"user", native["user"]},
             {"device", native["device"]},
             {"tenant", native["tenant"]},
             {"ngc_key_id", s.ngc_key_id.empty() ? json(nullptr) : json(s.ngc_key_id)},
             {"times", native["times"]},
             {"evidence", native["evidence"]},
             {"remediation", f.remediation},
             {"documentation", native["documentation"]},
             {"details", native["details"]}};
  doc["hellotrace"] = std::move(ht);
  return doc;
}

}  // namespace hellotrace::host
