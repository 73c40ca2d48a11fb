#include "vendor/ascend/runtime_info.h"

#include <cstdio>

#include "vendor/ascend/wire.h"

namespace hami::vendor::ascend {
namespace {

// Go's encoding/json string form (HTML-safe): `"`, `\`, control characters, `<`, `>`, `&` and the
// line/paragraph separators U+2028/U+2029 are escaped. Input comes from decoded JSON and the
// device config, so it is valid UTF-8.
void AppendString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    char buf[8];
    switch (c) {
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '\b':
        out->append("\\b");
        continue;
      case '\f':
        out->append("\\f");
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
      continue;
    }
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8) {
      out->append(static_cast<unsigned char>(text[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      i += 2;
      continue;
    }
    out->push_back(static_cast<char>(c));
  }
  out->push_back('"');
}

void AppendMember(std::string* out, bool* first, const char* key) {
  if (!*first) out->push_back(',');
  *first = false;
  AppendString(out, key);
  out->push_back(':');
}

}  // namespace

std::string EncodeRuntimeInfo(const std::vector<RuntimeInfo>& infos) {
  std::string out = "[";
  for (size_t i = 0; i < infos.size(); ++i) {
    if (i > 0) out.push_back(',');
    const RuntimeInfo& info = infos[i];
    out.push_back('{');
    bool first = true;
    if (!info.uuid.empty()) {
      AppendMember(&out, &first, kRuntimeUuid);
      AppendString(&out, info.uuid);
    }
    if (!info.temp.empty()) {
      AppendMember(&out, &first, kRuntimeTemp);
      AppendString(&out, info.temp);
    }
    if (info.memory != 0) {
      AppendMember(&out, &first, kRuntimeMemory);
      out.append(std::to_string(info.memory));
    }
    if (info.core != 0) {
      AppendMember(&out, &first, kRuntimeCore);
      out.append(std::to_string(info.core));
    }
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

}  // namespace hami::vendor::ascend
