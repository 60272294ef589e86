// In-process tests of the entra-sync plugin on real-shaped samples (samples/).
#include "entra_sync.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <hellotrace/plugin_testing.hpp>
#include <hellotrace/time.hpp>

using hellotrace::harness::PluginUnderTest;
using Result = hellotrace::harness::ParseRun;

extern "C" const ht_plugin* ht_plugin_entra_sync(void);
using hellotrace::Event;
namespace es = hellotrace::entra_sync;

namespace {

std::string sample_path(std::string_view name) {
  return std::string(HT_SOURCE_DIR) + "/plugins/entra-sync/samples/" + std::string(name);
}

std::vector<const Event*> of_kind(const Result& r, std::string_view kind) {
  std::vector<const Event*> out;
  for (const auto& e : r.events)
    if (e.kind == kind) out.push_back(&e);
  return out;
}

std::string f(const Event& e, std::string_view name) {
  const std::string* v = e.field(name);
  return v ? *v : std::string("<missing>");
}

int64_t iso(std::string_view s) { return hellotrace::time::parse_iso(s).value(); }

const Event& only(const Result& r, std::string_view kind) {
  auto v = of_kind(r, kind);
  if (v.size() != 1) throw std::runtime_error("expected one " + std::string(kind));
  return *v[0];
}

}  // namespace

TEST(EntraSync, SchedulerUsConsole) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("scheduler_us.txt"));
  EXPECT_EQ(r.status, HT_OK);
  const Event& e = only(r, "sync.scheduler");
  EXPECT_EQ(e.origin.line, 4u);
  EXPECT_EQ(e.time, HT_NO_TIME);  // no export time in the file
  EXPECT_EQ(f(e, "AllowedSyncCycleInterval"), "00:30:00");
  EXPECT_EQ(f(e, "NextSyncCycleStartTimeInUTC"), "9/29/2025 12:51:47 PM");
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z");
  EXPECT_EQ(f(e, "IntervalSeconds"), "1800");
  EXPECT_EQ(f(e, "PurgeRunHistoryIntervalSeconds"), "604800");
  EXPECT_EQ(f(e, "SyncCycleEnabled"), "True");
  EXPECT_EQ(e.field("DateOrderAssumed"), nullptr);  // 29 > 12: unambiguous
  EXPECT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 0u);
  // Fields as written come first, in the source's order.
  EXPECT_EQ(e.fields[0].name, "AllowedSyncCycleInterval");
  EXPECT_EQ(e.fields[10].name, "SyncCycleInProgress");
}

TEST(EntraSync, SchedulerDayFirstLocale) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r_e = p.parse_file(sample_path("scheduler_nl_dayfirst.txt"));
  const Event& e = only(r_e, "sync.scheduler");
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z");
  EXPECT_EQ(e.field("DateOrderAssumed"), nullptr);
}

// Dots are day first in every culture that writes them (de-DE here): never read month
// first, whatever the option says.
TEST(EntraSync, SchedulerDottedDateIsDayFirst) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  for (const char* options : {"{}", R"({"date_order":"mdy"})"}) {
    const Result r_e = p.parse_file(sample_path("scheduler_de_ambiguous.txt"), options);
    const Event& e = only(r_e, "sync.scheduler");
    EXPECT_EQ(f(e, "NextSyncUtc"), "2025-10-03T08:15:00.0000000Z") << options;
    EXPECT_EQ(e.field("DateOrderAssumed"), nullptr);
  }
}

// Only ambiguous dates: the clock decides what is assumed, the event says so, and one
// diagnostic tells how to override it.
TEST(EntraSync, SchedulerAmbiguousDateSaysWhatWasAssumed) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  auto scheduler = [](const char* when) {
    return std::string("NextSyncCycleStartTimeInUTC : ") + when +
           "\nAllowedSyncCycleInterval    : 00:30:00\nSyncCycleEnabled            : True\n";
  };
  const Result gb = p.parse(scheduler("03/10/2025 08:15:00"));
  const Event& g = only(gb, "sync.scheduler");
  EXPECT_EQ(f(g, "NextSyncUtc"), "2025-10-03T08:15:00.0000000Z");
  EXPECT_EQ(f(g, "DateOrderAssumed"), "dmy");
  EXPECT_EQ(f(g, "DateOrderSource"), "assumed");
  bool told = false;
  for (const auto& d : gb.diagnostics)
    told = told || d.message.find("--date-order mdy") != std::string::npos;
  EXPECT_TRUE(told);

  const Result us = p.parse(scheduler("3/10/2025 8:15:00 AM"));
  EXPECT_EQ(f(only(us, "sync.scheduler"), "NextSyncUtc"), "2025-03-10T08:15:00.0000000Z");

  const Result forced =
      p.parse(scheduler("03/10/2025 08:15:00"), "input", R"({"date_order":"mdy"})");
  const Event& m = only(forced, "sync.scheduler");
  EXPECT_EQ(f(m, "NextSyncUtc"), "2025-03-10T08:15:00.0000000Z");
  EXPECT_EQ(f(m, "DateOrderSource"), "option");
}

TEST(EntraSync, AmbiguousDateInferredFromOtherDatesInFile) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const std::string text =
      "NextSyncCycleStartTimeInUTC : 03/10/2025 08:15:00\n"
      "AllowedSyncCycleInterval    : 00:30:00\n\n"
      "ConnectorName  : contoso.com\nRunProfileName : Export\nResult : success\n"
      "StartDate      : 29/09/2025 12:22:05\nEndDate        : 29/09/2025 12:22:09\n";
  const Result r = p.parse(text);
  const Event& e = only(r, "sync.scheduler");
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-10-03T08:15:00.0000000Z");
  EXPECT_EQ(f(e, "DateOrderSource"), "inferred");
  EXPECT_EQ(only(r, "sync.cycle").time, iso("2025-09-29T12:22:05Z"));
}

TEST(EntraSync, SchedulerUtf16LeBomCrlfDisabled) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const std::string bytes =
      PluginUnderTest::read_file(sample_path("scheduler_disabled_utf16le.txt"));
  ASSERT_EQ(static_cast<uint8_t>(bytes[0]), 0xFF);
  EXPECT_EQ(p.sniff(bytes, "scheduler.txt"), 95);
  const Result r = p.parse(bytes);
  const Event& e = only(r, "sync.scheduler");
  EXPECT_EQ(f(e, "SyncCycleEnabled"), "False");
  EXPECT_EQ(e.origin.line, 4u);
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z");
}

TEST(EntraSync, SchedulerSuspendedStagingCustomInterval) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r_e = p.parse_file(sample_path("scheduler_suspended_staging.txt"));
  const Event& e = only(r_e, "sync.scheduler");
  EXPECT_EQ(f(e, "SchedulerSuspended"), "True");
  EXPECT_EQ(f(e, "StagingModeEnabled"), "True");
  EXPECT_EQ(f(e, "IntervalSeconds"), "7200");
  EXPECT_EQ(f(e, "CustomizedIntervalSeconds"), "7200");
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-09-29T14:21:47.0000000Z");  // 29/09/2025, 24 h
}

TEST(EntraSync, SchedulerTranscriptGivesExportTime) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result utc = p.parse_file(sample_path("scheduler_transcript.txt"));
  const Event& e = only(utc, "sync.scheduler");
  EXPECT_EQ(e.time, iso("2025-09-29T14:53:05Z"));
  EXPECT_EQ(e.time_flags, static_cast<uint32_t>(HT_TIME_ZONE_ASSUMED | HT_TIME_APPROXIMATE));
  const Result r_z =
      p.parse_file(sample_path("scheduler_transcript.txt"), R"({"timezone":"+02:00"})");
  const Event& z = only(r_z, "sync.scheduler");
  EXPECT_EQ(z.time, iso("2025-09-29T12:53:05Z"));
  EXPECT_TRUE(z.time_flags & HT_TIME_ZONE_ASSUMED);
  EXPECT_EQ(f(z, "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z");  // UTC field: no shift
}

TEST(EntraSync, SchedulerJsonPs51) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("scheduler_ps51.json"));
  const Event& e = only(r, "sync.scheduler");
  EXPECT_EQ(f(e, "AllowedSyncCycleInterval"), "00:30:00");
  EXPECT_EQ(f(e, "PurgeRunHistoryInterval"), "7.00:00:00");
  EXPECT_EQ(e.field("AllowedSyncCycleInterval.Ticks"), nullptr);
  EXPECT_EQ(f(e, "IntervalSeconds"), "1800");
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z");
  EXPECT_EQ(f(e, "StagingModeEnabled"), "False");
  EXPECT_EQ(f(e, "NextSyncCyclePolicyType"), "1");  // enum as number, kept as written
  EXPECT_EQ(e.origin.line, 1u);
}

TEST(EntraSync, SchedulerJsonPs7) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r_e = p.parse_file(sample_path("scheduler_ps7.json"));
  const Event& e = only(r_e, "sync.scheduler");
  EXPECT_EQ(f(e, "IntervalSeconds"), "3600");
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z");
  EXPECT_EQ(f(e, "SyncCycleInProgress"), "True");
  EXPECT_EQ(e.origin.line, 2u);
}

TEST(EntraSync, SchedulerCsv) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("scheduler.csv"));
  const Event& e = only(r, "sync.scheduler");
  EXPECT_EQ(e.origin.line, 3u);
  EXPECT_EQ(f(e, "CustomizedSyncCycleInterval"), "");
  EXPECT_EQ(f(e, "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z");
  EXPECT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 0u);
}

TEST(EntraSync, StartCycleSuccess) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r_e = p.parse_file(sample_path("start_cycle_success.txt"));
  const Event& e = only(r_e, "sync.cycle_requested");
  EXPECT_EQ(f(e, "Result"), "Success");
  EXPECT_EQ(f(e, "PolicyType"), "Delta");
  EXPECT_EQ(e.origin.line, 5u);
}

TEST(EntraSync, StartCycleBusy) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("start_cycle_busy.txt"));
  const Event& e = only(r, "sync.cycle_requested");
  EXPECT_EQ(f(e, "Result"), "Busy");
  EXPECT_EQ(f(e, "Connector"), "contoso.onmicrosoft.com - AAD");
  EXPECT_NE(f(e, "Message").find("is busy."), std::string::npos);
  EXPECT_EQ(f(e, "PolicyType"), "Delta");
  EXPECT_EQ(e.origin.line, 2u);
}

TEST(EntraSync, RunHistoryWithExportErrors) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("run_history_export_errors.txt"));
  EXPECT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 0u);
  const auto cycles = of_kind(r, "sync.cycle");
  ASSERT_EQ(cycles.size(), 4u);
  const Event& exp = *cycles[1];
  EXPECT_EQ(f(exp, "Connector"), "contoso.com");
  EXPECT_EQ(f(exp, "RunProfile"), "Export");
  EXPECT_EQ(f(exp, "RunResult"), "completed-export-errors");
  EXPECT_EQ(exp.time, iso("2025-09-29T12:22:05Z"));
  EXPECT_EQ(exp.time_flags, 0u);  // ADSync run history dates are UTC
  EXPECT_EQ(f(exp, "EndUtc"), "2025-09-29T12:22:09.0000000Z");
  EXPECT_EQ(f(exp, "DurationSeconds"), "4");
  EXPECT_EQ(f(exp, "StepResults"), "completed-export-errors");
  EXPECT_EQ(f(exp, "ExportUpdates"), "3");
  EXPECT_EQ(f(exp, "ExportFailures"), "1");
  EXPECT_EQ(f(*cycles[3], "RunProfile"), "Delta Import");
  const Event& err = only(r, "sync.export_error");
  EXPECT_EQ(err.subject.user_dn, "CN=Jane Doe,OU=Staff,DC=contoso,DC=com");
  EXPECT_EQ(f(err, "ErrorType"), "permission-issue");
  EXPECT_EQ(f(err, "ErrorCode"), "0x2098");
  EXPECT_NE(f(err, "Detail").find("Insufficient access rights to perform the operation."),
            std::string::npos);
  EXPECT_NE(f(err, "Detail").find("INSUFF_ACCESS_RIGHTS"), std::string::npos);
  EXPECT_EQ(err.time, iso("2025-09-29T12:22:08Z"));
  EXPECT_EQ(f(err, "FirstOccurredUtc"), "2025-09-29T11:52:03.0000000Z");
}

TEST(EntraSync, RunStepResult) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("run_step_result.txt"));
  const Event& e = only(r, "sync.run_step");
  EXPECT_EQ(f(e, "RunResult"), "completed-export-errors");
  EXPECT_EQ(f(e, "ExportUpdate"), "3");
  EXPECT_EQ(f(e, "ExportFailure"), "1");
  EXPECT_EQ(e.time, iso("2025-09-29T12:22:05Z"));
  EXPECT_EQ(e.origin.line, 4u);
  EXPECT_TRUE(of_kind(r, "sync.cycle").empty());
  EXPECT_EQ(p.sniff(PluginUnderTest::read_file(sample_path("run_step_result.txt")), "steps.txt"),
            85);
}

TEST(EntraSync, CsexportPermissionIssueOnKeyCredentialLink) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("csexport_errors.xml"));
  const auto errs = of_kind(r, "sync.export_error");
  ASSERT_EQ(errs.size(), 2u);
  const Event& e = *errs[0];
  EXPECT_EQ(e.subject.user_dn, "CN=Jane Doe,OU=Staff,DC=contoso,DC=com");
  EXPECT_EQ(f(e, "ErrorType"), "permission-issue");
  EXPECT_EQ(f(e, "Attribute"), "msDS-KeyCredentialLink");
  EXPECT_EQ(e.time, iso("2025-09-29T12:22:08.113Z"));
  EXPECT_EQ(e.origin.line, 3u);
  EXPECT_EQ(f(*errs[1], "ErrorType"), "constraint-violation");
  EXPECT_EQ(errs[1]->field("Attribute"), nullptr);
  // Above the keycred parser's 90 for any text naming msDS-KeyCredentialLink.
  EXPECT_EQ(p.sniff(PluginUnderTest::read_file(sample_path("csexport_errors.xml")), "x.xml"), 95);
}

TEST(EntraSync, ExportErrorListingCsv) {
  // A listing exported from csexport/SyncErrorsList with Select-Object | Export-Csv.
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse(
      "\"ObjectDn\",\"ErrorType\",\"DateOccurred\",\"CdError\"\r\n"
      "\"CN=Jane Doe,OU=Staff,DC=contoso,DC=com\",\"permission-issue\",\"9/29/2025 12:22:08 "
      "PM\",\"Insufficient access rights to perform the operation. msDS-KeyCredentialLink\"\r\n",
      "errors.csv");
  const Event& e = only(r, "sync.export_error");
  EXPECT_EQ(e.subject.user_dn, "CN=Jane Doe,OU=Staff,DC=contoso,DC=com");
  EXPECT_EQ(f(e, "Attribute"), "msDS-KeyCredentialLink");
  EXPECT_EQ(e.time, iso("2025-09-29T12:22:08Z"));
  EXPECT_EQ(e.origin.line, 2u);
}

TEST(EntraSync, RunHistoryCsvDayFirst) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("run_history.csv"));
  const auto cycles = of_kind(r, "sync.cycle");
  ASSERT_EQ(cycles.size(), 3u);
  EXPECT_EQ(cycles[0]->time, iso("2025-09-29T12:22:05Z"));
  EXPECT_EQ(f(*cycles[2], "RunResult"), "stopped-server-down");
  EXPECT_EQ(cycles[2]->origin.line, 4u);
  EXPECT_EQ(cycles[0]->field("DateOrderAssumed"), nullptr);
}

TEST(EntraSync, RunHistoryJsonWithSyncErrorsXml) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("run_history_ps51.json"));
  const auto cycles = of_kind(r, "sync.cycle");
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_EQ(cycles[0]->time, iso("2025-09-29T12:22:05Z"));
  EXPECT_EQ(f(*cycles[0], "ExportFailures"), "1");
  EXPECT_EQ(f(*cycles[1], "RunResult"), "stopped-extension-dll-exception");
  EXPECT_EQ(f(*cycles[1], "RunProfile"), "Full Import");
  const Event& err = only(r, "sync.export_error");
  EXPECT_EQ(err.subject.user_dn, "CN=Jane Doe,OU=Staff,DC=contoso,DC=com");
  EXPECT_EQ(f(err, "ErrorType"), "permission-issue");
  EXPECT_EQ(f(err, "Connector"), "contoso.com");
  EXPECT_EQ(err.time, iso("2025-09-29T12:22:08.113Z"));
}

TEST(EntraSync, TruncatedFileWarnsAndKeepsEarlierObjects) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("run_history_truncated.txt"));
  EXPECT_EQ(r.status, HT_OK);
  const auto cycles = of_kind(r, "sync.cycle");
  ASSERT_EQ(cycles.size(), 4u);
  EXPECT_EQ(f(*cycles[2], "RunProfile"), "Delta Synchronization");
  EXPECT_EQ(f(*cycles[3], "Incomplete"), "True");
  ASSERT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 1u);
  for (const auto& d : r.diagnostics)
    if (d.severity == HT_DIAG_WARNING) {
      EXPECT_EQ(d.position.line, cycles[3]->origin.line);
      EXPECT_NE(d.message.find("truncated"), std::string::npos);
    }
}

TEST(EntraSync, TruncatedJsonKeepsEarlierElements) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  std::string text = PluginUnderTest::read_file(sample_path("run_history_ps51.json"));
  text = text.substr(0, text.find("\"Result\":  \"stopped"));
  const Result r = p.parse(text);
  EXPECT_EQ(of_kind(r, "sync.cycle").size(), 1u);
  ASSERT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 1u);
  EXPECT_EQ(r.diagnostics[0].position.line, 28u);  // the cut element's '{'
}

// Get-ADSyncConnector: the AD connector's attribute list decides whether keys can reach AD.
TEST(EntraSync, ConnectorListWithoutKeyCredentialLinkUtf16) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("connectors_no_keycredlink_utf16le.txt"));
  EXPECT_EQ(r.status, HT_OK);
  const auto c = of_kind(r, "sync.connector");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(f(*c[0], "Name"), "corp.contoso.com");
  EXPECT_EQ(f(*c[0], "ConnectorKind"), "AD");
  EXPECT_EQ(f(*c[0], "KeyCredentialLinkInScope"), "False");
  EXPECT_EQ(f(*c[0], "AttributeCount"), "72");  // wrapped lines joined, names whole
  EXPECT_EQ(c[0]->origin.line, 3u);
  EXPECT_EQ(f(*c[1], "ConnectorKind"), "AAD");
  EXPECT_EQ(c[1]->field("KeyCredentialLinkInScope"), nullptr);  // not an AD connector
  EXPECT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 0u);
  EXPECT_EQ(r.diagnostics_of(HT_DIAG_INFO), 0u);
}

TEST(EntraSync, ConnectorJsonWithKeyCredentialLink) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("connector_ps51.json"));
  const Event& e = only(r, "sync.connector");
  EXPECT_EQ(f(e, "ConnectorKind"), "AD");
  EXPECT_EQ(f(e, "KeyCredentialLinkInScope"), "True");
  EXPECT_EQ(f(e, "AttributeCount"), "74");
  EXPECT_EQ(f(e, "Partitions[0].Name"), "corp.contoso.com");
}

TEST(EntraSync, ConnectorListCutByFormatEnumerationLimitProvesNothing) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("connector_default_limit.txt"));
  const Event& e = only(r, "sync.connector");
  EXPECT_EQ(f(e, "KeyCredentialLinkInScope"), "Unknown");
  EXPECT_NE(f(e, "AttributeListIncomplete").find("$FormatEnumerationLimit"), std::string::npos);
  ASSERT_EQ(r.diagnostics_of(HT_DIAG_INFO), 1u);
  EXPECT_EQ(r.diagnostics[0].position.line, e.origin.line);
  EXPECT_NE(r.diagnostics[0].message.find("corp.contoso.com"), std::string::npos);
}

TEST(EntraSync, ConnectorCsvWithTypeNameOrJoinedList) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  // Export-Csv of the raw object writes the collection's type name: unknown, said so.
  const Result raw = p.parse(
      "#TYPE Microsoft.IdentityManagement.PowerShell.ObjectModel.Connector\r\n"
      "\"Name\",\"Type\",\"AttributeInclusionList\"\r\n"
      "\"corp.contoso.com\",\"AD\",\"System.Collections.Generic.List`1[System.String]\"\r\n",
      "connectors.csv");
  EXPECT_EQ(f(only(raw, "sync.connector"), "KeyCredentialLinkInScope"), "Unknown");
  EXPECT_EQ(raw.diagnostics_of(HT_DIAG_INFO), 1u);
  // Select-Object with "-join ';'": a complete list.
  const Result joined = p.parse(
      "\"Name\",\"Type\",\"AttributeInclusionList\"\n"
      "\"corp.contoso.com\",\"AD\",\"cn;objectGUID;msds-keycredentiallink;userPrincipalName\"\n",
      "connectors.csv");
  EXPECT_EQ(f(only(joined, "sync.connector"), "KeyCredentialLinkInScope"), "True");
}

TEST(EntraSync, SniffScores) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  auto sample = [](const char* n) { return PluginUnderTest::read_file(sample_path(n)); };
  EXPECT_EQ(p.sniff(sample("scheduler_us.txt"), "a.txt"), 95);
  EXPECT_EQ(p.sniff(sample("run_history_export_errors.txt"), "a.txt"), 90);
  EXPECT_EQ(p.sniff(sample("start_cycle_busy.txt"), "a.txt"), 80);
  EXPECT_EQ(p.sniff("ElfFile\0\0\0\0\0\0\0\0", "x.evtx"), 0);
  EXPECT_EQ(p.sniff("+----------------------------------------------------------------------+\n"
                    "| Device State                                                         |\n"
                    "+----------------------------------------------------------------------+\n"
                    "             AzureAdJoined : YES\n",
                    "dsregcmd.txt"),
            0);
  EXPECT_EQ(p.sniff("", "empty.txt"), 0);
  EXPECT_EQ(p.sniff(sample("connector_default_limit.txt"), "a.txt"), 85);
  EXPECT_EQ(p.sniff("RunProfileName Result\n-------------- ------\nExport         success\n", "a"),
            75);
}

TEST(EntraSync, NothingRecognizedSaysSo) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse("Name : value\n");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.events.empty());
  EXPECT_FALSE(r.diagnostics.empty());
}

TEST(EntraSync, EmptyJsonObjectsAreHarmless) {
  // Regression (fuzzer): an object without properties used to be dereferenced.
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse("[\n  {},\n  {\"\": null}\n]\n", "x.json");
  EXPECT_EQ(r.status, HT_OK);
  EXPECT_TRUE(r.events.empty());
  EXPECT_FALSE(r.diagnostics.empty());
}

TEST(EntraSync, StopRequestIsHonoured) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const std::string bytes =
      PluginUnderTest::read_file(sample_path("run_history_export_errors.txt"));
  const Result r = p.parse(bytes, "x.txt", "{}", 2);
  EXPECT_EQ(r.status, HT_STOPPED);
  EXPECT_EQ(r.events.size(), 2u);
}

TEST(EntraSync, BadTimezoneOptionWarns) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  const Result r = p.parse_file(sample_path("scheduler_us.txt"), R"({"timezone":"Mars/Olympus"})");
  EXPECT_EQ(r.diagnostics_of(HT_DIAG_WARNING), 1u);
  EXPECT_EQ(of_kind(r, "sync.scheduler").size(), 1u);
}

// The plugin reads dates with the shared reader (parsers/text, tested there); the
// shapes the ADSync cmdlets print, with pasted notes after the time.
TEST(EntraSyncHelpers, Dates) {
  const PluginUnderTest p(ht_plugin_entra_sync());
  for (const char* when : {"9/29/2025 12:51:47 PM", "29-9-2025 12:51:47", "29.09.2025 12:51:47",
                           "2025/09/29 12:51:47", "2025-09-29T14:51:47+02:00",
                           "\\/Date(1759150307000)\\/", "9/29/2025 12:51:47 PM (this is UTC)"}) {
    const Result r = p.parse(std::string("NextSyncCycleStartTimeInUTC : ") + when +
                             "\nAllowedSyncCycleInterval    : 00:30:00\n");
    EXPECT_EQ(f(only(r, "sync.scheduler"), "NextSyncUtc"), "2025-09-29T12:51:47.0000000Z") << when;
  }
}

TEST(EntraSyncHelpers, IntervalsAndBools) {
  EXPECT_EQ(es::parse_interval_seconds("00:30:00"), 1800);
  EXPECT_EQ(es::parse_interval_seconds("7.00:00:00"), 604800);
  EXPECT_EQ(es::parse_interval_seconds("1.02:03:04.5000000"), 93784);
  EXPECT_EQ(es::parse_interval_seconds("PT30M"), 1800);
  EXPECT_FALSE(es::parse_interval_seconds("30").has_value());
  EXPECT_FALSE(es::parse_interval_seconds("00:61:00").has_value());
  EXPECT_EQ(es::normalize_bool("true").value_or("?"), "True");
  EXPECT_EQ(es::normalize_bool("False").value_or("?"), "False");
  EXPECT_FALSE(es::normalize_bool("maybe").has_value());
}

// Spellings of the option "timezone" (es::kTimezoneSyntax; pinned before the plugin
// shared hellotrace::time::parse_offset): minutes east of UTC, or refused.
TEST(EntraSyncHelpers, TimezoneSpellings) {
  constexpr int kNo = INT32_MIN;
  const std::pair<std::string_view, int> cases[] = {{"", kNo},
                                                    {"  ", kNo},
                                                    {"Z", 0},
                                                    {"z", 0},
                                                    {"UTC", 0},
                                                    {"utc", 0},
                                                    {"GMT", 0},
                                                    {"gmt", 0},
                                                    {" UTC ", 0},
                                                    {"UTCZ", kNo},
                                                    {"UTC Z", kNo},
                                                    {"UTC+3", 180},
                                                    {"utc-5", -300},
                                                    {"GMT+01:00", 60},
                                                    {"UTC-05:30", -330},
                                                    {"UTC +3", 180},
                                                    {"UTC+", kNo},
                                                    {"+3", 180},
                                                    {"+03", 180},
                                                    {"+03:00", 180},
                                                    {"-05:30", -330},
                                                    {"-0530", -330},
                                                    {"+0330", 210},
                                                    {"+03:", kNo},
                                                    {"+3:30", 210},
                                                    {"+3:5", 185},
                                                    {"+03:5", 185},
                                                    {"+033", 183},
                                                    {"+335", kNo},
                                                    {"+14:00", 840},
                                                    {"+15:00", kNo},
                                                    {"+03:60", kNo},
                                                    {"+99:99", kNo},
                                                    {"\t+03:00", 180},
                                                    {"+03:00\t", 180},
                                                    {"\xC2\xA0+03:00\xC2\xA0", 180},
                                                    {"+03:00\n", 180},
                                                    {"+03:00Z", kNo},
                                                    {"+03 :00", kNo},
                                                    {"+03: 00", kNo},
                                                    {".5", kNo},
                                                    {".5+01:00", kNo},
                                                    {"Europe/Berlin", kNo},
                                                    {"+", kNo},
                                                    {"-", kNo},
                                                    {"UTC-", kNo},
                                                    {"+ 3", kNo},
                                                    {"-00:00", 0},
                                                    {"+0", 0},
                                                    {"+1:", kNo},
                                                    {"+03:00:00", kNo}};
  for (const auto& [in, minutes] : cases) {
    const auto got = hellotrace::time::parse_offset(in, es::kTimezoneSyntax);
    if (minutes == kNo)
      EXPECT_FALSE(got.has_value()) << "'" << in << "'";
    else
      EXPECT_EQ(got, minutes * hellotrace::time::kTicksPerMinute) << "'" << in << "'";
  }
}
