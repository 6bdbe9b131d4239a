// The delivery worker against a scripted target on a real loopback HTTP server and a real
// SQLite store: changed fields only, a batch refused whole is halved until the record at fault
// stands alone, transient failures are retried until max_age and then dead-lettered, an
// expired credential is renewed once, and a replayed dead letter goes out again.
#include "engine/delivery/delivery_worker.h"

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <mutex>

#include "engine/identity/golden_record.h"
#include "engine/pipeline/identity_stage.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/support/inbox.h"
#include "tests/support/temp_dir.h"

namespace journeyd::delivery {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

// A CRM of the test's making: POST {"items": [{"profile", "properties"}]}; the answer is
// {"results": [{"ok": true, "id"} | {"ok": false, "message"}]} or a whole-request status.
class ScriptedTarget final : public Target {
 public:
  explicit ScriptedTarget(std::string url) : url_(std::move(url)) {}
  TargetLimits limits() const override { return {100, 1000, 1000}; }
  PropertyMap Project(const PropertyMap& document) const override {
    PropertyMap out;
    for (const char* field : {"email", "first_name"}) {
      if (auto it = document.find(field); it != document.end()) out[field] = it->second;
    }
    return out;
  }
  std::string address_field() const override { return "email"; }
  std::unique_ptr<TargetSession> OpenSession() const override;
  mutable std::atomic<int> authorizations{0};

 private:
  std::string url_;
  friend class ScriptedSession;
};

class ScriptedSession final : public TargetSession {
 public:
  explicit ScriptedSession(const ScriptedTarget& target) : target_(target) {}
  std::vector<PlannedRequest> Plan(std::span<const DeliveryItem> items) override {
    PlannedRequest request;
    json::array body;
    for (size_t i = 0; i < items.size(); ++i) {
      json::object properties;
      for (const auto& [k, v] : items[i].changed) properties[k] = v;
      body.push_back({{"profile", items[i].profile_id}, {"properties", std::move(properties)}});
      request.items.push_back(i);
    }
    request.http.url = target_.url_;
    request.http.body = json::serialize(json::object{{"items", std::move(body)}});
    request.what = "upsert";
    return {request};
  }
  Status Authorize(HttpRequest& request, HttpTransport&) override {
    if (token_.empty()) token_ = "token-" + std::to_string(++target_.authorizations);
    request.headers.emplace_back("authorization", "Bearer " + token_);
    return OkStatus();
  }
  RequestOutcome Interpret(const PlannedRequest& request, std::span<const DeliveryItem>,
                           const HttpResponse& response) override {
    RequestOutcome out;
    if (response.status == 401) {
      out.reauthenticate = true;
      out.whole = Verdict::kRetry;
      return out;
    }
    if (response.status == 0 || response.status >= 500) {
      out.whole = Verdict::kRetry;
      out.message = "HTTP " + std::to_string(response.status);
      return out;
    }
    if (response.status != 200) {
      out.whole = Verdict::kRejected;
      out.message = response.body;
      return out;
    }
    const json::value body = json::parse(response.body);
    for (const auto& r : body.at("results").as_array()) {
      out.items.push_back(r.at("ok").as_bool()
                              ? ItemVerdict{Verdict::kDelivered,
                                            std::string(r.at("id").as_string()), ""}
                              : ItemVerdict{Verdict::kRejected, "",
                                            std::string(r.at("message").as_string())});
    }
    REQUIRE(out.items.size() == request.items.size());
    return out;
  }
  void InvalidateCredentials() override { token_.clear(); }

 private:
  const ScriptedTarget& target_;
  std::string token_;
};

std::unique_ptr<TargetSession> ScriptedTarget::OpenSession() const {
  return std::make_unique<ScriptedSession>(*this);
}

CanonicalRecord Person(const std::string& email, const std::string& first, int n) {
  CanonicalRecord r;
  r.source = "shop";
  r.event_type = "customer";
  r.external_id = email + "-" + std::to_string(n);
  r.occurred_at = std::chrono::system_clock::now() - std::chrono::hours(1) +
                  std::chrono::seconds(n);
  r.identities = {{"email", email}};
  r.traits.fields["first_name"] = first;
  return r;
}

// A store with the identity stage in front (it writes the outbox), a scripted CRM on loopback
// whose answers the test decides, and one worker.
struct Rig {
  explicit Rig(milliseconds max_age = milliseconds(60000)) {
    auto opened = storage::SqliteStore::Open(dir.path() / "d.db", std::chrono::seconds(1));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    settings.identifiers = {{"email", 0, false}};
    identity = std::make_unique<pipeline::IdentityStage>(*store, settings, clock,
                                                         pipeline::IdentityStageOptions{});
    REQUIRE(identity->Load().ok());
    server = std::make_unique<fakes::FakeHttpServer>(
        [this](const fakes::Request& r) {
          std::lock_guard lock(mu);
          requests.push_back(json::parse(r.body));
          tokens.push_back(r.header("authorization"));
          return answer(json::parse(r.body));
        },
        [](int status) { return fakes::Response(status, "{}"); });
    target = std::make_shared<ScriptedTarget>(server->base_url() + "/upsert");
    config::TargetEntry entry{"crm", "scripted", target, {}};
    entry.delivery.linger = milliseconds(0);
    entry.delivery.max_age = max_age;
    worker = std::make_unique<DeliveryWorker>(
        entry, *store,
        DeliveryPolicies{identity::MakeSurvivorshipPolicy({}), config::ConsentSettings{}, {}},
        clock);
  }
  void Add(const std::vector<CanonicalRecord>& records) {
    testing::CommitMappedRecords(*store, records);
    REQUIRE(identity->RunOnce().ok());
  }
  std::vector<storage::DeadLetterRow> Dead() {
    storage::DeadLetterFilter filter;
    auto rows = store->ListDeadLetters(filter);
    REQUIRE(rows.ok());
    return *rows;
  }
  // Every answer: all delivered unless `refuse` names the first_name to refuse.
  static fakes::Response AllOk(const json::value& body, const std::string& refuse_whole = "",
                               const std::string& refuse_one = "") {
    json::array results;
    for (const auto& item : body.at("items").as_array()) {
      const auto& props = item.at("properties").as_object();
      const std::string first =
          props.contains("first_name") ? std::string(props.at("first_name").as_string()) : "";
      if (!refuse_whole.empty() && first == refuse_whole) {
        return fakes::Response(400, "{\"message\":\"bad value for " + first + "\"}");
      }
      if (!refuse_one.empty() && first == refuse_one) {
        results.push_back({{"ok", false}, {"message", "INVALID: " + first}});
      } else {
        results.push_back({{"ok", true}, {"id", "crm-" + std::to_string(item.at("profile")
                                                                              .as_int64())}});
      }
    }
    return fakes::Response(200, json::serialize(json::object{{"results", results}}));
  }

  testing::TempDir dir;
  std::unique_ptr<storage::SqliteStore> store;
  SystemClock clock;
  config::IdentitySettings settings;
  std::unique_ptr<pipeline::IdentityStage> identity;
  std::mutex mu;
  std::vector<json::value> requests;  // GUARDED_BY(mu)
  std::vector<std::string> tokens;    // GUARDED_BY(mu)
  std::function<fakes::Response(const json::value&)> answer = [](const json::value& b) {
    return AllOk(b);
  };
  std::unique_ptr<fakes::FakeHttpServer> server;
  std::shared_ptr<ScriptedTarget> target;
  std::unique_ptr<DeliveryWorker> worker;
};

TEST_CASE("delivery sends changed fields only, once", "[delivery]") {
  Rig rig;
  rig.Add({Person("ann@example.com", "Ann", 1), Person("bob@example.com", "Bob", 2)});
  REQUIRE(rig.worker->RunUntilIdle().ok());
  REQUIRE(rig.requests.size() == 1);
  CHECK(rig.requests[0].at("items").as_array().size() == 2);
  CHECK(rig.requests[0].at("items").at(0).at("properties") ==
        json::object{{"email", "ann@example.com"}, {"first_name", "Ann"}});
  // The writeback.
  auto ann = rig.store->FindProfileByIdentifier("email", "ann@example.com");
  REQUIRE(ann.ok());
  auto ids = rig.store->ReadCrmIds(*ann);
  REQUIRE(ids.ok());
  CHECK(*ids == std::vector<std::pair<std::string, std::string>>{
                    {"crm", "crm-" + std::to_string(*ann)}});

  // Ann renamed: only first_name goes. Bob seen again unchanged: nothing goes.
  rig.Add({Person("ann@example.com", "Anne", 3), Person("bob@example.com", "Bob", 4)});
  REQUIRE(rig.worker->RunUntilIdle().ok());
  REQUIRE(rig.requests.size() == 2);
  CHECK(rig.requests[1].at("items") ==
        json::array{json::object{{"profile", *ann},
                                 {"properties", json::object{{"first_name", "Anne"}}}}});
  CHECK(rig.worker->counters().unchanged >= 1);
}

TEST_CASE("a profile's kept summary reads only its new records and starts over after a merge",
          "[delivery]") {
  Rig rig;
  rig.Add({Person("ann@example.com", "Ann", 10), Person("bob@example.com", "Bobby", 50)});
  REQUIRE(rig.worker->RunUntilIdle().ok());
  REQUIRE(rig.requests.size() == 1);
  CHECK(rig.worker->counters().records_summarized == 2);

  // Twenty more orders of Ann's, one round each: each round reads only the new record.
  for (int n = 11; n <= 30; ++n) {
    rig.Add({Person("ann@example.com", n == 30 ? "Annie" : "Ann", n)});
    REQUIRE(rig.worker->RunUntilIdle().ok());
  }
  CHECK(rig.worker->counters().records_summarized == 22);
  REQUIRE(rig.requests.size() == 2);  // only the rename to Annie changed anything
  CHECK(rig.requests[1].at("items").at(0).at("properties") ==
        json::object{{"first_name", "Annie"}});

  // A record that names both emails merges the profiles, and brings Bob's older records into
  // whichever survives: its summary must be rebuilt from all of them, not added to.
  auto ann = rig.store->FindProfileByIdentifier("email", "ann@example.com");
  auto bob = rig.store->FindProfileByIdentifier("email", "bob@example.com");
  REQUIRE(ann.ok());
  REQUIRE(bob.ok());
  CanonicalRecord both = Person("ann@example.com", "", 5);
  both.traits.fields.clear();
  both.identities.push_back({"email", "bob@example.com"});
  rig.Add({both});
  auto survivor = rig.store->ResolveProfile(*bob);
  REQUIRE(survivor.ok());
  REQUIRE(*survivor == *rig.store->ResolveProfile(*ann));
  REQUIRE(rig.worker->RunUntilIdle().ok());

  // What the CRM holds for the survivor, every request applied in order.
  std::map<std::string, std::string> crm;
  for (const auto& request : rig.requests) {
    for (const auto& item : request.at("items").as_array()) {
      if (item.at("profile").as_int64() != *survivor) continue;
      for (const auto& [k, v] : item.at("properties").as_object()) {
        crm[std::string(k)] = std::string(v.as_string());
      }
    }
  }
  // The golden record over all 23 records, most recent first: Bobby (minute 50) outlives
  // Annie (minute 30), bob@ (minute 50) outlives ann@.
  CHECK(crm["first_name"] == "Bobby");
  CHECK(crm["email"] == "bob@example.com");
  // 22 before, then all 23 again (an incremental read would have added 1).
  CHECK(rig.worker->counters().records_summarized == 22 + 23);
}

TEST_CASE("a batch refused whole is halved until the record at fault stands alone",
          "[delivery]") {
  Rig rig;
  rig.answer = [](const json::value& b) { return Rig::AllOk(b, "Eve"); };
  std::vector<CanonicalRecord> people;
  for (int i = 0; i < 8; ++i) {
    people.push_back(Person("p" + std::to_string(i) + "@example.com",
                            i == 5 ? "Eve" : "P" + std::to_string(i), i));
  }
  rig.Add(people);
  REQUIRE(rig.worker->RunUntilIdle().ok());
  // 8 -> 4+4 -> the clean half goes; 2+2 -> 1+1: log2(8) levels of halving.
  CHECK(rig.requests.size() == 7);
  const auto dead = rig.Dead();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message == "{\"message\":\"bad value for Eve\"}");
  CHECK(dead[0].kind == "profile");
  CHECK(rig.worker->counters().delivered == 7);

  // A per-record refusal needs no halving; the rest of the batch goes.
  rig.answer = [](const json::value& b) { return Rig::AllOk(b, "", "Zed"); };
  rig.Add({Person("z@example.com", "Zed", 20), Person("y@example.com", "Yan", 21)});
  const size_t before = rig.requests.size();
  REQUIRE(rig.worker->RunUntilIdle().ok());
  CHECK(rig.requests.size() == before + 1);
  REQUIRE(rig.Dead().size() == 2);
  CHECK(rig.Dead()[0].message == "INVALID: Zed");

  // Replayed once the CRM accepts it: it goes as it stands now.
  rig.answer = [](const json::value& b) { return Rig::AllOk(b); };
  REQUIRE(rig.store->DecideDeadLetter(rig.Dead()[0].id, storage::DeadLetterStatus::kReplayed,
                                      "test", std::chrono::system_clock::now())
              .ok());
  REQUIRE(rig.worker->RunUntilIdle().ok());
  const auto& last = rig.requests.back().at("items");
  REQUIRE(last.as_array().size() == 1);
  CHECK(last.at(0).at("properties").at("first_name") == "Zed");
}

TEST_CASE("transient failures are retried, then dead-lettered past max_age", "[delivery]") {
  Rig rig(milliseconds(1500));
  int failures = 2;
  rig.answer = [&](const json::value& b) {
    if (failures-- > 0) return fakes::Response(503, "{}");
    return Rig::AllOk(b);
  };
  rig.Add({Person("ann@example.com", "Ann", 1)});
  REQUIRE(rig.worker->RunUntilIdle().ok());
  CHECK(rig.requests.size() == 3);  // two 503s, then the one that went
  CHECK(rig.Dead().empty());
  CHECK(rig.worker->counters().retries == 2);

  // A CRM that never recovers: dead-lettered once the change is older than max_age.
  rig.answer = [](const json::value&) { return fakes::Response(503, "{}"); };
  rig.Add({Person("bob@example.com", "Bob", 2)});
  REQUIRE(rig.worker->RunUntilIdle().ok());
  const auto dead = rig.Dead();
  REQUIRE(dead.size() == 1);
  CHECK_THAT(dead[0].message, Catch::StartsWith("gave up after"));
  CHECK(rig.store->ListDeliveryStats({"crm"})->at(0).pending == 0);
}

TEST_CASE("an expired credential is renewed once and the request retried", "[delivery]") {
  Rig rig;
  bool expired = true;
  rig.answer = [&](const json::value& b) {
    if (expired) {
      expired = false;
      return fakes::Response(401, "{}");
    }
    return Rig::AllOk(b);
  };
  rig.Add({Person("ann@example.com", "Ann", 1)});
  REQUIRE(rig.worker->RunUntilIdle().ok());
  REQUIRE(rig.tokens.size() == 2);
  CHECK(rig.tokens[0] == "Bearer token-1");
  CHECK(rig.tokens[1] == "Bearer token-2");
  CHECK(rig.Dead().empty());
  CHECK(rig.worker->counters().delivered == 1);
}

}  // namespace
}  // namespace journeyd::delivery
