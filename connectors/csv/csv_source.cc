#include "connectors/csv/csv_source.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "connectors/common/bearer_auth.h"
#include "connectors/common/checks.h"
#include "connectors/common/crypto.h"
#include "connectors/common/encoding.h"
#include "connectors/common/request.h"
#include "engine/record/csv_reader.h"

namespace journeyd::connectors::csv {

namespace {

std::optional<std::string> CheckDelimiter(const std::string& value) {
  if (value.size() == 1 && IsValidCsvDelimiter(value[0])) return std::nullopt;
  return "the delimiter must be one of \",\", \";\" or a tab (\"\\t\")";
}

}  // namespace

const config::StructSpec<CsvSettings>& CsvSettings::Spec() {
  static const auto* spec = [] {
    auto* s = new config::StructSpec<CsvSettings>();
    s->Required("token", &CsvSettings::token, "The token the uploader presents.")
        .Optional("header", &CsvSettings::header,
                  "Where the token is: Authorization (as \"Bearer <token>\") or a header that "
                  "carries the token alone.",
                  common::CheckHeaderName)
        .Optional("delimiter", &CsvSettings::delimiter, "Field separator: \",\", \";\" or tab.",
                  CheckDelimiter)
        .Optional("id_column", &CsvSettings::id_column,
                  "Column whose value identifies a row (idempotency key); default: a hash of "
                  "the row.",
                  common::CheckNotEmpty)
        .Optional("event_type", &CsvSettings::event_type,
                  "Event type given to every row (what mapping blocks match).",
                  common::CheckNotEmpty)
        .Optional("trim", &CsvSettings::trim,
                  "Drop spaces and tabs around every field and header name (for files written "
                  "\"a, b, c\"); quoted text is kept as is. Default false: fields are verbatim.");
    return s;
  }();
  return *spec;
}

CsvSource::CsvSource(CsvSettings settings, const ConnectorContext& context)
    : settings_(std::move(settings)), source_name_(context.instance_name) {}

Result<std::vector<std::string>> CsvSource::ReadHeader(CsvReader& reader) const {
  auto header = reader.Next();
  if (!header.ok()) return header.error();
  if (!*header) return InvalidArgument("the CSV file is empty: it needs a header row");
  std::vector<std::string> columns = std::move((*header)->fields);
  for (const std::string& column : columns) {
    if (!common::IsValidUtf8(column)) {
      return InvalidArgument("line " + std::to_string((*header)->line) +
                             ": the header row is not UTF-8");
    }
  }
  if (!settings_.id_column.empty() &&
      std::find(columns.begin(), columns.end(), settings_.id_column) == columns.end()) {
    return InvalidArgument("the header row has no '" + settings_.id_column +
                           "' column (id_column)");
  }
  return columns;
}

Result<RawEvent> CsvSource::RowEvent(const std::vector<std::string>& columns, const CsvRow& row,
                                     RawEvent event) const {
  // A row becomes a JSON body, and JSON text is UTF-8 (an export in Latin-1 must be converted).
  for (const std::string& field : row.fields) {
    if (!common::IsValidUtf8(field)) {
      return InvalidArgument("line " + std::to_string(row.line) + ": not UTF-8");
    }
  }
  auto object = RowToObject(columns, row);
  if (!object.ok()) return object.error();
  event.event_type = settings_.event_type;
  event.body = boost::json::serialize(*object);
  if (!settings_.id_column.empty()) {
    const auto& id = object->at(settings_.id_column).as_string();
    if (id.empty()) {
      return InvalidArgument("line " + std::to_string(row.line) + ": '" + settings_.id_column +
                             "' is empty");
    }
    event.external_id = std::string(id);
  } else {
    event.external_id = "sha256:" + common::HexEncode(common::Sha256(event.body));
  }
  return event;
}

Result<std::vector<RawEvent>> CsvSource::Accept(const InboundRequest& request) const {
  if (Status s = common::VerifyBearerToken(request, settings_.header, settings_.token); !s.ok()) {
    return s.error();
  }
  CsvReader reader(request.body, settings_.Format());
  auto columns = ReadHeader(reader);
  if (!columns.ok()) return columns.error();
  std::vector<RawEvent> events;
  while (true) {
    auto row = reader.Next();
    if (!row.ok()) return row.error();
    if (!*row) break;
    auto event = RowEvent(*columns, **row,
                          common::NewEvent(source_name_, request, common::kJsonMediaType));
    if (!event.ok()) return event.error();
    events.push_back(std::move(*event));
  }
  if (events.empty()) return InvalidArgument("the CSV upload has a header row but no data rows");
  return events;
}

Status CsvSource::ImportFile(std::string_view text,
                             const std::function<Status(ImportedRow&&)>& sink) const {
  CsvReader reader(text, settings_.Format());
  auto columns = ReadHeader(reader);
  if (!columns.ok()) return columns.error();
  InboundRequest none;
  while (true) {
    auto row = reader.Next();
    if (!row.ok()) return row.error();  // the reader cannot resync after a broken quote
    if (!*row) return OkStatus();
    ImportedRow imported{(*row)->line, RowEvent(*columns, **row,
                                                common::NewEvent(source_name_, none,
                                                                 common::kJsonMediaType))};
    if (Status s = sink(std::move(imported)); !s.ok()) return s;
  }
}

std::unique_ptr<Factory<WebhookSource>> MakeCsvFactory() {
  return std::make_unique<SpecFactory<WebhookSource, CsvSource, CsvSettings>>(
      "csv", "CSV exports (point-of-sale tills, back-office files) uploaded with a bearer token.",
      CsvSettings::Spec());
}

}  // namespace journeyd::connectors::csv
