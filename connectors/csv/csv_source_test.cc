#include "connectors/csv/csv_source.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "connectors/common/webhook_test_util.h"

namespace journeyd::connectors::csv {
namespace {

using testing::FakeRequest;

constexpr std::string_view kToken = "till-token-7d1e";

CsvSource MakeSource(std::string id_column = "", std::string delimiter = ",") {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  CsvSettings settings;
  settings.token = Secret(std::string(kToken));
  settings.id_column = std::move(id_column);
  settings.delimiter = std::move(delimiter);
  return CsvSource(std::move(settings), testing::MakeContext(clock, "pos"));
}

FakeRequest Upload(std::string body, std::string token = std::string(kToken)) {
  FakeRequest request;
  request.headers.Add("Authorization", "Bearer " + token);
  request.headers.Add("Content-Type", "text/csv");
  request.body = std::move(body);
  return request;
}

const std::string kExport =
    "receipt_id,sold_at,email,total\r\n"
    "R-1,2026-05-01 10:00:00,ann@example.com,12.50\r\n"
    "R-2,2026-05-01 10:05:00,\"bob, jr@example.com\",3.00\r\n";

TEST_CASE("csv: each data row is one event, keyed by the header row", "[connectors][csv]") {
  const CsvSource source = MakeSource("receipt_id");
  auto events = source.Accept(Upload(kExport).View());
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  const RawEvent& first = (*events)[0];
  CHECK(first.source == "pos");
  CHECK(first.event_type == "row");
  CHECK(first.external_id == "R-1");
  CHECK(first.content_type == "application/json");
  CHECK(boost::json::parse(first.body) ==
        boost::json::parse(R"({"receipt_id": "R-1", "sold_at": "2026-05-01 10:00:00",
                               "email": "ann@example.com", "total": "12.50"})"));
  CHECK(boost::json::parse((*events)[1].body).at("email") == "bob, jr@example.com");
  CHECK(source.AcceptsMediaType("text/csv"));
  CHECK_FALSE(source.AcceptsMediaType("application/json"));
}

TEST_CASE("csv: without an id column the same row gets the same id", "[connectors][csv]") {
  const CsvSource source = MakeSource();
  auto once = source.Accept(Upload(kExport).View());
  auto again = source.Accept(Upload(kExport).View());
  REQUIRE(once.ok());
  REQUIRE(again.ok());
  CHECK((*once)[0].external_id.rfind("sha256:", 0) == 0);
  CHECK((*once)[0].external_id == (*again)[0].external_id);
  CHECK((*once)[0].external_id != (*once)[1].external_id);
}

TEST_CASE("csv: bad uploads are refused whole, naming the line", "[connectors][csv]") {
  const CsvSource source = MakeSource("receipt_id");
  auto wrong_token = source.Accept(Upload(kExport, "nope").View());
  REQUIRE_FALSE(wrong_token.ok());
  CHECK(wrong_token.error().code == ErrorCode::kUnauthenticated);

  auto short_row = source.Accept(Upload("receipt_id,total\nR-1,1\nR-2\n").View());
  REQUIRE_FALSE(short_row.ok());
  CHECK(short_row.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(short_row.error().message, Catch::Contains("line 3"));

  auto no_id = source.Accept(Upload("total\n1\n").View());
  REQUIRE_FALSE(no_id.ok());
  CHECK_THAT(no_id.error().message, Catch::Contains("no 'receipt_id' column"));

  auto empty_id = source.Accept(Upload("receipt_id,total\n,1\n").View());
  REQUIRE_FALSE(empty_id.ok());
  CHECK_THAT(empty_id.error().message, Catch::Contains("line 2"));

  CHECK_FALSE(source.Accept(Upload("").View()).ok());
  CHECK_FALSE(source.Accept(Upload("receipt_id,total\n").View()).ok());
}

// Found by tests/fuzz/fuzz_webhook: a Latin-1 cell was stored as a "JSON" body that no parser
// accepts, so the upload was taken (200) and every such row then failed its mapping.
TEST_CASE("csv: an upload that is not UTF-8 is refused whole, naming the line",
          "[connectors][csv]") {
  const CsvSource source = MakeSource("receipt_id");
  auto latin1 = source.Accept(Upload("receipt_id,name\nR-1,Ann\nR-2,Bj\xF6rn\n").View());
  REQUIRE_FALSE(latin1.ok());
  CHECK(latin1.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(latin1.error().message, Catch::Contains("line 3"));
  auto header = source.Accept(Upload("receipt_id,n\xE4me\nR-1,Ann\n").View());
  REQUIRE_FALSE(header.ok());
  CHECK_THAT(header.error().message, Catch::Contains("line 1"));

  auto utf8 = source.Accept(Upload("receipt_id,name\nR-2,Bj\xC3\xB6rn\n").View());
  REQUIRE(utf8.ok());
  CHECK(boost::json::parse((*utf8)[0].body).at("name") == "Bj\xC3\xB6rn");
}

TEST_CASE("csv: semicolon exports", "[connectors][csv]") {
  const CsvSource source = MakeSource("", ";");
  auto events = source.Accept(Upload("a;b\n1;2\n").View());
  REQUIRE(events.ok());
  CHECK(boost::json::parse((*events)[0].body).at("b") == "2");
}

TEST_CASE("csv: trim reads files written with \", \" (FEBRL)", "[connectors][csv]") {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto factory = MakeCsvFactory();
  auto created = testing::CreateFromYaml(*factory,
                                         "name: febrl_a\n"
                                         "type: csv\n"
                                         "token: till-token-7d1e\n"
                                         "id_column: rec_id\n"
                                         "trim: true\n",
                                         testing::MakeContext(clock, "febrl_a"));
  REQUIRE(created.source);
  CHECK_FALSE(created.diag.has_errors());
  const auto& source = dynamic_cast<const CsvSource&>(*created.source);
  CHECK(source.settings().trim);
  CHECK(source.settings().Format().trim);
  CHECK(source.settings().Format().delimiter == ',');

  // The first two data rows of febrl4a.csv, byte for byte (CRLF).
  const std::string febrl =
      "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, "
      "state, date_of_birth, soc_sec_id\r\n"
      "rec-1070-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, nsw, "
      "19151111, 5304218\r\n"
      "rec-1016-org, courtney, painter, 12, pinkerton circuit, bega flats, richlands, 4560, "
      "vic, 19161214, 4066625\r\n";
  auto events = source.Accept(Upload(febrl).View());
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].external_id == "rec-1070-org");
  CHECK((*events)[1].external_id == "rec-1016-org");
  CHECK(boost::json::parse((*events)[0].body) == boost::json::parse(R"({
      "rec_id": "rec-1070-org", "given_name": "michaela", "surname": "neumann",
      "street_number": "8", "address_1": "stanley street", "address_2": "miami",
      "suburb": "winston hills", "postcode": "4223", "state": "nsw",
      "date_of_birth": "19151111", "soc_sec_id": "5304218"})"));

  // A trimmed id column is found and a blank id is still refused.
  auto blank_id = source.Accept(Upload(" rec_id , x\n  , 1\n").View());
  REQUIRE_FALSE(blank_id.ok());
  CHECK_THAT(blank_id.error().message, Catch::Contains("line 2: 'rec_id' is empty"));
}

TEST_CASE("csv: without trim, fields and header names keep their spaces", "[connectors][csv]") {
  static const ManualClock clock(std::chrono::system_clock::time_point(testing::kTestEpoch));
  const auto factory = MakeCsvFactory();
  auto created = testing::CreateFromYaml(*factory, "name: pos\ntype: csv\ntoken: t0k3n\n",
                                         testing::MakeContext(clock, "pos"));
  REQUIRE(created.source);
  const auto& source = dynamic_cast<const CsvSource&>(*created.source);
  CHECK_FALSE(source.settings().trim);
  FakeRequest request = Upload("a, b\n1, 2\n", "t0k3n");
  auto events = source.Accept(request.View());
  REQUIRE(events.ok());
  CHECK(boost::json::parse((*events)[0].body) == boost::json::parse(R"({"a": "1", " b": " 2"})"));

  // `trim` is a boolean.
  auto bad =
      testing::CreateFromYaml(*factory, "name: pos\ntype: csv\ntoken: t0k3n\ntrim: maybe\n",
                              testing::MakeContext(clock, "pos"));
  CHECK(bad.diag.has_errors());
}

}  // namespace
}  // namespace journeyd::connectors::csv
