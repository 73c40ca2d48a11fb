#include "base/duration.h"

#include <string>

#include "base/strings.h"

namespace hami::base {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("invalid duration \"" + std::string(text) +
                           "\" (want e.g. 500ms, 30s, 5m, 1h)");
  };
  if (text.empty()) return bad();
  int64_t ms = 0;
  if (auto plain = ParseInt64(text)) {
    if (*plain < 0 || __builtin_mul_overflow(*plain, 1000, &ms)) return bad();
    return std::chrono::milliseconds(ms);
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i - start > 12) return bad();
    int64_t value = *ParseInt64(text.substr(start, i - start));
    size_t unit_start = i;
    while (i < text.size() && (text[i] < '0' || text[i] > '9')) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t scale = unit == "ms"  ? 1
                    : unit == "s" ? 1000
                    : unit == "m" ? 60000
                    : unit == "h" ? 3600000
                                  : 0;
    if (scale == 0) return bad();
    if (__builtin_mul_overflow(value, scale, &ms) || __builtin_add_overflow(total, ms, &total)) {
      return bad();
    }
  }
  return std::chrono::milliseconds(total);
}

}  // namespace hami::base
