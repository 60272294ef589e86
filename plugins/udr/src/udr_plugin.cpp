// The `udr` parser plugin: Windows event logs in any export form — .evtx
// (parsers/evtx), and the XML, CSV and JSON exports of Event Viewer, wevtutil and
// PowerShell (parsers/eventexport) — become normalized events.
#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/eventexport/eventexport.hpp>
#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/plugin_sdk.hpp>

#include "normalize.hpp"

namespace {

using namespace hellotrace;

class UdrPlugin : public sdk::Plugin {
 public:
  explicit UdrPlugin(const nlohmann::json&) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view) const override {
    if (evtx::looks_like_evtx(prefix)) return 95;
    return std::max({eventexport::looks_like_event_xml(prefix),
                     eventexport::looks_like_event_csv(prefix),
                     eventexport::looks_like_event_json(prefix)});
  }

  void parse(const sdk::Source& src, sdk::EventSink& out) const override {
    if (evtx::looks_like_evtx(src.data)) {
      parse_evtx(src, out);
      return;
    }
    if (sniff(src.data.first(std::min<size_t>(src.data.size(), HT_SNIFF_PREFIX_SIZE)), {}) == 0) {
      out.error({},
                "not a Windows event log export this plugin reads (.evtx, event XML, CSV or JSON)");
      return;
    }
    eventexport::Options options;
    if (src.options.contains("timezone") && src.options["timezone"].is_string())
      options.timezone = src.options["timezone"].get<std::string>();
    Event event;
    bool warned_missing = false, warned_names = false;
    eventexport::read_event_export(
        src.data,
        [&](const eventlog::Record& r, const eventexport::RecordNotes& notes) {
          udr::normalize(r, event);
          event.time_flags |= notes.time_flags;
          // Say once per file what this export form cannot carry.
          if (notes.data_values_missing && !warned_missing) {
            warned_missing = true;
            out.info({r.line, HT_NO_NUMBER, HT_NO_NUMBER},
                     "this export carries no EventData values (CSV, or ConvertTo-Json below -Depth "
                     "3): rules on event fields cannot apply; export as .evtx or XML");
          }
          if ((notes.data_names_unknown || notes.data_names_partial) && !warned_names) {
            warned_names = true;
            out.info({r.line, HT_NO_NUMBER, HT_NO_NUMBER},
                     "some events have positional values whose names are not known (JSON export): "
                     "they are kept unnamed");
          }
          out.emit(event);
          return true;
        },
        [&](const eventexport::Problem& p) {
          out.diagnose(p.severity, {p.line, p.offset, HT_NO_NUMBER}, p.message);
        },
        options);
  }

 private:
  void parse_evtx(const sdk::Source& src, sdk::EventSink& out) const {
    Event event;
    const evtx::Stats stats = evtx::read(
        src.data,
        [&](const eventlog::Record& r) {
          udr::normalize(r, event);
          out.emit(event);
          return true;
        },
        [&](const evtx::Problem& p) {
          const std::string where =
              p.chunk < 0 ? std::string("file header") : fmt::format("chunk {}", p.chunk);
          out.warning({HT_NO_NUMBER, p.offset, HT_NO_NUMBER}, fmt::format("{}: {}", where, p.what));
        });
    // A log that is damaged beyond recovery is an error, not an empty log: the run must
    // not read as "nothing wrong found".
    if (stats.records == 0 && stats.problems > 0)
      out.error({}, fmt::format("no event record could be recovered ({} problem(s) above)",
                                stats.problems));
    else if (stats.records == 0)
      out.warning({}, "no event records found (empty log)");
  }
};

}  // namespace

HT_DEFINE_PLUGIN(
    udr, UdrPlugin,
    ({"udr",
      "1.0.0",
      "Windows event logs (User Device Registration, HelloForBusiness, AAD, ADSync, DC "
      "Kerberos PKINIT and KDC "
      "and any other channel)",
      HT_CAP_PARSE,
      {"evtx", "event-xml", "event-csv", "event-json"},
      {"prereq.check",
       "ngc.key_registered",
       "ngc.key_registration_failed",
       "device.join_failed",
       "device.joined",
       "udr.event",
       "tpm.info",
       "ngc.container",
       "hello.error",
       "hello.event",
       "aad.error",
       "aad.event",
       "adsync.scheduler",
       "adsync.run_profile",
       "adsync.run_error",
       "adsync.service",
       "adsync.export_cycle",
       "adsync.event",
       "kerberos.pkinit",
       "kerberos.pkinit_failed",
       "kdc.certificate",
       "eventlog.record"}}))
