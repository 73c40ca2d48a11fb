#include "simulate/manifest.h"

#include <fstream>
#include <sstream>

#include "codec/yaml.h"

namespace hami::simulate {
namespace {

void Flatten(nlohmann::json doc, std::vector<nlohmann::json>* out) {
  if (doc.is_null()) return;
  if (doc.is_object() && doc.value("kind", "") == "List" && doc.contains("items") &&
      doc["items"].is_array()) {
    for (auto& item : doc["items"]) Flatten(std::move(item), out);
    return;
  }
  out->push_back(std::move(doc));
}

}  // namespace

base::Result<std::vector<nlohmann::json>> ParseManifests(std::string_view text,
                                                         const std::string& source) {
  HAMI_ASSIGN_OR_RETURN(auto docs, codec::ParseYamlDocuments(text, source));
  std::vector<nlohmann::json> out;
  for (auto& json : docs) {
    if (!json.is_null() && !json.is_object()) {
      return base::InvalidArgument(source + ": a document is not a Kubernetes object (mapping)");
    }
    Flatten(std::move(json), &out);
  }
  return out;
}

base::Result<std::vector<nlohmann::json>> LoadManifests(const std::string& path) {
  std::ifstream in(path);
  if (!in) return base::NotFound("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseManifests(buffer.str(), path);
}

}  // namespace hami::simulate
