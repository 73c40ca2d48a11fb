#include "codec/json_util.h"

#include <cstdio>
#include <limits>

namespace hami::codec::internal {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualFoldAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

void AppendUnicodeEscape(std::string* out, unsigned code) {
  char buf[7];
  std::snprintf(buf, sizeof(buf), "\\u%04x", code);
  *out += buf;
}

// Length of the valid UTF-8 sequence at s[i] (2..4), or 0 when invalid (Go's utf8 rules: no
// overlongs, no surrogates, nothing above U+10FFFF). Stores the code point in *rune.
size_t DecodeUtf8(std::string_view s, size_t i, unsigned* rune) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t len = 0;
  unsigned min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2, min = 0x80, *rune = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3, min = 0x800, *rune = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4, min = 0x10000, *rune = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    *rune = (*rune << 6) | (byte(i + k) & 0x3f);
  }
  if (*rune < min || *rune > 0x10ffff || (*rune >= 0xd800 && *rune <= 0xdfff)) return 0;
  return len;
}

}  // namespace

void AppendGoString(std::string* out, std::string_view text) {
  *out += '"';
  for (size_t i = 0; i < text.size();) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
          *out += "\\\"";
          break;
        case '\\':
          *out += "\\\\";
          break;
        case '\b':
          *out += "\\b";
          break;
        case '\f':
          *out += "\\f";
          break;
        case '\n':
          *out += "\\n";
          break;
        case '\r':
          *out += "\\r";
          break;
        case '\t':
          *out += "\\t";
          break;
        case '<':
        case '>':
        case '&':
          AppendUnicodeEscape(out, b);
          break;
        default:
          if (b < 0x20) {
            AppendUnicodeEscape(out, b);
          } else {
            *out += static_cast<char>(b);
          }
      }
      ++i;
      continue;
    }
    unsigned rune = 0;
    const size_t len = DecodeUtf8(text, i, &rune);
    if (len == 0) {
      *out += "\\ufffd";
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      AppendUnicodeEscape(out, rune);
      i += len;
    } else {
      out->append(text.substr(i, len));
      i += len;
    }
  }
  *out += '"';
}

base::Result<nlohmann::json> ParseJson(std::string_view text, std::string_view what) {
  return ParseBoundedJson(text, what);
}

const nlohmann::json* FindMember(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json* folded = nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.key() == key) return it->is_null() ? nullptr : &*it;
    if (folded == nullptr && EqualFoldAscii(it.key(), key)) folded = &*it;
  }
  return (folded != nullptr && !folded->is_null()) ? folded : nullptr;
}

std::string Expected(std::string_view kind, const nlohmann::json& value) {
  std::string got = value.is_number() ? "number" : value.type_name();
  if (value.is_number_float()) got = "non-integer number";
  return "expected " + std::string(kind) + ", got " + got;
}

namespace {

base::Status FieldError(std::string_view where, std::string_view key, const std::string& why) {
  return base::InvalidArgument(std::string(where) + ": field \"" + std::string(key) + "\": " + why);
}

}  // namespace

base::Status ReadString(const nlohmann::json& object, std::string_view key, std::string_view where,
                        std::string* out) {
  const nlohmann::json* v = FindMember(object, key);
  if (v == nullptr) return {};
  if (!v->is_string()) return FieldError(where, key, Expected("string", *v));
  *out = v->get<std::string>();
  return {};
}

base::Status ReadInt32(const nlohmann::json& object, std::string_view key, std::string_view where,
                       int32_t* out) {
  const nlohmann::json* v = FindMember(object, key);
  if (v == nullptr) return {};
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      return FieldError(where, key, v->dump() + " is out of range for int32");
    }
    *out = static_cast<int32_t>(u);
    return {};
  }
  if (v->is_number_integer()) {
    const int64_t i = v->get<int64_t>();
    if (i < std::numeric_limits<int32_t>::min() || i > std::numeric_limits<int32_t>::max()) {
      return FieldError(where, key, v->dump() + " is out of range for int32");
    }
    *out = static_cast<int32_t>(i);
    return {};
  }
  return FieldError(where, key, Expected("integer", *v));
}

base::Status ReadBool(const nlohmann::json& object, std::string_view key, std::string_view where,
                      bool* out) {
  const nlohmann::json* v = FindMember(object, key);
  if (v == nullptr) return {};
  if (!v->is_boolean()) return FieldError(where, key, Expected("boolean", *v));
  *out = v->get<bool>();
  return {};
}

}  // namespace hami::codec::internal

namespace hami::codec {

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

base::Result<nlohmann::json> ParseBoundedJson(std::string_view text, std::string_view what,
                                              int max_depth) {
  if (!JsonDepthWithin(text, max_depth)) {
    return base::InvalidArgument(std::string(what) + ": JSON nested deeper than " +
                                 std::to_string(max_depth) + " levels");
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    std::string message = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (!message.empty() && message.front() == '[') {
      size_t end = message.find("] ");
      if (end != std::string::npos) message.erase(0, end + 2);
    }
    return base::InvalidArgument(std::string(what) + ": invalid JSON: " + message);
  }
}

}  // namespace hami::codec
