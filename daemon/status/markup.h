// Escaping text for HTML and SVG (XML) markup that journeyd renders on the server: the sign-in
// page and the funnel chart. Everything else the status page shows is built with DOM calls.
#pragma once

#include <string>
#include <string_view>

namespace journeyd::status {

// `&`, `<`, `>`, `"` and `'` as entities: safe in element text and quoted attribute values.
std::string EscapeMarkup(std::string_view text);

}  // namespace journeyd::status
