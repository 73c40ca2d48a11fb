#include "codec/yaml.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>

#include "base/strings.h"
#include "base/yaml_guard.h"

namespace hami::codec {
namespace {

nlohmann::json TypedScalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  if (auto i = base::ParseInt64(text)) return *i;
  // Floats only in plain decimal notation; anything else (e.g. "3Gi", "1e3") stays a string so
  // quantities keep their exact text.
  bool is_float = !text.empty();
  bool dot = false;
  for (size_t k = 0; k < text.size(); ++k) {
    char c = text[k];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if ((c == '-' || c == '+') && k == 0) continue;
    if (c < '0' || c > '9') {
      is_float = false;
      break;
    }
  }
  if (is_float && dot) {
    const double value = std::strtod(text.c_str(), nullptr);
    if (std::isfinite(value)) return value;  // out of double's range: kept as text
  }
  return text;
}

// Thrown by YamlToJson past a bound; DocumentToJson turns it into an error naming the source.
struct DocumentTooLarge {
  std::string what;
};

// One document's conversion. Aliases make YAML a graph: nine anchors of nine aliases each expand
// to 9^9 nodes, and an anchor aliased inside itself never ends; the bounds count expanded nodes.
class YamlToJson {
 public:
  explicit YamlToJson(YamlScalars scalars) : scalars_(scalars) {}

  nlohmann::json Convert(const YAML::Node& node, int depth = 0) {
    if (++nodes_ > kMaxYamlNodes) {
      throw DocumentTooLarge{"more than " + std::to_string(kMaxYamlNodes) +
                             " nodes once aliases are expanded"};
    }
    if (depth > kMaxYamlDepth) {
      throw DocumentTooLarge{"nested deeper than " + std::to_string(kMaxYamlDepth) + " levels"};
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        return scalars_ == YamlScalars::kTyped ? TypedScalar(node) : nlohmann::json(node.Scalar());
      case YAML::NodeType::Sequence: {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : node) out.push_back(Convert(item, depth + 1));
        return out;
      }
      case YAML::NodeType::Map: {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& kv : node) out[kv.first.as<std::string>()] = Convert(kv.second, depth + 1);
        return out;
      }
    }
    return nullptr;
  }

 private:
  YamlScalars scalars_;
  size_t nodes_ = 0;
};

base::Status YamlError(const std::string& source, const YAML::Exception& e) {
  return base::InvalidArgument(source + ": invalid YAML at line " +
                               std::to_string(e.mark.line + 1) + ", column " +
                               std::to_string(e.mark.column + 1) + ": " + e.msg);
}

base::Result<std::vector<YAML::Node>> LoadAll(std::string_view text, const std::string& source) {
  if (auto line = base::FindRootFlowEntry(text)) {
    return base::InvalidArgument(source + ": invalid YAML at line " + std::to_string(*line) +
                                 ": a value starting with ',' or a control character");
  }
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return YamlError(source, e);
  }
}

// One document as JSON. Errors name `source`: a mapping key that is not a scalar, text that is not
// UTF-8 (JSON strings must be; a dump would throw later, far from the input), a document past the
// bounds.
base::Result<nlohmann::json> DocumentToJson(const YAML::Node& doc, const std::string& source,
                                            YamlScalars scalars) {
  try {
    nlohmann::json json = YamlToJson(scalars).Convert(doc);
    (void)json.dump();  // throws type_error 316 on bytes that are not UTF-8
    return json;
  } catch (const YAML::Exception& e) {
    return YamlError(source, e);
  } catch (const nlohmann::json::exception&) {
    return base::InvalidArgument(source + ": text is not valid UTF-8");
  } catch (const DocumentTooLarge& e) {
    return base::InvalidArgument(source + ": document too large: " + e.what);
  }
}

}  // namespace

base::Result<std::vector<nlohmann::json>> ParseYamlDocuments(std::string_view text,
                                                             const std::string& source,
                                                             YamlScalars scalars) {
  HAMI_ASSIGN_OR_RETURN(auto docs, LoadAll(text, source));
  std::vector<nlohmann::json> out;
  out.reserve(docs.size());
  for (const auto& doc : docs) {
    HAMI_ASSIGN_OR_RETURN(nlohmann::json json, DocumentToJson(doc, source, scalars));
    out.push_back(std::move(json));
  }
  return out;
}

base::Result<nlohmann::json> ParseYamlDocument(std::string_view text, const std::string& source,
                                               YamlScalars scalars) {
  HAMI_ASSIGN_OR_RETURN(auto docs, LoadAll(text, source));
  if (docs.empty()) return nlohmann::json();
  if (docs.size() > 1) return base::InvalidArgument(source + ": expected one YAML document");
  return DocumentToJson(docs[0], source, scalars);
}

}  // namespace hami::codec
