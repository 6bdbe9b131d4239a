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

namespace journeyd::connectors::csv {

struct CsvSettings {
  Secret token;
  std::string header = "Authorization";
  std::string delimiter = ",";
  // The column that identifies a row (a receipt number): the idempotency key. Without one, a
  // hash of the row's content is, so sending the same export twice stores each row once.
  std::string id_column;
  std::string event_type = "row";
  static const config::StructSpec<CsvSettings>& Spec();
};

class CsvSource final : public WebhookSource {
 public:
  CsvSource(CsvSettings settings, const ConnectorContext& context);
  Result<std::vector<RawEvent>> Accept(const InboundRequest& request) const override;
  bool AcceptsMediaType(std::string_view media_type) const override {
    return media_type == "text/csv";
  }
  std::vector<std::string> EventTypes() const override { return {settings_.event_type}; }

 private:
  CsvSettings settings_;
  std::string source_name_;
};

std::unique_ptr<Factory<WebhookSource>> MakeCsvFactory();

}  // namespace journeyd::connectors::csv
