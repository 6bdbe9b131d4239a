// Secret holds a credential read from the environment or a file. It never prints its value:
// formatting, logging and config dumps see "***". Compare with Equals(), which takes constant
// time, never with ==.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace journeyd {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  bool empty() const { return value_.empty(); }
  // The raw value, for the few places that sign or authenticate with it.
  const std::string& Reveal() const { return value_; }
  // Constant-time in the length of the longer input.
  bool Equals(std::string_view candidate) const;

  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << "***"; }

 private:
  std::string value_;
};

// Constant-time equality of two byte strings; the time depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace journeyd
