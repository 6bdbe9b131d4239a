// Field comparators for fuzzy identity matching. A probabilistic (Fellegi-Sunter) matcher does
// not ask "are these equal?" but "how strongly do these two values agree?": each comparator maps
// a pair of values to a small agreement level, and the matcher learns how much each level of each
// field tells about a true match. Values are folded once (FoldForMatching) and then compared many
// times, so the string measures here are pure functions that do not allocate for short input.
//
// Every function is pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace journeyd::identity {

// Lower-case (full Unicode case folding, "Straße" -> "strasse"), accents and diacritics removed
// (NFKD, drop nonspacing marks, NFC; letters with a stroke and a few ligatures have no
// decomposition and are mapped by hand: "ø" -> "o", "ł" -> "l", "đ" and "ð" -> "d", "ħ" -> "h",
// "ŧ" -> "t", "ı" -> "i", "æ" -> "ae", "œ" -> "oe", "þ" -> "th"). Every run of
// characters that is not a letter, digit or spacing mark (punctuation, symbols, whitespace,
// control characters) becomes one space, and the result is trimmed. Invisible format characters
// (soft hyphen, zero-width joiner) and bytes that are not valid UTF-8 are dropped, so neither
// splits a word. UTF-8 in, UTF-8 out. Pure-ASCII input takes a fast path without ICU that gives
// the same result.
//   "  José  O'Brien-Smith " -> "jose o brien smith"
std::string FoldForMatching(std::string_view text);

// Jaro-Winkler similarity in [0,1] on the bytes of already-folded text. Prefix scale 0.1 over a
// common prefix of up to 4 bytes, applied when the Jaro similarity exceeds 0.7 (Winkler's boost
// threshold). Both empty -> 1.0; one empty -> 0.0. Does not allocate when both are <= 64 bytes.
double JaroWinkler(std::string_view a, std::string_view b);

// Optimal-string-alignment Damerau-Levenshtein distance (insert, delete, substitute, swap two
// adjacent bytes; no substring is edited twice), bounded: returns max + 1 as soon as the distance
// must exceed max. Cost is O(min(len) * max) rather than O(len^2), so it stays cheap for long
// strings that differ a lot. A negative max is treated as 0. Does not allocate when the shorter
// string (after dropping the common prefix and suffix) is <= 64 bytes.
int DamerauLevenshtein(std::string_view a, std::string_view b, int max);

// American Soundex of the letters (a-z, either case) of the first space-separated word of a
// folded value: "robert" -> "R163", "tymczak" -> "T522". Other characters in the word are
// skipped. "" when that word has no letter.
std::string Soundex(std::string_view folded);

enum class ComparatorKind { kExact, kName, kDate, kPostcode, kAddress, kIdentifier };

// Parses "exact", "name", "date", "postcode", "address", "identifier".
std::optional<ComparatorKind> ParseComparatorKind(std::string_view name);
std::string_view ComparatorKindName(ComparatorKind kind);

// Agreement level of two values that were already folded with FoldForMatching. kMissing when
// either side is empty; 0 means disagree; higher means stronger agreement; LevelCount(kind) - 1
// is exact agreement. "JW" is JaroWinkler, "one edit" is DamerauLevenshtein == 1.
//
//   kExact       1 equal; 0 otherwise.
//   kName        3 equal; 2 JW >= 0.92, or one edit when both are >= 4 bytes; 1 JW >= 0.80;
//                0 otherwise. Multi-word names are also compared with their words sorted
//                ("smith john" vs "john smith") and the better level wins, so word order does
//                not count against a match.
//   kDate        "YYYY-MM-DD", "YYYYMMDD" and "YYYY MM DD" (what folding makes of the first) are
//                equivalent; a 1-digit month or day is accepted when separated.
//                4 equal; 3 day and month swapped (same year), or the 8 digits are one edit apart
//                (one digit wrong or two adjacent digits swapped); 2 same year and month, or same
//                month and day with the years one apart (1979 vs 1980); 1 same year; 0 otherwise.
//                A value that is not such a date (or has month > 12 or day > 31) is compared as
//                a plain string: equal -> 4, else 0.
//   kPostcode    Spaces are ignored ("sw1a 1aa" == "sw1a1aa"). 2 equal; 1 one edit; 0 otherwise.
//   kAddress     Free text such as "12 pinkerton circuit"; words are compared as sorted sets.
//                3 equal; 2 sorted-words JW >= 0.92 or word Jaccard >= 0.75; 1 sorted-words
//                JW >= 0.80, or the same house number (the first word that starts with a digit)
//                and at least one other word in common; 0 otherwise.
//   kIdentifier  National ids, loyalty numbers. Spaces are ignored ("123 45 6789" ==
//                "123456789"). 2 equal; 1 one edit (a typo or a transposition) when both are
//                >= 5 bytes; 0 otherwise.
//
// Does not allocate for typical values (<= 64 bytes, <= 16 words).
inline constexpr int kMissing = -1;
int Compare(ComparatorKind kind, std::string_view a, std::string_view b);

// The number of non-missing levels; Compare returns kMissing or 0 .. LevelCount(kind) - 1.
int LevelCount(ComparatorKind kind);

// A short human name for a level, for merge explanations. Every kind: kMissing "missing", 0
// "disagree", the top level "exact". In between:
//   kName        1 "jaro_winkler>=0.80", 2 "jaro_winkler>=0.92_or_one_edit"
//   kDate        1 "same_year", 2 "same_year_month_or_day_month",
//                3 "day_month_swapped_or_one_digit"
//   kPostcode    1 "one_edit"
//   kAddress     1 "jaro_winkler>=0.80_or_house_number", 2 "jaro_winkler>=0.92_or_jaccard>=0.75"
//   kIdentifier  1 "one_edit"
// "invalid" for a level out of range.
std::string_view LevelName(ComparatorKind kind, int level);

}  // namespace journeyd::identity
