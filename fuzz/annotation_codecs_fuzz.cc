// Every annotation codec HAMi reads from objects a tenant or another component may write: node
// registration (JSON and legacy), pod device grants, MIG allocations, node locks, handshakes,
// topology scores, cordons and the time formats inside them. The first byte picks the codec.
// Properties: no crash, no sanitizer finding; what decodes and re-encodes decodes again to the same
// encoding.
#include <cstdlib>

#include "codec/device_cordon.h"
#include "codec/handshake.h"
#include "codec/mig_allocations.h"
#include "codec/node_lock.h"
#include "codec/node_register.h"
#include "codec/pod_devices.h"
#include "codec/time_format.h"
#include "codec/topology_score.h"
#include "fuzz/fuzz_input.h"

namespace hami {
namespace {

// encode(decode(text)) is a fixed point of decode-then-encode.
template <typename Decode, typename Encode>
void CheckRoundTrip(std::string_view text, Decode decode, Encode encode) {
  auto decoded = decode(text);
  if (!decoded.ok()) return;
  auto encoded = encode(*decoded);
  if (!encoded.ok()) return;
  auto again = decode(*encoded);
  if (!again.ok()) std::abort();
  auto reencoded = encode(*again);
  if (!reencoded.ok() || *reencoded != *encoded) std::abort();
}

}  // namespace
}  // namespace hami

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hami;
  const auto in = fuzz::Split(data, size);
  switch (in.selector % 9) {
    case 0:
      CheckRoundTrip(in.text, codec::DecodeNodeDevicesLegacy, codec::EncodeNodeDevicesLegacy);
      break;
    case 1:
      (void)codec::DecodeNodeDevices(in.text);
      break;
    case 2:
      CheckRoundTrip(in.text, codec::DecodePodSingleDevice, codec::EncodePodSingleDevice);
      break;
    case 3:
      CheckRoundTrip(in.text, codec::DecodeMigAllocations, codec::EncodeMigAllocations);
      break;
    case 4:
      (void)codec::ParseNodeLock(in.text);
      break;
    case 5:
      (void)codec::ParseHandshake(in.text);
      break;
    case 6:
      (void)codec::DecodeTopologyScores(in.text);
      break;
    case 7: {
      const auto cordoned = codec::DecodeCordonedDevices(in.text);
      if (codec::DecodeCordonedDevices(codec::EncodeCordonedDevices(cordoned)) != cordoned) {
        std::abort();
      }
      break;
    }
    case 8:
      (void)codec::ParseRfc3339(in.text);
      (void)codec::ParseDateTime(in.text);
      (void)codec::ParseGoTimeString(in.text);
      break;
  }
  return 0;
}
