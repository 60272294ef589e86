#include <gtest/gtest.h>

#include <hellotrace/pstext/pstext.hpp>
#include <string>
#include <vector>

using namespace hellotrace::pstext;

namespace {

std::string val(const Object& o, std::string_view name) {
  const std::string* v = o.get(name);
  return v ? *v : std::string("<missing>");
}

std::vector<uint8_t> utf16le_bom(std::string_view ascii) {
  std::vector<uint8_t> out = {0xFF, 0xFE};
  for (char c : ascii) {
    out.push_back(static_cast<uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

const char* kScheduler =
    "PS C:\\> Get-ADSyncScheduler\n"
    "\n"
    "AllowedSyncCycleInterval            : 00:30:00\n"
    "CurrentlyEffectiveSyncCycleInterval : 00:30:00\n"
    "CustomizedSyncCycleInterval         :\n"
    "NextSyncCyclePolicyType             : Delta\n"
    "NextSyncCycleStartTimeInUTC         : 9/29/2025 12:51:47 PM\n"
    "PurgeRunHistoryInterval             : 7.00:00:00\n"
    "SyncCycleEnabled                    : True\n"
    "\n"
    "\n"
    "PS C:\\> \n";

}  // namespace

TEST(PsText, FormatListWithPrompt) {
  const Result r = parse(kScheduler);
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(r.format, Format::kList);
  const Object& o = r.objects[0];
  EXPECT_EQ(o.line, 3u);
  EXPECT_EQ(o.command, "Get-ADSyncScheduler");
  ASSERT_EQ(o.properties.size(), 7u);
  EXPECT_EQ(o.properties[0].name, "AllowedSyncCycleInterval");
  EXPECT_EQ(val(o, "CustomizedSyncCycleInterval"), "");
  EXPECT_EQ(val(o, "nextsynccyclestarttimeinutc"), "9/29/2025 12:51:47 PM");
  EXPECT_EQ(val(o, "PurgeRunHistoryInterval"), "7.00:00:00");
  EXPECT_TRUE(r.problems.empty());
  ASSERT_EQ(r.text.size(), 2u);
  EXPECT_EQ(r.text[0].line, 1u);
}

TEST(PsText, FormatListUtf16LeBomCrlf) {
  std::string crlf;
  for (const char* p = kScheduler; *p; ++p) {
    if (*p == '\n') crlf += '\r';
    crlf += *p;
  }
  const auto bytes = utf16le_bom(crlf);
  const Result r = parse_bytes(bytes);
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(r.objects[0].line, 3u);
  EXPECT_EQ(val(r.objects[0], "SyncCycleEnabled"), "True");
}

TEST(PsText, FormatListSeveralObjectsAndRepeatedNames) {
  const Result r = parse("Name : a\nValue : 1\n\nName : b\nValue : 2\nName : c\nValue : 3\n");
  ASSERT_EQ(r.objects.size(), 3u);
  EXPECT_EQ(r.objects[1].line, 4u);
  EXPECT_EQ(val(r.objects[2], "Name"), "c");
  EXPECT_EQ(r.objects[2].line, 6u);
}

TEST(PsText, FormatListContinuationLines) {
  // Width 60: the first value line is cut mid-word at the width; the last ends early.
  const std::string text =
      "RunHistoryId   : 8a654dc1-cf23-40ed-86f4-b745bd553c22\n"
      "RunStepResults : {@{StepNumber=1; StepResult=no-start-conn\n"
      "                 ection; StartDate=2022-04-08T20:13:31.17;\n"
      "                 ExportAdd=0}}\n"
      "TotalSteps     : 1\n";
  const Result r = parse(text);
  ASSERT_EQ(r.objects.size(), 1u);
  const std::string v = val(r.objects[0], "RunStepResults");
  EXPECT_NE(v.find("StepResult=no-start-connection;"), std::string::npos) << v;
  EXPECT_NE(v.find("ExportAdd=0}}"), std::string::npos) << v;
  EXPECT_EQ(val(r.objects[0], "TotalSteps"), "1");
  bool t = false;
  auto items = split_collection(v, &t);
  ASSERT_EQ(items.size(), 1u);
  auto h = parse_hashtable(items[0]);
  ASSERT_TRUE(h.has_value());
  ASSERT_GE(h->size(), 3u);
  EXPECT_EQ((*h)[1].name, "StepResult");
  EXPECT_EQ((*h)[1].value, "no-start-connection");
}

TEST(PsText, FormatListCollectionsAndTruncation) {
  const Result r = parse(
      "Members  : {CN=a,DC=contoso,DC=com, b, c, d...}\n"
      "Comment  : This value was cut by the form...\n"
      "Empty    : {}\n");
  ASSERT_EQ(r.objects.size(), 1u);
  const Object& o = r.objects[0];
  EXPECT_TRUE(o.find("Members")->truncated);
  EXPECT_TRUE(o.find("Comment")->truncated);
  EXPECT_FALSE(o.find("Empty")->truncated);
  bool truncated = false;
  auto items = split_collection(val(o, "Members"), &truncated);
  EXPECT_TRUE(truncated);
  // Commas inside DNs are separators too (PowerShell prints them so); only ", " splits
  // in practice but the reader cannot tell — so items are split on commas at depth 0.
  EXPECT_GE(items.size(), 4u);
  EXPECT_TRUE(split_collection("{}").empty());
  EXPECT_EQ(split_collection("plain").size(), 1u);
}

TEST(PsText, DoubleSpacedListIsOneObject) {
  const Result r = parse(
      "AllowedSyncCycleInterval : 00:30:00\n\nSyncCycleEnabled : True\n\n"
      "StagingModeEnabled : False\n");
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(r.objects[0].properties.size(), 3u);
}

TEST(PsText, FormatTable) {
  const Result r = parse(
      "PS C:\\> Get-ADSyncConnectorRunStatus\n"
      "\n"
      "RunState ConnectorName\n"
      "-------- -------------\n"
      "Busy     contoso.onmicrosoft.com - AAD\n"
      "Idle     contoso.com\n"
      "\n"
      "PS C:\\> Start-ADSyncSyncCycle -PolicyType Delta\n"
      "\n"
      "Result\n"
      "------\n"
      "Success\n");
  ASSERT_EQ(r.objects.size(), 3u);
  EXPECT_EQ(r.objects[0].format, Format::kTable);
  EXPECT_EQ(r.objects[0].line, 5u);
  EXPECT_EQ(val(r.objects[0], "ConnectorName"), "contoso.onmicrosoft.com - AAD");
  EXPECT_EQ(val(r.objects[1], "RunState"), "Idle");
  EXPECT_EQ(val(r.objects[2], "Result"), "Success");
  EXPECT_EQ(r.objects[2].command, "Start-ADSyncSyncCycle -PolicyType Delta");
}

TEST(PsText, FormatTableTruncatedCell) {
  const Result r = parse(
      "RunProfileName Result                  StartDate\n"
      "-------------- ------                  ---------\n"
      "Export         completed-export-err... 9/29/2025 12:21:47 PM\n");
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_TRUE(r.objects[0].find("Result")->truncated);
  EXPECT_EQ(val(r.objects[0], "StartDate"), "9/29/2025 12:21:47 PM");
}

TEST(PsText, ErrorRecord) {
  const Result r = parse(
      "PS C:\\> Start-ADSyncSyncCycle -PolicyType Delta\n"
      "Start-ADSyncSyncCycle : System.InvalidOperationException:\n"
      "   Connector: contoso.onmicrosoft.com - AAD is busy.\n"
      "   at Microsoft.MetadirectoryServices.Scheduler.Scheduler.StartSyncCycle\n"
      "At line:1 char:1\n"
      "+ Start-ADSyncSyncCycle -PolicyType Delta\n"
      "+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
      "    + CategoryInfo          : WriteError: (...) [Start-ADSyncSyncCycle], Invalid\n"
      "\n");
  EXPECT_TRUE(r.objects.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_NE(r.errors[0].text.find("is busy."), std::string::npos);
  EXPECT_EQ(r.errors[0].command, "Start-ADSyncSyncCycle -PolicyType Delta");
}

TEST(PsText, CsvWithTypeLineQuotingAndMultiline) {
  const Result r = parse(
      "#TYPE Microsoft.IdentityManagement.PowerShell.ObjectModel.RunProfileResult\r\n"
      "\"ConnectorName\",\"RunProfileName\",\"Result\",\"Note\"\r\n"
      "\"contoso.com\",\"Export\",\"completed-export-errors\",\"line one\r\nline \"\"two\"\"\"\r\n"
      "\"contoso.com\",\"Delta Import\",\"success\",\"\"\r\n");
  EXPECT_EQ(r.format, Format::kCsv);
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[0].line, 3u);
  EXPECT_EQ(r.objects[1].line, 5u);
  EXPECT_EQ(val(r.objects[0], "Note"), "line one\nline \"two\"");
  EXPECT_EQ(val(r.objects[1], "RunProfileName"), "Delta Import");
  EXPECT_TRUE(r.problems.empty());
}

TEST(PsText, CsvSemicolonAndTruncated) {
  const Result r = parse("\"A\";\"B\"\n\"1\";\"x;y\"\n\"2\";\"unterminated\n");
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(val(r.objects[0], "B"), "x;y");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 3u);
}

TEST(PsText, CsvShortRowReported) {
  const Result r = parse("\"A\",\"B\",\"C\"\n\"1\",\"2\"\n");
  ASSERT_EQ(r.objects.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 2u);
  EXPECT_EQ(val(r.objects[0], "C"), "");
}

// How this reader splits CSV where readers differ (pinned before it shared
// hellotrace::text::CsvReader): CRLF inside quotes becomes LF, a quote after blanks is
// data, a lone CR ends a row and a line.
TEST(PsText, CsvSplittingDialect) {
  const Result r = parse_csv(
      "\"A\",\"B\"\r\n"
      "\"1\",\"two\r\nlines\"\r\n"
      "2, \"x,y\"\r\n"
      "3,lone\r"
      "4,\"cr\rin quotes\"\n");
  ASSERT_EQ(r.objects.size(), 4u);
  EXPECT_EQ(val(r.objects[0], "B"), "two\nlines");
  EXPECT_EQ(r.objects[0].line, 2u);
  EXPECT_EQ(val(r.objects[1], "B"), " \"x");
  EXPECT_EQ(r.objects[1].line, 4u);
  EXPECT_EQ(val(r.objects[2], "B"), "lone");
  EXPECT_EQ(r.objects[2].line, 5u);
  EXPECT_EQ(val(r.objects[3], "B"), "cr\rin quotes");
  EXPECT_EQ(r.objects[3].line, 6u);
  ASSERT_EQ(r.problems.size(), 1u);  // row 4 has 3 values
  EXPECT_EQ(r.problems[0].line, 4u);
}

TEST(PsText, JsonArrayFlattened) {
  const Result r = parse(
      "PS C:\\> Get-ADSyncScheduler | ConvertTo-Json\n"
      "[\n"
      "  {\n"
      "    \"AllowedSyncCycleInterval\": {\"Ticks\": 18000000000, \"TotalSeconds\": 1800},\n"
      "    \"NextSyncCycleStartTimeInUTC\": \"\\/Date(1759150307000)\\/\",\n"
      "    \"SyncCycleEnabled\": true,\n"
      "    \"CustomizedSyncCycleInterval\": null,\n"
      "    \"Tags\": [\"a\", \"b\"],\n"
      "    \"Steps\": [{\"N\": 1}, {\"N\": 2}]\n"
      "  },\n"
      "  {\"X\": 1}\n"
      "]\n");
  EXPECT_EQ(r.format, Format::kJson);
  ASSERT_EQ(r.objects.size(), 2u);
  const Object& o = r.objects[0];
  EXPECT_EQ(o.line, 3u);
  EXPECT_EQ(o.command, "Get-ADSyncScheduler | ConvertTo-Json");
  EXPECT_EQ(val(o, "AllowedSyncCycleInterval.TotalSeconds"), "1800");
  EXPECT_EQ(val(o, "NextSyncCycleStartTimeInUTC"), "/Date(1759150307000)/");
  EXPECT_EQ(val(o, "SyncCycleEnabled"), "True");
  EXPECT_EQ(val(o, "CustomizedSyncCycleInterval"), "");
  EXPECT_EQ(val(o, "Tags"), "{a, b}");
  EXPECT_EQ(val(o, "Steps[1].N"), "2");
  EXPECT_EQ(r.objects[1].line, 11u);
}

TEST(PsText, JsonKeepNested) {
  Options opt;
  opt.json_nesting = JsonNesting::kKeepJson;
  const Result r = parse("{\"A\": {\"B\": 1}, \"C\": \"d\"}", opt);
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(val(r.objects[0], "A"), "{\"B\":1}");
}

TEST(PsText, JsonTruncatedKeepsEarlierElements) {
  const Result r = parse("[\n {\"A\": 1},\n {\"A\": 2},\n {\"A\": \n");
  ASSERT_EQ(r.objects.size(), 2u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 4u);
}

TEST(PsText, JsonBadElementSkipped) {
  const Result r = parse("[{\"A\": 1}, {\"A\" 2}, {\"A\": 3}]");
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.problems.size(), 1u);
}

TEST(PsText, JsonEmptyObjectsGiveNoObject) {
  const Result r = parse("[{}, {\"A\": {}}]");
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(val(r.objects[0], "A"), "");
}

TEST(PsText, PromptCommand) {
  EXPECT_EQ(prompt_command("PS C:\\> Get-ADSyncScheduler").value_or("?"), "Get-ADSyncScheduler");
  EXPECT_EQ(prompt_command("PS>dir").value_or("?"), "dir");
  EXPECT_EQ(prompt_command("[sync01]: PS C:\\Users\\adm\\Documents> Get-X").value_or("?"), "Get-X");
  EXPECT_FALSE(prompt_command("PSComputerName : sync01").has_value());
  EXPECT_FALSE(prompt_command("PS the value > 5").has_value());
}

TEST(PsText, HashtableHelper) {
  auto h = parse_hashtable("@{Name=accountEnabled; Type=2; Values=System.Object[]; X=}");
  ASSERT_TRUE(h.has_value());
  ASSERT_EQ(h->size(), 4u);
  EXPECT_EQ((*h)[3].name, "X");
  EXPECT_EQ((*h)[3].value, "");
  EXPECT_FALSE(parse_hashtable("not a table").has_value());
}

TEST(PsText, DetectFormat) {
  EXPECT_EQ(detect_format("\n\n[{}]"), Format::kJson);
  EXPECT_EQ(detect_format("#TYPE X\n\"A\"\n"), Format::kCsv);
  EXPECT_EQ(detect_format("A,B\n1,2\n"), Format::kCsv);
  EXPECT_EQ(detect_format("A : 1\n"), Format::kList);
  EXPECT_EQ(detect_format("A  B\n-- --\n"), Format::kTable);
  EXPECT_EQ(detect_format(""), Format::kUnknown);
}

TEST(PsText, GarbageNeverThrows) {
  const std::string junk[] = {"\xFF\xFE\x00", " : : :", "[[[[[[[[", "\"",
                              "{\"a\":",      "----\n", "A\n-\n",   ": x\n  y\n"};
  for (const auto& j : junk) {
    EXPECT_NO_THROW((void)parse(j));
    EXPECT_NO_THROW((void)parse_console(j));
    EXPECT_NO_THROW((void)parse_csv(j));
    EXPECT_NO_THROW((void)parse_json(j));
  }
}
