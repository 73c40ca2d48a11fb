#include "net/http_stream.h"

namespace hami::net {

bool HttpStream::Write(std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (gone_ || closed_) return false;
  if (pending_.size() + bytes.size() > kMaxStreamBacklog) {
    gone_ = true;  // the loop drops the connection at its next drain
  } else {
    pending_.append(bytes);
  }
  if (wake_) wake_();
  return !gone_;
}

void HttpStream::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  if (wake_ && !gone_) wake_();
}

bool HttpStream::Gone() const {
  std::lock_guard<std::mutex> lock(mu_);
  return gone_;
}

void HttpStream::Attach(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
  if (!pending_.empty() || closed_ || gone_) wake_();
}

void HttpStream::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  gone_ = true;
  wake_ = nullptr;
}

bool HttpStream::Drain(std::string* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->append(pending_);
  pending_.clear();
  return closed_ || gone_;
}

}  // namespace hami::net
