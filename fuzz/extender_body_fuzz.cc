// /filter and /bind request bodies as the extender's HTTP handler receives them (any client that
// reaches the port can send them), and the answers quoting their errors. Selector bit 0: /filter
// (then the pod object inside is decoded as the filter does) or /bind.
#include "codec/k8s_object.h"
#include "extender/wire.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  const auto in = fuzz::Split(data, size);
  // The answer quotes parse errors, which may quote the input: rendering must not throw either.
  if (in.selector & 1) {
    auto args = extender::ParseBindArgs(in.text);
    (void)extender::RenderBindResult(args.ok() ? "" : args.error().message());
    return 0;
  }
  auto args = extender::ParseFilterArgs(in.text);
  extender::FilterResult result;
  if (args.ok()) {
    auto pod = codec::PodFromJson(args->pod);
    if (!pod.ok()) result.error = pod.error().message();
  } else {
    result.error = args.error().message();
  }
  (void)extender::RenderFilterResult(result);
  return 0;
}
