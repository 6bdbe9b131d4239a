// WebhookSource is one configured push source: it authenticates a vendor's HTTP request and
// splits it into RawEvents. It never stores, acknowledges or maps anything; the ingest stage
// owns durability. Implementations are immutable after creation and safe to call concurrently.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/connector/inbound_request.h"
#include "engine/record/raw_event.h"

namespace journeyd {

class WebhookSource {
 public:
  virtual ~WebhookSource() = default;

  // kUnauthenticated when the signature or token does not verify (the caller answers 401 and
  // says no more); kInvalidArgument when the body is not what this vendor sends (400).
  virtual Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const = 0;

  // False makes the server answer 415 before Accept runs. `media_type` is lowercased and has
  // no parameters ("application/json", not "application/json; charset=utf-8").
  virtual bool AcceptsMediaType(std::string_view media_type) const {
    return media_type == "application/json";
  }

  // False for sources that are only polled: /webhooks/<name> answers 404 for them.
  virtual bool AcceptsWebhooks() const { return true; }

  // True for sources that serve the Segment-compatible tracking API (/v1/...) rather than
  // /webhooks/{name}; the tracking routes offer each request to these.
  virtual bool ServesTrackingApi() const { return false; }

  // Some vendors probe the URL with a GET before they send anything (Mailchimp). True if this
  // source answers such probes with 200.
  virtual bool AnswersGetProbe() const { return false; }

  // The event types this source can produce (as RawEvent::event_type), globs allowed, so that
  // a mapping naming a type the vendor never sends is a load-time error. Empty: any.
  virtual std::vector<std::string> EventTypes() const { return {}; }

  // The event type of a decoded payload, for vendors that put it in the body (Stripe's
  // `type`); nullopt where it travels in a header. Lets `journeyd map` work from a saved body.
  virtual std::optional<std::string> EventTypeOf(const boost::json::value& payload) const {
    (void)payload;
    return std::nullopt;
  }

  // Sources that take files (csv) also read them from disk for `journeyd import`: no request,
  // no credentials. Each row becomes an event, or an error naming its line, handed to `sink`
  // in file order; a non-OK status from the sink stops the import. kInvalidArgument for a file
  // that cannot be read as a whole (no header row, a broken quote), or from sources that take
  // no files.
  struct ImportedRow {
    int line = 0;
    Result<RawEvent> event;
  };
  virtual Status ImportFile(std::string_view text,
                            const std::function<Status(ImportedRow&&)>& sink) const {
    (void)text;
    (void)sink;
    return InvalidArgument("this source type does not import files");
  }
};

using WebhookSourcePtr = std::shared_ptr<const WebhookSource>;

}  // namespace journeyd
