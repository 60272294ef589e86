// The policy plugin table: parses registry exports of the Windows Hello for Business
// policy keys and gpresult /x reports into policy.* events and analyzes the effective policy per
// device.
#include <hellotrace/plugin_sdk.hpp>

#include "policy.hpp"

namespace {

class PolicyPlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit PolicyPlugin(const nlohmann::json& /*config*/) {}
  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    return hellotrace::policy::sniff(prefix, name);
  }
  void parse(const hellotrace::sdk::Source& source,
             hellotrace::sdk::EventSink& out) const override {
    hellotrace::policy::parse(source, out);
  }
  void analyze(const nlohmann::json& input, hellotrace::sdk::OutputSink& out) const override {
    hellotrace::policy::analyze(input, out);
  }
};

}  // namespace

HT_DEFINE_PLUGIN(policy, PolicyPlugin,
                 ({"policy",
                   "1.0.0",
                   "Reads Windows Hello for Business policy from registry exports (.reg, reg "
                   "query, Get-ItemProperty) and gpresult /x, and finds disabled, conflicting "
                   "or weak policy",
                   HT_CAP_PARSE | HT_CAP_ANALYZE,
                   {"reg", "reg-query", "get-itemproperty", "gpresult-xml"},
                   {"policy.setting", "policy.export"},
                   {"policy.*", "prereq.check"}}))
