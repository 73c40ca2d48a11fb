// The Kunlunxin vXPU backend `XPU` end to end (vendors.md §10.2): register decoding, memory
// rounding in requests and the webhook, one vXPU size per card, topology, mutex, UUID selectors,
// failure reasons, bind annotations and the node lock.
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "model/protocol.h"
#include "sched/decide.h"
#include "sched/fit.h"
#include "vendor/cluster_state.h"
#include "vendor/kunlun/quantities.h"
#include "vendor/kunlun/wire.h"

namespace hami::vendor::kunlun {
namespace {

std::string Register(int devices) {
  std::string out = "[";
  for (int i = 0; i < devices; ++i) {
    if (i > 0) out += ",";
    out += R"({"id":"xpu-)" + std::to_string(i) + R"(","index":)" + std::to_string(i) +
           R"(,"count":4,"devmem":98304,"devcore":100,"type":"XPU","health":true})";
  }
  return out + "]";
}

model::Pod PodAsking(std::map<std::string, std::string> limits,
                     std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.name = "p";
  pod.annotations = std::move(annotations);
  pod.containers.push_back(model::testing::MakeContainer("c", std::move(limits)));
  return pod;
}

model::Pod Vxpus(const std::string& n, const std::string& mem = "24576",
                 std::map<std::string, std::string> annotations = {}) {
  return PodAsking({{kDefaultVCountResource, n}, {kDefaultVMemoryResource, mem}},
                   std::move(annotations));
}

class KunlunVxpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    codec::NodeObject node;
    node.name = "v";
    node.annotations[kVxpuRegisterAnnotation] = Register(8);
    auto state = NodeStateFromNode(node, registry_);
    ASSERT_TRUE(state.ok()) << state.error().ToString();
    node_ = std::move(*state);
  }

  // `pods` vXPUs of `mem` MiB each on device i.
  void Hold(int i, int pods, int64_t mem) {
    node_.devices[i].usage = {pods, pods * mem, pods * mem * 100 / kVxpuMaxMemory, {}, {}};
  }

  std::string Outcome(const model::Pod& pod) {
    auto input = BuildPodInput(pod, registry_, sched::Policy{});
    EXPECT_TRUE(input.ok()) << input.error().ToString();
    const sched::NodeState* nodes[] = {&node_};
    sched::Decision d = sched::Decide(nodes, *input, nullptr);
    if (!d.chosen) return model::RenderReasons(d.failures.at(0).second);
    std::string out;
    for (const auto& dev : d.devices.at(kVxpuVendorName)[0]) {
      out += (out.empty() ? "" : ",") + std::to_string(dev.idx);
    }
    return "[" + out + "]";
  }

  const Vendor* vxpu() const { return registry_.Find(kVxpuVendorName); }

  Registry registry_;
  sched::NodeState node_;
};

TEST_F(KunlunVxpuTest, RegisterIsTheJsonForm) {
  ASSERT_EQ(node_.devices.size(), 8u);
  const auto& d = node_.devices[3].info;
  EXPECT_EQ(d.id, "xpu-3");
  EXPECT_EQ(d.vendor, "XPU");
  EXPECT_EQ(d.devmem, 98304);
  EXPECT_EQ(vxpu()->Keys().handshake_annotation, "hami.io/node-handshake-xpu");
  EXPECT_EQ(vxpu()->HealthResource(), "kunlunxin.com/vxpu");
  codec::NodeObject bad;
  bad.annotations[kVxpuRegisterAnnotation] = "[{\"id\":";
  auto decoded = vxpu()->DevicesFromNode(bad);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message().find("hami.io/node-register-xpu"), std::string::npos);
  EXPECT_EQ(vxpu()->DevicesFromNode(codec::NodeObject{}).error().code(),
            base::StatusCode::kNotFound);
}

TEST_F(KunlunVxpuTest, DecodesTheUpstreamExample) {
  codec::NodeObject node;
  node.name = "v";
  node.annotations["hami.io/node-register-xpu"] =
      R"([{"id":"xpu-0","index":0,"count":1,"devmem":98304,"devcore":100,"type":"XPU",)"
      R"("health":true}])";
  auto devices = vxpu()->DevicesFromNode(node);
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->devices.size(), 1u);
  const auto& d = devices->devices[0];
  EXPECT_EQ(d.id, "xpu-0");
  EXPECT_EQ(d.count, 1);
  EXPECT_EQ(d.devmem, 98304);
  EXPECT_EQ(d.devcore, 100);
  EXPECT_EQ(d.type, "XPU");
  EXPECT_TRUE(d.health);
  EXPECT_EQ(d.vendor, "XPU");
}

TEST_F(KunlunVxpuTest, TrimMemory) {
  const std::pair<int64_t, int64_t> cases[] = {{0, 24576},     {24576, 24576}, {24577, 49152},
                                               {49152, 49152}, {49153, 98304}, {200000, 98304}};
  for (auto [in, want] : cases) EXPECT_EQ(TrimMemory(in), want) << in;
}

TEST_F(KunlunVxpuTest, RequestDerivation) {
  struct Case {
    std::map<std::string, std::string> limits;
    model::DeviceRequest want;
  };
  const Case cases[] = {
      {{{kDefaultVCountResource, "1"}, {kDefaultVMemoryResource, "24576"}},
       {"XPU", 1, 24576, 0, 25, "", 0}},
      {{{kDefaultVCountResource, "2"}, {kDefaultVMemoryResource, "30000"}},
       {"XPU", 2, 49152, 0, 50, "", 0}},
      {{{kDefaultVCountResource, "1"}, {kDefaultVMemoryResource, "0"}},
       {"XPU", 1, 24576, 0, 25, "", 0}},
      {{{kDefaultVCountResource, "1"}, {kDefaultVMemoryResource, "24Gi"}},
       {"XPU", 1, 24576, 0, 25, "", 0}},
      {{{kDefaultVCountResource, "1"}}, {"XPU", 1, 98304, 100, 100, "", 0}},
  };
  for (const auto& c : cases) {
    model::Pod pod = PodAsking(c.limits);
    auto r = vxpu()->ContainerRequest(pod, pod.containers[0]);
    ASSERT_TRUE(r.ok() && r->has_value()) << (r.ok() ? "none" : r.error().ToString());
    EXPECT_EQ(**r, c.want);
  }
  for (const char* bad : {"200000", "-1", "3.5", "lots"}) {
    model::Pod pod = Vxpus("1", bad);
    auto r = vxpu()->ContainerRequest(pod, pod.containers[0]);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("kunlunxin.com/vxpu-memory"), std::string::npos);
  }
  model::Pod none = PodAsking({{kDefaultVMemoryResource, "24576"}});
  EXPECT_FALSE(vxpu()->ContainerRequest(none, none.containers[0])->has_value());
}

TEST_F(KunlunVxpuTest, WebhookRoundsTheMemoryLimit) {
  model::Pod pod = Vxpus("1", "30000");
  ASSERT_TRUE(*vxpu()->Admit(pod, pod.containers[0]));
  EXPECT_EQ(pod.containers[0].limits.at(kDefaultVMemoryResource), "49152");
  EXPECT_EQ(pod.containers[0].requests.at(kDefaultVMemoryResource), "49152");
  model::Pod whole = PodAsking({{kDefaultVCountResource, "1"}});
  ASSERT_TRUE(*vxpu()->Admit(whole, whole.containers[0]));
  EXPECT_TRUE(whole.containers[0].requests.empty());
  model::Container requests_only =
      model::testing::MakeContainer("r", {}, {{kDefaultVCountResource, "1"}});
  EXPECT_FALSE(*vxpu()->Admit(pod, requests_only));
  model::Pod too_big = Vxpus("1", "200000");
  auto refused = vxpu()->Admit(too_big, too_big.containers[0]);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("exceeds the largest vXPU (98304 MiB)"),
            std::string::npos);
}

TEST_F(KunlunVxpuTest, TopologyAndOneSizePerCard) {
  EXPECT_EQ(Outcome(Vxpus("8")), "[0,1,2,3,4,5,6,7]");
  struct Case {
    std::vector<std::tuple<int, int, int64_t>> held;  // device, pods, MiB each
    const char* nums;
    const char* want;
  };
  const Case cases[] = {
      {{{1, 1, 24576}, {3, 2, 24576}, {5, 1, 49152}}, "4", "[0,1,2,3]"},
      {{{1, 2, 24576}, {3, 1, 49152}, {5, 1, 24576}}, "4", "[4,5,6,7]"},
      {{{0, 1, 24576}, {1, 1, 24576}, {2, 1, 49152}, {5, 1, 24576}}, "1", "[0]"},
      {{{1, 2, 24576}, {2, 1, 24576}, {3, 1, 49152}, {6, 1, 24576}}, "2", "[0,1]"},
  };
  for (const auto& c : cases) {
    SetUp();
    for (auto [i, pods, mem] : c.held) Hold(i, pods, mem);
    EXPECT_EQ(Outcome(Vxpus(c.nums)), c.want) << c.nums;
  }
  SetUp();
  for (int i = 0; i < 8; ++i) Hold(i, 1, 49152);
  EXPECT_EQ(Outcome(Vxpus("2")), "1/8 NumaNotFit");
}

// upstream FitVXPU, one device at a time: memory, sharing one size, health.
TEST_F(KunlunVxpuTest, FitOnOneCard) {
  struct Case {
    const char* name;
    int used;
    int64_t usedmem;
    bool health;
    int64_t memreq;
    bool fits;
  };
  const Case cases[] = {
      {"90000 + 20000 over 98304", 1, 90000, true, 20000, false},
      {"idle", 0, 0, true, 24576, true},
      {"two of 24576 take a third", 2, 49152, true, 24576, true},
      {"one of 49152 takes no 24576", 1, 49152, true, 24576, false},
      {"unhealthy", 0, 0, false, 24576, false},
  };
  for (const auto& c : cases) {
    sched::NodeState node;
    node.devices.push_back(node_.devices[0]);
    node.devices[0].usage = {c.used, c.usedmem, 0, {}, {}};
    node.devices[0].info.health = c.health;
    sched::PodInput pod;
    pod.requests.app.push_back({{"XPU", {"XPU", 1, c.memreq, 0, 25, "", 0}}});
    pod.vendors["XPU"] = {{}, &vxpu()->Fit()};
    sched::NodeFitter fitter;
    EXPECT_EQ(fitter.FitPod(node, pod, nullptr), c.fits) << c.name;
    if (!c.fits) {
      EXPECT_EQ(model::RenderReasons(fitter.failure()), "1/1 NumaNotFit") << c.name;
    }
  }
}

TEST_F(KunlunVxpuTest, MutexRefusesSharedCards) {
  for (int i = 0; i < 8; ++i) Hold(i, 1, 24576);
  EXPECT_EQ(Outcome(Vxpus("1")), "[0]");
  EXPECT_EQ(Outcome(Vxpus("1", "24576", {{model::kGpuPolicyAnnotation, "mutex"}})),
            "8/8 ExclusiveDeviceAllocateConflict");
  // Cards of another size are not shareable: they do not count as conflicts.
  for (int i = 0; i < 4; ++i) Hold(i, 1, 49152);
  EXPECT_EQ(Outcome(Vxpus("1", "24576", {{model::kGpuPolicyAnnotation, "mutex"}})),
            "4/8 ExclusiveDeviceAllocateConflict");
}

TEST_F(KunlunVxpuTest, UnhealthyCardsExplainAsNuma) {
  for (auto& d : node_.devices) d.info.health = false;
  EXPECT_EQ(Outcome(Vxpus("1")), "1/8 NumaNotFit");
}

TEST_F(KunlunVxpuTest, UuidSelectorsBothPairs) {
  EXPECT_EQ(Outcome(Vxpus("1", "98304", {{kUseXpuUuid, "xpu-3"}})), "[3]");
  EXPECT_EQ(Outcome(Vxpus("1", "98304", {{kUseGpuUuid, "xpu-2"}})), "[2]");
  const char* all = "xpu-0,xpu-1,xpu-2,xpu-3,xpu-4,xpu-5,xpu-6,xpu-7";
  EXPECT_EQ(Outcome(Vxpus("1", "98304", {{kNoUseXpuUuid, all}})), "8/8 CardUuidMismatch");
  EXPECT_EQ(Outcome(Vxpus("1", "98304", {{kNoUseGpuUuid, all}})), "8/8 CardUuidMismatch");
}

TEST_F(KunlunVxpuTest, BindWritesBothListsAndLocksTheNode) {
  model::Pod pod = Vxpus("1");
  auto input = BuildPodInput(pod, registry_, sched::Policy{});
  ASSERT_TRUE(input.ok());
  const sched::NodeState* nodes[] = {&node_};
  sched::Decision d = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(d.chosen);
  auto written = vxpu()->AllocationAnnotations({pod, "v", d.devices.at("XPU"), {}, {}, 0});
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, (std::map<std::string, std::string>{
                          {"hami.io/xpu-devices-to-allocate", "xpu-0,XPU,24576,25:;"},
                          {"hami.io/xpu-devices-allocated", "xpu-0,XPU,24576,25:;"}}));
  EXPECT_EQ(vxpu()->Lock(), (NodeLockSpec{"hami.io/mutex.lock", true, 0}));
  EXPECT_EQ(vxpu()->Quota().memory, "kunlunxin.com/vxpu-memory");
  EXPECT_EQ(vxpu()->Quota().core, "");
  // A booked vXPU of 24576 lets only 24576 vXPUs share the card.
  pod.annotations = *written;
  auto granted = GrantedDevices(pod, registry_);
  ASSERT_TRUE(granted.ok());
  sched::ApplyBooking(node_, BookingOf(pod, *granted, registry_), +1);
  EXPECT_EQ(node_.devices[0].usage.used, 1);
  EXPECT_EQ(node_.devices[0].usage.usedmem, 24576);
}

}  // namespace
}  // namespace hami::vendor::kunlun
