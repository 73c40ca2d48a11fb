// Kubernetes resource quantities (`resource.Quantity` text form), parsed exactly.
//
// Grammar (WIRE, as k8s.io/apimachinery/pkg/api/resource):
//   <quantity>  ::= <sign>? <number> <suffix>
//   <number>    ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <suffix>    ::= "" | m | k | M | G | T | P | E          (decimal SI)
//                 | Ki | Mi | Gi | Ti | Pi | Ei               (binary SI)
//                 | (e|E) <sign>? <digits>                    (decimal exponent, int32)
// Suffixes are case-sensitive; no whitespace is allowed anywhere.
//
// A Quantity holds the exact value  sign × significand × 10^exp10 × 2^exp2  (no floating point).
// Differences from Go, all deliberate: a sign or a dot with no digit ("-", ".") is an error (Go
// reads 0); values are never capped at 2^63-1 nor rounded up to 1n: ToInt64/CeilDiv report
// "out of range" or "not a whole number" instead. At most 38 significant digits are kept exactly
// (more is an error).
//
// Pure; value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hami::base {

class Quantity {
 public:
  enum class SuffixKind { kNone, kDecimalSi, kBinarySi, kExponent };

  // The text this quantity was parsed from.
  const std::string& text() const { return text_; }
  // The suffix as written ("" when none), e.g. "Gi", "k", "e3".
  std::string_view suffix() const;
  SuffixKind suffix_kind() const { return suffix_kind_; }

  bool IsZero() const { return significand_ == 0; }
  // -1, 0 or +1.
  int Sign() const { return IsZero() ? 0 : (negative_ ? -1 : 1); }

  // True for the suffixes that read naturally as a byte count: binary SI (Ki..Ei) and the decimal
  // multipliers M G T P E. False for no suffix, "m", "k" and exponent forms: the API server stores
  // a plain 3000 as "3k" (canonical form), so "k" must keep meaning thousands of the plain unit.
  bool HasByteSuffix() const;

  // The exact integer value (like Go's AsInt64, but with a reason when it cannot be one):
  // error "not a whole number" when fractional, "out of range" when outside int64.
  Result<int64_t> ToInt64() const;

  // ceil(value / unit) computed exactly, for unit > 0 (error otherwise). Rounds toward +infinity,
  // so a negative value rounds toward zero. Error "out of range" when the result exceeds int64.
  Result<int64_t> CeilDiv(int64_t unit) const;

 private:
  friend Result<Quantity> ParseQuantity(std::string_view text);

  Result<int64_t> Divide(int64_t unit, bool require_exact) const;

  std::string text_;
  size_t suffix_pos_ = 0;
  SuffixKind suffix_kind_ = SuffixKind::kNone;
  bool negative_ = false;
  unsigned __int128 significand_ = 0;  // < 10^38, no trailing decimal zeros
  int64_t exp10_ = 0;
  int32_t exp2_ = 0;  // 0, 10, 20, ... 60
};

// Parses the full quantity grammar above. Errors quote the input and say what was expected, e.g.
// `invalid quantity "3Gx": unknown suffix "Gx" (expected ...)`.
Result<Quantity> ParseQuantity(std::string_view text);

// ParseQuantity + ToInt64, with the input quoted in errors.
Result<int64_t> ParseQuantityInt64(std::string_view text);

// WIRE (product rule for `nvidia.com/gpumem` and other memory resources): a plain number (no
// suffix, "m" or exponent form) counts MiB and must be whole; a byte suffix (Ki..Ei, k M G T P E)
// counts bytes, converted to MiB rounding up (3Gi -> 3072, 3G -> 2862, 500Ki -> 1). Negative values
// and results above INT32_MAX MiB are errors. Upstream treats any suffix as MiB (so "16Gi"
// overflows and voids the request); see docs/wire/differences-codec.md.
Result<int64_t> ParseMemoryMiB(std::string_view text);

}  // namespace hami::base
