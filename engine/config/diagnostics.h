// Diagnostics collects every problem found while loading configuration or mappings, each with
// the file, line and column it points at, so that `journeyd check` reports all of them at once.
// Thread-compatible: one loader fills one Diagnostics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace journeyd::config {

struct Position {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

enum class Severity { kError, kWarning };

enum class DiagnosticKind {
  kSyntax,            // the YAML itself does not parse
  kUnknownKey,
  kMissingKey,
  kWrongType,
  kInvalidValue,
  kUnknownType,       // no connector registered under that `type:`
  kDuplicateName,
  kDuplicateKey,      // the same key twice in one YAML map
  kUnresolvedSecret,  // ${env:X} unset or ${file:/p} unreadable
  kBadMapping,
};

std::string_view DiagnosticKindName(DiagnosticKind kind);

struct Diagnostic {
  Position position;
  Severity severity = Severity::kError;
  DiagnosticKind kind = DiagnosticKind::kInvalidValue;
  std::string message;
  std::string hint;  // e.g. "did you mean 'poll_interval'?"; may be empty

  // GNU style: "file:line:col: error: message (hint)".
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Error(const Position& at, DiagnosticKind kind, std::string message, std::string hint = {});
  void Warning(const Position& at, DiagnosticKind kind, std::string message,
               std::string hint = {});

  bool has_errors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  const std::vector<Diagnostic>& entries() const { return entries_; }
  // All entries, one per line, sorted by file and position.
  std::string Format() const;

 private:
  std::vector<Diagnostic> entries_;
  size_t error_count_ = 0;
};

// The candidate closest to `word` by edit distance, or "" if none is close enough to suggest.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);
// "did you mean 'x'?" or "" when nothing is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace journeyd::config
