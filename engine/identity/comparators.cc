#include "engine/identity/comparators.h"

#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace journeyd::identity {
namespace {

// DamerauLevenshtein keeps three rows of this many + 1 cells on the stack.
constexpr size_t kInlineBytes = 64;

// Thresholds are compared with a little slack: JW values are ratios of small integers, and
// 0.92 computed one way must not miss 0.92 written as a literal.
constexpr double kSlack = 1e-9;

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAsciiLetter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsAsciiAlnum(unsigned char c) {
  return IsAsciiLetter(c) || IsAsciiDigit(static_cast<char>(c));
}

char AsciiLower(unsigned char c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// Exactly what the ICU path does to ASCII: letters and digits are lower-cased and kept, anything
// else (punctuation, symbols, whitespace, control) separates words.
std::string FoldAscii(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (unsigned char c : text) {
    if (IsAsciiAlnum(c) || c >= 0x80) {  // >= 0x80 only when ICU is unavailable
      if (pending_space && !out.empty()) out += ' ';
      pending_space = false;
      out += AsciiLower(c);
    } else {
      pending_space = true;
    }
  }
  return out;
}

// Latin letters whose diacritic is part of the glyph (a stroke, a dotless i) or ligatures: no
// Unicode decomposition removes it, yet people type them without. Input is already case-folded.
const char16_t* Transliterate(UChar32 c) {
  switch (c) {
    case 0x00F8: return u"o";   // ø
    case 0x0142: return u"l";   // ł
    case 0x0111: return u"d";   // đ
    case 0x00F0: return u"d";   // ð
    case 0x0127: return u"h";   // ħ
    case 0x0167: return u"t";   // ŧ
    case 0x0131: return u"i";   // dotless ı
    case 0x0180: return u"b";   // ƀ
    case 0x00E6: return u"ae";  // æ
    case 0x0153: return u"oe";  // œ
    case 0x00FE: return u"th";  // þ
    default: return nullptr;
  }
}

std::string FoldWithIcu(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  // Both are process-wide singletons owned by ICU; safe to share between threads.
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return FoldAscii(text);

  // fromUTF8 turns every invalid sequence into U+FFFD, which is dropped below.
  const auto length = static_cast<int32_t>(
      std::min<size_t>(text.size(), static_cast<size_t>(std::numeric_limits<int32_t>::max())));
  icu::UnicodeString folded = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), length));
  folded.foldCase(U_FOLD_CASE_DEFAULT);
  icu::UnicodeString decomposed = nfkd->normalize(folded, status);
  if (U_FAILURE(status)) return FoldAscii(text);
  // Compatibility decomposition can produce capitals ("ℌ" -> "H"), so fold once more.
  decomposed.foldCase(U_FOLD_CASE_DEFAULT);

  constexpr uint32_t kKeep = U_GC_L_MASK | U_GC_N_MASK | U_GC_MC_MASK | U_GC_ME_MASK;
  icu::UnicodeString kept;
  bool pending_space = false;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    const uint32_t category = U_GET_GC_MASK(c);
    if (c == 0xFFFD || (category & (U_GC_MN_MASK | U_GC_CF_MASK)) != 0) continue;
    if ((category & kKeep) == 0) {
      pending_space = true;
      continue;
    }
    if (pending_space && !kept.isEmpty()) kept.append(static_cast<char16_t>(u' '));
    pending_space = false;
    if (const char16_t* replacement = Transliterate(c)) {
      kept.append(icu::UnicodeString(replacement));
    } else {
      kept.append(c);
    }
  }
  // Dropping marks leaves base letters, but Hangul syllables were split into jamo: recompose.
  icu::UnicodeString composed = nfc->normalize(kept, status);
  if (U_FAILURE(status)) return FoldAscii(text);
  std::string out;
  composed.toUTF8String(out);
  return out;
}

// What the Jaro similarity is made of. REQUIRES: a.size() <= b.size(), both non-empty.
struct JaroCounts {
  size_t matches = 0;
  size_t half_transpositions = 0;  // matched characters that are out of order
};

size_t JaroWindow(size_t longer) { return std::max<size_t>(longer / 2, 1) - 1; }

// Bit-parallel: positions are bits of a uint64_t, so finding the first free equal character in
// the window is a mask and a count-trailing-zeros instead of a scan.
JaroCounts CountJaroSmall(std::string_view a, std::string_view b) {
  // Left uninitialised on purpose: only the entries for bytes of a and b are written and read.
  std::array<uint64_t, 256> positions;  // byte -> bit set of its positions in b
  for (unsigned char c : a) positions[c] = 0;
  for (unsigned char c : b) positions[c] = 0;
  for (size_t j = 0; j < b.size(); ++j) positions[static_cast<unsigned char>(b[j])] |= 1ULL << j;

  const size_t window = JaroWindow(b.size());
  uint64_t matched_a = 0, matched_b = 0;
  JaroCounts counts;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t lo = i > window ? i - window : 0;
    const size_t hi = std::min(i + window + 1, b.size());  // exclusive; lo < hi as a <= b
    const uint64_t in_window = (hi - lo == 64 ? ~0ULL : ((1ULL << (hi - lo)) - 1)) << lo;
    const uint64_t candidates =
        positions[static_cast<unsigned char>(a[i])] & in_window & ~matched_b;
    if (candidates == 0) continue;
    matched_b |= candidates & (~candidates + 1);  // the lowest candidate
    matched_a |= 1ULL << i;
    ++counts.matches;
  }
  while (matched_a != 0) {
    if (a[static_cast<size_t>(std::countr_zero(matched_a))] !=
        b[static_cast<size_t>(std::countr_zero(matched_b))]) {
      ++counts.half_transpositions;
    }
    matched_a &= matched_a - 1;
    matched_b &= matched_b - 1;
  }
  return counts;
}

JaroCounts CountJaroLarge(std::string_view a, std::string_view b) {
  std::vector<char> matched_a(a.size()), matched_b(b.size());
  const size_t window = JaroWindow(b.size());
  JaroCounts counts;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t lo = i > window ? i - window : 0;
    const size_t hi = std::min(i + window + 1, b.size());
    for (size_t j = lo; j < hi; ++j) {
      if (!matched_b[j] && a[i] == b[j]) {
        matched_a[i] = matched_b[j] = 1;
        ++counts.matches;
        break;
      }
    }
  }
  for (size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!matched_a[i]) continue;
    while (!matched_b[j]) ++j;
    if (a[i] != b[j]) ++counts.half_transpositions;
    ++j;
  }
  return counts;
}

// A buffer that lives on the stack while small and spills to the heap beyond, so that
// DamerauLevenshtein never allocates in the common short case.
template <typename T>
class ScratchArray {
 public:
  explicit ScratchArray(size_t size) {
    if (size <= inline_.size()) {
      data_ = inline_.data();
    } else {
      heap_.resize(size);
      data_ = heap_.data();
    }
  }
  ScratchArray(const ScratchArray&) = delete;
  ScratchArray& operator=(const ScratchArray&) = delete;

  T* data() { return data_; }

 private:
  std::array<T, 3 * (kInlineBytes + 1)> inline_;  // room for DamerauLevenshtein's three rows
  std::vector<T> heap_;
  T* data_;
};

// A string assembled without allocating while it fits kInlineText bytes.
class ScratchString {
 public:
  static constexpr size_t kInlineText = 128;

  ScratchString() = default;
  ScratchString(const ScratchString&) = delete;
  ScratchString& operator=(const ScratchString&) = delete;

  void Append(std::string_view s) {
    if (heap_.empty() && size_ + s.size() <= kInlineText) {
      std::memcpy(inline_.data() + size_, s.data(), s.size());
      size_ += s.size();
      return;
    }
    if (heap_.empty()) heap_.assign(inline_.data(), size_);
    heap_.append(s);
  }
  std::string_view view() const {
    return heap_.empty() ? std::string_view(inline_.data(), size_) : std::string_view(heap_);
  }

 private:
  std::array<char, kInlineText> inline_;
  size_t size_ = 0;
  std::string heap_;
};

// The space-separated words of a folded value, sorted; no allocation up to kInlineWords words.
class SortedWords {
 public:
  static constexpr size_t kInlineWords = 16;

  explicit SortedWords(std::string_view folded) {
    size_t start = 0;
    while (start < folded.size()) {
      size_t end = folded.find(' ', start);
      if (end == std::string_view::npos) end = folded.size();
      if (end > start) Add(folded.substr(start, end - start));
      start = end + 1;
    }
    std::sort(begin(), end());
  }
  SortedWords(const SortedWords&) = delete;
  SortedWords& operator=(const SortedWords&) = delete;

  const std::string_view* begin() const { return heap_.empty() ? inline_.data() : heap_.data(); }
  const std::string_view* end() const { return begin() + size_; }
  size_t size() const { return size_; }

  // The words joined by single spaces: word order no longer matters.
  void Join(ScratchString* out) const {
    for (const std::string_view* w = begin(); w != end(); ++w) {
      if (w != begin()) out->Append(" ");
      out->Append(*w);
    }
  }

  // The number of distinct words in both.
  size_t CommonDistinct(const SortedWords& other) const {
    size_t common = 0;
    const std::string_view *a = begin(), *b = other.begin();
    while (a != end() && b != other.end()) {
      if (*a < *b) {
        ++a;
      } else if (*b < *a) {
        ++b;
      } else {
        const std::string_view word = *a;
        ++common;
        while (a != end() && *a == word) ++a;
        while (b != other.end() && *b == word) ++b;
      }
    }
    return common;
  }

  size_t Distinct() const {
    size_t distinct = 0;
    for (const std::string_view* w = begin(); w != end(); ++w) {
      if (w == begin() || *w != *(w - 1)) ++distinct;
    }
    return distinct;
  }

 private:
  std::string_view* begin() { return heap_.empty() ? inline_.data() : heap_.data(); }
  std::string_view* end() { return begin() + size_; }

  void Add(std::string_view word) {
    if (heap_.empty() && size_ < kInlineWords) {
      inline_[size_++] = word;
      return;
    }
    if (heap_.empty()) heap_.assign(inline_.begin(), inline_.begin() + size_);
    heap_.push_back(word);
    ++size_;
  }

  std::array<std::string_view, kInlineWords> inline_;
  std::vector<std::string_view> heap_;
  size_t size_ = 0;
};

// The value without spaces, for postcodes and identifiers where grouping is formatting.
void RemoveSpaces(std::string_view s, ScratchString* out) {
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(' ', start);
    if (end == std::string_view::npos) end = s.size();
    out->Append(s.substr(start, end - start));
    start = end + 1;
  }
}

int NameLevel(std::string_view a, std::string_view b) {
  if (a == b) return 3;
  const double jw = JaroWinkler(a, b);
  if (jw >= 0.92 - kSlack) return 2;
  // A wrong first letter ("kate" / "cate") costs Jaro-Winkler its whole prefix bonus.
  if (a.size() >= 4 && b.size() >= 4 && DamerauLevenshtein(a, b, 1) <= 1) return 2;
  return jw >= 0.80 - kSlack ? 1 : 0;
}

int CompareName(std::string_view a, std::string_view b) {
  int level = NameLevel(a, b);
  if (level == 3) return level;
  if (a.find(' ') == std::string_view::npos && b.find(' ') == std::string_view::npos) return level;
  const SortedWords words_a(a), words_b(b);
  ScratchString sorted_a, sorted_b;
  words_a.Join(&sorted_a);
  words_b.Join(&sorted_b);
  if (sorted_a.view() == a && sorted_b.view() == b) return level;
  // Only equality can still raise level 2; skip the measures.
  if (level == 2) return sorted_a.view() == sorted_b.view() ? 3 : 2;
  return std::max(level, NameLevel(sorted_a.view(), sorted_b.view()));
}

struct Date {
  int year = 0, month = 0, day = 0;
  std::array<char, 8> digits{};  // YYYYMMDD
  std::string_view Digits() const { return std::string_view(digits.data(), digits.size()); }
};

// Reads 1 or 2 digits at s[*pos] and advances past them; false when there is no digit.
bool ReadSmallNumber(std::string_view s, size_t* pos, int* value) {
  size_t digits = 0;
  *value = 0;
  while (*pos < s.size() && digits < 2 && IsAsciiDigit(s[*pos])) {
    *value = *value * 10 + (s[*pos] - '0');
    ++*pos;
    ++digits;
  }
  return digits > 0;
}

bool IsDateSeparator(char c) { return c == '-' || c == ' ' || c == '/' || c == '.'; }

std::optional<Date> ParseDate(std::string_view s) {
  if (s.size() < 8) return std::nullopt;
  for (size_t i = 0; i < 4; ++i) {
    if (!IsAsciiDigit(s[i])) return std::nullopt;
  }
  Date date;
  date.year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  if (s.size() == 8 && std::all_of(s.begin() + 4, s.end(), IsAsciiDigit)) {
    date.month = (s[4] - '0') * 10 + (s[5] - '0');
    date.day = (s[6] - '0') * 10 + (s[7] - '0');
  } else {
    size_t pos = 4;
    if (!IsDateSeparator(s[pos++])) return std::nullopt;
    if (!ReadSmallNumber(s, &pos, &date.month)) return std::nullopt;
    if (pos >= s.size() || !IsDateSeparator(s[pos++])) return std::nullopt;
    if (!ReadSmallNumber(s, &pos, &date.day)) return std::nullopt;
    if (pos != s.size()) return std::nullopt;
  }
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > 31) return std::nullopt;
  std::memcpy(date.digits.data(), s.data(), 4);
  date.digits[4] = static_cast<char>('0' + date.month / 10);
  date.digits[5] = static_cast<char>('0' + date.month % 10);
  date.digits[6] = static_cast<char>('0' + date.day / 10);
  date.digits[7] = static_cast<char>('0' + date.day % 10);
  return date;
}

int CompareDate(std::string_view a, std::string_view b) {
  const std::optional<Date> da = ParseDate(a), db = ParseDate(b);
  if (!da || !db) return a == b ? 4 : 0;
  const bool same_year = da->year == db->year;
  const bool same_month = da->month == db->month;
  const bool same_day = da->day == db->day;
  if (same_year && same_month && same_day) return 4;
  // Both parsed, so a swapped pair is a valid month and day either way round.
  if (same_year && da->month == db->day && da->day == db->month) return 3;
  if (DamerauLevenshtein(da->Digits(), db->Digits(), 1) == 1) return 3;
  if (same_year && same_month) return 2;
  // One-digit year differences were level 3 above; this catches 1979 / 1980.
  if (same_month && same_day && (da->year - db->year == 1 || db->year - da->year == 1)) return 2;
  return same_year ? 1 : 0;
}

int CompareSpaceless(std::string_view a, std::string_view b, size_t min_size_for_edit) {
  ScratchString ca, cb;
  RemoveSpaces(a, &ca);
  RemoveSpaces(b, &cb);
  if (ca.view() == cb.view()) return 2;
  if (ca.view().size() < min_size_for_edit || cb.view().size() < min_size_for_edit) return 0;
  return DamerauLevenshtein(ca.view(), cb.view(), 1) == 1 ? 1 : 0;
}

// The first word that starts with a digit, in the order written.
std::string_view HouseNumber(std::string_view folded) {
  size_t start = 0;
  while (start < folded.size()) {
    size_t end = folded.find(' ', start);
    if (end == std::string_view::npos) end = folded.size();
    if (end > start && IsAsciiDigit(folded[start])) return folded.substr(start, end - start);
    start = end + 1;
  }
  return {};
}

int CompareAddress(std::string_view a, std::string_view b) {
  if (a == b) return 3;
  const SortedWords words_a(a), words_b(b);
  ScratchString sorted_a, sorted_b;
  words_a.Join(&sorted_a);
  words_b.Join(&sorted_b);
  const double jw = JaroWinkler(sorted_a.view(), sorted_b.view());
  const size_t common = words_a.CommonDistinct(words_b);
  const size_t all = words_a.Distinct() + words_b.Distinct() - common;
  const double jaccard = all == 0 ? 0.0 : static_cast<double>(common) / static_cast<double>(all);
  if (jw >= 0.92 - kSlack || jaccard >= 0.75 - kSlack) return 2;
  if (jw >= 0.80 - kSlack) return 1;
  const std::string_view house_a = HouseNumber(a);
  // The house number is one of the common words, so another must be shared as well.
  if (!house_a.empty() && house_a == HouseNumber(b) && common >= 2) return 1;
  return 0;
}

}  // namespace

std::string FoldForMatching(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return FoldWithIcu(text);
  }
  return FoldAscii(text);
}

double JaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a == b) return 1.0;
  // Greedy matching depends on which side drives it; a fixed order keeps the measure symmetric.
  if (a.size() > b.size() || (a.size() == b.size() && a > b)) std::swap(a, b);

  const JaroCounts counts = b.size() <= 64 ? CountJaroSmall(a, b) : CountJaroLarge(a, b);  // bits
  if (counts.matches == 0) return 0.0;
  // Integer halving as in Winkler's strcmp95.
  const size_t transpositions = counts.half_transpositions / 2;
  const double m = static_cast<double>(counts.matches);
  const double jaro = (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) +
                       (m - static_cast<double>(transpositions)) / m) /
                      3.0;
  if (jaro <= 0.7) return jaro;
  size_t prefix = 0;
  const size_t max_prefix = std::min<size_t>(4, a.size());
  while (prefix < max_prefix && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

int DamerauLevenshtein(std::string_view a, std::string_view b, int max) {
  if (max < 0) max = 0;
  // A common prefix or suffix never takes part in an optimal alignment's edits.
  while (!a.empty() && !b.empty() && a.front() == b.front()) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  while (!a.empty() && !b.empty() && a.back() == b.back()) {
    a.remove_suffix(1);
    b.remove_suffix(1);
  }
  // Rows run over the longer string, columns over the shorter, so the rows stay short.
  if (a.size() < b.size()) std::swap(a, b);
  const size_t n = a.size(), m = b.size();
  if (n - m > static_cast<size_t>(max)) return max + 1;
  if (m == 0) return static_cast<int>(n);  // n <= max here
  // The distance never exceeds n, so a larger bound only widens the band for nothing.
  if (static_cast<size_t>(max) > n) max = static_cast<int>(n);
  const int over = max + 1;  // "more than max": every cell is capped here
  const size_t band = static_cast<size_t>(max);

  // Only cells with |i - j| <= max can hold a value <= max, so each row is computed over that
  // band; the cell just outside it on either side is set to `over` for the next row to read.
  ScratchArray<int> rows(3 * (m + 1));
  int* two_back = rows.data();
  int* previous = two_back + (m + 1);
  int* current = previous + (m + 1);
  for (size_t j = 0; j <= std::min(m, band); ++j) previous[j] = static_cast<int>(j);
  if (band + 1 <= m) previous[band + 1] = over;

  for (size_t i = 1; i <= n; ++i) {
    const size_t lo = i > band ? i - band : 1;
    const size_t hi = std::min(m, i + band);
    current[0] = i <= band ? static_cast<int>(i) : over;
    if (lo > 1) current[lo - 1] = over;
    int row_min = lo == 1 ? current[0] : over;
    for (size_t j = lo; j <= hi; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int cell = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cell = std::min(cell, two_back[j - 2] + 1);
      }
      cell = std::min(cell, over);
      current[j] = cell;
      row_min = std::min(row_min, cell);
    }
    if (hi + 1 <= m) current[hi + 1] = over;
    // Every alignment crosses this row at or below the final distance.
    if (row_min > max) return over;
    int* recycled = two_back;
    two_back = previous;
    previous = current;
    current = recycled;
  }
  return previous[m];
}

std::string Soundex(std::string_view folded) {
  // Codes for 'a'..'z'; '0' separates equal codes (vowels, y), '-' does not (h, w).
  static constexpr char kCodes[] = "01230120022455012623010202";
  static_assert(sizeof(kCodes) == 27);
  auto code_of = [](char c) { return c == 'h' || c == 'w' ? '-' : kCodes[c - 'a']; };

  size_t start = 0;
  while (start < folded.size() && folded[start] == ' ') ++start;
  std::string out;
  char last = 0;
  for (size_t i = start; i < folded.size() && folded[i] != ' ' && out.size() < 4; ++i) {
    const auto uc = static_cast<unsigned char>(folded[i]);
    if (!IsAsciiLetter(uc)) continue;
    const char c = AsciiLower(uc);
    const char code = code_of(c);
    if (out.empty()) {
      out += static_cast<char>(c - 'a' + 'A');
    } else if (code == '-') {
      continue;  // h and w neither code nor separate: "ashcraft" codes s and c once
    } else if (code != '0' && code != last) {
      out += code;
    }
    last = code;
  }
  if (out.empty()) return out;
  out.resize(4, '0');
  return out;
}

std::optional<ComparatorKind> ParseComparatorKind(std::string_view name) {
  for (ComparatorKind kind : {ComparatorKind::kExact, ComparatorKind::kName, ComparatorKind::kDate,
                              ComparatorKind::kPostcode, ComparatorKind::kAddress,
                              ComparatorKind::kIdentifier}) {
    if (ComparatorKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view ComparatorKindName(ComparatorKind kind) {
  switch (kind) {
    case ComparatorKind::kExact: return "exact";
    case ComparatorKind::kName: return "name";
    case ComparatorKind::kDate: return "date";
    case ComparatorKind::kPostcode: return "postcode";
    case ComparatorKind::kAddress: return "address";
    case ComparatorKind::kIdentifier: return "identifier";
  }
  return "unknown";
}

int Compare(ComparatorKind kind, std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return kMissing;
  switch (kind) {
    case ComparatorKind::kExact: return a == b ? 1 : 0;
    case ComparatorKind::kName: return CompareName(a, b);
    case ComparatorKind::kDate: return CompareDate(a, b);
    case ComparatorKind::kPostcode: return CompareSpaceless(a, b, 0);
    case ComparatorKind::kAddress: return CompareAddress(a, b);
    case ComparatorKind::kIdentifier: return CompareSpaceless(a, b, 5);
  }
  return 0;
}

int LevelCount(ComparatorKind kind) {
  switch (kind) {
    case ComparatorKind::kExact: return 2;
    case ComparatorKind::kName: return 4;
    case ComparatorKind::kDate: return 5;
    case ComparatorKind::kPostcode: return 3;
    case ComparatorKind::kAddress: return 4;
    case ComparatorKind::kIdentifier: return 3;
  }
  return 0;
}

std::string_view LevelName(ComparatorKind kind, int level) {
  if (level == kMissing) return "missing";
  if (level < 0 || level >= LevelCount(kind)) return "invalid";
  if (level == 0) return "disagree";
  if (level == LevelCount(kind) - 1) return "exact";
  switch (kind) {
    case ComparatorKind::kName:
      return level == 2 ? "jaro_winkler>=0.92_or_one_edit" : "jaro_winkler>=0.80";
    case ComparatorKind::kDate:
      if (level == 3) return "day_month_swapped_or_one_digit";
      return level == 2 ? "same_year_month_or_day_month" : "same_year";
    case ComparatorKind::kAddress:
      return level == 2 ? "jaro_winkler>=0.92_or_jaccard>=0.75"
                        : "jaro_winkler>=0.80_or_house_number";
    case ComparatorKind::kPostcode:
    case ComparatorKind::kIdentifier:
      return "one_edit";
    case ComparatorKind::kExact:
      break;
  }
  return "invalid";
}

}  // namespace journeyd::identity
