#include "shim/limit/env_parse.h"

#include <cstdlib>
#include <cstring>

namespace hami::shim::limit {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Leading decimal digits of `s` into *out; returns the number of digits, 0 on none/overflow.
size_t ParseDigits(std::string_view s, uint64_t* out) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return i;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::optional<uint64_t> ParseMemoryLimit(std::string_view text) {
  std::string_view s = Trim(text);
  uint64_t v = 0;
  size_t n = ParseDigits(s, &v);
  if (n == 0) return std::nullopt;
  std::string_view unit = s.substr(n);
  if (unit.empty()) return v;
  int shift = 0;
  switch (unit.front()) {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    case 't':
    case 'T':
      shift = 40;
      break;
    default:
      return std::nullopt;
  }
  unit.remove_prefix(1);
  if (!unit.empty() && unit.front() == 'i') unit.remove_prefix(1);
  if (!unit.empty() && (unit.front() == 'B' || unit.front() == 'b')) unit.remove_prefix(1);
  if (!unit.empty()) return std::nullopt;
  if (v > (UINT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

std::optional<uint32_t> ParseSmLimit(std::string_view text) {
  std::string_view s = Trim(text);
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  uint64_t v = 0;
  size_t n = ParseDigits(s, &v);
  if (n == 0 || n != s.size() || v > 100) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<CorePolicy> ParseCorePolicy(std::string_view text) {
  std::string_view s = Trim(text);
  if (EqualsIgnoreCase(s, "default")) return CorePolicy::kDefault;
  if (EqualsIgnoreCase(s, "force")) return CorePolicy::kForce;
  if (EqualsIgnoreCase(s, "disable")) return CorePolicy::kDisable;
  return std::nullopt;
}

std::optional<bool> ParseSwitch(std::string_view text) {
  std::string_view s = Trim(text);
  if (EqualsIgnoreCase(s, "true") || s == "1") return true;
  if (EqualsIgnoreCase(s, "false") || s == "0") return false;
  return std::nullopt;
}

std::optional<int32_t> ParseSmallInt(std::string_view text) {
  std::string_view s = Trim(text);
  uint64_t v = 0;
  size_t n = ParseDigits(s, &v);
  if (n == 0 || n != s.size() || v > 1000000) return std::nullopt;
  return static_cast<int32_t>(v);
}

int VisibleDevicePosition(const char* visible, unsigned int nvml_index, const char* uuid,
                          int max_entries) {
  int pos = 0;
  const char* p = visible;
  while (*p != '\0' && pos < max_entries) {
    const char* end = std::strchr(p, ',');
    size_t n = end ? static_cast<size_t>(end - p) : std::strlen(p);
    if (n == 0) break;
    char* num_end = nullptr;
    unsigned long v = std::strtoul(p, &num_end, 10);
    if (num_end == p + n) {
      if (v == nvml_index) return pos;
    } else if (uuid != nullptr && std::strncmp(uuid, p, n) == 0) {
      return pos;
    } else if (!(p[0] == 'G' || p[0] == 'M')) {
      break;
    }
    ++pos;
    if (end == nullptr) break;
    p = end + 1;
  }
  return -1;
}

}  // namespace hami::shim::limit
