// StreamReader walks one polled stream, page by page: it builds each request from the stream's
// templates and state, sends it through the run's ApiClient, selects the records, turns each
// into a RawEvent, and works out the next page and the state to store with this one. It
// stores nothing itself: the sync runner commits each Page and its state in one transaction.
//
// Each record's idempotency key is "<stream>:<id>:<hash of the record>", so the same version of
// a record fetched twice (lookback, a resumed page, a rerun) is stored once, and a changed
// record is stored again. A child stream's reader is made for one parent record: its key is
// "<stream>:<parent id>:<id or ->:<hash>". Not thread-safe; one per stream and run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/result.h"
#include "engine/delivery/http_exchange.h"
#include "engine/poll/api_client.h"
#include "engine/poll/poll_settings.h"
#include "engine/poll/stream_state.h"
#include "engine/record/raw_event.h"

namespace journeyd::poll {

struct Page {
  std::vector<RawEvent> events;
  StreamState state;  // where the stream stands once these events are stored
  // Records that could not become events (no id, an event type that does not render), each a
  // message for a data-quality issue. Never the record itself.
  std::vector<std::string> bad_records;
  bool last = false;  // no more pages in this run
  // With KeepRecords(): the records behind `events`, in the same order (a parent stream's, for
  // its children).
  std::vector<boost::json::value> records;
};

// The record a child stream is read for: its id and its parent_fields values.
struct ParentRecord {
  std::string id;
  std::map<std::string, std::string> fields;
};
// `record`'s ParentRecord for `child`, read by `parent_stream`'s id_field; fields that are
// missing in the record are left out (a request that needs one fails and names it).
ParentRecord ParentRecordFor(const StreamSettings& parent_stream, const StreamSettings& child,
                             const boost::json::value& record);

class StreamReader {
 public:
  // `parent`, which must outlive the reader, is set exactly when `stream` is a child stream.
  StreamReader(const PollSettings& settings, const StreamSettings& stream, std::string source,
               StreamState state, ApiClient& client, const Clock& clock,
               const ParentRecord* parent = nullptr);

  // Pages carry their records as JSON too.
  void KeepRecords() { keep_records_ = true; }

  // The next page. REQUIRES: !done(). Errors are the ApiClient's, or kInvalidArgument for a
  // response that is not what the stream describes (not JSON, no record array).
  Result<Page> Next();
  bool done() const { return done_; }

  // The request the next Next() sends (for tests and `journeyd sync --dry-run`).
  Result<delivery::HttpRequest> NextRequest() const;

 private:
  Result<delivery::HttpRequest> BuildRequest(const std::optional<PageToken>& token) const;
  std::optional<PageToken> FollowingPage(const delivery::HttpResponse& response,
                                         const boost::json::value& body,
                                         const boost::json::array& records) const;
  std::string CursorForRequest() const;

  const PollSettings& settings_;
  const StreamSettings& stream_;
  const std::string source_;
  StreamState state_;
  ApiClient& client_;
  const Clock& clock_;
  const ParentRecord* const parent_;
  bool keep_records_ = false;
  std::optional<PageToken> token_;  // the page Next() fetches; nullopt: the first
  bool resuming_ = false;  // the first request continues a stored resume token
  int pages_ = 0;
  bool done_ = false;
};

// The rel="next" URL of a Link header (RFC 8288), or "".
std::string NextLink(std::string_view link_header);

}  // namespace journeyd::poll
