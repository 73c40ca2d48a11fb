// /filter and /bind request bodies as the extender's HTTP handler receives them (any client that
// reaches the port can send them). Selector bit 0: /filter (then the pod object inside is decoded
// as the filter does) or /bind.
#include "codec/k8s_object.h"
#include "extender/wire.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  const auto in = fuzz::Split(data, size);
  if (in.selector & 1) {
    (void)extender::ParseBindArgs(in.text);
    return 0;
  }
  auto args = extender::ParseFilterArgs(in.text);
  if (args.ok()) (void)codec::PodFromJson(args->pod);
  return 0;
}
