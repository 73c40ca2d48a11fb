// Kubernetes quantities and durations as users write them in resources, annotations and flags
// ("3Gi", "1e3", "500m", "1h30m"). Properties: no crash or UB; a quantity that parses to an int64
// parses to the same value again from its canonical MiB form when it is a memory size.
#include <cstdlib>

#include "base/duration.h"
#include "base/quantity.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)base::ParseQuantity(text);
  (void)base::ParseQuantityInt64(text);
  (void)base::ParseDuration(text);
  auto mib = base::ParseMemoryMiB(text);
  if (mib.ok() && *mib >= 0) {
    auto again = base::ParseMemoryMiB(std::to_string(*mib) + "Mi");
    if (!again.ok() || *again != *mib) std::abort();
  }
  return 0;
}
