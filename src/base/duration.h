// Go-style durations for flags and config values: "30s", "500ms", "5m", "1h30m" (units ms, s, m,
// h, summed); a bare number is seconds. No sign, no fractions. Pure.
#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"

namespace hami::base {

// Errors (InvalidArgument) quote the text.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace hami::base
