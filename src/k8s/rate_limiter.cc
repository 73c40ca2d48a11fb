#include "k8s/rate_limiter.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/strings.h"

namespace hami::k8s {

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)) {}

std::chrono::nanoseconds TokenBucket::Reserve(Clock::time_point now) {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ && now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
  }
  if (!started_ || now > last_) last_ = now;
  started_ = true;
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(-tokens_ / qps_));
}

base::Result<std::string> TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return token_;
  struct stat st;
  if (::stat(file_.c_str(), &st) != 0) {
    if (!token_.empty()) return token_;  // keep the last good token across a rotation gap
    return base::Unavailable("token file " + base::Quote(file_) + " unreadable");
  }
  bool changed = size_ != static_cast<long long>(st.st_size) ||
                 mtime_.tv_sec != st.st_mtim.tv_sec || mtime_.tv_nsec != st.st_mtim.tv_nsec;
  if (!changed) return token_;
  std::ifstream in(file_, std::ios::binary);
  if (!in) return base::Unavailable("token file " + base::Quote(file_) + " unreadable");
  std::ostringstream text;
  text << in.rdbuf();
  token_ = std::string(base::Trim(text.str()));
  mtime_ = st.st_mtim;
  size_ = static_cast<long long>(st.st_size);
  return token_;
}

}  // namespace hami::k8s
