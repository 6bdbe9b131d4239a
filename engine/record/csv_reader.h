// Reads RFC 4180 CSV (customer imports, record-linkage data sets) one row at a time from text
// held in memory, and turns a row into an object keyed by the header row. A CsvReader is a cursor:
// one thread at a time; the text must outlive it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/base/result.h"

namespace journeyd {

struct CsvRow {
  int line = 0;  // 1-based line of the file on which the row starts
  std::vector<std::string> fields;
};

// ',', ';' or '\t'.
bool IsValidCsvDelimiter(char delimiter);

// How a file is laid out.
struct CsvFormat {
  char delimiter = ',';
  // Off: fields are verbatim, spaces included (RFC 4180). On: ASCII spaces and tabs around a
  // field are dropped, header names included, so "rec_id, given_name" reads as "rec_id" and
  // "given_name" (the FEBRL data sets separate fields with ", "). A quoted field may then have
  // blanks before its opening and after its closing quote; what is inside the quotes is kept
  // verbatim. With a tab delimiter only spaces are trimmed.
  bool trim = false;
};

class CsvReader {
 public:
  // `text` is the whole file. A UTF-8 byte-order mark at its start is skipped.
  explicit CsvReader(std::string_view text, char delimiter = ',');
  CsvReader(std::string_view text, CsvFormat format);

  // The next row, or nullopt at the end. Rows end at LF or CRLF (or the end of the text, so a
  // missing final newline is fine); empty lines are skipped. Fields are taken verbatim, spaces
  // included, unless the format trims them; a field that starts with '"' is quoted: it may hold
  // delimiters and newlines, and '""' in it is one '"'. kInvalidArgument naming the line for an
  // unterminated quoted field, a quote inside an unquoted field, text between a closing quote
  // and the next delimiter, and an invalid delimiter; after an error every call returns it again.
  Result<std::optional<CsvRow>> Next();

 private:
  Error Fail(int line, std::string message);
  // True for a space or tab that trimming drops (never the delimiter itself).
  bool IsBlank(char c) const;
  void SkipBlanks();

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  CsvFormat format_;
  std::optional<Error> error_;
};

// {header[i]: row.fields[i]} for every column. kInvalidArgument naming the row's line when the
// row does not have as many fields as the header. A header name that repeats keeps the last
// column's value.
Result<boost::json::object> RowToObject(const std::vector<std::string>& header, const CsvRow& row);

}  // namespace journeyd
