// Kubernetes manifests from text: multi-document YAML (JSON is YAML), `kind: List` flattened.
// YAML scalars become JSON the way the API server would read them: plain `true`/`false`, integers,
// floats and `null` are typed, quoted scalars stay strings. Pure.
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

// One YAML document as JSON (used for config files); an empty document is null.
base::Result<nlohmann::json> ParseYamlDocument(std::string_view text, const std::string& source);

}  // namespace hami::simulate
