// Helpers shared by the codec/ JSON grammars (internal to codec/; other folders use the codecs),
// and the bounded JSON parse every parser of outside bytes uses (ParseBoundedJson, public).
//
// Decoding follows Go's encoding/json where it matters for wire compatibility: object keys match
// exactly first, then ASCII case-insensitively; a `null` member reads as absent; unknown members
// are ignored; integer fields accept only integer literals in range. Encoding writes strings
// exactly as Go's json.Marshal does (HTML-safe escapes, \ufffd for invalid UTF-8).
// Pure; no exceptions escape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/strings.h"

namespace hami::codec {

// JSON from outside the process is nested at most this deep (objects and arrays). Kubernetes
// objects reach ~12 levels (a pod's managedFields ~16, wrapped in an AdmissionReview or
// ExtenderArgs 2 more); Go's encoding/json allows 10000, which a recursive copy, comparison or
// dump of nlohmann::json cannot survive on a thread's stack (135k levels crashed hami-scheduler).
inline constexpr int kMaxJsonDepth = 100;

// Whether the nesting of `text` (brackets outside strings; escapes honoured) stays within
// `max_depth`. Linear, no allocation; stops at the first bracket too deep. Invalid JSON that is
// shallow enough passes (the parser reports it).
bool JsonDepthWithin(std::string_view text, int max_depth = kMaxJsonDepth);

// Parses JSON text nested at most `max_depth` levels. Errors: InvalidArgument
// "<what>: JSON nested deeper than <max_depth> levels" (checked before parsing, so no recursion
// over the value can exhaust the stack) or "<what>: invalid JSON: <parser message>". Never throws.
base::Result<nlohmann::json> ParseBoundedJson(std::string_view text, std::string_view what,
                                              int max_depth = kMaxJsonDepth);

// Serializes `value` compactly and never throws: bytes inside strings that are not UTF-8 (text from
// YAML, error messages quoting outside input) are written as U+FFFD instead of raising
// nlohmann's type_error 316. Use it for every dump of data that did not come from a JSON parser.
template <typename Json>
std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace hami::codec

namespace hami::codec::internal {

using base::Quote;  // quoting for error messages lives in base/strings.h

// Appends `text` as a JSON string literal, byte-for-byte like Go's encoding/json.
void AppendGoString(std::string* out, std::string_view text);

// ParseBoundedJson with kMaxJsonDepth.
base::Result<nlohmann::json> ParseJson(std::string_view text, std::string_view what);

// The member named `key` (exact match, else ASCII case-insensitive), or nullptr when the object has
// no such member or its value is null. `object` must be an object.
const nlohmann::json* FindMember(const nlohmann::json& object, std::string_view key);

// Typed member readers: leave *out untouched when the member is absent; on a type or range error
// return InvalidArgument "<where>: field \"<key>\": expected <kind>, got <json type>".
base::Status ReadString(const nlohmann::json& object, std::string_view key, std::string_view where,
                        std::string* out);
base::Status ReadInt32(const nlohmann::json& object, std::string_view key, std::string_view where,
                       int32_t* out);
base::Status ReadBool(const nlohmann::json& object, std::string_view key, std::string_view where,
                      bool* out);

// "expected <kind>, got <type of value>" with value's JSON type name ("string", "number", ...).
std::string Expected(std::string_view kind, const nlohmann::json& value);

}  // namespace hami::codec::internal
