#include "sim/timeline.h"

#include <algorithm>

namespace hami::sim {
namespace {

constexpr int64_t kMaxKernelNs = 3600ll * 1000 * 1000 * 1000;

BusyInterval& Newest(Timeline& t) { return t.entries[(t.appended - 1) % Timeline::kCapacity]; }

// Visits retained intervals newest first until `visit` returns false or history runs out.
template <typename Visit>
void ForEachNewestFirst(const Timeline& t, Visit visit) {
  uint64_t retained = std::min<uint64_t>(t.appended, Timeline::kCapacity);
  for (uint64_t k = 0; k < retained; ++k) {
    const BusyInterval& e = t.entries[(t.appended - 1 - k) % Timeline::kCapacity];
    if (!visit(e)) return;
  }
}

}  // namespace

Span Enqueue(Timeline& t, int64_t now_ns, int64_t duration_ns, int32_t pid) {
  int64_t start = std::max(now_ns, t.busy_until_ns);
  int64_t end = start + std::max<int64_t>(duration_ns, 0);
  if (end == start) return {start, end};
  if (t.appended > 0 && Newest(t).end_ns == start && Newest(t).pid == pid) {
    Newest(t).end_ns = end;
  } else {
    t.entries[t.appended % Timeline::kCapacity] = BusyInterval{start, end, pid, 0};
    ++t.appended;
  }
  t.busy_until_ns = end;
  return {start, end};
}

int64_t BusyNs(const Timeline& t, int64_t from_ns, int64_t to_ns, int32_t pid) {
  int64_t busy = 0;
  ForEachNewestFirst(t, [&](const BusyInterval& e) {
    if (e.end_ns <= from_ns) return false;  // older entries end even earlier
    if (pid == 0 || e.pid == pid) {
      int64_t overlap = std::min(e.end_ns, to_ns) - std::max(e.start_ns, from_ns);
      if (overlap > 0) busy += overlap;
    }
    return true;
  });
  return busy;
}

int ActivePids(const Timeline& t, int64_t from_ns, int64_t to_ns, int32_t* pids, int max) {
  int n = 0;
  ForEachNewestFirst(t, [&](const BusyInterval& e) {
    if (e.end_ns <= from_ns) return false;
    if (e.start_ns >= to_ns) return true;
    if (std::find(pids, pids + n, e.pid) == pids + n && n < max) pids[n++] = e.pid;
    return true;
  });
  return n;
}

int64_t KernelDurationNs(uint64_t blocks, uint64_t ns_per_block) {
  if (ns_per_block != 0 && blocks > static_cast<uint64_t>(kMaxKernelNs) / ns_per_block) {
    return kMaxKernelNs;
  }
  return static_cast<int64_t>(blocks * ns_per_block);
}

}  // namespace hami::sim
