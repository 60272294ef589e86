// Domain controller inventory: which DCs a domain has, which Windows build each runs, and
// whether that build can serve Windows Hello for Business key trust. See ../README.md.
#pragma once

#include <hellotrace/plugin_sdk.hpp>
#include <optional>
#include <span>
#include <string_view>

namespace hellotrace::dcinventory {

// "10.0 (17763)", "10.0.17763", "10.0.17763.1613", "17763" → the build number.
std::optional<int> build_of(std::string_view version);
// The Windows Server release of a build ("Windows Server 2019"), or "" when unknown.
std::string_view release_of(int build);

// A documented key trust defect of a DC build (Microsoft, "Windows Hello for Business
// known deployment issues"), or nullptr.
struct Defect {
  int build;
  int ubr_from, ubr_to;  // inclusive
  const char* effect;
  const char* fixed_in;
  const char* update;
};
const Defect* defect_of(int build, int ubr);
// Key trust needs a writable DC of Windows Server 2016 (14393) or later.
inline constexpr int kFirstKeyTrustBuild = 14393;

int sniff(std::span<const uint8_t> prefix, std::string_view file_name);
void parse(std::span<const uint8_t> bytes, sdk::EventSink& out);
void analyze(const nlohmann::json& input, sdk::OutputSink& out);

}  // namespace hellotrace::dcinventory
