// AMD fit through the public seam (vendors.md §12 "Fit", the §1.6 rows that apply, checkAMDType)
// and the annotations written at bind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/amd/amd_vendor.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::amd {
namespace {

const Registry& Vendors() {
  static const Registry* registry = new Registry();
  return *registry;
}

struct Dev {
  int32_t mem = 1280;
  int32_t cores = 100;
  std::string type = "AMD Instinct MI300X";
  int32_t count = 100;
  bool health = true;
  int32_t used = 0;
  int64_t usedmem = 0;
  int64_t usedcores = 0;
};

sched::NodeState Node(const std::vector<Dev>& devs) {
  nlohmann::json reg = nlohmann::json::array();
  for (size_t i = 0; i < devs.size(); ++i) {
    reg.push_back({{"id", "dev-" + std::to_string(i)},
                   {"index", i},
                   {"count", devs[i].count},
                   {"devmem", devs[i].mem},
                   {"devcore", devs[i].cores},
                   {"type", devs[i].type},
                   {"mode", "hami-core"},
                   {"health", devs[i].health}});
  }
  codec::NodeObject node;
  node.name = "n1";
  node.annotations[kRegisterAnnotation] = reg.dump();
  node.capacity[kDefaultCountResource] = std::to_string(devs.size());
  auto state = NodeStateFromNode(node, Vendors());
  EXPECT_TRUE(state.ok()) << state.error().ToString();
  for (size_t i = 0; i < devs.size(); ++i) {
    state->devices[i].usage = {devs[i].used, devs[i].usedmem, devs[i].usedcores, {}, {}};
  }
  return std::move(*state);
}

model::Pod PodAsking(model::ResourceList limits,
                     std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.name = "p";
  pod.annotations = std::move(annotations);
  pod.containers.push_back(model::testing::MakeContainer("main", std::move(limits)));
  return pod;
}

model::ResourceList Ask(int n, int mem = 0, int cores = 0) {
  model::ResourceList l{{"amd.com/gpu", std::to_string(n)}};
  if (mem > 0) l["amd.com/gpumem"] = std::to_string(mem);
  if (cores > 0) l["amd.com/gpucores"] = std::to_string(cores);
  return l;
}

// The allocated annotation of the placement, or the rendered reasons. `coresreq` >= 0 replaces
// the derived percentage (values the request parser refuses, fed to the loop directly).
std::string Place(const sched::NodeState& node, const model::Pod& pod, int64_t coresreq = -1) {
  auto input = BuildPodInput(pod, Vendors(), sched::Policy{});
  EXPECT_TRUE(input.ok()) << input.error().ToString();
  if (coresreq >= 0) input->requests.app[0].at("AMD").coresreq = coresreq;
  const sched::NodeState* nodes[] = {&node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  if (!decision.chosen) return model::RenderReasons(decision.failures.at(0).second);
  const Vendor* amd = Vendors().Find("AMD");
  auto out = amd->AllocationAnnotations(
      {pod, node.name, decision.devices.at("AMD"), decision.partitions, decision.registered, 0});
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out->at(kToAllocateAnnotation), out->at(kAllocatedAnnotation));
  return out->at(kAllocatedAnnotation);
}

TEST(AmdFitTest, UpstreamCasesAndStandardRows) {
  const std::string t = "AMD Instinct MI300X";
  struct Case {
    const char* name;
    std::vector<Dev> devs;
    model::ResourceList ask;
    std::map<std::string, std::string> annotations;
    int64_t coresreq;
    std::string want;
  };
  std::vector<Case> cases = {
      {"whole x2",
       {{1000, 100}, {1000, 100}},
       Ask(2),
       {},
       -1,
       "dev-0," + t + ",1000,100:dev-1," + t + ",1000,100:;"},
      {"50% of 100 CUs", {{1000, 100}}, Ask(1, 100, 50), {}, -1, "dev-0," + t + ",100,50:;"},
      {"1% of 64 CUs", {{1000, 64}}, Ask(1, 100, 1), {}, -1, "dev-0," + t + ",100,1:;"},
      {"101% of 64 CUs", {{1000, 64}}, Ask(1, 100), {}, 101, "dev-0," + t + ",100,64:;"},
      {"memory short",
       {{1000, 100, t, 100, true, 1, 900, 10}},
       Ask(1, 500, 10),
       {},
       -1,
       "1/1 CardInsufficientMemory"},
      {"cores short",
       {{1000, 10, t, 100, true, 1, 100, 9}},
       Ask(1, 100, 100),
       {},
       -1,
       "1/1 CardInsufficientCore"},
      {"not an AMD type", {{1000, 100, "Instinct MI300X"}}, Ask(1), {}, -1, "1/1 CardTypeMismatch"},
      {"S1 one of two",
       {{128, 100}, {128, 100}},
       Ask(1, 64, 50),
       {},
       -1,
       "dev-0," + t + ",64,50:;"},
      {"S2 memory", {{128, 100}}, Ask(1, 512, 50), {}, -1, "1/1 CardInsufficientMemory"},
      {"S3 cores",
       {{1024, 100, t, 100, true, 1, 0, 100}},
       Ask(1, 512, 50),
       {},
       -1,
       "1/1 CardInsufficientCore"},
      {"S4 type",
       {{128, 100}},
       Ask(1, 64, 50),
       {{kUseGpuType, "OtherType"}},
       -1,
       "1/1 CardTypeMismatch"},
      {"S5 use uuid",
       {{1280, 100}},
       Ask(1, 512, 50),
       {{kUseGpuUuid, "dev-9"}},
       -1,
       "1/1 CardUuidMismatch"},
      {"S6 nouse uuid",
       {{1280, 100}},
       Ask(1, 512, 50),
       {{kNoUseGpuUuid, "dev-0"}},
       -1,
       "1/1 CardUuidMismatch"},
      {"S7 slots",
       {{1280, 100, t, 100, true, 100, 0, 0}},
       Ask(1, 512, 50),
       {},
       -1,
       "1/1 CardTimeSlicingExhausted"},
      {"S8 clamp", {{1280, 100}}, Ask(1, 512), {}, 120, "dev-0," + t + ",512,100:;"},
      {"S11 partial",
       {{1280, 100, t, 100, true, 20, 0, 10}, {1280, 100, t, 100, false}},
       Ask(2, 512, 20),
       {},
       -1,
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardNotHealth"},
      {"S13 mutex",
       {{1280, 100, t, 100, true, 1, 64, 1}},
       Ask(1, 64, 50),
       {{"hami.io/gpu-scheduler-policy", "mutex"}},
       -1,
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14 more than the node has",
       {{1280, 100}, {1280, 100}},
       Ask(3, 512, 20),
       {},
       -1,
       "NodeInsufficientDevice"},
      {"S15 unhealthy", {{1280, 100, t, 100, false}}, Ask(1, 64, 50), {}, -1, "1/1 CardNotHealth"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Place(Node(c.devs), PodAsking(c.ask, c.annotations), c.coresreq), c.want) << c.name;
  }
}

// The grant keeps the registered product type: the annotation the device plugin and workload
// reporting read names the model.
TEST(AmdFitTest, GrantKeepsTheProductType) {
  sched::NodeState node =
      Node({{196608, 304, "AMD Instinct MI300X VF"}, {196608, 304, "AMD Instinct MI300X VF"}});
  EXPECT_EQ(Place(node, PodAsking(Ask(1, 16384, 25))), "dev-0,AMD Instinct MI300X VF,16384,76:;");
}

TEST(AmdFitTest, CheckTypeTable) {
  struct Case {
    const char* type;
    const char* key;
    const char* value;
    bool fits;
  };
  std::vector<Case> cases = {
      {"AMD MI300X", kUseGpuType, "MI300", true},
      {"AMD MI300X", kUseGpuType, "MI250", false},
      {"AMD MI300X", kNoUseGpuType, "MI300", false},
      {"AMD MI300X", kNoUseGpuType, "MI250", true},
      {"AMD MI300X", kUseGpuType, "", true},
      {"AMD MI300X", kNoUseGpuType, "MI250,", true},
      {"AMD MI300X", kNoUseGpuType, ",MI250", true},
      {"AMD MI250X", kNoUseGpuType, " MI250 , ", false},
      {"AMD MI250X", kNoUseGpuType, ", ", true},
      {"AMD MI250X", kUseGpuType, "MI300,", false},
      {"AMD MI250X", kUseGpuType, ", ", false},
      {"AMD MI250X", kUseGpuType, "mi250", true},
  };
  for (const auto& c : cases) {
    const std::string got =
        Place(Node({{1000, 100, c.type}}), PodAsking(Ask(1), {{c.key, c.value}}));
    EXPECT_EQ(got != "1/1 CardTypeMismatch", c.fits)
        << c.type << " " << c.key << "=\"" << c.value << "\": " << got;
  }
}

TEST(AmdFitTest, NamesAmd) {
  EXPECT_TRUE(NamesAmd("AMD Instinct MI300X VF"));
  EXPECT_TRUE(NamesAmd("amd-mi250"));
  EXPECT_TRUE(NamesAmd("RadeonAmD"));
  EXPECT_FALSE(NamesAmd("Instinct MI300X"));
  EXPECT_FALSE(NamesAmd("AM"));
  EXPECT_FALSE(NamesAmd(""));
}

TEST(AmdFitTest, RunningPodsBookWhatTheyWereGranted) {
  const Registry& registry = Vendors();
  sched::NodeState node = Node({{1000, 100}});
  model::Pod running = PodAsking(Ask(1, 600, 60));
  running.annotations[kAllocatedAnnotation] = "dev-0,AMD Instinct MI300X,600,60:;";
  auto grants = GrantedDevices(running, registry);
  ASSERT_TRUE(grants.ok()) << grants.error().ToString();
  EXPECT_TRUE(sched::ApplyBooking(node, BookingOf(running, *grants, registry), +1).empty());
  EXPECT_EQ(node.devices[0].usage.usedcores, 60);
  EXPECT_EQ(Place(node, PodAsking(Ask(1, 400, 40))), "dev-0,AMD Instinct MI300X,400,40:;");
  EXPECT_EQ(Place(node, PodAsking(Ask(1, 400, 41))), "1/1 CardInsufficientCore");
}

}  // namespace
}  // namespace hami::vendor::amd
