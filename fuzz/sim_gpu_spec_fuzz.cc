// HAMI_SIM_GPUS, the simulated driver's GPU list (compact and JSON forms), and the
// CUDA_VISIBLE_DEVICES-style lists it reads from the environment of every process it is loaded in.
#include "fuzz/fuzz_input.h"
#include "sim/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  const auto in = fuzz::Split(data, size);
  if (in.selector & 1) {
    (void)sim::ParseJsonGpuList(in.text);
  } else {
    (void)sim::ParseCompactGpuList(in.text);
  }
  return 0;
}
