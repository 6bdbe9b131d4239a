#include "engine/mapping/sample_events.h"

#include <boost/json.hpp>

#include "engine/record/csv_reader.h"

namespace journeyd::mapping {

std::string MediaType(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (char& c : media) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return media;
}

Result<std::vector<RawEvent>> SampleEvents(const SampleOptions& options, std::string body) {
  RawEvent base;
  base.source = options.source;
  base.event_type = options.event_type;
  base.external_id = options.external_id;
  base.content_type = options.content_type;
  base.headers = options.headers;
  base.received_at = options.received_at;
  std::vector<RawEvent> events;
  if (MediaType(options.content_type) != "text/csv") {
    base.body = std::move(body);
    events.push_back(std::move(base));
    return events;
  }
  CsvReader reader(body);
  auto header = reader.Next();
  if (!header.ok()) return header.error();
  if (!*header) return InvalidArgument("the CSV file is empty: it needs a header row");
  while (true) {
    auto row = reader.Next();
    if (!row.ok()) return row.error();
    if (!*row) break;
    auto object = RowToObject((*header)->fields, **row);
    if (!object.ok()) return object.error();
    RawEvent event = base;
    event.content_type = "application/json";
    if (event.event_type.empty()) event.event_type = "row";
    event.body = boost::json::serialize(*object);
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace journeyd::mapping
