#include "codec/yaml.h"

#include <yaml.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "base/strings.h"

namespace hami::codec {
namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

// A plain scalar YAML reads as null (yaml-cpp and the API server agree on these spellings).
bool IsPlainNull(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

// A plain, untagged scalar as the API server types it (YamlScalars::kTyped).
nlohmann::json TypedPlainScalar(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (IsPlainNull(text)) return nullptr;
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

std::string Text(const unsigned char* bytes, size_t length) {
  return {reinterpret_cast<const char*>(bytes), length};
}
std::string Text(const yaml_char_t* bytes) {
  return bytes == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(bytes));
}

// RAII over libyaml's parser and event (both hold heap memory until deleted).
struct Parser {
  yaml_parser_t parser{};
  explicit Parser(std::string_view text) {
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Parser() { yaml_parser_delete(&parser); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};
struct Event {
  yaml_event_t event{};
  ~Event() { yaml_event_delete(&event); }
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

// One node once complete: its JSON, the expanded nodes it counts, its text when a scalar (a
// mapping key is a scalar's text, not its typed value).
struct Node {
  nlohmann::json json;
  size_t nodes = 1;
  std::optional<std::string> scalar_text;
};

// Builds each document's JSON from libyaml's event stream with an explicit stack (no recursion, so
// nesting costs no native stack). Aliases make YAML a graph: nine anchors of nine aliases each
// expand to 9^9 nodes, so the bound counts expanded nodes; an anchor is usable only once its node
// is complete, so an anchor aliased inside itself is an undefined alias. Every failure is an error
// naming the source; nothing throws.
class DocumentBuilder {
 public:
  DocumentBuilder(const std::string& source, YamlScalars scalars)
      : source_(source), scalars_(scalars) {}

  // Feeds one event; a completed document is appended to `out`.
  base::Status Feed(const yaml_event_t& e, std::vector<nlohmann::json>& out) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        anchors_.clear();
        nodes_ = 0;
        root_.reset();
        return base::Status::Ok();
      case YAML_DOCUMENT_END_EVENT:
        out.push_back(root_ ? std::move(root_->json) : nlohmann::json());
        return base::Status::Ok();
      case YAML_SCALAR_EVENT:
        return Scalar(e);
      case YAML_SEQUENCE_START_EVENT:
        return Open(nlohmann::json::array(), e.data.sequence_start.anchor);
      case YAML_MAPPING_START_EVENT:
        return Open(nlohmann::json::object(), e.data.mapping_start.anchor);
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        return Close();
      case YAML_ALIAS_EVENT:
        return Alias(Text(e.data.alias.anchor));
      default:
        return base::Status::Ok();
    }
  }

 private:
  struct Frame {
    Node node;
    std::string anchor;
    std::optional<std::string> key;  // a mapping's key waiting for its value
  };

  base::Status Count(size_t nodes) {
    nodes_ += nodes;
    if (nodes_ > kMaxYamlNodes) {
      return TooLarge("more than " + std::to_string(kMaxYamlNodes) +
                      " nodes once aliases are expanded");
    }
    return base::Status::Ok();
  }

  base::Status TooLarge(const std::string& why) const {
    return base::InvalidArgument(source_ + ": document too large: " + why);
  }

  base::Status Scalar(const yaml_event_t& e) {
    HAMI_RETURN_IF_ERROR(Count(1));
    const auto& s = e.data.scalar;
    Node node;
    node.scalar_text = Text(s.value, s.length);
    const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    const bool str_tag = s.tag != nullptr && Text(s.tag) == kStrTag;
    if (plain && !str_tag && IsPlainNull(*node.scalar_text)) {
      node.json = nullptr;
    } else if (plain && !str_tag && scalars_ == YamlScalars::kTyped) {
      node.json = TypedPlainScalar(*node.scalar_text);
    } else {
      node.json = *node.scalar_text;  // quoted, block, !!str or kText: the text itself
    }
    return Complete(std::move(node), Text(s.anchor));
  }

  base::Status Open(nlohmann::json empty, const yaml_char_t* anchor) {
    if (stack_.size() >= static_cast<size_t>(kMaxYamlDepth)) {
      return TooLarge("nested deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    }
    const size_t before = nodes_;
    HAMI_RETURN_IF_ERROR(Count(1));
    stack_.push_back(Frame{Node{std::move(empty), before, std::nullopt}, Text(anchor), {}});
    return base::Status::Ok();
  }

  base::Status Close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    frame.node.nodes = nodes_ - frame.node.nodes;  // Open stored the count before it
    return Complete(std::move(frame.node), frame.anchor);
  }

  base::Status Alias(const std::string& anchor) {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      return base::InvalidArgument(source_ + ": invalid YAML: alias *" + anchor +
                                   " names no complete anchored node before it");
    }
    HAMI_RETURN_IF_ERROR(Count(it->second.nodes));
    Node copy = it->second;
    return Complete(std::move(copy), "");
  }

  // A node is done: remembered under its anchor, then placed in its parent (or made the root).
  base::Status Complete(Node node, const std::string& anchor) {
    if (!anchor.empty()) anchors_[anchor] = node;
    if (stack_.empty()) {
      root_ = std::move(node);
      return base::Status::Ok();
    }
    Frame& parent = stack_.back();
    if (parent.node.json.is_array()) {
      parent.node.json.push_back(std::move(node.json));
    } else if (!parent.key) {
      if (!node.scalar_text) {
        return base::InvalidArgument(source_ + ": invalid YAML: a mapping key is not a scalar");
      }
      parent.key = std::move(node.scalar_text);
    } else {
      parent.node.json[*parent.key] = std::move(node.json);  // a repeated key: the last wins
      parent.key.reset();
    }
    return base::Status::Ok();
  }

  const std::string& source_;
  YamlScalars scalars_;
  std::vector<Frame> stack_;
  std::map<std::string, Node, std::less<>> anchors_;
  std::optional<Node> root_;
  size_t nodes_ = 0;
};

base::Status ParserError(const std::string& source, const yaml_parser_t& p) {
  const std::string problem = p.problem != nullptr ? p.problem : "unreadable text";
  if (p.error == YAML_READER_ERROR) {  // bad encoding or a character YAML does not allow
    return base::InvalidArgument(source + ": invalid text at byte " +
                                 std::to_string(p.problem_offset) + ": " + problem);
  }
  if (p.error == YAML_MEMORY_ERROR) return base::InvalidArgument(source + ": out of memory");
  std::string message = source + ": invalid YAML at line " +
                        std::to_string(p.problem_mark.line + 1) + ", column " +
                        std::to_string(p.problem_mark.column + 1) + ": " + problem;
  if (p.context != nullptr) message += std::string(" (") + p.context + ")";
  return base::InvalidArgument(message);
}

}  // namespace

base::Result<std::vector<nlohmann::json>> ParseYamlDocuments(std::string_view text,
                                                             const std::string& source,
                                                             YamlScalars scalars) {
  Parser parser(text);
  DocumentBuilder builder(source, scalars);
  std::vector<nlohmann::json> docs;
  for (;;) {
    Event event;
    if (yaml_parser_parse(&parser.parser, &event.event) == 0) {
      return ParserError(source, parser.parser);
    }
    if (event.event.type == YAML_STREAM_END_EVENT) break;
    HAMI_RETURN_IF_ERROR(builder.Feed(event.event, docs));
  }
  return docs;
}

base::Result<nlohmann::json> ParseYamlDocument(std::string_view text, const std::string& source,
                                               YamlScalars scalars) {
  HAMI_ASSIGN_OR_RETURN(auto docs, ParseYamlDocuments(text, source, scalars));
  if (docs.empty()) return nlohmann::json();
  if (docs.size() > 1) return base::InvalidArgument(source + ": expected one YAML document");
  return std::move(docs[0]);
}

}  // namespace hami::codec
