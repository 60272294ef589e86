// Tests of the event export readers on real-shaped samples (parsers/eventexport/samples)
// and on inline edge cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <hellotrace/eventexport/eventexport.hpp>
#include <hellotrace/time.hpp>
#include <iterator>
#include <string>
#include <vector>

#include "record_diff.hpp"

namespace ee = hellotrace::eventexport;
using hellotrace::eventlog::Record;

namespace {

std::vector<uint8_t> load(const std::string& name) {
  const std::filesystem::path p =
      std::filesystem::path(HT_SOURCE_DIR) / "parsers/eventexport/samples" / name;
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << p;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

struct Result {
  std::vector<Record> records;
  std::vector<ee::RecordNotes> notes;
  std::vector<ee::Problem> problems;
  ee::Stats stats;
};

enum class Fmt { kXml, kCsv, kJson, kAuto };

Result run(Fmt f, const std::vector<uint8_t>& data, ee::Options opt = {}) {
  Result r;
  auto on_rec = [&](const Record& rec, const ee::RecordNotes& n) {
    r.records.push_back(rec);
    r.notes.push_back(n);
    return true;
  };
  auto on_prob = [&](const ee::Problem& p) { r.problems.push_back(p); };
  switch (f) {
    case Fmt::kXml:
      r.stats = ee::read_event_xml(data, on_rec, on_prob, opt);
      break;
    case Fmt::kCsv:
      r.stats = ee::read_event_csv(data, on_rec, on_prob, opt);
      break;
    case Fmt::kJson:
      r.stats = ee::read_event_json(data, on_rec, on_prob, opt);
      break;
    case Fmt::kAuto:
      r.stats = ee::read_event_export(data, on_rec, on_prob, opt);
      break;
  }
  return r;
}

int64_t iso(const char* s) { return *hellotrace::time::parse_iso(s); }

const std::vector<std::string> kPrereqNames = {"Message",
                                               "DeviceIsJoined",
                                               "AADPrt",
                                               "NgcPolicyEnabled",
                                               "NgcPostLogonProvisioningEnabled",
                                               "NgcHardwarePolicyMet",
                                               "UserIsRemote",
                                               "LogonCertRequired",
                                               "MachinePolicySource",
                                               "UseCloudTrust",
                                               "CloudTgt"};

std::vector<std::string> names(const Record& r) {
  std::vector<std::string> out;
  for (const auto& d : r.data) out.push_back(d.name);
  return out;
}

// The reference: the Event Viewer XML sample (sorted by record id).
std::vector<Record> reference() {
  auto r = run(Fmt::kXml, load("udr-eventviewer.xml"));
  EXPECT_EQ(r.records.size(), 3u);
  return r.records;
}

const Record* by_id(const std::vector<Record>& rs, uint64_t record_id) {
  for (const auto& r : rs)
    if (r.record_id == record_id) return &r;
  return nullptr;
}

}  // namespace

TEST(EventXml, EventViewerExport) {
  auto r = run(Fmt::kXml, load("udr-eventviewer.xml"));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_TRUE(r.problems.empty());
  const Record& e = r.records[1];
  EXPECT_EQ(e.event_id, 360u);
  EXPECT_EQ(e.provider, "Microsoft-Windows-User Device Registration");
  EXPECT_EQ(e.provider_guid, "{23B8D46B-67DD-40A3-B636-D43E50552C6D}");
  EXPECT_EQ(e.level, 3);
  EXPECT_EQ(e.version, 0);
  EXPECT_EQ(e.keywords, 0x8000000000000000ull);
  EXPECT_EQ(e.time, iso("2024-11-14T10:00:01.1234567Z"));
  EXPECT_EQ(e.record_id, 42u);
  EXPECT_EQ(e.activity_id, "");
  EXPECT_EQ(e.process_id, 9580u);
  EXPECT_EQ(e.thread_id, 7036u);
  EXPECT_EQ(e.channel, "Microsoft-Windows-User Device Registration/Admin");
  EXPECT_EQ(e.computer, "PC-ADELE.contoso.com");
  EXPECT_EQ(e.user_sid, "S-1-5-21-1167734505-2749129968-456087066-1001");
  EXPECT_EQ(names(e), kPrereqNames);
  EXPECT_EQ(*e.find("AADPrt"), "No");
  EXPECT_EQ(*e.find("MachinePolicySource"), "GroupPolicy");
  EXPECT_FALSE(e.user_data);
  EXPECT_TRUE(
      e.message.starts_with("Windows Hello for Business provisioning will not be launched. \r\n"));
  EXPECT_NE(e.message.find("User has logged on with AAD credentials: No \r\n"), std::string::npos);
  // Lines of the <Event> starts (RenderingInfo messages span several lines).
  const auto raw = load("udr-eventviewer.xml");
  const std::string file(raw.begin(), raw.end());
  size_t at = 0;
  for (const Record& rec : r.records) {
    at = file.find("<Event xmlns", at + 1);
    EXPECT_EQ(rec.line, 1 + std::count(file.begin(), file.begin() + at, '\n'));
  }
  EXPECT_EQ(r.records[0].line, 3u);
  EXPECT_EQ(r.records[0].activity_id, "{C4A3624E-36B0-0004-E06A-A3C4B036DB01}");
  // Event 300: a JSON server response with quotes survives escaping.
  EXPECT_EQ(*r.records[2].find("ServerResponse"),
            R"({"kid":"4476694e-8e3b-4ef8-8487-be21f95e6f07","upn":"adele.vance@contoso.com"})");
  EXPECT_EQ(*r.records[2].find("ClientRequestId"), "");
}

TEST(EventXml, WevtutilBareEventsClassicAndUserData) {
  auto r = run(Fmt::kXml, load("udr-wevtutil.xml"));
  ASSERT_EQ(r.records.size(), 5u);
  EXPECT_TRUE(r.problems.empty());
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(r.records[i].line, i + 1);
  EXPECT_TRUE(r.records[0].message.empty());  // no RenderingInfo in /f:xml
  const Record& classic = r.records[3];
  EXPECT_EQ(classic.provider, "MsiInstaller");
  ASSERT_TRUE(classic.qualifiers.has_value());
  EXPECT_EQ(*classic.qualifiers, 0);
  EXPECT_EQ(classic.event_id, 1040u);
  EXPECT_EQ(classic.time, iso("2024-11-14T10:05:00Z"));  // 9 fraction digits
  ASSERT_EQ(classic.data.size(), 4u);
  EXPECT_EQ(classic.data[0].name, "");
  EXPECT_EQ(classic.data[1].value, "(NULL)");
  EXPECT_EQ(classic.data[3].name, "Binary");
  const Record& ud = r.records[4];
  EXPECT_TRUE(ud.user_data);
  EXPECT_EQ(ud.time, iso("2024-11-14T10:06:07.123456Z"));  // 6 fraction digits
  EXPECT_EQ(ud.user_sid, "");
  EXPECT_EQ(names(ud), (std::vector<std::string>{"SubjectUserSid", "SubjectUserName",
                                                 "SubjectDomainName", "SubjectLogonId"}));
  EXPECT_EQ(*ud.find("SubjectLogonId"), "0x4f3b2");
  // Same events as the Event Viewer export, apart from the message and the line.
  auto ref = reference();
  for (size_t i = 0; i < 3; ++i) {
    Record a = r.records[i], b = ref[i];
    a.line = b.line = 0;
    b.message.clear();
    EXPECT_EQ(a.data, b.data);
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.activity_id, b.activity_id);
  }
}

TEST(EventXml, ForwardedRenderedXml) {
  auto r = run(Fmt::kXml, load("udr-forwarded-renderedxml.xml"));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].event_id, 360u);
  EXPECT_TRUE(r.records[0].message.starts_with("Windows Hello for Business provisioning will not"));
}

TEST(EventXml, Utf16MatchesUtf8) {
  auto a = run(Fmt::kXml, load("udr-ps51-utf16.xml"));
  auto b = run(Fmt::kXml, load("udr-wevtutil.xml"));
  ASSERT_EQ(a.records.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    Record x = a.records[i], y = b.records[i];
    EXPECT_EQ(x.line, y.line);
    x.offset = y.offset = 0;
    EXPECT_EQ(x.data, y.data);
    EXPECT_EQ(x.time, y.time);
    EXPECT_EQ(x.provider_guid, y.provider_guid);
  }
}

TEST(EventXml, DamagedEventsAreReportedAndSkipped) {
  const std::string good =
      "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
      "Name='P'/><EventID>7</EventID><TimeCreated SystemTime='2024-11-14T10:00:00Z'/></System>"
      "<EventData><Data Name='a'>1 &amp; 2</Data></EventData></Event>\n";
  const std::string text = "<Events>\n" + good +
                           "<Event><System><EventID>8</EventID></System><EventData><Data "
                           "Name='x'>oops</Dta></EventData></Event>\n" +  // bad tag
                           "<Event><System><EventID>9</Event\n" +         // cut short
                           good +
                           "<Event><System><EventID>x</EventID></System></Event>\n" + good +
                           "<Event><System>";  // truncated file
  auto r = run(Fmt::kXml, bytes(text));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_EQ(r.records[1].line, 5u);
  EXPECT_EQ(r.records[2].line, 7u);
  EXPECT_EQ(*r.records[0].find("a"), "1 & 2");
  ASSERT_EQ(r.problems.size(), 4u);
  EXPECT_EQ(r.problems[0].line, 3u);
  EXPECT_NE(r.problems[0].message.find("bad event XML"), std::string::npos);
  EXPECT_EQ(r.problems[1].line, 4u);
  EXPECT_EQ(r.problems[2].line, 6u);  // bad EventID
  EXPECT_EQ(r.problems[3].line, 8u);
  EXPECT_EQ(r.problems[3].offset, text.rfind("<Event><System>"));
}

TEST(EventXml, NestedUserDataAndCdata) {
  const std::string text =
      "<Event "
      "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID></"
      "System>"
      "<UserData><Op "
      "xmlns='urn:x'><A>1</A><B><C>2</C><D><![CDATA[<x>]]></D></B></Op></UserData></Event>";
  auto r = run(Fmt::kXml, bytes(text));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(names(r.records[0]), (std::vector<std::string>{"A", "B/C", "B/D"}));
  EXPECT_EQ(r.records[0].data[2].value, "<x>");
}

TEST(EventXml, StopsWhenAsked) {
  int n = 0;
  auto s = ee::read_event_xml(
      load("udr-wevtutil.xml"), [&](const Record&, const ee::RecordNotes&) { return ++n < 2; },
      nullptr);
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(s.stopped);
}

TEST(EventCsv, EventViewerEnglish) {
  ee::Options opt;
  opt.timezone = "-05:00";
  auto r = run(Fmt::kCsv, load("udr-eventviewer-en-US.csv"), opt);
  ASSERT_EQ(r.records.size(), 3u);
  auto ref = reference();
  for (size_t i = 0; i < 3; ++i) {
    const Record& c = r.records[i];
    const Record& x = ref[2 - i];  // Event Viewer lists newest first
    EXPECT_EQ(c.event_id, x.event_id);
    EXPECT_EQ(c.level, x.level);
    EXPECT_EQ(c.provider, x.provider);
    EXPECT_EQ(c.message, x.message);
    EXPECT_EQ(c.time,
              x.time / hellotrace::time::kTicksPerSecond * hellotrace::time::kTicksPerSecond);
    EXPECT_TRUE(r.notes[i].time_flags & HT_TIME_ZONE_ASSUMED);
    EXPECT_TRUE(r.notes[i].provider_expanded);
    EXPECT_TRUE(r.notes[i].data_values_missing);
    EXPECT_TRUE(c.data.empty());
  }
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_EQ(r.records[1].line, 9u);   // after the 7 lines of the 300's message
  EXPECT_GT(r.records[2].line, 10u);  // after a multi-line message
}

TEST(EventCsv, EventViewerGerman) {
  ee::Options opt;
  opt.timezone = "UTC+1";
  auto r = run(Fmt::kCsv, load("udr-eventviewer-de-DE.csv"), opt);
  ASSERT_EQ(r.records.size(), 3u);
  auto ref = reference();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.records[i].level, ref[2 - i].level);
    EXPECT_EQ(r.records[i].time, ref[2 - i].time / 10'000'000 * 10'000'000);
    EXPECT_EQ(r.records[i].message, ref[2 - i].message);
    EXPECT_FALSE(r.notes[i].provider_expanded);
  }
}

TEST(EventCsv, DefaultZoneIsUtcAndSaidSo) {
  auto r = run(Fmt::kCsv, load("udr-eventviewer-de-DE.csv"));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[2].time, iso("2024-11-14T10:58:12Z"));  // 10:58 local taken as UTC
  bool told = false;
  for (const auto& p : r.problems)
    if (p.severity == HT_DIAG_INFO && p.message.find("assumed UTC") != std::string::npos)
      told = true;
  EXPECT_TRUE(told);
}

TEST(EventCsv, ExportCsvWithTypeLine) {
  ee::Options opt;
  opt.timezone = "-05:00";
  auto r = run(Fmt::kCsv, load("udr-export-csv.csv"), opt);
  ASSERT_EQ(r.records.size(), 3u);
  auto ref = reference();
  for (size_t i = 0; i < 3; ++i) {
    const Record& c = r.records[i];
    const Record* x = by_id(ref, c.record_id);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(c.event_id, x->event_id);
    EXPECT_EQ(c.level, x->level);
    EXPECT_EQ(c.keywords, x->keywords);
    EXPECT_EQ(c.provider, x->provider);
    EXPECT_EQ(c.provider_guid, x->provider_guid);
    EXPECT_EQ(c.channel, x->channel);
    EXPECT_EQ(c.computer, x->computer);
    EXPECT_EQ(c.user_sid, x->user_sid);
    EXPECT_EQ(c.activity_id, x->activity_id);
    EXPECT_EQ(c.process_id, x->process_id);
    EXPECT_EQ(c.thread_id, x->thread_id);
    EXPECT_EQ(c.message, x->message);
    EXPECT_FALSE(c.qualifiers.has_value());
    EXPECT_EQ(c.time, x->time / 10'000'000 * 10'000'000);
    EXPECT_TRUE(r.notes[i].data_values_missing);
  }
  EXPECT_EQ(r.records[0].line, 3u);  // after #TYPE and the header
}

TEST(EventCsv, DayMonthOrderDecidedOverTheFile) {
  const std::string text =
      "Level,Date and Time,Source,Event ID,Task Category\r\n"
      "Information,05/06/2024 10:00:01,AAD,1097,(101),\"first\"\r\n"
      "Information,14/11/2024 10:00:01,AAD,1098,(101),\"second, with a comma\"\r\n";
  auto r = run(Fmt::kCsv, bytes(text));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].time, iso("2024-06-05T10:00:01Z"));
  EXPECT_EQ(r.records[1].time, iso("2024-11-14T10:00:01Z"));
  EXPECT_EQ(r.records[0].task, 101);
  EXPECT_EQ(r.records[0].provider, "Microsoft-Windows-AAD");
  EXPECT_EQ(r.records[1].message, "second, with a comma");
  ee::Options opt;
  opt.date_order = hellotrace::text::DateOrder::kMdy;
  auto m = run(Fmt::kCsv, bytes(text), opt);
  EXPECT_EQ(m.records[0].time, iso("2024-05-06T10:00:01Z"));
  ASSERT_EQ(m.records.size(), 2u);
  EXPECT_EQ(m.records[1].time, iso("2024-11-14T10:00:01Z"));  // 14/11 read its only way
}

// A file with only ambiguous dates says what it assumed and how to override it, once.
TEST(EventCsv, AmbiguousDayMonthOrderIsReported) {
  const std::string text =
      "Level,Date and Time,Source,Event ID,Task Category\r\n"
      "Information,05/06/2024 10:00:01,AAD,1097,(101),\"first\"\r\n"
      "Information,07/06/2024 10:00:01,AAD,1098,(101),\"second\"\r\n";
  auto r = run(Fmt::kCsv, bytes(text));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].time, iso("2024-06-05T10:00:01Z"));  // 24-hour clock: day first
  int notes = 0;
  for (const auto& p : r.problems)
    if (p.message.find("--date-order mdy") != std::string::npos) ++notes;
  EXPECT_EQ(notes, 1);
}

TEST(EventCsv, FrenchAndTurkishHeaders) {
  const std::string fr =
      "Niveau,Date et heure,Source,ID de l’événement,Catégorie de la tâche\r\n"
      "Avertissement,14/11/2024 11:00:01,User Device Registration,360,Aucun,\"m\"\r\n";
  const std::string tr =
      "Düzey,Tarih ve Saat,Kaynak,Olay Kimliği,Görev Kategorisi\r\n"
      "Uyarı,14.11.2024 13:00:01,User Device Registration,360,Yok,\"m\"\r\n"
      "Bilgi,14.11.2024 13:00:02,User Device Registration,358,Yok,\"m\"\r\n";
  for (const std::string* s : {&fr, &tr}) {
    EXPECT_GE(ee::looks_like_event_csv(bytes(*s)), 80);
    ee::Options opt;
    opt.timezone = s == &fr ? "+01:00" : "+03:00";
    auto r = run(Fmt::kCsv, bytes(*s), opt);
    ASSERT_GE(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].level, 3);
    EXPECT_EQ(r.records[0].time, iso("2024-11-14T10:00:01Z"));
    EXPECT_EQ(r.records[0].provider, "Microsoft-Windows-User Device Registration");
    for (const auto& p : r.problems) EXPECT_EQ(p.severity, HT_DIAG_INFO) << p.message;
  }
}

TEST(EventCsv, DamagedRows) {
  const std::string text =
      "Level,Date and Time,Source,Event ID,Task Category\n"
      "Error,11/14/2024 10:00:01 AM,X,notanumber,None,\"m\"\n"
      "Error,11/14/2024 10:00:01 AM,X,5,None,\"m \"\"quoted\"\"\"\n"
      "Error,11/14/2024 10:00:01 AM,X,6,None,\"never closed\n";
  auto r = run(Fmt::kCsv, bytes(text));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].message, "m \"quoted\"");
  EXPECT_EQ(r.records[0].level, 2);
  int warnings = 0;
  for (const auto& p : r.problems)
    if (p.severity == HT_DIAG_WARNING) {
      ++warnings;
      EXPECT_TRUE(p.line == 2 || p.line == 4) << p.line << " " << p.message;
    }
  EXPECT_EQ(warnings, 2);
}

// How this reader splits CSV where readers differ (pinned before it shared
// hellotrace::text::CsvReader): CRLF inside quotes is kept, blanks before an opening
// quote are dropped, a lone CR is data, rows are numbered by their first line.
TEST(EventCsv, SplittingDialect) {
  const std::string text =
      "\"Id\",\"ProviderName\",\"TimeCreated\",\"Message\"\r\n"
      "\"1\", \"P,Q\",\"11/14/2024 10:00:00\",\"two\r\nlines\"\r\n"
      "\r\n"
      "2,R,11/14/2024 10:00:01,lone\rcr\r\n"
      "3,S,11/14/2024 10:00:02,\"x\"\"y\"\n";
  auto r = run(Fmt::kCsv, bytes(text));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].provider, "P,Q");
  EXPECT_EQ(r.records[0].message, "two\r\nlines");
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_EQ(r.records[1].message, "lone\rcr");
  EXPECT_EQ(r.records[1].line, 5u);
  EXPECT_EQ(r.records[2].message, "x\"y");
  EXPECT_EQ(r.records[2].line, 6u);
}

// Zone spellings the CSV and JSON readers accept (Options::timezone, read with the
// default hellotrace::time::parse_offset; pinned before the readers shared it): minutes
// east of UTC, or refused.
TEST(EventCsv, ZoneSpellings) {
  constexpr int kNo = INT32_MIN;
  const std::pair<std::string_view, int> cases[] = {{"", 0},
                                                    {"  ", 0},
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
                                                    {"UTC +3", kNo},
                                                    {"UTC+", kNo},
                                                    {"+3", 180},
                                                    {"+03", 180},
                                                    {"+03:00", 180},
                                                    {"-05:30", -330},
                                                    {"-0530", -330},
                                                    {"+0330", 210},
                                                    {"+03:", 180},
                                                    {"+3:30", 210},
                                                    {"+3:5", kNo},
                                                    {"+03:5", kNo},
                                                    {"+033", kNo},
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
                                                    {"+1:", 60},
                                                    {"+03:00:00", kNo}};
  for (const auto& [in, minutes] : cases) {
    const auto got = hellotrace::time::parse_offset(in);
    if (minutes == kNo)
      EXPECT_FALSE(got.has_value()) << "'" << in << "'";
    else
      EXPECT_EQ(got, minutes * hellotrace::time::kTicksPerMinute) << "'" << in << "'";
  }
}

TEST(EventJson, PowerShell51Utf16) {
  auto r = run(Fmt::kJson, load("udr-ps51.json"));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_TRUE(r.problems.empty());
  auto ref = reference();
  for (size_t i = 0; i < 3; ++i) {
    Record j = r.records[i];
    const Record& x = ref[i];
    EXPECT_EQ(j.time, x.time / 10'000 * 10'000);  // milliseconds
    EXPECT_EQ(r.notes[i].time_precision_ticks, 10'000u);
    EXPECT_EQ(j.data, x.data);
    EXPECT_EQ(j.user_sid, x.user_sid);
    EXPECT_EQ(j.keywords, x.keywords);
    EXPECT_EQ(j.activity_id, x.activity_id);
    EXPECT_EQ(j.provider_guid, x.provider_guid);
    EXPECT_EQ(j.message, x.message);
    EXPECT_FALSE(r.notes[i].data_names_unknown);
  }
  EXPECT_EQ(r.records[0].line, 2u);
}

TEST(EventJson, PowerShell7ArrayAndNdjson) {
  auto ref = reference();
  for (const char* f : {"udr-ps7.json", "udr-ps7.ndjson"}) {
    auto r = run(Fmt::kJson, load(f));
    ASSERT_EQ(r.records.size(), 3u) << f;
    EXPECT_TRUE(r.problems.empty()) << f;
    for (size_t i = 0; i < 3; ++i) {
      // PS 7 carries every field of the XML.
      EXPECT_EQ(hellotrace::eventexport::testing::diff(r.records[i], ref[i]), "") << f << " " << i;
      EXPECT_EQ(r.notes[i].time_flags, 0u);
    }
  }
  auto nd = run(Fmt::kJson, load("udr-ps7.ndjson"));
  EXPECT_EQ(nd.records[2].line, 3u);
}

TEST(EventJson, UnknownEventsDepthCutAndDamage) {
  const std::string text = R"({"Id": 1097, "ProviderName": "Microsoft-Windows-AAD", "Version": 0,
  "TimeCreated": "2024-11-14T10:00:01.5+00:00", "Properties": [{"Value": "a"}, {"Value": 5}, {"Value": null}]}
{"Id": 5555, "ProviderName": "Microsoft-Windows-HelloForBusiness", "TimeCreated": "\/Date(1731578401123)\/",
 "Properties": [{"Value": 2}, {"Value": 0}, {"Value": false}, {"Value": 2}, {"Value": false},
  {"Value": false}, {"Value": true}, {"Value": 1}, {"Value": 0}]}
{"Id": 8002, "ProviderName": "Microsoft-Windows-HelloForBusiness",
 "Properties": [{"Value": "8f282498-ace7-40b9-8ddd-57846d17db35"}, {"Value": 1}]}
{"Id": 360, "ProviderName": "Microsoft-Windows-User Device Registration",
 "Properties": ["System.Diagnostics.Eventing.Reader.EventProperty", "System.Diagnostics.Eventing.Reader.EventProperty"]}
{"Id": oops}
{"Nothing": 1}
{"Id": 4, "ProviderName": "X", "Properties": [{"Value": [1, 2, 255]}, {"Value": {"BinaryLength": 12, "Value": "S-1-5-18"}}], "UserId": "S-1-5-19"}
{"Id": 5, "ProviderName": "cut short"
)";
  auto r = run(Fmt::kJson, bytes(text));
  ASSERT_EQ(r.records.size(), 5u);
  EXPECT_TRUE(r.notes[0].data_names_unknown);
  EXPECT_EQ(names(r.records[0]), (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(r.records[0].data[1].value, "5");
  EXPECT_EQ(r.records[0].time, iso("2024-11-14T10:00:01.5Z"));
  const Record& tpm = r.records[1];
  EXPECT_EQ(*tpm.find("IsTpm12Excluded"), "false");
  EXPECT_EQ(*tpm.find("Result"), "0x00000000");
  EXPECT_EQ(*tpm.find("TpmVersion"), "2");
  EXPECT_EQ(tpm.time, 1731578401123LL * 10'000);
  EXPECT_EQ(*r.records[2].find("ContainerId"), "{8F282498-ACE7-40B9-8DDD-57846D17DB35}");
  EXPECT_TRUE(r.notes[3].data_values_missing);
  EXPECT_TRUE(r.records[3].data.empty());
  EXPECT_EQ(r.records[4].data[0].value, "0102FF");
  EXPECT_EQ(r.records[4].data[1].value, "S-1-5-18");
  EXPECT_EQ(r.records[4].user_sid, "S-1-5-19");
  int warnings = 0;
  for (const auto& p : r.problems) warnings += p.severity == HT_DIAG_WARNING;
  EXPECT_EQ(warnings, 3);  // bad JSON, no Id, cut short
}

TEST(EventJson, ValueCountWrapper) {
  auto r = run(
      Fmt::kJson,
      bytes(
          R"({"value": [{"Id": 1, "ProviderName": "A"}, {"Id": 2, "ProviderName": "B"}], "Count": 2})"));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].event_id, 2u);
  EXPECT_TRUE(r.problems.empty());
}

TEST(Manifest, Names) {
  auto n = ee::manifest_names("Microsoft-Windows-User Device Registration", 360, 0);
  ASSERT_TRUE(n);
  ASSERT_EQ(n->size(), kPrereqNames.size());
  for (size_t i = 0; i < n->size(); ++i) EXPECT_EQ((*n)[i].name, kPrereqNames[i]);
  EXPECT_TRUE(ee::manifest_names("user device registration", 300, 0));
  EXPECT_TRUE(ee::manifest_names("HelloForBusiness", 3054, 0)->empty());
  EXPECT_FALSE(ee::manifest_names("Microsoft-Windows-AAD", 1097, 0));
}

TEST(Sniff, EachSampleIsRecognised) {
  struct S {
    const char* file;
    int xml, csv, json;
  };
  for (const S& s :
       {S{"udr-eventviewer.xml", 1, 0, 0}, S{"udr-wevtutil.xml", 1, 0, 0},
        S{"udr-ps51-utf16.xml", 1, 0, 0}, S{"udr-eventviewer-en-US.csv", 0, 1, 0},
        S{"udr-eventviewer-de-DE.csv", 0, 1, 0}, S{"udr-export-csv.csv", 0, 1, 0},
        S{"udr-ps51.json", 0, 0, 1}, S{"udr-ps7.json", 0, 0, 1}, S{"udr-ps7.ndjson", 0, 0, 1}}) {
    auto b = load(s.file);
    EXPECT_EQ(ee::looks_like_event_xml(b) >= 80, s.xml == 1) << s.file;
    EXPECT_EQ(ee::looks_like_event_csv(b) >= 80, s.csv == 1) << s.file;
    EXPECT_EQ(ee::looks_like_event_json(b) >= 80, s.json == 1) << s.file;
    EXPECT_EQ(run(Fmt::kAuto, b).records.size(),
              s.file == std::string("udr-wevtutil.xml") ? 5u : 3u)
        << s.file;
  }
  EXPECT_EQ(ee::looks_like_event_xml(bytes("hello")), 0);
  EXPECT_EQ(ee::looks_like_event_csv(bytes("a,b\n1,2")), 0);
  EXPECT_EQ(ee::looks_like_event_json(bytes("{\"a\":1}")), 0);
}

TEST(Robustness, GarbageNeverCrashes) {
  for (std::string s :
       {std::string(), std::string("\xff\xfe"), std::string("<Event"),
        std::string("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{"),
        std::string("\"\"\"\n,,,\n"), std::string(100000, '{')}) {
    auto b = bytes(s);
    run(Fmt::kXml, b);
    run(Fmt::kCsv, b);
    run(Fmt::kJson, b);
    auto a = run(Fmt::kAuto, b);
    EXPECT_TRUE(a.records.empty());
  }
}

// Damaged input at scale stays linear (each would take minutes if quadratic).
TEST(Robustness, PathologicalInputsAreFast) {
  std::string starts, braces, junk, quotes;
  for (int i = 0; i < 40000; ++i) {
    starts += "<Event ";
    braces += "{\"Id\":1,\n";
    junk += "x\n";
  }
  quotes = "Level,Date and Time,Source,Event ID,Task Category\n" + std::string(300000, '"');
  const auto t0 = std::chrono::steady_clock::now();
  auto x = run(Fmt::kXml, bytes(starts));
  EXPECT_EQ(x.problems.size(), 1u);
  auto j = run(Fmt::kJson, bytes(braces));
  EXPECT_TRUE(j.records.empty());
  EXPECT_FALSE(j.problems.empty());
  run(Fmt::kJson, bytes(junk));
  run(Fmt::kCsv, bytes(quotes));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
}
