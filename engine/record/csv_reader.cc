#include "engine/record/csv_reader.h"

#include <utility>

namespace journeyd {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

bool IsValidCsvDelimiter(char delimiter) {
  return delimiter == ',' || delimiter == ';' || delimiter == '\t';
}

CsvReader::CsvReader(std::string_view text, char delimiter)
    : CsvReader(text, CsvFormat{.delimiter = delimiter}) {}

CsvReader::CsvReader(std::string_view text, CsvFormat format) : text_(text), format_(format) {
  if (text_.substr(0, kUtf8Bom.size()) == kUtf8Bom) pos_ = kUtf8Bom.size();
  if (!IsValidCsvDelimiter(format_.delimiter)) {
    error_ = InvalidArgument("CSV delimiter must be ',', ';' or a tab");
  }
}

bool CsvReader::IsBlank(char c) const {
  return (c == ' ' || c == '\t') && c != format_.delimiter;
}

void CsvReader::SkipBlanks() {
  while (pos_ < text_.size() && IsBlank(text_[pos_])) ++pos_;
}

Error CsvReader::Fail(int line, std::string message) {
  error_ = InvalidArgument("CSV line " + std::to_string(line) + ": " + std::move(message));
  return *error_;
}

Result<std::optional<CsvRow>> CsvReader::Next() {
  if (error_) return *error_;
  // Empty lines carry no row; skipping them also absorbs trailing newlines at the end. When
  // trimming, a line of spaces and tabs is empty too.
  while (true) {
    size_t end = pos_;
    if (format_.trim) {
      while (end < text_.size() && IsBlank(text_[end])) ++end;
    }
    if (end < text_.size() && text_[end] == '\n') {
      pos_ = end + 1;
    } else if (text_.substr(end, 2) == "\r\n") {
      pos_ = end + 2;
    } else {
      if (end >= text_.size()) pos_ = end;  // only blanks before the end of the text
      break;
    }
    ++line_;
  }
  if (pos_ >= text_.size()) return std::optional<CsvRow>();

  CsvRow row;
  row.line = line_;
  while (true) {  // one field per iteration
    std::string field;
    if (format_.trim) SkipBlanks();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      const int start_line = line_;
      ++pos_;
      while (true) {
        const size_t quote = text_.find('"', pos_);
        if (quote == std::string_view::npos) {
          return Fail(start_line, "unterminated quoted field");
        }
        const std::string_view chunk = text_.substr(pos_, quote - pos_);
        for (const char c : chunk) line_ += c == '\n' ? 1 : 0;
        field += chunk;
        pos_ = quote + 1;
        if (pos_ < text_.size() && text_[pos_] == '"') {  // "" is one quote
          field += '"';
          ++pos_;
          continue;
        }
        break;
      }
      if (format_.trim) SkipBlanks();
      if (pos_ < text_.size() && text_[pos_] != format_.delimiter && text_[pos_] != '\n' &&
          text_.substr(pos_, 2) != "\r\n") {
        return Fail(line_, "unexpected text after a closing quote in field " +
                               std::to_string(row.fields.size() + 1));
      }
    } else {
      const size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != format_.delimiter && text_[pos_] != '\n' &&
             text_.substr(pos_, 2) != "\r\n") {
        if (text_[pos_] == '"') {
          return Fail(line_, "quote inside unquoted field " +
                                 std::to_string(row.fields.size() + 1));
        }
        ++pos_;
      }
      size_t end = pos_;
      if (format_.trim) {
        while (end > start && IsBlank(text_[end - 1])) --end;
      }
      field.assign(text_.substr(start, end - start));
    }
    row.fields.push_back(std::move(field));

    if (pos_ >= text_.size()) break;
    if (text_[pos_] == format_.delimiter) {
      ++pos_;
      continue;
    }
    pos_ += text_[pos_] == '\n' ? 1 : 2;  // LF or CRLF, as the loops above stopped on
    ++line_;
    break;
  }
  return std::optional<CsvRow>(std::move(row));
}

Result<boost::json::object> RowToObject(const std::vector<std::string>& header, const CsvRow& row) {
  if (row.fields.size() != header.size()) {
    return InvalidArgument("CSV line " + std::to_string(row.line) + ": " +
                           std::to_string(row.fields.size()) + " fields, but the header has " +
                           std::to_string(header.size()));
  }
  boost::json::object object;
  object.reserve(header.size());
  for (size_t i = 0; i < header.size(); ++i) object[header[i]] = std::string_view(row.fields[i]);
  return object;
}

}  // namespace journeyd
