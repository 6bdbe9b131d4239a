#include <catch2/catch.hpp>

#include "connectors/common/checks.h"
#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/form.h"
#include "connectors/common/header_params.h"
#include "connectors/common/json.h"
#include "connectors/common/request.h"
#include "connectors/common/timestamp.h"

namespace journeyd::connectors::common {
namespace {

TEST_CASE("common: HMAC and digests match published test vectors", "[connectors][common]") {
  // RFC 4231 test case 2 (SHA-256, SHA-512) and RFC 2202 test case 2 (SHA-1).
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  CHECK(HexEncode(Hmac(HashAlgorithm::kSha256, key, {data})) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(
      HexEncode(Hmac(HashAlgorithm::kSha512, key, {data})) ==
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0"
      "e6fdcaeab1a34d4a6b4b636e070a38bce737");
  CHECK(HexEncode(Hmac(HashAlgorithm::kSha1, key, {data})) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  // The message may come in parts; the result is that of the concatenation.
  CHECK(HmacSha256(key, {"what do ya ", "", "want for nothing?"}) == HmacSha256(key, {data}));
  CHECK(HmacSha256("", {"x"}).size() == 32);
  CHECK(HexEncode(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("common: base64 and hex round-trip and reject what is not theirs",
          "[connectors][common]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("abc123:") == "YWJjMTIzOg==");  // Segment's documented Basic example
  CHECK(Base64Decode("Zg==") == std::optional<std::string>("f"));
  CHECK(Base64Decode("Zg") == std::optional<std::string>("f"));
  CHECK(Base64Decode("Zm8=") == std::optional<std::string>("fo"));
  CHECK(Base64Decode("Zm9v") == std::optional<std::string>("foo"));
  CHECK_FALSE(Base64Decode("Zm9v!"));
  CHECK_FALSE(Base64Decode("Z"));
  CHECK_FALSE(Base64Decode("Zg="));
  CHECK_FALSE(Base64Decode("Zm 9v"));
  CHECK_FALSE(Base64Decode("Zm9v-_"));  // URL-safe alphabet is not accepted

  const std::string bytes("\x00\x7f\x80\xff", 4);
  CHECK(HexEncode(bytes) == "007f80ff");
  CHECK(HexDecode("007F80ff") == std::optional<std::string>(bytes));
  CHECK_FALSE(HexDecode("abc"));
  CHECK_FALSE(HexDecode("zz"));

  CHECK(PercentDecode("a%20b+c%2Bd", true) == std::optional<std::string>("a b c+d"));
  CHECK(PercentDecode("a%20b+c", false) == std::optional<std::string>("a b+c"));
  CHECK_FALSE(PercentDecode("100%", false));
  CHECK_FALSE(PercentDecode("%4", false));
  CHECK_FALSE(PercentDecode("%zz", false));
}

TEST_CASE("common: UTF-8 validation follows RFC 3629", "[connectors][common]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii\x7F"));
  CHECK(IsValidUtf8("Bj\xC3\xB6rn \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  CHECK(IsValidUtf8(std::string_view("a\0b", 3)));
  CHECK_FALSE(IsValidUtf8("Bj\xF6rn"));            // Latin-1
  CHECK_FALSE(IsValidUtf8("\x80"));                // a lone continuation byte
  CHECK_FALSE(IsValidUtf8("\xC3"));                // cut short
  CHECK_FALSE(IsValidUtf8("\xE2\x82"));
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));            // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));
  CHECK_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));        // a surrogate
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));    // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  CHECK_FALSE(IsValidUtf8("\xFF"));
}

TEST_CASE("common: digests compare decoded, in the declared encoding", "[connectors][common]") {
  const std::string digest = HmacSha256("k", {"m"});
  CHECK(DigestMatches(digest, Base64Encode(digest), DigestEncoding::kBase64));
  CHECK(DigestMatches(digest, HexEncode(digest), DigestEncoding::kHex));
  std::string upper = HexEncode(digest);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(DigestMatches(digest, upper, DigestEncoding::kHex));
  CHECK_FALSE(DigestMatches(digest, HexEncode(digest), DigestEncoding::kBase64));
  CHECK_FALSE(DigestMatches(digest, Base64Encode(digest), DigestEncoding::kHex));
  CHECK_FALSE(DigestMatches(digest, "", DigestEncoding::kBase64));
  CHECK_FALSE(DigestMatches("", "", DigestEncoding::kHex));
  CHECK_FALSE(DigestMatches(digest, Base64Encode(digest.substr(0, 31)), DigestEncoding::kBase64));
}

TEST_CASE("common: form bodies keep bracketed keys verbatim", "[connectors][common]") {
  auto fields = ParseFormUrlEncoded(
      "type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bmerges%5D%5BFNAME%5D=Mailchimp"
      "&&flag&empty=&data[raw]=a%2Bb");
  REQUIRE(fields.ok());
  REQUIRE(fields->size() == 6);
  CHECK((*fields)[1] == std::pair<std::string, std::string>("fired_at", "2009-03-26 21:35:57"));
  CHECK((*fields)[2] == std::pair<std::string, std::string>("data[merges][FNAME]", "Mailchimp"));
  CHECK((*fields)[3] == std::pair<std::string, std::string>("flag", ""));
  CHECK((*fields)[4] == std::pair<std::string, std::string>("empty", ""));
  CHECK((*fields)[5] == std::pair<std::string, std::string>("data[raw]", "a+b"));
  CHECK(FindField(*fields, "type") == std::optional<std::string_view>("subscribe"));
  CHECK_FALSE(FindField(*fields, "missing"));

  auto broken = ParseFormUrlEncoded("a=1&b=%G1");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == ErrorCode::kInvalidArgument);
  CHECK(ParseFormUrlEncoded("")->empty());
}

TEST_CASE("common: signature header parameter lists", "[connectors][common]") {
  auto params = ParseHeaderParams(" t=1492774577, v1=abc ,v1=def,v0=123,,bare ");
  REQUIRE(params.size() == 5);
  CHECK(params[0] == HeaderParam("t", "1492774577"));
  CHECK(params[1] == HeaderParam("v1", "abc"));
  CHECK(params[2] == HeaderParam("v1", "def"));
  CHECK(params[3] == HeaderParam("v0", "123"));
  CHECK(params[4] == HeaderParam("bare", ""));
  // Standard Webhooks: space-separated "version,signature".
  auto sigs = ParseHeaderParams("v1,K5o= v1a,hnO3== v1,ab=c", ' ', ',');
  REQUIRE(sigs.size() == 3);
  CHECK(sigs[1] == HeaderParam("v1a", "hnO3=="));
  CHECK(sigs[2] == HeaderParam("v1", "ab=c"));
}

TEST_CASE("common: JSON errors say where the body broke", "[connectors][common]") {
  auto ok = ParseJson(" {\"id\": 123, \"type\": \"a\"} ");
  REQUIRE(ok.ok());
  CHECK(ScalarText(FindMember(*ok, "id")) == "123");
  CHECK(ScalarText(FindMember(*ok, "type")) == "a");
  CHECK(ScalarText(FindMember(*ok, "missing")).empty());
  CHECK(FindMember(boost::json::value(1), "id") == nullptr);

  auto bad = ParseJson("{\"id\": 12x}");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad.error().message.rfind("malformed JSON at offset 9: ", 0) == 0);

  auto truncated = ParseJson("{\"id\": 1");
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().message.rfind("malformed JSON at offset 8: ", 0) == 0);

  auto trailing = ParseJson("{} {}");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().message.rfind("malformed JSON at offset 3: ", 0) == 0);

  CHECK_FALSE(ParseJson("").ok());
  std::string deep(60, '[');
  deep += std::string(60, ']');
  CHECK(ParseJson(deep).ok());
}

TEST_CASE("common: timestamps and the replay window", "[connectors][common]") {
  using namespace std::chrono;
  CHECK(ParseDecimal("1700000000") == std::optional<int64_t>(1700000000));
  CHECK_FALSE(ParseDecimal(""));
  CHECK_FALSE(ParseDecimal("-5"));
  CHECK_FALSE(ParseDecimal("12a"));
  CHECK_FALSE(ParseDecimal("99999999999999999999"));

  const auto t = ParseIso8601("2021-03-25T05:09:27Z");
  REQUIRE(t);
  CHECK(duration_cast<seconds>(t->time_since_epoch()).count() == 1616648967);
  CHECK(ParseIso8601("2021-03-25T07:09:27+02:00") == t);
  CHECK(ParseIso8601("2021-03-25T05:09:27.250Z") == *t + milliseconds(250));
  CHECK_FALSE(ParseIso8601("2021-03-25 05:09:27"));
  CHECK_FALSE(ParseIso8601("2021-02-30T05:09:27Z"));
  CHECK_FALSE(ParseIso8601("1616648967"));

  ManualClock clock(system_clock::time_point(seconds(1616648967)));
  CHECK(CheckFreshness(clock, *t, minutes(5)).ok());
  clock.Advance(minutes(5));
  CHECK(CheckFreshness(clock, *t, minutes(5)).ok());
  clock.Advance(seconds(1));
  auto stale = CheckFreshness(clock, *t, minutes(5));
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().code == ErrorCode::kUnauthenticated);
  CHECK(stale.error().message == "timestamp outside tolerance (301s old)");
  auto future = CheckFreshness(clock, *t + minutes(11), minutes(5));
  REQUIRE_FALSE(future.ok());
  CHECK(future.error().message == "timestamp outside tolerance (359s in the future)");
}

// Found by tests/fuzz/fuzz_webhook: a Zendesk timestamp in the year 4046 overflowed the clock's
// nanoseconds (undefined behaviour) before the signature was even checked, and a signed
// t=99999999999 did the same in Stripe, Standard Webhooks and HubSpot.
TEST_CASE("common: times the clock cannot hold are refused, never overflowed",
          "[connectors][common]") {
  using namespace std::chrono;
  CHECK(ParseIso8601("2262-04-11T00:00:00Z"));
  CHECK(ParseIso8601("1700-01-01T00:00:00.5Z"));
  CHECK_FALSE(ParseIso8601("4046-11-14T22:13:20Z"));
  CHECK_FALSE(ParseIso8601("9999-12-31T23:59:59.999999999-23:59"));
  CHECK_FALSE(ParseIso8601("2262-04-12T00:00:00Z"));
  CHECK_FALSE(ParseIso8601("1677-09-21T00:00:00Z"));
  CHECK_FALSE(ParseIso8601("0000-01-01T00:00:00Z"));

  CHECK(FromUnixSeconds(1700000000) == system_clock::time_point(seconds(1700000000)));
  CHECK(FromUnixSeconds(9223372036));
  CHECK_FALSE(FromUnixSeconds(9223372037));
  CHECK_FALSE(FromUnixSeconds(-9223372037));
  CHECK(FromUnixMillis(1700000000000) == system_clock::time_point(seconds(1700000000)));
  CHECK_FALSE(FromUnixMillis(INT64_MAX));

  // Centuries apart: still a plain refusal, with the distance in seconds.
  const ManualClock clock(system_clock::time_point(seconds(1700000000)));
  const auto long_ago = ParseIso8601("1700-01-01T00:00:00Z");
  REQUIRE(long_ago);
  auto stale = CheckFreshness(clock, *long_ago, minutes(5));
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().message == "timestamp outside tolerance (10220336000s old)");
  auto ahead = CheckFreshness(clock, *FromUnixSeconds(9223372036), minutes(5));
  REQUIRE_FALSE(ahead.ok());
  CHECK(ahead.error().message == "timestamp outside tolerance (7523372036s in the future)");
}

TEST_CASE("common: request helpers and setting checks", "[connectors][common]") {
  CHECK(LastPathSegment("/webhooks/segment/v1/track") == "track");
  CHECK(LastPathSegment("/v1/batch/") == "batch");
  CHECK(LastPathSegment("identify") == "identify");
  InboundRequest no_headers;
  CHECK_FALSE(GetHeader(no_headers, "X-Anything"));

  CHECK_FALSE(CheckHttpUrl("https://crm-sync.example.com"));
  CHECK(CheckHttpUrl("ftp://example.com"));
  CHECK(CheckHttpUrl("https:///path"));
  CHECK_FALSE(CheckHeaderName("X-Hub-Signature-256"));
  CHECK(CheckHeaderName("X Hub"));
  CHECK(CheckHeaderName(""));
  CHECK(CheckPositiveDuration(config::Duration(0)));
  CHECK_FALSE(CheckPositiveDuration(std::chrono::seconds(1)));
}

}  // namespace
}  // namespace journeyd::connectors::common

namespace journeyd::connectors::common {
namespace {

TEST_CASE("common: validating JSON without a document agrees with the parser",
          "[connectors][common]") {
  for (std::string_view text : {"{}", " [1, 2.5, \"x\", null, true] ", "{\"a\":{\"b\":[{}]}}"}) {
    INFO(text);
    CHECK(ValidateJson(text).ok());
    CHECK(ParseJson(text).ok());
  }
  for (std::string_view text : {"", "{", "{\"id\": 1,", "[1] [2]", "{\"a\" 1}", "nul"}) {
    INFO(text);
    auto valid = ValidateJson(text);
    REQUIRE_FALSE(valid.ok());
    CHECK(valid.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(valid.error().message, Catch::StartsWith("malformed JSON at offset"));
    CHECK_FALSE(ParseJson(text).ok());
  }
  CHECK(ValidateJson(std::string(64, '[') + std::string(64, ']')).ok());
  CHECK_FALSE(ValidateJson(std::string(65, '[') + std::string(65, ']')).ok());
}

// ValidateJson trusts simdjson's yes and asks Boost.JSON (ParseJson's parser) about its no: on
// the corners where the two libraries could part, the answer must be Boost's.
TEST_CASE("common: validating JSON agrees with the parser where the two libraries differ",
          "[connectors][common]") {
  const auto nested = [](int depth, std::string_view open, std::string_view inner,
                         std::string_view close) {
    std::string text;
    for (int i = 0; i < depth; ++i) text += open;
    text += inner;
    for (int i = 0; i < depth; ++i) text += close;
    return text;
  };
  const std::vector<std::string> corpus = {
      R"({"n": 123456789012345678901234567890})",  // past 64 bits: simdjson refuses, Boost not
      R"([18446744073709551615, -9223372036854775808, 18446744073709551616])",
      R"([1e400, -1e-400, 1.5e308])",
      R"([0e40000000020])", R"([1e-40000000020])", R"([0.0, -0e5, 0e00000000000000001])",
      R"(["\ud83d\ude00"])", R"(["\ud800"])", R"(["\udc00x"])", R"(["\u0000"])",
      "\"tab\there\"", "\"\xc3\x28\"", "\"\xed\xa0\x80\"", "\"caf\xc3\xa9\"",
      "\xef\xbb\xbf{}",  // a byte-order mark
      "{} ", " \t\r\n{}", "{}x", "[1,]", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "NaN",
      "// c\n{}", "\f{}", "tru", "true", "null", "\"\"", "[]", "{\"\":{}}",
      nested(64, "{\"a\":", "1", "}"), nested(65, "{\"a\":", "1", "}"),
      nested(63, "[", "{}", "]"), nested(64, "[", "{}", "]"), nested(64, "[", "", "]") + " ",
      std::string(70 * 1024, ' ') + "[1]",  // past the fast path's size: Boost alone
  };
  for (const std::string& text : corpus) {
    INFO(text.substr(0, 80));
    CHECK(ValidateJson(text).ok() == ParseJson(text).ok());
  }
  // The verdicts the corpus relies on, so that it exercises both paths.
  CHECK(ValidateJson(R"({"n": 123456789012345678901234567890})").ok());
  CHECK(ValidateJson(R"(["\ud83d\ude00"])").ok());
  CHECK_FALSE(ValidateJson("\"\xc3\x28\"").ok());
  CHECK_FALSE(ValidateJson("{}x").ok());
}

}  // namespace
}  // namespace journeyd::connectors::common
