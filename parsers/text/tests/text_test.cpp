#include <gtest/gtest.h>

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
