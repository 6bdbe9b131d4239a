#include "engine/identity/comparators.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace journeyd::identity {
namespace {

using K = ComparatorKind;

// The textbook O(n*m) optimal-string-alignment distance, to check the banded one against.
int ReferenceOsa(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The textbook Jaro-Winkler, scanning each window, to check the bit-parallel one against.
double ReferenceJaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
  if (a.size() > b.size() || (a.size() == b.size() && a > b)) std::swap(a, b);
  const size_t window = std::max<size_t>(b.size() / 2, 1) - 1;
  std::vector<bool> matched_a(a.size()), matched_b(b.size());
  double matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = i > window ? i - window : 0; j < std::min(i + window + 1, b.size()); ++j) {
      if (!matched_b[j] && a[i] == b[j]) {
        matched_a[i] = matched_b[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  int half = 0;
  for (size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!matched_a[i]) continue;
    while (!matched_b[j]) ++j;
    if (a[i] != b[j++]) ++half;
  }
  const double jaro = (matches / static_cast<double>(a.size()) +
                       matches / static_cast<double>(b.size()) + (matches - half / 2) / matches) /
                      3.0;
  if (jaro <= 0.7) return jaro;
  size_t prefix = 0;
  while (prefix < std::min<size_t>(4, a.size()) && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

TEST_CASE("FoldForMatching lower-cases, strips accents, collapses punctuation", "[comparators]") {
  CHECK(FoldForMatching("  José  O'Brien-Smith ") == "jose o brien smith");
  CHECK(FoldForMatching("Zoë") == FoldForMatching("zoe"));
  CHECK(FoldForMatching("Zoë") == "zoe");
  CHECK(FoldForMatching("ÅNGSTRÖM") == "angstrom");
  CHECK(FoldForMatching("Straße") == "strasse");
  CHECK(FoldForMatching("Søren Łukasz Đorđe") == "soren lukasz dorde");
  CHECK(FoldForMatching("Ｊｏｈｎ") == "john");               // full-width letters
  CHECK(FoldForMatching("ﬁnn") == "finn");                   // ligature
  CHECK(FoldForMatching("Jo\u00ADhn\u200B") == "john");      // soft hyphen, zero-width space
  CHECK(FoldForMatching("İstanbul") == "istanbul");
  CHECK(FoldForMatching("Ἀθῆναι") == "αθηναι");              // Greek keeps its letters
  CHECK(FoldForMatching("서울") == "서울");                  // Hangul recomposed after NFD
  CHECK(FoldForMatching("a\t\r\n\x01" "b--c") == "a b c");
  CHECK(FoldForMatching("12 Pinkerton Cct., #4") == "12 pinkerton cct 4");
  CHECK(FoldForMatching("—«»—") == "");
  CHECK(FoldForMatching("...") == "");
  CHECK(FoldForMatching("") == "");
}

TEST_CASE("FoldForMatching gives the same answer on the ASCII and the ICU path", "[comparators]") {
  // The trailing "é" forces ICU; the ASCII part must fold exactly as the fast path folds it.
  for (std::string text : {"  Hello,   World! ", "O'Brien-Smith", "a+b=c", "TAB\tNEW\nLINE",
                           "~`!@#$%^&*()_-+={}[]|\\:;\"'<>,.?/", "MiXeD 123 CaSe"}) {
    CHECK(FoldForMatching(text + " é") == FoldForMatching(text + " e"));
  }
  std::string all_ascii;
  for (int c = 1; c < 0x80; ++c) all_ascii += static_cast<char>(c);
  CHECK(FoldForMatching(all_ascii + "é") == FoldForMatching(all_ascii + "e"));
}

TEST_CASE("FoldForMatching survives invalid UTF-8", "[comparators]") {
  CHECK(FoldForMatching("ab\xff\xfe cd") == "ab cd");
  CHECK(FoldForMatching("\xc3") == "");            // truncated sequence
  CHECK(FoldForMatching("jos\xe9 x") == "jos x");  // Latin-1 byte is dropped, not a separator
  CHECK(FoldForMatching("\xed\xa0\x80z") == "z");  // encoded surrogate
  std::string with_nul("a\0b", 3);
  CHECK(FoldForMatching(with_nul) == "a b");
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise += static_cast<char>((i * 7919) & 0xff);
  const std::string folded = FoldForMatching(noise);
  CHECK(FoldForMatching(folded) == folded);  // the output is valid UTF-8 and already folded
}

TEST_CASE("JaroWinkler matches published values", "[comparators]") {
  CHECK(JaroWinkler("martha", "marhta") == Approx(0.9611).margin(1e-4));
  CHECK(JaroWinkler("dwayne", "duane") == Approx(0.84).margin(1e-4));
  CHECK(JaroWinkler("dixon", "dicksonx") == Approx(0.8133).margin(1e-4));
  CHECK(JaroWinkler("MARTHA", "MARHTA") == Approx(0.9611).margin(1e-4));
  CHECK(JaroWinkler("", "") == 1.0);
  CHECK(JaroWinkler("a", "") == 0.0);
  CHECK(JaroWinkler("", "a") == 0.0);
  CHECK(JaroWinkler("same", "same") == 1.0);
  CHECK(JaroWinkler("abc", "xyz") == 0.0);
  CHECK(JaroWinkler("dwayne", "duane") == JaroWinkler("duane", "dwayne"));
}

TEST_CASE("JaroWinkler handles strings longer than the stack buffer", "[comparators]") {
  const std::string a(200, 'x');
  std::string b = a;
  b[150] = 'y';
  const double jw = JaroWinkler(a, b);
  CHECK(jw > 0.99);
  CHECK(jw < 1.0);
  CHECK(JaroWinkler(a, std::string(300, 'z')) == 0.0);
}

TEST_CASE("JaroWinkler agrees with the textbook algorithm", "[comparators]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    const int alphabet = 2 + static_cast<int>(rng() % 6);
    auto random_string = [&](size_t size) {
      std::string s;
      for (size_t i = 0; i < size; ++i) s += static_cast<char>('a' + rng() % alphabet);
      return s;
    };
    // Sizes around 64 cross from the bit-parallel path to the scanning one.
    const size_t limit = round % 3 == 0 ? 130 : 14;
    const std::string a = random_string(rng() % limit);
    const std::string b = random_string(rng() % limit);
    INFO(a << " / " << b);
    CHECK(JaroWinkler(a, b) == Approx(ReferenceJaroWinkler(a, b)).margin(1e-12));
    CHECK(JaroWinkler(a, b) == JaroWinkler(b, a));
  }
}

TEST_CASE("DamerauLevenshtein counts optimal-string-alignment edits", "[comparators]") {
  CHECK(DamerauLevenshtein("", "", 3) == 0);
  CHECK(DamerauLevenshtein("abc", "", 3) == 3);
  CHECK(DamerauLevenshtein("", "abc", 2) == 3);
  CHECK(DamerauLevenshtein("kitten", "sitting", 5) == 3);
  CHECK(DamerauLevenshtein("ca", "ac", 5) == 1);
  CHECK(DamerauLevenshtein("ca", "abc", 5) == 3);  // OSA, not unrestricted Damerau (2)
  CHECK(DamerauLevenshtein("smith", "smtih", 1) == 1);
  CHECK(DamerauLevenshtein("smith", "smith", 0) == 0);
  CHECK(DamerauLevenshtein("kitten", "sitting", 2) == 3);
  CHECK(DamerauLevenshtein("kitten", "sitting", 0) == 1);
  CHECK(DamerauLevenshtein("a", "b", -4) == 1);  // negative max behaves as 0
  CHECK(DamerauLevenshtein("abc", "abcdefgh", 2) == 3);
}

TEST_CASE("DamerauLevenshtein is bounded on long strings", "[comparators]") {
  std::string a, b;
  for (int i = 0; i < 100000; ++i) {
    a += static_cast<char>('a' + i % 26);
    b += static_cast<char>('a' + (i * 7 + 3) % 26);
  }
  CHECK(DamerauLevenshtein(a, b, 2) == 3);
  std::string c = a;
  c[50000] = '#';
  std::swap(c[70000], c[70001]);
  CHECK(DamerauLevenshtein(a, c, 2) == 2);
  CHECK(DamerauLevenshtein(a, c, 1) == 2);
  CHECK(DamerauLevenshtein(a, a + "xyz", 3) == 3);
  CHECK(DamerauLevenshtein(a, a + "xyz", 2) == 3);
}

TEST_CASE("DamerauLevenshtein agrees with the unbounded reference", "[comparators]") {
  std::mt19937 rng(42);
  for (int round = 0; round < 3000; ++round) {
    const int alphabet = 2 + static_cast<int>(rng() % 3);
    auto random_string = [&](size_t size) {
      std::string s;
      for (size_t i = 0; i < size; ++i) s += static_cast<char>('a' + rng() % alphabet);
      return s;
    };
    const std::string a = random_string(rng() % (round % 10 == 0 ? 80 : 10));
    const std::string b = random_string(rng() % (round % 10 == 0 ? 80 : 10));
    const int max = static_cast<int>(rng() % 5);
    const int expected = ReferenceOsa(a, b);
    INFO(a << " / " << b << " max " << max);
    CHECK(DamerauLevenshtein(a, b, max) == std::min(expected, max + 1));
    CHECK(DamerauLevenshtein(a, b, 1000) == expected);
  }
}

TEST_CASE("Soundex matches published codes", "[comparators]") {
  CHECK(Soundex("robert") == "R163");
  CHECK(Soundex("rupert") == "R163");
  CHECK(Soundex("rubin") == "R150");
  CHECK(Soundex("ashcraft") == "A261");
  CHECK(Soundex("tymczak") == "T522");
  CHECK(Soundex("pfister") == "P236");
  CHECK(Soundex("honeyman") == "H555");
  CHECK(Soundex("Robert") == "R163");
  CHECK(Soundex("lee") == "L000");
  CHECK(Soundex("robert smith") == "R163");  // first word only
  CHECK(Soundex("") == "");
  CHECK(Soundex("1234 main") == "");
  CHECK(Soundex("   ") == "");
}

TEST_CASE("Comparator kinds parse and print", "[comparators]") {
  for (K kind : {K::kExact, K::kName, K::kDate, K::kPostcode, K::kAddress, K::kIdentifier}) {
    const auto parsed = ParseComparatorKind(ComparatorKindName(kind));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == kind);
  }
  CHECK(ParseComparatorKind("name") == K::kName);
  CHECK_FALSE(ParseComparatorKind("Name").has_value());
  CHECK_FALSE(ParseComparatorKind("").has_value());
  CHECK_FALSE(ParseComparatorKind("fuzzy").has_value());
}

TEST_CASE("Every kind reports missing for an empty side", "[comparators]") {
  for (K kind : {K::kExact, K::kName, K::kDate, K::kPostcode, K::kAddress, K::kIdentifier}) {
    CHECK(Compare(kind, "", "x") == kMissing);
    CHECK(Compare(kind, "x", "") == kMissing);
    CHECK(Compare(kind, "", "") == kMissing);
  }
}

TEST_CASE("Level names are distinct and cover every level", "[comparators]") {
  for (K kind : {K::kExact, K::kName, K::kDate, K::kPostcode, K::kAddress, K::kIdentifier}) {
    std::set<std::string_view> names;
    for (int level = kMissing; level < LevelCount(kind); ++level) {
      const std::string_view name = LevelName(kind, level);
      CHECK_FALSE(name.empty());
      CHECK(name != "invalid");
      names.insert(name);
    }
    CHECK(names.size() == static_cast<size_t>(LevelCount(kind) + 1));
    CHECK(LevelName(kind, kMissing) == "missing");
    CHECK(LevelName(kind, 0) == "disagree");
    CHECK(LevelName(kind, LevelCount(kind) - 1) == "exact");
    CHECK(LevelName(kind, LevelCount(kind)) == "invalid");
    CHECK(LevelName(kind, -2) == "invalid");
  }
  CHECK(LevelName(K::kDate, 3) == "day_month_swapped_or_one_digit");
  CHECK(LevelName(K::kPostcode, 1) == "one_edit");
}

TEST_CASE("kExact levels", "[comparators]") {
  CHECK(LevelCount(K::kExact) == 2);
  CHECK(Compare(K::kExact, "gold", "gold") == 1);
  CHECK(Compare(K::kExact, "gold", "golf") == 0);
}

TEST_CASE("kName levels", "[comparators]") {
  CHECK(LevelCount(K::kName) == 4);
  CHECK(Compare(K::kName, "john", "john") == 3);
  CHECK(Compare(K::kName, "martha", "marhta") == 2);  // JW 0.961
  CHECK(Compare(K::kName, "jane", "zane") == 2);      // JW 0.83, but one edit on 4 letters
  CHECK(Compare(K::kName, "jan", "zan") == 0);        // one edit, too short to count
  CHECK(Compare(K::kName, "dwayne", "duane") == 1);   // JW 0.84, two edits
  CHECK(Compare(K::kName, "john", "mary") == 0);
  CHECK(Compare(K::kName, "j", "john") == 0);  // an initial is not agreement
  // Word order does not count against a name.
  CHECK(Compare(K::kName, "smith john", "john smith") == 3);
  CHECK(Compare(K::kName, "john smith", "smith jon") == 2);
  CHECK(Compare(K::kName, "jose o brien smith", "smith jose o brien") == 3);
  CHECK(Compare(K::kName, FoldForMatching("Zoë Núñez"), FoldForMatching("ZOE NUNEZ")) == 3);
}

TEST_CASE("kName handles names with many words and long names", "[comparators]") {
  std::string many_a, many_b;
  for (int i = 0; i < 40; ++i) {
    many_a += "w" + std::to_string(i) + " ";
    many_b = "w" + std::to_string(i) + " " + many_b;
  }
  many_a.pop_back();
  many_b.pop_back();
  CHECK(Compare(K::kName, many_a, many_b) == 3);
}

TEST_CASE("kDate levels", "[comparators]") {
  CHECK(LevelCount(K::kDate) == 5);
  CHECK(Compare(K::kDate, "1980-05-17", "1980-05-17") == 4);
  CHECK(Compare(K::kDate, "1980-05-17", "19800517") == 4);
  CHECK(Compare(K::kDate, "1980 05 17", "19800517") == 4);  // "1980-05-17" after folding
  CHECK(Compare(K::kDate, "1980 5 7", "19800507") == 4);
  CHECK(Compare(K::kDate, "1980-05-07", "1980-07-05") == 3);  // day and month swapped
  CHECK(Compare(K::kDate, "1980-05-17", "1980-05-18") == 3);  // one digit
  CHECK(Compare(K::kDate, "1980-05-12", "1980-05-21") == 3);  // adjacent digits swapped
  CHECK(Compare(K::kDate, "1980-05-17", "1908-05-17") == 3);
  CHECK(Compare(K::kDate, "1980-05-17", "1981-05-17") == 3);
  CHECK(Compare(K::kDate, "1980-05-01", "1980-05-29") == 2);  // same year and month
  CHECK(Compare(K::kDate, "1979-05-17", "1980-05-17") == 2);  // birthday, year one apart
  CHECK(Compare(K::kDate, "1980-01-01", "1980-12-25") == 1);  // same year
  CHECK(Compare(K::kDate, "1980-05-17", "1975-11-02") == 0);
  CHECK(Compare(K::kDate, "1980-05-17", "1983-05-17") == 3);  // one digit in the year
  CHECK(Compare(K::kDate, "1960-05-17", "1980-05-17") == 3);
  CHECK(Compare(K::kDate, "1945-05-17", "1980-05-17") == 0);  // same birthday, decades apart
  // Not dates: compared as strings.
  CHECK(Compare(K::kDate, "unknown", "unknown") == 4);
  CHECK(Compare(K::kDate, "unknown", "1980-05-17") == 0);
  CHECK(Compare(K::kDate, "1980-13-01", "1980-13-01") == 4);
  CHECK(Compare(K::kDate, "1980-13-01", "1980-01-13") == 0);  // month 13 is not a date
  CHECK(Compare(K::kDate, "1980-05-20", "1980-20-05") == 0);
  CHECK(Compare(K::kDate, "17 05 1980", "1980-05-17") == 0);
}

TEST_CASE("kPostcode levels", "[comparators]") {
  CHECK(LevelCount(K::kPostcode) == 3);
  CHECK(Compare(K::kPostcode, "2000", "2000") == 2);
  CHECK(Compare(K::kPostcode, "sw1a 1aa", "sw1a1aa") == 2);
  CHECK(Compare(K::kPostcode, "2000", "2001") == 1);
  CHECK(Compare(K::kPostcode, "sw1a 1aa", "sw1a1a") == 1);
  CHECK(Compare(K::kPostcode, "2000", "3100") == 0);
}

TEST_CASE("kAddress levels", "[comparators]") {
  CHECK(LevelCount(K::kAddress) == 4);
  CHECK(Compare(K::kAddress, "12 pinkerton circuit", "12 pinkerton circuit") == 3);
  CHECK(Compare(K::kAddress, "pinkerton circuit 12", "12 pinkerton circuit") == 2);
  CHECK(Compare(K::kAddress, "12 pinkerton circuit", "12 pinkerton crt") == 2);
  // Jaccard 3/4; sorted-words JW alone would give only level 1.
  CHECK(Compare(K::kAddress, "12 pinkerton circuit north", "12 pinkerton circuit") == 2);
  CHECK(Compare(K::kAddress, "12 pinkerton circuit", "12 pinkerton road") == 1);
  // Same house number and street, little else alike.
  CHECK(Compare(K::kAddress, "12 pinkerton circuit", "12 pinkerton street apartment 5") == 1);
  CHECK(Compare(K::kAddress, "12 pinkerton circuit", "99 baker street") == 0);
  CHECK(Compare(K::kAddress, "12 baker street", "14 pinkerton street") == 0);
}

TEST_CASE("kIdentifier levels", "[comparators]") {
  CHECK(LevelCount(K::kIdentifier) == 3);
  CHECK(Compare(K::kIdentifier, "123456789", "123456789") == 2);
  CHECK(Compare(K::kIdentifier, "123 45 6789", "123456789") == 2);
  CHECK(Compare(K::kIdentifier, "123456789", "123456798") == 1);  // transposition
  CHECK(Compare(K::kIdentifier, "123456789", "123456780") == 1);  // typo
  CHECK(Compare(K::kIdentifier, "12345", "12346") == 1);
  CHECK(Compare(K::kIdentifier, "1234", "1243") == 0);  // too short for a typo to count
  CHECK(Compare(K::kIdentifier, "123456789", "987654321") == 0);
}

}  // namespace
}  // namespace journeyd::identity
