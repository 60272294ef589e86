// policy plugin: Windows Hello for Business policy from registry exports (see README.md).
#pragma once

#include <cstdint>
#include <hellotrace/plugin_sdk.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hellotrace::policy {

// Where a registry key sits among the WHfB policy areas.
struct Area {
  std::string source;  // "gpo" | "intune"
  std::string scope;   // "machine" | "user"
  std::string sid;     // user SID for HKEY_USERS\S-1-… and Intune per-user keys, else ""
  std::string tenant;  // Intune tenant id (lower-case GUID), else ""
  std::string sub;     // subkey below the policies key ("PINComplexity"), "" for the key itself
};

// The area of a canonical key path (regfile::canonical_key), or nullopt when the key is
// not a WHfB policy key.
std::optional<Area> classify(std::string_view canonical_key);

// Canonical setting name of value `name` in `area` (README: "Fields").
std::string setting_name(const Area& area, std::string_view name);

// gpresult /x output (gpresult.cpp): is the decoded text an RSoP report, and its reader.
bool is_gpresult(std::string_view decoded_prefix);
void parse_gpresult(const sdk::Source& source, std::string_view xml, sdk::EventSink& out);

int sniff(std::span<const uint8_t> prefix, std::string_view file_name);
void parse(const sdk::Source& source, sdk::EventSink& out);
void analyze(const nlohmann::json& input, sdk::OutputSink& out);

}  // namespace hellotrace::policy
