// Ascend node registration as ascend-device-plugin writes it, and the pod annotations written at
// bind (device lists, huawei.com/<cw>, predicate-time) and read back, end to end.
#include <gtest/gtest.h>

#include "codec/pod_devices.h"
#include "vendor/ascend/ascend_test_util.h"
#include "vendor/ascend/ascend_vendor.h"
#include "vendor/ascend/runtime_info.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::ascend {
namespace {

using fixture::C;
using fixture::ChartRegistry;

// Eight 910B3 NPUs as the plugin registers them: NetworkID 1 for indices above 3.
std::string Register910B3() {
  std::string out = "[";
  for (int i = 0; i < 8; ++i) {
    if (i > 0) out += ",";
    out += R"({"id":"npu-)" + std::to_string(i) + "\"";
    if (i > 0) out += R"(,"index":)" + std::to_string(i);
    out += R"(,"count":4,"devmem":65536,"devcore":20,"type":"Ascend910B3","health":true,)";
    out += i > 3 ? R"("custominfo":{"NetworkID":1}})" : R"("custominfo":{"NetworkID":0}})";
  }
  return out + "]";
}

codec::NodeObject Node910B3() {
  codec::NodeObject node;
  node.name = "npu-node";
  node.annotations["hami.io/node-register-Ascend910B3"] = Register910B3();
  node.annotations["hami.io/node-handshake-Ascend910B3"] = "Reported_2025.01.02 03:04:05";
  node.annotations[kNodeVnpuCoreAnnotation] = "false";
  return node;
}

TEST(AscendNodeTest, RegisterWithNetworkIdAndNodeMode) {
  const Registry r = ChartRegistry();
  auto state = NodeStateFromNode(Node910B3(), r);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  ASSERT_EQ(state->devices.size(), 8u);
  const auto& npu5 = state->devices[5].info;
  EXPECT_EQ(npu5.index, 5);
  EXPECT_EQ(npu5.count, 4);
  EXPECT_EQ(npu5.devmem, 65536);
  EXPECT_EQ(npu5.devcore, 20);
  EXPECT_EQ(npu5.vendor, "Ascend910B3");
  EXPECT_EQ(npu5.attributes.at(kNetworkIdAttribute), "1");
  EXPECT_EQ(state->devices[0].info.attributes.at(kNetworkIdAttribute), "0");
  EXPECT_EQ(*state->Attribute(kNodeVnpuCoreAnnotation), "false");

  const Vendor* v = r.Find("Ascend910B3");
  codec::NodeObject empty;
  EXPECT_EQ(v->DevicesFromNode(empty).error().code(), base::StatusCode::kNotFound);
  empty.annotations["hami.io/node-register-Ascend910B3"] = "[]";
  EXPECT_EQ(v->DevicesFromNode(empty).error().code(), base::StatusCode::kInvalidArgument);
  empty.annotations["hami.io/node-register-Ascend910B3"] = "[{\"id\":";
  auto bad = v->DevicesFromNode(empty);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("hami.io/node-register-Ascend910B3"), std::string::npos);
  // Keys match case-insensitively, as Go's decoder does.
  empty.annotations["hami.io/node-register-Ascend910B3"] =
      R"([{"ID":"npu-0","Count":4,"Devmem":65536,"Type":"Ascend910B3","Health":true}])";
  auto upper = v->DevicesFromNode(empty);
  ASSERT_TRUE(upper.ok()) << upper.error().ToString();
  EXPECT_EQ(upper->devices[0].count, 4);
}

TEST(AscendBindTest, RuntimeInfoAnnotation) {
  const Registry r = ChartRegistry();
  const Vendor* v = r.Find("Ascend910A");
  model::Pod pod;
  pod.name = "p";
  const model::PodSingleDevice one = {{{0, "device-0", "Ascend910A", 8738, 1}}};
  auto written = v->AllocationAnnotations({pod, "n", one, {}, {}, 1700000000});
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written,
            (std::map<std::string, std::string>{
                {"hami.io/Ascend910A-devices-to-allocate", "device-0,Ascend910A,8738,1:;"},
                {"hami.io/Ascend910A-devices-allocated", "device-0,Ascend910A,8738,1:;"},
                {"huawei.com/Ascend910A",
                 R"([{"UUID":"device-0","temp":"vir08","memory":8738,"core":1}])"},
                {"predicate-time", "1700000000"}}));

  pod.annotations[kVnpuModeAnnotation] = kVnpuModeHamiCore;
  const model::PodSingleDevice soft = {{}, {{0, "device-0", "Ascend910A", 15360, 20}}};
  EXPECT_EQ(v->AllocationAnnotations({pod, "n", soft, {}, {}, 0})->at("huawei.com/Ascend910A"),
            R"([{"UUID":"device-0","memory":15360,"core":20}])");

  pod.annotations.clear();
  const model::PodSingleDevice whole = {
      {{0, "device-0", "Ascend910A", 32768, 0}, {1, "device-1", "Ascend910A", 32768, 0}}};
  EXPECT_EQ(v->AllocationAnnotations({pod, "n", whole, {}, {}, 0})->at("huawei.com/Ascend910A"),
            R"([{"UUID":"device-0","memory":32768},{"UUID":"device-1","memory":32768}])");
}

TEST(AscendBindTest, RuntimeInfoEscapesLikeGo) {
  EXPECT_EQ(EncodeRuntimeInfo({}), "[]");
  EXPECT_EQ(EncodeRuntimeInfo({{"a\"<b>&\\\n\x01\xe2\x80\xa8", "", 0, 0}}),
            R"([{"UUID":"a\"\u003cb\u003e\u0026\\\n\u0001\u2028"}])");
}

TEST(AscendEndToEndTest, AdmitPlaceWriteAndReadBack) {
  const Registry r = ChartRegistry();
  auto state = NodeStateFromNode(Node910B3(), r);
  ASSERT_TRUE(state.ok());
  model::Pod pod;
  pod.name = "p";
  pod.containers.push_back(
      C({{"huawei.com/Ascend910B3", "1"}, {"huawei.com/Ascend910B3-memory", "2000"}}));
  pod.containers.push_back(C({{"huawei.com/Ascend910B3", "2"}}));
  ASSERT_TRUE(*AdmitPod(pod, r));
  EXPECT_EQ(pod.containers[0].limits.at("huawei.com/Ascend910B3-memory"), "16384");
  EXPECT_EQ(pod.containers[1].limits.at("huawei.com/Ascend910B3-memory"), "65536");
  auto input = BuildPodInput(pod, r, sched::Policy{});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  const sched::NodeState* nodes[] = {&*state};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  const auto& devices = decision.devices.at("Ascend910B3");
  ASSERT_EQ(devices.size(), 2u);
  ASSERT_EQ(devices[1].size(), 2u);
  // The two whole NPUs share a NetworkID group.
  auto group = [&](const std::string& uuid) {
    for (const auto& d : state->devices) {
      if (d.info.id == uuid) return d.info.attributes.at(kNetworkIdAttribute);
    }
    return std::string("?");
  };
  EXPECT_EQ(group(devices[1][0].uuid), group(devices[1][1].uuid));
  EXPECT_GT(decision.fits.at(0).second, 10.0);  // utilization plus 2 × 10 of NetworkID score

  const Vendor* v = r.Find("Ascend910B3");
  auto written = v->AllocationAnnotations({pod, "npu-node", devices, {}, {}, 42});
  ASSERT_TRUE(written.ok());
  const std::string& info = written->at("huawei.com/Ascend910B3");
  EXPECT_NE(info.find(R"("temp":"vir05_1c_16g","memory":16384})"), std::string::npos) << info;
  EXPECT_EQ(written->at("predicate-time"), "42");
  pod.annotations = *written;
  auto granted = GrantedDevices(pod, r);
  ASSERT_TRUE(granted.ok());
  // Everything but the index (not on the wire) comes back.
  EXPECT_EQ(*codec::EncodePodSingleDevice(granted->devices.at("Ascend910B3")),
            *codec::EncodePodSingleDevice(devices));
  EXPECT_EQ(granted->devices.at("Ascend910B3")[1][1].usedmem, 65536);
}

}  // namespace
}  // namespace hami::vendor::ascend
