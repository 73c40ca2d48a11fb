// A device-config block with only `resourceCountName` (upstream's `vastai:` and `biren:` blocks,
// vendors.md §13, §14). Plain value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace hami::vendor::vastai {

struct CountConfig {
  std::string resource_count_name;  // WIRE: "" = the vendor is never requested
};

// Reads `block` (null = `default_count`), named `path` in messages. Wrong types are an
// InvalidArgument naming the key; unknown keys are appended to `warnings` (when given) by name.
base::Result<CountConfig> CountConfigFromJson(const nlohmann::json& block, const std::string& path,
                                              const std::string& default_count,
                                              std::vector<std::string>* warnings);

}  // namespace hami::vendor::vastai
