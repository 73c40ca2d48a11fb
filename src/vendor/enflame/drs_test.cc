// The Enflame DRS backend `Enflame` (vendors.md §9.2): request derivation (direct slices or by
// spec), profile choice, ModeNotFit, per-device checks with their reasons, and the webhook.
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "model/protocol.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/enflame/wire.h"

namespace hami::vendor::enflame {
namespace {

constexpr char kProfiles[] = R"("profiles":{"1g.6gb":"0","3g.20gb":"1","6g.40gb":"2"})";

std::string Capacity(int devices, const char* profiles = kProfiles) {
  std::string list;
  for (int i = 0; i < devices; ++i) {
    if (i > 0) list += ",";
    list += R"({"index":")" + std::to_string(i) + R"(","minor":")" + std::to_string(i) +
            R"(","capacity":6})";
  }
  return R"({"devices":[)" + list + "]," + profiles + "}";
}

model::Pod PodAsking(std::map<std::string, std::string> limits,
                     std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.namespace_name = "kube-system";
  pod.name = "drs";
  pod.annotations = std::move(annotations);
  pod.containers.push_back(model::testing::MakeContainer("c", std::move(limits)));
  return pod;
}

model::Pod Slices(const std::string& n, std::map<std::string, std::string> annotations = {}) {
  return PodAsking({{kDefaultDrsResource, n}}, std::move(annotations));
}

class EnflameDrsTest : public ::testing::Test {
 protected:
  void SetUp() override { Load(Capacity(1)); }

  void Load(const std::string& capacity) {
    codec::NodeObject node;
    node.name = "n";
    node.annotations[kDrsCapacityAnnotation] = capacity;
    auto state = NodeStateFromNode(node, registry_);
    ASSERT_TRUE(state.ok()) << state.error().ToString();
    node_ = std::move(*state);
  }

  sched::Decision Place(const model::Pod& pod) {
    auto input = BuildPodInput(pod, registry_, sched::Policy{});
    EXPECT_TRUE(input.ok()) << input.error().ToString();
    const sched::NodeState* nodes[] = {&node_};
    return sched::Decide(nodes, *input, nullptr);
  }

  // "<profile> <usedmem>/<usedcores>/<slots>" of the grant, or the rendered failure.
  std::string Outcome(const model::Pod& pod) {
    sched::Decision d = Place(pod);
    if (!d.chosen) return model::RenderReasons(d.failures.at(0).second);
    const auto& dev = d.devices.at(kDrsVendorName)[0].at(0);
    return d.partitions.at(0).shape + " " + std::to_string(dev.usedmem) + "/" +
           std::to_string(dev.usedcores) + "/" + std::to_string(dev.slots);
  }

  const Vendor* drs() const { return registry_.Find(kDrsVendorName); }

  Registry registry_;
  sched::NodeState node_;
};

TEST_F(EnflameDrsTest, RequestDerivation) {
  struct Case {
    std::map<std::string, std::string> limits;
    std::optional<model::DeviceRequest> want;
  };
  const Case cases[] = {
      {{{kDefaultDrsResource, "3"}}, model::DeviceRequest{"Enflame", 1, 0, 101, 0, "", 3}},
      {{{kDefaultMemoryResource, "20480"}, {kDefaultCoreResource, "40"}},
       model::DeviceRequest{"Enflame", 1, 20480, 101, 40, "", 0}},
      {{{kDefaultMemoryResource, "20Gi"}},
       model::DeviceRequest{"Enflame", 1, 20480, 101, 0, "", 0}},
      {{{kDefaultCoreResource, "50"}}, model::DeviceRequest{"Enflame", 1, 0, 101, 50, "", 0}},
      {{{kDefaultDrsResource, "0"}, {kDefaultMemoryResource, "6144"}},
       model::DeviceRequest{"Enflame", 1, 6144, 101, 0, "", 0}},
      {{{kDefaultDrsResource, "0"}}, std::nullopt},
      {{{"cpu", "1"}}, std::nullopt},
  };
  for (const auto& c : cases) {
    model::Pod pod = PodAsking(c.limits);
    auto r = drs()->ContainerRequest(pod, pod.containers[0]);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(*r, c.want) << c.limits.begin()->first;
  }
  for (const auto& bad : std::vector<std::map<std::string, std::string>>{
           {{kDefaultDrsResource, "1.5"}},
           {{kDefaultDrsResource, "2147483648"}},
           {{kDefaultCoreResource, "-1"}},
           {{kDefaultMemoryResource, "-5"}},
       }) {
    model::Pod pod = PodAsking(bad);
    auto r = drs()->ContainerRequest(pod, pod.containers[0]);
    ASSERT_FALSE(r.ok()) << bad.begin()->second;
    EXPECT_NE(r.error().message().find(bad.begin()->first), std::string::npos);
  }
}

TEST_F(EnflameDrsTest, ProfileChoice) {
  EXPECT_EQ(Outcome(Slices("1")), "1g.6gb 6144/17/1");
  EXPECT_EQ(Outcome(Slices("3")), "3g.20gb 20480/50/3");
  EXPECT_EQ(Outcome(Slices("6")), "6g.40gb 40960/100/6");
  EXPECT_EQ(Outcome(PodAsking({{kDefaultMemoryResource, "20480"}, {kDefaultCoreResource, "40"}})),
            "3g.20gb 20480/50/3");
  EXPECT_EQ(Outcome(PodAsking({{kDefaultMemoryResource, "7000"}})), "3g.20gb 20480/50/3");
  EXPECT_EQ(Outcome(PodAsking({{kDefaultCoreResource, "60"}})), "6g.40gb 40960/100/6");
  EXPECT_EQ(Outcome(PodAsking({{kDefaultMemoryResource, "1"}})), "1g.6gb 6144/17/1");
  sched::Decision d = Place(Slices("3"));
  ASSERT_TRUE(d.chosen);
  ASSERT_EQ(d.partitions.size(), 1u);
  EXPECT_EQ(d.partitions[0],
            (model::PartitionGrant{"Enflame", 0, 0, "n-enflame-drs-0", "3g.20gb", "1", {}}));
  EXPECT_EQ(d.devices.at("Enflame")[0][0],
            (model::ContainerDevice{0, "n-enflame-drs-0", "Enflame", 20480, 50, 3}));
}

TEST_F(EnflameDrsTest, NoProfileHoldsTheRequest) {
  EXPECT_EQ(Outcome(Slices("2")), "1/1 ModeNotFit");
  EXPECT_EQ(Outcome(PodAsking({{kDefaultMemoryResource, "50000"}})), "1/1 ModeNotFit");
  EXPECT_EQ(Outcome(PodAsking({{kDefaultCoreResource, "120"}})), "1/1 ModeNotFit");
  Load(Capacity(2, R"("profiles":{"1g.6gb":"0"})"));
  EXPECT_EQ(Outcome(Slices("3")), "2/2 ModeNotFit");
  EXPECT_EQ(Outcome(Slices("1")), "1g.6gb 6144/100/1");
}

TEST_F(EnflameDrsTest, PerDeviceChecks) {
  // Slices: 4 of 6 taken leaves room for one or two slices, not three.
  node_.devices[0].usage = {4, 12288, 34, {}, {}};
  EXPECT_EQ(Outcome(Slices("3")), "1/1 CardTimeSlicingExhausted");
  EXPECT_EQ(Outcome(Slices("1")), "1g.6gb 6144/17/1");
  // Memory and cores.
  node_.devices[0].usage = {1, 36000, 17, {}, {}};
  EXPECT_EQ(Outcome(Slices("1")), "1/1 CardInsufficientMemory");
  node_.devices[0].usage = {1, 6144, 90, {}, {}};
  EXPECT_EQ(Outcome(Slices("1")), "1/1 CardInsufficientCore");
  // Mutex: a used card is refused.
  node_.devices[0].usage = {1, 6144, 17, {}, {}};
  EXPECT_EQ(Outcome(Slices("1", {{model::kGpuPolicyAnnotation, "mutex"}})),
            "1/1 ExclusiveDeviceAllocateConflict");
  // Health.
  SetUp();
  node_.devices[0].info.health = false;
  EXPECT_EQ(Outcome(Slices("1")), "1/1 CardNotHealth");
}

// vendors.md §1.6 rows that apply to DRS, with a 1-slice request (1g.6gb: 6144 MiB, 17 %). Not
// applicable: S4 (devices are filtered by vendor), S8-S10 and S12 (a profile fixes the cores and
// memory), S11 and S14 (one instance per container).
TEST_F(EnflameDrsTest, StandardTableRowsThatApply) {
  struct Case {
    const char* row;
    sched::WorkUsage usage;  // of dev-0
    bool healthy;
    std::map<std::string, std::string> annotations;
    const char* want;
  };
  const Case cases[] = {
      {"S1", {0, 0, 0}, true, {}, "1g.6gb 6144/17/1"},
      {"S2", {1, 36864, 10}, true, {}, "1/1 CardInsufficientMemory"},
      {"S3", {1, 0, 100}, true, {}, "1/1 CardInsufficientCore"},
      {"S5", {0, 0, 0}, true, {{kUseUuid, "dev-0"}}, "1/1 CardUuidMismatch"},
      {"S6", {0, 0, 0}, true, {{kNoUseUuid, "n-enflame-drs-0"}}, "1/1 CardUuidMismatch"},
      {"S7", {6, 0, 0}, true, {}, "1/1 CardTimeSlicingExhausted"},
      {"S13",
       {1, 0, 0},
       true,
       {{model::kGpuPolicyAnnotation, "mutex"}},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S15", {0, 0, 0}, false, {}, "1/1 CardNotHealth"},
  };
  for (const auto& c : cases) {
    SetUp();
    node_.devices[0].usage = {
        static_cast<int32_t>(c.usage.used), c.usage.usedmem, c.usage.usedcores, {}, {}};
    node_.devices[0].info.health = c.healthy;
    EXPECT_EQ(Outcome(Slices("1", c.annotations)), c.want) << c.row;
  }
}

TEST_F(EnflameDrsTest, UuidSelectors) {
  EXPECT_EQ(Outcome(Slices("3", {{kUseUuid, "dev-0"}})), "1/1 CardUuidMismatch");
  EXPECT_EQ(Outcome(Slices("3", {{kNoUseUuid, "n-enflame-drs-0"}})), "1/1 CardUuidMismatch");
  EXPECT_EQ(Outcome(Slices("3", {{kUseUuid, " n-enflame-drs-0 , x"}})), "3g.20gb 20480/50/3");
}

TEST_F(EnflameDrsTest, WebhookRules) {
  struct Case {
    std::map<std::string, std::string> limits;
    std::map<std::string, std::string> requests;
    bool uses;
    const char* error;  // "" = none
  };
  const Case cases[] = {
      {{{kDefaultDrsResource, "0"}}, {}, false, "enflame.com/drs-gcu must be greater than 0"},
      {{}, {{kDefaultDrsResource, "-1"}}, false, "enflame.com/drs-gcu must be greater than 0"},
      {{{kDefaultMemoryResource, "0"}}, {}, false, "enflame.com/gcu-memory must be greater than 0"},
      {{{kDefaultCoreResource, "0"}}, {}, false, "enflame.com/gcu-core must be in range (0,100]"},
      {{{kDefaultCoreResource, "101"}}, {}, false, "enflame.com/gcu-core must be in range (0,100]"},
      {{{kDefaultDrsResource, "3"}}, {}, true, ""},
      {{}, {{kDefaultMemoryResource, "20480"}, {kDefaultCoreResource, "40"}}, true, ""},
      {{{"cpu", "1"}}, {}, false, ""},
  };
  for (const auto& c : cases) {
    model::Pod pod;
    pod.containers.push_back(model::testing::MakeContainer("c", c.limits, c.requests));
    model::Container& ctr = pod.containers[0];
    auto uses = drs()->Admit(pod, ctr);
    if (*c.error != '\0') {
      ASSERT_FALSE(uses.ok());
      EXPECT_EQ(uses.error().message(), std::string("container c: ") + c.error);
      continue;
    }
    ASSERT_TRUE(uses.ok()) << uses.error().ToString();
    EXPECT_EQ(*uses, c.uses);
    if (!c.uses) continue;
    EXPECT_EQ(ctr.limits, ctr.requests);  // mirrored both ways
  }
}

TEST_F(EnflameDrsTest, QuotaAndKeys) {
  EXPECT_EQ(drs()->Quota().memory, "enflame.com/gcu-memory");
  EXPECT_EQ(drs()->Quota().core, "enflame.com/gcu-core");
  EXPECT_EQ(drs()->Keys().register_annotation, "enflame.com/gcu-drs-capacity");
  EXPECT_EQ(drs()->Keys().allocated_annotation, "hami.io/enflame-vgpu-devices-allocated");
  EXPECT_EQ(drs()->Keys().to_allocate_annotation, "");
  EXPECT_FALSE(drs()->Lock().has_value());
  EXPECT_EQ(drs()->HealthResource(), "");
}

}  // namespace
}  // namespace hami::vendor::enflame
