// The `udr` parser plugin: Windows event logs in any export form — .evtx
// (parsers/evtx), and the XML, CSV and JSON exports of Event Viewer, wevtutil and
// PowerShell (parsers/eventexport) — become normalized events.
#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/eventexport/eventexport.hpp>
#include <hellotrace/eventmessage/catalog.hpp>
#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/plugin_sdk.hpp>
#include <map>
#include <memory>
#include <mutex>

#include "normalize.hpp"

namespace {

using namespace hellotrace;

// The message templates of a folder, loaded once per process (parse() runs on several
// files at a time). The host passes the folder as the run option messages_dir; without
// it (in-process tests) the source tree's messages/ is used. Problems with the template
// files are reported on the file whose parse loaded them.
const eventmessage::Catalog& message_catalog(const nlohmann::json& options, sdk::EventSink& out) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<eventmessage::Catalog>> loaded;
  std::string dir = eventmessage::source_messages_dir().string();
  if (options.contains("messages_dir") && options["messages_dir"].is_string())
    dir = options["messages_dir"].get<std::string>();
  const std::lock_guard lock(mutex);
  auto& slot = loaded[dir];
  if (!slot) {
    slot = std::make_unique<eventmessage::Catalog>();
    slot->load_dir(dir);
    for (const auto& p : slot->problems()) out.warning({}, "message templates: " + p.text());
  }
  return *slot;
}

class UdrPlugin : public sdk::Plugin {
 public:
  explicit UdrPlugin(const nlohmann::json&) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view) const override {
    if (evtx::looks_like_evtx(prefix)) return 95;
    return std::max(
        {eventexport::looks_like_event_xml(prefix), eventexport::looks_like_event_csv(prefix),
         eventexport::looks_like_event_json(prefix), eventexport::looks_like_event_details(prefix),
         eventexport::looks_like_event_list(prefix)});
  }

  void parse(const sdk::Source& src, sdk::EventSink& out) const override {
    if (evtx::looks_like_evtx(src.data)) {
      parse_evtx(src, out);
      return;
    }
    if (sniff(src.data.first(std::min<size_t>(src.data.size(), HT_SNIFF_PREFIX_SIZE)), {}) == 0) {
      out.error({},
                "not a Windows event log export this plugin reads (.evtx, event XML, CSV, JSON, "
                "copied event details or Get-WinEvent | Format-List)");
      return;
    }
    eventexport::Options options;
    if (src.options.contains("timezone") && src.options["timezone"].is_string())
      options.timezone = src.options["timezone"].get<std::string>();
    if (src.options.contains("date_order") && src.options["date_order"].is_string()) {
      const std::string v = src.options["date_order"].get<std::string>();
      options.date_order = text::parse_date_order(v);
      if (!options.date_order)
        out.warning({}, "option date_order '" + v + "' not understood (dmy, mdy or ymd)");
    }
    const eventmessage::Catalog& catalog = message_catalog(src.options, out);
    Event event;
    eventlog::Record recovered;
    bool warned_missing = false, warned_names = false, told_language = false, told_no_match = false;
    uint64_t recovered_count = 0;
    eventexport::read_event_export(
        src.data,
        [&](const eventlog::Record& r, const eventexport::RecordNotes& notes) {
          const eventlog::Record* record = &r;
          bool values_missing = notes.data_values_missing && r.data.empty();
          // Exports that keep only the rendered message: read the EventData back from it
          // with the provider's templates (messages/*.json).
          if (values_missing && !r.message.empty()) {
            eventmessage::Recovery got = catalog.recover(r.provider, r.event_id, r.message);
            switch (got.outcome) {
              case eventmessage::Outcome::kRecovered:
                recovered = r;
                recovered.data = std::move(got.data);
                if (recovered.provider.empty()) recovered.provider = got.provider;
                record = &recovered;
                values_missing = false;
                ++recovered_count;
                break;
              case eventmessage::Outcome::kOtherLanguage:
                if (!told_language) {
                  told_language = told_no_match = warned_missing = true;
                  out.warning({r.line, HT_NO_NUMBER, HT_NO_NUMBER},
                              "message text in " + got.language +
                                  ": fields not recovered; export as .evtx or XML");
                }
                break;
              case eventmessage::Outcome::kNoMatch:
                if (!told_no_match) {
                  told_no_match = warned_missing = true;
                  out.warning({r.line, HT_NO_NUMBER, HT_NO_NUMBER},
                              fmt::format("the message of event {} matches no known template "
                                          "(messages/): fields not recovered; export as .evtx "
                                          "or XML",
                                          r.event_id));
                }
                break;
              case eventmessage::Outcome::kNoTemplate:
                values_missing = false;  // nothing a rule reads from this event's fields
                break;
            }
          }
          udr::normalize(*record, event);
          event.time_flags |= notes.time_flags;
          // Say once per file what this export form cannot carry.
          if (values_missing && !warned_missing) {
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
    if (recovered_count)
      out.info({}, fmt::format("EventData of {} event(s) read back from their English message text",
                               recovered_count));
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
