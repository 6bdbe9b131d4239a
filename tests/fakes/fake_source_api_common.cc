#include "tests/fakes/fake_source_api_common.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {

namespace json = boost::json;

// --- Fixtures ----------------------------------------------------------------------------------

json::value LoadFixture(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("fixture missing: " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value value = json::parse(text.str(), ec);
  if (ec) throw std::runtime_error("fixture is not JSON: " + path.string() + ": " + ec.message());
  return value;
}

const json::object& RequireObject(const json::value& value, std::string_view what) {
  if (!value.is_object()) throw std::runtime_error("fixture has no object " + std::string(what));
  return value.as_object();
}

// --- Time --------------------------------------------------------------------------------------

int64_t UnixSeconds(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint FromUnixSeconds(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

std::string FormatWallClock(TimePoint t, int utc_offset_minutes) {
  const std::time_t seconds = static_cast<std::time_t>(UnixSeconds(t) + utc_offset_minutes * 60);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text;
}

std::string FormatRfc3339(TimePoint t, int utc_offset_minutes) {
  const int magnitude = std::abs(utc_offset_minutes);
  char zone[16];
  std::snprintf(zone, sizeof(zone), "%c%02d:%02d", utc_offset_minutes < 0 ? '-' : '+',
                magnitude / 60, magnitude % 60);
  return FormatWallClock(t, utc_offset_minutes) + zone;
}

namespace {

// `count` digits at `*pos`, advancing it.
std::optional<int> Digits(std::string_view text, size_t* pos, size_t count) {
  if (*pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  *pos += count;
  return value;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// "Z", "±hh:mm" or "±hhmm" at `*pos` (which must end the text).
std::optional<int> ParseZone(std::string_view text, size_t pos) {
  if (pos >= text.size()) return std::nullopt;
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) return 0;
  if (text[pos] != '+' && text[pos] != '-') return std::nullopt;
  const int sign = text[pos] == '-' ? -1 : 1;
  ++pos;
  const auto hours = Digits(text, &pos, 2);
  if (!hours) return std::nullopt;
  Expect(text, &pos, ':');
  const auto minutes = Digits(text, &pos, 2);
  if (!minutes || pos != text.size() || *hours > 23 || *minutes > 59) return std::nullopt;
  return sign * (*hours * 60 + *minutes);
}

}  // namespace

std::optional<int> UtcOffsetMinutes(std::string_view timestamp) {
  // The zone follows the seconds (and any fraction) of "YYYY-MM-DDThh:mm:ss".
  constexpr size_t kSecondsEnd = 19;
  if (timestamp.size() <= kSecondsEnd) return std::nullopt;
  size_t pos = kSecondsEnd;
  if (timestamp[pos] == '.') {
    ++pos;
    while (pos < timestamp.size() && std::isdigit(static_cast<unsigned char>(timestamp[pos]))) {
      ++pos;
    }
  }
  return ParseZone(timestamp, pos);
}

std::optional<TimePoint> ParseTimestamp(std::string_view text,
                                        std::optional<int> default_offset_minutes,
                                        bool allow_date_only) {
  size_t pos = 0;
  const auto year = Digits(text, &pos, 4);
  if (!year || !Expect(text, &pos, '-')) return std::nullopt;
  const auto month = Digits(text, &pos, 2);
  if (!month || !Expect(text, &pos, '-')) return std::nullopt;
  const auto day = Digits(text, &pos, 2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  int64_t fraction_ns = 0;
  std::optional<int> offset;
  if (pos == text.size()) {
    if (!allow_date_only) return std::nullopt;
    offset = default_offset_minutes;
  } else {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    const auto h = Digits(text, &pos, 2);
    if (!h || !Expect(text, &pos, ':')) return std::nullopt;
    const auto m = Digits(text, &pos, 2);
    if (!m || !Expect(text, &pos, ':')) return std::nullopt;
    const auto s = Digits(text, &pos, 2);
    if (!s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
    hour = *h;
    minute = *m;
    second = std::min(*s, 59);
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      const size_t start = pos;
      int64_t scale = 1000000000;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        scale /= 10;
        fraction_ns += (text[pos] - '0') * scale;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
    offset = pos == text.size() ? default_offset_minutes : ParseZone(text, pos);
  }
  if (!offset) return std::nullopt;
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                     std::chrono::minutes(minute) + std::chrono::seconds(second) +
                     std::chrono::nanoseconds(fraction_ns);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      (local - std::chrono::minutes(*offset)).time_since_epoch()));
}

// --- Query strings -----------------------------------------------------------------------------

QueryParams::QueryParams(std::string_view query) : params_(ParseForm(query)) {}

bool QueryParams::Has(std::string_view name) const { return Count(name) > 0; }

size_t QueryParams::Count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(params_.begin(), params_.end(),
                                           [&](const auto& p) { return p.first == name; }));
}

std::optional<std::string> QueryParams::Get(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  size_t pos = 0;
  bool negative = false;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    pos = 1;
  }
  if (pos == text.size() || text.size() - pos > 18) return std::nullopt;
  int64_t value = 0;
  for (; pos < text.size(); ++pos) {
    if (text[pos] < '0' || text[pos] > '9') return std::nullopt;
    value = value * 10 + (text[pos] - '0');
  }
  return negative ? -value : value;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += UrlEncode(key) + "=" + UrlEncode(value);
  }
  return out;
}

// --- Credentials -------------------------------------------------------------------------------

namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && Lowercase(text.substr(0, prefix.size())) == prefix;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseBasicAuth(std::string_view header) {
  if (!StartsWithNoCase(header, "basic ")) return std::nullopt;
  std::string encoded(header.substr(6));
  encoded.erase(0, encoded.find_first_not_of(' '));
  // Standard base64 is base64url with two other letters.
  std::replace(encoded.begin(), encoded.end(), '+', '-');
  std::replace(encoded.begin(), encoded.end(), '/', '_');
  std::string decoded;
  if (encoded.empty() || !Base64UrlDecode(encoded, &decoded)) return std::nullopt;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

std::optional<std::string> ParseBearer(std::string_view header) {
  if (!StartsWithNoCase(header, "bearer ")) return std::nullopt;
  std::string token(header.substr(7));
  token.erase(0, token.find_first_not_of(' '));
  if (token.empty()) return std::nullopt;
  return token;
}

// --- Cursors -----------------------------------------------------------------------------------

std::string EncodeCursor(const json::object& state) {
  std::string text = Base64Encode(json::serialize(state));
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  text.erase(std::find(text.begin(), text.end(), '='), text.end());
  return text;
}

std::optional<json::object> DecodeCursor(std::string_view cursor) {
  if (cursor.empty() || cursor.find('=') != std::string_view::npos) return std::nullopt;
  std::string decoded;
  if (!Base64UrlDecode(cursor, &decoded)) return std::nullopt;
  boost::system::error_code ec;
  json::value value = json::parse(decoded, ec);
  if (ec || !value.is_object()) return std::nullopt;
  // Re-encoding must give the same text: an edited cursor that still decodes is refused too.
  if (EncodeCursor(value.as_object()) != cursor) return std::nullopt;
  return value.as_object();
}

// --- Records -----------------------------------------------------------------------------------

std::string CloneEmail(std::string_view example, int64_t n) {
  const std::string suffix = "." + std::to_string(n);
  if (!IsPlausibleEmail(example)) return "customer" + suffix + "@example.com";
  const size_t at = example.find('@');
  return std::string(example.substr(0, at)) + suffix + std::string(example.substr(at));
}

bool ReplaceAt(json::object& object, std::initializer_list<std::string_view> path,
               json::value value) {
  json::object* current = &object;
  size_t step = 0;
  for (std::string_view key : path) {
    json::value* next = current->if_contains(key);
    if (next == nullptr) return false;
    if (++step == path.size()) {
      *next = std::move(value);
      return true;
    }
    if (!next->is_object()) return false;
    current = &next->as_object();
  }
  return false;
}

std::string StringAt(const json::object& object, std::initializer_list<std::string_view> path) {
  const json::object* current = &object;
  size_t step = 0;
  for (std::string_view key : path) {
    const json::value* next = current->if_contains(key);
    if (next == nullptr) return {};
    if (++step == path.size()) return next->is_string() ? std::string(next->as_string()) : "";
    if (!next->is_object()) return {};
    current = &next->as_object();
  }
  return {};
}

// --- FakeSourceApiBase -------------------------------------------------------------------------

FakeSourceApiBase::FakeSourceApiBase(std::string vendor, FakeSourceApiOptions options,
                                     std::vector<std::string> collections)
    : vendor_(std::move(vendor)),
      options_(std::move(options)),
      collections_(std::move(collections)) {
  for (const auto& name : collections_) records_[name];
}

FakeSourceApiBase::~FakeSourceApiBase() { StopServer(); }

void FakeSourceApiBase::StartServer() {
  server_ = std::make_unique<FakeHttpServer>(
      [this](const Request& request) {
        std::lock_guard lock(mu_);
        return Handle(request);
      },
      [this](int status) {
        std::lock_guard lock(mu_);
        return Fault(status);
      },
      options_.server);
}

void FakeSourceApiBase::StopServer() { server_.reset(); }

std::string FakeSourceApiBase::base_url() const {
  if (!server_) throw std::logic_error("FakeSourceApiBase: StartServer() was not called");
  return server_->base_url();
}

FakeHttpServer& FakeSourceApiBase::server() {
  if (!server_) throw std::logic_error("FakeSourceApiBase: StartServer() was not called");
  return *server_;
}

FakeSourceApiBase::Collection& FakeSourceApiBase::CollectionOrThrow(const std::string& name) {
  auto it = records_.find(name);
  if (it == records_.end()) {
    throw std::invalid_argument(vendor_ + " fake serves no collection \"" + name + "\"");
  }
  return it->second;
}

std::vector<std::string> FakeSourceApiBase::Seed(const std::string& collection, int count,
                                                 TimePoint first_updated) {
  if (count < 0) throw std::invalid_argument("Seed: negative count");
  std::lock_guard lock(mu_);
  Collection& target = CollectionOrThrow(collection);
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const auto clone_index = static_cast<int64_t>(target.records.size());
    SourceRecord record =
        MakeClone(collection, clone_index, first_updated + std::chrono::seconds(i));
    record.clone_index = clone_index;
    record.sequence = next_sequence_++;
    if (!target.by_id.emplace(record.id, target.records.size()).second) {
      throw std::logic_error(vendor_ + " fake cloned a duplicate id " + record.id);
    }
    ids.push_back(record.id);
    target.records.push_back(std::move(record));
  }
  return ids;
}

void FakeSourceApiBase::Touch(const std::string& collection, const std::string& id, TimePoint at) {
  std::lock_guard lock(mu_);
  Collection& target = CollectionOrThrow(collection);
  auto it = target.by_id.find(id);
  if (it == target.by_id.end()) {
    throw std::invalid_argument(vendor_ + " " + collection + " has no record " + id);
  }
  SourceRecord& record = target.records[it->second];
  record.updated = at;
  ApplyTouch(collection, record, at);
}

void FakeSourceApiBase::RateLimitNext(int count, std::chrono::seconds retry_after) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) queued_429s_.push_back(retry_after);
}

std::map<std::string, int> FakeSourceApiBase::PagesServed() const {
  std::lock_guard lock(mu_);
  return pages_served_;
}

const std::vector<SourceRecord>& FakeSourceApiBase::Records(const std::string& collection) const {
  static const std::vector<SourceRecord> kNone;
  auto it = records_.find(collection);
  return it == records_.end() ? kNone : it->second.records;
}

const SourceRecord* FakeSourceApiBase::FindRecord(const std::string& collection,
                                                  const std::string& id) const {
  auto it = records_.find(collection);
  if (it == records_.end()) return nullptr;
  auto found = it->second.by_id.find(id);
  return found == it->second.by_id.end() ? nullptr : &it->second.records[found->second];
}

std::optional<std::chrono::seconds> FakeSourceApiBase::TakeQueuedRateLimit() {
  if (queued_429s_.empty()) return std::nullopt;
  const auto retry_after = queued_429s_.front();
  queued_429s_.pop_front();
  return retry_after;
}

}  // namespace journeyd::fakes
