// Kubernetes manifests from text: multi-document YAML (JSON is YAML), `kind: List` flattened.
// YAML scalars become JSON the way the API server would read them (codec/yaml.h, kTyped), with
// its bounds. Pure but for LoadManifests, which reads a file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hami::simulate {

// Every object in `text`, in document order. `source` names the text in errors (e.g. a file
// path); errors give the line and column of bad YAML.
base::Result<std::vector<nlohmann::json>> ParseManifests(std::string_view text,
                                                         const std::string& source);

// Reads a file and parses it as above; errors name the path.
base::Result<std::vector<nlohmann::json>> LoadManifests(const std::string& path);

}  // namespace hami::simulate
