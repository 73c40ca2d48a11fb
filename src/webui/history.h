// GpuHistory: a fixed-size ring of one GPU's recent samples (utilization, memory used) for the
// web UI's charts. Pure; thread-compatible (the scraper guards it).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace hami::webui {

struct HistoryPoint {
  int64_t t = 0;                        // unix seconds
  std::optional<double> utilization;    // percent
  std::optional<uint64_t> memory_used;  // bytes
};

class GpuHistory {
 public:
  explicit GpuHistory(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void Add(const HistoryPoint& p) {
    Stored s{p.t, p.utilization ? static_cast<float>(*p.utilization) : kNoUtil,
             p.memory_used ? static_cast<uint32_t>(*p.memory_used >> 20) : kNoMem};
    if (ring_.size() < capacity_) {
      ring_.push_back(s);
    } else {
      ring_[next_] = s;
    }
    next_ = (next_ + 1) % capacity_;
  }
  // Oldest first.
  std::vector<HistoryPoint> Points() const {
    std::vector<HistoryPoint> out;
    out.reserve(ring_.size());
    const size_t start = ring_.size() < capacity_ ? 0 : next_;
    for (size_t i = 0; i < ring_.size(); ++i) {
      const Stored& s = ring_[(start + i) % ring_.size()];
      HistoryPoint p{s.t, std::nullopt, std::nullopt};
      if (s.util != kNoUtil) p.utilization = s.util;
      if (s.mem_mib != kNoMem) p.memory_used = static_cast<uint64_t>(s.mem_mib) << 20;
      out.push_back(p);
    }
    return out;
  }
  size_t size() const { return ring_.size(); }

 private:
  // 16 bytes a point: 8000 GPUs x 240 points (1 h at 15 s) is about 30 MB.
  struct Stored {
    int64_t t;
    float util;
    uint32_t mem_mib;
  };
  static constexpr float kNoUtil = -1.0F;
  static constexpr uint32_t kNoMem = std::numeric_limits<uint32_t>::max();
  size_t capacity_;
  size_t next_ = 0;
  std::vector<Stored> ring_;
};

}  // namespace hami::webui
