#include "base/quantity.h"

#include "base/strings.h"

#include <array>
#include <cstdio>
#include <limits>

namespace hami::base {
namespace {

constexpr int kMaxSignificantDigits = 38;  // 10^38 - 1 < 2^127

// Minimal unsigned 256-bit integer: enough for exact quotients of bounded quantities.
class U256 {
 public:
  explicit U256(unsigned __int128 v = 0) {
    limb_[0] = static_cast<uint64_t>(v);
    limb_[1] = static_cast<uint64_t>(v >> 64);
  }
  bool IsZero() const { return (limb_[0] | limb_[1] | limb_[2] | limb_[3]) == 0; }
  bool Bit(int i) const { return (limb_[i / 64] >> (i % 64)) & 1; }
  void SetBit(int i) { limb_[i / 64] |= uint64_t{1} << (i % 64); }

  // *this *= m; false on overflow.
  bool Mul(uint64_t m) {
    unsigned __int128 carry = 0;
    for (uint64_t& l : limb_) {
      unsigned __int128 p = static_cast<unsigned __int128>(l) * m + carry;
      l = static_cast<uint64_t>(p);
      carry = p >> 64;
    }
    return carry == 0;
  }
  // *this <<= 1 with `low` shifted in; false on overflow.
  bool ShiftInBit(bool low) {
    uint64_t carry = low ? 1 : 0;
    for (uint64_t& l : limb_) {
      uint64_t next = l >> 63;
      l = (l << 1) | carry;
      carry = next;
    }
    return carry == 0;
  }
  bool Shl(int n) {
    for (int i = 0; i < n; ++i) {
      if (!ShiftInBit(false)) return false;
    }
    return true;
  }
  friend bool operator>=(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i) {
      if (a.limb_[i] != b.limb_[i]) return a.limb_[i] > b.limb_[i];
    }
    return true;
  }
  void Sub(const U256& b) {  // requires *this >= b
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
      uint64_t bi = b.limb_[i] + borrow;
      uint64_t next = (bi < borrow) || (limb_[i] < bi) ? 1 : 0;
      limb_[i] -= bi;
      borrow = next;
    }
  }
  // Value if it fits in 64 bits.
  bool ToU64(uint64_t* out) const {
    if (limb_[1] | limb_[2] | limb_[3]) return false;
    *out = limb_[0];
    return true;
  }
  // Schoolbook binary long division; requires d != 0 and d < 2^255 (so the remainder never
  // overflows).
  static void DivMod(const U256& n, const U256& d, U256* q, U256* r) {
    *q = U256();
    *r = U256();
    for (int i = 255; i >= 0; --i) {
      r->ShiftInBit(n.Bit(i));
      if (*r >= d) {
        r->Sub(d);
        q->SetBit(i);
      }
    }
  }

 private:
  std::array<uint64_t, 4> limb_{};
};

int DigitCount(unsigned __int128 v) {
  int n = 0;
  for (; v != 0; v /= 10) ++n;
  return n;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

struct SuffixValue {
  Quantity::SuffixKind kind = Quantity::SuffixKind::kNone;
  int64_t exp10 = 0;
  int32_t exp2 = 0;
};

// Interprets everything after the number. Returns an error reason (without the input prefix).
Result<SuffixValue> ParseSuffix(std::string_view s) {
  using Kind = Quantity::SuffixKind;
  if (s.empty()) return SuffixValue{};
  static constexpr std::array<std::pair<std::string_view, int>, 7> kDecimal = {
      {{"m", -3}, {"k", 3}, {"M", 6}, {"G", 9}, {"T", 12}, {"P", 15}, {"E", 18}}};
  static constexpr std::array<std::pair<std::string_view, int>, 6> kBinary = {
      {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}}};
  for (const auto& [name, exp] : kDecimal) {
    if (s == name) return SuffixValue{Kind::kDecimalSi, exp, 0};
  }
  for (const auto& [name, exp] : kBinary) {
    if (s == name) return SuffixValue{Kind::kBinarySi, 0, exp};
  }
  if (s.front() == '.') return InvalidArgument("more than one decimal point");
  if (s.size() >= 2 && (s.front() == 'e' || s.front() == 'E')) {
    std::string_view digits = s.substr(1);
    bool negative = false;
    if (digits.front() == '+' || digits.front() == '-') {
      negative = digits.front() == '-';
      digits.remove_prefix(1);
    }
    bool all_digits = !digits.empty();
    for (char c : digits) all_digits = all_digits && IsDigit(c);
    if (all_digits) {
      int64_t exp = 0;
      const int64_t limit = negative ? int64_t{1} << 31 : (int64_t{1} << 31) - 1;
      for (char c : digits) {
        exp = exp * 10 + (c - '0');
        if (exp > limit) {
          return InvalidArgument("exponent " + Quote(s) + " is out of range (int32)");
        }
      }
      return SuffixValue{Kind::kExponent, negative ? -exp : exp, 0};
    }
  }
  return InvalidArgument("unknown suffix " + Quote(s) +
                         " (expected one of Ki Mi Gi Ti Pi Ei m k M G T P E, or e<integer>)");
}

}  // namespace

std::string_view Quantity::suffix() const { return std::string_view(text_).substr(suffix_pos_); }

bool Quantity::HasByteSuffix() const {
  if (suffix_kind_ == SuffixKind::kBinarySi) return true;
  // "k" and "m" are excluded: the API server canonicalizes plain numbers (gpumem: 3000 is stored
  // as "3k"), so they must keep counting the plain unit.
  return suffix_kind_ == SuffixKind::kDecimalSi && suffix() != "m" && suffix() != "k";
}

Result<int64_t> Quantity::Divide(int64_t unit, bool require_exact) const {
  auto out_of_range = [&] {
    std::string msg = "quantity " + Quote(text_);
    if (unit != 1) msg += " divided by " + std::to_string(unit);
    return InvalidArgument(msg + " is out of range for int64");
  };
  auto fractional = [&] {
    return InvalidArgument("quantity " + Quote(text_) + " is not a whole number");
  };
  if (unit <= 0) {
    return InvalidArgument("quantity " + Quote(text_) + ": divisor " + std::to_string(unit) +
                           " must be positive");
  }
  if (significand_ == 0) return int64_t{0};
  // 10^(m-1) <= |significand × 10^exp10| < 10^m.
  const int64_t m = DigitCount(significand_) + exp10_;
  // |value| >= 10^39 > 2^63 × 2^63 > INT64_MAX × unit.
  if (m > 39) return out_of_range();
  // |value| < 10^-19 × 2^60 < 1 <= unit.
  if (m < -19) {
    if (require_exact) return fractional();
    return int64_t{negative_ ? 0 : 1};
  }
  // Now -57 <= exp10 <= 38: numerator < 10^39 × 2^60 < 2^190, denominator < 10^57 × 2^63 < 2^253.
  U256 num(significand_);
  U256 den(static_cast<unsigned __int128>(unit));
  for (int64_t i = 0; i < exp10_; ++i) num.Mul(10);
  for (int64_t i = 0; i < -exp10_; ++i) den.Mul(10);
  num.Shl(exp2_);
  U256 quotient, remainder;
  U256::DivMod(num, den, &quotient, &remainder);
  const bool exact = remainder.IsZero();
  if (require_exact && !exact) return fractional();
  uint64_t q = 0;
  if (!quotient.ToU64(&q)) return out_of_range();
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (negative_) {
    // ceil(-x) = -floor(x).
    if (q > kMax + 1) return out_of_range();
    return q == kMax + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(q);
  }
  if (!exact) {
    if (q == kMax) return out_of_range();
    ++q;
  }
  if (q > kMax) return out_of_range();
  return static_cast<int64_t>(q);
}

Result<int64_t> Quantity::ToInt64() const { return Divide(1, /*require_exact=*/true); }

Result<int64_t> Quantity::CeilDiv(int64_t unit) const { return Divide(unit, false); }

Result<Quantity> ParseQuantity(std::string_view text) {
  auto fail = [&](const std::string& why) {
    return InvalidArgument("invalid quantity " + Quote(text) + ": " + why);
  };
  if (text.empty()) return fail("empty (expected a number such as 100, 1.5Gi or 2e3)");
  Quantity q;
  q.text_ = std::string(text);
  size_t pos = 0;
  if (text[0] == '+' || text[0] == '-') {
    q.negative_ = text[0] == '-';
    pos = 1;
  }
  const size_t int_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  std::string digits(text.substr(int_begin, pos - int_begin));
  int64_t frac_count = 0;
  if (pos < text.size() && text[pos] == '.') {
    const size_t frac_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    frac_count = static_cast<int64_t>(pos - frac_begin);
    digits += text.substr(frac_begin, pos - frac_begin);
  }
  if (digits.empty()) {
    return fail(int_begin > 0 ? "expected digits after the sign"
                              : "expected a number (digits with at most one '.')");
  }
  q.suffix_pos_ = pos;
  auto suffix = ParseSuffix(text.substr(pos));
  if (!suffix.ok()) return fail(suffix.error().message());
  q.suffix_kind_ = suffix->kind;

  // Significant digits: drop leading zeros, move trailing zeros into the exponent.
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return q;  // zero: significand 0, exponents 0
  size_t last = digits.find_last_not_of('0');
  std::string_view significant = std::string_view(digits).substr(first, last - first + 1);
  if (significant.size() > kMaxSignificantDigits) {
    return fail("more than " + std::to_string(kMaxSignificantDigits) + " significant digits");
  }
  for (char c : significant) q.significand_ = q.significand_ * 10 + static_cast<unsigned>(c - '0');
  const int64_t trailing_zeros = static_cast<int64_t>(digits.size() - 1 - last);
  q.exp10_ = suffix->exp10 - frac_count + trailing_zeros;
  q.exp2_ = suffix->exp2;
  return q;
}

Result<int64_t> ParseQuantityInt64(std::string_view text) {
  HAMI_ASSIGN_OR_RETURN(Quantity q, ParseQuantity(text));
  return q.ToInt64();
}

Result<int64_t> ParseMemoryMiB(std::string_view text) {
  HAMI_ASSIGN_OR_RETURN(Quantity q, ParseQuantity(text));
  auto fail = [&](const std::string& why) {
    return InvalidArgument("invalid memory quantity " + Quote(text) + ": " + why);
  };
  constexpr int64_t kMaxMiB = std::numeric_limits<int32_t>::max();
  const std::string too_large = "above the maximum of " + std::to_string(kMaxMiB) + " MiB";
  if (q.Sign() < 0) return fail("must not be negative");
  int64_t mib = 0;
  if (q.HasByteSuffix()) {
    auto r = q.CeilDiv(int64_t{1} << 20);
    if (!r.ok()) return fail(too_large);
    mib = *r;
  } else {
    auto r = q.ToInt64();
    if (!r.ok()) {
      if (q.CeilDiv(1).ok()) {
        return fail(
            "a number without a byte suffix counts MiB and must be whole "
            "(write e.g. 1536 or 1.5Gi)");
      }
      return fail(too_large);
    }
    mib = *r;
  }
  if (mib > kMaxMiB) return fail(std::to_string(mib) + " MiB is " + too_large);
  return mib;
}

}  // namespace hami::base
