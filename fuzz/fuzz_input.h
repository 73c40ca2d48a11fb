// Splits a fuzz input into a selector byte and the rest, so one target can cover a family of
// parsers (each selector value one parser). Test-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hami::fuzz {

struct Input {
  uint8_t selector = 0;
  std::string_view text;
};

inline Input Split(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  return {data[0], std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

}  // namespace hami::fuzz
