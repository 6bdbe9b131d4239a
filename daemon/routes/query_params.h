// Reading query-string parameters of admin API requests, percent-decoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace journeyd::routes {

std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

}  // namespace journeyd::routes
