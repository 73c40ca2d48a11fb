// Reading one vendor's block of HAMi's device-config.yaml (converted to JSON at the edge) the way
// upstream's Go YAML decoding accepts it: absent or null keys keep their defaults; numbers and
// booleans may be quoted ("1", "true"), as Helm often renders them; a wrong type is an error
// naming the key's path. Keys the vendor never asks for are reported by WarnUnknown, by name,
// instead of being silently ignored.
// Not thread-safe; used once per block while the registry is built.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace hami::vendor {

class ConfigBlock {
 public:
  // `path` names the block in messages ("nvidia", "vnpus.configs[2]"). `block` may be null
  // (the block is absent: every reader keeps its default); anything but an object or null is an
  // error reported by Check().
  ConfigBlock(const nlohmann::json& block, std::string path);

  base::Status Check() const;
  base::Status String(const char* key, std::string* out);
  // A non-empty string under `key` replaces *out; absent, null or empty keeps it (a resource name
  // the block may override).
  base::Status Override(const char* key, std::string* out);
  base::Status Int(const char* key, int64_t* out);
  base::Status Int(const char* key, int32_t* out);
  base::Status Double(const char* key, double* out);
  base::Status Bool(const char* key, bool* out);
  // A list of strings; a single string reads as a one-element list.
  base::Status Strings(const char* key, std::vector<std::string>* out);
  // The raw value (nullptr when absent or null) for nested lists and objects; marks the key read.
  const nlohmann::json* Raw(const char* key);
  // Appends "device config: <path>.<key>: unknown key, ignored" for each key never read.
  void WarnUnknown(std::vector<std::string>* warnings) const;
  const std::string& path() const { return path_; }

 private:
  const nlohmann::json* Find(const char* key);
  base::Status Bad(const char* key, const nlohmann::json& value, const char* expected) const;

  const nlohmann::json& block_;
  std::string path_;
  std::set<std::string> read_;
};

// Each element of a list value as a ConfigBlock named "<path>.<key>[i]"; error when not a list.
base::Result<std::vector<nlohmann::json>> ListOf(ConfigBlock& block, const char* key);

}  // namespace hami::vendor
