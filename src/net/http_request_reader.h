// RequestReader: an incremental HTTP/1.1 request parser with hard bounds, fed the bytes of one
// connection as they arrive (net::HttpServer owns one per connection).
//
// Accepts: a request line "METHOD SP target SP HTTP/1.0|1.1" (lines end in CRLF or a bare LF),
// header fields "name: value", a body framed by Content-Length or by chunked Transfer-Encoding
// (chunk extensions and trailers are read and dropped). Refuses, with the status the server
// answers before closing:
//   400  malformed request line or header, obsolete line folding, a Content-Length that is not a
//        decimal number or repeats with another value, both Content-Length and Transfer-Encoding
//        (request smuggling), a malformed chunk;
//   413  a body longer than `max_body_bytes` (known from Content-Length before any body byte is
//        read, or while chunks arrive);
//   431  a request line plus headers longer than `max_header_bytes`, or more than `max_headers`;
//   501  a Transfer-Encoding other than chunked;
//   505  an HTTP version other than 1.0 and 1.1.
// Pure and deterministic (no I/O, no clock); thread-compatible. Bytes after a complete request
// stay in the caller's buffer for the next one (pipelining).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace hami::net {

struct HttpLimits {
  size_t max_header_bytes = 64 << 10;  // request line + header fields
  size_t max_headers = 128;
  size_t max_body_bytes = 1 << 20;
};

// The request line and header fields of one request.
struct RequestHead {
  std::string method;
  std::string target;                          // as sent: path plus any "?query"
  std::string path;                            // target up to '?'
  int minor_version = 1;                       // HTTP/1.<minor_version>
  std::map<std::string, std::string> headers;  // names lowercased; a repeated field keeps the last
  bool chunked = false;
  uint64_t content_length = 0;   // when !chunked
  bool expect_continue = false;  // "Expect: 100-continue"
  bool keep_alive = true;        // HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive
};

class RequestReader {
 public:
  enum class Progress {
    kNeedMore,  // consumed what it could; feed more bytes
    kHead,      // the head is complete (returned once per request); call Advance again for the body
    kDone,      // the request is complete: head() and TakeBody()
    kError,     // error_status() / error_message(); the connection must be closed
  };

  explicit RequestReader(HttpLimits limits) : limits_(limits) {}

  // Consumes bytes from the front of *buffer (erasing them) and reports progress.
  Progress Advance(std::string* buffer);

  const RequestHead& head() const { return head_; }
  std::string TakeBody() { return std::move(body_); }
  // Bytes the body still needs (Content-Length framing) or may still take (chunked: the limit).
  uint64_t BodyBytesExpected() const;
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }
  // Forgets the request; the reader then parses the next one on the same connection.
  void Reset();

 private:
  enum class Stage {
    kHead,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kDone,
    kError
  };
  Progress ParseHead(std::string* buffer);
  bool ParseHeadText(std::string_view text);
  bool ParseHeaderField(std::string_view line);
  bool FinishHead();
  Progress ReadBody(std::string* buffer);
  Progress ReadChunked(std::string* buffer);
  // Takes one line (CRLF or LF) from the front of *buffer into *line; false when none is complete.
  static bool TakeLine(std::string* buffer, std::string* line);
  Progress Fail(int status, std::string message);

  const HttpLimits limits_;
  Stage stage_ = Stage::kHead;
  RequestHead head_;
  std::string body_;
  uint64_t chunk_left_ = 0;
  size_t trailer_bytes_ = 0;
  size_t head_scanned_ = 0;  // bytes of an incomplete head already searched for its end
  int error_status_ = 0;
  std::string error_message_;
};

// "OK", "Bad Request", ... for the statuses the server writes; "Unknown" otherwise.
std::string_view StatusText(int status);

}  // namespace hami::net
