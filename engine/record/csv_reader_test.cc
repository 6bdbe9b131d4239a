#include "engine/record/csv_reader.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace journeyd {
namespace {

using journeyd::testing::FixturesDir;
using journeyd::testing::ReadFile;
using Fields = std::vector<std::string>;

// Every row of `text`, or the first error's message as the only "row".
std::vector<CsvRow> ReadAll(std::string_view text, CsvFormat format) {
  CsvReader reader(text, format);
  std::vector<CsvRow> rows;
  while (true) {
    auto row = reader.Next();
    if (!row.ok()) {
      rows.push_back(CsvRow{-1, {row.error().message}});
      return rows;
    }
    if (!*row) return rows;
    rows.push_back(std::move(**row));
  }
}

std::vector<CsvRow> ReadAll(std::string_view text, char delimiter = ',') {
  return ReadAll(text, CsvFormat{.delimiter = delimiter});
}

std::vector<CsvRow> ReadTrimmed(std::string_view text, char delimiter = ',') {
  return ReadAll(text, CsvFormat{.delimiter = delimiter, .trim = true});
}

std::string ErrorOf(std::string_view text, CsvFormat format = {}) {
  CsvReader reader(text, format);
  while (true) {
    auto row = reader.Next();
    if (!row.ok()) {
      CHECK(row.error().code == ErrorCode::kInvalidArgument);
      return row.error().message;
    }
    if (!*row) return "no error";
  }
}

TEST_CASE("csv: the FEBRL data sets", "[normalize][csv]") {
  const std::string febrl1 = ReadFile(FixturesDir() / "record-linkage/febrl1.csv");
  const auto rows = ReadAll(febrl1);
  REQUIRE(rows.size() == 1001);
  const CsvRow& header = rows[0];
  CHECK(header.line == 1);
  REQUIRE(header.fields.size() == 11);
  CHECK(header.fields[0] == "rec_id");
  CHECK(header.fields[2] == " surname");  // fields are verbatim, spaces included
  CHECK(rows[1].line == 2);
  CHECK(rows[1].fields ==
        Fields{"rec-223-org", " ", " waller", " 6", " tullaroop street", " willaroo",
               " st james", " 4011", " wa", " 19081209", " 6988048"});
  CHECK(rows[1000].line == 1001);
  for (const auto& row : rows) CHECK(row.fields.size() == 11);

  auto object = RowToObject(header.fields, rows[1]);
  REQUIRE(object.ok());
  CHECK(object->at("rec_id").as_string() == "rec-223-org");
  CHECK(object->at(" suburb").as_string() == " st james");

  // CRLF line ends and no newline after the last row.
  const std::string febrl4a = ReadFile(FixturesDir() / "record-linkage/febrl4a.csv");
  REQUIRE(febrl4a.back() != '\n');
  const auto rows4a = ReadAll(febrl4a);
  REQUIRE(rows4a.size() == 5001);
  CHECK(rows4a[0].fields.back() == " soc_sec_id");  // no '\r' left behind
  CHECK(rows4a[1].fields ==
        Fields{"rec-1070-org", " michaela", " neumann", " 8", " stanley street", " miami",
               " winston hills", " 4223", " nsw", " 19151111", " 5304218"});
  CHECK(rows4a.back().line == 5001);
  CHECK(rows4a.back().fields.front() == "rec-66-org");
  CHECK(rows4a.back().fields.back() == " 6375537");
}

TEST_CASE("csv: quoting per RFC 4180", "[normalize][csv]") {
  const auto rows = ReadAll(
      "name,note\r\n"
      "\"Norman, Bob\",\"said \"\"hi\"\"\"\r\n"
      "\"two\nlines\",\"\"\r\n"
      "plain,\n"
      ",\n"
      "last,row");
  REQUIRE(rows.size() == 6);
  CHECK(rows[1].fields == Fields{"Norman, Bob", "said \"hi\""});
  CHECK(rows[1].line == 2);
  CHECK(rows[2].fields == Fields{"two\nlines", ""});
  CHECK(rows[2].line == 3);
  CHECK(rows[3].fields == Fields{"plain", ""});
  CHECK(rows[3].line == 5);  // the quoted newline took a line
  CHECK(rows[4].fields == Fields{"", ""});
  CHECK(rows[5].fields == Fields{"last", "row"});
  CHECK(rows[5].line == 7);
}

TEST_CASE("csv: BOM, blank lines, delimiters", "[normalize][csv]") {
  const auto bom = ReadAll("\xEF\xBB\xBF" "email,name\na@b.com,A\n\n\n");
  REQUIRE(bom.size() == 2);
  CHECK(bom[0].fields == Fields{"email", "name"});
  CHECK(bom[1].fields == Fields{"a@b.com", "A"});

  const auto blank = ReadAll("\n\r\na\n\nb\n");
  REQUIRE(blank.size() == 2);
  CHECK(blank[0].line == 3);
  CHECK(blank[1].line == 5);

  CHECK(ReadAll("").empty());
  CHECK(ReadAll("\xEF\xBB\xBF").empty());

  const auto semicolon = ReadAll("a;\"b;c\";d,e\n", ';');
  REQUIRE(semicolon.size() == 1);
  CHECK(semicolon[0].fields == Fields{"a", "b;c", "d,e"});
  const auto tab = ReadAll("a\tb c\t\n", '\t');
  REQUIRE(tab.size() == 1);
  CHECK(tab[0].fields == Fields{"a", "b c", ""});
  // A lone CR is data, not a line end.
  CHECK(ReadAll("a\rb,c")[0].fields == Fields{"a\rb", "c"});

  const auto pipe = ReadAll("a|b\n", '|');
  REQUIRE(pipe.size() == 1);
  CHECK(pipe[0].line == -1);
  CHECK(pipe[0].fields[0] == "CSV delimiter must be ',', ';' or a tab");
}

TEST_CASE("csv: malformed quoting names the line", "[normalize][csv]") {
  CHECK(ErrorOf("a,b\nc,\"open\nstill open") == "CSV line 2: unterminated quoted field");
  CHECK(ErrorOf("a,b\nc,d\ne,f\"g\n") == "CSV line 3: quote inside unquoted field 2");
  CHECK(ErrorOf("a\n\"x\"y,z\n") == "CSV line 2: unexpected text after a closing quote in field 1");
  CHECK(ErrorOf("a, \"b\"\n") == "CSV line 1: quote inside unquoted field 2");
  CHECK(ErrorOf("\"a\nb\" c\n") == "CSV line 2: unexpected text after a closing quote in field 1");

  // The reader stays failed rather than resynchronising somewhere arbitrary.
  CsvReader reader("x\"y\nok\n");
  CHECK_FALSE(reader.Next().ok());
  CHECK_FALSE(reader.Next().ok());
}

TEST_CASE("csv: rows become objects keyed by the header", "[normalize][csv]") {
  const Fields header{"email", "first_name", "amount"};
  auto object = RowToObject(header, CsvRow{4, {"a@b.com", "Ann", "19.99"}});
  REQUIRE(object.ok());
  CHECK(object->size() == 3);
  CHECK(object->at("first_name").as_string() == "Ann");
  CHECK(object->at("amount").as_string() == "19.99");

  auto short_row = RowToObject(header, CsvRow{7, {"a@b.com", "Ann"}});
  REQUIRE_FALSE(short_row.ok());
  CHECK(short_row.error().code == ErrorCode::kInvalidArgument);
  CHECK(short_row.error().message == "CSV line 7: 2 fields, but the header has 3");
  CHECK_FALSE(RowToObject(header, CsvRow{8, {"a", "b", "c", "d"}}).ok());
}

TEST_CASE("csv: trim drops spaces and tabs around fields, header included", "[normalize][csv]") {
  const std::string febrl1 = ReadFile(FixturesDir() / "record-linkage/febrl1.csv");
  const auto rows = ReadTrimmed(febrl1);
  REQUIRE(rows.size() == 1001);
  CHECK(rows[0].fields == Fields{"rec_id", "given_name", "surname", "street_number", "address_1",
                                 "address_2", "suburb", "postcode", "state", "date_of_birth",
                                 "soc_sec_id"});
  // The same row as verbatim above; a field of one space is empty.
  CHECK(rows[1].fields == Fields{"rec-223-org", "", "waller", "6", "tullaroop street", "willaroo",
                                 "st james", "4011", "wa", "19081209", "6988048"});
  CHECK(rows[1].line == 2);
  CHECK(rows[1000].line == 1001);
  auto object = RowToObject(rows[0].fields, rows[1]);
  REQUIRE(object.ok());
  CHECK(object->at("suburb").as_string() == "st james");  // inner spaces stay
  CHECK(object->at("given_name").as_string() == "");

  // CRLF and no final newline, as in febrl4a.csv.
  const std::string febrl4a = ReadFile(FixturesDir() / "record-linkage/febrl4a.csv");
  const auto rows4a = ReadTrimmed(febrl4a);
  REQUIRE(rows4a.size() == 5001);
  CHECK(rows4a[0].fields.back() == "soc_sec_id");
  CHECK(rows4a[1].fields ==
        Fields{"rec-1070-org", "michaela", "neumann", "8", "stanley street", "miami",
               "winston hills", "4223", "nsw", "19151111", "5304218"});
  CHECK(rows4a.back().fields.back() == "6375537");

  const auto mixed = ReadTrimmed(" a \t,\tb,c  \r\n\t1 ,  , 3\t\n");
  REQUIRE(mixed.size() == 2);
  CHECK(mixed[0].fields == Fields{"a", "b", "c"});
  CHECK(mixed[1].fields == Fields{"1", "", "3"});
  CHECK(mixed[1].line == 2);
  // Other whitespace is data: a lone CR, a no-break space.
  CHECK(ReadTrimmed("a\r ,\xC2\xA0" "b\n")[0].fields == Fields{"a\r", "\xC2\xA0" "b"});
}

TEST_CASE("csv: trim keeps quoted text verbatim", "[normalize][csv]") {
  const auto rows = ReadTrimmed(
      "name , note\n"
      "  \" Norman, Bob \"  , \"x\"\"y\"\t\n"
      "\"two\n lines \",z\n");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].fields == Fields{"name", "note"});
  CHECK(rows[1].fields == Fields{" Norman, Bob ", "x\"y"});
  CHECK(rows[2].fields == Fields{"two\n lines ", "z"});
  CHECK(rows[2].line == 3);

  const CsvFormat trim{.trim = true};
  CHECK(ErrorOf("a, \"b\" c\n", trim) ==
        "CSV line 1: unexpected text after a closing quote in field 2");
  CHECK(ErrorOf("a, b \"c\"\n", trim) == "CSV line 1: quote inside unquoted field 2");
  CHECK(ErrorOf("a,\n  \"open\n", trim) == "CSV line 2: unterminated quoted field");
}

TEST_CASE("csv: trim with a tab delimiter trims spaces only", "[normalize][csv]") {
  // Tabs delimit: "a\t\tb" still has an empty middle field.
  const auto rows = ReadTrimmed(" a \t\t b \t \n", '\t');
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].fields == Fields{"a", "", "b", ""});
  const auto semicolon = ReadTrimmed("x ; y\t;\n", ';');
  REQUIRE(semicolon.size() == 1);
  CHECK(semicolon[0].fields == Fields{"x", "y", ""});
}

TEST_CASE("csv: trim skips lines of blanks like empty lines", "[normalize][csv]") {
  const auto rows = ReadTrimmed("a,b\n   \n1,2\n \t\r\n3,4\n  ");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].fields == Fields{"1", "2"});
  CHECK(rows[1].line == 3);
  CHECK(rows[2].fields == Fields{"3", "4"});
  CHECK(rows[2].line == 5);
  CHECK(ReadTrimmed(" \n\t\n").empty());
  // Without trim, such a line is a row of one field, as before.
  const auto verbatim = ReadAll("a\n \n");
  REQUIRE(verbatim.size() == 2);
  CHECK(verbatim[1].fields == Fields{" "});
}

TEST_CASE("csv: without trim, blanks around quotes are still an error", "[normalize][csv]") {
  CHECK(ErrorOf("a, \"b\"\n") == "CSV line 1: quote inside unquoted field 2");
  CHECK(ErrorOf("\"a\" ,b\n") == "CSV line 1: unexpected text after a closing quote in field 1");
  CHECK(ReadAll(" a , b ")[0].fields == Fields{" a ", " b "});
}

}  // namespace
}  // namespace journeyd
