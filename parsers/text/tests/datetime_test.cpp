#include <gtest/gtest.h>

#include <hellotrace/text/datetime.hpp>
#include <hellotrace/time.hpp>

namespace t = hellotrace::text;
using t::DateOrder;
using t::DateOrderInference;

namespace {

int64_t iso(const char* s) { return *hellotrace::time::parse_iso(s); }

int64_t read(std::string_view s, DateOrder o = DateOrder::kDmy) {
  auto v = t::parse_culture_datetime(s, o);
  EXPECT_TRUE(v) << s;
  return v ? v->ticks : 0;
}

}  // namespace

TEST(CultureDateTime, EveryCultureWindowsPrints) {
  const int64_t want = iso("2025-03-24T21:40:12Z");
  EXPECT_EQ(read("3/24/2025 9:40:12 PM"), want);      // en-US (the value settles it)
  EXPECT_EQ(read("24/03/2025 21:40:12"), want);       // en-GB, fr-FR
  EXPECT_EQ(read("24.03.2025 21:40:12"), want);       // de-DE
  EXPECT_EQ(read("24-3-2025 21:40:12"), want);        // nl-NL
  EXPECT_EQ(read("2025-03-24 21:40:12"), want);       // sv-SE, ISO
  EXPECT_EQ(read("2025/03/24 21:40:12"), want);       // ja-JP
  EXPECT_EQ(read("2025. 03. 24. 21:40:12"), want);    // hu-HU
  EXPECT_EQ(read("24.03.2025. 21:40:12"), want);      // hr-HR
  EXPECT_EQ(read("24/03/2025 9:40:12 p. m."), want);  // es-MX
  EXPECT_EQ(read("\xE2\x80\x8F"
                 "24/03/2025 21:40:12"),
            want);  // right-to-left mark
  EXPECT_EQ(read("2025-03-24T21:40:12.5000000"), want + 5'000'000);
  auto z = t::parse_culture_datetime("2025-03-24T23:40:12+02:00", DateOrder::kDmy);
  ASSERT_TRUE(z);
  EXPECT_TRUE(z->zoned);
  EXPECT_EQ(z->ticks, want);
  auto ms = t::parse_culture_datetime("\\/Date(1742852412000)\\/", DateOrder::kDmy);
  ASSERT_TRUE(ms);
  EXPECT_TRUE(ms->zoned);
  EXPECT_EQ(ms->ticks, want);
}

TEST(CultureDateTime, AmbiguousDatesFollowTheOrderAndSaySo) {
  auto d = t::parse_culture_datetime("05/06/2024 10:00:00", DateOrder::kDmy);
  auto m = t::parse_culture_datetime("05/06/2024 10:00:00", DateOrder::kMdy);
  ASSERT_TRUE(d && m);
  EXPECT_TRUE(d->ambiguous);
  EXPECT_EQ(d->ticks, iso("2024-06-05T10:00:00Z"));
  EXPECT_EQ(m->ticks, iso("2024-05-06T10:00:00Z"));
  // A value that settles the order is read its only way whatever the order says.
  auto s = t::parse_culture_datetime("24/03/2025 21:40:12", DateOrder::kMdy);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->ambiguous);
  EXPECT_EQ(s->order, DateOrder::kDmy);
  // Dots are day first in every culture that writes them.
  auto dots = t::parse_culture_datetime("03.10.2025 08:15:00", DateOrder::kMdy);
  ASSERT_TRUE(dots);
  EXPECT_FALSE(dots->ambiguous);
  EXPECT_EQ(dots->ticks, iso("2025-10-03T08:15:00Z"));
  // Same day and month: nothing to decide.
  EXPECT_FALSE(t::parse_culture_datetime("03/03/2025 08:15:00", DateOrder::kMdy)->ambiguous);
}

TEST(CultureDateTime, RejectsWhatIsNotADateTime) {
  for (const char* bad :
       {"", "11/14/2024", "13:00:00 PM", "31.02.2024 10:00:01", "13/13/2025 10:00:00",
        "2/30/2025 1:00:00", "1/2/2025 13:00:00 PM", "1/2/2025 10:00:00 tomorrow",
        "123/1/2025 10:00", "1/1/12345 10:00", "2025-13-01 10:00:00", "/Date(abc)/"})
    EXPECT_FALSE(t::parse_culture_datetime(bad, DateOrder::kDmy)) << bad;
  EXPECT_TRUE(t::parse_culture_datetime("11/14/2024", DateOrder::kDmy, {.time_required = false}));
  EXPECT_TRUE(t::parse_culture_datetime("1/2/2025 10:00:00 (UTC)", DateOrder::kDmy,
                                        {.trailing_text = true}));
}

TEST(CultureDateTime, OrderNames) {
  EXPECT_EQ(t::parse_date_order("DMY"), DateOrder::kDmy);
  EXPECT_EQ(t::parse_date_order("mdy"), DateOrder::kMdy);
  EXPECT_EQ(t::parse_date_order("ymd"), DateOrder::kYmd);
  EXPECT_FALSE(t::parse_date_order("dm"));
  EXPECT_EQ(t::date_order_name(DateOrder::kMdy), "mdy");
  auto y = t::parse_culture_datetime("25/03/24 21:40:12", DateOrder::kYmd);
  ASSERT_TRUE(y);
  EXPECT_EQ(y->ticks, iso("2025-03-24T21:40:12Z"));
}

TEST(DateOrderInference, OneValueAbove12SettlesTheFile) {
  DateOrderInference gb;
  gb.observe("05/06/2024 10:00:00", 2);
  gb.observe("24/06/2024 10:00:00", 3);
  auto d = gb.decide();
  EXPECT_EQ(d.order, DateOrder::kDmy);
  EXPECT_EQ(d.basis, DateOrderInference::Basis::kValues);
  EXPECT_TRUE(d.note.empty());

  DateOrderInference us;
  us.observe("5/6/2024 10:00:00 AM", 2);
  us.observe("6/24/2024 1:00:00 PM", 3);
  EXPECT_EQ(us.decide().order, DateOrder::kMdy);
  EXPECT_EQ(us.decide(DateOrder::kDmy).basis, DateOrderInference::Basis::kOption);
}

TEST(DateOrderInference, AmbiguousFileSaysWhatWasAssumedAndHowToOverride) {
  DateOrderInference twelve;
  twelve.observe("5/6/2024 10:00:00 AM", 2);
  auto a = twelve.decide();
  EXPECT_EQ(a.order, DateOrder::kMdy);
  EXPECT_EQ(a.basis, DateOrderInference::Basis::kAssumed);
  EXPECT_NE(a.note.find("--date-order dmy"), std::string::npos) << a.note;
  EXPECT_NE(a.note.find("5/6/2024"), std::string::npos) << a.note;

  DateOrderInference day;
  day.observe("05/06/2024 10:00:00", 2);
  auto b = day.decide();
  EXPECT_EQ(b.order, DateOrder::kDmy);
  EXPECT_NE(b.note.find("--date-order mdy"), std::string::npos) << b.note;

  DateOrderInference conflict;
  conflict.observe("24/06/2024 10:00:00", 4);
  conflict.observe("06/24/2024 10:00:00", 9);
  auto c = conflict.decide();
  EXPECT_EQ(c.basis, DateOrderInference::Basis::kConflict);
  EXPECT_NE(c.note.find("line 4"), std::string::npos) << c.note;
  EXPECT_NE(c.note.find("line 9"), std::string::npos) << c.note;

  DateOrderInference none;
  none.observe("not a date", 1);
  none.observe("2024-06-05 10:00:00", 2);
  EXPECT_EQ(none.decide().basis, DateOrderInference::Basis::kNothing);
  EXPECT_TRUE(none.decide().note.empty());
}
