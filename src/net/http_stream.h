// HttpStream: the body of a response that goes on after its handler returned (server-sent
// events). A handler returns an HttpResponse whose `stream` is set; the server writes the head
// (no Content-Length, "Connection: close") and `body`, then whatever the producer Write()s, until
// the producer Close()s (the connection is closed once the queued bytes are sent) or the client
// goes away (Gone(); later writes are refused). A client that does not read is dropped once
// kMaxStreamBacklog bytes wait for it. A stream is one connection: the server may close it when it
// stops, or to make room for new connections (HttpServerOptions::max_connections).
// Thread-safe: any thread may Write/Close/Gone; the server drains it on its loop thread.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace hami::net {

// Bytes a stream may hold for a client that does not read before it is dropped.
inline constexpr size_t kMaxStreamBacklog = 1 << 20;

class HttpStream {
 public:
  // Queues `bytes` for the client; false once the client is gone or the stream is closed.
  bool Write(std::string_view bytes);
  // Ends the response after the bytes already queued. Idempotent.
  void Close();
  // The client went away (or the server dropped it); the producer may forget the stream.
  bool Gone() const;

  // Server side (HttpLoop): `wake` is called (under the stream's lock, so it must not call back
  // into the stream) whenever there is something to drain. Detach() marks the stream gone and
  // forgets `wake`; after it returns, `wake` is never called again.
  void Attach(std::function<void()> wake);
  void Detach();
  // Moves the queued bytes into `out`; returns whether the producer closed the stream.
  bool Drain(std::string* out);

 private:
  mutable std::mutex mu_;
  std::string pending_;
  bool closed_ = false;
  bool gone_ = false;
  std::function<void()> wake_;
};

}  // namespace hami::net
