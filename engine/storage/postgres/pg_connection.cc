#include "engine/storage/postgres/pg_connection.h"

#include <vector>

#include "engine/storage/postgres/pg_error.h"

namespace journeyd::storage {

std::string DescribePgUrl(std::string_view url) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(url).c_str(), &parse_error);
  if (options == nullptr) {
    // libpq's parse errors quote no part of the URL, but say nothing useful either.
    if (parse_error != nullptr) PQfreemem(parse_error);
    return "an unparsable postgresql url";
  }
  std::string dbname, host, port, user;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "dbname") dbname = o->val;
    if (key == "host") host = o->val;
    if (key == "port") port = o->val;
    if (key == "user") user = o->val;
  }
  PQconninfoFree(options);
  std::string out = "postgresql database '" + (dbname.empty() ? std::string("(default)") : dbname) +
                    "' on " + (host.empty() ? std::string("the default socket") : host);
  if (!port.empty()) out += ":" + port;
  if (!user.empty()) out += " as '" + user + "'";
  return out;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(std::string url) {
  auto conn = std::make_unique<PgConnection>(std::move(url));
  if (Status s = conn->Connect(); !s.ok()) return s.error();
  return conn;
}

PgConnection::~PgConnection() { Close(); }

void PgConnection::Close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
}

Status PgConnection::Connect() {
  Close();
  in_transaction_ = false;
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url_.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string why = parse_error != nullptr ? parse_error : "out of memory";
    if (parse_error != nullptr) PQfreemem(parse_error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return InvalidArgument("bad postgresql url: " + why);
  }
  PQconninfoFree(parsed);
  // Defaults first: the URL's own settings, expanded from "dbname", override them.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "journeyd", url_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  ++connects_;
  if (conn_ == nullptr) return Unavailable("cannot connect to " + description_ + ": out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    Close();
    broken_ = true;
    return Unavailable("cannot connect to " + description_ + ": " + why);
  }
  // libpq prints NOTICEs ("relation already exists, skipping") to stderr by default; the
  // store's statements expect some, and none is worth a line of the daemon's output.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  broken_ = false;
  return OkStatus();
}

bool PgConnection::healthy() const {
  return conn_ != nullptr && !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

Status PgConnection::EnsureConnected() {
  if (healthy()) return OkStatus();
  if (in_transaction_) {
    // Reconnecting here would run the rest of the transaction's statements on their own.
    return Unavailable("lost the connection to " + description_ + " inside a transaction");
  }
  return Connect();
}

Error PgConnection::Fail(const PGresult* result, std::string_view what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view sqlstate = state != nullptr ? state : "";
  // The primary message only: DETAIL lines quote the offending values (personal data).
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary != nullptr ? primary
                        : conn_ != nullptr ? PQerrorMessage(conn_)
                                           : "no connection";
  if (PgConnectionLost(sqlstate) || conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    if (sqlstate.empty()) return Unavailable(std::string(what) + ": lost the connection to " +
                                             description_ + ": " + message);
  }
  return PgError(sqlstate, what, message);
}

Result<PgResult> PgConnection::Query(std::string_view sql, const PgParams& params) {
  if (Status s = EnsureConnected(); !s.ok()) return s.error();
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "journeyd_" + std::to_string(next_statement_++);
    const std::string text(sql);
    PgResult prepared(PQprepare(conn_, name.c_str(), text.c_str(), params.size(),
                                params.types().data()));
    if (prepared.get() == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return Fail(prepared.get(), "postgresql prepare");
    }
    it = prepared_.emplace(text, std::move(name)).first;
  }
  const std::vector<const char*> values = params.values();
  const std::vector<int> lengths = params.lengths();
  const std::vector<int> formats = params.formats();
  PgResult result(PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(),
                                 lengths.data(), formats.data(), /*resultFormat=*/0));
  const ExecStatusType status =
      result.get() != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return Fail(result.get(), "postgresql");
  }
  return result;
}

Status PgConnection::Exec(std::string_view sql) {
  if (Status s = EnsureConnected(); !s.ok()) return s;
  PgResult result(PQexec(conn_, std::string(sql).c_str()));
  const ExecStatusType status =
      result.get() != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return Fail(result.get(), "postgresql");
  }
  return OkStatus();
}

Status PgConnection::Begin(PgIsolation isolation) {
  Status s = OkStatus();
  switch (isolation) {
    case PgIsolation::kReadCommitted:
      s = Exec("BEGIN");
      break;
    case PgIsolation::kRepeatableReadOnly:
      s = Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      break;
    case PgIsolation::kRepeatableRead:
      s = Exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
      break;
    case PgIsolation::kSerializable:
      s = Exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
      break;
  }
  if (!s.ok()) return s;
  in_transaction_ = true;
  return OkStatus();
}

Status PgConnection::Commit() {
  // COMMIT ends the transaction whatever it answers.
  if (!healthy()) {
    in_transaction_ = false;
    return Unavailable("lost the connection to " + description_ + " before COMMIT");
  }
  PgResult result(PQexec(conn_, "COMMIT"));
  in_transaction_ = false;
  if (result.get() == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return Fail(result.get(), "postgresql commit");
  }
  // A transaction that had failed answers COMMIT with "ROLLBACK".
  if (std::string_view(PQcmdStatus(result.get())) == "ROLLBACK") {
    return Internal("postgresql commit: the transaction had failed and was rolled back");
  }
  return OkStatus();
}

void PgConnection::Rollback() {
  if (healthy()) {
    PgResult result(PQexec(conn_, "ROLLBACK"));
    if (result.get() == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      (void)Fail(result.get(), "postgresql rollback");
    }
  }
  in_transaction_ = false;
}

}  // namespace journeyd::storage
