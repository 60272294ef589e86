// The entra-sync parser plugin: what admins export from the Entra Connect server
// (Get-ADSyncScheduler, Start-ADSyncSyncCycle, run history, export errors) → sync.*
// events. See ../README.md.
#include <hellotrace/plugin_sdk.hpp>

#include "entra_sync.hpp"

namespace {

class SdkOutput final : public hellotrace::entra_sync::Output {
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

class EntraSyncPlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit EntraSyncPlugin(const nlohmann::json& /*config*/) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    return hellotrace::entra_sync::sniff(prefix, name);
  }

  void parse(const hellotrace::sdk::Source& source,
             hellotrace::sdk::EventSink& out) const override {
    using namespace hellotrace::entra_sync;
    RunOptions options;
    const nlohmann::json& o = source.options;
    if (o.is_object()) {
      if (auto it = o.find("timezone"); it != o.end() && it->is_string()) {
        options.utc_offset =
            hellotrace::time::parse_offset(it->get<std::string>(), kTimezoneSyntax);
        if (!options.utc_offset) {
          out.warning({}, "option timezone '" + it->get<std::string>() +
                              "' not understood (use UTC or +hh:mm); using UTC");
          options.utc_offset = 0;
        }
      }
      if (auto it = o.find("date_order"); it != o.end() && it->is_string()) {
        const std::string v = it->get<std::string>();
        options.date_order = hellotrace::text::parse_date_order(v);
        if (!options.date_order)
          out.warning({}, "option date_order '" + v + "' not understood (dmy, mdy or ymd)");
      }
    }
    SdkOutput sink(out);
    hellotrace::entra_sync::parse(source.data, options, sink);
  }
};

}  // namespace

HT_DEFINE_PLUGIN(entra_sync, EntraSyncPlugin,
                 ({"entra-sync",
                   "1.0.0",
                   "Reads Entra Connect exports: Get-ADSyncScheduler, Start-ADSyncSyncCycle, "
                   "run history (Get-ADSyncRunProfileResult/RunStepResult), export errors and "
                   "Get-ADSyncConnector",
                   HT_CAP_PARSE,
                   {"adsync-scheduler", "adsync-sync-cycle", "adsync-run-history",
                    "adsync-export-errors", "adsync-connector"},
                   {"sync.scheduler", "sync.cycle_requested", "sync.cycle", "sync.run_step",
                    "sync.export_error", "sync.connector"}}))
