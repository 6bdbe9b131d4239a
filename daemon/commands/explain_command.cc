// `journeyd explain`: why a profile is what it is. Its identifiers, its source records, every
// merge that built it with the rule and the evidence, and open reviews. The argument is a
// profile id (old ids of merged profiles resolve), an email or a phone number, normalised the
// way mappings normalise them.
#include <iostream>

#include "daemon/commands/commands.h"
#include "engine/base/time_format.h"
#include "engine/config/config.h"
#include "engine/identity/golden_record.h"
#include "engine/mapping/normalize.h"
#include "engine/storage/store.h"

namespace journeyd::commands {

namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int Explain(const GlobalOptions& global, const ExplainOptions& options) {
  auto config = LoadWithBuiltins(global);
  if (!config) return 1;
  storage::StorePtr store = OpenStoreFor(*config, "explain");
  if (!store) return 1;
  const std::string& who = options.who;
  Result<int64_t> found = NotFound("");
  if (AllDigits(who) && who.size() < 16) {
    found = store->ResolveProfile(std::stoll(who));
  } else if (who.find('@') != std::string::npos) {
    const auto email = mapping::NormalizeEmail(who);
    found = email ? store->FindProfileByIdentifier("email", *email)
                  : Result<int64_t>(InvalidArgument("'" + who + "' is not an email address"));
  } else {
    const auto phone = mapping::NormalizePhone(who, options.region);
    found = phone ? store->FindProfileByIdentifier("phone", *phone)
                  : Result<int64_t>(InvalidArgument(
                        "not a profile id, an email or a valid phone number (numbers without "
                        "+CC need --region)"));
  }
  if (found.ok()) found = store->ResolveProfile(*found);
  if (!found.ok()) {
    std::cerr << "journeyd explain: " << found.error().message << "\n";
    return found.error().code == ErrorCode::kNotFound ? 3 : 2;
  }
  auto detail = store->ReadProfile(*found);
  if (!detail.ok()) {
    std::cerr << "journeyd explain: " << detail.error().message << "\n";
    return 1;
  }
  std::ostream& out = std::cout;
  out << "profile " << detail->id << "  created " << FormatIso8601(detail->created_at)
      << "  updated " << FormatIso8601(detail->updated_at) << "\n";
  if (AllDigits(who) && std::to_string(detail->id) != who) {
    out << "  (profile " << who << " was merged into it)\n";
  }
  if (!detail->absorbed.empty()) {
    out << "  absorbed profiles:";
    for (int64_t id : detail->absorbed) out << ' ' << id;
    out << "\n";
  }
  // The golden record, field by field, with where each value came from and why it won.
  auto stored = store->ReadProfileRecords(detail->id);
  if (!stored.ok()) {
    std::cerr << "journeyd explain: " << stored.error().message << "\n";
    return 1;
  }
  const auto golden = identity::GoldenRecordOfStored(
      *stored, identity::MakeSurvivorshipPolicy(config->identity.survivorship));
  out << "\ngolden record (" << golden.size() << " fields)\n";
  for (const auto& [field, value] : golden) {
    out << "  " << field << " = " << value.value << "  <- " << identity::Explain(value) << "\n";
  }

  out << "\nidentifiers (" << detail->identifiers.size() << ")\n";
  for (const auto& [type, value] : detail->identifiers) out << "  " << type << "  " << value << "\n";
  out << "\nsource records (" << detail->records.size() << ")\n";
  for (const auto& r : detail->records) {
    out << "  record " << r.record_id << "  " << r.source << "  " << r.event_type << "  "
        << (r.external_id.empty() ? "-" : r.external_id) << "  " << FormatIso8601(r.occurred_at)
        << "\n";
  }
  out << "\nmerges (" << detail->merges.size() << ")\n";
  for (const auto& m : detail->merges) {
    out << "  " << FormatIso8601(m.at) << "  profile " << m.from << " -> " << m.into << "  "
        << m.rule;
    if (m.rule == "identifier") {
      out << ": both hold " << m.identifier_type << " " << m.identifier_value;
    } else {
      out << ": " << m.details;
    }
    if (m.record_id != 0) out << "  (record " << m.record_id << ")";
    out << "\n";
  }
  if (!detail->reviews.empty()) {
    out << "\nreviews (" << detail->reviews.size() << ")\n";
    for (const auto& r : detail->reviews) {
      out << "  review " << r.id << "  " << r.status << "  profiles " << r.profile_a << " and "
          << r.profile_b << ": " << r.details << "\n";
    }
  }
  return 0;
}

}  // namespace journeyd::commands
