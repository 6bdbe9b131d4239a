#include "engine/mapping/normalize.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace journeyd::mapping {
namespace {

using journeyd::testing::FixturesDir;
using journeyd::testing::ReadFile;

boost::json::value ReadJsonFixture(const char* relative) {
  return boost::json::parse(ReadFile(FixturesDir() / relative));
}

// RFC 3339 with microseconds, so tests compare against readable text.
std::string Iso(std::optional<TimePoint> t) {
  if (!t) return "nullopt";
  const auto micros = std::chrono::floor<std::chrono::microseconds>(*t);
  const auto day = std::chrono::floor<std::chrono::days>(micros);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{micros - day};
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02lld.%06lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()),
                static_cast<long long>(time.seconds().count()),
                static_cast<long long>(time.subseconds().count()));
  return buffer;
}

int64_t EpochSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TEST_CASE("email: trimmed and lower-cased, junk dropped", "[normalize]") {
  CHECK(NormalizeEmail("  Bob.Norman@Example.COM\t") == "bob.norman@example.com");
  // Shopify's own sample payload.
  const auto order = ReadJsonFixture("webhooks/shopify/orders_create.json");
  CHECK(NormalizeEmail(order.at("email").as_string()) == "jon@example.com");
  // Plus-tags and Gmail dots name different mailboxes elsewhere: kept.
  CHECK(NormalizeEmail("First.Last+Promo@GMail.com") == "first.last+promo@gmail.com");
  CHECK(NormalizeEmail("api+unsub@mailchimp.com") == "api+unsub@mailchimp.com");

  for (const char* junk : {"", "   ", "bob", "@example.com", "bob@", "bob@example", "a@b@c.com",
                           "bob @example.com", "bob@exa mple.com", "bob@.example.com",
                           "bob@example.com.", "bob@example..com", "bob@exa\nmple.com",
                           "n/a", "none@none"}) {
    INFO(junk);
    CHECK_FALSE(NormalizeEmail(junk));
  }
  const std::string local(64, 'a');
  std::string long_domain;
  while (long_domain.size() < 190) long_domain += "abcdefghi.";
  long_domain += "com";  // 193 bytes
  const std::string at_limit = local + "@" + long_domain.substr(0, 254 - 65);
  REQUIRE(at_limit.size() == 254);
  CHECK(NormalizeEmail(at_limit) == at_limit);
  CHECK_FALSE(NormalizeEmail("b" + at_limit));
}

TEST_CASE("phone: E.164 through libphonenumber", "[normalize]") {
  // A Shopify customer's real-shaped number, already in E.164, and national forms.
  const auto customers = ReadJsonFixture("polling/shopify/customers.json");
  const auto& first_phone = customers.at("customers").at(0).at("phone").as_string();
  CHECK(NormalizePhone(first_phone, "") == "+16136120707");
  CHECK(NormalizePhone("(613) 612-0707", "US") == "+16136120707");
  CHECK(NormalizePhone("613.612.0707", "us") == "+16136120707");  // region in any case
  CHECK(NormalizePhone("+1 613-612-0707", "GB") == "+16136120707");  // +CC beats the region
  CHECK(NormalizePhone("020 7946 0958", "GB") == "+442079460958");
  CHECK(NormalizePhone("+44 (0)20 7946 0958", "") == "+442079460958");
  CHECK(NormalizePhone("0049 30 901820", "GB") == "+4930901820");  // international prefix

  // Without a region only +CC numbers parse.
  CHECK_FALSE(NormalizePhone("(613) 612-0707", ""));
  CHECK_FALSE(NormalizePhone("(613) 612-0707", "XX"));
  // Parsable but not a real number: too short, wrong area code, fixture junk.
  CHECK_FALSE(NormalizePhone("555-1212", "US"));
  CHECK_FALSE(NormalizePhone("123-123-1234", "US"));
  CHECK_FALSE(NormalizePhone("+1 000 000 0000", ""));
  CHECK_FALSE(NormalizePhone("not a number", "US"));
  CHECK_FALSE(NormalizePhone("", "US"));
}

TEST_CASE("phone: the per-thread memo answers exactly what libphonenumber does", "[normalize]") {
  // Asked twice, in between thousands of other numbers that evict every slot, and with the same
  // text under regions that must answer differently: a hit may never return another key's value.
  const auto ask = [] {
    std::vector<std::optional<std::string>> answers;
    answers.push_back(NormalizePhone("020 7946 0958", "GB"));
    answers.push_back(NormalizePhone("020 7946 0958", "US"));
    answers.push_back(NormalizePhone("(613) 612-0707", "US"));
    answers.push_back(NormalizePhone("(613) 612-0707", ""));
    answers.push_back(NormalizePhone("  (613) 612-0707 ", "US"));
    return answers;
  };
  const auto first = ask();
  REQUIRE(first[0] == "+442079460958");
  REQUIRE_FALSE(first[1]);
  REQUIRE(first[2] == "+16136120707");
  REQUIRE_FALSE(first[3]);
  REQUIRE(first[4] == "+16136120707");
  CHECK(ask() == first);  // all hits
  int valid = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string number = "(212) " + std::to_string(300 + i / 1000) + "-" +
                               std::to_string(2000 + i % 1000);
    const auto normalized = NormalizePhone(number, "US");
    valid += normalized.has_value();
    if (normalized) CHECK(normalized->substr(0, 5) == "+1212");
  }
  CHECK(valid == 3000);
  CHECK(ask() == first);  // evicted, recomputed
  // Other threads have their own memo and the same answers.
  std::vector<std::optional<std::string>> other;
  std::thread([&] { other = ask(); }).join();
  CHECK(other == first);
}

TEST_CASE("phone: parse failures write nothing to stderr", "[normalize]") {
  // libphonenumber's default logger prints to stderr; the numbers are personal data.
  std::fflush(stderr);
  char path[] = "/tmp/journeyd-stderr-XXXXXX";
  const int capture = mkstemp(path);
  REQUIRE(capture >= 0);
  const int saved = dup(2);
  REQUIRE(saved >= 0);
  REQUIRE(dup2(capture, 2) == 2);
  const bool parsed = NormalizePhone("+999 12 not-a-number 555 0199", "").has_value() ||
                      NormalizePhone("1", "ZZ").has_value() ||
                      NormalizePhone(std::string(300, '5'), "US").has_value();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  const off_t written = lseek(capture, 0, SEEK_END);
  close(capture);
  unlink(path);
  CHECK_FALSE(parsed);
  CHECK(written == 0);
}

TEST_CASE("phone: safe from many threads at once", "[normalize]") {
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&good] {
      for (int i = 0; i < 50; ++i) {
        if (NormalizePhone("020 7946 0958", "gb") == "+442079460958" &&
            !NormalizePhone("555-1212", "US")) {
          ++good;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(good == 400);
}

TEST_CASE("regions: libphonenumber's list, any case", "[normalize]") {
  CHECK(IsValidRegion("US"));
  CHECK(IsValidRegion("gb"));
  CHECK(IsValidRegion("De"));
  CHECK_FALSE(IsValidRegion("XX"));
  CHECK_FALSE(IsValidRegion("ZZ"));
  CHECK_FALSE(IsValidRegion("USA"));
  CHECK_FALSE(IsValidRegion(""));
}

TEST_CASE("time: vendor timestamps from the fixtures", "[normalize]") {
  // Zendesk: nanoseconds, truncated to microseconds.
  const auto zendesk = ReadJsonFixture("webhooks/zendesk/ticket_created.captured.json");
  CHECK(Iso(ParseTime(zendesk.at("time").as_string())) == "2025-01-08T10:12:07.672717Z");
  CHECK(Iso(ParseTime(zendesk.at("detail").at("created_at").as_string())) ==
        "2025-01-08T10:12:07.000000Z");
  // Shopify: local time with a negative offset.
  const auto order = ReadJsonFixture("webhooks/shopify/orders_create.json");
  CHECK(Iso(ParseTime(order.at("created_at").as_string())) == "2022-01-01T00:00:00.000000Z");
  const auto customers = ReadJsonFixture("polling/shopify/customers.json");
  const auto& consent =
      customers.at("customers").at(0).at("email_marketing_consent").at("consent_updated_at");
  CHECK(Iso(ParseTime(consent.as_string())) == "2004-06-13T15:57:11.000000Z");
  // Mailchimp fired_at: no offset, UTC.
  CHECK(Iso(ParseTime("2009-03-26 21:35:57")) == "2009-03-26T21:35:57.000000Z");
  // Stripe: epoch seconds, as a number and as digits.
  const auto stripe = ReadJsonFixture("webhooks/stripe/charge_succeeded.assembled.json");
  const auto created = stripe.at("created").to_number<double>();
  CHECK(Iso(TimeFromEpoch(created)) == "2009-02-13T23:31:30.000000Z");
  CHECK(Iso(ParseTime("1234567890")) == "2009-02-13T23:31:30.000000Z");
}

TEST_CASE("time: ISO 8601 variants and offsets", "[normalize]") {
  CHECK(Iso(ParseTime("2026-07-01T12:00:00Z")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01t12:00:00z")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01T12:00:00")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01T12:00")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01T08:00:00-04:00")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01T17:30:00+0530")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01 08:00:00 -0400")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01 12:00:00 UTC")) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01T00:30:00+01:00")) == "2026-06-30T23:30:00.000000Z");
  CHECK(Iso(ParseTime("2026-07-01T12:00:00.5Z")) == "2026-07-01T12:00:00.500000Z");
  CHECK(Iso(ParseTime("2026-07-01T12:00:00,123Z")) == "2026-07-01T12:00:00.123000Z");
  CHECK(Iso(ParseTime("2026-07-01T12:00:00.123456999999Z")) == "2026-07-01T12:00:00.123456Z");
  CHECK(Iso(ParseTime(" 2026-07-01 ")) == "2026-07-01T00:00:00.000000Z");
  CHECK(Iso(ParseTime("2024-02-29")) == "2024-02-29T00:00:00.000000Z");
  CHECK(Iso(ParseTime("2000-02-29")) == "2000-02-29T00:00:00.000000Z");
  CHECK(Iso(ParseTime("1969-12-31T23:59:59.250Z")) == "1969-12-31T23:59:59.250000Z");
  CHECK(Iso(ParseTime("2016-12-31T23:59:60Z")) == "2017-01-01T00:00:00.000000Z");  // leap second

  for (const char* bad :
       {"", "2026-07", "2026-7-1", "2026-13-01", "2026-00-10", "2026-04-31", "2023-02-29",
        "1900-02-29", "2026-07-01T24:00:00Z", "2026-07-01T12:60:00Z", "2026-07-01T12:00:61Z",
        "2026-07-01T12:00:00+24:00", "2026-07-01T12:00:00+05:60", "2026-07-01T12:00:00+5",
        "2026-07-01T12:00:00.Z", "2026-07-01T12:00:00Zjunk", "2026-07-01junk", "2026-07-01T",
        "2026-07-01X12:00:00", "9999-12-31", "1600-01-01", "yesterday", "12/31/2026",
        "-1234567890", "12.5"}) {
    INFO(bad);
    CHECK_FALSE(ParseTime(bad));
  }
}

TEST_CASE("time: epoch seconds and milliseconds", "[normalize]") {
  CHECK(Iso(ParseTime("0")) == "1970-01-01T00:00:00.000000Z");
  CHECK(Iso(ParseTime("2026")) == "1970-01-01T00:33:46.000000Z");  // digits are epoch, not a year
  CHECK_FALSE(ParseTime("100000000000"));  // 10^11 is still seconds: beyond the clock's range
  CHECK(Iso(ParseTime("100000000001")) == "1973-03-03T09:46:40.001000Z");  // above: ms
  CHECK(Iso(ParseTime("1782907200123")) == "2026-07-01T12:00:00.123000Z");
  CHECK_FALSE(ParseTime("99999999999999999999999"));

  CHECK(Iso(TimeFromEpoch(1782907200.0)) == "2026-07-01T12:00:00.000000Z");
  CHECK(Iso(TimeFromEpoch(1782907200.25)) == "2026-07-01T12:00:00.250000Z");
  CHECK(Iso(TimeFromEpoch(1782907200123.0)) == "2026-07-01T12:00:00.123000Z");
  CHECK(Iso(TimeFromEpoch(-1.5)) == "1969-12-31T23:59:58.500000Z");
  CHECK_FALSE(TimeFromEpoch(std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(TimeFromEpoch(std::numeric_limits<double>::infinity()));
  CHECK_FALSE(TimeFromEpoch(-1e12));
  CHECK_FALSE(TimeFromEpoch(1e300));
}

TEST_CASE("time: strptime-style formats", "[normalize]") {
  CHECK(Iso(ParseTimeWithFormat("31/12/2026 23:59", "%d/%m/%Y %H:%M")) ==
        "2026-12-31T23:59:00.000000Z");
  CHECK(Iso(ParseTimeWithFormat("1/2/2026", "%d/%m/%Y")) == "2026-02-01T00:00:00.000000Z");
  CHECK(Iso(ParseTimeWithFormat("20260701", "%Y%m%d")) == "2026-07-01T00:00:00.000000Z");
  // RFC 2822, as in mail headers and some vendor exports.
  CHECK(Iso(ParseTimeWithFormat("Thu, 26 Mar 2009 21:35:57 +0000", "%a, %d %b %Y %H:%M:%S %z")) ==
        "2009-03-26T21:35:57.000000Z");
  CHECK(Iso(ParseTimeWithFormat("March  5 2026 4:05 pm", "%B %e %Y %I:%M %p")) ==
        "2026-03-05T16:05:00.000000Z");
  CHECK(Iso(ParseTimeWithFormat("12:30 AM 1-JAN-26", "%I:%M %p %d-%b-%y")) ==
        "2026-01-01T00:30:00.000000Z");
  CHECK(Iso(ParseTimeWithFormat("07/04/76", "%D")) == "1976-07-04T00:00:00.000000Z");
  CHECK(Iso(ParseTimeWithFormat("2026-07-01 08:00:00.123456789 -04", "%F %T.%f %z")) ==
        "2026-07-01T12:00:00.123456Z");
  CHECK(Iso(ParseTimeWithFormat("100% 2026-07-01", "100%% %F")) == "2026-07-01T00:00:00.000000Z");

  CHECK_FALSE(ParseTimeWithFormat("31/12/2026 23:59 extra", "%d/%m/%Y %H:%M"));  // trailing
  CHECK_FALSE(ParseTimeWithFormat("31/12/2026", "%d/%m/%Y %H:%M"));              // too short
  CHECK_FALSE(ParseTimeWithFormat("31-12-2026", "%d/%m/%Y"));
  CHECK_FALSE(ParseTimeWithFormat("31/02/2026", "%d/%m/%Y"));   // no Feb 31
  CHECK_FALSE(ParseTimeWithFormat("12/31/2026", "%d/%m/%Y"));   // month 31
  CHECK_FALSE(ParseTimeWithFormat("01/01/2026 25:00", "%d/%m/%Y %H:%M"));
  CHECK_FALSE(ParseTimeWithFormat("13:00 PM 01/01/2026", "%I:%M %p %d/%m/%Y"));
  CHECK_FALSE(ParseTimeWithFormat("1 Foo 2026", "%d %b %Y"));
  CHECK_FALSE(ParseTimeWithFormat("2026-07-01", "%Q"));  // invalid format: nothing parses

  CHECK(IsValidTimeFormat("%d/%m/%Y %H:%M"));
  CHECK(IsValidTimeFormat("%F"));
  CHECK(IsValidTimeFormat("%D %I%p"));
  CHECK_FALSE(IsValidTimeFormat(""));
  CHECK_FALSE(IsValidTimeFormat("%H:%M"));    // no date
  CHECK_FALSE(IsValidTimeFormat("%Y-%m"));    // no day
  CHECK_FALSE(IsValidTimeFormat("%F %Q"));    // unknown conversion
  CHECK_FALSE(IsValidTimeFormat("%F %"));     // lone '%'
  CHECK_FALSE(IsValidTimeFormat("%F %I:%M"));  // 12-hour clock without AM/PM
  CHECK_FALSE(IsValidTimeFormat("%F %H %p"));
}

TEST_CASE("time: dates as YYYY-MM-DD", "[normalize]") {
  CHECK(FormatDate(*ParseTime("2026-07-01T23:59:59.999Z")) == "2026-07-01");
  CHECK(FormatDate(*ParseTime("2026-07-01T01:00:00+02:00")) == "2026-06-30");
  CHECK(FormatDate(*ParseTime("1969-12-31T23:59:59Z")) == "1969-12-31");
  CHECK(FormatDate(*ParseTime("1915-11-11")) == "1915-11-11");  // a febrl birth date
  CHECK(EpochSeconds(*ParseTime("1970-01-02")) == 86400);
}

TEST_CASE("money: exact decimal text", "[normalize]") {
  const auto order = ReadJsonFixture("webhooks/shopify/orders_create.json");
  CHECK(ParseDecimal(order.at("total_price").as_string()) == "404.95");
  CHECK(ParseDecimal(order.at("total_discounts").as_string()) == "20.00");
  CHECK(ParseDecimal("10") == "10.00");
  CHECK(ParseDecimal("199.650") == "199.65");
  CHECK(ParseDecimal("0.125") == "0.125");
  CHECK(ParseDecimal("-3") == "-3.00");
  CHECK(ParseDecimal("-0") == "0.00");
  CHECK(ParseDecimal("-0.000") == "0.00");
  CHECK(ParseDecimal("+7.5") == "7.50");
  CHECK(ParseDecimal(" 007.10 ") == "7.10");
  CHECK(ParseDecimal("0.5") == "0.50");
  CHECK(ParseDecimal(".5") == "0.50");
  CHECK(ParseDecimal("5.") == "5.00");
  CHECK(ParseDecimal("123456789012345678901234567890.123456789") ==
        "123456789012345678901234567890.123456789");
  for (const char* bad : {"", " ", "-", ".", "1e3", "1,000.00", "1 000", "$5", "5 USD", "1.2.3",
                          "--1", "+-1", "0x10", "NaN", "inf", "1.5e-3"}) {
    INFO(bad);
    CHECK_FALSE(ParseDecimal(bad));
  }
}

TEST_CASE("money: minor units", "[normalize]") {
  // Stripe amounts are in the currency's minor unit.
  const auto stripe = ReadJsonFixture("webhooks/stripe/charge_succeeded.assembled.json");
  const auto amount = stripe.at("data").at("object").at("amount").to_number<double>();
  CHECK(DecimalFromDouble(amount, 2) == "1.00");
  CHECK(ParseDecimal("1999", 2) == "19.99");
  CHECK(ParseDecimal("5", 2) == "0.05");
  CHECK(ParseDecimal("-5", 2) == "-0.05");
  CHECK(ParseDecimal("1000", 3) == "1.00");  // KWD, BHD: three minor digits
  CHECK(ParseDecimal("500", 0) == "500.00");  // JPY
  CHECK(ParseDecimal("1999.5", 2) == "19.995");
  CHECK(ParseDecimal("1", 18) == "0.000000000000000001");
  CHECK_FALSE(ParseDecimal("1", -1));
  CHECK_FALSE(ParseDecimal("1", 19));
}

TEST_CASE("money: from JSON numbers, without binary noise", "[normalize]") {
  CHECK(DecimalFromDouble(199.65) == "199.65");
  CHECK(DecimalFromDouble(19.99) == "19.99");
  CHECK(DecimalFromDouble(10) == "10.00");
  CHECK(DecimalFromDouble(0.125) == "0.125");
  CHECK(DecimalFromDouble(-3) == "-3.00");
  CHECK(DecimalFromDouble(-0.0) == "0.00");
  CHECK(DecimalFromDouble(1999, 2) == "19.99");
  CHECK(DecimalFromDouble(1e-7) == "0.0000001");  // std::to_chars would write 1e-07
  CHECK(DecimalFromDouble(1e20) == "100000000000000000000.00");
  CHECK(DecimalFromDouble(0.1 + 0.2) == "0.30000000000000004");  // the double's real value
  CHECK_FALSE(DecimalFromDouble(1e21));
  CHECK_FALSE(DecimalFromDouble(-1e300));
  CHECK_FALSE(DecimalFromDouble(std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(DecimalFromDouble(std::numeric_limits<double>::infinity()));
}

TEST_CASE("sha256: lowercase hex", "[normalize]") {
  // FIPS 180-2 test vectors.
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Ad platforms match on the hash of the normalised address.
  CHECK(Sha256Hex(*NormalizeEmail(" Jon@Example.com ")) == Sha256Hex("jon@example.com"));
  CHECK(Sha256Hex("jon@example.com") != Sha256Hex("Jon@example.com"));
}

}  // namespace
}  // namespace journeyd::mapping
