// Client-side throttling of API requests (--kube-qps / --kube-burst), and bearer-token sources.
// Both are internally synchronized: safe to share between threads.
#pragma once

#include <chrono>
#include <ctime>
#include <mutex>
#include <string>

#include "base/result.h"

namespace hami::k8s {

// Token bucket: `burst` requests at once, refilled at `qps` per second. Reserve() takes a token,
// possibly from the future (the balance may go negative), and returns how long the caller must
// wait before sending. qps <= 0 disables throttling. The clock is a parameter: pure arithmetic.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double qps, int burst);
  std::chrono::nanoseconds Reserve(Clock::time_point now);

 private:
  std::mutex mu_;
  double qps_;
  double burst_;
  double tokens_;
  Clock::time_point last_{};
  bool started_ = false;
};

// The bearer token: a literal, or a file re-read when its modification time or size changes
// (projected service-account tokens are rotated by the kubelet). Empty when neither is set.
class TokenSource {
 public:
  TokenSource(std::string token, std::string token_file)
      : token_(std::move(token)), file_(std::move(token_file)) {}
  base::Result<std::string> Token();

 private:
  std::mutex mu_;
  std::string token_;
  std::string file_;
  struct timespec mtime_ {};
  long long size_ = -1;
};

}  // namespace hami::k8s
