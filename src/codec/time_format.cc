#include "codec/time_format.h"

#include <cstdio>

#include "codec/json_util.h"

namespace hami::codec {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month, day, hour, minute, second;
};

Civil CivilFromUnix(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400;
  int64_t rem = unix_seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // H. Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0),
          m,
          d,
          static_cast<int>(rem / 3600),
          static_cast<int>(rem % 3600 / 60),
          static_cast<int>(rem % 60)};
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Cursor over the text with fixed-width digit reads.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}
  bool Digits(int width, int* out) {
    if (pos_ + width > text_.size()) return false;
    int v = 0;
    for (int i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += width;
    *out = v;
    return true;
  }
  bool Char(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // Optional fraction: '.' or ',' followed by one or more digits (dropped).
  bool Fraction() {
    if (pos_ >= text_.size() || (text_[pos_] != '.' && text_[pos_] != ',')) return true;
    size_t p = pos_ + 1;
    while (p < text_.size() && text_[p] >= '0' && text_[p] <= '9') ++p;
    if (p == pos_ + 1) return false;
    pos_ = p;
    return true;
  }
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// Reads "YYYY-MM-DD<sep>HH:MM:SS[.fraction]" and validates every field.
bool ReadCivil(Reader* r, char sep, Civil* c) {
  int year = 0;
  if (!r->Digits(4, &year) || !r->Char('-') || !r->Digits(2, &c->month) || !r->Char('-') ||
      !r->Digits(2, &c->day) || !r->Char(sep) || !r->Digits(2, &c->hour) || !r->Char(':') ||
      !r->Digits(2, &c->minute) || !r->Char(':') || !r->Digits(2, &c->second) || !r->Fraction()) {
    return false;
  }
  c->year = year;
  return c->month >= 1 && c->month <= 12 && c->day >= 1 &&
         c->day <= DaysInMonth(c->year, c->month) && c->hour <= 23 && c->minute <= 59 &&
         c->second <= 59;
}

int64_t ToUnix(const Civil& c) {
  return UnixFromCivil(c.year, c.month, c.day, c.hour, c.minute, c.second);
}

base::Status BadTime(std::string_view text, std::string_view expected) {
  return base::InvalidArgument("invalid time " + internal::Quote(text) + ": expected " +
                               std::string(expected));
}

}  // namespace

int64_t UnixFromCivil(int64_t year, int month, int day, int hour, int minute, int second) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

base::Result<int64_t> ParseRfc3339(std::string_view text) {
  constexpr std::string_view kExpected =
      "RFC 3339 such as 2024-05-01T10:00:00Z or "
      "2024-05-01T12:00:00.5+02:00";
  Reader r(text);
  Civil c{};
  if (!ReadCivil(&r, 'T', &c)) return BadTime(text, kExpected);
  int64_t offset = 0;
  if (r.Char('Z')) {
    offset = 0;
  } else {
    const char sign = r.Peek();
    int hh = 0, mm = 0;
    if ((sign != '+' && sign != '-') || !r.Char(sign) || !r.Digits(2, &hh) || !r.Char(':') ||
        !r.Digits(2, &mm) || hh > 23 || mm > 59) {
      return BadTime(text, kExpected);
    }
    offset = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  }
  if (!r.AtEnd()) return BadTime(text, kExpected);
  return ToUnix(c) - offset;
}

std::string FormatRfc3339(int64_t unix_seconds) {
  const Civil c = CivilFromUnix(unix_seconds);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02dZ",
                static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

base::Result<int64_t> ParseDateTime(std::string_view text) {
  Reader r(text);
  Civil c{};
  // Go's time.DateTime layout has no fraction; ReadCivil accepts one, as Go's parser does.
  if (!ReadCivil(&r, ' ', &c) || !r.AtEnd()) {
    return BadTime(text, "YYYY-MM-DD HH:MM:SS such as 2024-05-01 10:00:00");
  }
  return ToUnix(c);
}

std::string FormatDateTime(int64_t unix_seconds) {
  const Civil c = CivilFromUnix(unix_seconds);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d %02d:%02d:%02d", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

base::Result<int64_t> ParseGoTimeString(std::string_view text) {
  constexpr std::string_view kExpected =
      "Go time.String() such as 2024-05-01 10:00:00.123 +0200 CEST";
  Reader r(text);
  Civil c{};
  if (!ReadCivil(&r, ' ', &c) || !r.Char(' ')) return BadTime(text, kExpected);
  const char sign = r.Peek();
  int hh = 0, mm = 0;
  if ((sign != '+' && sign != '-') || !r.Char(sign) || !r.Digits(2, &hh) || !r.Digits(2, &mm) ||
      hh > 23 || mm > 59 || !(r.AtEnd() || r.Peek() == ' ')) {
    return BadTime(text, kExpected);
  }
  return ToUnix(c) - (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
}

}  // namespace hami::codec
