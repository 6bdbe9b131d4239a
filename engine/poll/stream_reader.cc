#include "engine/poll/stream_reader.h"

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <charconv>

#include "engine/base/time_format.h"
#include "engine/poll/template.h"

namespace journeyd::poll {

namespace {

std::string Sha256Prefix(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// Scheme, host and port: a next-page URL elsewhere would be sent our credentials.
bool SameOrigin(const boost::urls::url_view& a, const boost::urls::url_view& b) {
  return a.scheme() == b.scheme() && a.encoded_host() == b.encoded_host() &&
         a.port_number() == b.port_number();
}

int64_t ToNumber(std::string_view text, int64_t fallback) {
  int64_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  return error == std::errc() && end == text.data() + text.size() ? n : fallback;
}

}  // namespace

std::string NextLink(std::string_view header) {
  // <url>; rel="next", <url>; rel="previous"   (rel may be unquoted or hold several values)
  size_t at = 0;
  while (true) {
    const size_t open = header.find('<', at);
    if (open == std::string_view::npos) return {};
    const size_t close = header.find('>', open);
    if (close == std::string_view::npos) return {};
    const size_t next = header.find('<', close);
    const std::string_view params = header.substr(close + 1, next == std::string_view::npos
                                                                 ? std::string_view::npos
                                                                 : next - close - 1);
    size_t rel = params.find("rel=");
    if (rel != std::string_view::npos) {
      std::string_view value = params.substr(rel + 4);
      if (!value.empty() && value.front() == '"') {
        value.remove_prefix(1);
        value = value.substr(0, value.find('"'));
      } else {
        value = value.substr(0, value.find_first_of(";,"));
      }
      size_t word = 0;
      while (word < value.size()) {
        size_t end = value.find(' ', word);
        if (end == std::string_view::npos) end = value.size();
        if (value.substr(word, end - word) == "next") {
          return std::string(header.substr(open + 1, close - open - 1));
        }
        word = end + 1;
      }
    }
    if (next == std::string_view::npos) return {};
    at = next;
  }
}

ParentRecord ParentRecordFor(const StreamSettings& parent_stream, const StreamSettings& child,
                             const boost::json::value& record) {
  ParentRecord out;
  if (const boost::json::value* id = FindPath(record, parent_stream.id_field)) {
    out.id = ScalarText(*id);
  }
  for (const auto& [name, path] : child.parent_fields) {
    const boost::json::value* value = FindPath(record, path);
    const std::string text = value == nullptr ? std::string() : ScalarText(*value);
    if (!text.empty()) out.fields.emplace(name, text);
  }
  return out;
}

StreamReader::StreamReader(const PollSettings& settings, const StreamSettings& stream,
                           std::string source, StreamState state, ApiClient& client,
                           const Clock& clock, const ParentRecord* parent)
    : settings_(settings),
      stream_(stream),
      source_(std::move(source)),
      state_(std::move(state)),
      client_(client),
      clock_(clock),
      parent_(parent) {
  if (state_.resume) {
    token_ = state_.resume;
    resuming_ = true;
  }
  // A resumed read keeps the filter it started with ("" is "no filter", a first read's).
  if (!state_.resume) state_.read_from = CursorForRequest();
}

std::string StreamReader::CursorForRequest() const {
  const CursorSettings& c = stream_.cursor;
  if (!state_.cursor.empty()) {
    return FormatCursor(state_.cursor, c.format, c.lookback).value_or(state_.cursor);
  }
  if (c.start.empty()) return {};
  auto start = ResolveStart(c.start, clock_.Now());
  if (!start) return {};
  // A start is a time; written in the cursor's own format (raw cursors take RFC 3339).
  return FormatCursor(FormatIso8601(*start), c.format == CursorFormat::kRaw
                                                 ? CursorFormat::kRfc3339
                                                 : c.format,
                      std::chrono::milliseconds(0))
      .value_or(std::string());
}

Result<delivery::HttpRequest> StreamReader::NextRequest() const { return BuildRequest(token_); }

Result<delivery::HttpRequest> StreamReader::BuildRequest(
    const std::optional<PageToken>& token) const {
  TemplateContext context;
  context.cursor = state_.read_from;
  context.page_size = stream_.page_size;
  context.params = &settings_.params;
  if (parent_ != nullptr) context.parent = &parent_->fields;
  delivery::HttpRequest request;
  request.method = stream_.request.method;
  request.headers.emplace_back("Accept", "application/json");
  for (const auto& [name, value] : stream_.request.headers) {
    auto rendered = Render(value, context);
    if (!rendered.ok()) return rendered.error();
    request.headers.emplace_back(name, *rendered);
  }

  auto base = boost::urls::parse_uri(settings_.base_url);
  if (!base) return InvalidArgument("base_url '" + settings_.base_url + "' is not a URL");
  if (token && token->kind == PageToken::Kind::kUrl) {
    // The vendor's own next-page URL, used unchanged (Shopify's page_info must be).
    auto next = boost::urls::parse_uri_reference(token->value);
    if (!next) return InvalidArgument("the next page URL is not a URL");
    boost::urls::url resolved;
    boost::urls::resolve(*base, *next, resolved);
    if (!SameOrigin(*base, resolved)) {
      return InvalidArgument("the next page URL points to " + std::string(resolved.encoded_host()) +
                             ", not to base_url's host; refusing to send it credentials");
    }
    request.method = "GET";
    request.url = std::string(resolved.buffer());
    return request;
  }

  auto path = Render(stream_.request.path, context);
  if (!path.ok()) return path.error();
  std::string base_text = settings_.base_url;
  while (!base_text.empty() && base_text.back() == '/') base_text.pop_back();
  const std::string joined = base_text + *path;  // outlives the view parse_uri returns
  auto parsed = boost::urls::parse_uri(joined);
  if (!parsed) return InvalidArgument("base_url + path '" + *path + "' is not a URL");
  boost::urls::url url(*parsed);
  const PaginationSettings& p = stream_.pagination;
  for (const auto& [name, value] : stream_.request.query) {
    if (token && std::find(p.drop_on_next.begin(), p.drop_on_next.end(), name) !=
                     p.drop_on_next.end()) {
      continue;
    }
    auto rendered = Render(value, context);
    if (!rendered.ok()) return rendered.error();
    if (!rendered->empty()) url.params().set(name, *rendered);
  }
  std::optional<std::string> page_value;
  if (token) {
    page_value = token->value;
  } else if (p.type == PaginationKind::kPage) {
    page_value = std::to_string(p.first < 0 ? 1 : p.first);
  } else if (p.type == PaginationKind::kOffset) {
    page_value = std::to_string(p.first < 0 ? 0 : p.first);
  }
  if (page_value && !p.in_body) url.params().set(p.param, *page_value);
  request.url = std::string(url.buffer());

  if (!stream_.request.body.value.is_null()) {
    auto body = RenderJson(stream_.request.body.value, context);
    if (!body.ok()) return body.error();
    if (page_value && p.in_body && body->is_object()) {
      body->as_object()[p.param] = *page_value;
    }
    request.body = boost::json::serialize(*body);
    request.headers.emplace_back("Content-Type", "application/json");
  }
  return request;
}

std::optional<PageToken> StreamReader::FollowingPage(const delivery::HttpResponse& response,
                                                     const boost::json::value& body,
                                                     const boost::json::array& records) const {
  const PaginationSettings& p = stream_.pagination;
  const int64_t n = static_cast<int64_t>(records.size());
  switch (p.type) {
    case PaginationKind::kNone:
      return std::nullopt;
    case PaginationKind::kLinkHeader: {
      std::string next = NextLink(response.header("link"));
      if (next.empty()) return std::nullopt;
      return PageToken{PageToken::Kind::kUrl, std::move(next)};
    }
    case PaginationKind::kNextUrl: {
      const boost::json::value* next = FindPath(body, p.next_url_path);
      if (next == nullptr || ScalarText(*next).empty()) return std::nullopt;
      return PageToken{PageToken::Kind::kUrl, ScalarText(*next)};
    }
    case PaginationKind::kCursor: {
      std::string next;
      if (!p.cursor_path.empty()) {
        if (const boost::json::value* v = FindPath(body, p.cursor_path)) next = ScalarText(*v);
      } else if (!records.empty()) {
        if (const boost::json::value* v = FindPath(records.back(), p.cursor_record_field)) {
          next = ScalarText(*v);
        }
      }
      if (next.empty()) return std::nullopt;
      return PageToken{PageToken::Kind::kToken, std::move(next)};
    }
    case PaginationKind::kPage: {
      const int64_t current = token_ ? ToNumber(token_->value, 1) : (p.first < 0 ? 1 : p.first);
      if (n == 0 || n < stream_.page_size) return std::nullopt;
      if (!p.total_pages_header.empty()) {
        std::string lower = p.total_pages_header;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const int64_t total = ToNumber(response.header(lower), -1);
        if (total >= 0 && current >= total) return std::nullopt;
      }
      return PageToken{PageToken::Kind::kNumber, std::to_string(current + 1)};
    }
    case PaginationKind::kOffset: {
      const int64_t current = token_ ? ToNumber(token_->value, 0) : (p.first < 0 ? 0 : p.first);
      if (n == 0 || n < stream_.page_size) return std::nullopt;
      if (!p.total_path.empty()) {
        if (const boost::json::value* total = FindPath(body, p.total_path)) {
          if (ToNumber(ScalarText(*total), -1) >= 0 &&
              current + n >= ToNumber(ScalarText(*total), -1)) {
            return std::nullopt;
          }
        }
      }
      return PageToken{PageToken::Kind::kNumber, std::to_string(current + n)};
    }
  }
  return std::nullopt;
}

Result<Page> StreamReader::Next() {
  auto request = BuildRequest(token_);
  if (!request.ok() && !resuming_) return request.error();
  // A stored page URL that no longer fits the config (base_url moved) is a stale token too.
  Result<delivery::HttpResponse> response =
      request.ok() ? client_.Send(*request) : Result<delivery::HttpResponse>(request.error());
  if (!response.ok() && resuming_ &&
      (response.error().code == ErrorCode::kInvalidArgument ||
       response.error().code == ErrorCode::kNotFound)) {
    // A stored page token can go stale (Shopify's page_info, an expired cursor). Start the
    // read again from the cursor: what was stored already is recognised as duplicates.
    resuming_ = false;
    token_.reset();
    state_.resume.reset();
    state_.read_from = CursorForRequest();
    request = BuildRequest(token_);
    if (!request.ok()) return request.error();
    response = client_.Send(*request);
  }
  resuming_ = false;
  if (!response.ok()) return response.error();

  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response->body, ec);
  if (ec) {
    return InvalidArgument("stream '" + stream_.name + "': the response is not JSON (" +
                           ec.message() + ")");
  }
  const boost::json::value* list = stream_.records.empty() ? &body : FindPath(body, stream_.records);
  static const boost::json::array kNone;
  if (list != nullptr && list->is_null()) list = nullptr;
  if (list != nullptr && !list->is_array()) {
    return InvalidArgument("stream '" + stream_.name + "': '" + stream_.records +
                           "' in the response is not a list");
  }
  // A missing record list is an empty page (Square leaves `customers` out when none match).
  const boost::json::array& records = list == nullptr ? kNone : list->as_array();

  Page page;
  const auto now = clock_.Now();
  for (const boost::json::value& record : records) {
    const boost::json::value* id =
        stream_.id_field.empty() ? nullptr : FindPath(record, stream_.id_field);
    std::string id_text = id == nullptr ? std::string() : ScalarText(*id);
    // A child record may have no id of its own (an activity entry): its parent's id and its
    // content identify it.
    if (id_text.empty() && parent_ != nullptr && stream_.id_field.empty()) id_text = "-";
    if (id_text.empty()) {
      page.bad_records.push_back("stream '" + stream_.name + "': a record without '" +
                                 stream_.id_field + "'");
      continue;
    }
    TemplateContext context;
    context.record = &record;
    context.params = &settings_.params;
    if (parent_ != nullptr) context.parent = &parent_->fields;
    std::vector<std::string> missing;
    context.missing = &missing;
    auto event_type = Render(stream_.event_type, context);
    if (!event_type.ok() || event_type->empty() || !missing.empty()) {
      page.bad_records.push_back("stream '" + stream_.name + "': record " + id_text +
                                 ": no event type (" + stream_.event_type + ")");
      continue;
    }
    if (!stream_.cursor.field.empty()) {
      if (const boost::json::value* v = FindPath(record, stream_.cursor.field)) {
        const std::string value = ScalarText(*v);
        if (!value.empty() && (state_.pending.empty() || CursorAfter(value, state_.pending))) {
          state_.pending = value;
        }
      }
    }
    RawEvent event;
    event.source = source_;
    event.event_type = std::move(*event_type);
    event.content_type = "application/json";
    const std::string serialized = boost::json::serialize(record);
    event.external_id = stream_.name + ":" +
                        (parent_ != nullptr ? parent_->id + ":" : std::string()) + id_text + ":" +
                        Sha256Prefix(serialized);
    const bool tag_parent = parent_ != nullptr && record.is_object();
    if (stream_.wrap.empty() && !tag_parent) {
      event.body = serialized;  // the common case: no copy of the record
    } else {
      boost::json::value stored = record;
      if (tag_parent) {
        boost::json::object fields;
        for (const auto& [name, value] : parent_->fields) fields[name] = value;
        stored.as_object()["_parent"] = std::move(fields);
      }
      // {"data": {"object": record}} for wrap "data.object".
      std::string_view path = stream_.wrap;
      while (!path.empty()) {
        const size_t dot = path.rfind('.');
        const std::string_view key = dot == std::string_view::npos ? path : path.substr(dot + 1);
        boost::json::object outer;
        outer[key] = std::move(stored);
        stored = std::move(outer);
        path = dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
      }
      event.body = boost::json::serialize(stored);
    }
    event.headers.emplace_back("x-journeyd-stream", stream_.name);
    event.received_at = now;
    page.events.push_back(std::move(event));
    if (keep_records_) page.records.push_back(record);
  }

  ++pages_;
  std::optional<PageToken> next = FollowingPage(*response, body, records);
  bool more = next.has_value();
  const PaginationSettings& p = stream_.pagination;
  if (more && !p.stop_path.empty()) {
    const boost::json::value* stop = FindPath(body, p.stop_path);
    if (stop != nullptr && stop->is_bool() && stop->as_bool() == p.stop_value) more = false;
  }
  // A page that brings no records and the same token again would loop for ever.
  if (more && records.empty() && token_ && *next == *token_) more = false;

  const bool page_limit = more && settings_.max_pages > 0 && pages_ >= settings_.max_pages;
  if (more) {
    state_.resume = next;
    if (stream_.cursor.ordered && !state_.pending.empty() &&
        (state_.cursor.empty() || CursorAfter(state_.pending, state_.cursor))) {
      state_.cursor = state_.pending;
    }
  } else {
    if (!state_.pending.empty() &&
        (state_.cursor.empty() || CursorAfter(state_.pending, state_.cursor))) {
      state_.cursor = state_.pending;
    }
    state_.pending.clear();
    state_.resume = p.resume_from_last && next ? next : std::nullopt;
    state_.read_from = state_.resume ? state_.read_from : std::string();
  }
  token_ = next;
  done_ = !more || page_limit;
  page.last = done_;
  page.state = state_;
  return page;
}

}  // namespace journeyd::poll
