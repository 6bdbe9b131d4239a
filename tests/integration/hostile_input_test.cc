// A catalogue of hostile requests against the real daemon: what an attacker, a broken proxy or a
// buggy vendor may send. Each case checks the documented answer (docs/ingest.md, "Hostile
// requests and their answers": status and JSON error code), that nothing was stored for a
// refusal, that refused webhooks are counted (/api/v1/sources, /metrics) and visible as
// data-quality issues where the docs say so, and that the daemon keeps serving: after each case
// a genuine signed webhook from another connection is stored and /healthz answers.
// Payloads are the vendors' own (../shared/fixtures/webhooks), mutated; signatures are computed
// with tests/support/signing.h, or are the fixtures' published test vectors.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>

#include "engine/storage/sqlite/sqlite_db.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/signing.h"
#include "tests/support/vendor_requests.h"
#include "tests/support/temp_dir.h"

namespace journeyd::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// --- the daemon under attack -------------------------------------------------------------------

std::filesystem::path Webhooks() { return FixturesDir() / "webhooks"; }

json::value Vectors(const std::string& file) { return json::parse(ReadFile(Webhooks() / file)); }

std::string Text(const json::value& v) { return std::string(v.as_string()); }

// The Stripe and Standard Webhooks sources use the secrets of the fixtures' published vectors,
// so that those vectors can be sent exactly as published.
std::string StripeSecret() {
  return Text(Vectors("stripe/signature_test_vectors.json").at("vectors").at(0).at("secret"));
}
std::string SvixSecret() {
  return Text(Vectors("standard-webhooks/test_vectors.json").at("vectors").at(0).at("secret"));
}

std::map<std::string, std::string> Environment() {
  auto env = DefaultTestEnvironment();
  env["HOSTILE_STRIPE_SECRET"] = StripeSecret();
  env["HOSTILE_SVIX_SECRET"] = SvixSecret();
  return env;
}

// Short timeouts keep the slow-client cases short. `max_body` is large enough for a JSON body
// nested 100,000 deep to reach the JSON parser.
std::string Config(int max_connections) {
  const std::string mappings = (SourceDir() / "mappings").string();
  return R"(server:
  listen: 127.0.0.1:8080
  threads: 2
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
  limits:
    max_body: 256KiB
    max_header: 8KiB
    header_timeout: 2s
    request_timeout: 2s
    idle_timeout: 2s
    max_connections: )" +
         std::to_string(max_connections) + R"(
sources:
  - name: shopify
    type: shopify
    mapping: )" + mappings + R"(/shopify.yaml
    secret: ${env:JOURNEYD_SHOPIFY_SECRET}
  - name: stripe
    type: stripe
    mapping: )" + mappings + R"(/stripe.yaml
    secret: ${env:HOSTILE_STRIPE_SECRET}
  - name: svix
    type: standard_webhooks
    secrets:
      - ${env:HOSTILE_SVIX_SECRET}
  - name: zendesk
    type: zendesk
    mapping: )" + mappings + R"(/zendesk.yaml
    secret: ${env:JOURNEYD_ZENDESK_SECRET}
  - name: hubspot
    type: hubspot
    mapping: )" + mappings + R"(/hubspot.yaml
    client_secret: ${env:JOURNEYD_HUBSPOT_SECRET}
    public_url: https://journeyd.example.com
)";
}

class Target {
 public:
  explicit Target(int max_connections = 256)
      : daemon_(dir_.Write("journeyd.yaml", Config(max_connections)), dir_.path() / "data",
                Environment()) {}
  DaemonProcess& daemon() { return daemon_; }
  // Starts the daemon; its log tells why when it does not come up.
  bool Start() {
    const bool started = daemon_.Start();
    if (!started) UNSCOPED_INFO(daemon_.log());
    return started;
  }
  const std::string& host() const { return host_; }
  uint16_t port() const { return daemon_.port(); }

  HttpResult Post(const std::string& target, const std::string& body, const Headers& headers) {
    auto r = HttpRequest(host_, port(), "POST", target, body, headers);
    REQUIRE(r.ok());
    return *r;
  }
  HttpResult Get(const std::string& target) {
    auto r = HttpGet(host_, port(), target, {{"Authorization", "Bearer test-read-token"}});
    REQUIRE(r.ok());
    return *r;
  }

  // Rows in the inbox: everything intake stored.
  int64_t InboxRows(const std::string& source = "") {
    auto db = storage::SqliteDb::Open(daemon_.data_dir() / "journeyd.db", 5s);
    REQUIRE(db.ok());
    auto rows = (*db)->Prepare(source.empty() ? "SELECT COUNT(*) FROM inbox"
                                              : "SELECT COUNT(*) FROM inbox WHERE source = ?");
    REQUIRE(rows.ok());
    if (!source.empty()) rows->Bind(1, source);
    REQUIRE(*rows->Step());
    return rows->ColumnInt(0);
  }

  // The canonical record the mapping stage made of one stored event, or its quarantine
  // reasons: waits up to 5 s for the stage to take it.
  struct Mapped {
    std::optional<json::value> record;
    std::string quarantine_reasons;
  };
  Mapped MappedEvent(const std::string& source, const std::string& external_id) {
    auto db = storage::SqliteDb::Open(daemon_.data_dir() / "journeyd.db", 5s);
    REQUIRE(db.ok());
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      auto records = (*db)->Prepare(
          "SELECT r.record FROM records r JOIN inbox i ON i.id = r.inbox_id"
          " WHERE i.source = ? AND i.external_id = ?");
      REQUIRE(records.ok());
      records->Bind(1, source).Bind(2, external_id);
      if (*records->Step()) return {json::parse(records->ColumnText(0)), ""};
      auto held = (*db)->Prepare(
          "SELECT q.reasons FROM quarantine q JOIN inbox i ON i.id = q.inbox_id"
          " WHERE i.source = ? AND i.external_id = ?");
      REQUIRE(held.ok());
      held->Bind(1, source).Bind(2, external_id);
      if (*held->Step()) return {std::nullopt, held->ColumnText(0)};
      std::this_thread::sleep_for(20ms);
    }
    FAIL("event " << source << "/" << external_id << " was neither mapped nor quarantined");
    return {};
  }

  int64_t SourceStat(const std::string& source, const char* key) {
    const auto listed = json::parse(Get("/api/v1/sources").body);
    for (const auto& s : listed.at("sources").as_array()) {
      if (s.at("name") == source.c_str()) return s.at(key).to_number<int64_t>();
    }
    FAIL("source " << source << " not listed");
    return 0;
  }

  // /api/v1/issues: how many of this kind for this source, and the newest one's message.
  int64_t Issues(const std::string& source, const std::string& kind) {
    const auto listed =
        json::parse(Get("/api/v1/issues?source=" + source + "&kind=" + kind).body);
    int64_t n = 0;
    for (const auto& c : listed.at("counts").as_array()) {
      if (c.at("kind") == kind.c_str() && c.at("source") == source.c_str()) {
        n += c.at("count").to_number<int64_t>();
      }
    }
    return n;
  }
  std::string LatestIssue(const std::string& source, const std::string& kind) {
    const auto listed =
        json::parse(Get("/api/v1/issues?limit=1&source=" + source + "&kind=" + kind).body);
    const auto& issues = listed.at("issues").as_array();
    return issues.empty() ? "" : Text(issues.at(0).at("message"));
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    auto r = HttpGet(host_, port(), "/metrics");
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    auto parsed = ParsePrometheusText(r->body);
    REQUIRE(parsed.ok());
    return FindSample(*parsed, name, labels).value_or(0);
  }
  double Webhooks(const std::string& source, const std::string& outcome) {
    return Metric("journeyd_webhook_requests_total", {{"source", source}, {"outcome", outcome}});
  }

 private:
  TempDir dir_;
  DaemonProcess daemon_;
  std::string host_ = "127.0.0.1";
};

// --- signed deliveries --------------------------------------------------------------------------

std::string Fixture(const std::string& file) { return ReadFile(Webhooks() / file); }

// `text` with `from` (which must occur) replaced by `to` once: a real payload, mutated.
std::string Mutate(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Headers StripeHeaders(const std::string& body, int64_t t) {
  const std::string ts = std::to_string(t);
  return {{"Content-Type", "application/json"},
          {"Stripe-Signature",
           "t=" + ts + ",v1=" + HmacSha256Hex(StripeSecret(), ts + "." + body)}};
}

Headers SvixHeaders(const std::string& body, const std::string& id, int64_t t) {
  const std::string ts = std::to_string(t);
  const std::string key = Base64Decode(SvixSecret().substr(std::string("whsec_").size()));
  return {{"Content-Type", "application/json"},
          {"webhook-id", id},
          {"webhook-timestamp", ts},
          {"webhook-signature", "v1," + HmacSha256Base64(key, id + "." + ts + "." + body)}};
}

std::string Iso8601(int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

Headers ZendeskHeaders(const std::string& body, int64_t t) {
  const std::string ts = Iso8601(t);
  return {{"Content-Type", "application/json"},
          {"X-Zendesk-Webhook-Signature-Timestamp", ts},
          {"X-Zendesk-Webhook-Signature",
           HmacSha256Base64(DefaultTestEnvironment().at("JOURNEYD_ZENDESK_SECRET"), ts + body)}};
}

Headers HubSpotHeaders(const std::string& body, int64_t unix_ms) {
  const std::string ts = std::to_string(unix_ms);
  const std::string signed_text =
      "POST" + std::string("https://journeyd.example.com/webhooks/hubspot") + body + ts;
  return {{"Content-Type", "application/json"},
          {"X-HubSpot-Request-Timestamp", ts},
          {"X-HubSpot-Signature-v3",
           HmacSha256Base64(DefaultTestEnvironment().at("JOURNEYD_HUBSPOT_SECRET"), signed_text)}};
}

std::string ErrorCode(const HttpResult& r) {
  return Text(json::parse(r.body).at("error").at("code"));
}

// Whatever came before, the daemon serves: a genuine signed delivery from a new connection is
// stored and the liveness probe answers.
void CheckStillServes(Target& target) {
  static int n = 0;
  REQUIRE(target.daemon().running());
  const std::string body = Fixture("shopify/orders_create.json");
  const std::string id = "alive-" + std::to_string(++n);
  auto stored = target.Post("/webhooks/shopify", body, ShopifyHeaders(body, id));
  CHECK(stored.status == 200);
  CHECK(json::parse(stored.body).at("stored") == 1);
  auto health = HttpGet(target.host(), target.port(), "/healthz");
  REQUIRE(health.ok());
  CHECK(health->status == 200);
}

// --- raw connections ----------------------------------------------------------------------------

// What the server sent on one connection, and whether it closed it.
struct RawReply {
  std::string bytes;
  bool closed = false;
  Clock::duration took{};

  int status() const {
    if (bytes.rfind("HTTP/1.", 0) != 0 || bytes.size() < 12) return 0;
    return std::stoi(bytes.substr(9, 3));
  }
  size_t responses() const {
    size_t n = 0;
    for (size_t at = bytes.find("HTTP/1.1 "); at != std::string::npos;
         at = bytes.find("HTTP/1.1 ", at + 1)) {
      ++n;
    }
    return n;
  }
  std::string header(const std::string& name) const {
    const std::string key = "\r\n" + name + ": ";
    const size_t at = bytes.find(key);
    if (at == std::string::npos) return "";
    const size_t start = at + key.size();
    return bytes.substr(start, bytes.find("\r\n", start) - start);
  }
  // The JSON error code of the first response's body.
  std::string error_code() const {
    const size_t body = bytes.find("\r\n\r\n");
    if (body == std::string::npos) return "";
    const size_t end = bytes.find('\n', body + 4);
    auto parsed = json::parse(bytes.substr(body + 4, end - body - 4));
    return Text(parsed.at("error").at("code"));
  }
};

// Reads until the server closes or `timeout` passes.
RawReply ReadUntilClose(int fd, Clock::duration timeout) {
  RawReply reply;
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  char buffer[8192];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 1))) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {  // EOF, or a reset after the answer
      reply.closed = true;
      break;
    }
    reply.bytes.append(buffer, static_cast<size_t>(n));
  }
  reply.took = Clock::now() - started;
  return reply;
}

int ConnectRaw(const Target& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(target.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

// Writes what it can (the server may close early: a refusal does not read the rest).
void WriteRaw(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

enum class Then { kWait, kHalfClose, kClose };

// One connection: send `bytes`, then wait for the server (or half-close, or close at once).
RawReply Raw(const Target& target, std::string_view bytes, Then then = Then::kWait,
             Clock::duration timeout = 5s) {
  const int fd = ConnectRaw(target);
  WriteRaw(fd, bytes);
  RawReply reply;
  if (then == Then::kHalfClose) ::shutdown(fd, SHUT_WR);
  if (then != Then::kClose) reply = ReadUntilClose(fd, timeout);
  ::close(fd);
  return reply;
}

std::string RequestHead(const std::string& request_line, const Headers& headers) {
  std::string out = request_line + "\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  return out;
}

// --- the catalogue -------------------------------------------------------------------------------

TEST_CASE("hostile HTTP framing gets the documented refusal and stores nothing", "[hostile]") {
  Target target;
  REQUIRE(target.Start());
  const std::string order = Fixture("shopify/orders_create.json");
  const auto refused_http = [&](int code) {
    return target.Metric(
        "journeyd_http_requests_total",
        {{"route", "unmatched"}, {"method", "POST"}, {"code", std::to_string(code)}});
  };

  SECTION("a body over max_body: 413, never read, not counted on the source") {
    // A genuine order, signed, padded past 256 KiB through its own `note` field.
    const std::string big =
        Mutate(order, "\"note\": null", "\"note\": \"" + std::string(300 * 1024, 'x') + "\"");
    const int64_t before = target.InboxRows();
    // Raw: the daemon answers after the headers and closes, so the client's write may fail.
    auto r = Raw(target,
                 RequestHead("POST /webhooks/shopify HTTP/1.1", ShopifyHeaders(big, "big-1")) +
                     "Content-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big);
    CHECK(r.status() == 413);
    CHECK(r.error_code() == "body_too_large");
    CHECK(r.header("Connection") == "close");
    CHECK(r.closed);
    // Announced with Expect: 100-continue, it is refused before a byte of it is sent.
    auto early = Raw(target,
                     RequestHead("POST /webhooks/shopify HTTP/1.1",
                                 {{"Content-Type", "application/json"},
                                  {"Expect", "100-continue"},
                                  {"Content-Length", "10485760"}}) +
                         "\r\n");
    CHECK(early.status() == 413);
    CHECK(early.responses() == 1);  // no "100 Continue" first
    CHECK(early.closed);
    // Chunked, with no length announced: refused once the chunks pass the limit.
    std::string chunked = RequestHead("POST /webhooks/shopify HTTP/1.1",
                                      {{"Content-Type", "application/json"},
                                       {"Transfer-Encoding", "chunked"}}) +
                          "\r\n";
    for (int i = 0; i < 40; ++i) chunked += "2000\r\n" + std::string(0x2000, ' ') + "\r\n";
    auto chunks = Raw(target, chunked);
    CHECK(chunks.status() == 413);
    CHECK(chunks.error_code() == "body_too_large");
    CHECK(chunks.closed);
    CHECK(target.InboxRows() == before);
    CHECK(target.SourceStat("shopify", "received") == 0);  // docs: counted as nothing
    CHECK(refused_http(413) == 3);
    CHECK(target.Issues("shopify", "malformed_payload") == 0);
    CheckStillServes(target);
  }

  SECTION("a body shorter than its Content-Length: 400 on half-close, nothing stored") {
    const int64_t before = target.InboxRows();
    const std::string head =
        RequestHead("POST /webhooks/shopify HTTP/1.1", ShopifyHeaders(order, "cut-1")) +
        "Content-Length: " + std::to_string(order.size()) + "\r\n\r\n";
    const std::string half = head + order.substr(0, order.size() / 2);
    // The client says it is done sending: the daemon answers 400 and closes.
    auto ended = Raw(target, half, Then::kHalfClose);
    CHECK(ended.status() == 400);
    CHECK(ended.error_code() == "bad_request");
    CHECK(ended.closed);
    // The client vanishes: nothing to answer.
    Raw(target, half, Then::kClose);
    // The client stalls: cut off after request_timeout (2 s) without an answer.
    auto stalled = Raw(target, half, Then::kWait, 6s);
    CHECK(stalled.closed);
    CHECK(stalled.bytes.empty());
    CHECK(stalled.took >= 1500ms);
    CHECK(stalled.took < 4500ms);
    CHECK(target.InboxRows() == before);
    CHECK(target.SourceStat("shopify", "received") == 0);
    CHECK(refused_http(400) >= 1);
    CheckStillServes(target);
  }

  SECTION("request smuggling: conflicting or non-final-chunked framing is refused whole") {
    const int64_t before = target.InboxRows();
    // Each carries, as its "body", a complete second request: the signed order. Served, that
    // would be a request smuggled past whatever framed the bytes in front of the daemon.
    const std::string inner =
        RequestHead("POST /webhooks/shopify HTTP/1.1", ShopifyHeaders(order, "smuggled-1")) +
        "Content-Length: " + std::to_string(order.size()) + "\r\n\r\n" + order;
    const struct {
      const char* framing;
      const char* message;
    } cases[] = {
        {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "bad Transfer-Encoding"},
        {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "bad Content-Length"},
        {"Content-Length: 5\r\nContent-Length: 6\r\n", "multiple Content-Length"},
        {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding must end in chunked"},
        {"Transfer-Encoding: chunked, identity\r\n", "Transfer-Encoding must end in chunked"},
        {"Transfer-Encoding: xchunked\r\n", "Transfer-Encoding must end in chunked"},
        {"Transfer-Encoding : chunked\r\n", "bad field"},
    };
    for (const auto& c : cases) {
      INFO(c.framing);
      auto r = Raw(target, "POST /webhooks/nosuch HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/json\r\n" +
                               std::string(c.framing) + "\r\n" + inner);
      CHECK(r.status() == 400);
      CHECK(r.error_code() == "bad_request");
      CHECK_THAT(r.bytes, Catch::Contains(c.message));
      CHECK(r.responses() == 1);
      CHECK(r.closed);
    }
    CHECK(target.InboxRows() == before);
    CHECK(target.SourceStat("shopify", "received") == 0);
    CheckStillServes(target);
  }

  SECTION("absurd chunk sizes, NUL and control bytes, bad versions: 400 or 413, closed") {
    const int64_t before = target.InboxRows();
    const std::string chunked_head =
        RequestHead("POST /webhooks/shopify HTTP/1.1",
                    {{"Content-Type", "application/json"}, {"Transfer-Encoding", "chunked"}}) +
        "\r\n";
    const struct {
      std::string bytes;
      int status;
      const char* message;
    } cases[] = {
        // 20 hex digits overflow 64 bits; 16 fit, and are over max_body.
        {chunked_head + "ffffffffffffffffffff\r\n{}", 400, "bad chunk"},
        {chunked_head + "ffffffffffffffff\r\n{}", 413, "configured limit"},
        {chunked_head + "-1\r\n{}", 400, "bad chunk"},
        {"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: "
         "99999999999999999999999\r\n\r\n",
         400, "bad Content-Length"},
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: a" + std::string(1, '\0') +
             "b\r\n\r\n",
         400, "bad value"},
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-" + std::string(1, '\0') + "A: b\r\n\r\n", 400,
         "bad field"},
        {"GET /hea\x01lthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad target"},
        {"GET /healthz HTTP/1.1\nHost: x\n\n", 400, "bad version"},
        {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "bad version"},
        {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(64, 'A'),
         400, "bad method"},  // the start of a TLS ClientHello on the plain-HTTP port
    };
    for (const auto& c : cases) {
      INFO(c.bytes.substr(0, 80));
      auto r = Raw(target, c.bytes);
      CHECK(r.status() == c.status);
      CHECK_THAT(r.bytes, Catch::Contains(c.message));
      CHECK(r.closed);
    }
    CHECK(target.InboxRows() == before);
    CheckStillServes(target);
  }

  SECTION("header floods: thousands of headers, one huge header, a huge URL: 431") {
    Headers flood = ShopifyHeaders(order, "flood-1");
    for (int i = 0; i < 3000; ++i) flood.emplace_back("X-Flood-" + std::to_string(i), "1");
    auto many = Raw(target, RequestHead("POST /webhooks/shopify HTTP/1.1", flood) +
                                "Content-Length: " + std::to_string(order.size()) + "\r\n\r\n" +
                                order);
    CHECK(many.status() == 431);
    CHECK(many.error_code() == "header_too_large");
    CHECK(many.closed);

    Headers huge = ShopifyHeaders(order, "flood-2");
    huge.emplace_back("X-Huge", std::string(64 * 1024, 'h'));
    auto one = Raw(target, RequestHead("POST /webhooks/shopify HTTP/1.1", huge) +
                               "Content-Length: " + std::to_string(order.size()) + "\r\n\r\n" +
                               order);
    CHECK(one.status() == 431);
    CHECK(one.error_code() == "header_too_large");
    CHECK(one.closed);

    auto url = Raw(target, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(url.status() == 431);
    CHECK(url.closed);

    CHECK(target.InboxRows("shopify") == 0);
    CHECK(target.SourceStat("shopify", "received") == 0);  // docs: counted as nothing
    CheckStillServes(target);
  }

  SECTION("wrong content types: 415, counted as rejected, an unsupported_media_type issue") {
    const int64_t before = target.InboxRows();
    const double rejected = target.Webhooks("shopify", "rejected");
    // Correctly signed, so only the type is wrong.
    const std::string form = "--x\r\nContent-Disposition: form-data; name=\"order\"\r\n\r\n" +
                             order + "\r\n--x--\r\n";
    const std::pair<std::string, std::string> bodies[] = {
        {"text/plain", order},
        {"multipart/form-data; boundary=x", form},
        {"application/x-www-form-urlencoded", "order=" + order.substr(0, 100)},
        {"application/xml", "<order/>"},
    };
    for (const auto& [type, body] : bodies) {
      INFO(type);
      auto r = target.Post("/webhooks/shopify", body,
                           ShopifyHeaders(body, "type-1", "orders/create", type));
      CHECK(r.status == 415);
      CHECK(ErrorCode(r) == "unsupported_media_type");
    }
    // No Content-Type at all: the same.
    auto none = Raw(target, RequestHead("POST /webhooks/shopify HTTP/1.1",
                                        {{"Content-Length", std::to_string(order.size())},
                                         {"Connection", "close"}}) +
                                "\r\n" + order);
    CHECK(none.status() == 415);
    CHECK(none.error_code() == "unsupported_media_type");

    CHECK(target.InboxRows() == before);
    CHECK(target.SourceStat("shopify", "rejected") == 5);
    CHECK(target.Webhooks("shopify", "rejected") == rejected + 5);
    CHECK(target.Issues("shopify", "unsupported_media_type") == 5);
    CHECK_THAT(target.LatestIssue("shopify", "unsupported_media_type"),
               Catch::Contains("content type ''"));
    CheckStillServes(target);
  }

  SECTION("unknown sources: 404; wrong methods: 405 with Allow; neither is counted") {
    const int64_t before = target.InboxRows();
    for (const char* path : {"/webhooks/nosuch", "/webhooks/SHOPIFY",
                             "/webhooks/..%2Fapi%2Fv1%2Fsources", "/webhooks/shopify/extra",
                             "/webhooks"}) {
      INFO(path);
      auto r = target.Post(path, order, ShopifyHeaders(order, "where-1"));
      CHECK(r.status == 404);
      CHECK(ErrorCode(r) == "not_found");
    }
    for (const char* method : {"PUT", "DELETE", "PATCH", "BREW"}) {
      INFO(method);
      auto r = Raw(target, std::string(method) +
                               " /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n");
      CHECK(r.status() == 405);
      CHECK(r.header("Allow") == "POST, GET");
      CHECK(r.error_code() == "method_not_allowed");
    }
    auto get = target.Get("/webhooks/shopify");
    CHECK(get.status == 405);
    CHECK(get.header("allow") == "POST");

    CHECK(target.InboxRows() == before);
    CHECK(target.SourceStat("shopify", "received") == 0);
    CHECK(target.Metric("journeyd_http_requests_total",
                        {{"route", "/webhooks/{source}"}, {"method", "OTHER"}, {"code", "405"}}) ==
          1);
    CheckStillServes(target);
  }
}

TEST_CASE("hostile JSON in signed webhooks: refused at intake or mapped exactly", "[hostile]") {
  Target target;
  REQUIRE(target.Start());
  const std::string order = Fixture("shopify/orders_create.json");
  const std::string customer = Fixture("shopify/customers_create.json");

  SECTION("invalid UTF-8, lone surrogates, 100,000 levels: 400 malformed_payload, an issue") {
    const std::string bodies[] = {
        Mutate(order, "\"jon@example.com\"", "\"jon\xff@example.com\""),
        Mutate(order, "\"jon@example.com\"", "\"jon\xc0\xaf@example.com\""),  // overlong '/'
        Mutate(order, "\"jon@example.com\"", "\"jon\\ud800@example.com\""),
        Mutate(order, "\"note\": null",
               "\"note\": " + std::string(100000, '[') + std::string(100000, ']')),
    };
    const int64_t before = target.InboxRows();
    int n = 0;
    for (const auto& body : bodies) {
      INFO("body " << n);
      auto r = target.Post("/webhooks/shopify", body,
                           ShopifyHeaders(body, "bad-json-" + std::to_string(++n)));
      CHECK(r.status == 400);
      CHECK(ErrorCode(r) == "invalid_argument");
      CHECK_THAT(Text(json::parse(r.body).at("error").at("message")),
                 Catch::Contains("malformed JSON at offset"));
    }
    CHECK_THAT(target.LatestIssue("shopify", "malformed_payload"), Catch::Contains("too deep"));
    CHECK(target.InboxRows() == before);
    CHECK(target.SourceStat("shopify", "rejected") == 4);
    CHECK(target.Webhooks("shopify", "rejected") == 4);
    CHECK(target.Issues("shopify", "malformed_payload") == 4);
    CheckStillServes(target);
  }

  SECTION("nesting that intake accepts is mapped, not quarantined as too deep") {
    // 40 levels: under intake's limit of 64 (and over Boost.JSON's default of 32).
    const std::string body =
        Mutate(order, "\"note\": null", "\"note\": " + std::string(39, '[') + "\"deep\"" +
                                            std::string(39, ']'));
    auto r = target.Post("/webhooks/shopify", body, ShopifyHeaders(body, "deep-40"));
    REQUIRE(r.status == 200);
    auto mapped = target.MappedEvent("shopify", "deep-40");
    INFO(mapped.quarantine_reasons);
    REQUIRE(mapped.record);
    CHECK(mapped.record->at("touchpoints").at(0).at("type") == "order_placed");
    CHECK(target.Issues("shopify", "mapping_bad_payload") == 0);
  }

  SECTION("numbers a double cannot hold: stored, and mapped as the vendor wrote them") {
    // A customer id past 64-bit integers: the identity keeps every digit (it would otherwise be
    // rounded to 98765432109876543488, an id another customer may round to as well).
    const std::string big_id =
        Mutate(customer, "\"id\": 706405506930370084", "\"id\": 98765432109876543210");
    auto r = target.Post("/webhooks/shopify", big_id,
                         ShopifyHeaders(big_id, "big-id", "customers/create"));
    REQUIRE(r.status == 200);
    auto mapped = target.MappedEvent("shopify", "big-id");
    REQUIRE(mapped.record);
    CHECK(mapped.record->at("identities") == json::parse(R"([
        {"type": "email", "value": "bob@biller.com"},
        {"type": "shopify.customer_id", "value": "98765432109876543210"}])"));
    CHECK(mapped.record->at("touchpoints").at(0).at("reference") ==
          "shopify:customer:98765432109876543210");

    // The order total as a 21-digit number: the amount keeps every digit (it would otherwise
    // be 98765432109876543488.00). 1e400 (infinite as a double) as the order number: the
    // attribute keeps the text (it would otherwise be stored as 1e99999, read back as inf).
    const std::string total_field =
        "\"total_price_set\": {\n    \"shop_money\": {\n      \"amount\": \"404.95\"";
    const std::string huge = Mutate(
        Mutate(order, "\"order_number\": 1234", "\"order_number\": 1e400"), total_field,
        Mutate(total_field, "\"404.95\"", "98765432109876543210.5"));
    r = target.Post("/webhooks/shopify", huge, ShopifyHeaders(huge, "huge-total"));
    REQUIRE(r.status == 200);
    mapped = target.MappedEvent("shopify", "huge-total");
    REQUIRE(mapped.record);
    const auto& placed = mapped.record->at("touchpoints").at(0);
    CHECK(placed.at("type") == "order_placed");
    CHECK(placed.at("value") == "98765432109876543210.50");
    CHECK(placed.at("attributes").at("order_number") == "1e400");
    // 1e400 where an amount belongs: left out, never "inf".
    const std::string infinite =
        Mutate(order, total_field, Mutate(total_field, "\"404.95\"", "1e400"));
    r = target.Post("/webhooks/shopify", infinite, ShopifyHeaders(infinite, "inf-total"));
    REQUIRE(r.status == 200);
    mapped = target.MappedEvent("shopify", "inf-total");
    REQUIRE(mapped.record);
    CHECK(mapped.record->at("touchpoints").at(0).as_object().if_contains("value") == nullptr);
    CHECK(target.InboxRows("shopify") == 3);
    CheckStillServes(target);
  }

  SECTION("duplicate keys: the last one wins, as in JavaScript's JSON.parse") {
    const std::string twice = Mutate(customer, "\n}", ",\n  \"email\": \"second@example.com\"\n}");
    auto r = target.Post("/webhooks/shopify", twice,
                         ShopifyHeaders(twice, "dup-keys", "customers/create"));
    REQUIRE(r.status == 200);
    auto mapped = target.MappedEvent("shopify", "dup-keys");
    REQUIRE(mapped.record);
    CHECK(mapped.record->at("identities").at(0) ==
          json::parse(R"({"type": "email", "value": "second@example.com"})"));
    // Stripe takes its idempotency key from the body: the same rule there.
    const std::string event = Mutate(Fixture("stripe/customer_created.assembled.json"), "\n}",
                                     ",\n  \"id\": \"evt_duplicate_key_last\"\n}");
    r = target.Post("/webhooks/stripe", event, StripeHeaders(event, UnixNow()));
    REQUIRE(r.status == 200);
    CHECK(target.MappedEvent("stripe", "evt_duplicate_key_last").record);
    CheckStillServes(target);
  }
}

TEST_CASE("replayed and expired signatures: duplicates stored once, stale ones 401",
          "[hostile]") {
  Target target;
  REQUIRE(target.Start());
  const int64_t now = UnixNow();

  SECTION("Stripe: the published vector is stale; a replay is a duplicate") {
    // The fixture's vector, exactly as published: a valid signature from 2023, far outside the
    // 5-minute tolerance.
    const auto vector = Vectors("stripe/signature_test_vectors.json").at("vectors").at(1);
    const std::string body = Fixture("stripe/" + Text(vector.at("body_file")));
    auto stale = target.Post("/webhooks/stripe", body,
                             {{"Content-Type", "application/json"},
                              {"Stripe-Signature", Text(vector.at("expected_Stripe-Signature"))}});
    CHECK(stale.status == 401);
    CHECK(ErrorCode(stale) == "unauthenticated");
    CHECK_THAT(stale.body, !Catch::Contains("tolerance"));  // no hint of which part failed
    CHECK_THAT(target.LatestIssue("stripe", "signature_failure"), Catch::Contains("tolerance"));
    // From the future, and signed over another body.
    auto future = target.Post("/webhooks/stripe", body, StripeHeaders(body, now + 600));
    CHECK(future.status == 401);
    auto forged = StripeHeaders(body + " ", now);
    CHECK(target.Post("/webhooks/stripe", body, forged).status == 401);
    CHECK(target.InboxRows("stripe") == 0);

    // Fresh: stored. The very same request again (a replay within the tolerance), and Stripe's
    // own retry (signed anew): acknowledged as duplicates, stored once.
    const Headers fresh = StripeHeaders(body, now);
    auto first = target.Post("/webhooks/stripe", body, fresh);
    CHECK(first.status == 200);
    CHECK(json::parse(first.body).at("stored") == 1);
    auto replay = target.Post("/webhooks/stripe", body, fresh);
    CHECK(replay.status == 200);
    CHECK(json::parse(replay.body).at("stored") == 0);
    CHECK(json::parse(replay.body).at("duplicates") == 1);
    auto retry = target.Post("/webhooks/stripe", body, StripeHeaders(body, now + 1));
    CHECK(json::parse(retry.body).at("duplicates") == 1);
    CHECK(target.InboxRows("stripe") == 1);

    CHECK(target.SourceStat("stripe", "signature_failures") == 3);
    CHECK(target.SourceStat("stripe", "duplicates") == 2);
    CHECK(target.Webhooks("stripe", "signature_failure") == 3);
    CHECK(target.Issues("stripe", "signature_failure") == 3);
  }

  SECTION("Standard Webhooks: the official vector is stale; a replayed webhook-id is a duplicate") {
    const auto vector = Vectors("standard-webhooks/test_vectors.json").at("vectors").at(0);
    const std::string body = Text(vector.at("body"));
    const std::string id = Text(vector.at("webhook-id"));
    const Headers published = {
        {"Content-Type", "application/json"},
        {"webhook-id", id},
        {"webhook-timestamp", Text(vector.at("webhook-timestamp"))},
        {"webhook-signature", Text(vector.at("expected_webhook-signature"))}};
    auto stale = target.Post("/webhooks/svix", body, published);
    CHECK(stale.status == 401);
    CHECK_THAT(target.LatestIssue("svix", "signature_failure"), Catch::Contains("tolerance"));
    CHECK(target.Post("/webhooks/svix", body, SvixHeaders(body, id, now - 600)).status == 401);

    const Headers fresh = SvixHeaders(body, id, now);
    CHECK(json::parse(target.Post("/webhooks/svix", body, fresh).body).at("stored") == 1);
    CHECK(json::parse(target.Post("/webhooks/svix", body, fresh).body).at("duplicates") == 1);
    CHECK(json::parse(target.Post("/webhooks/svix", body, SvixHeaders(body, id, now + 2)).body)
              .at("duplicates") == 1);
    CHECK(target.InboxRows("svix") == 1);
    CHECK(target.SourceStat("svix", "signature_failures") == 2);
    CHECK(target.Webhooks("svix", "signature_failure") == 2);
  }

  SECTION("Zendesk and HubSpot v3: stale timestamps 401, replays duplicates") {
    const std::string ticket = Fixture("zendesk/ticket_created.captured.json");
    CHECK(target.Post("/webhooks/zendesk", ticket, ZendeskHeaders(ticket, now - 600)).status ==
          401);
    const Headers zendesk = ZendeskHeaders(ticket, now);
    CHECK(json::parse(target.Post("/webhooks/zendesk", ticket, zendesk).body).at("stored") == 1);
    CHECK(json::parse(target.Post("/webhooks/zendesk", ticket, zendesk).body).at("duplicates") ==
          1);
    CHECK(target.InboxRows("zendesk") == 1);

    const std::string batch = Fixture("hubspot/contact_creation.docs_example.json");
    CHECK(target.Post("/webhooks/hubspot", batch, HubSpotHeaders(batch, (now - 600) * 1000))
              .status == 401);
    // HubSpot's v1/v2 signatures carry no timestamp: replayable forever, so refused.
    auto v1 = target.Post("/webhooks/hubspot", batch,
                          {{"Content-Type", "application/json"},
                           {"X-HubSpot-Signature-Version", "v1"},
                           {"X-HubSpot-Signature", std::string(64, 'a')}});
    CHECK(v1.status == 401);
    const Headers hubspot = HubSpotHeaders(batch, now * 1000);
    CHECK(json::parse(target.Post("/webhooks/hubspot", batch, hubspot).body).at("stored") == 1);
    CHECK(json::parse(target.Post("/webhooks/hubspot", batch, hubspot).body).at("duplicates") ==
          1);
    CHECK(target.InboxRows("hubspot") == 1);

    CHECK(target.SourceStat("zendesk", "signature_failures") == 1);
    CHECK(target.SourceStat("hubspot", "signature_failures") == 2);
    CHECK(target.Issues("hubspot", "signature_failure") == 2);
  }
  CheckStillServes(target);
}

// Raises this process's open-files limit so that `wanted` sockets fit (the daemon inherits it).
size_t RaiseFileLimit(size_t wanted) {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur < wanted + 256) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, wanted + 256);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  }
  return std::min<size_t>(wanted, limit.rlim_cur - 256);
}

std::vector<int> OpenIdle(const Target& target, size_t n) {
  std::vector<int> fds;
  fds.reserve(n);
  for (size_t i = 0; i < n; ++i) fds.push_back(ConnectRaw(target));
  return fds;
}

// How many of `fds` the server has closed (EOF or reset) within `timeout`, and what they read.
size_t ClosedBy(const std::vector<int>& fds, Clock::duration timeout,
                size_t* answered_503 = nullptr) {
  size_t closed = 0;
  const auto deadline = Clock::now() + timeout;
  std::vector<bool> done(fds.size(), false);
  while (closed < fds.size() && Clock::now() < deadline) {
    std::vector<pollfd> polls;
    std::vector<size_t> index;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!done[i]) {
        polls.push_back({fds[i], POLLIN, 0});
        index.push_back(i);
      }
    }
    if (::poll(polls.data(), polls.size(), 50) <= 0) continue;
    for (size_t k = 0; k < polls.size(); ++k) {
      if (polls[k].revents == 0) continue;
      char buffer[512];
      const ssize_t n = ::recv(polls[k].fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        if (answered_503 != nullptr &&
            std::string_view(buffer, static_cast<size_t>(n)).starts_with("HTTP/1.1 503") &&
            std::string_view(buffer, static_cast<size_t>(n)).find("Retry-After: 1") !=
                std::string_view::npos) {
          ++*answered_503;
        }
        continue;  // the close follows
      }
      done[index[k]] = true;
      ++closed;
    }
  }
  return closed;
}

TEST_CASE("slow and idle clients are cut off while others are served", "[hostile]") {
  SECTION("slow loris: headers at one byte a second are cut off after header_timeout") {
    Target target;
    REQUIRE(target.Start());
    const int fd = ConnectRaw(target);
    const std::string head = RequestHead("POST /webhooks/shopify HTTP/1.1",
                                         {{"Content-Type", "application/json"}});
    std::atomic<bool> cut{false};
    const auto started = Clock::now();
    std::thread loris([&] {
      for (char byte : head) {
        if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) > 0) {  // the server closed (or answered): stop
          cut = true;
          break;
        }
      }
    });
    // Meanwhile, others are served at once.
    std::this_thread::sleep_for(500ms);
    const auto served_at = Clock::now();
    CheckStillServes(target);
    CHECK(Clock::now() - served_at < 1s);
    CHECK_FALSE(cut.load());
    loris.join();
    const auto took = Clock::now() - started;
    CHECK(cut.load());
    CHECK(took >= 1500ms);
    CHECK(took < 4s);  // header_timeout is 2 s, from the first byte, however slow the rest
    char byte;
    CHECK(::recv(fd, &byte, 1, 0) <= 0);  // cut off without an answer
    ::close(fd);
    CHECK(target.InboxRows() == 1);
  }

  SECTION("2,000 idle connections: a new client is served, the idle ones closed in time") {
    const size_t n = RaiseFileLimit(2000);
    REQUIRE(n >= 1000);
    Target target(4096);
    REQUIRE(target.Start());
    const auto opened = Clock::now();
    auto idle = OpenIdle(target, n);
    CheckStillServes(target);
    // A keep-alive connection after one request is closed after idle_timeout too.
    auto kept = HttpConnection::Connect(target.host(), target.port());
    REQUIRE(kept.ok());
    REQUIRE((*kept)->Request("GET", "/healthz")->status == 200);
    CHECK(ClosedBy(idle, 6s) == idle.size());
    CHECK(Clock::now() - opened < 5s);  // header_timeout is 2 s
    CHECK((*kept)->ClosedByPeer(3s));
    for (int fd : idle) ::close(fd);
    CheckStillServes(target);
  }

  SECTION("past max_connections: 503 with Retry-After: 1, and served again once they go") {
    Target target(64);
    REQUIRE(target.Start());
    std::this_thread::sleep_for(100ms);  // the readiness probes' connections are let go
    auto idle = OpenIdle(target, 200);
    size_t refused = 0;
    // The 136 or so past the cap are answered 503 and closed at once.
    const size_t closed_early = ClosedBy(idle, 500ms, &refused);
    CHECK(refused >= 130);
    CHECK(refused <= 136);
    CHECK(closed_early == refused);
    auto busy = Raw(target, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(busy.status() == 503);
    CHECK(busy.header("Retry-After") == "1");
    CHECK(busy.error_code() == "unavailable");
    // The idle ones are cut off after header_timeout; then a new client is served.
    CHECK(ClosedBy(idle, 5s) == idle.size());
    for (int fd : idle) ::close(fd);
    int status = 0;
    for (auto deadline = Clock::now() + 3s; status != 200 && Clock::now() < deadline;) {
      auto r = HttpGet(target.host(), target.port(), "/healthz");
      status = r.ok() ? r->status : 0;
      if (status != 200) std::this_thread::sleep_for(50ms);
    }
    CHECK(status == 200);
    CheckStillServes(target);
  }

  SECTION("out of file descriptors: no busy loop, no log flood, served once fds free up") {
    // The daemon gets a limit of 128 open files (it inherits this process's) but may hold 1024
    // connections: accept() fails with EMFILE once the descriptors run out.
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE(saved.rlim_cur >= 1024);
    Target target(1024);
    rlimit low = saved;
    low.rlim_cur = 128;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    const bool started = target.Start();
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE(started);

    auto idle = OpenIdle(target, 200);  // the kernel queues what the daemon cannot accept
    std::this_thread::sleep_for(1s);
    const std::string log = target.daemon().log();
    size_t warnings = 0;
    for (size_t at = log.find("accept failed"); at != std::string::npos;
         at = log.find("accept failed", at + 1)) {
      ++warnings;
    }
    INFO(log.substr(0, 2000));
    CHECK(warnings >= 1);
    CHECK(warnings <= 5);
    CHECK_THAT(log, Catch::Contains("Too many open files"));
    // The held ones time out (header_timeout), the queued ones are accepted and time out in
    // turn; then a new client is served.
    CHECK(ClosedBy(idle, 10s) == idle.size());
    for (int fd : idle) ::close(fd);
    CheckStillServes(target);
    CHECK_THAT(target.daemon().log(), Catch::Contains("accepting connections again"));
  }
}

}  // namespace
}  // namespace journeyd::testing
