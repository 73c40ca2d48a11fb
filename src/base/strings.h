// Small string helpers shared by the codecs and adapters. Pure; no allocation surprises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hami::base {

// Splits on every `sep`, keeping empty pieces ("a;;b;" -> {"a","","b",""}), like Go's
// strings.Split.
std::vector<std::string_view> Split(std::string_view text, char sep);

// Removes ASCII whitespace at both ends.
std::string_view Trim(std::string_view text);

std::string ToLower(std::string_view text);
std::string ToUpper(std::string_view text);

bool Contains(std::string_view haystack, std::string_view needle);
bool StartsWith(std::string_view text, std::string_view prefix);
bool EndsWith(std::string_view text, std::string_view suffix);

std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// `text` quoted for an error message: "..." with \" \\ and non-printable bytes as \xNN.
std::string Quote(std::string_view text);

// Whole-string decimal integer with optional sign; nullopt on junk or overflow.
std::optional<int64_t> ParseInt64(std::string_view text);

// Go strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
std::optional<bool> ParseBool(std::string_view text);

}  // namespace hami::base
