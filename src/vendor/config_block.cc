#include "vendor/config_block.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "base/strings.h"
#include "codec/json_util.h"

namespace hami::vendor {

using nlohmann::json;

ConfigBlock::ConfigBlock(const json& block, std::string path)
    : block_(block), path_(std::move(path)) {}

base::Status ConfigBlock::Check() const {
  if (block_.is_null() || block_.is_object()) return {};
  return base::InvalidArgument("device config: " + path_ + ": expected a mapping, got " +
                               std::string(block_.type_name()));
}

const json* ConfigBlock::Find(const char* key) {
  read_.insert(key);
  if (!block_.is_object()) return nullptr;
  auto it = block_.find(key);
  if (it == block_.end() || it->is_null()) return nullptr;
  return &*it;
}

base::Status ConfigBlock::Bad(const char* key, const json& value, const char* expected) const {
  return base::InvalidArgument("device config: " + path_ + "." + key + ": expected " + expected +
                               ", got " + codec::DumpJson(value));
}

base::Status ConfigBlock::String(const char* key, std::string* out) {
  const json* v = Find(key);
  if (v == nullptr) return {};
  if (v->is_string()) {
    *out = v->get<std::string>();
  } else if (v->is_number() || v->is_boolean()) {
    *out = v->dump();  // YAML `libCudaLogLevel: 1` into a string field
  } else {
    return Bad(key, *v, "a string");
  }
  return {};
}

base::Status ConfigBlock::Override(const char* key, std::string* out) {
  std::string value;
  HAMI_RETURN_IF_ERROR(String(key, &value));
  if (!value.empty()) *out = std::move(value);
  return {};
}

base::Status ConfigBlock::Int(const char* key, int64_t* out) {
  const json* v = Find(key);
  if (v == nullptr) return {};
  if (v->is_number_integer()) {
    *out = v->get<int64_t>();
    return {};
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::trunc(d) == d && std::fabs(d) < 9.0e18) {
      *out = static_cast<int64_t>(d);
      return {};
    }
  }
  if (v->is_string()) {
    if (auto parsed = base::ParseInt64(base::Trim(v->get<std::string>()))) {
      *out = *parsed;
      return {};
    }
  }
  return Bad(key, *v, "an integer");
}

base::Status ConfigBlock::Int(const char* key, int32_t* out) {
  int64_t value = *out;
  HAMI_RETURN_IF_ERROR(Int(key, &value));
  if (value < std::numeric_limits<int32_t>::min() || value > std::numeric_limits<int32_t>::max()) {
    return base::InvalidArgument("device config: " + path_ + "." + key + ": " +
                                 std::to_string(value) + " is out of range");
  }
  *out = static_cast<int32_t>(value);
  return {};
}

base::Status ConfigBlock::Double(const char* key, double* out) {
  const json* v = Find(key);
  if (v == nullptr) return {};
  if (v->is_number()) {
    *out = v->get<double>();
    return {};
  }
  if (v->is_string()) {
    const std::string text(base::Trim(v->get<std::string>()));
    double parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
      *out = parsed;
      return {};
    }
  }
  return Bad(key, *v, "a number");
}

base::Status ConfigBlock::Bool(const char* key, bool* out) {
  const json* v = Find(key);
  if (v == nullptr) return {};
  if (v->is_boolean()) {
    *out = v->get<bool>();
    return {};
  }
  if (v->is_string()) {
    if (auto parsed = base::ParseBool(base::Trim(v->get<std::string>()))) {
      *out = *parsed;
      return {};
    }
  }
  return Bad(key, *v, "a boolean");
}

base::Status ConfigBlock::Strings(const char* key, std::vector<std::string>* out) {
  const json* v = Find(key);
  if (v == nullptr) return {};
  if (v->is_string()) {
    *out = {v->get<std::string>()};
    return {};
  }
  if (!v->is_array()) return Bad(key, *v, "a list of strings");
  std::vector<std::string> values;
  for (const auto& item : *v) {
    if (item.is_string()) {
      values.push_back(item.get<std::string>());
    } else if (item.is_number() || item.is_boolean()) {
      values.push_back(codec::DumpJson(item));
    } else {
      return Bad(key, *v, "a list of strings");
    }
  }
  *out = std::move(values);
  return {};
}

const json* ConfigBlock::Raw(const char* key) { return Find(key); }

void ConfigBlock::WarnUnknown(std::vector<std::string>* warnings) const {
  if (!block_.is_object()) return;
  for (const auto& [key, value] : block_.items()) {
    if (read_.count(key) == 0) {
      warnings->push_back("device config: " + path_ + "." + key + ": unknown key, ignored");
    }
  }
}

base::Result<std::vector<json>> ListOf(ConfigBlock& block, const char* key) {
  const json* v = block.Raw(key);
  if (v == nullptr) return std::vector<json>{};
  if (!v->is_array()) {
    return base::InvalidArgument("device config: " + block.path() + "." + key +
                                 ": expected a list, got " + v->dump());
  }
  return std::vector<json>(v->begin(), v->end());
}

}  // namespace hami::vendor
