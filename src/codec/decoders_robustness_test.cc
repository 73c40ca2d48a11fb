// Every decoder must return a value or an error for any input: never throw, crash or hang.
// Deterministic mutations of golden values (seeded PRNG), run under the normal test binary and
// under sanitizers.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/quantity.h"
#include "codec/device_cordon.h"
#include "codec/handshake.h"
#include "codec/k8s_object.h"
#include "codec/mig_allocations.h"
#include "codec/node_lock.h"
#include "codec/node_register.h"
#include "codec/pod_devices.h"
#include "codec/topology_score.h"

namespace hami::codec {
namespace {

constexpr char kMigRegister[] =
    R"([{"id":"GPU-a","index":1,"count":10,"devmem":32768,"devcore":100,"type":"T4",)"
    R"("numa":1,"mode":"mig","migProfiles":[{"name":"1g","memoryMB":1,"core":1,"sliceCount":1,)"
    R"("placements":[{"start":0,"size":1}]}],"health":true}])";

constexpr char kMigAllocations[] =
    R"([{"containerIndex":0,"deviceIndex":0,"gpuUUID":"GPU-a","profile":"1g.10gb",)"
    R"("placement":{"start":2,"size":1},"migUUID":"M","gpuInstanceID":0,"computeInstanceID":0}])";
constexpr char kPodJson[] =
    R"({"kind":"Pod","metadata":{"name":"p","annotations":{"a":"b"}},"spec":{"containers":)"
    R"([{"name":"c","resources":{"limits":{"nvidia.com/gpu":1}},"env":[{"name":"A","value":"1"}]}]}})";

const std::vector<std::string>& Seeds() {
  static const std::vector<std::string> seeds = {
      kMigRegister,
      "GPU-a,10,32768,100,NVIDIA-T4,0,true:GPU-b,10,32768,100,NVIDIA-T4,0,true,1,mig:",
      R"([{"uuid":"GPU-a","score":{"GPU-b":200}}])",
      "GPU-a,NVIDIA,3000,30:GPU-b,NVIDIA,3000,30:;;",
      kMigAllocations,
      "2024-05-01T10:00:00.5+02:00,default,train-0",
      "Requesting_2024-05-01 10:00:00",
      "Reported 2024-05-01 10:00:00.5 +0000 UTC m=+1.0",
      kPodJson,
      "1.5Gi",
      "-12.5e-3",
  };
  return seeds;
}

std::string Mutate(std::string s, std::mt19937* rng) {
  using namespace std::string_literals;
  static const std::string kAlphabet = "[]{}\",:;.-+eEiGMk0123456789_ TZ\\\x00\xff\xc3"s;
  std::uniform_int_distribution<int> op(0, 3);
  std::uniform_int_distribution<int> ch(0, static_cast<int>(kAlphabet.size()) - 1);
  const int edits = 1 + static_cast<int>((*rng)() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t pos = s.empty() ? 0 : (*rng)() % s.size();
    switch (op(*rng)) {
      case 0:
        if (!s.empty()) s.erase(pos, 1);
        break;
      case 1:
        s.insert(s.begin() + pos, kAlphabet[ch(*rng)]);
        break;
      case 2:
        if (!s.empty()) s[pos] = kAlphabet[ch(*rng)];
        break;
      default:
        s.resize(pos);
        break;
    }
  }
  return s;
}

TEST(DecodersRobustnessTest, MutatedInputsNeverThrow) {
  std::mt19937 rng(20240501);
  int decoded_ok = 0;
  for (int round = 0; round < 400; ++round) {
    for (const std::string& seed : Seeds()) {
      const std::string input = Mutate(seed, &rng);
      decoded_ok += DecodeNodeDevices(input).ok();
      decoded_ok += DecodeTopologyScores(input).ok();
      decoded_ok += DecodePodSingleDevice(input).ok();
      decoded_ok += DecodeMigAllocations(input).ok();
      decoded_ok += ParseNodeLock(input).ok();
      decoded_ok += ParseHandshake(input).ok();
      decoded_ok += PodFromJsonText(input).ok();
      decoded_ok += NodeFromJsonText(input).ok();
      decoded_ok += base::ParseMemoryMiB(input).ok();
      auto q = base::ParseQuantity(input);
      if (q.ok()) decoded_ok += q->CeilDiv(1 << 20).ok() + q->ToInt64().ok();
      HeldBy(input, "default", "train-0");
      DecodeCordonedDevices(input);
    }
  }
  // Some mutations stay valid; all the others must have been rejected without throwing.
  EXPECT_GT(decoded_ok, 0);
}

}  // namespace
}  // namespace hami::codec
