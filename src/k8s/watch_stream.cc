#include "k8s/watch_stream.h"

#include "base/strings.h"

namespace hami::k8s {

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

base::Result<WatchEvent> ParseWatchEvent(std::string_view line) {
  nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return base::InvalidArgument("watch event: invalid JSON: " + base::Quote(line.substr(0, 120)));
  }
  auto type = parsed.find("type");
  auto object = parsed.find("object");
  if (type == parsed.end() || !type->is_string()) {
    return base::InvalidArgument("watch event: missing \"type\"");
  }
  if (object == parsed.end() || !object->is_object()) {
    return base::InvalidArgument("watch event: missing \"object\"");
  }
  WatchEvent event;
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "ADDED") {
    event.type = WatchEventType::kAdded;
  } else if (name == "MODIFIED") {
    event.type = WatchEventType::kModified;
  } else if (name == "DELETED") {
    event.type = WatchEventType::kDeleted;
  } else if (name == "BOOKMARK") {
    event.type = WatchEventType::kBookmark;
  } else if (name == "ERROR") {
    event.type = WatchEventType::kError;
  } else {
    return base::InvalidArgument("watch event: unknown type " + base::Quote(name));
  }
  event.object = std::move(*object);
  return event;
}

void WatchStreamParser::ParseLine(std::string_view line, std::vector<WatchEvent>* events,
                                  std::vector<base::Status>* errors) {
  if (base::Trim(line).empty()) return;
  auto event = ParseWatchEvent(line);
  if (event.ok()) {
    events->push_back(std::move(event).value());
  } else {
    errors->push_back(event.error());
  }
}

void WatchStreamParser::Feed(std::string_view chunk, std::vector<WatchEvent>* events,
                             std::vector<base::Status>* errors) {
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    if (discarding_) {
      if (newline == std::string_view::npos) return;
      discarding_ = false;
    } else if (buffer_.size() + piece.size() > max_line_) {
      buffer_.clear();
      errors->push_back(base::InvalidArgument("watch event: line longer than " +
                                              std::to_string(max_line_) + " bytes dropped"));
      if (newline == std::string_view::npos) {
        discarding_ = true;
        return;
      }
    } else if (newline == std::string_view::npos) {
      buffer_.append(piece);
      return;
    } else if (buffer_.empty()) {
      ParseLine(piece, events, errors);  // the common case: no copy
    } else {
      buffer_.append(piece);
      ParseLine(buffer_, events, errors);
      buffer_.clear();
    }
    chunk.remove_prefix(newline + 1);
  }
}

void WatchStreamParser::Finish(std::vector<WatchEvent>* events, std::vector<base::Status>* errors) {
  if (!discarding_) ParseLine(buffer_, events, errors);
  buffer_.clear();
  discarding_ = false;
}

}  // namespace hami::k8s
