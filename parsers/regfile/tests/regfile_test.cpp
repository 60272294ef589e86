// regfile tests: every .reg data form regedit writes, reg query and Get-ItemProperty
// output, deletions, and damaged input (problems with lines, the rest kept).
#include <gtest/gtest.h>

#include <hellotrace/regfile/regfile.hpp>
#include <string>
#include <vector>

using namespace hellotrace::regfile;

namespace {

std::vector<uint8_t> utf16le_bom(const std::string& ascii) {
  std::vector<uint8_t> out = {0xFF, 0xFE};
  for (char c : ascii) {
    out.push_back(static_cast<uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

const Entry* value(const Result& r, const std::string& name) {
  for (const auto& e : r.entries)
    if (e.kind == EntryKind::kValue && e.name == name) return &e;
  return nullptr;
}

const std::string kKey = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n";

}  // namespace

TEST(Regfile, Regedit5Utf16AllValueTypes) {
  const std::string text =
      "Windows Registry Editor Version 5.00\r\n\r\n" + kKey +
      "\"Enabled\"=dword:00000001\r\n"
      "\"Big\"=dword:FFFFFFFF\r\n"
      "@=\"default \\\"quoted\\\" C:\\\\Windows\"\r\n"
      // QWORD 0x0000000100000002 little endian
      "\"Q\"=hex(b):02,00,00,00,01,00,00,00\r\n"
      // REG_EXPAND_SZ "%SystemRoot%\x" in UTF-16LE, continued over two lines
      "\"Expand\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,\\\r\n"
      "  74,00,25,00,5c,00,78,00,00,00\r\n"
      // REG_MULTI_SZ "a", "bc"
      "\"Multi\"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00\r\n"
      "\"Bin\"=hex:de,ad,BE,ef\r\n"
      "\"None\"=hex(0):\r\n"
      "\"Dw4\"=hex(4):2a,00,00,00\r\n";
  const Result r = parse_bytes(utf16le_bom(text));
  EXPECT_EQ(r.format, Format::kRegedit5);
  EXPECT_TRUE(r.problems.empty()) << r.problems.front().message;
  ASSERT_NE(value(r, "Enabled"), nullptr);
  EXPECT_EQ(value(r, "Enabled")->type, "REG_DWORD");
  EXPECT_EQ(value(r, "Enabled")->data, "1");
  EXPECT_EQ(value(r, "Enabled")->line, 4u);
  EXPECT_EQ(value(r, "Big")->data, "4294967295");
  ASSERT_NE(value(r, ""), nullptr);
  EXPECT_EQ(value(r, "")->data, "default \"quoted\" C:\\Windows");
  EXPECT_EQ(value(r, "Q")->type, "REG_QWORD");
  EXPECT_EQ(value(r, "Q")->data, "4294967298");
  EXPECT_EQ(value(r, "Expand")->type, "REG_EXPAND_SZ");
  EXPECT_EQ(value(r, "Expand")->data, "%SystemRoot%\\x");
  EXPECT_EQ(value(r, "Multi")->type, "REG_MULTI_SZ");
  EXPECT_EQ(value(r, "Multi")->data, "a\\0bc");
  EXPECT_EQ(value(r, "Bin")->type, "REG_BINARY");
  EXPECT_EQ(value(r, "Bin")->data, "deadbeef");
  EXPECT_EQ(value(r, "None")->type, "REG_NONE");
  EXPECT_EQ(value(r, "None")->data, "");
  EXPECT_EQ(value(r, "Dw4")->data, "42");
  // The line after the continued value is counted right.
  EXPECT_EQ(value(r, "Multi")->line, 10u);
}

TEST(Regfile, Regedit4AnsiStrings) {
  // REGEDIT4: hex(2) bytes are single-byte ANSI; the file itself is cp1252 ("é" = 0xE9).
  const std::string text = "REGEDIT4\r\n\r\n" + kKey +
                           "\"Name\"=\"Caf\xE9\"\r\n"
                           "\"Expand\"=hex(2):25,54,45,4d,50,25,00\r\n";
  const Result r = parse_bytes(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  EXPECT_EQ(r.format, Format::kRegedit4);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(value(r, "Name")->data, "Caf\xC3\xA9");
  EXPECT_EQ(value(r, "Expand")->data, "%TEMP%");
}

TEST(Regfile, DeletionsComeOutInOrder) {
  const Result r = parse("Windows Registry Editor Version 5.00\n\n" + kKey +
                         "\"Enabled\"=-\n"
                         "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork\\"
                         "PINComplexity]\n"
                         "\"Ignored\"=dword:1\n");
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[1].kind, EntryKind::kDeletedValue);
  EXPECT_EQ(r.entries[1].name, "Enabled");
  EXPECT_EQ(r.entries[2].kind, EntryKind::kDeletedKey);
  EXPECT_EQ(r.entries[2].key,
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork\\PINComplexity");
  // A value under a deleted key is not kept, and that is said.
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 6u);
}

TEST(Regfile, DamagedLinesAreReportedAndTheRestKept) {
  const Result r = parse("Windows Registry Editor Version 5.00\n\n" + kKey +
                         "\"A\"=dword:00000001\n"
                         "\"B\"=dword:xyz\n"          // line 5: bad dword
                         "\"C\"=\"not closed\n"       // line 6
                         "garbage line\n"             // line 7
                         "\"D\"=hex:01,zz\n"          // line 8
                         "\"E\"=dword:00000002\n"     // kept
                         "\"F\"=hex(7):61,00,\\\n");  // line 10: continues past the end
  EXPECT_EQ(value(r, "A")->data, "1");
  EXPECT_EQ(value(r, "E")->data, "2");
  EXPECT_EQ(value(r, "B"), nullptr);
  EXPECT_EQ(value(r, "F"), nullptr);
  std::vector<uint64_t> lines;
  for (const auto& p : r.problems) lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<uint64_t>{5, 6, 7, 8, 10}));
}

TEST(Regfile, RegQueryOutput) {
  const Result r = parse(
      "C:\\>reg query \"HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork\" /s\n\n"
      "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork\n"
      "    Enabled    REG_DWORD    0x1\n"
      "    (Default)    REG_SZ    some text\n"
      "    Value With Spaces    REG_QWORD    0x100000000\n"
      "    Hosts    REG_MULTI_SZ    a\\0b\n"
      "    Blob    REG_BINARY    C0AB0064\n"
      "    Empty    REG_SZ    \n"
      "    Bad    REG_DWORD    one\n"
      "\nEnd of search: 6 match(es) found.\n");
  EXPECT_EQ(r.format, Format::kRegQuery);
  ASSERT_EQ(r.queried.size(), 1u);
  EXPECT_EQ(r.queried[0], "HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork");
  EXPECT_EQ(value(r, "Enabled")->data, "1");
  EXPECT_EQ(value(r, "Enabled")->line, 4u);
  EXPECT_EQ(value(r, "")->data, "some text");
  EXPECT_EQ(value(r, "Value With Spaces")->data, "4294967296");
  EXPECT_EQ(value(r, "Hosts")->data, "a\\0b");
  EXPECT_EQ(value(r, "Blob")->data, "c0ab0064");
  EXPECT_EQ(value(r, "Empty")->data, "");
  EXPECT_EQ(value(r, "Bad"), nullptr);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 10u);
}

TEST(Regfile, RegQueryMissingKey) {
  const Result r = parse(
      "C:\\>reg query HKCU\\SOFTWARE\\Policies\\Microsoft\\PassportForWork /s\n"
      "ERROR: The system was unable to find the specified registry key or value.\n");
  EXPECT_EQ(r.format, Format::kRegQuery);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].kind, EntryKind::kQueryError);
  EXPECT_EQ(r.entries[0].key, "HKCU\\SOFTWARE\\Policies\\Microsoft\\PassportForWork");
}

TEST(Regfile, GetItemPropertyList) {
  const Result r = parse(
      "\n"
      "Enabled               : 1\n"
      "RequireSecurityDevice : 0\n"
      "PSPath                : Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE"
      "\\Policies\\Microsoft\\PassportForWork\n"
      "PSChildName           : PassportForWork\n"
      "PSDrive               : HKLM\n");
  EXPECT_EQ(r.format, Format::kPsItemProperty);
  ASSERT_NE(value(r, "RequireSecurityDevice"), nullptr);
  EXPECT_EQ(value(r, "RequireSecurityDevice")->data, "0");
  EXPECT_EQ(value(r, "RequireSecurityDevice")->line, 3u);
  EXPECT_EQ(value(r, "RequireSecurityDevice")->type, "");
  EXPECT_EQ(value(r, "Enabled")->key,
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork");
  EXPECT_EQ(value(r, "PSDrive"), nullptr);
}

TEST(Regfile, DetectsNothingInOtherText) {
  EXPECT_EQ(
      detect_format("+----------------------------------------------------------------------+\n"
                    "| Device State                                                         |\n"
                    "             AzureAdJoined : YES\n"),
      Format::kUnknown);
  EXPECT_EQ(detect_format("TpmPresent                : True\nTpmReady : True\n"), Format::kUnknown);
  const Result r = parse("just text\n");
  EXPECT_EQ(r.format, Format::kUnknown);
  EXPECT_EQ(r.problems.size(), 1u);
}

TEST(Regfile, CanonicalKeys) {
  EXPECT_EQ(canonical_key("HKLM:\\SOFTWARE\\X\\"), "HKEY_LOCAL_MACHINE\\SOFTWARE\\X");
  EXPECT_EQ(canonical_key("Registry::hkcu\\Software"), "HKEY_CURRENT_USER\\Software");
  EXPECT_EQ(canonical_key("HKU\\S-1-5-21-1\\Software"), "HKEY_USERS\\S-1-5-21-1\\Software");
  EXPECT_TRUE(key_within("HKEY_LOCAL_MACHINE\\SOFTWARE\\X\\Y", "hkey_local_machine\\software\\x"));
  EXPECT_FALSE(key_within("HKEY_LOCAL_MACHINE\\SOFTWARE\\XY", "HKEY_LOCAL_MACHINE\\SOFTWARE\\X"));
}
