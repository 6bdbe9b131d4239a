// `journeyd map`: what a source's mapping makes of one saved payload, before going live.
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "daemon/commands/commands.h"
#include "engine/base/json_text.h"
#include "engine/mapping/mapping.h"
#include "engine/mapping/payload.h"
#include "engine/mapping/sample_events.h"

namespace journeyd::commands {

namespace {

std::optional<std::string> ReadPayload(const std::string& path) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  out << in.rdbuf();
  return out.str();
}

std::string GuessContentType(const std::string& path, const std::string& body) {
  if (path.ends_with(".csv")) return "text/csv";
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (body[first] == '{' || body[first] == '[')) {
    return "application/json";
  }
  return "application/x-www-form-urlencoded";
}

}  // namespace

int Map(const GlobalOptions& global, const MapOptions& options) {
  SystemClock clock;
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  const config::SourceEntry* source = config->FindSource(options.source);
  if (!source) {
    std::cerr << "journeyd map: no source named '" << options.source << "' in "
              << global.config_file.string() << "\n";
    return 2;
  }
  if (!source->mapping) {
    std::cerr << "journeyd map: source '" << source->name << "' has no `mapping:`\n";
    return 2;
  }
  auto body = ReadPayload(options.payload);
  if (!body) {
    std::cerr << "journeyd map: cannot read " << options.payload << "\n";
    return 2;
  }
  mapping::SampleOptions sample;
  sample.source = source->name;
  sample.content_type = options.content_type.empty() ? GuessContentType(options.payload, *body)
                                                     : options.content_type;
  sample.event_type = options.event_type;
  sample.received_at = clock.Now();
  for (const std::string& header : options.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos) {
      std::cerr << "journeyd map: --header takes 'Name: value', not '" << header << "'\n";
      return 2;
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    sample.headers.emplace_back(header.substr(0, colon), value);
  }
  if (sample.event_type.empty() && mapping::MediaType(sample.content_type) != "text/csv") {
    // Where the vendor puts the type in the body, the source knows where to look.
    auto decoded = mapping::DecodePayload(sample.content_type, *body);
    if (decoded.ok()) {
      if (auto type = source->webhook->EventTypeOf(*decoded)) sample.event_type = *type;
    }
    if (sample.event_type.empty()) {
      std::cerr << "journeyd map: source type '" << source->type
                << "' does not carry the event type in the body; give it with --event\n";
      return 2;
    }
  }
  auto events = mapping::SampleEvents(sample, std::move(*body));
  if (!events.ok()) {
    std::cerr << "journeyd map: " << options.payload << ": " << events.error().message << "\n";
    return 1;
  }
  boost::json::array records;
  int problems = 0;
  for (const RawEvent& event : *events) {
    mapping::MapOutcome outcome = source->mapping->Map(event);
    for (const std::string& note : outcome.notes) std::cerr << "note: " << note << "\n";
    if (outcome.issue) {
      ++problems;
      std::cerr << "issue: " << outcome.issue->kind << ": " << outcome.issue->message << "\n";
    }
    if (outcome.ignored) std::cerr << "ignored: event type '" << event.event_type << "'\n";
    if (outcome.record) records.push_back(ToJson(*outcome.record));
  }
  std::cout << PrettyJson(records);
  return problems > 0 ? 1 : 0;
}

}  // namespace journeyd::commands
