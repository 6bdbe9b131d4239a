// identity_pairwise_eval: how well a clustering of records into profiles matches the truth, as
// pairwise precision, recall and F1. See bench/README.md ("bench/identity").
//
//   identity_pairwise_eval --truth febrl [--input FILE.csv]... EXPORT.csv
//   identity_pairwise_eval --truth TRUTH.csv EXPORT.csv
//
// EXPORT.csv is what `journeyd export profiles --format csv` prints: a header naming
// profile_id, source and record_id (any order, other columns ignored), then one row per source
// record. Two records are a predicted pair when they share a profile_id, a true pair when they
// belong to the same entity:
//
//   --truth febrl   the entity is the N of a FEBRL record id, rec-N-org or rec-N-dup-K, whatever
//                   the source (FEBRL4 pairs a record of febrl4a with one of febrl4b). With
//                   --input (the FEBRL files imported, repeatable), every record id of those
//                   files is in the truth, so records the export lacks are counted; without it,
//                   the truth is the export's own records.
//   --truth FILE    a CSV `record_id,entity_id` (identity_generate's truth.csv).
//
// Records are keyed by record_id alone: FEBRL's ids are unique across its files and
// identity_generate prefixes each id with its source (shop-123), so one id is one record.
//
// A record in the truth but not in the export is "missing": it counts as a profile of its own,
// so its true pairs are lost (recall drops). A record in the export but not in the truth is
// "extra": it counts as an entity of its own, so a profile that holds it has false pairs
// (precision drops); extras are also reported on stderr.
//
// Pairs are counted from sizes, never enumerated: predicted = sum over profiles of C(size, 2),
// true = sum over entities of C(size, 2), true positives = sum over (profile, entity)
// intersections of C(size, 2). One pass and hash maps: O(records).
//
// Output, one line on stdout:
//   pairs_true=.. pairs_predicted=.. true_positives=.. precision=.. recall=.. f1=.. records=..
//   profiles=.. entities=.. missing=.. extra=..
// (precision is 0 when nothing is predicted, recall 0 when nothing is true.) Exit 0; 2 on bad
// input or usage, with a message naming the file and line.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/record/csv_reader.h"

namespace {

using journeyd::CsvFormat;
using journeyd::CsvReader;
using journeyd::CsvRow;

constexpr int kBadInput = 2;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "identity_pairwise_eval: " << message << "\n";
  std::exit(kBadInput);
}

void Usage() {
  std::cerr << "usage: identity_pairwise_eval --truth febrl [--input FEBRL.csv]... EXPORT.csv\n"
               "       identity_pairwise_eval --truth TRUTH.csv EXPORT.csv\n"
               "  EXPORT.csv: profile_id,source,record_id (journeyd export profiles --format csv)\n"
               "  TRUTH.csv:  record_id,entity_id\n";
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) Fail(path + ": read error");
  return std::move(out).str();
}

// A CSV file with a header row; Columns() finds the named columns, Next() gives the data rows.
class CsvFile {
 public:
  CsvFile(std::string path, bool trim)
      : path_(std::move(path)), text_(ReadWhole(path_)), reader_(text_, CsvFormat{.trim = trim}) {
    std::optional<CsvRow> header = NextRow();
    if (!header) Fail(path_ + ": empty file, expected a header row");
    header_ = std::move(header->fields);
  }

  // The index of each name in the header; fails naming the first one missing.
  std::vector<size_t> Columns(const std::vector<std::string_view>& names) const {
    std::vector<size_t> indexes;
    for (std::string_view name : names) {
      size_t i = 0;
      while (i < header_.size() && header_[i] != name) ++i;
      if (i == header_.size()) {
        Fail(path_ + ":1: the header has no '" + std::string(name) + "' column (expected " +
             Join(names) + ")");
      }
      indexes.push_back(i);
    }
    return indexes;
  }

  std::optional<CsvRow> NextRow() {
    auto row = reader_.Next();
    if (!row.ok()) Fail(path_ + ": " + row.error().message);
    if (*row && !header_.empty() && (*row)->fields.size() != header_.size()) {
      Fail(path_ + ":" + std::to_string((*row)->line) + ": " +
           std::to_string((*row)->fields.size()) + " fields, but the header has " +
           std::to_string(header_.size()));
    }
    return std::move(*row);
  }

  const std::string& path() const { return path_; }
  // Lines in the file: a bound on its rows, for reserving hash tables.
  size_t LineCount() const {
    return static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n')) + 1;
  }

 private:
  static std::string Join(const std::vector<std::string_view>& names) {
    std::string out;
    for (std::string_view n : names) out += (out.empty() ? "" : ",") + std::string(n);
    return out;
  }

  std::string path_;
  std::string text_;
  CsvReader reader_;
  std::vector<std::string> header_;
};

// Dense ids for strings (profile ids, entity ids).
class Interner {
 public:
  void reserve(size_t n) { ids_.reserve(n); }
  uint32_t Id(std::string_view key) {
    auto [it, inserted] = ids_.try_emplace(std::string(key), next_);
    if (inserted) ++next_;
    return it->second;
  }
  // An id no key has: an entity of its own.
  uint32_t NewId() { return next_++; }
  size_t size() const { return next_; }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
  uint32_t next_ = 0;
};

// The N of rec-N-org / rec-N-dup-K, or nullopt.
std::optional<std::string_view> FebrlEntity(std::string_view id) {
  if (!id.starts_with("rec-")) return std::nullopt;
  std::string_view rest = id.substr(4);
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  std::string_view entity = rest.substr(0, digits);
  rest.remove_prefix(digits);
  if (rest == "-org") return entity;
  if (!rest.starts_with("-dup-") || rest.size() == 5) return std::nullopt;
  for (char c : rest.substr(5)) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return entity;
}

uint64_t Pairs(uint64_t n) { return n < 2 ? 0 : n * (n - 1) / 2; }

struct Record {
  uint32_t entity = 0;
  int64_t profile = -1;  // -1: not in the export (yet)
};

}  // namespace

int main(int argc, char** argv) {
  std::string truth_arg;
  std::vector<std::string> inputs;
  std::string export_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--truth" && i + 1 < argc) {
      truth_arg = argv[++i];
    } else if (arg == "--input" && i + 1 < argc) {
      inputs.emplace_back(argv[++i]);
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else if (!arg.starts_with("--") && export_path.empty()) {
      export_path = arg;
    } else {
      Usage();
      Fail("unexpected argument '" + std::string(arg) + "'");
    }
  }
  if (truth_arg.empty() || export_path.empty()) {
    Usage();
    Fail(truth_arg.empty() ? "--truth is required" : "the export file is required");
  }
  const bool febrl = truth_arg == "febrl";
  if (!febrl && !inputs.empty()) Fail("--input goes with --truth febrl only");

  // Record id -> its entity and (later) its profile.
  std::unordered_map<std::string, Record> records;
  Interner entities;
  const auto add_truth = [&](const std::string& path, int line, std::string_view id,
                             std::string_view entity) {
    if (id.empty()) Fail(path + ":" + std::to_string(line) + ": empty record id");
    auto [it, inserted] = records.try_emplace(std::string(id));
    if (!inserted) {
      Fail(path + ":" + std::to_string(line) + ": record id '" + std::string(id) +
           "' appears twice in the truth");
    }
    it->second.entity = entities.Id(entity);
  };
  if (febrl) {
    for (const std::string& path : inputs) {
      CsvFile file(path, /*trim=*/true);  // FEBRL writes ", " between fields
      const size_t id_col = file.Columns({"rec_id"})[0];
      while (auto row = file.NextRow()) {
        const std::string& id = row->fields[id_col];
        auto entity = FebrlEntity(id);
        if (!entity) {
          Fail(path + ":" + std::to_string(row->line) + ": '" + id +
               "' is not a FEBRL record id (rec-N-org or rec-N-dup-K)");
        }
        add_truth(path, row->line, id, *entity);
      }
    }
  } else {
    CsvFile file(truth_arg, /*trim=*/false);
    records.reserve(file.LineCount());
    entities.reserve(file.LineCount());
    const auto cols = file.Columns({"record_id", "entity_id"});
    while (auto row = file.NextRow()) {
      if (row->fields[cols[1]].empty()) {
        Fail(truth_arg + ":" + std::to_string(row->line) + ": empty entity_id");
      }
      add_truth(truth_arg, row->line, row->fields[cols[0]], row->fields[cols[1]]);
    }
  }
  const bool truth_from_export = febrl && inputs.empty();
  if (!truth_from_export && records.empty()) Fail(truth_arg + ": the truth has no records");

  // The export: each record's profile. Extras get an entity of their own.
  CsvFile file(export_path, /*trim=*/false);
  const auto cols = file.Columns({"profile_id", "source", "record_id"});
  Interner profiles;
  profiles.reserve(file.LineCount());
  if (truth_from_export) records.reserve(file.LineCount());
  uint64_t extra = 0;
  while (auto row = file.NextRow()) {
    const std::string& profile = row->fields[cols[0]];
    const std::string& id = row->fields[cols[2]];
    const auto where = [&] { return export_path + ":" + std::to_string(row->line); };
    if (profile.empty()) Fail(where() + ": empty profile_id");
    if (id.empty()) Fail(where() + ": empty record_id");
    auto it = records.find(id);
    if (it == records.end()) {
      if (truth_from_export) {
        auto entity = FebrlEntity(id);
        if (!entity) {
          Fail(where() + ": '" + id + "' is not a FEBRL record id (rec-N-org or rec-N-dup-K)");
        }
        it = records.try_emplace(id).first;
        it->second.entity = entities.Id(*entity);
      } else {
        if (extra < 5) {
          std::cerr << "identity_pairwise_eval: " << where() << ": record '" << id
                    << "' (source " << row->fields[cols[1]] << ") is not in the truth\n";
        }
        ++extra;
        it = records.try_emplace(id).first;
        it->second.entity = entities.NewId();
      }
    }
    if (it->second.profile >= 0) {
      Fail(where() + ": record '" + id + "' appears twice in the export");
    }
    it->second.profile = profiles.Id(profile);
  }
  if (extra > 5) {
    std::cerr << "identity_pairwise_eval: ... " << extra
              << " records in all are not in the truth\n";
  }

  // Sizes of profiles, entities and their intersections. A missing record is a profile of its
  // own, which adds no predicted pair and no true positive: it only needs its entity counted.
  std::vector<uint64_t> entity_size(entities.size(), 0), cluster_size(profiles.size(), 0);
  std::unordered_map<uint64_t, uint64_t> intersection;
  intersection.reserve(records.size());
  uint64_t missing = 0;
  for (const auto& [id, record] : records) {
    ++entity_size[record.entity];
    if (record.profile < 0) {
      ++missing;
      continue;
    }
    ++cluster_size[static_cast<size_t>(record.profile)];
    ++intersection[(static_cast<uint64_t>(record.profile) << 32) | record.entity];
  }
  uint64_t pairs_true = 0, pairs_predicted = 0, true_positives = 0;
  for (uint64_t n : entity_size) pairs_true += Pairs(n);
  for (uint64_t n : cluster_size) pairs_predicted += Pairs(n);
  for (const auto& [key, n] : intersection) true_positives += Pairs(n);

  const double precision =
      pairs_predicted ? static_cast<double>(true_positives) / static_cast<double>(pairs_predicted)
                      : 0.0;
  const double recall =
      pairs_true ? static_cast<double>(true_positives) / static_cast<double>(pairs_true) : 0.0;
  const double f1 =
      precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  if (missing > 0) {
    std::cerr << "identity_pairwise_eval: " << missing
              << " records of the truth are missing from the export (counted as profiles of "
                 "their own)\n";
  }
  std::printf(
      "pairs_true=%llu pairs_predicted=%llu true_positives=%llu precision=%.6f recall=%.6f "
      "f1=%.6f records=%llu profiles=%zu entities=%zu missing=%llu extra=%llu\n",
      static_cast<unsigned long long>(pairs_true),
      static_cast<unsigned long long>(pairs_predicted),
      static_cast<unsigned long long>(true_positives), precision, recall, f1,
      static_cast<unsigned long long>(records.size()), profiles.size(), entities.size(),
      static_cast<unsigned long long>(missing), static_cast<unsigned long long>(extra));
  return 0;
}
