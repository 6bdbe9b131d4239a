#include "engine/delivery/delivery_worker.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <spdlog/spdlog.h>

#include "engine/delivery/profile_document.h"

namespace journeyd::delivery {

namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

constexpr size_t kLagRing = 8192;

PropertyMap ParseProperties(const std::string& text) {
  PropertyMap out;
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [k, value] : v.get_object()) {
    if (value.is_string()) out[std::string(k)] = std::string(value.get_string());
  }
  return out;
}

std::string PropertiesJson(const PropertyMap& properties) {
  json::object o;
  for (const auto& [k, v] : properties) o[k] = v;
  return json::serialize(o);
}

// FNV-1a: a short, stable fingerprint of what a profile item sends, for its key.
std::string Fingerprint(const PropertyMap& properties) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& [k, v] : properties) {
    for (const std::string* s : {&k, &v}) {
      for (unsigned char c : *s) h = (h ^ c) * 1099511628211ull;
      h = (h ^ 0x1f) * 1099511628211ull;
    }
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

// What a dead letter shows of the item: what was (to be) sent, never credentials.
std::string ItemJson(const DeliveryItem& item) {
  json::object o{{"kind", ItemKindName(item.kind)}, {"profile_id", item.profile_id},
                 {"key", item.key}};
  switch (item.kind) {
    case ItemKind::kProfile: {
      json::object changed;
      for (const auto& [k, v] : item.changed) changed[k] = v;
      o["properties"] = std::move(changed);
      break;
    }
    case ItemKind::kTouchpoint:
      o["type"] = item.touchpoint_type;
      o["source"] = item.touchpoint_source;
      o["occurred_at"] = std::chrono::duration_cast<milliseconds>(
                             item.occurred_at.time_since_epoch()).count();
      break;
    case ItemKind::kAction:
      o["action"] = item.action;
      o["action_kind"] = item.action_kind;
      break;
  }
  return json::serialize(o);
}

PropertyMap ApplyDisclosure(const governance::DisclosurePolicy& policy,
                            const governance::PiiClassifier& classifier, PropertyMap document) {
  json::object fields;
  for (const auto& [k, v] : document) fields[k] = v;
  governance::ApplyDisclosure(policy, classifier, fields);
  PropertyMap out;
  for (const auto& [k, v] : fields) {
    if (v.is_string()) out[std::string(k)] = std::string(v.get_string());
  }
  return out;
}

}  // namespace

// One pass over a window of the outbox: collects items, sends them, commits what each
// response settled.
class DeliveryWorker::Round {
 public:
  Round(DeliveryWorker& worker, std::vector<storage::OutboxRow> rows)
      : w_(worker), rows_(std::move(rows)) {}

  // False when stopped before every item was settled.
  Result<bool> Run() {
    if (Status s = Collect(); !s.ok()) return s.error();
    std::vector<size_t> profiles, others;
    for (size_t i = 0; i < items_.size(); ++i) {
      (items_[i].kind == ItemKind::kProfile ? profiles : others).push_back(i);
    }
    if (!profiles.empty()) {
      auto done = SendGroup(profiles);
      if (!done.ok()) return done.error();
      if (!*done) return false;
    }
    // Touchpoints and actions learn the record ids the profile step wrote back.
    std::vector<size_t> ready;
    for (size_t i : others) {
      DeliveryItem& item = items_[i];
      if (auto it = crm_ids_.find(item.profile_id); it != crm_ids_.end()) item.crm_id = it->second;
      if (w_.target_->needs_record_id() && item.crm_id.empty()) {
        Settle(i, Verdict::kRejected, "",
               "profile " + std::to_string(item.profile_id) + " has no record in " + w_.name_ +
                   " to attach this to (its profile change was not accepted)");
        continue;
      }
      ready.push_back(i);
    }
    if (Status s = Flush(); !s.ok()) return s.error();
    if (!ready.empty()) {
      auto done = SendGroup(ready);
      if (!done.ok()) return done.error();
      if (!*done) return false;
    }
    commit_.cursor = rows_.back().id;
    if (Status s = Flush(/*force=*/true); !s.ok()) return s.error();
    return true;
  }

 private:
  struct Profile {
    ProfileSnapshot snapshot;
    PropertyMap projected;
    storage::DeliveredProfile delivered;
    PropertyMap acked;
    bool referenced = false;  // a touchpoint or action of this round needs its record
    TimePoint oldest{};
  };

  Status Collect() {
    w_.summaries_.Trim();  // here, not during the round: its reads rely on the watermarks
    auto inputs = w_.store_.ReadDeliveryInputs(
        w_.name_, rows_, w_.settings_.touchpoints && w_.target_->sends_touchpoints(),
        w_.summaries_.watermarks());
    if (!inputs.ok()) return inputs.error();
    std::map<int64_t, TimePoint> touchpoint_at, action_at;
    for (const storage::OutboxRow& row : rows_) {
      if (row.kind == "profile") {
        if (auto live = inputs->live.find(row.profile_id); live != inputs->live.end()) {
          Note(live->second, row.created_at);
        }
      } else if (row.kind == "touchpoint") {
        touchpoint_at.emplace(row.item_id, row.created_at);
      } else if (row.kind == "action") {
        action_at.emplace(row.item_id, row.created_at);
      }
    }

    std::vector<DeliveryItem> later;
    std::vector<TimePoint> later_at;
    for (const storage::TouchpointRow& t : inputs->touchpoints) {
      DeliveryItem item;
      item.kind = ItemKind::kTouchpoint;
      item.profile_id = t.profile_id;
      item.item_id = t.id;
      item.key = storage::TouchpointDeliveryKey(t.id);
      item.touchpoint_type = t.type;
      item.touchpoint_source = t.source;
      item.channel = t.channel;
      item.value = t.value;
      item.currency = t.currency;
      item.reference = t.reference;
      item.campaign_json = t.campaign_json;
      item.attributes_json = t.attributes_json;
      item.occurred_at = t.occurred_at;
      Note(t.profile_id, touchpoint_at[t.id]).referenced = true;
      later_at.push_back(touchpoint_at[t.id]);
      later.push_back(std::move(item));
    }
    for (const storage::JourneyActionRow& a : inputs->actions) {
      DeliveryItem item;
      item.kind = ItemKind::kAction;
      item.profile_id = a.profile_id;
      item.item_id = a.id;
      item.key = a.key;
      item.action = a.action;
      item.action_kind = a.kind;
      item.payload_json = a.payload;
      item.occurred_at = a.at;
      Note(a.profile_id, action_at[a.id]).referenced = true;
      later_at.push_back(action_at[a.id]);
      later.push_back(std::move(item));
    }

    // Profiles: what the CRM should hold now, against what it acknowledged.
    const std::string address_field = w_.target_->address_field();
    for (auto& [id, p] : profiles_) {
      auto found = inputs->profiles.find(id);
      if (found == inputs->profiles.end() || found->second.watermark.count == 0) {
        w_.summaries_.Forget(id);
        gone_.insert(id);  // erased: nothing to say
        continue;
      }
      const storage::DeliveryInputs::Profile& stored = found->second;
      const ProfileSummary* summary = w_.summaries_.Update(id, stored);
      if (summary == nullptr) {
        // Cannot happen while the cache is only trimmed between rounds; if it did, going on
        // would deliver a golden record of the new records alone (or drop the profile's
        // touchpoints as gone). The round fails and the next one reads the profile in full.
        return Internal("delivery: profile " + std::to_string(id) +
                        " was read as incremental but its summary is not held");
      }
      if (summary->contributions.empty()) {
        gone_.insert(id);  // only unreadable records
        continue;
      }
      p.snapshot = BuildProfileSnapshot(id, *summary, w_.policies_.survivorship, stored.journey);
      p.snapshot.document =
          ApplyDisclosure(w_.disclosure_, w_.classifier_, std::move(p.snapshot.document));
      p.projected = w_.target_->Project(p.snapshot.document);
      if (stored.delivered) {
        p.delivered = *stored.delivered;
        p.acked = ParseProperties(p.delivered.acked_json);
        if (!p.delivered.crm_id.empty()) crm_ids_[id] = p.delivered.crm_id;
      }
      DeliveryItem item;
      item.kind = ItemKind::kProfile;
      item.profile_id = id;
      item.crm_id = p.delivered.crm_id;
      item.all = p.projected;
      for (const auto& [k, v] : p.projected) {
        auto was = p.acked.find(k);
        if (was == p.acked.end() || was->second != v) item.changed[k] = v;
      }
      const bool needs_record =
          p.referenced && w_.target_->needs_record_id() && p.delivered.crm_id.empty();
      if (item.changed.empty() && !needs_record) {
        ++unchanged_;
        continue;
      }
      if (!address_field.empty()) {
        auto address = p.snapshot.document.find(address_field);
        if (address != p.snapshot.document.end()) item.address = address->second;
      }
      if (!address_field.empty() && item.address.empty()) {
        // An anonymous visitor: nothing the CRM could file it under yet. Its first change with
        // an address sends everything (nothing is acknowledged); until then it is skipped.
        unaddressable_.insert(id);
        ++unaddressable_count_;
        continue;
      }
      item.key = "profile:" + std::to_string(id) + ":" + Fingerprint(item.changed);
      AddItem(std::move(item), p.oldest);
    }
    const governance::ConsentPolicy& consent = w_.consent_;
    for (size_t i = 0; i < later.size(); ++i) {
      DeliveryItem& item = later[i];
      if (gone_.count(item.profile_id) > 0) continue;
      if (unaddressable_.count(item.profile_id) > 0) {
        ++unaddressable_count_;
        continue;
      }
      const Profile& profile = profiles_[item.profile_id];
      if (item.kind == ItemKind::kTouchpoint &&
          !consent.MayDeliver(item.touchpoint_type, profile.snapshot.consent)) {
        ++held_back_;
        continue;
      }
      if (!address_field.empty()) {
        auto address = profile.snapshot.document.find(address_field);
        if (address != profile.snapshot.document.end()) item.address = address->second;
      }
      item.crm_id = profile.delivered.crm_id;
      AddItem(std::move(item), later_at[i]);
    }
    return OkStatus();
  }

  Profile& Note(int64_t profile, TimePoint at) {
    auto [it, inserted] = profiles_.try_emplace(profile);
    if (inserted || at < it->second.oldest) it->second.oldest = at;
    return it->second;
  }

  void AddItem(DeliveryItem item, TimePoint oldest) {
    items_.push_back(std::move(item));
    oldest_.push_back(oldest);
    settled_.push_back(false);
  }

  // Sends the items at `group` (indices into items_), planning them afresh. False when stopped.
  Result<bool> SendGroup(const std::vector<size_t>& group) {
    std::vector<size_t> open;
    for (size_t i : group) {
      if (!settled_[i]) open.push_back(i);
    }
    if (open.empty()) return true;
    auto looked = LookUpInDoubt(open);
    if (!looked.ok()) return looked.error();
    if (!*looked) return false;
    std::erase_if(open, [this](size_t i) { return settled_[i]; });
    if (open.empty()) return true;
    std::vector<DeliveryItem> subset;
    subset.reserve(open.size());
    for (size_t i : open) subset.push_back(items_[i]);
    std::vector<PlannedRequest> planned = w_.session_->Plan(subset);
    std::vector<bool> covered(open.size(), false);
    for (const PlannedRequest& request : planned) {
      for (size_t k : request.items) covered[k] = true;
    }
    for (size_t k = 0; k < open.size(); ++k) {
      if (!covered[k]) {
        Settle(open[k], Verdict::kRejected, "", w_.name_ + " cannot express this item");
      }
    }
    for (const PlannedRequest& request : planned) {
      std::vector<size_t> members;  // indices into items_
      for (size_t k : request.items) members.push_back(open[k]);
      auto done = SendRequest(request, subset, members);
      if (!done.ok()) return done.error();
      if (!*done) return false;
    }
    return true;
  }

  // Asks the CRM which items of `open` that are in doubt it has already, and settles those as
  // delivered: a create that went out before a crash, or whose answer never came, is not sent
  // again. False when stopped.
  Result<bool> LookUpInDoubt(const std::vector<size_t>& open) {
    std::map<std::string, TimePoint>& in_doubt = *w_.in_doubt_;
    if (in_doubt.empty()) return true;
    std::vector<size_t> doubtful;
    TimePoint last_sent{};
    for (size_t i : open) {
      auto it = in_doubt.find(items_[i].key);
      if (it != in_doubt.end() && w_.session_->LooksUp(items_[i])) {
        doubtful.push_back(i);
        last_sent = std::max(last_sent, it->second);
      }
    }
    if (doubtful.empty()) return true;
    // The CRM's search may not show a record written a moment ago.
    const auto ready_at = last_sent + w_.session_->LookupDelay();
    if (const auto now = w_.clock_.Now(); now < ready_at) {
      if (!w_.SleepFor(duration_cast<milliseconds>(ready_at - now))) return false;
    }
    std::vector<DeliveryItem> subset;
    subset.reserve(doubtful.size());
    for (size_t i : doubtful) subset.push_back(items_[i]);
    constexpr int kMaxLookupAttempts = 6;
    for (const PlannedRequest& request : w_.session_->PlanLookup(subset)) {
      for (int attempt = 0;; ++attempt) {
        if (w_.stopping_) return false;
        if (milliseconds wait = w_.limiter_.Reserve(); wait.count() > 0) {
          if (!w_.SleepFor(wait)) return false;
          --attempt;
          continue;
        }
        HttpRequest http = request.http;
        storage::DeliveryRequestRow log{0, w_.name_, http.method, http.url, http.body,
                                        request.what, static_cast<int>(request.items.size()),
                                        0, "", w_.clock_.Now()};
        Result<std::vector<bool>> found = Error{ErrorCode::kUnavailable, "not sent"};
        if (Status auth = w_.session_->Authorize(http, *w_.transport_); !auth.ok()) {
          found = Error{ErrorCode::kUnavailable, "authorization failed: " + auth.error().message};
        } else {
          log.url = http.url;
          const HttpResponse response = w_.transport_->Send(http);
          w_.limiter_.Observe(response);
          log.status = response.status;
          found = w_.session_->InterpretLookup(request, subset, response);
        }
        log.message = found.ok() ? "" : found.error().message;
        log.at = w_.clock_.Now();
        commit_.requests.push_back(std::move(log));
        ++requests_;
        if (found.ok()) {
          for (size_t k = 0; k < request.items.size() && k < found->size(); ++k) {
            if ((*found)[k]) {
              ++found_in_doubt_;
              Settle(doubtful[request.items[k]], Verdict::kDelivered, "", "");
            }
          }
          break;
        }
        ++failed_;
        if (!IsRetryable(found.error().code) || attempt + 1 >= kMaxLookupAttempts) {
          // The CRM cannot say: sending again risks a duplicate, not sending risks a loss.
          spdlog::warn("delivery to {}: could not look up {} item(s) in doubt ({}); sending "
                       "them again",
                       w_.name_, request.items.size(), found.error().message);
          break;
        }
        if (!w_.SleepFor(w_.retry_.NextDelay(attempt))) return false;
      }
    }
    // Looked up: no longer in doubt, unless the next request goes unanswered too. Their
    // in-flight marks stay in the store until they are settled.
    for (size_t i : doubtful) in_doubt.erase(items_[i].key);
    if (found_in_doubt_ > 0) {
      spdlog::info("delivery to {}: {} item(s) in doubt were at the CRM already; not resent",
                   w_.name_, found_in_doubt_);
    }
    if (Status s = Flush(); !s.ok()) return s.error();
    return true;
  }

  // Sends one planned request until its items are settled. False when stopped.
  Result<bool> SendRequest(const PlannedRequest& request,
                           const std::vector<DeliveryItem>& subset,
                           const std::vector<size_t>& members) {
    int attempt = 0;
    bool reauthenticated = false;
    while (true) {
      if (w_.stopping_) return false;
      if (milliseconds wait = w_.limiter_.Reserve(); wait.count() > 0) {
        // What the last response settled is not left uncommitted through a wait.
        if (Status s = Flush(); !s.ok()) return s.error();
        if (!w_.SleepFor(wait)) return false;
        continue;
      }
      HttpRequest http = request.http;
      RequestOutcome outcome;
      bool unanswered = false;
      storage::DeliveryRequestRow log{0, w_.name_, http.method, http.url, http.body,
                                      request.what, static_cast<int>(members.size()), -1, "",
                                      w_.clock_.Now()};
      if (w_.target_->records_only()) {
        outcome.whole = Verdict::kDelivered;
      } else if (Status auth = w_.session_->Authorize(http, *w_.transport_); !auth.ok()) {
        outcome.whole = Verdict::kRetry;
        outcome.message = auth.error().message;
        log.status = 0;
        log.message = "authorization failed: " + auth.error().message;
      } else {
        log.url = http.url;  // as authorized: a target may only learn its host then
        for (size_t i : members) {
          if (w_.session_->LooksUp(items_[i])) commit_.in_flight.push_back(items_[i].key);
        }
        // One commit before the request goes: what the previous responses settled, and these
        // marks, durable first (after a crash, marked items are looked up, not resent).
        if (Status s = Flush(); !s.ok()) return s.error();
        const HttpResponse response = w_.transport_->Send(http);
        w_.limiter_.Observe(response);
        outcome = w_.session_->Interpret(request, subset, response);
        log.status = response.status;
        log.message = response.status == 0 ? response.transport_error : outcome.message;
        // No answer, or a server error: the CRM may have applied the request anyway.
        unanswered = response.status == 0 || response.status >= 500;
      }
      log.at = w_.clock_.Now();
      commit_.requests.push_back(std::move(log));
      ++requests_;
      if (outcome.reauthenticate && !reauthenticated) {
        reauthenticated = true;
        w_.session_->InvalidateCredentials();
        continue;
      }

      // Per-item verdicts, or the whole request's.
      std::vector<size_t> retry, rejected_whole;
      for (size_t k = 0; k < members.size(); ++k) {
        const ItemVerdict verdict =
            outcome.items.empty() ? ItemVerdict{outcome.whole, "", outcome.message}
                                  : (k < outcome.items.size()
                                         ? outcome.items[k]
                                         : ItemVerdict{Verdict::kRetry, "",
                                                       "the response did not mention the item"});
        if (verdict.verdict == Verdict::kRetry) {
          retry.push_back(members[k]);
        } else if (verdict.verdict == Verdict::kRejected && outcome.items.empty() &&
                   members.size() > 1) {
          rejected_whole.push_back(members[k]);
        } else {
          Settle(members[k], verdict.verdict, verdict.crm_id, verdict.message);
        }
      }
      // What this response settled is committed with the next request's marks, before it goes
      // (or by the round's end): one commit per request rather than two.
      if (!rejected_whole.empty()) {
        // The batch was refused as a whole: halve it until the records at fault stand alone,
        // so the others still go.
        const size_t half = rejected_whole.size() / 2;
        std::vector<size_t> left(rejected_whole.begin(), rejected_whole.begin() + half);
        std::vector<size_t> right(rejected_whole.begin() + half, rejected_whole.end());
        for (const auto* part : {&left, &right}) {
          auto done = SendGroup(*part);
          if (!done.ok()) return done.error();
          if (!*done) return false;
        }
      }
      if (retry.empty()) return true;

      ++failed_;
      last_error_ = outcome.message.empty() ? "no answer" : outcome.message;
      // Past max_age, a change that still cannot go is dead-lettered rather than retried.
      const TimePoint now = w_.clock_.Now();
      std::vector<size_t> still;
      for (size_t i : retry) {
        if (now - oldest_[i] > w_.settings_.max_age) {
          Settle(i, Verdict::kRejected, "",
                 "gave up after " + std::to_string(attempt + 1) + " attempts: " + last_error_);
        } else {
          still.push_back(i);
        }
      }
      if (Status s = Flush(); !s.ok()) return s.error();
      if (still.empty()) return true;
      ++attempt;
      ++retries_;
      const milliseconds backoff = w_.retry_.NextDelay(attempt);
      spdlog::warn("delivery to {}: {} failed (attempt {}): {}; retrying in {}ms", w_.name_,
                   request.what, attempt, last_error_, backoff.count());
      bool doubtful = false;
      if (unanswered) {
        for (size_t i : still) {
          if (w_.session_->LooksUp(items_[i])) {
            (*w_.in_doubt_)[items_[i].key] = w_.clock_.Now();
            doubtful = true;
          }
        }
      }
      if (!w_.SleepFor(backoff)) return false;
      // Items in doubt are looked up before they go again: SendGroup plans afresh.
      if (doubtful || still.size() != members.size()) return SendGroup(still);
    }
  }

  void Settle(size_t i, Verdict verdict, const std::string& crm_id, const std::string& message) {
    if (settled_[i]) return;
    settled_[i] = true;
    const DeliveryItem& item = items_[i];
    if (verdict == Verdict::kDelivered) {
      ++delivered_;
      w_.RecordLag(duration_cast<milliseconds>(w_.clock_.Now() - oldest_[i]));
      switch (item.kind) {
        case ItemKind::kProfile: {
          Profile& p = profiles_[item.profile_id];
          for (const auto& [k, v] : item.changed) p.acked[k] = v;
          if (!crm_id.empty()) crm_ids_[item.profile_id] = crm_id;
          commit_.profiles.push_back({item.profile_id, crm_id, PropertiesJson(p.acked)});
          break;
        }
        case ItemKind::kTouchpoint:
          commit_.delivered_keys.push_back(item.key);
          break;
        case ItemKind::kAction:
          commit_.delivered_keys.push_back(item.key);
          commit_.actions.emplace_back(item.item_id, "delivered");
          break;
      }
      return;
    }
    ++rejected_;
    storage::DeadLetterRow dead;
    dead.kind = std::string(ItemKindName(item.kind));
    dead.profile_id = item.profile_id;
    dead.item_id = item.item_id;
    dead.item_key = item.key;
    dead.message = message.empty() ? "rejected without a message" : message;
    last_error_ = dead.message;
    dead.request_json = ItemJson(item);
    dead.attempts = 1;
    commit_.dead.push_back(std::move(dead));
    if (item.kind == ItemKind::kAction) commit_.actions.emplace_back(item.item_id, "failed");
  }

  // Commits what was settled so far (and, when forced, the counters and cursor).
  Status Flush(bool force = false) {
    if (!force && commit_.profiles.empty() && commit_.delivered_keys.empty() &&
        commit_.dead.empty() && commit_.requests.empty() && commit_.in_flight.empty()) {
      return OkStatus();
    }
    commit_.target = w_.name_;
    commit_.keep_requests = w_.target_->requests_kept();
    commit_.delivered = delivered_ - committed_delivered_;
    commit_.failures = failed_ - committed_failed_;
    commit_.last_error = last_error_;
    commit_.at = w_.clock_.Now();
    if (Status s = w_.store_.CommitDelivery(commit_); !s.ok()) return s;
    committed_delivered_ = delivered_;
    committed_failed_ = failed_;
    commit_ = {};
    return OkStatus();
  }

 public:
  int64_t delivered_ = 0, rejected_ = 0, requests_ = 0, failed_ = 0, retries_ = 0,
          unchanged_ = 0, held_back_ = 0, unaddressable_count_ = 0, found_in_doubt_ = 0;

 private:
  DeliveryWorker& w_;
  const std::vector<storage::OutboxRow> rows_;
  std::map<int64_t, Profile> profiles_;
  std::set<int64_t> gone_;
  std::set<int64_t> unaddressable_;
  std::map<int64_t, std::string> crm_ids_;
  std::vector<DeliveryItem> items_;
  std::vector<TimePoint> oldest_;
  std::vector<bool> settled_;
  storage::DeliveryCommit commit_;
  int64_t committed_delivered_ = 0, committed_failed_ = 0;
  std::string last_error_;
};

DeliveryWorker::DeliveryWorker(const config::TargetEntry& entry, storage::Store& store,
                               DeliveryPolicies policies, const Clock& clock,
                               cluster::WorkGate gate, std::vector<WorkSignal*> inputs)
    : name_(entry.name),
      target_(entry.target),
      settings_(entry.delivery),
      store_(store),
      policies_(std::move(policies)),
      consent_(policies_.consent),
      classifier_(policies_.pii_fields),
      disclosure_(settings_.disclosure.ToPolicy()),
      clock_(clock),
      gate_(std::move(gate)),
      limiter_(
          [&] {
            const TargetLimits limits = entry.target->limits();
            RateLimit limit{limits.requests_per_second, limits.burst};
            if (entry.delivery.requests_per_second > 0) {
              limit.requests_per_second =
                  std::min(limit.requests_per_second, entry.delivery.requests_per_second);
              limit.burst = std::min(limit.burst, std::max(1.0, limit.requests_per_second));
            }
            return limit;
          }(),
          clock),
      session_(entry.target->OpenSession()),
      transport_(std::make_unique<HttpTransport>([&] {
        TransportOptions options;
        options.timeout = entry.delivery.timeout;
        options.connect_timeout = std::min<milliseconds>(entry.delivery.timeout, milliseconds(10000));
        options.ca_file = entry.delivery.ca_file;
        return options;
      }())),
      retry_(RetrySettings{milliseconds(500), milliseconds(30000), entry.delivery.max_age},
             std::hash<std::string>{}(entry.name) ^
                 static_cast<uint64_t>(clock.Monotonic().time_since_epoch().count())),
      loop_("delivery " + entry.name, [this] { return RunOnce(); },
            /*full=*/entry.delivery.window, std::chrono::milliseconds(50), std::move(inputs)) {}

DeliveryWorker::~DeliveryWorker() { Stop(); }

void DeliveryWorker::Start() {
  stopping_ = false;
  loop_.Start();
}

void DeliveryWorker::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  loop_.Stop();
}

bool DeliveryWorker::SleepFor(milliseconds duration) {
  std::unique_lock lock(stop_mu_);
  return !stop_cv_.wait_for(lock, duration, [this] { return stopping_.load(); });
}

Result<int> DeliveryWorker::RunOnce() {
  std::lock_guard run(run_mu_);
  if (gate_) {
    const cluster::LeaseState state = gate_();
    if (state == cluster::LeaseState::kNotHeld) return 0;
    if (state == cluster::LeaseState::kAcquired) {
      // Another instance may have moved the cursor and settled items meanwhile.
      cursor_.reset();
      in_doubt_.reset();
    }
  }
  if (!cursor_) {
    auto cursor = store_.ReadDeliveryCursor(name_);
    if (!cursor.ok()) return cursor.error();
    cursor_ = *cursor;
  }
  if (!in_doubt_) {
    auto in_flight = store_.ReadInFlight(name_);
    if (!in_flight.ok()) return in_flight.error();
    in_doubt_ = std::move(*in_flight);
    if (!in_doubt_->empty()) {
      spdlog::warn("delivery to {}: {} item(s) were in flight when journeyd last stopped; "
                   "asking {} whether it has them before sending them again",
                   name_, in_doubt_->size(), name_);
    }
  }
  auto rows = store_.ReadOutbox(name_, *cursor_, settings_.window);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return 0;
  // A lone change waits a little for company, so that batches fill under a steady trickle.
  if (rows->size() < target_->limits().max_batch && settings_.linger.count() > 0 &&
      clock_.Now() - rows->front().created_at < settings_.linger && !stopping_) {
    return 0;
  }
  const int64_t last = rows->back().id;
  const int count = static_cast<int>(rows->size());
  Round round(*this, std::move(*rows));
  auto finished = round.Run();
  {
    std::lock_guard lock(counters_mu_);
    counters_.delivered += round.delivered_;
    counters_.rejected += round.rejected_;
    counters_.requests += round.requests_;
    counters_.failed_requests += round.failed_;
    counters_.retries += round.retries_;
    counters_.unchanged += round.unchanged_;
    counters_.held_back += round.held_back_;
    counters_.unaddressable += round.unaddressable_count_;
    counters_.found_in_doubt += round.found_in_doubt_;
    counters_.records_summarized = summaries_.records_parsed();
  }
  if (!finished.ok()) return finished.error();
  if (!*finished) return 0;  // stopped: the rest of the window goes next time
  cursor_ = last;
  return count;
}

Status DeliveryWorker::RunUntilIdle() {
  while (true) {
    auto ran = RunOnce();
    if (!ran.ok()) return ran.error();
    if (*ran == 0) {
      // Lingering rows still count as work to do here: wait them out.
      std::lock_guard run(run_mu_);
      auto rows = store_.ReadOutbox(name_, cursor_.value_or(0), 1);
      if (!rows.ok()) return rows.error();
      if (rows->empty() || stopping_) return OkStatus();
      if (!SleepFor(milliseconds(20))) return OkStatus();
    }
  }
}

void DeliveryWorker::RecordLag(milliseconds lag) {
  std::lock_guard lock(counters_mu_);
  if (lags_ms_.size() < kLagRing) {
    lags_ms_.push_back(lag.count());
  } else {
    lags_ms_[lag_next_] = lag.count();
  }
  lag_next_ = (lag_next_ + 1) % kLagRing;
}

DeliveryWorker::Counters DeliveryWorker::counters() const {
  std::lock_guard lock(counters_mu_);
  Counters out = counters_;
  if (!lags_ms_.empty()) {
    std::vector<int64_t> sorted = lags_ms_;
    std::sort(sorted.begin(), sorted.end());
    const auto at = [&](double q) {
      return milliseconds(sorted[std::min(sorted.size() - 1,
                                          static_cast<size_t>(q * static_cast<double>(sorted.size())))]);
    };
    out.lag_p50 = at(0.50);
    out.lag_p99 = at(0.99);
  }
  return out;
}

}  // namespace journeyd::delivery
