#include <gtest/gtest.h>

#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/escape.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>

using namespace hellotrace;

static std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Text, DecodesUtf16LeWithBom) {
  const std::string raw(
      "\xFF\xFE"
      "A\0:\0 \0\xE7\0\r\0\n\0",
      14);
  text::Encoding e;
  EXPECT_EQ(text::decode(bytes(raw), &e), "A: \xC3\xA7\r\n");
  EXPECT_EQ(e, text::Encoding::kUtf16Le);
}

TEST(Text, DecodesUtf16BeAndBomlessLe) {
  const std::string be("\xFE\xFF\0O\0K", 6);
  EXPECT_EQ(text::decode(bytes(be)), "OK");
  const std::string le("D\0e\0v\0i\0c\0e\0", 12);
  EXPECT_EQ(text::detect_encoding(bytes(le)), text::Encoding::kUtf16Le);
  EXPECT_EQ(text::decode(bytes(le)), "Device");
}

TEST(Text, StripsUtf8BomAndKeepsPlainUtf8) {
  EXPECT_EQ(text::decode(bytes("\xEF\xBB\xBFhello")), "hello");
  EXPECT_EQ(text::decode(bytes("h\xC3\xA9")), "h\xC3\xA9");
}

TEST(Text, LoneSurrogateBecomesReplacementCharacter) {
  const std::string raw(
      "\xFF\xFE\x00\xD8"
      "A\0",
      6);
  EXPECT_EQ(text::decode(bytes(raw)),
            "\xEF\xBF\xBD"
            "A");
}

TEST(Text, ReportsTheFirstBytesThatAreNotText) {
  text::DecodeIssues issues;
  // UTF-16LE with BOM: "A", a lone high surrogate at byte 4, "B", a lone low one at 8.
  const std::string lone(
      "\xFF\xFE"
      "A\0"
      "\x00\xD8"
      "B\0"
      "\x00\xDC",
      10);
  EXPECT_EQ(text::decode_checked(bytes(lone), issues),
            "A\xEF\xBF\xBD"
            "B\xEF\xBF\xBD");
  EXPECT_EQ(issues.count, 2u);
  EXPECT_EQ(issues.first_offset, 4u);
  EXPECT_EQ(issues.message(), "invalid UTF-16LE at byte offset 0x4 (2 places), shown as U+FFFD");
  // An odd length: the half character at the end is dropped, and said.
  const std::string odd(
      "\xFF\xFE"
      "A\0"
      "B",
      5);
  EXPECT_EQ(text::decode_checked(bytes(odd), issues), "A");
  EXPECT_EQ(issues.count, 1u);
  EXPECT_EQ(issues.first_offset, 4u);
  EXPECT_EQ(issues.message(),
            "invalid UTF-16LE at byte offset 0x4 (the last byte of an odd length), dropped");
  // UTF-8 with a BOM: offsets count the BOM; bytes are kept.
  EXPECT_EQ(text::decode_checked(bytes("\xEF\xBB\xBFok \xFF\xC3("), issues), "ok \xFF\xC3(");
  EXPECT_EQ(issues.count, 2u);
  EXPECT_EQ(issues.first_offset, 6u);
  EXPECT_EQ(issues.message(),
            "invalid UTF-8 (BOM) at byte offset 0x6 (2 places), kept as is (outputs show U+FFFD)");
  // Clean text: nothing to say.
  text::decode_checked(bytes("h\xC3\xA9"), issues);
  EXPECT_EQ(issues.count, 0u);
  EXPECT_EQ(issues.message(), "");
}

TEST(Text, DecodeReportingWarnsOncePerInput) {
  struct Sink {
    std::vector<std::pair<Position, std::string>> warnings;
    void warning(const Position& at, std::string_view m) { warnings.emplace_back(at, m); }
  } sink;
  text::decode_reporting(bytes("a\xFF b\xFE c\xFD"), sink);
  ASSERT_EQ(sink.warnings.size(), 1u);
  EXPECT_EQ(sink.warnings[0].first.offset, 1u);
  EXPECT_NE(sink.warnings[0].second.find("(3 places)"), std::string::npos);
  text::decode_reporting(bytes("clean"), sink);
  EXPECT_EQ(sink.warnings.size(), 1u);
}

TEST(Text, LinesStripCrAndCountFromOne) {
  auto lines = text::split_lines("a\r\nb\n\nc");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[2].text, "");
  EXPECT_EQ(lines[3].number, 4u);
}

TEST(Text, TrimsMixedSpacesAndNoBreakSpaces) {
  EXPECT_EQ(text::trim(" \xC2\xA0  \xC2\xA0 Key : v \xC2\xA0 "), "Key : v");
  EXPECT_EQ(text::trim("\xC2\xA0"), "");
  EXPECT_EQ(text::trim("x"), "x");
}

TEST(Text, FindsNeedlesIgnoringAsciiCase) {
  EXPECT_TRUE(text::icontains("x NextSyncCycleStartTimeInUTC : 1", "nextsynccyclestarttimeinutc"));
  EXPECT_TRUE(text::icontains("aaaB", "AB"));
  EXPECT_TRUE(text::icontains("AB", "ab"));
  EXPECT_FALSE(text::icontains("abc", "abcd"));
  EXPECT_FALSE(text::icontains("a-b-c", "a-c"));
  EXPECT_TRUE(text::icontains("anything", ""));
  EXPECT_TRUE(text::icontains("1:2", ":"));
}

TEST(Text, NormalizesGuids) {
  EXPECT_EQ(text::normalize_guid("{ 3B9F1A2C-1111-2222-3333-444455556666 }"),
            "3b9f1a2c-1111-2222-3333-444455556666");
  EXPECT_FALSE(text::normalize_guid("not-a-guid").has_value());
}

TEST(Text, SanitizesInvalidUtf8) {
  EXPECT_EQ(text::sanitize_utf8("a\xFF"
                                "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_TRUE(text::is_valid_utf8("\xE2\x82\xAC"));
  EXPECT_FALSE(text::is_valid_utf8("\xED\xA0\x80"));  // encoded surrogate
}

TEST(Text, EscapesWhatSteersATerminal) {
  // Clear screen, a window title (OSC 0), a hyperlink (OSC 8), a forged log line.
  EXPECT_EQ(text::escape_controls("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(text::escape_controls("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(text::escape_controls("\x1b]8;;http://x\x1b\\"), "\\x1b]8;;http://x\\x1b\\");
  EXPECT_EQ(text::escape_controls("GPO\nhellotrace: x: error: forged"),
            "GPO\\nhellotrace: x: error: forged");
  EXPECT_EQ(text::escape_controls(std::string("\r\t\0\x7f", 4)), "\\r\\t\\x00\\x7f");
  // C1 (CSI as U+009B, and as a lone byte that is not UTF-8), bidi and separators.
  EXPECT_EQ(text::escape_controls("\xC2\x9B"
                                  "2J"),
            "\\u009b2J");
  EXPECT_EQ(text::escape_controls("\x9B"
                                  "2J"),
            "\\x9b2J");
  EXPECT_EQ(text::escape_controls("evil\xE2\x80\xAEtxt.exe"), "evil\\u202etxt.exe");
  EXPECT_EQ(text::escape_controls("\xE2\x80\xA8\xE2\x81\xA6\xD8\x9C\xE2\x80\x8F"),
            "\\u2028\\u2066\\u061c\\u200f");
  // Ordinary text, accents, the ellipsis, a domain account and a CJK name stay.
  const std::string plain = "CONTOSO\\jdoe — Dana Ruiz, Zoë, \xE5\xB1\xB1\xE7\x94\xB0 …";
  EXPECT_EQ(text::escape_controls(plain), plain);
  // Escaping twice changes nothing more.
  const std::string once = text::escape_controls("x\x1b\n\xC2\x85y");
  EXPECT_EQ(text::escape_controls(once), once);
}

TEST(Time, IsoRoundTripKeeps100ns) {
  auto t = time::parse_iso("2020-09-09T13:18:23.6279525Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(time::format_iso(*t), "2020-09-09T13:18:23.6279525Z");
  EXPECT_EQ(time::format_iso(time::ticks_from_filetime(132441311053771200ULL)),
            "2020-09-09T13:18:25.3771200Z");
}

TEST(Time, ParsesDsregcmdAndOffsets) {
  EXPECT_EQ(time::parse_iso("2019-01-24 09:08:13.000 UTC"),
            time::parse_iso("2019-01-24T09:08:13Z"));
  EXPECT_EQ(time::parse_iso("2024-11-14T13:00:00+03:00"), time::parse_iso("2024-11-14T10:00:00Z"));
  EXPECT_FALSE(time::parse_iso("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(time::parse_iso("2024-11-14T10:00:00", /*assume_utc=*/false));
  EXPECT_EQ(time::format_iso(time::ticks_from_filetime(0)), "1601-01-01T00:00:00.0000000Z");
}
