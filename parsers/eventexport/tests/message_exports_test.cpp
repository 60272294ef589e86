// The exports that keep only the rendered message: Event Viewer "Text (Tab delimited)",
// "Copy details as text", Get-WinEvent | Format-List and Select …,Message | Export-Csv.
// Inputs: the scenario folders tests/scenarios/messages-* (same facts in every form).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <hellotrace/eventexport/eventexport.hpp>
#include <hellotrace/time.hpp>
#include <iterator>

namespace ee = hellotrace::eventexport;
using hellotrace::eventlog::Record;

namespace {

std::vector<uint8_t> scenario(const std::string& name) {
  const auto p = std::filesystem::path(HT_SOURCE_DIR) / "tests/scenarios" / name;
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << p;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

struct Result {
  std::vector<Record> records;
  std::vector<ee::RecordNotes> notes;
  std::vector<ee::Problem> problems;
  bool said(std::string_view what) const {
    for (const auto& p : problems)
      if (p.message.find(what) != std::string::npos) return true;
    return false;
  }
};

Result run(const std::vector<uint8_t>& data, std::string tz = "+01:00") {
  Result r;
  ee::Options opt;
  opt.timezone = std::move(tz);
  ee::read_event_export(
      data,
      [&](const Record& rec, const ee::RecordNotes& n) {
        r.records.push_back(rec);
        r.notes.push_back(n);
        return true;
      },
      [&](const ee::Problem& p) { r.problems.push_back(p); }, opt);
  return r;
}

int64_t iso(const char* s) { return *hellotrace::time::parse_iso(s); }

constexpr const char* kUdr = "Microsoft-Windows-User Device Registration";

}  // namespace

TEST(EventText, EventViewerTabDelimitedText) {
  const auto data = scenario("messages-txt-en-gb/udr-admin.txt");
  EXPECT_EQ(ee::looks_like_event_csv(data), 90);
  const Result r = run(data);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].event_id, 300u);
  EXPECT_EQ(r.records[0].provider, kUdr);
  EXPECT_EQ(r.records[0].time, iso("2025-03-24T20:41:12Z"));  // 21:41:12 at +01:00
  EXPECT_EQ(r.records[2].event_id, 360u);
  EXPECT_EQ(r.records[2].level, 3);
  EXPECT_EQ(r.records[2].time, iso("2025-03-24T08:05:11Z"));
  EXPECT_NE(r.records[2].message.find("User has logged on with AAD credentials: No"),
            std::string::npos);
  EXPECT_TRUE(r.notes[2].data_values_missing);
  EXPECT_EQ(r.records[2].line, 21u);  // messages span lines: evidence names the row's first
}

TEST(EventText, CopyDetailsAsText) {
  const auto data = scenario("messages-copy-details/ticket-paste.txt");
  EXPECT_EQ(ee::looks_like_event_details(data), 90);
  const Result r = run(data);
  ASSERT_EQ(r.records.size(), 4u);
  const Record& first = r.records[0];
  EXPECT_EQ(first.line, 1u);
  EXPECT_EQ(first.event_id, 360u);
  EXPECT_EQ(first.channel, std::string(kUdr) + "/Admin");
  EXPECT_EQ(first.provider, kUdr);
  EXPECT_EQ(first.computer, "PC-0733.corp.contoso.com");
  EXPECT_EQ(first.level, 3);
  EXPECT_EQ(first.time, iso("2025-03-24T08:05:11Z"));  // 9:05:11 AM at +01:00
  EXPECT_TRUE(first.user_sid.empty());                 // "CONTOSO\mia.chen" is no SID
  EXPECT_TRUE(first.message.rfind("Windows Hello for Business provisioning will not", 0) == 0);
  EXPECT_NE(first.message.find("for more details."), std::string::npos);
  EXPECT_EQ(first.message.back(), '.');  // blank lines between pastes are not message
  EXPECT_TRUE(r.notes[0].data_values_missing);
  EXPECT_EQ(r.records[2].provider, "Microsoft-Windows-HelloForBusiness");
  EXPECT_EQ(r.records[3].event_id, 300u);
  EXPECT_GT(r.records[3].line, r.records[2].line);
}

// Newer Event Viewers add "Event Xml:": then the event is read from it, EventData and all.
TEST(EventText, CopyDetailsWithEventXml) {
  const std::string paste =
      "Log Name:      Microsoft-Windows-User Device Registration/Admin\r\n"
      "Source:        Microsoft-Windows-User Device Registration\r\n"
      "Date:          24.03.2025 09:05:11\r\n"
      "Event ID:      360\r\nTask Category: None\r\nLevel:         Warning\r\nKeywords:      \r\n"
      "User:          CONTOSO\\mia.chen\r\nComputer:      PC-0733.corp.contoso.com\r\n"
      "Description:\r\nWindows Hello for Business provisioning will not be launched.\r\n"
      "Event Xml:\r\n"
      "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n"
      "  <System>\r\n    <Provider Name=\"Microsoft-Windows-User Device Registration\" />\r\n"
      "    <EventID>360</EventID>\r\n    <Level>3</Level>\r\n"
      "    <TimeCreated SystemTime=\"2025-03-24T08:05:11.5000000Z\" />\r\n"
      "    <Computer>PC-0733.corp.contoso.com</Computer>\r\n"
      "    <Security UserID=\"S-1-5-21-3623811015-3361044348-30300820-1187\" />\r\n  </System>\r\n"
      "  <EventData>\r\n    <Data Name=\"AADPrt\">No</Data>\r\n  </EventData>\r\n</Event>\r\n";
  const Result r = run(bytes(paste));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].time, iso("2025-03-24T08:05:11.5Z"));  // the XML's, not the header's
  EXPECT_EQ(r.records[0].user_sid, "S-1-5-21-3623811015-3361044348-30300820-1187");
  ASSERT_NE(r.records[0].find("AADPrt"), nullptr);
  EXPECT_FALSE(r.notes[0].data_values_missing);
  EXPECT_EQ(r.records[0].line, 1u);
  EXPECT_EQ(r.records[0].message, "Windows Hello for Business provisioning will not be launched.");
}

TEST(EventText, DamagedPasteIsReportedAndReadingGoesOn) {
  const std::string paste =
      "Log Name:      Microsoft-Windows-User Device Registration/Admin\n"
      "Source:        Microsoft-Windows-User Device Registration\n"
      "Date:          24/03/2025 09:05:11\nEvent ID:      three-sixty\nLevel:         Warning\n"
      "User:          N/A\nComputer:      PC-0733\nDescription:\nfirst\n\n"
      "Log Name:      Application\nSource:        Demo\nDate:          yesterday\n"
      "Event ID:      7\nLevel:         Error\nUser:          N/A\nComputer:      PC-0733\n"
      "Description:\nsecond\n";
  const Result r = run(bytes(paste));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].event_id, 7u);
  EXPECT_EQ(r.records[0].time, HT_NO_TIME);
  bool bad_id = false, bad_date = false;
  for (const auto& p : r.problems) {
    bad_id = bad_id || (p.line == 1 && p.message.find("Event ID") != std::string::npos);
    bad_date =
        bad_date || (p.line == 11 && p.message.find("date not understood") != std::string::npos);
  }
  EXPECT_TRUE(bad_id);
  EXPECT_TRUE(bad_date);
  EXPECT_EQ(ee::looks_like_event_details(bytes("Some notes\nLog Name: x\n")), 0);
}

TEST(EventText, GetWinEventFormatListUtf16) {
  const auto data = scenario("messages-format-list/udr-admin-fl.txt");
  EXPECT_EQ(ee::looks_like_event_list(data), 85);
  const Result r = run(data);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].event_id, 300u);
  EXPECT_EQ(r.records[0].provider, kUdr);
  EXPECT_EQ(r.records[0].time, iso("2025-03-24T20:41:12Z"));
  EXPECT_EQ(r.records[0].line, 3u);
  const std::string& m = r.records[2].message;
  EXPECT_TRUE(m.rfind("Windows Hello for Business provisioning will not be launched.", 0) == 0)
      << m;
  // Continuation lines are joined (pstext: by a blank when the line ended in one).
  EXPECT_NE(m.find("Yes User has logged on with AAD credentials: No"), std::string::npos) << m;
  EXPECT_TRUE(r.notes[0].data_values_missing);
}

TEST(EventText, SelectTimeIdMessageExportCsv) {
  const auto data = scenario("messages-format-list/hello-select-message.csv");
  EXPECT_EQ(ee::looks_like_event_csv(data), 80);
  const Result r = run(data);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].event_id, 5555u);
  EXPECT_TRUE(r.records[0].provider.empty());  // the template tells it (eventmessage)
  EXPECT_EQ(r.records[0].time, iso("2025-03-24T20:40:30Z"));
  EXPECT_NE(r.records[0].message.find("TPM Locked Out: True"), std::string::npos);
}

// en-US with only ambiguous dates: read month first (12-hour clock) and said so.
TEST(EventText, AmbiguousUsDatesAreAssumedAndReported) {
  const std::string csv =
      "Level,Date and Time,Source,Event ID,Task Category\r\n"
      "Information,3/4/2025 9:40:12 PM,User Device Registration,358,None,\"m\"\r\n";
  const Result r = run(bytes(csv), "UTC");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].time, iso("2025-03-04T21:40:12Z"));
  EXPECT_TRUE(r.said("--date-order dmy"));
}
