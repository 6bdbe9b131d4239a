#include "engine/config/diagnostics.h"

#include <algorithm>
#include <tuple>

namespace journeyd::config {

std::string_view DiagnosticKindName(DiagnosticKind kind) {
  switch (kind) {
    case DiagnosticKind::kSyntax: return "syntax";
    case DiagnosticKind::kUnknownKey: return "unknown_key";
    case DiagnosticKind::kMissingKey: return "missing_key";
    case DiagnosticKind::kWrongType: return "wrong_type";
    case DiagnosticKind::kInvalidValue: return "invalid_value";
    case DiagnosticKind::kUnknownType: return "unknown_type";
    case DiagnosticKind::kDuplicateName: return "duplicate_name";
    case DiagnosticKind::kDuplicateKey: return "duplicate_key";
    case DiagnosticKind::kUnresolvedSecret: return "unresolved_secret";
    case DiagnosticKind::kBadMapping: return "bad_mapping";
  }
  return "invalid_value";
}

std::string Diagnostic::ToString() const {
  std::string out = position.file;
  out += ':' + std::to_string(std::max(position.line, 1));
  out += ':' + std::to_string(std::max(position.column, 1));
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  if (!hint.empty()) out += " (" + hint + ")";
  return out;
}

void Diagnostics::Error(const Position& at, DiagnosticKind kind, std::string message,
                        std::string hint) {
  entries_.push_back({at, Severity::kError, kind, std::move(message), std::move(hint)});
  ++error_count_;
}

void Diagnostics::Warning(const Position& at, DiagnosticKind kind, std::string message,
                          std::string hint) {
  entries_.push_back({at, Severity::kWarning, kind, std::move(message), std::move(hint)});
}

std::string Diagnostics::Format() const {
  std::vector<const Diagnostic*> sorted;
  for (const auto& d : entries_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return std::tie(a->position.file, a->position.line, a->position.column) <
           std::tie(b->position.file, b->position.line, b->position.column);
  });
  std::string out;
  for (const auto* d : sorted) out += d->ToString() + '\n';
  return out;
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // Allow roughly one typo per three characters: close enough to be a slip, not a different key.
  const size_t budget = std::max<size_t>(1, word.size() / 3);
  std::string best;
  size_t best_distance = budget + 1;
  for (const auto& candidate : candidates) {
    const size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = ClosestMatch(word, candidates);
  return best.empty() ? std::string{} : "did you mean '" + best + "'?";
}

}  // namespace journeyd::config
