// hellotrace::htime::parse_offset: the default spellings, each OffsetSyntax field, and
// kIsoZone against what parse_iso() reads after a time.
#include <gtest/gtest.h>

#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <optional>
#include <string>

namespace htime = hellotrace::time;

namespace {

std::optional<int64_t> minutes(std::string_view s, const htime::OffsetSyntax& syntax = {}) {
  const auto t = htime::parse_offset(s, syntax);
  if (!t) return std::nullopt;
  return *t / htime::kTicksPerMinute;
}

}  // namespace

TEST(Offset, DefaultSpellings) {
  EXPECT_EQ(minutes(""), 0);
  EXPECT_EQ(minutes("Z"), 0);
  EXPECT_EQ(minutes("z"), 0);
  EXPECT_EQ(minutes("UTC"), 0);
  EXPECT_EQ(minutes(" gmt "), 0);
  EXPECT_EQ(minutes("+03:00"), 180);
  EXPECT_EQ(minutes("-0530"), -330);
  EXPECT_EQ(minutes("+3"), 180);
  EXPECT_EQ(minutes("+03:"), 180);
  EXPECT_EQ(minutes("UTC+3"), 180);
  EXPECT_EQ(minutes("Utc-05:30"), -330);
  EXPECT_EQ(minutes("\xC2\xA0\t+14:00\r\n"), 840);
  EXPECT_EQ(minutes("-00:00"), 0);
  for (const char* bad : {"+15:00", "+03:60", "+3:5", "+033", "+300", "UTCZ", "UTC +3", "UTC+", "+",
                          "+ 3", "+03 :00", "+03:00Z", "+03:00:00", "Europe/Berlin", ".5"})
    EXPECT_EQ(minutes(bad), std::nullopt) << bad;
}

TEST(Offset, EachSyntaxFieldWidensOrNarrows) {
  EXPECT_EQ(minutes("", {.empty_is_utc = false}), std::nullopt);
  EXPECT_EQ(minutes("utc", {.names_any_case = false}), std::nullopt);
  EXPECT_EQ(minutes("UTC", {.names_any_case = false}), 0);
  EXPECT_EQ(minutes("UTC+3", {.name_then_offset = false}), std::nullopt);
  EXPECT_EQ(minutes("UTC +3", {.blanks_after_name = true}), 180);
  EXPECT_EQ(minutes("UTCZ", {.z_after_name = true}), 0);
  EXPECT_EQ(minutes("+3", {.one_digit_hours = false}), std::nullopt);
  EXPECT_EQ(minutes("+03", {.one_digit_hours = false}), 180);
  EXPECT_EQ(minutes("+3:5", {.one_digit_minutes = true}), 185);
  EXPECT_EQ(minutes("+033", {.one_digit_minutes = true}), 183);
  EXPECT_EQ(minutes("+03:", {.colon_without_minutes = false}), std::nullopt);
  EXPECT_EQ(minutes("+99:99", {.bounded = false}), 99 * 60 + 99);
}

// check_timezone (host/src/cli/main.cpp) used to accept what parse_iso() accepted after
// "2000-01-01T00:00:00"; kIsoZone reads the same zones, but not what parse_iso() reads
// besides a zone: a fraction of a second (".5") and blanks other than spaces before or
// spaces, tabs and CRs after.
TEST(Offset, IsoZoneReadsTheZonesParseIsoReads) {
  const std::string cases[] = {
      "",        "  ",     "Z",      "z",      "UTC",    "utc",       "GMT",       "gmt",
      " UTC ",   "UTCZ",   "UTC Z",  "UTC+3",  "UTC +3", "GMT+01:00", "+3",        "+03",
      "+03:00",  "-05:30", "-0530",  "+0330",  "+03:",   "+3:30",     "+03:5",     "+033",
      "+335",    "+14:00", "+15:00", "+03:60", "+99:99", "+03:00\t",  "+03:00Z",   "+03 :00",
      "+03: 00", "+",      "-",      "+ 3",    "-00:00", "+0",        "+03:00:00", "Mars",
      "UTC\r",   "Z ",     " z",     "+1400"};
  const int64_t midnight = htime::ticks_from_civil(2000, 1, 1, 0, 0, 0);
  for (const std::string& tz : cases) {
    const auto iso = htime::parse_iso("2000-01-01T00:00:00" + tz);
    const auto offset = htime::parse_offset(tz, htime::kIsoZone);
    ASSERT_EQ(offset.has_value(), iso.has_value()) << "'" << tz << "'";
    if (offset) {
      EXPECT_EQ(*offset, midnight - *iso) << "'" << tz << "'";
    }
  }
  for (const std::string tz : {".5", ",5", ".5+01:00", ".123 UTC"}) {
    EXPECT_TRUE(htime::parse_iso("2000-01-01T00:00:00" + tz)) << tz;
    EXPECT_FALSE(htime::parse_offset(tz, htime::kIsoZone)) << tz;
  }
  for (const std::string tz : {"\t+03:00", "\xC2\xA0+03:00", "+03:00\n"}) {
    EXPECT_FALSE(htime::parse_iso("2000-01-01T00:00:00" + tz)) << tz;
    EXPECT_TRUE(htime::parse_offset(tz, htime::kIsoZone)) << tz;
  }
}

TEST(Offset, BlanksAreTheOnesTextTrimDrops) {
  for (const std::string s : {"", " ", "x", " \t\r\n\f\vx\v\f\n\r\t ", "\xC2\xA0 x \xC2\xA0",
                              "\xC2x\xA0", " \xC2\xA0\xC2\xA0 ", "\xA0x\xC2", "x y"})
    EXPECT_EQ(htime::detail::trim_blanks(s), hellotrace::text::trim(s)) << s;
}
