// Helpers shared by the codec/ JSON grammars (internal to codec/; other folders use the codecs).
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

namespace hami::codec::internal {

using base::Quote;  // quoting for error messages lives in base/strings.h

// Appends `text` as a JSON string literal, byte-for-byte like Go's encoding/json.
void AppendGoString(std::string* out, std::string_view text);

// Parses JSON text; errors read "<what>: invalid JSON: <parser message>".
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
