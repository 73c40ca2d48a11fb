#include "vendor/kunlun/quantities.h"

#include <limits>

#include "base/quantity.h"
#include "vendor/common.h"
#include "vendor/kunlun/wire.h"

namespace hami::vendor::kunlun {

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
                                 "\" exceeds the largest vXPU (" + std::to_string(kVxpuMaxMemory) +
                                 " MiB)");
  }
  return TrimMemory(*mib);
}

}  // namespace hami::vendor::kunlun
