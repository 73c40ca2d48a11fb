// Iluvatar backends through the public seam: gating and config, node registration, request
// derivation, admission, the acceptance rows that apply (vendors.md §6: S1-S4, S13, S15),
// multi-device exclusivity and bind annotations read back.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/iluvatar/iluvatar_vendor.h"

namespace hami::vendor::iluvatar {
namespace {

using nlohmann::json;

const FlagValues kEnabled = {{kEnableFlag, "true"}};

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  model::Container c;
  c.name = "main";
  c.limits = std::move(limits);
  c.requests = std::move(requests);
  return c;
}

model::DeviceRequest Want(const char* cw, int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = cw;
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

const model::Pod kPod;

TEST(IluvatarRegistryTest, GatedByFlagWithUpstreamsFourChips) {
  Registry off;
  EXPECT_EQ(off.Find("BI-V150"), nullptr);
  auto disabled = Registry::Create({}, {{kEnableFlag, "false"}});
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(disabled->Find("BI-V150"), nullptr);
  auto bad = Registry::Create({}, {{kEnableFlag, "yes"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("--enable-iluvatar"), std::string::npos);

  auto on = Registry::Create({}, kEnabled);
  ASSERT_TRUE(on.ok()) << on.error().ToString();
  EXPECT_TRUE(on->warnings().empty());
  for (const char* cw : {"MR-V100", "MR-V50", "BI-V150", "BI-V100"}) {
    const Vendor* v = on->Find(cw);
    ASSERT_NE(v, nullptr) << cw;
    const std::string c = cw;
    EXPECT_EQ(v->ResourceNames(),
              (std::vector<std::string>{"iluvatar.ai/" + c + "-vgpu", "iluvatar.ai/" + c + ".vMem",
                                        "iluvatar.ai/" + c + ".vCore"}));
    EXPECT_EQ(v->Keys().register_annotation, "hami.io/node-" + c + "-register");
    EXPECT_EQ(v->Keys().handshake_annotation, "hami.io/node-handshake-" + c);
    EXPECT_EQ(v->Keys().to_allocate_annotation, "hami.io/" + c + "-devices-to-allocate");
    EXPECT_EQ(v->Keys().allocated_annotation, "hami.io/" + c + "-devices-allocated");
    EXPECT_EQ(v->HealthResource(), "iluvatar.ai/" + c + "-vgpu");
    EXPECT_EQ(v->Quota().memory_factor, 256);
    EXPECT_EQ(v->Lock()->annotation, "hami.io/mutex.lock");
  }
}

TEST(IluvatarRegistryTest, ConfigList) {
  auto custom =
      Registry::Create({json::parse(R"({"iluvatars":[{"chipName":"BI-V150","commonWord":"BI-V150",
         "resourceCountName":"x.ai/v150","resourceMemoryName":"x.ai/v150.mem"},
         {"commonWord":"MR-V50","bogus":1}]})")},
                       kEnabled);
  ASSERT_TRUE(custom.ok()) << custom.error().ToString();
  ASSERT_EQ(custom->warnings().size(), 1u);
  EXPECT_NE(custom->warnings()[0].find("iluvatars[1].bogus: unknown key"), std::string::npos);
  EXPECT_EQ(custom->Find("BI-V150")->ResourceNames(),
            (std::vector<std::string>{"x.ai/v150", "x.ai/v150.mem", "iluvatar.ai/BI-V150.vCore"}));
  EXPECT_NE(custom->Find("MR-V50"), nullptr);
  EXPECT_EQ(custom->Find("MR-V100"), nullptr);

  auto none = Registry::Create({json::parse(R"({"iluvatars":[]})")}, kEnabled);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->Find("BI-V150"), nullptr);
  for (const char* bad :
       {R"({"iluvatars":{"commonWord":"X"}})", R"({"iluvatars":[{"chipName":"X"}]})",
        R"({"iluvatars":[{"commonWord":"X"},{"commonWord":"X"}]})",
        R"({"iluvatars":[{"commonWord":"X","resourceCountName":""}]})",
        R"({"iluvatars":[{"commonWord":["X"]}]})"}) {
    auto r = Registry::Create({json::parse(bad)}, kEnabled);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("iluvatars"), std::string::npos) << r.error().message();
  }
}

TEST(IluvatarNodeTest, LegacyRegisterDecodes) {
  IluvatarVendor v{ChipNamed("MR-V100")};
  codec::NodeObject node;
  node.annotations["hami.io/node-MR-V100-register"] =
      "GPU-bad51c5a-ec9e-5c1c-8b3f-b6c9e8a1c0d2,10,8192,100,MR-V100,0,true:";
  auto devices = v.DevicesFromNode(node);
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->devices.size(), 1u);
  EXPECT_EQ(devices->devices[0].count, 10);
  EXPECT_EQ(devices->devices[0].devmem, 8192);
  EXPECT_EQ(devices->devices[0].type, "MR-V100");
  EXPECT_EQ(devices->devices[0].vendor, "MR-V100");
  node.annotations["hami.io/node-MR-V100-register"] = ":";
  EXPECT_FALSE(v.DevicesFromNode(node).ok());
}

TEST(IluvatarRequestTest, DerivationTable) {
  IluvatarVendor v{ChipNamed("MR-V100")};
  struct Case {
    const char* name;
    model::Container container;
    model::DeviceRequest want;
  };
  std::vector<Case> cases = {
      {"memory units of 256 MiB",
       C({{"iluvatar.ai/MR-V100-vgpu", "1"},
          {"iluvatar.ai/MR-V100.vMem", "1000"},
          {"iluvatar.ai/MR-V100.vCore", "100"}}),
       Want("MR-V100", 1, 256000, 101, 100)},
      {"count only: whole memory, cores 0", C({{"iluvatar.ai/MR-V100-vgpu", "1"}}),
       Want("MR-V100", 1, 0, 100, 0)},
      {"slice",
       C({{"iluvatar.ai/MR-V100-vgpu", "1"},
          {"iluvatar.ai/MR-V100.vMem", "64"},
          {"iluvatar.ai/MR-V100.vCore", "50"}}),
       Want("MR-V100", 1, 16384, 101, 50)},
      // Upstream's webhook sets the core limit to count x 100 (each device whole); derivation
      // gives the same whether or not the webhook could write it.
      {"several devices are whole",
       C({{"iluvatar.ai/MR-V100-vgpu", "2"}, {"iluvatar.ai/MR-V100.vCore", "50"}}),
       Want("MR-V100", 2, 0, 100, 100)},
      {"requests only", C({}, {{"iluvatar.ai/MR-V100-vgpu", "1"}}), Want("MR-V100", 1, 0, 100, 0)},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(kPod, c.container);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(r->has_value()) << c.name;
    EXPECT_EQ(**r, c.want) << c.name;
  }
  EXPECT_FALSE(v.ContainerRequest(kPod, C({{"iluvatar.ai/BI-V150-vgpu", "1"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(kPod, C({{"iluvatar.ai/MR-V100-vgpu", "0"}}))->has_value());
}

// Upstream drops these requests silently; we refuse them naming the container and resource.
TEST(IluvatarRequestTest, UnusableQuantitiesAreErrors) {
  IluvatarVendor v{ChipNamed("MR-V100")};
  for (auto [resource, value] :
       std::vector<std::pair<std::string, std::string>>{{"iluvatar.ai/MR-V100.vMem", "16Gi"},
                                                        {"iluvatar.ai/MR-V100.vMem", "16.0Gi"},
                                                        {"iluvatar.ai/MR-V100.vMem", "8388608"},
                                                        {"iluvatar.ai/MR-V100.vMem", "1.5"},
                                                        {"iluvatar.ai/MR-V100.vMem", "-1"},
                                                        {"iluvatar.ai/MR-V100.vCore", "-5"},
                                                        {"iluvatar.ai/MR-V100-vgpu", "x"}}) {
    model::ResourceList limits = {{"iluvatar.ai/MR-V100-vgpu", "1"}};
    limits[resource] = value;
    auto r = v.ContainerRequest(kPod, C(limits));
    ASSERT_FALSE(r.ok()) << resource << "=" << value;
    EXPECT_NE(r.error().message().find(resource), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("container main"), std::string::npos);
  }
}

TEST(IluvatarAdmitTest, CoreLimitForSeveralDevicesAndContainerNameEnv) {
  IluvatarVendor v{ChipNamed("BI-V150")};
  model::Pod pod;
  auto two = C({{"iluvatar.ai/BI-V150-vgpu", "2"}});
  ASSERT_TRUE(*v.Admit(pod, two));
  EXPECT_EQ(two.limits.at("iluvatar.ai/BI-V150.vCore"), "200");
  EXPECT_EQ(two.env.at("SOL_CONTINER_NAME"), "main");

  auto one = C({{"iluvatar.ai/BI-V150-vgpu", "1"}, {"iluvatar.ai/BI-V150.vCore", "50"}});
  one.env["SOL_CONTINER_NAME"] = "custom";
  ASSERT_TRUE(*v.Admit(pod, one));
  EXPECT_EQ(one.limits.at("iluvatar.ai/BI-V150.vCore"), "50");
  EXPECT_EQ(one.env.at("SOL_CONTINER_NAME"), "custom");

  // A core request Kubernetes requires to equal the limit is left alone (this webhook cannot
  // patch requests); derivation makes each device whole anyway.
  auto requested = C({{"iluvatar.ai/BI-V150-vgpu", "2"}, {"iluvatar.ai/BI-V150.vCore", "50"}},
                     {{"iluvatar.ai/BI-V150-vgpu", "2"}, {"iluvatar.ai/BI-V150.vCore", "50"}});
  ASSERT_TRUE(*v.Admit(pod, requested));
  EXPECT_EQ(requested.limits.at("iluvatar.ai/BI-V150.vCore"), "50");
  EXPECT_EQ((*v.ContainerRequest(pod, requested))->coresreq, 100);

  auto unnamed = C({{"iluvatar.ai/BI-V150-vgpu", "1"}});
  unnamed.name.clear();
  ASSERT_TRUE(*v.Admit(pod, unnamed));
  EXPECT_TRUE(unnamed.env.empty());
  auto cpu = C({{"cpu", "1"}});
  EXPECT_FALSE(*v.Admit(pod, cpu));
  EXPECT_TRUE(cpu.env.empty());
}

// The rows of vendors.md §1.6 that upstream runs for Iluvatar, on one MR-V100 node.
std::string Place(const Registry& registry, std::vector<sched::DeviceState> devices,
                  const model::DeviceRequest& request,
                  std::map<std::string, std::string> annotations = {}) {
  sched::NodeState node;
  node.name = "node";
  node.devices = std::move(devices);
  model::Pod pod;
  pod.annotations = std::move(annotations);
  const Vendor* v = registry.Find(request.vendor);
  sched::PodInput input;
  input.requests.app = {{{request.vendor, request}}};
  input.vendors[request.vendor] = {*v->Selector(pod), &v->Fit()};
  input.policy = *sched::PolicyForPod(pod.annotations, sched::Policy{});
  const sched::NodeState* nodes[] = {&node};
  auto d = sched::Decide(nodes, input, nullptr);
  if (!d.chosen) return model::RenderReasons(d.failures.at(0).second);
  std::string out = "fit:";
  for (const auto& g : d.devices.at(request.vendor).at(0)) out += g.uuid + ",";
  return out;
}

sched::DeviceState Dev(const char* id, int32_t index, int32_t totalmem, int32_t used = 0,
                       bool health = true) {
  sched::DeviceState d;
  d.usage.used = used;
  d.info.index = index;
  d.info.count = 100;
  d.info.devmem = totalmem;
  d.info.devcore = 100;
  d.info.health = health;
  d.info.vendor = "MR-V100";
  d.info.id = id;
  d.info.type = "MR-V100";
  return d;
}

TEST(IluvatarFitTest, AcceptanceRows) {
  auto registry = Registry::Create({}, kEnabled);
  ASSERT_TRUE(registry.ok());
  const auto req = Want("MR-V100", 1, 64, 101, 50);
  EXPECT_EQ(Place(*registry, {Dev("dev-0", 0, 128), Dev("dev-1", 1, 128)}, req), "fit:dev-0,");
  EXPECT_EQ(Place(*registry, {Dev("dev-0", 0, 128)}, Want("MR-V100", 1, 512, 101, 50)),
            "1/1 CardInsufficientMemory");
  auto busy = Dev("dev-0", 0, 1024);
  busy.usage.usedcores = 100;
  EXPECT_EQ(Place(*registry, {busy}, Want("MR-V100", 1, 512, 101, 50)), "1/1 CardInsufficientCore");
  // S4: a request of another chip never sees these devices (the owning vendor filters them).
  EXPECT_EQ(Place(*registry, {Dev("dev-0", 0, 1280)}, Want("BI-V150", 1, 64, 101, 50)),
            "NodeInsufficientDevice");
  EXPECT_EQ(Place(*registry, {Dev("dev-0", 0, 1280, 1)}, req,
                  {{"hami.io/gpu-scheduler-policy", "mutex"}}),
            "1/1 ExclusiveDeviceAllocateConflict");
  EXPECT_EQ(Place(*registry, {Dev("dev-0", 0, 1280, 0, false)}, req), "1/1 CardNotHealth");
  EXPECT_EQ(
      Place(*registry, {Dev("dev-0", 0, 1280)}, req, {{"hami.io/no-use-MR-V100-uuid", "dev-0"}}),
      "1/1 CardUuidMismatch");
  EXPECT_EQ(Place(*registry, {Dev("dev-0", 0, 1280), Dev("dev-1", 1, 1280)}, req,
                  {{"hami.io/use-MR-V100-uuid", "dev-1"}}),
            "fit:dev-1,");
  // Two devices asked: each whole in compute, so a device someone uses is refused.
  EXPECT_EQ(Place(*registry, {Dev("dev-0", 0, 1280, 1), Dev("dev-1", 1, 1280)},
                  Want("MR-V100", 2, 0, 100, 100)),
            "1/2 AllocatedCardsInsufficientRequest, 1/2 ExclusiveDeviceAllocateConflict");
}

TEST(IluvatarEndToEndTest, PatchUnderBothKeysAndReadBack) {
  auto registry = Registry::Create({}, kEnabled);
  ASSERT_TRUE(registry.ok());
  codec::NodeObject node;
  node.name = "ix";
  node.annotations["hami.io/node-MR-V100-register"] =
      "k8s-gpu-iluvatar-0,100,32768,100,MR-V100,0,true:";
  node.annotations["hami.io/node-BI-V150-register"] =
      "k8s-gpu-iluvatar-1,100,65536,100,BI-V150,0,true:";
  auto state = NodeStateFromNode(node, *registry);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  ASSERT_EQ(state->devices.size(), 2u);

  model::Pod pod;
  pod.name = "p";
  pod.containers.push_back(C({{"iluvatar.ai/MR-V100-vgpu", "1"}}));
  ASSERT_TRUE(*AdmitPod(pod, *registry));
  auto input = BuildPodInput(pod, *registry, sched::Policy{});
  ASSERT_TRUE(input.ok());
  const sched::NodeState* nodes[] = {&*state};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  ASSERT_EQ(decision.devices.size(), 1u);
  const Vendor* v = registry->Find("MR-V100");
  const auto& devices = decision.devices.at("MR-V100");
  model::PodSingleDevice zero = {{{0, "k8s-gpu-iluvatar-0", "MR-V100", 0, 0}}};
  auto written = v->AllocationAnnotations({pod, node.name, zero, {}, {}, 0});
  ASSERT_TRUE(written.ok());
  const std::string patch = "k8s-gpu-iluvatar-0,MR-V100,0,0:;";
  EXPECT_EQ(*written,
            (std::map<std::string, std::string>{{"hami.io/MR-V100-devices-to-allocate", patch},
                                                {"hami.io/MR-V100-devices-allocated", patch}}));
  auto placed = v->AllocationAnnotations({pod, node.name, devices, {}, {}, 0});
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->at("hami.io/MR-V100-devices-allocated"),
            "k8s-gpu-iluvatar-0,MR-V100,32768,0:;");
  pod.annotations = *placed;
  auto granted = GrantedDevices(pod, *registry);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(granted->devices.at("MR-V100")[0][0].usedmem, 32768);
}

}  // namespace
}  // namespace hami::vendor::iluvatar
