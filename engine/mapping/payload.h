// Turns a stored event body into the JSON value that mapping expressions read: JSON bodies as
// they are, form-encoded bodies (Mailchimp) as objects whose bracketed keys nest, so that
// `data[merges][FNAME]` is read as data.merges.FNAME. Stateless: safe from any thread.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "engine/base/form_encoding.h"
#include "engine/base/result.h"

namespace journeyd::mapping {

// By the media type of `content_type` (parameters such as charset are ignored, case too):
//   application/json, any application/...+json, or empty: parsed as JSON (up to 64 levels
//     deep, as intake accepts), except that a number a double cannot hold exactly (an integer
//     past 64 bits, 1e400, more than 17 significant digits) becomes a string of its text;
//   application/x-www-form-urlencoded: NestFormFields(ParseFormUrlEncoded(body)).
// kInvalidArgument for any other type ("unsupported content type ..."), for JSON that does not
// parse (the parser's message and the byte offset), and for a broken form body. Values are
// allocated from `sp`.
Result<boost::json::value> DecodePayload(std::string_view content_type, std::string_view body,
                                         boost::json::storage_ptr sp = {});

// Form fields as one object, with PHP's (and so Mailchimp's) bracket convention:
//   data[merges][FNAME]=Bob   -> {"data": {"merges": {"FNAME": "Bob"}}}
//   a[]=1&a[]=2               -> {"a": ["1", "2"]}
//   items[0][id]=7            -> {"items": {"0": {"id": "7"}}}   (indexes are keys, never gaps)
// Every value is a string. When a key is sent again the last one wins, also when it changes
// shape (a=1&a[b]=2 gives {"a": {"b": "2"}}). A key that is not `name[...]...[...]` exactly, such
// as "a[b" or "[x]", is kept verbatim. kInvalidArgument for keys nested deeper than 32 levels.
Result<boost::json::object> NestFormFields(const FormFields& fields,
                                           boost::json::storage_ptr sp = {});

}  // namespace journeyd::mapping
