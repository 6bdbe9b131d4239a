// The `csv` source: a till or back-office system uploads an export (a POS sales file, say) as
// `POST /webhooks/{name}` with `Content-Type: text/csv` and a bearer token. Each data row becomes
// one event whose body is the row as a JSON object keyed by the header row, which is what the
// `csv` mapping reads (mappings/csv.yaml). A file with a malformed row is refused whole (400,
// naming the line), so a fixed file can simply be sent again. Immutable after construction.
#pragma once

#include <memory>
#include <string>

#include "engine/base/secret.h"
#include "engine/connector/factory.h"
#include "engine/connector/webhook_source.h"
#include "engine/record/csv_reader.h"

namespace journeyd::connectors::csv {

struct CsvSettings {
  Secret token;
  std::string header = "Authorization";
  std::string delimiter = ",";
  // The column that identifies a row (a receipt number): the idempotency key. Without one, a
  // hash of the row's content is, so sending the same export twice stores each row once.
  std::string id_column;
  std::string event_type = "row";
  // Drop spaces and tabs around fields and header names (files written as "a, b, c").
  bool trim = false;
  static const config::StructSpec<CsvSettings>& Spec();

  // The reader's view of delimiter and trim.
  CsvFormat Format() const { return CsvFormat{.delimiter = delimiter[0], .trim = trim}; }
};

class CsvSource final : public WebhookSource {
 public:
  CsvSource(CsvSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  bool AcceptsMediaType(std::string_view media_type) const override {
    return media_type == "text/csv";
  }
  std::vector<std::string> EventTypes() const override { return {settings_.event_type}; }
  Status ImportFile(std::string_view text,
                    const std::function<Status(ImportedRow&&)>& sink) const override;
  // What the source was configured with: a command that reads a file (rather than an upload)
  // reads it with the same format, id column and event type.
  const CsvSettings& settings() const { return settings_; }

 private:
  // The event of one data row; kInvalidArgument naming the line when the row is bad.
  Result<RawEvent> RowEvent(const std::vector<std::string>& columns, const CsvRow& row,
                            RawEvent base) const;
  Result<std::vector<std::string>> ReadHeader(CsvReader& reader) const;

  CsvSettings settings_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeCsvFactory();

}  // namespace journeyd::connectors::csv
