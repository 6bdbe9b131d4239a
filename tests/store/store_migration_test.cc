// `journeyd migrate` at the store level (engine/storage/sqlite_to_postgres.h): a SQLite store
// filled through the Store interface as the stages fill it, copied into PostgreSQL, must read
// back the same through the interface, and take new rows without an id clash. Also: the two
// schemas must stay twins, and a copy is refused (or fails) without leaving rows behind.
#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "engine/storage/migration.h"
#include "engine/storage/postgres/pg_connection.h"
#include "engine/storage/postgres/pg_migrate.h"
#include "engine/storage/postgres/pg_store.h"
#include "engine/storage/sqlite/sqlite_db.h"
#include "engine/storage/sqlite/sqlite_store.h"
#include "engine/storage/sqlite_to_postgres.h"
#include "tests/store/contract_helpers.h"
#include "tests/support/postgres.h"
#include "tests/support/temp_dir.h"

namespace journeyd::storage::contract {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<SqliteStore> OpenSqlite(const std::filesystem::path& path) {
  return Must(SqliteStore::Open(path, 5s));
}

std::unique_ptr<PgStore> OpenPg(const std::string& url) {
  return Must(PgStore::Open(url, PgStore::Options{}));
}

// What the stages would have written over a while, through the Store interface: two daemon
// runs, a lease, intake with rejections, a polled page, quarantine, identity with a review, a
// merge, a rejected review and a pending split, a journey, a delivery round with a dead letter
// and an item in flight, sync runs (one left running), the journey fingerprint and the salt.
void FillInstallation(Store& store) {
  for (int64_t start : {-1000, -900}) {
    auto run = Must(store.RecordStart("0.1.0", T(start)));
    RequireOk(store.RecordStop(run.run_id, T(start + 50)));
  }
  REQUIRE(Must(store.AcquireLease("identity", "old-host:42:1717405200", 15s)));

  const auto bob = SeedBobAndJon(store, "mig-");
  // More identity: jane (profile 3) might be bob, an admin says she is not; ann (4) is merged
  // into jon (2) by a record holding both emails.
  const auto more = SeedRecords(
      store, {Spec("mig-4", T(-300), {{"email", "jane@example.com"}}),
              Spec("mig-5", T(-250), {{"email", "ann@example.com"}}),
              Spec("mig-6", T(-200), {{"email", "jon@example.com"}, {"email", "ann@example.com"}})});
  IdentityBatch identity;
  identity.at = T(200);
  IdentityBatch::Step jane = NewProfileStep(more[0], 3, {{"email", "jane@example.com"}});
  jane.reviews.push_back({1, 3, 0.72, R"({"name":0.91,"zip":0.5})"});
  identity.steps.push_back(jane);
  identity.steps.push_back(NewProfileStep(more[1], 4, {{"email", "ann@example.com"}}));
  IdentityBatch::Step joined = JoinStep(more[2], 2);
  joined.merges.push_back({2, 4, "identifier", "email", "ann@example.com", 1.0,
                           "both hold email ann@example.com"});
  identity.steps.push_back(joined);
  identity.cursor = more[2].id;
  RequireOk(store.CommitIdentity(identity));
  const int64_t review = Must(store.ListReviews("open", 0, 10)).at(0).id;
  IdentityAction reject;
  reject.kind = IdentityActionKind::kRejectReview;
  reject.review_id = review;
  IdentityActionOutcome rejected;
  rejected.action_id = Must(store.QueueIdentityAction(reject, T(210)));
  rejected.done = true;
  rejected.result = "kept apart";
  rejected.review_id = review;
  rejected.review_status = "rejected";
  rejected.separation = {1, 3};
  rejected.at = T(220);
  RequireOk(store.CommitIdentityAction(rejected));
  IdentityAction split;
  split.kind = IdentityActionKind::kSplit;
  split.profile_id = 1;
  split.records = {bob[1].id};
  (void)Must(store.QueueIdentityAction(split, T(230)));

  // The journey, under a definition's fingerprint.
  RequireOk(store.ChangeJourneyFingerprint("journey-v1:6f1c"));
  JourneyBatch journey;
  journey.at = T(500);
  TouchpointRow order;
  order.id = 1;
  order.record_id = bob[0].id;
  order.profile_id = 1;
  order.source = "shopify";
  order.type = "order_placed";
  order.channel = "web";
  order.occurred_at = T(-400);
  order.value = "199.65";
  order.currency = "EUR";
  order.reference = "820982911946154508";
  order.campaign_json = R"({"source":"newsletter","name":"été-sale"})";
  order.attributes_json = R"({"items":3})";
  TouchpointRow page = order;
  page.id = 2;
  page.record_id = bob[1].id;
  page.source = "tracking";
  page.type = "page_viewed";
  page.value = page.currency = "";
  page.reference = "/products/sneaker";
  page.occurred_at = T(-500);
  journey.touchpoints = {order, page};
  journey.keys = {{"shopify|order_placed|820982911946154508", 1, "shopify", "order_placed",
                   "820982911946154508", bob[0].id, ""},
                  {"tracking|page_viewed|/products/sneaker", 2, "tracking", "page_viewed",
                   "/products/sneaker", bob[1].id, ""}};
  journey.match_keys = {{"order_payment", "EUR|199.65|bob@example.com", 1, T(-400)}};
  JourneyBatch::Profile state;
  state.state.profile_id = 1;
  state.state.stage = "customer";
  state.state.first_source = "tracking";
  state.state.last_activity = T(-400);
  state.state.next_check_at = T(3600);
  state.state.engagement = 12.5;
  state.state.health = 0.1 + 0.2;  // a double that only survives as its exact bits
  state.state.state_json = R"({"stage":"customer","orders":1})";
  JourneyTransitionRow lead;
  lead.kind = "stage";
  lead.to = "lead";
  lead.at = T(-500);
  lead.touchpoint_id = 2;
  lead.exit_ordinal = 1;
  JourneyTransitionRow customer = lead;
  customer.from = "lead";
  customer.to = "customer";
  customer.at = T(-400);
  customer.touchpoint_id = 1;
  customer.enter_ordinal = 1;
  customer.exit_ordinal = 2;
  state.transitions = {lead, customer};
  journey.profiles.push_back(state);
  JourneyActionRow welcome;
  welcome.key = "1|stage:customer|welcome_task|preview";
  welcome.profile_id = 1;
  welcome.action = "welcome_task";
  welcome.target = "preview";
  welcome.kind = "task";
  welcome.payload = R"({"subject":"Welcome call"})";
  welcome.at = T(-400);
  journey.actions.push_back(welcome);
  journey.cursor = bob[1].id;
  RequireOk(store.CommitJourney(journey));

  // A delivery round: a profile and a touchpoint acknowledged, a dead letter, a request, and
  // an item whose answer never came.
  const auto outbox = Must(store.ReadOutbox("preview", 0, 100));
  REQUIRE(outbox.size() >= 3);
  RequireOk(store.MarkInFlight("preview", {TouchpointDeliveryKey(1)}, T(590)));
  DeliveryCommit round;
  round.target = "preview";
  round.at = T(600);
  round.profiles = {{1, "crm-0001", R"({"email":"bob@example.com","lifecyclestage":"customer"})"}};
  round.delivered_keys = {TouchpointDeliveryKey(2)};
  DeadLetterRow dead;
  dead.kind = "profile";
  dead.profile_id = 2;
  dead.item_key = "profile:2";
  dead.message = "REQUIRED_FIELD_MISSING: LastName";
  dead.request_json = R"({"properties":{"email":"jon@example.com"}})";
  dead.attempts = 5;
  round.dead = {dead};
  DeliveryRequestRow request;
  request.method = "POST";
  request.url = "https://crm.example.com/contacts/batch";
  request.body = R"({"inputs":[{"email":"bob@example.com"}]})";
  request.what = "2 profiles";
  request.items = 2;
  request.status = 400;
  request.message = "Property values were not valid";
  request.at = T(600);
  round.requests = {request};
  round.actions = {{Must(store.ListJourneyActions("", 0, 1)).at(0).id, "delivered"}};
  round.delivered = 2;
  round.failures = 1;
  round.last_error = "HTTP 400: Property values were not valid";
  round.cursor = outbox[2].id;
  RequireOk(store.CommitDelivery(round));

  // Intake at the door: a rejection, a signature failure, an event without a vendor id, bodies
  // of any bytes, and a polled page with its stream state and an imported file.
  const RawEvent plain = Event("zendesk", "ticket.created", "", R"({"ticket":{"subject":"Zoë 🚀"}})",
                               T(700));
  const RawEvent binary = Event("pos", "", "row-1", std::string("\xff\x00\x01\x7f,\"a\"\n", 9),
                                T(701));
  IntakeBatch door;
  door.records = {Inbox(plain), Inbox(binary)};
  door.received = {{"zendesk", 2}, {"pos", 1}, {"shopify", 1}};
  door.rejections = {{"zendesk", IntakeRejectionKind::kRejected, "malformed_payload",
                      "body is not JSON: unexpected end of input at byte 17", T(702)},
                     {"shopify", IntakeRejectionKind::kSignatureFailure, "signature_failure",
                      "X-Shopify-Hmac-Sha256 does not match the body", T(703)}};
  door.poll_states = {{"shopify", "orders", R"({"cursor":"2024-06-03T09:10:00Z"})", T(704)}};
  door.imported_files = {{"pos", std::string(64, 'a'), "till-2024-06-03.csv", 9, 1, T(705)}};
  REQUIRE(Must(store.CommitIntake(door)).size() == 2);
  // Both quarantined: one broke a rule, one did not map; and an erased person's event.
  const RawEvent erased = Event("shopify", "orders/create", "mig-9",
                                Fixture("webhooks/shopify/orders_create.json"), T(706));
  IntakeBatch later;
  later.records = {Inbox(erased, true)};
  REQUIRE(Must(store.CommitIntake(later)).size() == 1);
  const auto pending = Must(store.ReadPendingInbox(10));
  REQUIRE(pending.size() == 3);
  MappedBatch mapped;
  mapped.at = T(710);
  mapped.quarantined = {
      {pending[0].id, "zendesk", "ticket.created", "",
       R"([{"rule":"has_identity","field":"identities","check":"required","message":"no identity"}])",
       {"has_identity"}, CanonicalJson(Spec("", T(700)))},
      {pending[1].id, "pos", "", "row-1",
       R"([{"rule":"mapping","field":"","check":"mapping","message":"bad CSV"}])", {"mapping"},
       ""}};
  mapped.issues = {{pending[1].id, "mapping_failed", "pos", "bad CSV row 1"}};
  mapped.suppressed = {{pending[2].id, "shopify"}};
  mapped.processed = {pending[0].id, pending[1].id, pending[2].id};
  RequireOk(store.CommitMapped(mapped));
  (void)Must(store.SuppressionSalt());

  // Sync runs: one finished, one the stopped instance left running.
  SyncRun done;
  done.source = "shopify";
  done.trigger = "schedule";
  done.started_at = T(800);
  done.cursor_before = "2024-06-03T08:00:00Z";
  done.id = Must(store.StartSyncRun(done));
  done.status = "succeeded";
  done.ended_at = T(805);
  done.pages = 3;
  done.records = 450;
  done.cursor_after = "2024-06-03T09:10:00Z";
  RequireOk(store.FinishSyncRun(done));
  SyncRun cut = done;
  cut.status = "running";
  cut.started_at = T(900);
  cut.ended_at.reset();
  cut.detail = "orders";
  (void)Must(store.StartSyncRun(cut));
}

std::string Ms(TimePoint t) { return std::to_string(ToMillis(t)); }
std::string Ms(const std::optional<TimePoint>& t) { return t ? Ms(*t) : "-"; }

// Everything the Store interface reads back, as text: two stores that dump the same hold the
// same for every stage. Sync runs and leases are left out (the copy changes them on purpose).
std::string Dump(Store& store) {
  std::ostringstream out;
  out.precision(17);
  for (const auto& s : Must(store.ListSourceStats())) {
    out << "stats " << s.source << " " << s.received << " " << s.accepted << " " << s.duplicates
        << " " << s.rejected << " " << s.signature_failures << " " << s.suppressed << " "
        << Ms(s.last_event_at) << "\n";
  }
  for (const auto& e : Must(store.ReadInbox(0, 1000))) {
    out << "inbox " << e.id << " " << e.event.source << " " << e.event.event_type << " ["
        << e.event.external_id << "] " << e.event.content_type << " " << Ms(e.event.received_at)
        << " " << e.event.body.size() << ":" << e.event.body << "\n";
    for (const auto& [name, value] : e.event.headers) out << "  " << name << "=" << value << "\n";
  }
  out << "pending " << Must(store.CountPendingInbox()) << "\n";
  for (const auto& r : Must(store.ReadRecords(0, 1000))) {
    out << "record " << r.id << " " << r.inbox_id << " " << r.source << " " << r.event_type
        << " " << r.json << "\n";
  }
  for (const char* stage : {"identity", "journey", "mapping"}) {
    out << "cursor " << stage << " " << Must(store.ReadStageCursor(stage)) << "\n";
  }
  RequireOk(store.ScanPlacedRecords([&](PlacedRecord&& r) {
    out << "placed " << r.record_id << " " << r.profile_id << "\n";
  }));
  // The start-up scans promise no order: their lines are sorted.
  std::vector<std::string> unordered;
  auto flush = [&] {
    std::sort(unordered.begin(), unordered.end());
    for (const std::string& line : unordered) out << line << "\n";
    unordered.clear();
  };
  RequireOk(store.ScanIdentifiers([&](std::string type, std::string value, int64_t profile) {
    unordered.push_back("identifier " + type + " " + value + " " + std::to_string(profile));
  }));
  RequireOk(store.ScanSeparations([&](int64_t a, int64_t b) {
    unordered.push_back("separation " + std::to_string(a) + " " + std::to_string(b));
  }));
  flush();
  const int64_t max_profile = Must(store.MaxProfileId());
  out << "max profile " << max_profile << "\n";
  RequireOk(store.ScanProfileRecords([&](const ProfileRecordRow& r) {
    out << "export " << r.profile_id << " " << r.record_id << " " << r.source << " "
        << r.external_id << " " << r.event_type << " " << Ms(r.occurred_at) << "\n";
  }));
  for (int64_t id = 1; id <= max_profile; ++id) {
    auto resolved = store.ResolveProfile(id);
    out << "resolve " << id << " " << (resolved.ok() ? std::to_string(*resolved) : "-") << "\n";
    auto p = store.ReadProfile(id);
    if (!p.ok()) continue;
    out << "profile " << p->id << " " << Ms(p->created_at) << " " << Ms(p->updated_at) << "\n";
    for (int64_t a : p->absorbed) out << "  absorbed " << a << "\n";
    for (const auto& [t, v] : p->identifiers) out << "  id " << t << " " << v << "\n";
    for (const auto& m : p->merges) {
      out << "  merge " << m.id << " " << m.into << "<-" << m.from << " " << m.rule << " "
          << m.identifier_type << " " << m.identifier_value << " " << m.record_id << " "
          << m.probability << " " << m.details << " " << Ms(m.at) << "\n";
    }
    for (const auto& t : Must(store.ReadProfileTouchpoints(id))) {
      out << "  touchpoint " << t.id << " " << t.record_id << " " << t.profile_id << " "
          << t.source << " " << t.type << " " << t.channel << " " << Ms(t.occurred_at) << " "
          << t.value << " " << t.currency << " " << t.reference << " " << t.campaign_json << " "
          << t.attributes_json << "\n";
    }
    for (const auto& k : Must(store.ReadProfileTouchpointKeys(id))) {
      out << "  key " << k.key << " " << k.touchpoint_id << " " << k.record_id << " " << k.rule
          << "\n";
    }
    for (const auto& [target, crm] : Must(store.ReadCrmIds(id))) {
      out << "  crm " << target << " " << crm << "\n";
    }
  }
  for (const auto& r : Must(store.ListReviews("", 0, 100))) {
    out << "review " << r.id << " " << r.profile_a << " " << r.profile_b << " " << r.record_id
        << " " << r.probability << " " << r.details << " " << r.status << " "
        << Ms(r.created_at) << "\n";
  }
  for (const auto& a : Must(store.ReadPendingIdentityActions())) {
    out << "action " << a.id << " " << static_cast<int>(a.kind) << " " << a.profile_id << " "
        << a.records.size() << " " << a.status << "\n";
  }
  QuarantineFilter any;
  any.status.reset();
  for (const auto& q : Must(store.ListQuarantine(any))) {
    out << "quarantine " << q.id << " " << q.inbox_id << " " << q.source << " " << q.event_type
        << " [" << q.external_id << "] " << q.reasons_json << " " << q.record_json << " "
        << static_cast<int>(q.status) << " " << Ms(q.created_at) << "\n";
    for (const auto& rule : q.rules) out << "  rule " << rule << "\n";
  }
  out << "salt " << Must(store.SuppressionSalt()) << "\n";
  out << "suppressions " << Must(store.CountSuppressions()) << "\n";
  out << "fingerprint " << Must(store.ReadJourneyFingerprint()) << "\n";
  out << "max touchpoint " << Must(store.MaxTouchpointId()) << "\n";
  for (int64_t id : Must(store.ReadJourneyDirty(100))) out << "dirty " << id << "\n";
  RequireOk(store.ScanJourneyStates([&](const JourneyStateRow& s) {
    std::ostringstream line;
    line.precision(17);
    line << "journey " << s.profile_id << " " << s.stage << " [" << s.side << "] "
         << s.first_source << " " << Ms(s.last_activity) << " " << Ms(s.next_check_at) << " "
         << s.engagement << " " << (s.health ? std::to_string(*s.health) : "-") << " "
         << s.state_json << " " << Ms(s.updated_at);
    unordered.push_back(line.str());
    if (s.health) CHECK(*s.health == 0.1 + 0.2);  // bit for bit
  }));
  RequireOk(store.ScanJourneyTransitions({}, [&](const JourneyTransitionRow& t) {
    std::ostringstream line;
    line << "transition " << t.id << " " << t.profile_id << " " << t.kind << " " << t.from
         << ">" << t.to << " " << Ms(t.at) << " " << t.touchpoint_id << " " << t.enter_ordinal
         << " " << t.exit_ordinal;
    unordered.push_back(line.str());
  }));
  flush();
  for (const auto& a : Must(store.ListJourneyActions("", 0, 100))) {
    out << "journey action " << a.id << " " << a.key << " " << a.payload << " " << a.status
        << " " << Ms(a.at) << " " << Ms(a.created_at) << "\n";
  }
  for (const auto& o : Must(store.ReadOutbox("preview", 0, 1000))) {
    out << "outbox " << o.id << " " << o.kind << " " << o.profile_id << " " << o.item_id << " ["
        << o.target << "] " << Ms(o.created_at) << "\n";
  }
  out << "delivery cursor " << Must(store.ReadDeliveryCursor("preview")) << "\n";
  for (const auto& [key, at] : Must(store.ReadInFlight("preview"))) {
    out << "in flight " << key << " " << Ms(at) << "\n";
  }
  for (const auto& s : Must(store.ListDeliveryStats({"preview"}))) {
    out << "delivery " << s.target << " " << s.cursor << " " << s.pending << " " << s.delivered
        << " " << s.dead << " " << s.requests << " " << s.failures << " " << s.dead_now << " "
        << Ms(s.last_success) << " " << Ms(s.last_failure) << " " << s.last_error << " "
        << Ms(s.oldest_pending) << "\n";
  }
  for (const auto& r : Must(store.ListDeliveryRequests("preview", 0, 100))) {
    out << "request " << r.id << " " << r.method << " " << r.url << " " << r.body << " " << r.what
        << " " << r.items << " " << r.status << " " << r.message << " " << Ms(r.at) << "\n";
  }
  DeadLetterFilter letters;
  letters.status.reset();
  for (const auto& d : Must(store.ListDeadLetters(letters))) {
    out << "dead " << d.id << " " << d.target << " " << d.kind << " " << d.profile_id << " "
        << d.item_id << " " << d.item_key << " " << d.message << " " << d.request_json << " "
        << d.attempts << " " << static_cast<int>(d.status) << " " << Ms(d.created_at) << "\n";
  }
  for (const auto& i : Must(store.ListIssues({}))) {
    out << "issue " << i.id << " " << i.kind << " " << i.source << " " << i.message << " "
        << Ms(i.created_at) << " " << i.inbox_id << "\n";
  }
  for (const auto& a : Must(store.ReadSourceActivity(At(0)))) {
    out << "activity " << a.source << " " << Ms(a.minute) << " " << a.received << " "
        << a.accepted << " " << a.duplicates << " " << a.rejected << " " << a.signature_failures
        << "\n";
  }
  for (const auto& t : Must(store.ReadIssueTrend(At(0)))) {
    out << "trend " << t.kind << " " << t.source << " " << Ms(t.hour) << " " << t.count << "\n";
  }
  const auto work = Must(store.CountOpenWork());
  out << "open work " << work.quarantined << " " << work.reviews_open << " " << work.dead_letters
      << "\n";
  for (const auto& p : Must(store.ListPollStates())) {
    out << "poll " << p.source << " " << p.stream << " " << p.state << " " << Ms(p.updated_at)
        << "\n";
  }
  auto file = Must(store.FindImportedFile("pos", std::string(64, 'a')));
  out << "imported " << (file ? file->name + " " + std::to_string(file->rows) : "-") << "\n";
  return out.str();
}

// The first line where two dumps differ, for a failure message people can read.
std::string FirstDifference(const std::string& expected, const std::string& actual) {
  std::istringstream a(expected), b(actual);
  std::string x, y;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, x));
    const bool more_b = static_cast<bool>(std::getline(b, y));
    if (!more_a && !more_b) return "none";
    if (!more_a || !more_b || x != y) {
      return "line " + std::to_string(line) + ":\n  SQLite:     " + (more_a ? x : "(end)") +
             "\n  PostgreSQL: " + (more_b ? y : "(end)");
    }
  }
}

std::vector<SyncRun> SyncRuns(Store& store) { return Must(store.ListSyncRuns({})); }

// The names and rows of every table in the PostgreSQL database.
std::map<std::string, int64_t> PgRowCounts(const std::string& url) {
  auto conn = Must(PgConnection::Open(url));
  std::map<std::string, int64_t> counts;
  for (const TableShape& t : Must(ReadPgTables(*conn))) {
    auto rows = Must(conn->Query("SELECT count(*) FROM \"" + t.name + "\""));
    counts[t.name] = rows.Int64(0, 0);
  }
  return counts;
}

TEST_CASE("postgres: every SQLite table has a PostgreSQL twin with the same columns",
          "[postgres][store][migrate]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TempDir dir;
  (void)OpenSqlite(dir.path() / "journeyd.db");
  auto sqlite_db = Must(SqliteDb::OpenReadOnly(dir.path() / "journeyd.db", 5s));
  const auto sqlite = Must(ReadSqliteTables(*sqlite_db));
  testing::TestDatabase db;
  auto conn = Must(PgConnection::Open(db.url()));
  CHECK(Must(MigratePostgres(*conn)) == SqliteMigrations().back().version);
  const auto pg = Must(ReadPgTables(*conn));

  // A migration added to one backend and not the other fails here, naming what differs.
  const Status same = CompareSchemas(sqlite, pg);
  INFO((same.ok() ? std::string("same") : same.error().message));
  REQUIRE(same.ok());
  CHECK(sqlite.size() == pg.size());
  CHECK(SqliteMigrations().size() == PostgresMigrations().size());

  SECTION("and the comparison names what would differ") {
    auto find = [](std::vector<TableShape>& tables, std::string_view name) -> TableShape& {
      for (TableShape& t : tables) {
        if (t.name == name) return t;
      }
      FAIL("no table " << name);
      throw std::logic_error("unreachable");
    };
    auto drifted = pg;
    find(drifted, "inbox").columns.pop_back();
    auto missing = CompareSchemas(sqlite, drifted);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::kCorruption);
    CHECK_THAT(missing.error().message,
               Catch::Contains("column inbox.") && Catch::Contains("not in PostgreSQL's"));

    drifted = pg;
    for (ColumnShape& c : find(drifted, "records").columns) {
      if (c.name == "occurred_at") c.type = "text";
    }
    auto retyped = CompareSchemas(sqlite, drifted);
    REQUIRE_FALSE(retyped.ok());
    CHECK_THAT(retyped.error().message,
               Catch::Contains("records.occurred_at is INTEGER in SQLite but text"));

    drifted = pg;
    drifted.push_back({"pg_only", {{"id", "bigint", true, true}}});
    auto extra = CompareSchemas(sqlite, drifted);
    REQUIRE_FALSE(extra.ok());
    CHECK_THAT(extra.error().message, Catch::Contains("table pg_only is in the PostgreSQL"));

    drifted = pg;
    for (ColumnShape& c : find(drifted, "inbox").columns) {
      if (c.name == "processed_at") c.not_null = true;
    }
    auto nullability = CompareSchemas(sqlite, drifted);
    REQUIRE_FALSE(nullability.ok());
    CHECK_THAT(nullability.error().message, Catch::Contains("inbox.processed_at is nullable"));
  }
}

TEST_CASE("postgres: migrate copies a SQLite store whole, and PostgreSQL reads it back the same",
          "[postgres][store][migrate]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TempDir dir;
  const auto path = dir.path() / "journeyd.db";
  std::string before;
  std::vector<SyncRun> runs_before;
  {
    auto sqlite = OpenSqlite(path);
    FillInstallation(*sqlite);
    before = Dump(*sqlite);
    runs_before = SyncRuns(*sqlite);
  }
  testing::TestDatabase db;
  std::vector<std::tuple<std::string, int64_t, int64_t>> progress;
  SqliteToPostgresOptions options;
  options.batch_rows = 2;  // several batches per table
  options.progress = [&](std::string_view table, int64_t copied, int64_t total) {
    progress.emplace_back(std::string(table), copied, total);
  };
  const auto report = Must(CopySqliteToPostgres(path, db.url(), options));

  SECTION("the report: every table in foreign-key order, leases left out, counts verified") {
    CHECK(report.schema_version == SqliteMigrations().back().version);
    CHECK(report.interrupted_sync_runs == 1);
    CHECK(report.target.find("postgresql database") == 0);
    std::map<std::string, size_t> position;
    int64_t total = 0;
    for (size_t i = 0; i < report.tables.size(); ++i) {
      position[report.tables[i].table] = i;
      total += report.tables[i].rows;
    }
    CHECK(total == report.total_rows);
    CHECK(position.at("inbox") < position.at("records"));
    CHECK(position.at("records") < position.at("touchpoints"));
    CHECK(position.at("touchpoints") < position.at("touchpoint_keys"));
    CHECK(position.at("quarantine") < position.at("quarantine_rules"));
    const TableCopy& leases = report.tables[position.at("leases")];
    CHECK(leases.rows == 0);
    CHECK_THAT(leases.skipped, Catch::Contains("instance-local"));
    CHECK(report.tables[position.at("inbox")].rows == 9);
    CHECK(report.tables[position.at("daemon_runs")].rows == 2);
    const auto counts = PgRowCounts(db.url());
    for (const TableCopy& t : report.tables) {
      INFO(t.table);
      CHECK(counts.at(t.table) == t.rows);
    }
    // Batches of two: the inbox's nine rows reported at 2, 4, 6, 8 and 9.
    std::vector<int64_t> inbox;
    for (const auto& [table, copied, of] : progress) {
      if (table == "inbox") {
        inbox.push_back(copied);
        CHECK(of == 9);
      }
    }
    CHECK(inbox == std::vector<int64_t>{2, 4, 6, 8, 9});
  }
  SECTION("PostgreSQL reads back what SQLite held, through the Store interface") {
    auto pg = OpenPg(db.url());
    const std::string after = Dump(*pg);
    INFO("first difference: " << FirstDifference(before, after));
    CHECK(after == before);
    CHECK(Must(pg->ListLeases()).empty());
    // The run the stopped instance left running is over; the rest as they were.
    const auto runs = SyncRuns(*pg);
    REQUIRE(runs.size() == 2);
    REQUIRE(runs_before.size() == 2);
    CHECK(runs_before[0].status == "running");
    CHECK(runs[0].id == runs_before[0].id);
    CHECK(runs[0].status == "failed");
    CHECK(runs[0].detail == "orders: interrupted (journeyd stopped during the run)");
    CHECK(runs[0].ended_at.has_value());
    CHECK(runs[1].status == runs_before[1].status);
    CHECK(runs[1].records == 450);
    CHECK(runs[1].ended_at == runs_before[1].ended_at);
  }
  SECTION("new rows in PostgreSQL take ids past the copied ones") {
    auto pg = OpenPg(db.url());
    auto start = Must(pg->RecordStart("0.2.0", T(2000)));
    CHECK_FALSE(start.previous_run_unclean);  // the last SQLite run stopped cleanly
    CHECK(start.run_id == 3);
    const auto inbox = Must(pg->ReadInbox(0, 100));
    const auto records = Must(pg->ReadRecords(0, 100));
    const auto fresh = SeedRecords(*pg, {Spec("mig-new", T(2001), {{"email", "kim@example.com"}})});
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0].id == records.back().id + 1);
    CHECK(fresh[0].inbox_id == inbox.back().id + 1);
    SyncRun run;
    run.source = "shopify";
    run.trigger = "manual";
    run.started_at = T(2002);
    CHECK(Must(pg->StartSyncRun(run)) == 3);
    IdentityAction split;
    split.kind = IdentityActionKind::kSplit;
    split.profile_id = 1;
    split.records = {records[0].id};
    const auto pending = Must(pg->ReadPendingIdentityActions());
    CHECK(Must(pg->QueueIdentityAction(split, T(2003))) > pending.back().id);
    DeliveryCommit round;
    round.target = "preview";
    round.at = T(2004);
    DeadLetterRow dead;
    dead.kind = "profile";
    dead.profile_id = 1;
    dead.item_key = "profile:1";
    dead.message = "again";
    dead.request_json = "{}";
    dead.attempts = 1;
    round.dead = {dead};
    RequireOk(pg->CommitDelivery(round));
    DeadLetterFilter any;
    any.status.reset();
    const auto letters = Must(pg->ListDeadLetters(any));
    REQUIRE(letters.size() == 2);
    CHECK(letters[0].id == letters[1].id + 1);
    RequireOk(pg->CommitIntake(IntakeBatch{{}, {{"zendesk", IntakeRejectionKind::kRejected,
                                                 "malformed_payload", "again", T(2005)}},
                                           {}, {}, {}}));
    const auto issues = Must(pg->ListIssues({}));
    CHECK(issues[0].id == issues[1].id + 1);
  }
}

TEST_CASE("postgres: migrate refuses a target that holds rows, and leaves it as it was",
          "[postgres][store][migrate]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TempDir dir;
  const auto path = dir.path() / "journeyd.db";
  {
    auto sqlite = OpenSqlite(path);
    (void)SeedBobAndJon(*sqlite, "src-");
  }
  testing::TestDatabase db;
  {
    auto pg = OpenPg(db.url());
    (void)Must(pg->RecordStart("0.1.0", T(0)));
    (void)SeedRecords(*pg, {Spec("already-here", T(1))});
  }
  auto refused = CopySqliteToPostgres(path, db.url());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kConflict);
  CHECK_THAT(refused.error().message,
             Catch::StartsWith("target database is not empty (") &&
                 Catch::Contains("table daemon_runs has 1 row,") &&
                 Catch::Contains("table inbox has 1 row,") &&
                 Catch::Contains("table records has 1 row"));
  const auto counts = PgRowCounts(db.url());
  CHECK(counts.at("inbox") == 1);
  CHECK(counts.at("records") == 1);
  CHECK(counts.at("profiles") == 0);
}

TEST_CASE("postgres: migrate refuses a SQLite database of another schema version",
          "[postgres][store][migrate]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TempDir dir;
  const auto path = dir.path() / "journeyd.db";
  (void)OpenSqlite(path);
  const int newest = SqliteMigrations().back().version;
  testing::TestDatabase db;
  auto raw = Must(SqliteDb::Open(path, 5s));

  SECTION("older: the admin starts this journeyd on it once first") {
    RequireOk(raw->Exec("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM "
                        "schema_migrations)"));
    auto refused = CopySqliteToPostgres(path, db.url());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(refused.error().message,
               Catch::Contains("has schema version " + std::to_string(newest - 1) +
                               ", older than this journeyd's (" + std::to_string(newest) + ")") &&
                   Catch::Contains("start this journeyd once on it"));
  }
  SECTION("newer: written by a later journeyd") {
    RequireOk(raw->Exec("INSERT INTO schema_migrations(version, name, applied_at) "
                        "VALUES (999, 'future', 0)"));
    auto refused = CopySqliteToPostgres(path, db.url());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(refused.error().message, Catch::Contains("has schema version 999, newer than"));
  }
  SECTION("not journeyd's at all") {
    const auto other = dir.path() / "other.db";
    RequireOk(Must(SqliteDb::Open(other, 5s))->Exec("CREATE TABLE t (x INTEGER)"));
    auto refused = CopySqliteToPostgres(other, db.url());
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::Contains("is not a journeyd database"));
  }
  SECTION("missing") {
    auto refused = CopySqliteToPostgres(dir.path() / "nowhere.db", db.url());
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::StartsWith("no SQLite database at"));
  }
  // Refused before the target was touched.
  auto conn = Must(PgConnection::Open(db.url()));
  CHECK(Must(ReadPgTables(*conn)).empty());
}

TEST_CASE("postgres: a copy that fails part way leaves no rows in the target",
          "[postgres][store][migrate]") {
  JOURNEYD_NEED_POSTGRES();
  testing::TempDir dir;
  const auto path = dir.path() / "journeyd.db";
  {
    auto sqlite = OpenSqlite(path);
    FillInstallation(*sqlite);
  }
  // A value PostgreSQL cannot hold, in a table copied after most others.
  RequireOk(Must(SqliteDb::Open(path, 5s))
                ->Exec("UPDATE sync_runs SET detail = 'a' || char(0) || 'b' WHERE id = 2"));
  testing::TestDatabase db;
  auto failed = CopySqliteToPostgres(path, db.url());
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kCorruption);
  CHECK(failed.error().message ==
        "table sync_runs, the row with id 2: column detail holds a NUL character, which "
        "PostgreSQL text cannot store");
  for (const auto& [table, rows] : PgRowCounts(db.url())) {
    INFO(table);
    CHECK(rows == 0);
  }
}

}  // namespace
}  // namespace journeyd::storage::contract
