// Timestamps in the text forms the wire uses, converted to and from unix seconds without any
// locale or time-zone database: RFC 3339 (node lock), "YYYY-MM-DD HH:MM:SS" (handshake) and Go's
// time.Time.String() (legacy handshake "Reported ..."). Proleptic Gregorian calendar, years
// 0000-9999, no leap seconds (second 60 is rejected, as Go does). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hami::codec {

// Seconds since 1970-01-01T00:00:00Z of a UTC civil time. Fields are not range-checked.
int64_t UnixFromCivil(int64_t year, int month, int day, int hour, int minute, int second);

// RFC 3339 / Go time.RFC3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm). The fraction ('.' or
// ',' then digits, as Go accepts) is parsed and dropped: the result is floor(seconds).
base::Result<int64_t> ParseRfc3339(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ" (UTC). Requires a time within years 0000-9999.
std::string FormatRfc3339(int64_t unix_seconds);

// Go time.DateTime "YYYY-MM-DD HH:MM:SS", read as UTC.
base::Result<int64_t> ParseDateTime(std::string_view text);
std::string FormatDateTime(int64_t unix_seconds);

// The leading part of Go's time.Time.String(): "YYYY-MM-DD HH:MM:SS[.fraction] ±hhmm" followed by
// anything (zone abbreviation, monotonic clock reading). Uses the numeric offset.
base::Result<int64_t> ParseGoTimeString(std::string_view text);

}  // namespace hami::codec
