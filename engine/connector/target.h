// Target is one configured destination (a CRM, a webhook, the preview recorder). The core owns
// everything about *when* and *how often* to send: the outbox, changed-field diffs, batching,
// rate limits, retries, the dead-letter queue and the record-id writeback. A target only says
// *what* to send and *what the answer means*: it projects a profile onto its CRM properties,
// turns a batch of items into HTTP requests, and reads each response into per-item verdicts.
// Targets are immutable after creation and safe to use from several threads; the mutable part of
// talking to a vendor (an OAuth token) lives in a TargetSession, one per delivery worker.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/delivery/delivery_item.h"
#include "engine/delivery/http_exchange.h"

namespace journeyd {

namespace delivery {
class HttpTransport;
}

struct TargetLimits {
  size_t max_batch = 100;           // items per request
  double requests_per_second = 10;  // sustained, from the vendor's published limits
  double burst = 10;
};

// A request a target wants sent, and which of the items given to Plan it carries.
struct PlannedRequest {
  delivery::HttpRequest http;
  std::vector<size_t> items;  // indices into the span given to Plan, in the body's order
  std::string what;           // a short label for logs and the status page, e.g. "contacts upsert"
};

enum class Verdict {
  kDelivered,  // the CRM has it
  kRetry,      // a transient failure: the same request may succeed later
  kRejected,   // will not succeed as it is: the dead-letter queue, with the CRM's message
};
std::string_view VerdictName(Verdict verdict);

struct ItemVerdict {
  Verdict verdict = Verdict::kDelivered;
  std::string crm_id;   // the CRM's id of the profile's record, when the response says it
  std::string message;  // the CRM's own words for a rejection
};

// What a response meant. Either per item (the API reports each record: HubSpot batch results,
// Salesforce collections), or for the request as a whole (a 5xx, a 429, a 400 for the batch).
struct RequestOutcome {
  std::vector<ItemVerdict> items;  // empty: `whole` applies to every item
  Verdict whole = Verdict::kDelivered;
  std::string message;
  bool reauthenticate = false;  // the credentials expired: authorize afresh, then retry
};

class TargetSession {
 public:
  virtual ~TargetSession() = default;
  // Requests for `items` (all of one kind, in delivery order), each within the target's limits.
  // An item the target cannot express (a touchpoint before its profile has a CRM id) is left
  // out and comes back next time.
  virtual std::vector<PlannedRequest> Plan(std::span<const delivery::DeliveryItem> items) = 0;
  // Adds credentials to `request`, getting or refreshing them over `http` when needed. An error
  // is a failed attempt (kUnauthenticated: the credentials are wrong, not worth retrying soon).
  virtual Status Authorize(delivery::HttpRequest& request, delivery::HttpTransport& http) = 0;
  virtual RequestOutcome Interpret(const PlannedRequest& request,
                                   std::span<const delivery::DeliveryItem> items,
                                   const delivery::HttpResponse& response) = 0;
  // Forgets cached credentials (after a 401), so the next Authorize gets new ones.
  virtual void InvalidateCredentials() {}

  // Exactly once for creates. An item whose request, sent twice, would create two records
  // (HubSpot notes and tasks) and that the CRM can be asked about by its key: the worker marks
  // it in flight before each request, and when a crash or an unanswered request (timeout, 5xx)
  // leaves it in doubt, asks the CRM with PlanLookup before sending it again. Upserts by a
  // unique key need none of this: the default.
  virtual bool LooksUp(const delivery::DeliveryItem& item) const {
    (void)item;
    return false;
  }
  // How long after a write the CRM's lookup is sure to see it (search indexes lag behind
  // writes): a lookup waits until its items were sent this long ago.
  virtual std::chrono::milliseconds LookupDelay() const { return std::chrono::milliseconds(0); }
  // Requests asking which of `items` (each LooksUp) the CRM has, each carrying some of them.
  virtual std::vector<PlannedRequest> PlanLookup(std::span<const delivery::DeliveryItem> items) {
    (void)items;
    return {};
  }
  // For each of `request.items`, in order: whether the CRM has it. A retryable error code
  // (kUnavailable, kRateLimited) asks for the lookup again later; any other error means the
  // CRM cannot say, and the items are sent again.
  virtual Result<std::vector<bool>> InterpretLookup(const PlannedRequest& request,
                                                    std::span<const delivery::DeliveryItem> items,
                                                    const delivery::HttpResponse& response) {
    (void)request, (void)items, (void)response;
    return Error{ErrorCode::kInvalidArgument, "this target cannot look items up"};
  }
};

class Target {
 public:
  virtual ~Target() = default;
  virtual TargetLimits limits() const = 0;
  // What the CRM record of a profile should hold, from the profile's document (golden record,
  // journey, identifiers; docs/delivery.md lists the fields). Only properties with a value.
  virtual delivery::PropertyMap Project(const delivery::PropertyMap& document) const = 0;
  // The document field that addresses the profile's CRM record ("email" for HubSpot upserts by
  // email); items of profiles without it are dead-lettered, as the CRM could not place them.
  virtual std::string address_field() const { return ""; }
  // Touchpoints and actions reference the profile's CRM record id, so the profile must be
  // written (and its id learnt) before them.
  virtual bool needs_record_id() const { return false; }
  // False when the target is set to leave touchpoints out (they are then not read for it).
  virtual bool sends_touchpoints() const { return true; }
  // The preview target: requests are recorded, never sent, and count as delivered.
  virtual bool records_only() const { return false; }
  // How many of its latest requests the status page keeps.
  virtual int requests_kept() const { return 200; }
  virtual std::unique_ptr<TargetSession> OpenSession() const = 0;
};

using TargetPtr = std::shared_ptr<const Target>;

}  // namespace journeyd
