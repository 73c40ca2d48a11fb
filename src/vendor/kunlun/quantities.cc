#include "vendor/kunlun/quantities.h"

#include <limits>

#include "base/quantity.h"
#include "vendor/common.h"
#include "vendor/kunlun/wire.h"

namespace hami::vendor::kunlun {

base::Result<std::optional<int32_t>> DeviceCount(const model::Container& c,
                                                 const std::string& name) {
  const std::string* text = Quantity(c, name);
  if (text == nullptr) return std::optional<int32_t>();
  HAMI_ASSIGN_OR_RETURN(int64_t n, IntQuantity(c, name, *text));
  if (n <= 0) return std::optional<int32_t>();
  if (n > std::numeric_limits<int32_t>::max()) {
    return base::InvalidArgument("container " + c.name + ": resource " + name + " \"" + *text +
                                 "\" is out of range");
  }
  return std::optional<int32_t>(static_cast<int32_t>(n));
}

int64_t TrimMemory(int64_t mib) {
  for (int64_t size : kVxpuSizes) {
    if (mib <= size) return size;
  }
  return kVxpuMaxMemory;
}

base::Result<int64_t> VxpuMemory(const model::Container& c, const std::string& name,
                                 const std::string& text) {
  auto mib = base::ParseMemoryMiB(text);
  if (!mib.ok()) return mib.error().WithContext("container " + c.name + ": resource " + name);
  if (*mib > kVxpuMaxMemory) {
    return base::InvalidArgument("container " + c.name + ": resource " + name + " \"" + text +
                                 "\" exceeds the largest vXPU (" +
                                 std::to_string(kVxpuMaxMemory) + " MiB)");
  }
  return TrimMemory(*mib);
}

base::Result<int32_t> CapacityCards(const codec::NodeObject& node, const std::string& resource) {
  auto it = node.capacity.find(resource);
  if (it == node.capacity.end()) return base::NotFound("capacity " + resource + " is absent");
  auto cards = base::ParseQuantityInt64(it->second);
  if (!cards.ok()) return cards.error().WithContext("capacity " + resource);
  if (*cards == 0) return base::NotFound("capacity " + resource + " is 0");
  if (*cards < 0 || *cards > kMaxCards) {
    return base::InvalidArgument("capacity " + resource + " \"" + it->second +
                                 "\" is outside 1.." + std::to_string(kMaxCards));
  }
  return static_cast<int32_t>(*cards);
}

}  // namespace hami::vendor::kunlun
