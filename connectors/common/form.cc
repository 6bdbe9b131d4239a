#include "connectors/common/form.h"

#include "connectors/common/encoding.h"

namespace journeyd::connectors::common {

Result<FormFields> ParseFormUrlEncoded(std::string_view text) {
  FormFields fields;
  size_t index = 0;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view piece = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    ++index;
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    const std::string_view raw_key = piece.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    auto key = PercentDecode(raw_key, /*plus_is_space=*/true);
    auto value = PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!key || !value) {
      return InvalidArgument("malformed form field " + std::to_string(index) + ": broken %-escape");
    }
    fields.emplace_back(std::move(*key), std::move(*value));
  }
  return fields;
}

std::optional<std::string_view> FindField(const FormFields& fields, std::string_view key) {
  for (const auto& [name, value] : fields) {
    if (name == key) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace journeyd::connectors::common
