// The `udr` parser plugin: Windows event logs in any export form (.evtx today;
// XML, CSV and JSON exports through parsers/eventexport) → normalized events.
#include "normalize.hpp"

#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/plugin_sdk.hpp>

#include <fmt/format.h>

namespace {

using namespace hellotrace;

class UdrPlugin : public sdk::Plugin {
 public:
  explicit UdrPlugin(const nlohmann::json&) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view) const override {
    return evtx::looks_like_evtx(prefix) ? 95 : 0;
  }

  void parse(const sdk::Source& src, sdk::EventSink& out) const override {
    if (!evtx::looks_like_evtx(src.data)) {
      out.error({}, "not a Windows event log export this plugin reads");
      return;
    }
    Event event;
    const evtx::Stats stats = evtx::read(
        src.data,
        [&](const eventlog::Record& r) {
          udr::normalize(r, event);
          out.emit(event);
          return true;
        },
        [&](const evtx::Problem& p) {
          const std::string where = p.chunk < 0 ? std::string("file header") : fmt::format("chunk {}", p.chunk);
          out.warning({HT_NO_NUMBER, p.offset, HT_NO_NUMBER}, fmt::format("{}: {}", where, p.what));
        });
    if (stats.records == 0 && stats.chunks == 0)
      out.warning({}, "no event records found (empty or unreadable log)");
  }
};

}  // namespace

HT_DEFINE_PLUGIN(udr, UdrPlugin,
                 ({"udr", "0.1.0",
                   "Windows event logs (User Device Registration, HelloForBusiness, AAD, ADSync and any other channel)",
                   HT_CAP_PARSE,
                   {"evtx"},
                   {"prereq.check", "ngc.key_registered", "ngc.key_registration_failed", "device.join_failed",
                    "device.joined", "udr.event", "tpm.info", "ngc.container", "hello.error", "hello.event",
                    "aad.error", "aad.event", "adsync.event", "eventlog.record"}}))
