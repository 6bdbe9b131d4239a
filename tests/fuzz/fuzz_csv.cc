// Fuzzes the CSV reader (engine/record/csv_reader.h), which reads customer imports, `journeyd
// import` files and csv-source uploads.
//
// Input: byte 0 picks the format (bits 0-1: ',', ';', tab, or ','; bit 2: trim; 0xff: the invalid
// delimiter '|'), the rest is the file.
//
// Checks, beyond not crashing and no exception escaping:
//   - rows start on increasing lines, from 1, and an error is sticky: Next() returns it again;
//   - the rows re-read the same: written back as RFC 4180 CSV (every field quoted), they read
//     back, without trimming, as the very same fields;
//   - RowToObject accepts exactly the rows with as many fields as the header row.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/record/csv_reader.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

std::string Quoted(const std::string& field) {
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace journeyd;
  if (size < 1) return 0;
  static constexpr char kDelimiters[] = {',', ';', '\t', ','};
  const CsvFormat format{.delimiter = data[0] == 0xff ? '|' : kDelimiters[data[0] & 3],
                         .trim = (data[0] & 4) != 0};
  const std::string_view text = fuzz::AsText(data + 1, size - 1);

  CsvReader reader(text, format);
  std::vector<CsvRow> rows;
  int last_line = 0;
  std::optional<Error> error;
  // Every row needs at least one byte of input, so this ends.
  while (true) {
    auto row = reader.Next();
    if (!row.ok()) {
      error = row.error();
      break;
    }
    if (!*row) break;
    JOURNEYD_FUZZ_CHECK((*row)->line > last_line, "rows do not start on increasing lines");
    JOURNEYD_FUZZ_CHECK(!(*row)->fields.empty(), "a row without fields");
    last_line = (*row)->line;
    rows.push_back(std::move(**row));
  }
  if (!IsValidCsvDelimiter(format.delimiter)) {
    JOURNEYD_FUZZ_CHECK(error && rows.empty(), "an invalid delimiter was accepted");
  }
  if (error) {
    auto again = reader.Next();
    JOURNEYD_FUZZ_CHECK(!again.ok() && again.error().code == error->code &&
                            again.error().message == error->message,
                        "an error is not sticky");
    JOURNEYD_FUZZ_CHECK(error->code == ErrorCode::kInvalidArgument,
                        "an error is not kInvalidArgument");
    return 0;
  }

  std::string written;
  const char delimiter = IsValidCsvDelimiter(format.delimiter) ? format.delimiter : ',';
  for (const CsvRow& row : rows) {
    for (size_t i = 0; i < row.fields.size(); ++i) {
      if (i > 0) written += delimiter;
      written += Quoted(row.fields[i]);
    }
    written += (row.line % 2 == 0) ? "\r\n" : "\n";
  }
  CsvReader again(written, CsvFormat{.delimiter = delimiter, .trim = false});
  for (const CsvRow& row : rows) {
    auto reread = again.Next();
    JOURNEYD_FUZZ_CHECK(reread.ok() && reread->has_value(), "a written row does not read back");
    JOURNEYD_FUZZ_CHECK((*reread)->fields == row.fields, "a written row reads back differently");
  }
  auto end = again.Next();
  JOURNEYD_FUZZ_CHECK(end.ok() && !end->has_value(), "more rows read back than were written");

  if (!rows.empty()) {
    for (const CsvRow& row : rows) {
      auto object = RowToObject(rows.front().fields, row);
      JOURNEYD_FUZZ_CHECK(object.ok() == (row.fields.size() == rows.front().fields.size()),
                          "RowToObject disagrees with the field count");
    }
  }
  return 0;
}
