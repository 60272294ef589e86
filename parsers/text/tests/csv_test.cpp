#include <gtest/gtest.h>

#include <hellotrace/text/csv.hpp>
#include <string>
#include <vector>

using hellotrace::text::CsvDialect;
using hellotrace::text::CsvReader;
using hellotrace::text::CsvRow;
using hellotrace::text::guess_csv_delimiter;

namespace {

std::vector<CsvRow> rows(std::string_view text, CsvDialect dialect = {}, uint64_t first_line = 1) {
  std::vector<CsvRow> out;
  CsvReader reader(text, dialect, first_line);
  for (CsvRow row; reader.next(row);) out.push_back(row);
  return out;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST(Csv, QuotesDoubledQuotesAndDelimitersInQuotes) {
  const auto r = rows("\"Id\",\"Message\"\r\n\"1\",\"a, \"\"b\"\"\"\r\n2,plain\r\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (Fields{"Id", "Message"}));
  EXPECT_EQ(r[1].fields, (Fields{"1", "a, \"b\""}));
  EXPECT_EQ(r[2].fields, (Fields{"2", "plain"}));
  EXPECT_FALSE(r[2].unterminated);
}

TEST(Csv, EmptyFieldsAndTrailingDelimiter) {
  const auto r = rows(",a,,\"\",\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields, (Fields{"", "a", "", "", ""}));
}

TEST(Csv, RowsNumberedByTheirFirstLineAcrossEmbeddedBreaksAndBlankLines) {
  const auto r = rows("h\n\"two\nlines\"\n\n\r\nlast", {}, 10);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].line, 10u);
  EXPECT_EQ(r[1].line, 11u);
  EXPECT_EQ(r[1].fields, Fields{"two\nlines"});
  EXPECT_EQ(r[2].line, 15u);
  EXPECT_EQ(r[2].fields, Fields{"last"});
}

TEST(Csv, CrlfInQuotesKeptOrReadAsLf) {
  const std::string_view text = "\"a\r\nb\",x\r\n";
  EXPECT_EQ(rows(text)[0].fields, (Fields{"a\r\nb", "x"}));
  EXPECT_EQ(rows(text, {.lf_in_quotes = true})[0].fields, (Fields{"a\nb", "x"}));
}

TEST(Csv, LoneCrIsDataOrEndsARow) {
  const std::string_view text = "a\rb\nc\r\rd";
  const auto data = rows(text);
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].fields, Fields{"a\rb"});
  EXPECT_EQ(data[1].fields, Fields{"c\r\rd"});
  const auto ends = rows(text, {.cr_ends_row = true});
  ASSERT_EQ(ends.size(), 4u);
  EXPECT_EQ(ends[1].fields, Fields{"b"});
  EXPECT_EQ(ends[1].line, 2u);
  EXPECT_EQ(ends[3].fields, Fields{"d"});
  EXPECT_EQ(ends[3].line, 5u);  // the blank line made of a lone CR counts too
}

TEST(Csv, QuoteAfterBlanksIsDataOrOpensTheField) {
  const std::string_view text = "1, \"x,y\"\n";
  EXPECT_EQ(rows(text)[0].fields, (Fields{"1", " \"x", "y\""}));
  EXPECT_EQ(rows(text, {.quote_after_blanks = true})[0].fields, (Fields{"1", "x,y"}));
}

TEST(Csv, TextAfterAClosingQuoteIsKept) {
  EXPECT_EQ(rows("\"a\"b\"c,d\n")[0].fields, (Fields{"ab\"c", "d"}));
}

TEST(Csv, UnterminatedQuoteEndsTheLastRow) {
  const auto r = rows("a;b\n1;\"open\nstill open", {.delimiter = ';'});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].unterminated);
  EXPECT_TRUE(r[1].unterminated);
  EXPECT_EQ(r[1].line, 2u);
  EXPECT_EQ(r[1].fields, (Fields{"1", "open\nstill open"}));
}

TEST(Csv, NoRowsInEmptyOrBlankText) {
  EXPECT_TRUE(rows("").empty());
  EXPECT_TRUE(rows("\r\n\n\r").empty());
}

TEST(Csv, RowStorageIsReused) {
  CsvReader reader("a,b,c\nd\n");
  CsvRow row;
  ASSERT_TRUE(reader.next(row));
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.fields, Fields{"d"});
  EXPECT_FALSE(reader.next(row));
}

TEST(Csv, GuessesTheDelimiterOutsideQuotes) {
  EXPECT_EQ(guess_csv_delimiter("\"Id\",\"Provider;Name\",\"Message\""), ',');
  EXPECT_EQ(guess_csv_delimiter("Ebene;Datum und Uhrzeit;Quelle"), ';');
  EXPECT_EQ(guess_csv_delimiter("a\tb\tc,d"), '\t');
  EXPECT_EQ(guess_csv_delimiter("a;b,c"), ',');   // tie: comma
  EXPECT_EQ(guess_csv_delimiter("a;b\tc"), ';');  // tie: semicolon over tab
  EXPECT_EQ(guess_csv_delimiter("no delimiter"), ',');
}
