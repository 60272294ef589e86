// The tpm plugin: parses TPM exports (Get-Tpm, Win32_Tpm, tpmtool) into tpm.info events
// and analyzes TPM facts per device into tpm.* findings. See ../README.md.
#include <hellotrace/plugin_sdk.hpp>

#include "tpm_analyze.hpp"
#include "tpm_parse.hpp"

namespace {

class TpmPlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit TpmPlugin(const nlohmann::json& /*config*/) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    return hellotrace::tpm::sniff(prefix, name);
  }
  void parse(const hellotrace::sdk::Source& source,
             hellotrace::sdk::EventSink& out) const override {
    hellotrace::tpm::parse(source.data, out);
  }
  void analyze(const nlohmann::json& input, hellotrace::sdk::OutputSink& out) const override {
    hellotrace::tpm::analyze(input, out);
  }
};

}  // namespace

HT_DEFINE_PLUGIN(tpm, TpmPlugin,
                 ({"tpm",
                   "1.0.0",
                   "Reads Get-Tpm, Win32_Tpm and tpmtool exports; finds absent, unready, "
                   "excluded and ROCA-vulnerable TPMs",
                   HT_CAP_PARSE | HT_CAP_ANALYZE,
                   {"get-tpm", "win32-tpm", "tpmtool"},
                   {"tpm.info"},
                   {"tpm.info", "policy.setting", "prereq.check", "ngc.key_registered",
                    "device.details"}}))
