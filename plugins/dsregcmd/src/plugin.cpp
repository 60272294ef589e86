// The dsregcmd parser plugin: `dsregcmd /status` text → device.state, device.details,
// tenant.details, user.state, sso.state, device.diagnostics, proxy.config, prereq.check and
// work_account events (one per section per run). See ../README.md.
#include <hellotrace/plugin_sdk.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>

#include "dsregcmd_parser.hpp"

namespace {

class SdkOutput final : public hellotrace::dsregcmd::Output {
 public:
  explicit SdkOutput(hellotrace::sdk::EventSink& out) : out_(out) {}
  void event(const hellotrace::Event& e) override { out_.emit(e); }
  void diagnose(int severity, uint64_t line, std::string_view message) override {
    hellotrace::Position at;
    if (line != 0) at.line = line;
    out_.diagnose(severity, at, message);
  }

 private:
  hellotrace::sdk::EventSink& out_;
};

class DsregcmdPlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit DsregcmdPlugin(const nlohmann::json& /*config*/) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    return hellotrace::dsregcmd::sniff(prefix, name);
  }

  void parse(const hellotrace::sdk::Source& source,
             hellotrace::sdk::EventSink& out) const override {
    const std::string text = hellotrace::text::decode_reporting(source.data, out);
    SdkOutput sink(out);
    hellotrace::dsregcmd::parse_text(text, source.path, sink);
  }
};

}  // namespace

HT_DEFINE_PLUGIN(dsregcmd, DsregcmdPlugin,
                 ({"dsregcmd",
                   "1.0.0",
                   "Reads dsregcmd /status output: join state, device, tenant, user, SSO, "
                   "diagnostics, proxy and NGC prerequisite sections",
                   HT_CAP_PARSE,
                   {"dsregcmd-status"},
                   {"device.state", "device.details", "tenant.details", "user.state", "sso.state",
                    "device.diagnostics", "proxy.config", "prereq.check", "work_account",
                    "dsregcmd.section"}}))
