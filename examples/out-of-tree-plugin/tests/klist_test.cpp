// Tests of the klist plugin, in-process through the SDK's harness (plugin_testing.hpp):
// the sample as klist writes it, the same text as UTF-16 (PowerShell 5.1's `>`), the
// run's time zone and date order, and damaged exports. No test framework needed: each
// CHECK that fails prints itself, and the exit code says whether any did.
// Usage: klist_test SAMPLES_DIR
#include <cstdio>
#include <fstream>
#include <hellotrace/plugin_testing.hpp>
#include <hellotrace/time.hpp>
#include <iterator>
#include <string>

extern "C" const ht_plugin* ht_plugin_klist(void);

namespace {

int failures = 0;
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

std::string utf16le(const std::string& ascii) {
  std::string out = "\xFF\xFE";
  for (char c : ascii) out += c, out += '\0';
  return out;
}

std::string iso(int64_t t) { return hellotrace::time::format_iso(t); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: klist_test SAMPLES_DIR\n"), 2;
  const std::string sample = std::string(argv[1]) + "/klist-tickets.txt";
  hellotrace::harness::PluginUnderTest klist(ht_plugin_klist());
  std::ifstream in(sample, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) return std::fprintf(stderr, "cannot read %s\n", sample.c_str()), 2;

  // Recognised, UTF-8 or UTF-16; other text is not.
  CHECK(klist.sniff(text) >= 90);
  CHECK(klist.sniff(utf16le(text)) >= 90);
  CHECK(klist.sniff(
            "+----------------------------------------------------------------------+\r\n"
            "| Device State                                                         |\r\n") == 0);

  // Every ticket, with its fields and line, the time as UTC.
  const auto run = klist.parse(text, sample);
  CHECK(run.status == HT_OK);
  CHECK(run.events.size() == 3);
  CHECK(run.warnings() == 0);
  if (run.events.size() == 3) {
    const auto& tgt = run.events[0];
    CHECK(tgt.kind == "kerberos.ticket");
    CHECK(tgt.origin.line == 6);
    CHECK(tgt.field_or("Client") == "dana.ruiz @ CORP.CONTOSO.COM");
    CHECK(tgt.field_or("Server") == "krbtgt/CORP.CONTOSO.COM @ CORP.CONTOSO.COM");
    CHECK(tgt.field_or("EncryptionType") == "AES-256-CTS-HMAC-SHA1-96");
    CHECK(tgt.field_or("TicketFlags") ==
          "0x40e10000 -> forwardable renewable initial pre_authent name_canonicalize");
    CHECK(tgt.field_or("KdcCalled") == "DC01.corp.contoso.com");
    CHECK(tgt.field_or("LogonId") == "0:0x4ad34e");
    CHECK(tgt.field_or("EndTime") == "11/15/2024 0:02:11 (local)");
    CHECK(iso(tgt.time) == "2024-11-14T14:02:11.0000000Z");
    CHECK(tgt.time_flags & HT_TIME_ZONE_ASSUMED);
    CHECK(run.events[1].field_or("Server") == "cifs/FS01.corp.contoso.com @ CORP.CONTOSO.COM");
    CHECK(run.events[2].origin.line == 28);
  }

  // The same export as UTF-16LE reads the same.
  const auto wide = klist.parse(utf16le(text), sample);
  CHECK(wide.events == run.events);

  // --timezone +02:00: 14:02 local is 12:02 UTC; --date-order dmy reads 05/11 as 5 November.
  const auto zoned = klist.parse(text, sample, R"({"timezone":"+02:00"})");
  CHECK(!zoned.events.empty() && iso(zoned.events[0].time) == "2024-11-14T12:02:11.0000000Z");
  std::string dmy = text;
  dmy.replace(dmy.find("11/14/2024 14:02:11"), 19, "05/11/2024 14:02:11");
  CHECK(iso(klist.parse(dmy, sample, R"({"date_order":"dmy"})").events[0].time) ==
        "2024-11-05T14:02:11.0000000Z");
  CHECK(iso(klist.parse(dmy, sample).events[0].time) == "2024-05-11T14:02:11.0000000Z");

  // A cut export: the tickets read are kept, and a warning says tickets are missing.
  const auto cut = klist.parse(text.substr(0, text.find("#2>")), sample);
  CHECK(cut.events.size() == 2);
  CHECK(cut.warnings() == 1);
  // A date that is none is reported with its line; the ticket is kept without a time.
  std::string bad = text;
  bad.replace(bad.find("11/14/2024 14:02:11"), 19, "13/13/2024 25:61:00");
  const auto bad_run = klist.parse(bad, sample);
  CHECK(bad_run.events.size() == 3 && bad_run.events[0].time == HT_NO_TIME);
  CHECK(bad_run.warnings() == 1 && bad_run.diagnostics[0].position.line == 10);
  // A year no clock shows (the fuzzer's find: days beyond int64 ticks) is no date either.
  for (const char* wild : {"11/14/40000 14:02:11", "11/14/1200 14:02:11"}) {
    std::string year = text;
    year.replace(year.find("11/14/2024 14:02:11"), 19, wild);
    const auto wild_run = klist.parse(year, sample);
    CHECK(wild_run.events.size() == 3 && wild_run.events[0].time == HT_NO_TIME);
    CHECK(wild_run.warnings() == 1);
  }
  // Not klist at all: an error, no event.
  const auto none = klist.parse("hello\r\n", sample);
  CHECK(none.events.empty() && none.diagnostics_of(HT_DIAG_ERROR) == 1);

  std::printf("%s: %d check(s) failed\n", failures ? "FAILED" : "ok", failures);
  return failures ? 1 : 0;
}
