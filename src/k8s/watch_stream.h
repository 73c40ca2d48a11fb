// Watch events and the incremental parser of a watch response body.
//
// The API server streams one JSON object per line: {"type":"ADDED","object":{...}}. Chunk
// boundaries are arbitrary: a chunk may end inside an event or carry several. WatchStreamParser
// buffers the partial line and emits every complete event. A line that is not a valid event is an
// error for that line only (the stream stays usable). Pure; thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hami::k8s {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

std::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;  // the object; for kError a metav1.Status; for kBookmark only metadata
};

// Parses one line (one event).
base::Result<WatchEvent> ParseWatchEvent(std::string_view line);

class WatchStreamParser {
 public:
  // A single line longer than this is an error (the line is dropped); bounds memory.
  static constexpr size_t kDefaultMaxLine = 64u << 20;
  explicit WatchStreamParser(size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  // Consumes a chunk; appends complete events to *events and per-line errors to *errors.
  void Feed(std::string_view chunk, std::vector<WatchEvent>* events,
            std::vector<base::Status>* errors);
  // End of stream: a trailing event without a newline is parsed; whitespace is ignored.
  void Finish(std::vector<WatchEvent>* events, std::vector<base::Status>* errors);
  // Bytes of an incomplete line held.
  size_t buffered() const { return buffer_.size(); }

 private:
  void ParseLine(std::string_view line, std::vector<WatchEvent>* events,
                 std::vector<base::Status>* errors);

  size_t max_line_;
  std::string buffer_;
  bool discarding_ = false;  // inside an over-long line: skip to its newline
};

}  // namespace hami::k8s
