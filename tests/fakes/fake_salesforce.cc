#include "tests/fakes/fake_salesforce.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>

#include "tests/fakes/fake_util.h"

namespace journeyd::fakes {

namespace json = boost::json;
using std::chrono::system_clock;

std::map<std::string, SObjectSchema> DefaultSObjects() {
  const std::vector<std::string> person = {
      "FirstName",      "LastName",          "Email",
      "Phone",          "MailingCity",       "MailingCountry",
      "Title",          "LeadSource",        "Description",
      "Journeyd_Id__c", "Journeyd_Stage__c", "Journeyd_Engagement__c"};
  std::vector<std::string> lead = person;
  lead.push_back("Company");
  return {
      {"Contact", {"003", person, {"LastName"}, {"Email"}, {"Journeyd_Id__c"}, {}}},
      {"Lead", {"00Q", lead, {"LastName", "Company"}, {"Email"}, {"Journeyd_Id__c"}, {}}},
      {"Task",
       {"00T",
        {"Subject", "Description", "ActivityDate", "Status", "Priority", "WhoId", "OwnerId", "Type",
         "TaskSubtype", "Journeyd_Key__c"},
        {},
        {},
        {"Journeyd_Key__c"},
        {{"WhoId", {"Contact", "Lead"}}}}},
  };
}

namespace {

constexpr size_t kMaxRecords = 200;
constexpr std::string_view kJwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::chrono::seconds kMaxJwtLead{180};

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A PEM public key, or the key of a PEM certificate (what a connected app is given).
Pkey LoadPublicKey(const std::string& pem) {
  auto read = [&](auto reader) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    auto result = reader(bio);
    BIO_free(bio);
    return result;
  };
  EVP_PKEY* key =
      read([](BIO* bio) { return PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr); });
  if (key == nullptr) {
    X509* cert = read([](BIO* bio) { return PEM_read_bio_X509(bio, nullptr, nullptr, nullptr); });
    if (cert != nullptr) {
      key = X509_get_pubkey(cert);
      X509_free(cert);
    }
  }
  ERR_clear_error();
  if (key == nullptr || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    throw std::invalid_argument("jwt_public_key_pem is not an RSA public key or certificate");
  }
  return Pkey(key);
}

bool VerifyRs256(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

// The case-insensitive 18-character form of a 15-character id: each 5-character chunk's
// uppercase letters, as bits, pick a suffix character.
std::string SalesforceId(const std::string& prefix, uint64_t serial) {
  static constexpr char kBase62[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string digits(9, '0');
  for (int i = 8; i >= 0 && serial > 0; --i, serial /= 62)
    digits[static_cast<size_t>(i)] = kBase62[serial % 62];
  std::string id = prefix + "5J0" + digits;
  static constexpr char kSuffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    int flags = 0;
    for (size_t j = 0; j < 5; ++j) {
      if (std::isupper(static_cast<unsigned char>(id[chunk * 5 + j]))) flags |= 1 << j;
    }
    id += kSuffix[flags];
  }
  return id;
}

// Salesforce's error list: the body of a failed REST call.
Response ApiError(int status, const std::string& code, const std::string& message) {
  return {status,
          json::serialize(json::array{json::object{{"message", message}, {"errorCode", code}}})};
}

Response OAuthError(const std::string& error, const std::string& description) {
  return {400, json::serialize(json::object{{"error", error}, {"error_description", description}})};
}

json::object RecordError(const std::string& code, const std::string& message,
                         const std::vector<std::string>& fields) {
  json::array names;
  for (const auto& f : fields) names.emplace_back(f);
  return {{"statusCode", code}, {"message", message}, {"fields", std::move(names)}};
}

// Salesforce labels a custom field by its API name without __c and with spaces.
std::string FieldLabel(std::string name) {
  if (name.size() > 3 && name.ends_with("__c")) name.resize(name.size() - 3);
  for (char& c : name) {
    if (c == '_') c = ' ';
  }
  return name;
}

// A field value as text, for external ids and lookups; nullopt for null or "".
std::optional<std::string> ScalarText(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  std::string text = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  if (text.empty()) return std::nullopt;
  return text;
}

bool Blank(const json::value* v) { return v == nullptr || !ScalarText(*v).has_value(); }

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// An sObject type with its field names indexed case-insensitively.
struct Schema {
  std::string name;
  SObjectSchema raw;
  std::map<std::string, std::string> fields;  // lowercase -> canonical
  std::set<std::string> external_ids;

  std::optional<std::string> Field(std::string_view name_any_case) const {
    auto it = fields.find(Lowercase(name_any_case));
    if (it == fields.end()) return std::nullopt;
    return it->second;
  }
};

// One record of a collection request, after the whole-request checks.
struct Incoming {
  const Schema* schema = nullptr;
  json::object fields;  // canonical names; no attributes, no Id
  std::vector<json::object> errors;
  std::optional<size_t> existing;  // upsert: the record it updates
};

}  // namespace

struct FakeSalesforce::State {
  explicit State(const SalesforceOptions& o) : options(o) {
    for (const auto& [name, raw] : o.sobjects) {
      Schema schema{name, raw, {}, {raw.external_ids.begin(), raw.external_ids.end()}};
      for (const auto& field : raw.fields) schema.fields[Lowercase(field)] = field;
      schemas[Lowercase(name)] = std::move(schema);
    }
    if (!o.jwt_public_key_pem.empty()) jwt_key = LoadPublicKey(o.jwt_public_key_pem);
  }

  struct Session {
    std::string grant;
    system_clock::time_point expires;
  };

  const SalesforceOptions& options;
  std::map<std::string, Schema> schemas;  // by lowercase name
  Pkey jwt_key;
  std::string base_url;

  std::map<std::string, Session> sessions;
  bool static_token_valid = true;
  std::map<std::string, int> tokens_issued;
  int api_used = 0;

  std::vector<SalesforceRecord> records;
  std::map<std::string, size_t> by_id;
  std::map<std::string, size_t> by_external;  // ExternalKey() -> position in `records`
  uint64_t next_serial = 1;
  std::map<std::string, size_t> requests_per_path;
  SalesforceStats stats;

  static std::string ExternalKey(const std::string& type, const std::string& field,
                                 const std::string& value) {
    return type + "\n" + field + "\n" + value;
  }

  const Schema* FindSchema(std::string_view name) const {
    auto it = schemas.find(Lowercase(name));
    return it == schemas.end() ? nullptr : &it->second;
  }

  std::optional<size_t> FindRecord(const std::string& id) const {
    // 15-character ids are the case-sensitive form of the same record.
    auto it = id.size() == 15 ? by_id.lower_bound(id) : by_id.find(id);
    if (it == by_id.end() || it->first.compare(0, id.size(), id) != 0) return std::nullopt;
    return it->second;
  }

  void AddHeaders(Response* r) const {
    r->headers.emplace_back("Sforce-Limit-Info", "api-usage=" + std::to_string(api_used) + "/" +
                                                     std::to_string(options.daily_api_limit));
  }

  // --- OAuth ----------------------------------------------------------------------------------

  Response Token(const Request& request) {
    if (request.method != "POST") return OAuthError("invalid_request", "must use HTTP POST");
    std::vector<std::pair<std::string, std::string>> form;
    // Salesforce reads the parameters from a form body only.
    if (Lowercase(request.header("content-type")).find("application/x-www-form-urlencoded") !=
        std::string::npos) {
      form = ParseForm(request.body);
    }
    auto param = [&](const std::string& name) {
      for (const auto& [key, value] : form) {
        if (key == name) return value;
      }
      return std::string{};
    };
    const std::string grant = param("grant_type");
    if (grant == "client_credentials") {
      if (param("client_id") != options.client_id ||
          param("client_secret") != options.client_secret) {
        return OAuthError("invalid_client", "invalid client credentials");
      }
      return Issue(grant);
    }
    if (grant == kJwtGrant) {
      if (auto refused = CheckAssertion(param("assertion"))) return *refused;
      return Issue(grant);
    }
    return OAuthError("unsupported_grant_type", "grant type not supported");
  }

  // The refusal of a JWT bearer assertion, or nothing when it is good.
  std::optional<Response> CheckAssertion(const std::string& assertion) const {
    const size_t dot1 = assertion.find('.');
    const size_t dot2 = dot1 == std::string::npos ? dot1 : assertion.find('.', dot1 + 1);
    std::string header_text, claims_text, signature;
    if (dot2 == std::string::npos || assertion.find('.', dot2 + 1) != std::string::npos ||
        !Base64UrlDecode(std::string_view(assertion).substr(0, dot1), &header_text) ||
        !Base64UrlDecode(std::string_view(assertion).substr(dot1 + 1, dot2 - dot1 - 1),
                         &claims_text) ||
        !Base64UrlDecode(std::string_view(assertion).substr(dot2 + 1), &signature)) {
      return OAuthError("invalid_grant", "invalid assertion");
    }
    boost::system::error_code ec;
    const json::value header = json::parse(header_text, ec);
    const json::value* alg = header.is_object() ? header.as_object().if_contains("alg") : nullptr;
    if (ec || !alg || !alg->is_string() || alg->as_string() != "RS256") {
      return OAuthError("invalid_grant", "invalid assertion: the algorithm must be RS256");
    }
    if (!jwt_key ||
        !VerifyRs256(jwt_key.get(), std::string_view(assertion).substr(0, dot2), signature)) {
      return OAuthError("invalid_grant", "invalid assertion: signature verification failed");
    }
    const json::value claims = json::parse(claims_text, ec);
    if (ec || !claims.is_object()) return OAuthError("invalid_grant", "invalid assertion");
    const json::object& c = claims.as_object();
    auto text = [&](const char* name) {
      const json::value* v = c.if_contains(name);
      return v && v->is_string() ? std::string(v->as_string()) : std::string{};
    };
    if (text("iss") != options.client_id) {
      return OAuthError("invalid_client", "invalid client credentials");
    }
    bool audience_ok = text("aud") == options.audience;
    if (const json::value* aud = c.if_contains("aud"); aud && aud->is_array()) {
      for (const auto& a : aud->as_array()) {
        audience_ok |= a.is_string() && a.as_string() == options.audience;
      }
    }
    if (!audience_ok) return OAuthError("invalid_grant", "audience is invalid");
    if (text("sub") != options.username) {
      return OAuthError("invalid_grant", "user hasn't approved this consumer");
    }
    const json::value* exp = c.if_contains("exp");
    int64_t exp_seconds = 0;
    if (exp && exp->is_double()) {
      exp_seconds = static_cast<int64_t>(exp->as_double());
    } else if (exp && exp->is_number()) {
      exp_seconds = exp->to_number<int64_t>(ec);
    }
    if (!exp || !exp->is_number() || ec) {
      return OAuthError("invalid_grant", "invalid assertion: exp must be a number");
    }
    const auto expires = system_clock::time_point(std::chrono::seconds(exp_seconds));
    const auto now = system_clock::now();
    if (expires <= now) return OAuthError("invalid_grant", "expired authorization code");
    if (expires - now > kMaxJwtLead) {
      return OAuthError("invalid_grant", "invalid assertion: exp is more than 3 minutes ahead");
    }
    return std::nullopt;
  }

  Response Issue(const std::string& grant) {
    const std::string token = "00D5J000000FakeEAA!" + RandomHex(40);
    const auto now = system_clock::now();
    sessions[token] = Session{grant, now + options.token_lifetime};
    ++tokens_issued[grant];
    const std::string issued_at = std::to_string(UnixMillis(now));
    const std::string id = base_url + "/id/00D5J000000FakeEAA/0055J000000FakeQAA";
    json::object body{
        {"access_token", token},
        {"instance_url", base_url},
        {"id", id},
        {"token_type", "Bearer"},
        {"issued_at", issued_at},
        {"signature", Base64Encode(HmacSha256(options.client_secret, id + issued_at))}};
    return {200, json::serialize(body)};
  }

  bool ValidSession(const Request& request) const {
    const std::string authorization = request.header("authorization");
    std::string token;
    for (std::string_view scheme : {"Bearer ", "OAuth "}) {
      if (authorization.starts_with(scheme)) token = authorization.substr(scheme.size());
    }
    if (token.empty()) return false;
    if (token == options.static_token) return static_token_valid;
    auto it = sessions.find(token);
    return it != sessions.end() && it->second.expires > system_clock::now();
  }

  // --- Routing --------------------------------------------------------------------------------

  Response Route(const Request& request) {
    if (request.path == "/services/oauth2/token") return Token(request);
    constexpr std::string_view kData = "/services/data/";
    if (!request.path.starts_with(kData)) {
      return ApiError(404, "NOT_FOUND", "The requested resource does not exist");
    }
    if (!ValidSession(request)) {
      Response r = ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid");
      r.headers.emplace_back("WWW-Authenticate", "Token");
      return r;
    }
    if (api_used >= options.daily_api_limit) {
      return ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
    }
    ++api_used;

    static const std::regex kCollections(
        R"(v(\d+)\.(\d+)/composite/sobjects(?:/([^/]+)/([^/]+))?/?)");
    std::smatch m;
    const std::string rest = request.path.substr(kData.size());
    if (!std::regex_match(rest, m, kCollections) || std::stoi(m[1].str()) < 46) {
      return ApiError(404, "NOT_FOUND", "The requested resource does not exist");
    }
    const bool upsert = m[3].matched;
    const std::string allowed = upsert ? "PATCH" : "POST";
    if (request.method != allowed) {
      return ApiError(405, "METHOD_NOT_ALLOWED",
                      "HTTP Method '" + request.method + "' not allowed. Allowed are " + allowed);
    }
    boost::system::error_code ec;
    const json::value body = json::parse(request.body, ec);
    if (ec) return ApiError(400, "JSON_PARSER_ERROR", "Unexpected character: " + ec.message());
    if (!upsert) return Collection(body, nullptr, {});
    const Schema* schema = FindSchema(m[3].str());
    if (!schema) return ApiError(404, "NOT_FOUND", "The requested resource does not exist");
    auto key = schema->Field(m[4].str());
    if (!key || !schema->external_ids.contains(*key)) {
      return ApiError(
          404, "NOT_FOUND",
          "Provided external ID field does not exist or is not accessible: " + m[4].str());
    }
    return Collection(body, schema, *key);
  }

  // --- sObject Collections --------------------------------------------------------------------

  // Create (`uri_schema` null) or upsert by `key` into `uri_schema`.
  Response Collection(const json::value& body, const Schema* uri_schema, const std::string& key) {
    const bool upsert = uri_schema != nullptr;
    const json::object* object = body.if_object();
    const json::value* batch = object ? object->if_contains("records") : nullptr;
    if (!batch || !batch->is_array()) {
      return ApiError(400, "JSON_PARSER_ERROR", "The request needs a records array");
    }
    const json::value* all_or_none_value = object->if_contains("allOrNone");
    if (all_or_none_value && !all_or_none_value->is_bool()) {
      return ApiError(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean");
    }
    const bool all_or_none = all_or_none_value && all_or_none_value->as_bool();
    if (batch->as_array().size() > kMaxRecords) {
      return ApiError(400, "EXCEEDED_ID_LIMIT",
                      "Record limit reached: at most 200 records per request, got " +
                          std::to_string(batch->as_array().size()));
    }

    // Whole-request checks: one bad record fails the request with nothing applied.
    std::vector<Incoming> incoming;
    for (const auto& record : batch->as_array()) {
      const json::object* fields = record.if_object();
      const json::value* attributes = fields ? fields->if_contains("attributes") : nullptr;
      const json::value* type = attributes && attributes->is_object()
                                    ? attributes->as_object().if_contains("type")
                                    : nullptr;
      if (!type || !type->is_string()) {
        return ApiError(400, "INVALID_TYPE", "Must send a concrete entity type.");
      }
      const std::string type_name(type->as_string());
      Incoming in;
      in.schema = FindSchema(type_name);
      if (upsert && in.schema != uri_schema) {
        return ApiError(400, "INVALID_FIELD",
                        "Record type '" + type_name +
                            "' does not match the type of the request "
                            "URI: " +
                            uri_schema->name);
      }
      if (!in.schema) {
        return ApiError(400, "INVALID_TYPE", "sObject type '" + type_name + "' is not supported.");
      }
      for (const auto& [name, value] : *fields) {
        if (name == "attributes") continue;
        if (value.is_object() || value.is_array()) {
          return ApiError(
              400, "JSON_PARSER_ERROR",
              "Cannot deserialize a field value from an object or array: " + std::string(name));
        }
        if (Lowercase(name) == "id") {
          if (upsert) {
            return ApiError(400, "INVALID_FIELD",
                            "Id may not be set in an upsert by external id; records are matched "
                            "on " +
                                key);
          }
          in.errors.push_back(
              RecordError("INVALID_FIELD", "cannot specify Id in an insert call", {"Id"}));
          continue;
        }
        auto canonical = in.schema->Field(name);
        if (!canonical) {
          return ApiError(
              400, "INVALID_FIELD",
              "No such column '" + std::string(name) + "' on sobject of type " + in.schema->name);
        }
        in.fields[*canonical] = value;
      }
      incoming.push_back(std::move(in));
    }

    // Per-record checks, all against the org as it was before this request.
    std::map<std::string, int> key_uses;
    if (upsert) {
      for (const auto& in : incoming) {
        if (auto* v = in.fields.if_contains(key); v && ScalarText(*v)) ++key_uses[*ScalarText(*v)];
      }
    }
    std::map<std::string, size_t> claimed;  // external key -> index in this request
    for (size_t i = 0; i < incoming.size(); ++i) {
      Incoming& in = incoming[i];
      if (upsert) {
        const json::value* v = in.fields.if_contains(key);
        if (Blank(v)) {
          in.errors.push_back(RecordError("MISSING_ARGUMENT", key + " not specified", {}));
          continue;
        }
        const std::string value = *ScalarText(*v);
        if (key_uses[value] > 1) {
          in.errors.push_back(
              RecordError("DUPLICATE_VALUE", "Duplicate external id specified: " + value, {key}));
          continue;
        }
        auto found = by_external.find(ExternalKey(in.schema->name, key, value));
        if (found != by_external.end()) in.existing = found->second;
      }
      CheckRecord(i, &in, upsert ? key : std::string{}, &claimed);
    }

    bool any_failed = false;
    for (const auto& in : incoming) any_failed |= !in.errors.empty();
    json::array results;
    for (auto& in : incoming) {
      if (!in.errors.empty() || (all_or_none && any_failed)) {
        json::array errors(in.errors.begin(), in.errors.end());
        if (errors.empty()) {
          errors.push_back(RecordError(
              "ALL_OR_NONE_OPERATION_ROLLED_BACK",
              "Record rolled back because not all records were valid and the request was using "
              "AllOrNone header",
              {}));
        }
        results.push_back(json::object{{"success", false}, {"errors", std::move(errors)}});
        ++stats.record_errors;
        continue;
      }
      const bool created = !in.existing.has_value();
      const SalesforceRecord& record = Apply(in, upsert);
      json::object result{{"id", record.id}, {"success", true}, {"errors", json::array{}}};
      if (upsert) result["created"] = created;
      results.push_back(std::move(result));
      ++stats.records_applied;
    }
    return {200, json::serialize(results)};
  }

  // Adds the record's own errors: required fields, emails, lookups, unique external ids.
  void CheckRecord(size_t index, Incoming* in, const std::string& upsert_key,
                   std::map<std::string, size_t>* claimed) const {
    const Schema& schema = *in->schema;
    const SalesforceRecord* existing = in->existing ? &records[*in->existing] : nullptr;
    std::vector<std::string> missing;
    for (const auto& name : schema.raw.required) {
      const json::value* v = in->fields.if_contains(name);
      if (existing ? (v && Blank(v)) : Blank(v)) missing.push_back(name);
    }
    if (!missing.empty()) {
      in->errors.push_back(RecordError("REQUIRED_FIELD_MISSING",
                                       "Required fields are missing: [" + Join(missing) + "]",
                                       missing));
    }
    for (const auto& name : schema.raw.email_fields) {
      const json::value* v = in->fields.if_contains(name);
      if (v && !Blank(v) && !(v->is_string() && IsPlausibleEmail(v->as_string()))) {
        in->errors.push_back(
            RecordError("INVALID_EMAIL_ADDRESS",
                        FieldLabel(name) + ": invalid email address: " + *ScalarText(*v), {name}));
      }
    }
    for (const auto& [name, targets] : schema.raw.references) {
      const json::value* v = in->fields.if_contains(name);
      if (!v || Blank(v)) continue;
      auto target = FindRecord(*ScalarText(*v));
      const bool ok = target && std::find(targets.begin(), targets.end(), records[*target].type) !=
                                    targets.end();
      if (!ok) {
        in->errors.push_back(
            RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {name}));
      }
    }
    for (const auto& field : schema.raw.external_ids) {
      const json::value* v = in->fields.if_contains(field);
      if (field == upsert_key || !v || Blank(v)) continue;
      const std::string external = ExternalKey(schema.name, field, *ScalarText(*v));
      auto owner = by_external.find(external);
      if (owner != by_external.end() && owner->second != in->existing) {
        in->errors.push_back(
            RecordError("DUPLICATE_VALUE",
                        "duplicate value found: " + field +
                            " duplicates value on record with id: " + records[owner->second].id,
                        {}));
      } else if (auto [it, fresh] = claimed->emplace(external, index); !fresh) {
        in->errors.push_back(RecordError("DUPLICATE_VALUE",
                                         "duplicate value found: " + field +
                                             " duplicates value in this "
                                             "request",
                                         {}));
      }
    }
  }

  const SalesforceRecord& Apply(const Incoming& in, bool upsert) {
    size_t position;
    if (in.existing) {
      position = *in.existing;
    } else {
      position = records.size();
      SalesforceRecord record;
      record.id = SalesforceId(in.schema->raw.key_prefix, next_serial++);
      record.type = in.schema->name;
      records.push_back(std::move(record));
      by_id[records.back().id] = position;
    }
    SalesforceRecord& record = records[position];
    for (const auto& [name, value] : in.fields) {
      const std::string field(name);
      if (in.schema->external_ids.contains(field)) {
        if (auto* old = record.fields.if_contains(field); old && ScalarText(*old)) {
          by_external.erase(ExternalKey(record.type, field, *ScalarText(*old)));
        }
        if (ScalarText(value))
          by_external[ExternalKey(record.type, field, *ScalarText(value))] = position;
      }
      if (value.is_null()) {
        record.fields.erase(field);
      } else {
        record.fields[field] = value;
      }
    }
    if (upsert) ++record.upsert_count;
    return record;
  }
};

FakeSalesforce::FakeSalesforce(SalesforceOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {
  server_ = std::make_unique<FakeHttpServer>(
      [this](const Request& request) { return Handle(request); },
      [this](int status) { return Fault(status); }, options_.server);
  std::lock_guard lock(mu_);
  state_->base_url = server_->base_url();
}

FakeSalesforce::~FakeSalesforce() { server_.reset(); }

Response FakeSalesforce::Handle(const Request& request) {
  std::lock_guard lock(mu_);
  ++state_->requests_per_path[request.path];
  Response response = state_->Route(request);
  state_->AddHeaders(&response);
  return response;
}

Response FakeSalesforce::Fault(int status) {
  std::lock_guard lock(mu_);
  Response response;
  switch (status) {
    case 401:
      response = ApiError(status, "INVALID_SESSION_ID", "Session expired or invalid");
      break;
    case 403:
      response = ApiError(status, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
      break;
    case 503:
      response = ApiError(status, "SERVER_UNAVAILABLE", "Server temporarily unavailable.");
      break;
    default:
      response = ApiError(status, "UNKNOWN_EXCEPTION",
                          "An unexpected error occurred. Please include this ErrorId if you "
                          "contact support: " +
                              RandomHex(4) + " (injected)");
  }
  state_->AddHeaders(&response);
  return response;
}

void FakeSalesforce::ExpireAllTokens() {
  std::lock_guard lock(mu_);
  state_->sessions.clear();
  state_->static_token_valid = false;
}

std::vector<SalesforceRecord> FakeSalesforce::Records(const std::string& sobject) const {
  std::lock_guard lock(mu_);
  std::vector<SalesforceRecord> out;
  for (const auto& record : state_->records) {
    if (Lowercase(record.type) == Lowercase(sobject)) out.push_back(record);
  }
  return out;
}

std::optional<SalesforceRecord> FakeSalesforce::RecordById(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto position = state_->FindRecord(id);
  if (!position) return std::nullopt;
  return state_->records[*position];
}

std::optional<SalesforceRecord> FakeSalesforce::FindByExternalId(const std::string& sobject,
                                                                 const std::string& field,
                                                                 const std::string& value) const {
  std::lock_guard lock(mu_);
  const Schema* schema = state_->FindSchema(sobject);
  auto canonical = schema ? schema->Field(field) : std::nullopt;
  if (!canonical) return std::nullopt;
  auto it = state_->by_external.find(State::ExternalKey(schema->name, *canonical, value));
  if (it == state_->by_external.end()) return std::nullopt;
  return state_->records[it->second];
}

int FakeSalesforce::UpsertCount(const std::string& sobject, const std::string& field,
                                const std::string& value) const {
  auto record = FindByExternalId(sobject, field, value);
  return record ? record->upsert_count : 0;
}

std::map<std::string, int> FakeSalesforce::TokensIssued() const {
  std::lock_guard lock(mu_);
  return state_->tokens_issued;
}

int FakeSalesforce::ApiUsage() const {
  std::lock_guard lock(mu_);
  return state_->api_used;
}

std::map<std::string, size_t> FakeSalesforce::RequestsPerPath() const {
  std::lock_guard lock(mu_);
  return state_->requests_per_path;
}

SalesforceStats FakeSalesforce::Stats() const {
  std::lock_guard lock(mu_);
  return state_->stats;
}

}  // namespace journeyd::fakes
