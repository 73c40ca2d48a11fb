#include "net/http_request_reader.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/strings.h"

namespace hami::net {
namespace {

constexpr size_t kMaxChunkLine = 1024;  // "<hex size>[;extensions]"

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool ParseHex(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 15) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return false;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// Whether the comma-separated header value lists `token` (case-insensitive).
bool ListsToken(std::string_view value, std::string_view token) {
  for (const auto& part : base::Split(value, ',')) {
    if (base::ToLower(TrimOws(part)) == token) return true;
  }
  return false;
}

}  // namespace

std::string_view StatusText(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

RequestReader::Progress RequestReader::Fail(int status, std::string message) {
  stage_ = Stage::kError;
  error_status_ = status;
  error_message_ = std::move(message);
  return Progress::kError;
}

void RequestReader::Reset() {
  stage_ = Stage::kHead;
  head_ = RequestHead();
  body_.clear();
  chunk_left_ = 0;
  trailer_bytes_ = 0;
  head_scanned_ = 0;
}

uint64_t RequestReader::BodyBytesExpected() const {
  if (head_.chunked) return limits_.max_body_bytes;
  return head_.content_length;
}

bool RequestReader::TakeLine(std::string* buffer, std::string* line) {
  const size_t nl = buffer->find('\n');
  if (nl == std::string::npos) return false;
  const size_t end = (nl > 0 && (*buffer)[nl - 1] == '\r') ? nl - 1 : nl;
  line->assign(*buffer, 0, end);
  buffer->erase(0, nl + 1);
  return true;
}

RequestReader::Progress RequestReader::Advance(std::string* buffer) {
  switch (stage_) {
    case Stage::kHead:
      return ParseHead(buffer);
    case Stage::kBody:
      return ReadBody(buffer);
    case Stage::kChunkSize:
    case Stage::kChunkData:
    case Stage::kChunkDataEnd:
    case Stage::kTrailers:
      return ReadChunked(buffer);
    case Stage::kDone:
      return Progress::kDone;
    case Stage::kError:
      return Progress::kError;
  }
  return Progress::kError;
}

RequestReader::Progress RequestReader::ParseHead(std::string* buffer) {
  if (head_scanned_ == 0) {
    // Empty lines before a request line are skipped (a client's stray CRLF after a body).
    size_t skip = 0;
    while (skip < buffer->size() && ((*buffer)[skip] == '\r' || (*buffer)[skip] == '\n')) ++skip;
    if (skip > 0) buffer->erase(0, skip);
  }
  // The head ends at the first empty line: "\n\n" or "\n\r\n". Bytes scanned by an earlier
  // call are not scanned again (a head that trickles in stays linear).
  size_t end = std::string::npos;
  size_t head_len = 0;
  for (size_t nl = buffer->find('\n', head_scanned_); nl != std::string::npos;
       nl = buffer->find('\n', nl + 1)) {
    if (nl + 1 < buffer->size() && (*buffer)[nl + 1] == '\n') {
      end = nl, head_len = nl + 2;
      break;
    }
    if (nl + 2 < buffer->size() && (*buffer)[nl + 1] == '\r' && (*buffer)[nl + 2] == '\n') {
      end = nl, head_len = nl + 3;
      break;
    }
  }
  if (end == std::string::npos) {
    head_scanned_ = buffer->size() > 2 ? buffer->size() - 2 : 0;
    if (buffer->size() > limits_.max_header_bytes) {
      return Fail(431, "request header fields too large");
    }
    return Progress::kNeedMore;
  }
  if (head_len > limits_.max_header_bytes) return Fail(431, "request header fields too large");
  const std::string text = buffer->substr(0, end);
  buffer->erase(0, head_len);
  head_scanned_ = 0;
  if (!ParseHeadText(text)) return Progress::kError;
  if (!FinishHead()) return Progress::kError;
  return Progress::kHead;
}

bool RequestReader::ParseHeadText(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  const std::vector<std::string_view> parts = base::Split(lines[0], ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || parts[1].empty() || HasControlChar(parts[1])) {
    Fail(400, "malformed request line");
    return false;
  }
  if (parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0") {
    head_.minor_version = parts[2].back() - '0';
  } else {
    Fail(parts[2].rfind("HTTP/", 0) == 0 ? 505 : 400, "unsupported protocol version");
    return false;
  }
  head_.method = std::string(parts[0]);
  head_.target = std::string(parts[1]);
  head_.path = head_.target.substr(0, head_.target.find('?'));
  head_.keep_alive = head_.minor_version == 1;
  if (lines.size() - 1 > limits_.max_headers) {
    Fail(431, "too many header fields");
    return false;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    if (!ParseHeaderField(lines[i])) return false;
  }
  return true;
}

bool RequestReader::ParseHeaderField(std::string_view line) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    Fail(400, "obsolete header line folding");
    return false;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    Fail(400, "malformed header field");
    return false;
  }
  const std::string name = base::ToLower(line.substr(0, colon));
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (HasControlChar(value)) {
    Fail(400, "control character in header " + name);
    return false;
  }
  if (name == "content-length") {
    uint64_t length = 0;
    auto seen = head_.headers.find(name);
    if (!ParseDecimal(value, &length) || (seen != head_.headers.end() && seen->second != value)) {
      Fail(400, "invalid Content-Length");
      return false;
    }
    head_.content_length = length;
  } else if (name == "transfer-encoding") {
    if (base::ToLower(value) != "chunked") {
      Fail(501, "unsupported Transfer-Encoding");
      return false;
    }
    head_.chunked = true;
  } else if (name == "connection") {
    if (ListsToken(value, "close")) head_.keep_alive = false;
    if (ListsToken(value, "keep-alive")) head_.keep_alive = true;
  } else if (name == "expect") {
    head_.expect_continue = base::ToLower(value) == "100-continue";
  }
  head_.headers[name] = std::string(value);
  return true;
}

bool RequestReader::FinishHead() {
  if (head_.chunked && head_.headers.count("content-length") != 0) {
    Fail(400, "both Content-Length and Transfer-Encoding");
    return false;
  }
  if (!head_.chunked && head_.content_length > limits_.max_body_bytes) {
    Fail(413, "request body too large");
    return false;
  }
  if (head_.chunked) {
    stage_ = Stage::kChunkSize;
  } else {
    stage_ = head_.content_length == 0 ? Stage::kDone : Stage::kBody;
  }
  if (head_.content_length > 0) body_.reserve(head_.content_length);
  return true;
}

RequestReader::Progress RequestReader::ReadBody(std::string* buffer) {
  const size_t take = std::min<uint64_t>(buffer->size(), head_.content_length - body_.size());
  body_.append(*buffer, 0, take);
  buffer->erase(0, take);
  if (body_.size() < head_.content_length) return Progress::kNeedMore;
  stage_ = Stage::kDone;
  return Progress::kDone;
}

RequestReader::Progress RequestReader::ReadChunked(std::string* buffer) {
  std::string line;
  for (;;) {
    switch (stage_) {
      case Stage::kChunkSize: {
        if (!TakeLine(buffer, &line)) {
          return buffer->size() > kMaxChunkLine ? Fail(400, "malformed chunk size")
                                                : Progress::kNeedMore;
        }
        uint64_t size = 0;
        if (line.size() > kMaxChunkLine ||
            !ParseHex(TrimOws(std::string_view(line).substr(0, line.find(';'))), &size)) {
          return Fail(400, "malformed chunk size");
        }
        if (size > limits_.max_body_bytes - body_.size()) {
          return Fail(413, "request body too large");
        }
        chunk_left_ = size;
        stage_ = size == 0 ? Stage::kTrailers : Stage::kChunkData;
        break;
      }
      case Stage::kChunkData: {
        const size_t take = std::min<uint64_t>(buffer->size(), chunk_left_);
        body_.append(*buffer, 0, take);
        buffer->erase(0, take);
        chunk_left_ -= take;
        if (chunk_left_ > 0) return Progress::kNeedMore;
        stage_ = Stage::kChunkDataEnd;
        break;
      }
      case Stage::kChunkDataEnd:
        if (!TakeLine(buffer, &line)) {
          return buffer->size() > 2 ? Fail(400, "malformed chunk") : Progress::kNeedMore;
        }
        if (!line.empty()) return Fail(400, "malformed chunk");
        stage_ = Stage::kChunkSize;
        break;
      case Stage::kTrailers:
        if (!TakeLine(buffer, &line)) {
          return trailer_bytes_ + buffer->size() > limits_.max_header_bytes
                     ? Fail(431, "trailer fields too large")
                     : Progress::kNeedMore;
        }
        if (line.empty()) {
          stage_ = Stage::kDone;
          return Progress::kDone;
        }
        trailer_bytes_ += line.size() + 2;
        if (trailer_bytes_ > limits_.max_header_bytes) return Fail(431, "trailer fields too large");
        break;
      default:
        return Fail(500, "chunked reader in a wrong state");
    }
  }
}

}  // namespace hami::net
