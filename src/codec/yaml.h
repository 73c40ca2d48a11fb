// YAML text -> JSON: the project's one YAML reader (kubeconfig, device-config.yaml, manifests for
// `hami simulate`). libyaml (the C parser behind PyYAML, fuzzed by OSS-Fuzz) does the parsing, as
// an event stream; callers see only nlohmann::json. (yaml-cpp 0.7, used before, loops allocating
// until memory runs out on a family of malformed inputs our fuzz targets kept finding.)
//
// Input from outside is hostile (docs/architecture.md, convention 12), so:
//   - one document is at most kMaxYamlNodes nodes once aliases are expanded and at most
//     kMaxYamlDepth levels deep ("billion laughs" and self-referencing anchors end in an error);
//   - the JSON out is valid UTF-8 (libyaml refuses other bytes; a later dump cannot throw);
//   - every failure is an error naming `source` (a file path, "kubeconfig", ...) and, for bad
//     YAML, its line and column (for bad bytes, their offset). No exception escapes.
// Reading files is the caller's. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hami::codec {

// Real manifests and device configs are a few thousand nodes, a few dozen levels deep.
inline constexpr size_t kMaxYamlNodes = 1'000'000;
inline constexpr int kMaxYamlDepth = 256;

// How scalars become JSON. YAML's null (`~`, `null`, an empty value) is null in both.
enum class YamlScalars {
  // As the API server reads them: plain true/false, integers and plain decimals are typed;
  // quoted scalars, quantities ("3Gi") and exponents ("1e3") stay strings.
  kTyped,
  // Every scalar is its text, as read by key (kubeconfig: a password "0012" stays "0012").
  kText,
};

// Every document of `text` as JSON, in order (an empty document is null; no text, no documents).
base::Result<std::vector<nlohmann::json>> ParseYamlDocuments(
    std::string_view text, const std::string& source, YamlScalars scalars = YamlScalars::kTyped);

// Exactly one document (none: null); more than one is an error. For config files.
base::Result<nlohmann::json> ParseYamlDocument(std::string_view text, const std::string& source,
                                               YamlScalars scalars = YamlScalars::kTyped);

}  // namespace hami::codec
