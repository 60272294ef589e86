// Readers of the text exports of Windows event logs: event XML (Event Viewer
// "Save As… XML", `wevtutil qe /f:xml` and `/f:RenderedXml`, forwarded events),
// CSV (Event Viewer "Save As… CSV" in any of several UI languages, and
// `Get-WinEvent | Export-Csv`) and JSON (`Get-WinEvent | ConvertTo-Json` in the
// shapes of PowerShell 5.1 and 7, one object, an array, or one object per line).
//
// Every reader yields hellotrace::eventlog::Record through `on_record` (return
// false to stop) and reports every problem through `on_problem`, then goes on with
// the next event: nothing already yielded is taken back, damaged input never crashes
// or loops. Each Record comes with RecordNotes saying what the format could not carry
// (time zone assumed, EventData names not known, values missing).
//
// What each format carries (details in the folder's README.md):
//  * XML: everything the .evtx record has (all System fields, EventData/UserData),
//    plus RenderingInfo/Message when present (→ Record.message).
//  * Event Viewer CSV: level (from its display name), local time to the second, source
//    (provider), event id, task (only when shown as "(n)"), message. No EventData.
//  * Export-Csv: the System fields and Message; TimeCreated is local time to the second;
//    no EventData values (Properties is rendered as a .NET type name).
//  * JSON: the System fields, Message, and EventData values by position (names from
//    manifest_names()); PS 5.1 times to the millisecond, PS 7 to 100 ns.
#pragma once

#include <hellotrace/plugin_api.h>

#include <cstdint>
#include <functional>
#include <hellotrace/eventlog/record.hpp>
#include <hellotrace/text/datetime.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hellotrace::eventexport {

// A problem with the input. `line` is 1-based in the decoded text (lines survive
// decoding); `offset` is the byte offset in the file as stored when it is known
// (UTF-8 input), else HT_NO_NUMBER.
struct Problem {
  uint64_t line = HT_NO_NUMBER;
  uint64_t offset = HT_NO_NUMBER;
  int severity = HT_DIAG_WARNING;  // HT_DIAG_*
  std::string message;
};

// What a format could not carry for one Record.
struct RecordNotes {
  uint32_t time_flags = 0;            // HT_TIME_ZONE_ASSUMED for local times (CSV)
  bool data_names_unknown = false;    // JSON: event not in manifest_names(): data items
                                      // are unnamed (empty name), in order
  bool data_names_partial = false;    // JSON: more values than known names; extras unnamed
  bool data_values_missing = false;   // CSV, or JSON whose Properties were cut by the
                                      // ConvertTo-Json depth: EventData not available
  bool provider_expanded = false;     // CSV: short Event Viewer source name expanded
  uint32_t time_precision_ticks = 1;  // 1 (100 ns), 10'000 (ms) or 10'000'000 (s)
};

using RecordFn = std::function<bool(const eventlog::Record&, const RecordNotes&)>;
using ProblemFn = std::function<void(const Problem&)>;

struct Options {
  // Zone of local times (CSV): "UTC" (default), "Z", "+03:00", "-0500", "UTC+3",
  // "GMT-05:30". Names from the tz database are not known (reported, UTC used).
  std::string timezone = "UTC";
  // Day/month order of culture-formatted dates (CSV, text): nullopt decides it per file
  // from the values (hellotrace::text::DateOrderInference).
  std::optional<text::DateOrder> date_order;
};

struct Stats {
  uint64_t records = 0;   // Records passed to on_record
  uint64_t problems = 0;  // calls of on_problem
  bool stopped = false;   // on_record returned false
};

// Event XML (UTF-8 or UTF-16, with or without <Events> root). Memory: the decoded
// text plus the DOM of one event at a time (events are cut out of the text and
// parsed one by one with pugixml).
Stats read_event_xml(std::span<const uint8_t> bytes, const RecordFn& on_record,
                     const ProblemFn& on_problem, const Options& options = {});

// Event Viewer CSV or Export-Csv (with or without the #TYPE line). Two passes over the
// decoded text (the first decides the day/month order of dates); memory: the decoded
// text plus one row.
Stats read_event_csv(std::span<const uint8_t> bytes, const RecordFn& on_record,
                     const ProblemFn& on_problem, const Options& options = {});

// ConvertTo-Json output: one object, an array of objects, objects one after another
// (pretty or one per line). Each event is parsed on its own (a damaged one is
// reported and skipped); memory: the decoded text plus one event's DOM.
Stats read_event_json(std::span<const uint8_t> bytes, const RecordFn& on_record,
                      const ProblemFn& on_problem, const Options& options = {});

// Event Viewer's "Copy details as text" (Event Properties → Copy), one or several events
// pasted one after another, English or German labels. With the "Event Xml:" part that
// newer Event Viewers add, the XML is read (everything the .evtx has); without it, the
// header (log, source, local date, id, level, computer) and the description (→ message).
Stats read_event_details(std::span<const uint8_t> bytes, const RecordFn& on_record,
                         const ProblemFn& on_problem, const Options& options = {});

// `Get-WinEvent | Format-List` (default view: TimeCreated, ProviderName, Id, Message; or
// `Format-List *`): the Get-WinEvent properties by name, local TimeCreated, the message.
Stats read_event_list(std::span<const uint8_t> bytes, const RecordFn& on_record,
                      const ProblemFn& on_problem, const Options& options = {});

// Picks the reader by sniffing (highest score); reports an error when none fits.
Stats read_event_export(std::span<const uint8_t> bytes, const RecordFn& on_record,
                        const ProblemFn& on_problem, const Options& options = {});

// Sniffers: 0 (not this format) … 100 (certainly), from the first bytes of a file
// (any encoding text::decode knows). Pure and cheap.
int looks_like_event_xml(std::span<const uint8_t> prefix);
int looks_like_event_csv(std::span<const uint8_t> prefix);
int looks_like_event_json(std::span<const uint8_t> prefix);
int looks_like_event_details(std::span<const uint8_t> prefix);
int looks_like_event_list(std::span<const uint8_t> prefix);

// How a value is rendered in event XML, for positional values that JSON gives in
// another form (numbers for HexInt32, GUIDs without braces).
enum class ValueKind : uint8_t { kText, kHexInt32, kGuid };

struct DataName {
  std::string_view name;
  ValueKind kind = ValueKind::kText;
};

// EventData names of an event in manifest order, for the events that matter to
// hellotrace (User Device Registration, HelloForBusiness). nullopt when the event is
// not in the table. `provider` is the provider name (case-insensitive; the
// "Microsoft-Windows-" prefix may be left out). The table lists the names of the
// newest known template; older builds write a prefix of it (UDR 358/360 without
// UseCloudTrust and CloudTgt).
std::optional<std::span<const DataName>> manifest_names(std::string_view provider,
                                                        uint32_t event_id, uint8_t version);

}  // namespace hellotrace::eventexport
