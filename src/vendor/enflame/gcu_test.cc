// The Enflame whole-card backend `GCU` end to end (vendors.md §9.1): devices from capacity, the
// request, fit outcomes and reasons, webhook, bind and what is not checked (UUIDs, mutex).
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "model/protocol.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/enflame/wire.h"

namespace hami::vendor::enflame {
namespace {

model::Pod PodAsking(const std::string& gcus, std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.namespace_name = "kube-system";
  pod.name = "gcu-pod";
  pod.annotations = std::move(annotations);
  pod.containers.push_back(model::testing::MakeContainer("c", {{kDefaultGcuResource, gcus}}));
  return pod;
}

class EnflameGcuTest : public ::testing::Test {
 protected:
  void SetUp() override { node_ = Node("2"); }

  sched::NodeState Node(const std::string& cards) {
    codec::NodeObject node;
    node.name = "n";
    node.capacity[kDefaultGcuResource] = cards;
    auto state = NodeStateFromNode(node, registry_);
    EXPECT_TRUE(state.ok()) << state.error().ToString();
    return state.ok() ? std::move(*state) : sched::NodeState{};
  }

  sched::Decision Place(const model::Pod& pod) {
    auto input = BuildPodInput(pod, registry_, sched::Policy{});
    EXPECT_TRUE(input.ok()) << input.error().ToString();
    const sched::NodeState* nodes[] = {&node_};
    return sched::Decide(nodes, *input, nullptr);
  }

  std::string Outcome(const model::Pod& pod) {
    sched::Decision d = Place(pod);
    if (!d.chosen) return model::RenderReasons(d.failures.at(0).second);
    std::string out;
    for (const auto& dev : d.devices.at(kGcuVendorName)[0]) {
      out += (out.empty() ? "" : ",") + dev.uuid;
    }
    return "[" + out + "]";
  }

  const Vendor* gcu() const { return registry_.Find(kGcuVendorName); }

  Registry registry_;
  sched::NodeState node_;
};

TEST_F(EnflameGcuTest, DevicesFromCapacity) {
  ASSERT_EQ(node_.devices.size(), 2u);
  const auto& d = node_.devices[1].info;
  EXPECT_EQ(d.id, "n-GCU-1");
  EXPECT_EQ(d.index, 1);
  EXPECT_EQ(d.count, 1);
  EXPECT_EQ(d.devmem, 100);
  EXPECT_EQ(d.devcore, 100);
  EXPECT_EQ(d.type, "GCU");
  EXPECT_EQ(d.vendor, "GCU");
  EXPECT_EQ(gcu()->HealthResource(), "enflame.com/gcu");
  codec::NodeObject none;
  EXPECT_EQ(gcu()->DevicesFromNode(none).error().code(), base::StatusCode::kNotFound);
}

TEST_F(EnflameGcuTest, Request) {
  model::Pod pod = PodAsking("2");
  auto r = gcu()->ContainerRequest(pod, pod.containers[0]);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(**r, (model::DeviceRequest{"GCU", 2, 100, 100, 100, "", 0}));
  model::Pod zero = PodAsking("0");
  EXPECT_FALSE(gcu()->ContainerRequest(zero, zero.containers[0])->has_value());
  model::Pod half = PodAsking("0.5");
  EXPECT_FALSE(gcu()->ContainerRequest(half, half.containers[0]).ok());
}

// Upstream's cases: success, used, insufficient, partial, unhealthy. Its type case cannot arise
// (devices are filtered by the vendor that registered them, vendors.md §17.1); its partial case
// (N3 on two idle cards, "2/2 AllocatedCardsInsufficientRequest") is NodeInsufficientDevice before
// the card loop, as upstream's filter also answers.
TEST_F(EnflameGcuTest, FitOutcomes) {
  EXPECT_EQ(Outcome(PodAsking("2")), "[n-GCU-0,n-GCU-1]");
  sched::Decision d = Place(PodAsking("1"));
  ASSERT_TRUE(d.chosen);
  EXPECT_EQ(d.devices.at("GCU")[0][0].usedmem, 100);
  EXPECT_EQ(d.devices.at("GCU")[0][0].usedcores, 100);
  EXPECT_EQ(Outcome(PodAsking("3")), "NodeInsufficientDevice");

  node_.devices[0].usage.used = 1;
  EXPECT_EQ(Outcome(PodAsking("1")), "[n-GCU-1]");
  EXPECT_EQ(Outcome(PodAsking("2")),
            "1/2 AllocatedCardsInsufficientRequest, 1/2 ExclusiveDeviceAllocateConflict");
  node_.devices[1].usage.used = 1;
  EXPECT_EQ(Outcome(PodAsking("1")), "2/2 ExclusiveDeviceAllocateConflict");

  SetUp();
  node_.devices[0].info.health = false;
  node_.devices[1].info.health = false;
  EXPECT_EQ(Outcome(PodAsking("1")), "2/2 CardNotHealth");
}

TEST_F(EnflameGcuTest, NoUuidOrMutexSelection) {
  EXPECT_EQ(Outcome(PodAsking("2", {{kUseUuid, "elsewhere"}})), "[n-GCU-0,n-GCU-1]");
  EXPECT_EQ(Outcome(PodAsking("1", {{model::kGpuPolicyAnnotation, "mutex"}})).front(), '[');
}

TEST_F(EnflameGcuTest, WebhookAndBind) {
  model::Pod pod = PodAsking("1");
  EXPECT_TRUE(*gcu()->Admit(pod, pod.containers[0]));
  model::Container requests_only =
      model::testing::MakeContainer("r", {}, {{kDefaultGcuResource, "1"}});
  EXPECT_FALSE(*gcu()->Admit(pod, requests_only));

  sched::Decision d = Place(pod);
  ASSERT_TRUE(d.chosen);
  auto written = gcu()->AllocationAnnotations({pod, "n", d.devices.at("GCU"), {}, {}, 0});
  ASSERT_TRUE(written.ok());
  const std::string one = d.devices.at("GCU")[0][0].uuid + ",GCU,100,100:;";
  EXPECT_EQ(*written,
            (std::map<std::string, std::string>{{"hami.io/enflame-gcu-devices-to-allocate", one},
                                                {"hami.io/enflame-gcu-devices-allocated", one}}));
  EXPECT_FALSE(gcu()->Lock().has_value());
  EXPECT_TRUE(gcu()->Quota().memory.empty());
}

}  // namespace
}  // namespace hami::vendor::enflame
