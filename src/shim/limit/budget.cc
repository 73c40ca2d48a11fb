#include "shim/limit/budget.h"

#include <algorithm>

namespace hami::shim::limit {

MemInfo LimitedMemInfo(uint64_t limit, uint64_t used, MemInfo phys, bool oversubscribed) {
  if (limit == 0) return phys;
  MemInfo out;
  out.total = phys.total != 0 && !oversubscribed ? std::min(limit, phys.total) : limit;
  const uint64_t room = used >= out.total ? 0 : out.total - used;
  out.free = oversubscribed ? room : std::min(room, phys.free);
  return out;
}

uint64_t RoundUp(uint64_t bytes, uint64_t granularity) {
  if (granularity <= 1) return bytes;
  const uint64_t rem = bytes % granularity;
  if (rem == 0) return bytes;
  const uint64_t add = granularity - rem;
  return bytes > UINT64_MAX - add ? UINT64_MAX : bytes + add;
}

uint64_t DeviceFootprint(uint64_t bytes) {
  return RoundUp(bytes, bytes < kLargePage ? kSmallGranule : kLargePage);
}

}  // namespace hami::shim::limit
